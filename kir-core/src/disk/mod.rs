//! Partitioned disk images: MBR and GPT tables, FAT file systems, and
//! layouts combining them with ext4 and raw partitions.
//!
//! - [`Mbr`] and [`Gpt`] write (and read back) partition tables; every
//!   identifier not given is derived from the layout, so the same inputs give
//!   the same bytes.
//! - [`build_fat`] formats a FAT12/16/32 volume and copies host files in, with
//!   long names and 1980-01-01 timestamps unless other times are asked for.
//! - [`Layout`] (TOML, `kir disk-image`) and [`build_disk_image`] put it
//!   together, optionally as an Android sparse image; [`create_uboot_layout`]
//!   is KIR's BeagleBoard-X15 SD card (`kir create-uboot`).
//!
//! ```
//! use kir_core::disk::{Layout, build_disk_image, Mbr};
//!
//! let layout = Layout::from_toml(r#"
//!     table = "mbr"
//!     disk_id = "0x4b495200"
//!     [[partition]]
//!     content = "fat"
//!     size = "8MiB"
//!     bootable = true
//! "#)?;
//! let dir = std::env::temp_dir();
//! let out = dir.join(format!("kir-doc-disk-{}.img", std::process::id()));
//! let report = build_disk_image(&layout, &dir, &out)?;
//! let mbr = Mbr::parse(&std::fs::read(&out).unwrap())?;
//! assert_eq!(mbr.disk_id, 0x4b49_5200);
//! assert_eq!(report.partitions[0].start_lba, 2048);
//! # std::fs::remove_file(&out).unwrap();
//! # Ok::<(), kir_core::Error>(())
//! ```

mod fat;
mod gpt;
mod layout;
mod mbr;
mod uboot;

pub use fat::{FatEntry, FatOptions, FatSource, FatTimestamps, build_fat, list_fat};
pub use gpt::{Gpt, GptPartition, Guid, type_guid};
pub use layout::{
    ByteSize, Content, DiskReport, Layout, PartitionSpec, PlacedPartition, TableKind,
    build_disk_image, parse_size,
};
pub use mbr::{Mbr, MbrPartition};
pub use uboot::{CreateUboot, create_uboot_layout};
