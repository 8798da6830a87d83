//! KIR's `create-uboot.py`: the BeagleBoard-X15 (am57xx) SD card, an MBR
//! disk with one bootable FAT16 partition holding `u-boot.img` and `MLO`.

use std::path::PathBuf;

use super::layout::{ByteSize, Content, Layout, PartitionSpec, TableKind};

/// Inputs of [`create_uboot_layout`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUboot {
    /// The first-stage loader, copied as `MLO` (its own file name).
    pub mlo: PathBuf,
    /// U-Boot proper, copied under its own file name (normally `u-boot.img`).
    pub uboot: PathBuf,
    /// Partition size in KiB; KIR fixes 48272.
    pub size_kib: u64,
    /// MBR disk signature; derived from the layout when absent.
    pub disk_id: Option<u32>,
    /// FAT volume serial number; derived when absent.
    pub volume_id: Option<u32>,
    /// File times (seconds since 1970); 1980-01-01 when absent.
    pub timestamp: Option<i64>,
}

impl CreateUboot {
    /// KIR's values for the given files.
    pub fn new(mlo: PathBuf, uboot: PathBuf) -> Self {
        CreateUboot {
            mlo,
            uboot,
            size_kib: 48272,
            disk_id: None,
            volume_id: None,
            timestamp: None,
        }
    }
}

/// The layout create-uboot.py produces (measured with simplediskimage and
/// sfdisk): partition at sector 32, its size the fixed KiB count plus the
/// 512 bytes simplediskimage's rounding adds (96545 sectors for 48272 KiB),
/// type 0x06, active; the image rounded up to 16 KiB (96608 sectors); FAT16
/// with 2 KiB clusters and 512 root entries; u-boot first, then MLO.
pub fn create_uboot_layout(args: &CreateUboot) -> Layout {
    let partition = PartitionSpec {
        start: Some(32),
        size: Some(ByteSize(args.size_kib * 1024 + 512)),
        bootable: true,
        partition_type: Some("0x06".into()),
        content: Content::Fat,
        files: vec![args.uboot.clone(), args.mlo.clone()],
        fat_type: Some(16),
        cluster_size: Some(2048),
        root_entries: Some(512),
        volume_id: args.volume_id.map(|v| format!("{v:#x}")),
        timestamp: args.timestamp,
        ..Default::default()
    };
    Layout {
        table: TableKind::Mbr,
        disk_id: args.disk_id.map(|v| format!("{v:#x}")),
        align: Some(ByteSize(16 * 1024)),
        partitions: vec![partition],
        ..Default::default()
    }
}
