//! Android boot images: `boot.img` with header v0–v4 and `vendor_boot.img` v3/v4.
//!
//! The read side ([`BootImage::parse`], [`VendorBootImage::parse`], and the
//! header-only [`BootImageHeader::parse`] / [`VendorBootImageHeader::parse`])
//! checks every size and offset against the input before using it. The write
//! side ([`BootImage::to_bytes`], [`VendorBootImage::to_bytes`]) lays the image
//! out exactly as AOSP mkbootimg 34 does. [`MkbootimgArgs`] mirrors
//! mkbootimg's options (base address plus offsets, files as bytes) and turns
//! them into images with mkbootimg's rules; [`unpack`] mirrors
//! unpack_bootimg: the files it extracts, its `info` text and its
//! `mkbootimg` argument line.
//!
//! ```
//! use kir_core::bootimg::{BootImage, MkbootimgArgs};
//!
//! let args = MkbootimgArgs {
//!     header_version: 2,
//!     kernel: Some(b"kernel".to_vec()),
//!     dtb: Some(b"dtb".to_vec()),
//!     cmdline: "console=ttyMSM0,115200n8".into(),
//!     ..MkbootimgArgs::default()
//! };
//! let bytes = args.boot_image()?.to_bytes()?;
//! assert_eq!(bytes.len(), 3 * 2048); // header, kernel and dtb, one page each
//!
//! let image = BootImage::parse(&bytes)?;
//! assert_eq!(image.kernel, b"kernel");
//! assert_eq!(image.kernel_addr, 0x1000_8000);
//! # Ok::<(), kir_core::Error>(())
//! ```

mod args;
mod read;
mod text;
mod version;
mod write;

pub use args::{MkbootimgArgs, parse_int};
pub use text::{Unpacked, UnpackedFile, shell_join, unpack};
pub use version::{OsVersion, PatchLevel};

/// `ANDROID!`: magic of boot.img (every header version).
pub const BOOT_MAGIC: &[u8; 8] = b"ANDROID!";
/// `VNDRBOOT`: magic of vendor_boot.img.
pub const VENDOR_BOOT_MAGIC: &[u8; 8] = b"VNDRBOOT";

/// Size of the `name` (board) field, NUL included.
pub const BOOT_NAME_SIZE: usize = 16;
/// Size of the v0–v2 `cmdline` field, NUL included.
pub const BOOT_ARGS_SIZE: usize = 512;
/// Size of the v0–v2 `extra_cmdline` field, NUL included.
pub const BOOT_EXTRA_ARGS_SIZE: usize = 1024;
/// Size of the vendor_boot `cmdline` field, NUL included.
pub const VENDOR_BOOT_ARGS_SIZE: usize = 2048;
/// Size of a vendor ramdisk `name`, NUL included.
pub const VENDOR_RAMDISK_NAME_SIZE: usize = 32;
/// Number of `board_id` words in a vendor ramdisk table entry.
pub const VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE: usize = 16;
/// Size of one v4 vendor ramdisk table entry.
pub const VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE: u32 = 108;

/// Longest v0–v2 command line in bytes: 511 + NUL in `cmdline`, 1023 + NUL in `extra_cmdline`.
pub const MAX_CMDLINE_V0: usize = BOOT_ARGS_SIZE - 1 + BOOT_EXTRA_ARGS_SIZE - 1;
/// Longest v3/v4 boot.img command line in bytes (1536-byte field, NUL included).
pub const MAX_CMDLINE_V3: usize = BOOT_ARGS_SIZE + BOOT_EXTRA_ARGS_SIZE - 1;

/// `header_size` of a v1 boot.img.
pub const BOOT_IMAGE_HEADER_V1_SIZE: u32 = 1648;
/// `header_size` of a v2 boot.img.
pub const BOOT_IMAGE_HEADER_V2_SIZE: u32 = 1660;
/// `header_size` of a v3 boot.img.
pub const BOOT_IMAGE_HEADER_V3_SIZE: u32 = 1580;
/// `header_size` of a v4 boot.img.
pub const BOOT_IMAGE_HEADER_V4_SIZE: u32 = 1584;
/// Page size of every v3/v4 boot.img (the header has no page_size field).
pub const BOOT_IMAGE_HEADER_V3_PAGESIZE: u32 = 4096;
/// `header_size` of a v3 vendor_boot.img.
pub const VENDOR_BOOT_IMAGE_HEADER_V3_SIZE: u32 = 2112;
/// `header_size` of a v4 vendor_boot.img.
pub const VENDOR_BOOT_IMAGE_HEADER_V4_SIZE: u32 = 2128;

/// Vendor ramdisk `type`: none.
pub const VENDOR_RAMDISK_TYPE_NONE: u32 = 0;
/// Vendor ramdisk `type`: platform (loaded on every boot).
pub const VENDOR_RAMDISK_TYPE_PLATFORM: u32 = 1;
/// Vendor ramdisk `type`: recovery.
pub const VENDOR_RAMDISK_TYPE_RECOVERY: u32 = 2;
/// Vendor ramdisk `type`: dlkm (vendor kernel modules).
pub const VENDOR_RAMDISK_TYPE_DLKM: u32 = 3;

/// A boot.img (header v0–v4) with its parts as owned bytes.
///
/// Field names follow the header. Load addresses, `page_size`, `name`,
/// `second`, `recovery_dtbo` and `dtb` exist only in v0–v2 headers and are
/// ignored (addresses) or refused (parts) when writing v3/v4;
/// `boot_signature` exists only in v4. An empty part is an absent one, as in
/// mkbootimg, except `recovery_dtbo`, whose presence alone sets
/// `recovery_dtbo_offset`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BootImage {
    /// `header_version`: 0 to 4.
    pub header_version: u32,
    /// `page_size` (v0–v2); v3/v4 images always use 4096.
    pub page_size: u32,
    /// `kernel_addr`: physical load address of the kernel (v0–v2).
    pub kernel_addr: u32,
    /// `ramdisk_addr` (v0–v2); mkbootimg writes 0 when there is no ramdisk.
    pub ramdisk_addr: u32,
    /// `second_addr` (v0–v2); mkbootimg writes 0 when there is no second stage.
    pub second_addr: u32,
    /// `tags_addr`: physical address of the kernel tags / DTB (v0–v2).
    pub tags_addr: u32,
    /// `dtb_addr` (v2).
    pub dtb_addr: u64,
    /// Upper 21 bits of `os_version`: Android version A.B.C.
    pub os_version: Option<OsVersion>,
    /// Lower 11 bits of `os_version`: security patch level.
    pub os_patch_level: Option<PatchLevel>,
    /// `name`: board name (v0–v2), at most 15 bytes.
    pub name: String,
    /// Kernel command line. v0–v2 store it split over `cmdline` and `extra_cmdline`.
    pub cmdline: String,
    /// The kernel.
    pub kernel: Vec<u8>,
    /// The (generic) ramdisk.
    pub ramdisk: Vec<u8>,
    /// Second-stage bootloader (v0–v2).
    pub second: Vec<u8>,
    /// Recovery DTBO or ACPIO (v1, v2); `Some(empty)` still records an offset.
    pub recovery_dtbo: Option<Vec<u8>>,
    /// Device tree blob (v2).
    pub dtb: Vec<u8>,
    /// Boot signature section after the ramdisk (v4 only).
    pub boot_signature: Vec<u8>,
}

/// A vendor_boot.img (header v3 or v4) with its parts as owned bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorBootImage {
    /// `header_version`: 3 or 4.
    pub header_version: u32,
    /// `page_size`: every section is padded to it.
    pub page_size: u32,
    /// `kernel_addr`: physical load address of the kernel.
    pub kernel_addr: u32,
    /// `ramdisk_addr`: physical load address of the vendor ramdisks.
    pub ramdisk_addr: u32,
    /// `tags_addr`: physical address of the kernel tags.
    pub tags_addr: u32,
    /// `dtb_addr`: physical load address of the DTB.
    pub dtb_addr: u64,
    /// `name`: board name, at most 15 bytes.
    pub name: String,
    /// Vendor kernel command line, at most 2047 bytes; the bootloader puts it before boot.img's.
    pub cmdline: String,
    /// The vendor ramdisks. v3 holds at most one (its type, name and board id are not stored);
    /// v4 lists each in the vendor ramdisk table.
    pub ramdisks: Vec<VendorRamdisk>,
    /// Device tree blob.
    pub dtb: Vec<u8>,
    /// Bootconfig section (v4): `key=value` lines, without the trailer the bootloader adds.
    pub bootconfig: Vec<u8>,
}

/// One vendor ramdisk fragment and its v4 table entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorRamdisk {
    /// `ramdisk_type`: one of the `VENDOR_RAMDISK_TYPE_*` values (others are kept as read).
    pub ramdisk_type: u32,
    /// `ramdisk_name`: at most 31 bytes, unique within an image, never `default`.
    pub name: String,
    /// `board_id`: sixteen words a bootloader may match against its hardware.
    pub board_id: [u32; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE],
    /// The ramdisk bytes.
    pub data: Vec<u8>,
}

/// The boot.img header as stored, every version's fields in one struct.
///
/// Fields a version lacks read as 0 / empty: v3/v4 have no addresses, no
/// `name`, no `id` and `page_size` is 4096; only v1/v2 have recovery DTBO
/// fields; only v2 has the DTB fields; only v4 has `signature_size`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BootImageHeader {
    /// `kernel_size`.
    pub kernel_size: u32,
    /// `kernel_addr` (v0–v2).
    pub kernel_addr: u32,
    /// `ramdisk_size`.
    pub ramdisk_size: u32,
    /// `ramdisk_addr` (v0–v2).
    pub ramdisk_addr: u32,
    /// `second_size` (v0–v2).
    pub second_size: u32,
    /// `second_addr` (v0–v2).
    pub second_addr: u32,
    /// `tags_addr` (v0–v2).
    pub tags_addr: u32,
    /// `page_size` (v0–v2; 4096 for v3/v4).
    pub page_size: u32,
    /// `header_version`.
    pub header_version: u32,
    /// `os_version`: `(A<<25)|(B<<18)|(C<<11)|((Y-2000)<<4)|M`.
    pub os_version: u32,
    /// `name`, up to its first NUL (v0–v2).
    pub name: String,
    /// `cmdline`, up to its first NUL (512 bytes in v0–v2, 1536 in v3/v4).
    pub cmdline: String,
    /// `id`: 32 bytes, SHA-1 of the parts then 12 zero bytes when written by mkbootimg (v0–v2).
    pub id: [u8; 32],
    /// `extra_cmdline`, up to its first NUL (v0–v2).
    pub extra_cmdline: String,
    /// `recovery_dtbo_size` (v1, v2).
    pub recovery_dtbo_size: u32,
    /// `recovery_dtbo_offset`: byte offset of the recovery DTBO in the image (v1, v2).
    pub recovery_dtbo_offset: u64,
    /// `header_size` (v1–v4).
    pub header_size: u32,
    /// `dtb_size` (v2).
    pub dtb_size: u32,
    /// `dtb_addr` (v2).
    pub dtb_addr: u64,
    /// `signature_size` (v4).
    pub signature_size: u32,
}

/// The vendor_boot.img header as stored, with the v4 vendor ramdisk table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorBootImageHeader {
    /// `header_version`: 3 or 4.
    pub header_version: u32,
    /// `page_size`.
    pub page_size: u32,
    /// `kernel_addr`.
    pub kernel_addr: u32,
    /// `ramdisk_addr`.
    pub ramdisk_addr: u32,
    /// `vendor_ramdisk_size`: size of the whole vendor ramdisk section.
    pub vendor_ramdisk_size: u32,
    /// `cmdline`, up to its first NUL.
    pub cmdline: String,
    /// `tags_addr`.
    pub tags_addr: u32,
    /// `name`, up to its first NUL.
    pub name: String,
    /// `header_size`.
    pub header_size: u32,
    /// `dtb_size`.
    pub dtb_size: u32,
    /// `dtb_addr`.
    pub dtb_addr: u64,
    /// `vendor_ramdisk_table_size` (v4).
    pub vendor_ramdisk_table_size: u32,
    /// `vendor_ramdisk_table_entry_num` (v4).
    pub vendor_ramdisk_table_entry_num: u32,
    /// `vendor_ramdisk_table_entry_size` (v4).
    pub vendor_ramdisk_table_entry_size: u32,
    /// `bootconfig_size` (v4).
    pub bootconfig_size: u32,
    /// The vendor ramdisk table (v4), in stored order.
    pub vendor_ramdisk_table: Vec<VendorRamdiskTableEntry>,
}

/// One entry of the v4 vendor ramdisk table, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorRamdiskTableEntry {
    /// `ramdisk_size`.
    pub ramdisk_size: u32,
    /// `ramdisk_offset`: offset inside the vendor ramdisk section.
    pub ramdisk_offset: u32,
    /// `ramdisk_type`.
    pub ramdisk_type: u32,
    /// `ramdisk_name`, up to its first NUL.
    pub ramdisk_name: String,
    /// `board_id`.
    pub board_id: [u32; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE],
}

/// Number of `page_size` pages `size` bytes occupy.
fn pages(size: u64, page_size: u64) -> u64 {
    size.div_ceil(page_size)
}
