//! On-disk constants of ext4 shared by the writer and the reader.

/// `s_magic`.
pub const SUPER_MAGIC: u16 = 0xEF53;
/// Byte offset of the primary superblock.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the superblock.
pub const SUPERBLOCK_SIZE: usize = 1024;

pub const COMPAT_HAS_JOURNAL: u32 = 0x4;
pub const COMPAT_EXT_ATTR: u32 = 0x8;
pub const COMPAT_DIR_INDEX: u32 = 0x20;

pub const INCOMPAT_FILETYPE: u32 = 0x2;
pub const INCOMPAT_RECOVER: u32 = 0x4;
pub const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
pub const INCOMPAT_META_BG: u32 = 0x10;
pub const INCOMPAT_EXTENTS: u32 = 0x40;
pub const INCOMPAT_64BIT: u32 = 0x80;
pub const INCOMPAT_FLEX_BG: u32 = 0x200;
pub const INCOMPAT_EA_INODE: u32 = 0x400;
pub const INCOMPAT_DIRDATA: u32 = 0x1000;
pub const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub const INCOMPAT_ENCRYPT: u32 = 0x10000;

pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x2;
pub const RO_COMPAT_HUGE_FILE: u32 = 0x8;
pub const RO_COMPAT_DIR_NLINK: u32 = 0x20;
pub const RO_COMPAT_EXTRA_ISIZE: u32 = 0x40;
pub const RO_COMPAT_BIGALLOC: u32 = 0x200;
pub const RO_COMPAT_METADATA_CSUM: u32 = 0x400;

/// Block group flags.
pub const BG_ITABLE_ZEROED: u16 = 0x4;

/// Inode flags.
pub const INDEX_FL: u32 = 0x1000;
pub const EXTENTS_FL: u32 = 0x80000;
pub const INLINE_DATA_FL: u32 = 0x1000_0000;

pub const EXTENT_MAGIC: u16 = 0xF30A;
/// Longest initialised extent, in blocks.
pub const EXTENT_MAX_LEN: u32 = 32768;

pub const XATTR_MAGIC: u32 = 0xEA02_0000;

pub const JBD2_MAGIC: u32 = 0xC03B_3998;
pub const JBD2_SUPERBLOCK_V2: u32 = 4;

/// Inode numbers with a fixed role.
pub const ROOT_INO: u32 = 2;
pub const JOURNAL_INO: u32 = 8;
pub const FIRST_INO: u32 = 11;

/// Size of every inode we write; `i_extra_isize` within it.
pub const INODE_SIZE: usize = 256;
pub const EXTRA_ISIZE: u16 = 32;
/// Offset of the first in-inode extended attribute header.
pub const INODE_XATTR_OFFSET: usize = 128 + EXTRA_ISIZE as usize;

/// Directory entries' file type byte.
pub const FT_REG: u8 = 1;
pub const FT_DIR: u8 = 2;
pub const FT_CHR: u8 = 3;
pub const FT_BLK: u8 = 4;
pub const FT_FIFO: u8 = 5;
pub const FT_SOCK: u8 = 6;
pub const FT_SYMLINK: u8 = 7;

/// The largest link count ext4 stores; directories past it count 1 (dir_nlink).
pub const LINK_MAX: u32 = 65000;

pub const DX_HASH_HALF_MD4: u8 = 1;

/// `s_flags`.
pub const FLAG_SIGNED_HASH: u32 = 0x1;

/// Extended-attribute name prefixes by index (`e_name_index`).
pub const XATTR_PREFIXES: &[(u8, &[u8])] = &[
    (2, b"system.posix_acl_access"),
    (3, b"system.posix_acl_default"),
    (1, b"user."),
    (4, b"trusted."),
    (6, b"security."),
    (8, b"system.richacl"),
    (7, b"system."),
];

/// Splits a full attribute name into (index, suffix).
pub fn xattr_split(name: &[u8]) -> Option<(u8, &[u8])> {
    XATTR_PREFIXES
        .iter()
        .find(|(_, p)| name.starts_with(p))
        .map(|&(i, p)| (i, &name[p.len()..]))
}

/// Joins an index and a suffix into a full attribute name.
pub fn xattr_join(index: u8, suffix: &[u8]) -> Option<Vec<u8>> {
    XATTR_PREFIXES
        .iter()
        .find(|(i, _)| *i == index)
        .map(|(_, p)| {
            let mut v = p.to_vec();
            v.extend_from_slice(suffix);
            v
        })
}

/// Whether a group holds a superblock backup under sparse_super.
pub fn group_has_super(group: u64) -> bool {
    if group <= 1 {
        return true;
    }
    for base in [3u64, 5, 7] {
        let mut p = base;
        while p < group {
            p *= base;
        }
        if p == group {
            return true;
        }
    }
    false
}

/// Journal length in blocks that mke2fs picks for a file system of this many blocks.
pub fn default_journal_blocks(fs_blocks: u64) -> u64 {
    match fs_blocks {
        0..2048 => 0,
        2048..32768 => 1024,
        32768..262144 => 4096,
        262144..524288 => 8192,
        524288..4194304 => 16384,
        4194304..8388608 => 32768,
        8388608..16777216 => 65536,
        16777216..33554432 => 131072,
        _ => 262144,
    }
}

/// Encodes a timestamp as (`seconds` low 32 bits, `extra` with epoch and nanoseconds).
pub fn encode_time(t: crate::ext4::Timestamp) -> (u32, u32) {
    let lo = t.sec as u32;
    let epoch = ((t.sec - (t.sec as i32 as i64)) >> 32) as u32 & 3;
    (lo, (t.nsec.min(999_999_999) << 2) | epoch)
}

/// Decodes a timestamp from its low 32 bits and its `extra` word.
pub fn decode_time(lo: u32, extra: Option<u32>) -> crate::ext4::Timestamp {
    let base = lo as i32 as i64;
    match extra {
        Some(extra) => crate::ext4::Timestamp {
            sec: base + (((extra & 3) as i64) << 32),
            nsec: (extra >> 2).min(999_999_999),
        },
        None => crate::ext4::Timestamp { sec: base, nsec: 0 },
    }
}

/// Device number encoding in `i_block` (Linux `old_encode_dev` / `new_encode_dev`).
pub fn encode_dev(major: u32, minor: u32) -> (u32, u32) {
    if major < 256 && minor < 256 {
        ((major << 8) | minor, 0)
    } else {
        (
            0,
            (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12),
        )
    }
}

/// Decodes `i_block[0..2]` of a device inode into (major, minor).
pub fn decode_dev(block0: u32, block1: u32) -> (u32, u32) {
    if block0 != 0 {
        ((block0 >> 8) & 0xff, block0 & 0xff)
    } else {
        (
            (block1 & 0xfff00) >> 8,
            (block1 & 0xff) | ((block1 >> 12) & 0xfff00),
        )
    }
}

/// POSIX ACL tags.
const ACL_USER_OBJ: u16 = 1;
const ACL_USER: u16 = 2;
const ACL_GROUP_OBJ: u16 = 4;
const ACL_GROUP: u16 = 8;
const ACL_MASK: u16 = 0x10;
const ACL_OTHER: u16 = 0x20;

/// Converts a POSIX ACL from the Linux xattr format (version 2, 8-byte
/// entries) to ext4's on-disk format (version 1, short entries for the
/// owner/group/mask/other tags). `None` when the value is not a valid ACL.
pub fn acl_to_disk(value: &[u8]) -> Option<Vec<u8>> {
    let (head, body) = value.split_at_checked(4)?;
    if u32::from_le_bytes(head.try_into().ok()?) != 2 || body.len() % 8 != 0 {
        return None;
    }
    let mut out = 1u32.to_le_bytes().to_vec();
    for e in body.chunks_exact(8) {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        out.extend_from_slice(&e[0..4]);
        match tag {
            ACL_USER | ACL_GROUP => out.extend_from_slice(&e[4..8]),
            ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_MASK | ACL_OTHER => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Converts a POSIX ACL from ext4's on-disk format back to the Linux xattr format.
pub fn acl_from_disk(value: &[u8]) -> Option<Vec<u8>> {
    let (head, mut body) = value.split_at_checked(4)?;
    if u32::from_le_bytes(head.try_into().ok()?) != 1 {
        return None;
    }
    let mut out = 2u32.to_le_bytes().to_vec();
    while !body.is_empty() {
        let (short, _) = body.split_at_checked(4)?;
        let tag = u16::from_le_bytes([short[0], short[1]]);
        out.extend_from_slice(short);
        match tag {
            ACL_USER | ACL_GROUP => {
                let id = body.get(4..8)?;
                out.extend_from_slice(id);
                body = &body[8..];
            }
            ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_MASK | ACL_OTHER => {
                out.extend_from_slice(&u32::MAX.to_le_bytes());
                body = &body[4..];
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext4::Timestamp;

    #[test]
    fn backups_live_in_groups_0_1_and_powers_of_3_5_7() {
        let groups: Vec<u64> = (0..60).filter(|&g| group_has_super(g)).collect();
        assert_eq!(groups, vec![0, 1, 3, 5, 7, 9, 25, 27, 49]);
    }

    #[test]
    fn timestamps_past_2038_round_trip_through_the_epoch_bits() {
        for sec in [0i64, -1, 1 << 31, (1 << 32) + 5, -(1 << 31)] {
            let t = Timestamp { sec, nsec: 123 };
            let (lo, extra) = encode_time(t);
            assert_eq!(decode_time(lo, Some(extra)), t, "{sec}");
        }
    }

    #[test]
    fn large_device_numbers_use_the_new_encoding() {
        for (ma, mi) in [(1, 3), (259, 0), (8, 300), (4095, 1 << 19)] {
            let (a, b) = encode_dev(ma, mi);
            assert_eq!(decode_dev(a, b), (ma, mi));
        }
    }

    #[test]
    fn acl_round_trips_between_xattr_and_disk_format() {
        let mut v = 2u32.to_le_bytes().to_vec();
        for (tag, perm, id) in [
            (1u16, 7u16, u32::MAX),
            (2, 5, 1000),
            (4, 5, u32::MAX),
            (0x10, 7, u32::MAX),
            (0x20, 0, u32::MAX),
        ] {
            v.extend_from_slice(&tag.to_le_bytes());
            v.extend_from_slice(&perm.to_le_bytes());
            v.extend_from_slice(&id.to_le_bytes());
        }
        let disk = acl_to_disk(&v).unwrap();
        assert_eq!(disk.len(), 4 + 4 + 8 + 4 + 4 + 4);
        assert_eq!(acl_from_disk(&disk).unwrap(), v);
    }
}
