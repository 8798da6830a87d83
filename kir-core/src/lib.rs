//! kir-core: the formats a kernel lab repacks, read and written in-process.
//!
//! Everything here is pure logic over byte slices, paths and plain owned
//! structs: no printing, no process exit, no global state, and no panic on any
//! input. Every fallible function returns [`Result`], whose [`Error`] names
//! what was wrong and where (file, offset, field).
//!
//! Module map:
//! - `bootimg`: Android boot.img (header v0–v4) and vendor_boot (v3, v4).
//! - `cpio`, `compress`: initramfs archives and the compressions around them.
//! - `kernel`, `fdt`: recognising kernels and device trees.
//! - `recipe`, `repack`: KIR's per-board recipes, as data, and the flows that apply them.
//! - `ext4`, `tar`: root file systems without root, loop mounts or a VM.
//! - `sparse`, `disk`: Android sparse images, MBR/GPT disks and FAT file systems.

pub mod bootimg;
pub mod compress;
pub mod cpio;
pub mod disk;
mod error;
pub mod ext4;
pub mod fdt;
pub mod fetch;
pub mod kernel;
pub mod modules;
pub mod recipe;
pub mod repack;
pub mod rootfs;
pub mod sparse;
pub mod tar;

pub use error::{Error, ErrorKind, Result};
