//! The MBR (DOS) partition table in sector 0.

use crate::{Error, Result};

const FORMAT: &str = "MBR";
/// Offset of the 32-bit disk signature.
const DISK_ID_OFFSET: usize = 0x1B8;
/// Offset of the first of four 16-byte partition entries.
const TABLE_OFFSET: usize = 0x1BE;

/// One primary partition entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MbrPartition {
    /// `status` 0x80: the partition is active (bootable).
    pub bootable: bool,
    /// `type` byte (0x06 FAT16, 0x0C FAT32 LBA, 0x83 Linux, 0xEE GPT protective...).
    pub partition_type: u8,
    /// `lba_start`: first sector.
    pub start_lba: u32,
    /// `sectors`: length in sectors.
    pub sectors: u32,
}

/// A parsed or to-be-written MBR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mbr {
    /// Disk signature at 0x1B8 (Linux shows it as the disk identifier).
    pub disk_id: u32,
    /// Up to four primary partitions, in table order; empty slots omitted.
    pub partitions: Vec<MbrPartition>,
}

impl Mbr {
    /// The 512-byte sector 0: zero boot code, signature, table, 0x55AA.
    pub fn to_sector(&self) -> Result<[u8; 512]> {
        if self.partitions.len() > 4 {
            return Err(Error::invalid_argument(
                "partitions",
                format!(
                    "an MBR holds 4 primary partitions, {} given",
                    self.partitions.len()
                ),
            ));
        }
        let mut s = [0u8; 512];
        s[DISK_ID_OFFSET..DISK_ID_OFFSET + 4].copy_from_slice(&self.disk_id.to_le_bytes());
        for (i, p) in self.partitions.iter().enumerate() {
            let e = &mut s[TABLE_OFFSET + 16 * i..TABLE_OFFSET + 16 * (i + 1)];
            e[0] = if p.bootable { 0x80 } else { 0 };
            e[1..4].copy_from_slice(&chs(u64::from(p.start_lba)));
            e[4] = p.partition_type;
            let last = u64::from(p.start_lba) + u64::from(p.sectors.max(1)) - 1;
            e[5..8].copy_from_slice(&chs(last));
            e[8..12].copy_from_slice(&p.start_lba.to_le_bytes());
            e[12..16].copy_from_slice(&p.sectors.to_le_bytes());
        }
        s[510] = 0x55;
        s[511] = 0xAA;
        Ok(s)
    }

    /// Reads sector 0 (at least 512 bytes). Empty entries (type 0) are skipped.
    pub fn parse(bytes: &[u8]) -> Result<Mbr> {
        let sector = bytes
            .get(..512)
            .ok_or_else(|| Error::malformed(FORMAT, 0, "sector 0", "shorter than 512 bytes"))?;
        if sector[510..512] != [0x55, 0xAA] {
            return Err(Error::malformed(FORMAT, 510, "signature", "not 55 AA"));
        }
        let disk_id = u32::from_le_bytes([
            sector[DISK_ID_OFFSET],
            sector[DISK_ID_OFFSET + 1],
            sector[DISK_ID_OFFSET + 2],
            sector[DISK_ID_OFFSET + 3],
        ]);
        let mut partitions = Vec::new();
        for (i, e) in sector[TABLE_OFFSET..510].chunks_exact(16).enumerate() {
            let offset = (TABLE_OFFSET + 16 * i) as u64;
            if e[0] != 0 && e[0] != 0x80 {
                return Err(Error::malformed(
                    FORMAT,
                    offset,
                    "status",
                    format!("entry {i}: {:#04x} is neither 0x00 nor 0x80", e[0]),
                ));
            }
            if e[4] == 0 {
                continue;
            }
            let le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            partitions.push(MbrPartition {
                bootable: e[0] == 0x80,
                partition_type: e[4],
                start_lba: le(&e[8..12]),
                sectors: le(&e[12..16]),
            });
        }
        Ok(Mbr {
            disk_id,
            partitions,
        })
    }
}

/// CHS address of `lba` in the usual 255-head, 63-sector geometry; addresses
/// past cylinder 1023 saturate to (1023, 254, 63) as partitioning tools write.
fn chs(lba: u64) -> [u8; 3] {
    const HEADS: u64 = 255;
    const SECTORS: u64 = 63;
    let cylinder = lba / (HEADS * SECTORS);
    if cylinder > 1023 {
        return [0xFE, 0xFF, 0xFF];
    }
    let head = (lba / SECTORS) % HEADS;
    let sector = lba % SECTORS + 1;
    [
        head as u8,
        (sector as u8) | (((cylinder >> 2) & 0xC0) as u8),
        (cylinder & 0xFF) as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_round_trips_and_marks_the_active_partition() {
        let mbr = Mbr {
            disk_id: 0x1234_5678,
            partitions: vec![MbrPartition {
                bootable: true,
                partition_type: 0x06,
                start_lba: 32,
                sectors: 96545,
            }],
        };
        let s = mbr.to_sector().unwrap();
        assert_eq!(s[0x1BE], 0x80);
        assert_eq!(Mbr::parse(&s).unwrap(), mbr);
    }

    #[test]
    fn five_partitions_are_refused() {
        let p = MbrPartition {
            bootable: false,
            partition_type: 0x83,
            start_lba: 1,
            sectors: 1,
        };
        let e = Mbr {
            disk_id: 0,
            partitions: vec![p; 5],
        }
        .to_sector()
        .unwrap_err();
        assert!(e.to_string().contains("4 primary"), "{e}");
    }

    #[test]
    fn chs_of_first_sectors_and_saturation() {
        assert_eq!(chs(0), [0, 1, 0]);
        assert_eq!(chs(63), [1, 1, 0]);
        assert_eq!(chs(u64::from(u32::MAX)), [0xFE, 0xFF, 0xFF]);
    }
}
