//! GUID partition tables (UEFI spec, chapter 5): protective MBR, primary
//! header and entries at LBA 1–33, backup entries and header at the end.

use super::mbr::{Mbr, MbrPartition};
use crate::{Error, Result};

const FORMAT: &str = "GPT";
const SECTOR: u64 = 512;
/// Entries in the array and bytes per entry (what every tool writes).
pub const ENTRY_COUNT: u32 = 128;
const ENTRY_SIZE: u32 = 128;
/// Sectors taken by the entry array.
const ENTRY_SECTORS: u64 = (ENTRY_COUNT as u64 * ENTRY_SIZE as u64) / SECTOR;
const HEADER_SIZE: u32 = 92;

/// A GUID as written in text (`C12A7328-F81F-11D2-BA4B-00A0C93EC93B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Parses the 36-character text form.
    pub fn parse(text: &str) -> Result<Guid> {
        let bad =
            || Error::invalid_argument("guid", format!("{text:?} is not a GUID (8-4-4-4-12 hex)"));
        let parts: Vec<&str> = text.split('-').collect();
        if parts.len() != 5 || parts.iter().map(|p| p.len()).ne([8, 4, 4, 4, 12]) {
            return Err(bad());
        }
        let hex: String = parts.concat();
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Guid(out))
    }

    /// The on-disk byte order: the first three fields little-endian.
    pub fn to_disk(&self) -> [u8; 16] {
        let g = &self.0;
        [
            g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
            g[14], g[15],
        ]
    }

    /// Inverse of [`to_disk`](Self::to_disk).
    pub fn from_disk(d: &[u8; 16]) -> Guid {
        Guid([
            d[3], d[2], d[1], d[0], d[5], d[4], d[7], d[6], d[8], d[9], d[10], d[11], d[12], d[13],
            d[14], d[15],
        ])
    }

    /// A name-based GUID (version 5 layout): the same `name` always gives the
    /// same GUID, so images are reproducible without random identifiers.
    pub fn from_name(name: &[u8]) -> Guid {
        use sha1::{Digest, Sha1};
        let digest = Sha1::new_with_prefix(b"kir disk image\0")
            .chain_update(name)
            .finalize();
        let mut g = [0u8; 16];
        g.copy_from_slice(&digest[..16]);
        g[6] = (g[6] & 0x0F) | 0x50;
        g[8] = (g[8] & 0x3F) | 0x80;
        Guid(g)
    }
}

impl std::fmt::Display for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = &self.0;
        for (i, b) in g.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// One GPT partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptPartition {
    /// Partition type GUID.
    pub type_guid: Guid,
    /// Unique partition GUID.
    pub unique_guid: Guid,
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA, inclusive.
    pub last_lba: u64,
    /// Attribute bits (bit 0 required, bit 2 legacy BIOS bootable...).
    pub attributes: u64,
    /// Name, at most 36 UTF-16 code units.
    pub name: String,
}

/// A whole GPT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpt {
    /// Disk GUID.
    pub disk_guid: Guid,
    /// Partitions in entry order.
    pub partitions: Vec<GptPartition>,
}

/// Sectors a GPT needs before the first usable LBA (MBR + header + entries).
pub const PRIMARY_SECTORS: u64 = 2 + ENTRY_SECTORS;
/// Sectors a GPT needs at the end of the disk (entries + header).
pub const BACKUP_SECTORS: u64 = 1 + ENTRY_SECTORS;

impl Gpt {
    /// The bytes to write at the start (LBA 0–33) and at the end (the last 33
    /// sectors) of a disk of `disk_sectors` sectors.
    pub fn to_bytes(&self, disk_sectors: u64) -> Result<(Vec<u8>, Vec<u8>)> {
        if disk_sectors < PRIMARY_SECTORS + BACKUP_SECTORS + 1 {
            return Err(Error::invalid_argument("disk size", "too small for a GPT"));
        }
        if self.partitions.len() > ENTRY_COUNT as usize {
            return Err(Error::invalid_argument(
                "partitions",
                format!(
                    "a GPT holds {ENTRY_COUNT} entries, {} given",
                    self.partitions.len()
                ),
            ));
        }
        let last = disk_sectors - 1;
        let first_usable = PRIMARY_SECTORS;
        let last_usable = last - BACKUP_SECTORS;

        let mut entries = vec![0u8; (ENTRY_COUNT * ENTRY_SIZE) as usize];
        for (i, p) in self.partitions.iter().enumerate() {
            if p.first_lba < first_usable || p.last_lba > last_usable || p.first_lba > p.last_lba {
                return Err(Error::invalid_argument(
                    format!("partition {}", i + 1),
                    format!(
                        "LBA {}..={} is outside the usable {first_usable}..={last_usable}",
                        p.first_lba, p.last_lba
                    ),
                ));
            }
            let name: Vec<u16> = p.name.encode_utf16().collect();
            if name.len() > 36 {
                return Err(Error::invalid_argument(
                    format!("partition {}", i + 1),
                    format!("name {:?} is longer than 36 UTF-16 units", p.name),
                ));
            }
            let e = &mut entries[i * ENTRY_SIZE as usize..(i + 1) * ENTRY_SIZE as usize];
            e[0..16].copy_from_slice(&p.type_guid.to_disk());
            e[16..32].copy_from_slice(&p.unique_guid.to_disk());
            e[32..40].copy_from_slice(&p.first_lba.to_le_bytes());
            e[40..48].copy_from_slice(&p.last_lba.to_le_bytes());
            e[48..56].copy_from_slice(&p.attributes.to_le_bytes());
            for (j, unit) in name.iter().enumerate() {
                e[56 + 2 * j..58 + 2 * j].copy_from_slice(&unit.to_le_bytes());
            }
        }
        let entries_crc = crc32fast::hash(&entries);

        let header = |current: u64, backup: u64, entries_lba: u64| {
            let mut h = vec![0u8; SECTOR as usize];
            h[0..8].copy_from_slice(b"EFI PART");
            h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
            h[12..16].copy_from_slice(&HEADER_SIZE.to_le_bytes());
            h[24..32].copy_from_slice(&current.to_le_bytes());
            h[32..40].copy_from_slice(&backup.to_le_bytes());
            h[40..48].copy_from_slice(&first_usable.to_le_bytes());
            h[48..56].copy_from_slice(&last_usable.to_le_bytes());
            h[56..72].copy_from_slice(&self.disk_guid.to_disk());
            h[72..80].copy_from_slice(&entries_lba.to_le_bytes());
            h[80..84].copy_from_slice(&ENTRY_COUNT.to_le_bytes());
            h[84..88].copy_from_slice(&ENTRY_SIZE.to_le_bytes());
            h[88..92].copy_from_slice(&entries_crc.to_le_bytes());
            let crc = crc32fast::hash(&h[..HEADER_SIZE as usize]);
            h[16..20].copy_from_slice(&crc.to_le_bytes());
            h
        };

        let protective = Mbr {
            disk_id: 0,
            partitions: vec![MbrPartition {
                bootable: false,
                partition_type: 0xEE,
                start_lba: 1,
                sectors: u32::try_from(last).unwrap_or(u32::MAX),
            }],
        };
        let mut primary = protective.to_sector()?.to_vec();
        primary.extend(header(1, last, 2));
        primary.extend(&entries);

        let mut backup = entries;
        backup.extend(header(last, 1, last - ENTRY_SECTORS));
        Ok((primary, backup))
    }

    /// Reads the primary GPT from the start of a disk image (at least 34
    /// sectors), checking signature, sizes and both CRCs.
    pub fn parse(bytes: &[u8]) -> Result<Gpt> {
        let h = bytes
            .get(SECTOR as usize..2 * SECTOR as usize)
            .ok_or_else(|| {
                Error::malformed(FORMAT, SECTOR, "header", "image shorter than 2 sectors")
            })?;
        if &h[0..8] != b"EFI PART" {
            return Err(Error::malformed(
                FORMAT,
                SECTOR,
                "signature",
                "not \"EFI PART\"",
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[o..o + 8]);
            u64::from_le_bytes(b)
        };
        let header_size = u32_at(12);
        if !(HEADER_SIZE..=SECTOR as u32).contains(&header_size) {
            return Err(Error::malformed(
                FORMAT,
                SECTOR + 12,
                "header_size",
                format!("{header_size} is not within 92..=512"),
            ));
        }
        let mut copy = h[..header_size as usize].to_vec();
        copy[16..20].fill(0);
        if crc32fast::hash(&copy) != u32_at(16) {
            return Err(Error::malformed(
                FORMAT,
                SECTOR + 16,
                "header_crc32",
                "does not match",
            ));
        }
        let count = u32_at(80);
        let size = u32_at(84);
        if count > 1024 || !(128..=4096).contains(&size) || size % 8 != 0 {
            return Err(Error::malformed(
                FORMAT,
                SECTOR + 80,
                "num_partition_entries",
                format!("{count} entries of {size} bytes is not supported"),
            ));
        }
        let entries_lba = u64_at(72);
        let start = entries_lba
            .checked_mul(SECTOR)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| {
                Error::malformed(FORMAT, SECTOR + 72, "partition_entry_lba", "too large")
            })?;
        let len = count as usize * size as usize;
        let entries = bytes.get(start..start.saturating_add(len)).ok_or_else(|| {
            Error::malformed(
                FORMAT,
                SECTOR + 72,
                "partition_entry_lba",
                "entries run past the image",
            )
        })?;
        if crc32fast::hash(entries) != u32_at(88) {
            return Err(Error::malformed(
                FORMAT,
                SECTOR + 88,
                "partition_entry_array_crc32",
                "does not match",
            ));
        }
        let mut disk = [0u8; 16];
        disk.copy_from_slice(&h[56..72]);
        let mut partitions = Vec::new();
        for e in entries.chunks_exact(size as usize) {
            let mut t = [0u8; 16];
            t.copy_from_slice(&e[0..16]);
            if t == [0u8; 16] {
                continue;
            }
            let mut u = [0u8; 16];
            u.copy_from_slice(&e[16..32]);
            let le64 = |o: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&e[o..o + 8]);
                u64::from_le_bytes(b)
            };
            let units: Vec<u16> = e[56..128]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&c| c != 0)
                .collect();
            partitions.push(GptPartition {
                type_guid: Guid::from_disk(&t),
                unique_guid: Guid::from_disk(&u),
                first_lba: le64(32),
                last_lba: le64(40),
                attributes: le64(48),
                name: String::from_utf16_lossy(&units),
            });
        }
        Ok(Gpt {
            disk_guid: Guid::from_disk(&disk),
            partitions,
        })
    }
}

/// Type GUIDs for the names a layout may use instead of a GUID.
pub fn type_guid(name: &str) -> Result<Guid> {
    let text = match name.to_ascii_lowercase().as_str() {
        "linux" | "ext4" => "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
        "esp" | "efi" => "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "fat" | "fat12" | "fat16" | "fat32" | "basic-data" => {
            "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
        }
        "swap" => "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
        "root-arm64" => "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
        "root-x86-64" => "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
        _ => name,
    };
    Guid::parse(text).map_err(|_| {
        Error::invalid_argument(
            "type",
            format!("{name:?} is neither a GUID nor a known type name"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_and_disk_order_round_trip() {
        let g = Guid::parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").unwrap();
        assert_eq!(g.to_disk()[..4], [0x28, 0x73, 0x2A, 0xC1]);
        assert_eq!(Guid::from_disk(&g.to_disk()), g);
        assert_eq!(g.to_string(), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    }

    #[test]
    fn name_based_guids_are_stable_and_distinct() {
        assert_eq!(Guid::from_name(b"a"), Guid::from_name(b"a"));
        assert_ne!(Guid::from_name(b"a"), Guid::from_name(b"b"));
        assert_eq!(Guid::from_name(b"a").0[6] >> 4, 5);
    }

    #[test]
    fn written_table_parses_back() {
        let gpt = Gpt {
            disk_guid: Guid::from_name(b"disk"),
            partitions: vec![GptPartition {
                type_guid: type_guid("linux").unwrap(),
                unique_guid: Guid::from_name(b"p1"),
                first_lba: 2048,
                last_lba: 4095,
                attributes: 0,
                name: "rootfs".into(),
            }],
        };
        let (primary, _) = gpt.to_bytes(8192).unwrap();
        assert_eq!(Gpt::parse(&primary).unwrap(), gpt);
    }

    #[test]
    fn corrupted_header_crc_is_reported() {
        let gpt = Gpt {
            disk_guid: Guid::default(),
            partitions: vec![],
        };
        let (mut primary, _) = gpt.to_bytes(100).unwrap();
        primary[512 + 40] ^= 1;
        let e = Gpt::parse(&primary).unwrap_err().to_string();
        assert!(e.contains("header_crc32"), "{e}");
    }
}
