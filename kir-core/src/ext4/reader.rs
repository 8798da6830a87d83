//! Reads an ext4 image into a [`Tree`].
//!
//! Handles what mke2fs 1.47 makes by default (64bit, metadata_csum, flex_bg,
//! htree directories, extents) plus inline data and ext2/3-style block maps,
//! and verifies every metadata_csum checksum it passes. Every offset, length
//! and count read from the image is checked before use.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use super::format::*;
use super::hash::crc32c_raw;
use super::tree::{DataRun, FileData, InodeId, Metadata, Node, NodeKind, Tree, Xattr};
use crate::{Error, Result};

const FMT: &str = "ext4";

/// Random access to the bytes of an image.
pub trait ReadAt {
    /// Fills `buf` from `offset`; fails when the range is past the end.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()>;
    /// Length of the image in bytes.
    fn len(&self) -> u64;
    /// True for an empty image.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReadAt for &[u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let start = usize::try_from(offset).ok();
        let src = start.and_then(|s| self.get(s..s.checked_add(buf.len())?));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::malformed(
                FMT,
                offset,
                "block",
                "points past the end of the image",
            )),
        }
    }
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
}

impl ReadAt for File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        FileExt::read_exact_at(self, buf, offset)
            .map_err(|_| Error::malformed(FMT, offset, "block", "points past the end of the image"))
    }
    fn len(&self) -> u64 {
        use std::io::{Seek, SeekFrom};
        use std::os::unix::fs::FileTypeExt;
        match self.metadata() {
            // A block device (an ext4 partition) has no length of its own
            // in its metadata; its end is where seeking to the end goes.
            // Reads go by offset, so moving the position is harmless.
            Ok(m) if m.file_type().is_block_device() => {
                let mut f: &File = self;
                f.seek(SeekFrom::End(0)).unwrap_or(0)
            }
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
}

/// Reads the tree of an ext4 image held in memory.
pub fn read_image(image: &[u8]) -> Result<Tree> {
    Reader::new(&image)?.read_tree()
}

/// Reads the tree of an ext4 image through random access (a file).
pub fn read_image_from(src: &dyn ReadAt) -> Result<Tree> {
    Reader::new(src)?.read_tree()
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// Parsed superblock fields the reader needs.
struct Super {
    bs: u64,
    blocks: u64,
    inodes: u64,
    inodes_per_group: u64,
    first_data_block: u64,
    inode_size: usize,
    desc_size: usize,
    groups: u64,
    incompat: u32,
    csum_seed: Option<u32>,
}

struct Group {
    inode_table: u64,
}

struct Reader<'a> {
    src: &'a dyn ReadAt,
    sb: Super,
    groups: Vec<Group>,
    /// Bytes of file data read so far, against a budget that stops images
    /// whose files share blocks from expanding without bound.
    budget: u64,
}

/// A decoded inode.
struct RawInode {
    ino: u32,
    bytes: Vec<u8>,
    mode: u16,
    flags: u32,
    size: u64,
    extra_isize: usize,
    seed: Option<u32>,
}

impl RawInode {
    fn iblock(&self) -> &[u8] {
        self.bytes.get(0x28..0x64).unwrap_or(&[])
    }
}

impl<'a> Reader<'a> {
    fn new(src: &'a dyn ReadAt) -> Result<Self> {
        let mut s = vec![0u8; SUPERBLOCK_SIZE];
        src.read_exact_at(&mut s, SUPERBLOCK_OFFSET).map_err(|_| {
            Error::malformed(FMT, SUPERBLOCK_OFFSET, "superblock", "image too short")
        })?;
        let off = |f: usize| SUPERBLOCK_OFFSET + f as u64;
        if u16_at(&s, 0x38) != SUPER_MAGIC {
            return Err(Error::malformed(
                FMT,
                off(0x38),
                "s_magic",
                "not an ext2/3/4 file system",
            ));
        }
        let log = u32_at(&s, 0x18);
        if log > 6 {
            return Err(Error::malformed(
                FMT,
                off(0x18),
                "s_log_block_size",
                format!("{log}"),
            ));
        }
        let bs = 1024u64 << log;
        let incompat = u32_at(&s, 0x60);
        let ro_compat = u32_at(&s, 0x64);
        let bit64 = incompat & INCOMPAT_64BIT != 0;
        let blocks = u32_at(&s, 0x4) as u64
            | if bit64 {
                (u32_at(&s, 0x150) as u64) << 32
            } else {
                0
            };
        let inodes = u32_at(&s, 0x0) as u64;
        let ipg = u32_at(&s, 0x28) as u64;
        let bpg = u32_at(&s, 0x20) as u64;
        let fdb = u32_at(&s, 0x14) as u64;
        if ipg == 0 || ipg > bs * 8 {
            return Err(Error::malformed(
                FMT,
                off(0x28),
                "s_inodes_per_group",
                format!("{ipg}"),
            ));
        }
        if bpg == 0 || bpg > bs * 8 {
            return Err(Error::malformed(
                FMT,
                off(0x20),
                "s_blocks_per_group",
                format!("{bpg}"),
            ));
        }
        // Truncated images are read as far as they go: reads past the end fail.
        if blocks <= fdb {
            return Err(Error::malformed(
                FMT,
                off(0x4),
                "s_blocks_count",
                format!("{blocks}"),
            ));
        }
        let rev = u32_at(&s, 0x4C);
        let inode_size = if rev == 0 {
            128
        } else {
            u16_at(&s, 0x58) as usize
        };
        if inode_size < 128 || !inode_size.is_power_of_two() || inode_size as u64 > bs {
            return Err(Error::malformed(
                FMT,
                off(0x58),
                "s_inode_size",
                format!("{inode_size}"),
            ));
        }
        let desc_size = if bit64 { u16_at(&s, 0xFE) as usize } else { 32 };
        if !(32..=1024).contains(&desc_size) || !desc_size.is_power_of_two() {
            return Err(Error::malformed(
                FMT,
                off(0xFE),
                "s_desc_size",
                format!("{desc_size}"),
            ));
        }
        let groups = (blocks - fdb).div_ceil(bpg);
        if groups.saturating_mul(ipg) < inodes {
            return Err(Error::malformed(
                FMT,
                off(0x0),
                "s_inodes_count",
                "more inodes than groups hold",
            ));
        }
        if incompat & INCOMPAT_RECOVER != 0 {
            return Err(Error::Unsupported {
                format: FMT,
                reason: "the journal needs recovery (run e2fsck, or mount and unmount cleanly)"
                    .into(),
            });
        }
        let unsupported = [
            (INCOMPAT_JOURNAL_DEV, "external journal device"),
            (INCOMPAT_META_BG, "meta_bg"),
            (INCOMPAT_EA_INODE, "ea_inode"),
            (INCOMPAT_DIRDATA, "dirdata"),
            (INCOMPAT_ENCRYPT, "encryption"),
        ];
        for (bit, name) in unsupported {
            if incompat & bit != 0 {
                return Err(Error::Unsupported {
                    format: FMT,
                    reason: format!("feature {name}"),
                });
            }
        }
        if ro_compat & RO_COMPAT_BIGALLOC != 0 {
            return Err(Error::Unsupported {
                format: FMT,
                reason: "feature bigalloc".into(),
            });
        }
        let csum_seed = if ro_compat & RO_COMPAT_METADATA_CSUM != 0 {
            let want = u32_at(&s, 0x3FC);
            let got = crc32c_raw(!0, &s[..0x3FC]);
            if want != got {
                return Err(Error::malformed(
                    FMT,
                    off(0x3FC),
                    "s_checksum",
                    format!("{want:#010x}, computed {got:#010x}"),
                ));
            }
            Some(if incompat & INCOMPAT_CSUM_SEED != 0 {
                u32_at(&s, 0x270)
            } else {
                crc32c_raw(!0, &s[0x68..0x78])
            })
        } else {
            None
        };
        let sb = Super {
            bs,
            blocks,
            inodes,
            inodes_per_group: ipg,
            first_data_block: fdb,
            inode_size,
            desc_size,
            groups,
            incompat,
            csum_seed,
        };
        let mut r = Reader {
            src,
            sb,
            groups: Vec::new(),
            budget: src.len().saturating_mul(4) + (64 << 20),
        };
        r.read_groups()?;
        Ok(r)
    }

    fn read_groups(&mut self) -> Result<()> {
        let sb = &self.sb;
        let gdt_off = (sb.first_data_block + 1) * sb.bs;
        let len = sb
            .groups
            .checked_mul(sb.desc_size as u64)
            .filter(|&l| l <= self.src.len());
        let Some(len) = len else {
            return Err(Error::malformed(
                FMT,
                gdt_off,
                "group descriptors",
                "larger than the image",
            ));
        };
        let mut gdt = vec![0u8; len as usize];
        self.src.read_exact_at(&mut gdt, gdt_off)?;
        let bit64 = sb.incompat & INCOMPAT_64BIT != 0;
        for (g, d) in gdt.chunks_exact(sb.desc_size).enumerate() {
            let at = gdt_off + (g * sb.desc_size) as u64;
            if let Some(seed) = sb.csum_seed {
                let mut copy = d.to_vec();
                copy[0x1E] = 0;
                copy[0x1F] = 0;
                let c = crc32c_raw(crc32c_raw(seed, &(g as u32).to_le_bytes()), &copy) as u16;
                if c != u16_at(d, 0x1E) {
                    return Err(Error::malformed(
                        FMT,
                        at + 0x1E,
                        "bg_checksum",
                        format!("group {g}: {:#06x}, computed {c:#06x}", u16_at(d, 0x1E)),
                    ));
                }
            }
            let mut table = u32_at(d, 0x8) as u64;
            if bit64 && sb.desc_size >= 64 {
                table |= (u32_at(d, 0x28) as u64) << 32;
            }
            if table == 0 || table >= sb.blocks {
                return Err(Error::malformed(
                    FMT,
                    at + 8,
                    "bg_inode_table",
                    format!("group {g}: block {table}"),
                ));
            }
            self.groups.push(Group { inode_table: table });
        }
        Ok(())
    }

    fn read_block(&self, block: u64, what: &'static str) -> Result<Vec<u8>> {
        if block >= self.sb.blocks {
            return Err(Error::malformed(
                FMT,
                block.saturating_mul(self.sb.bs),
                what,
                format!("block {block} past the end of the file system"),
            ));
        }
        let mut b = vec![0u8; self.sb.bs as usize];
        self.src.read_exact_at(&mut b, block * self.sb.bs)?;
        Ok(b)
    }

    fn inode(&self, ino: u32) -> Result<RawInode> {
        let sb = &self.sb;
        if ino == 0 || ino as u64 > sb.inodes {
            return Err(Error::malformed(
                FMT,
                0,
                "inode",
                format!("inode number {ino} out of range"),
            ));
        }
        let idx = (ino - 1) as u64;
        let g = (idx / sb.inodes_per_group) as usize;
        let table = self.groups.get(g).map(|g| g.inode_table).unwrap_or(0);
        let at = table * sb.bs + (idx % sb.inodes_per_group) * sb.inode_size as u64;
        let mut bytes = vec![0u8; sb.inode_size];
        self.src.read_exact_at(&mut bytes, at)?;
        let extra_isize = if sb.inode_size > 128 {
            u16_at(&bytes, 0x80) as usize
        } else {
            0
        };
        if 128 + extra_isize > sb.inode_size || extra_isize % 4 != 0 {
            return Err(Error::malformed(
                FMT,
                at + 0x80,
                "i_extra_isize",
                format!("inode {ino}: {extra_isize}"),
            ));
        }
        let seed = sb.csum_seed.map(|s| {
            let generation = u32_at(&bytes, 0x64);
            crc32c_raw(crc32c_raw(s, &ino.to_le_bytes()), &generation.to_le_bytes())
        });
        if let Some(seed) = seed {
            let mut copy = bytes.clone();
            copy[0x7C] = 0;
            copy[0x7D] = 0;
            let has_hi = extra_isize >= 4;
            if has_hi {
                copy[0x82] = 0;
                copy[0x83] = 0;
            }
            let c = crc32c_raw(seed, &copy);
            let want = u16_at(&bytes, 0x7C) as u32
                | if has_hi {
                    (u16_at(&bytes, 0x82) as u32) << 16
                } else {
                    0
                };
            let got = if has_hi { c } else { c & 0xFFFF };
            if want != got {
                return Err(Error::malformed(
                    FMT,
                    at + 0x7C,
                    "i_checksum",
                    format!("inode {ino}: {want:#x}, computed {got:#x}"),
                ));
            }
        }
        let mode = u16_at(&bytes, 0);
        let flags = u32_at(&bytes, 0x20);
        let size = u32_at(&bytes, 0x4) as u64 | (u32_at(&bytes, 0x6C) as u64) << 32;
        Ok(RawInode {
            ino,
            bytes,
            mode,
            flags,
            size,
            extra_isize,
            seed,
        })
    }

    fn metadata(&self, i: &RawInode) -> Metadata {
        let b = &i.bytes;
        let has = |field: usize| 128 + i.extra_isize >= field + 4;
        let extra = |field: usize| {
            if has(field) {
                Some(u32_at(b, field))
            } else {
                None
            }
        };
        Metadata {
            perm: i.mode & 0o7777,
            uid: u16_at(b, 0x2) as u32 | (u16_at(b, 0x78) as u32) << 16,
            gid: u16_at(b, 0x18) as u32 | (u16_at(b, 0x7A) as u32) << 16,
            atime: decode_time(u32_at(b, 0x8), extra(0x8C)),
            ctime: decode_time(u32_at(b, 0xC), extra(0x84)),
            mtime: decode_time(u32_at(b, 0x10), extra(0x88)),
            crtime: if has(0x90) {
                decode_time(u32_at(b, 0x90), extra(0x94))
            } else {
                Default::default()
            },
        }
    }

    /// Physical extents of an inode: (logical block, physical block, length, initialised).
    fn extents(&self, i: &RawInode) -> Result<Vec<(u64, u64, u64, bool)>> {
        let mut out = Vec::new();
        if i.flags & EXTENTS_FL != 0 {
            self.extent_node(i, i.iblock(), 0, true, &mut out)?;
        } else {
            self.block_map(i, &mut out)?;
        }
        Ok(out)
    }

    fn extent_node(
        &self,
        i: &RawInode,
        node: &[u8],
        level: u32,
        in_inode: bool,
        out: &mut Vec<(u64, u64, u64, bool)>,
    ) -> Result<()> {
        let ino = i.ino;
        let bad = |field: &'static str, reason: String| {
            Error::malformed(FMT, 0, field, format!("inode {ino}: {reason}"))
        };
        if u16_at(node, 0) != EXTENT_MAGIC {
            return Err(bad("eh_magic", "extent header magic missing".into()));
        }
        let entries = u16_at(node, 2) as usize;
        let max = u16_at(node, 4) as usize;
        let depth = u16_at(node, 6);
        if entries > max || 12 + max * 12 > node.len() || depth > 5 || level > 5 {
            return Err(bad(
                "eh_entries",
                format!("{entries} entries, max {max}, depth {depth}"),
            ));
        }
        if !in_inode {
            if let Some(seed) = i.seed {
                let t = 12 + max * 12;
                if t + 4 <= node.len() {
                    let c = crc32c_raw(seed, &node[..t]);
                    if c != u32_at(node, t) {
                        return Err(bad(
                            "et_checksum",
                            format!(
                                "extent block checksum {:#x}, computed {c:#x}",
                                u32_at(node, t)
                            ),
                        ));
                    }
                }
            }
        }
        for e in 0..entries {
            let at = 12 + e * 12;
            let logical = u32_at(node, at) as u64;
            if depth == 0 {
                let raw_len = u16_at(node, at + 4) as u64;
                let (len, init) = if raw_len > EXTENT_MAX_LEN as u64 {
                    (raw_len - EXTENT_MAX_LEN as u64, false)
                } else {
                    (raw_len, true)
                };
                let phys = u32_at(node, at + 8) as u64 | (u16_at(node, at + 6) as u64) << 32;
                if phys.saturating_add(len) > self.sb.blocks {
                    return Err(bad(
                        "ee_start",
                        format!("extent at block {phys} of {len} blocks past the end"),
                    ));
                }
                out.push((logical, phys, len, init));
            } else {
                let leaf = u32_at(node, at + 4) as u64 | (u16_at(node, at + 8) as u64) << 32;
                let block = self.read_block(leaf, "ei_leaf")?;
                self.extent_node(i, &block, level + 1, false, out)?;
            }
        }
        Ok(())
    }

    /// ext2/ext3 block map: 12 direct, then single, double and triple indirect.
    fn block_map(&self, i: &RawInode, out: &mut Vec<(u64, u64, u64, bool)>) -> Result<()> {
        let ib = i.iblock();
        let per = self.sb.bs / 4;
        let nblocks = i.size.div_ceil(self.sb.bs);
        let mut push = |logical: u64, phys: u64| {
            if phys != 0 && logical < nblocks {
                match out.last_mut() {
                    Some((l, p, n, _)) if *l + *n == logical && *p + *n == phys => *n += 1,
                    _ => out.push((logical, phys, 1, true)),
                }
            }
        };
        for k in 0..12 {
            push(k as u64, u32_at(ib, k * 4) as u64);
        }
        let mut logical = 12u64;
        for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
            let span = per.pow(level);
            let root = u32_at(ib, slot * 4) as u64;
            if root != 0 && logical < nblocks {
                self.indirect(root, level, logical, &mut push)?;
            }
            logical += span;
        }
        Ok(())
    }

    fn indirect(
        &self,
        block: u64,
        level: u32,
        first: u64,
        push: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        let b = self.read_block(block, "indirect block")?;
        let per = self.sb.bs / 4;
        let span = per.pow(level - 1);
        for k in 0..per as usize {
            let p = u32_at(&b, k * 4) as u64;
            if p == 0 {
                continue;
            }
            let logical = first + k as u64 * span;
            if level == 1 {
                push(logical, p);
            } else {
                self.indirect(p, level - 1, logical, push)?;
            }
        }
        Ok(())
    }

    /// The data of an inode as runs (holes and unwritten extents left out).
    fn data_runs(&mut self, i: &RawInode) -> Result<Vec<DataRun>> {
        let bs = self.sb.bs;
        let mut runs: Vec<DataRun> = Vec::new();
        let mut extents = self.extents(i)?;
        extents.sort_by_key(|e| e.0);
        for (logical, phys, len, init) in extents {
            if !init {
                continue;
            }
            let start = logical.saturating_mul(bs);
            if start >= i.size {
                continue;
            }
            let n = (len * bs).min(i.size - start);
            if n > self.budget {
                return Err(Error::malformed(
                    FMT,
                    phys * bs,
                    "extent",
                    format!("inode {}: more file data than the image can hold", i.ino),
                ));
            }
            self.budget -= n;
            let mut data = vec![0u8; n as usize];
            self.src.read_exact_at(&mut data, phys * bs)?;
            match runs.last_mut() {
                Some(r) if r.offset + r.data.len() as u64 == start => {
                    r.data.extend_from_slice(&data)
                }
                Some(r) if r.offset + r.data.len() as u64 > start => {
                    return Err(Error::malformed(
                        FMT,
                        phys * bs,
                        "extent",
                        format!("inode {}: overlapping extents", i.ino),
                    ));
                }
                _ => runs.push(DataRun {
                    offset: start,
                    data,
                }),
            }
        }
        Ok(runs)
    }

    /// Extended attributes, in-inode then block. `system.data` (inline data)
    /// is returned separately.
    fn xattrs(&self, i: &RawInode) -> Result<(Vec<Xattr>, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        let mut inline = None;
        let ibody = 128 + i.extra_isize;
        if i.extra_isize > 0 && u32_at(&i.bytes, ibody) == XATTR_MAGIC {
            let region = i.bytes.get(ibody + 4..).unwrap_or(&[]);
            self.xattr_entries(i.ino, region, 0, region, &mut out, &mut inline)?;
        }
        let mut acl_block = u32_at(&i.bytes, 0x68) as u64;
        if self.sb.incompat & INCOMPAT_64BIT != 0 {
            acl_block |= (u16_at(&i.bytes, 0x76) as u64) << 32;
        }
        if acl_block != 0 {
            let b = self.read_block(acl_block, "i_file_acl")?;
            if u32_at(&b, 0) != XATTR_MAGIC {
                return Err(Error::malformed(
                    FMT,
                    acl_block * self.sb.bs,
                    "h_magic",
                    format!("inode {}: xattr block magic", i.ino),
                ));
            }
            if let Some(seed) = self.sb.csum_seed {
                let mut copy = b.clone();
                copy[0x10..0x14].copy_from_slice(&[0; 4]);
                let c = crc32c_raw(crc32c_raw(seed, &acl_block.to_le_bytes()), &copy);
                if c != u32_at(&b, 0x10) {
                    return Err(Error::malformed(
                        FMT,
                        acl_block * self.sb.bs + 0x10,
                        "h_checksum",
                        format!("inode {}: xattr block checksum", i.ino),
                    ));
                }
            }
            self.xattr_entries(i.ino, &b, 32, &b, &mut out, &mut inline)?;
        }
        Ok((out, inline))
    }

    fn xattr_entries(
        &self,
        ino: u32,
        entries: &[u8],
        mut at: usize,
        values: &[u8],
        out: &mut Vec<Xattr>,
        inline: &mut Option<Vec<u8>>,
    ) -> Result<()> {
        let bad = |reason: &str| {
            Error::malformed(FMT, 0, "xattr entry", format!("inode {ino}: {reason}"))
        };
        loop {
            if at + 4 > entries.len() {
                return Err(bad("entry list not terminated"));
            }
            if u32_at(entries, at) == 0 {
                return Ok(());
            }
            let name_len = entries[at] as usize;
            let index = entries.get(at + 1).copied().unwrap_or(0);
            let value_offs = u16_at(entries, at + 2) as usize;
            let value_inum = u32_at(entries, at + 4);
            let value_size = u32_at(entries, at + 8) as usize;
            let name = entries
                .get(at + 16..at + 16 + name_len)
                .ok_or_else(|| bad("name past the end"))?;
            if value_inum != 0 {
                return Err(Error::Unsupported {
                    format: FMT,
                    reason: format!("inode {ino}: xattr value in an inode (ea_inode)"),
                });
            }
            let value = values
                .get(value_offs..value_offs + value_size)
                .ok_or_else(|| bad("value past the end"))?;
            if index == 7 && name == b"data" {
                *inline = Some(value.to_vec());
            } else {
                let full = xattr_join(index, name)
                    .ok_or_else(|| bad(&format!("unknown name index {index}")))?;
                let value = if index == 2 || index == 3 {
                    acl_from_disk(value).ok_or_else(|| bad("malformed POSIX ACL"))?
                } else {
                    value.to_vec()
                };
                out.push(Xattr { name: full, value });
            }
            at += (16 + name_len + 3) & !3;
        }
    }

    /// Bytes of a directory or inline file: block data or inline data.
    fn inline_bytes(&self, i: &RawInode, system_data: Option<&[u8]>) -> Vec<u8> {
        let mut v = i.iblock().to_vec();
        if let Some(more) = system_data {
            v.extend_from_slice(more);
        }
        v
    }

    fn dir_entries(
        &mut self,
        i: &RawInode,
        system_data: Option<&[u8]>,
    ) -> Result<Vec<(Vec<u8>, u32)>> {
        let mut out = Vec::new();
        if i.flags & INLINE_DATA_FL != 0 {
            // i_block: 4-byte parent inode, then entries; system.data holds more entries.
            let ib = i.iblock();
            parse_dirents(i.ino, ib.get(4..).unwrap_or(&[]), None, &mut out)?;
            if let Some(more) = system_data {
                parse_dirents(i.ino, more, None, &mut out)?;
            }
            return Ok(out);
        }
        let bs = self.sb.bs as usize;
        let csum = i.seed;
        for run in self.data_runs(i)? {
            for block in run.data.chunks(bs) {
                let tail_ok = block.len() == bs
                    && u16_at(block, bs - 8) == 12
                    && block[bs - 5] == 0xDE
                    && u32_at(block, bs - 12) == 0;
                let body = if tail_ok {
                    if let Some(seed) = csum {
                        let c = crc32c_raw(seed, &block[..bs - 12]);
                        if c != u32_at(block, bs - 4) {
                            return Err(Error::malformed(
                                FMT,
                                run.offset,
                                "det_checksum",
                                format!("directory inode {}: leaf checksum", i.ino),
                            ));
                        }
                    }
                    &block[..bs - 12]
                } else {
                    block
                };
                parse_dirents(i.ino, body, Some(bs), &mut out)?;
            }
        }
        Ok(out)
    }

    fn read_tree(mut self) -> Result<Tree> {
        let root_raw = self.inode(ROOT_INO)?;
        if root_raw.mode & 0o170000 != 0o040000 {
            return Err(Error::malformed(
                FMT,
                0,
                "i_mode",
                "root inode is not a directory",
            ));
        }
        let mut tree = Tree::new(self.metadata(&root_raw));
        let (xattrs, _) = self.xattrs(&root_raw)?;
        if let Some(n) = tree.node_mut(tree.root()) {
            n.xattrs = xattrs;
        }
        let mut ids: HashMap<u32, InodeId> = HashMap::from([(ROOT_INO, tree.root())]);
        let mut queue = vec![(root_raw, tree.root())];
        let mut dirs_seen = 1u64;
        while let Some((raw, dir_id)) = queue.pop() {
            let (_, system_data) = self.xattrs(&raw)?;
            let entries = self.dir_entries(&raw, system_data.as_deref())?;
            let mut children = std::collections::BTreeMap::new();
            for (name, ino) in entries {
                if name == b"." || name == b".." {
                    continue;
                }
                if let Some(&id) = ids.get(&ino) {
                    if tree.dir_entries(id).is_some() {
                        return Err(Error::malformed(
                            FMT,
                            0,
                            "directory entry",
                            format!("directory inode {ino} is linked twice"),
                        ));
                    }
                    children.insert(name, id);
                    continue;
                }
                let child = self.inode(ino)?;
                let meta = self.metadata(&child);
                let (xattrs, system_data) = self.xattrs(&child)?;
                let kind = match child.mode & 0o170000 {
                    0o040000 => {
                        dirs_seen += 1;
                        if dirs_seen > self.sb.inodes {
                            return Err(Error::malformed(
                                FMT,
                                0,
                                "directory entry",
                                "more directories than inodes",
                            ));
                        }
                        NodeKind::empty_dir()
                    }
                    0o100000 => NodeKind::File(self.file_data(&child, system_data.as_deref())?),
                    0o120000 => NodeKind::Symlink(self.symlink(&child, system_data.as_deref())?),
                    0o020000 | 0o060000 => {
                        let (major, minor) =
                            decode_dev(u32_at(child.iblock(), 0), u32_at(child.iblock(), 4));
                        if child.mode & 0o170000 == 0o020000 {
                            NodeKind::CharDevice { major, minor }
                        } else {
                            NodeKind::BlockDevice { major, minor }
                        }
                    }
                    0o010000 => NodeKind::Fifo,
                    0o140000 => NodeKind::Socket,
                    other => {
                        return Err(Error::malformed(
                            FMT,
                            0,
                            "i_mode",
                            format!("inode {ino}: file type {other:o}"),
                        ));
                    }
                };
                let is_dir = matches!(kind, NodeKind::Dir(_));
                let id = tree.add_node(Node { kind, meta, xattrs });
                ids.insert(ino, id);
                children.insert(name, id);
                if is_dir {
                    queue.push((child, id));
                }
            }
            if let Some(Node {
                kind: NodeKind::Dir(map),
                ..
            }) = tree.node_mut(dir_id)
            {
                *map = children;
            }
        }
        Ok(tree)
    }

    fn file_data(&mut self, i: &RawInode, system_data: Option<&[u8]>) -> Result<FileData> {
        if i.flags & INLINE_DATA_FL != 0 {
            let mut v = self.inline_bytes(i, system_data);
            if (v.len() as u64) < i.size {
                return Err(Error::malformed(
                    FMT,
                    0,
                    "i_size",
                    format!("inode {}: size past inline data", i.ino),
                ));
            }
            v.truncate(i.size as usize);
            return Ok(FileData::from_bytes(v));
        }
        let runs = self.data_runs(i)?;
        FileData::sparse(i.size, runs)
    }

    fn symlink(&mut self, i: &RawInode, system_data: Option<&[u8]>) -> Result<Vec<u8>> {
        let size = i.size as usize;
        if i.flags & INLINE_DATA_FL != 0 {
            let v = self.inline_bytes(i, system_data);
            return v.get(..size).map(<[u8]>::to_vec).ok_or_else(|| {
                Error::malformed(
                    FMT,
                    0,
                    "i_size",
                    format!("symlink inode {}: size past inline data", i.ino),
                )
            });
        }
        // A fast symlink owns no blocks besides its xattr block (the kernel's rule).
        let blocks = u32_at(&i.bytes, 0x1C) as u64 | (u16_at(&i.bytes, 0x74) as u64) << 32;
        let ea_blocks = if u32_at(&i.bytes, 0x68) != 0 {
            self.sb.bs / 512
        } else {
            0
        };
        if blocks == ea_blocks && size < 60 {
            return i
                .iblock()
                .get(..size)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| Error::malformed(FMT, 0, "i_size", "symlink size"));
        }
        if i.size >= self.sb.bs {
            return Err(Error::malformed(
                FMT,
                0,
                "i_size",
                format!("symlink inode {}: {} bytes", i.ino, i.size),
            ));
        }
        let mut v = FileData::sparse(i.size, self.data_runs(i)?)?.to_vec()?;
        v.truncate(size);
        Ok(v)
    }
}

/// Parses directory entries in `buf`; each entry must fit its block.
fn parse_dirents(
    ino: u32,
    buf: &[u8],
    _block_size: Option<usize>,
    out: &mut Vec<(Vec<u8>, u32)>,
) -> Result<()> {
    let mut at = 0usize;
    while at + 8 <= buf.len() {
        let child = u32_at(buf, at);
        let rec_len = u16_at(buf, at + 4) as usize;
        let rec_len = if rec_len == 0 && buf.len() == 65536 {
            65536
        } else {
            rec_len
        };
        let name_len = buf[at + 6] as usize;
        if rec_len < 8 || rec_len % 4 != 0 || at + rec_len > buf.len() || 8 + name_len > rec_len {
            return Err(Error::malformed(
                FMT,
                at as u64,
                "rec_len",
                format!(
                    "directory inode {ino}: entry at {at} has rec_len {rec_len}, name_len {name_len}"
                ),
            ));
        }
        if child != 0 && name_len > 0 {
            let name = &buf[at + 8..at + 8 + name_len];
            if name.contains(&b'/') || name.contains(&0) {
                return Err(Error::malformed(
                    FMT,
                    at as u64,
                    "name",
                    format!("directory inode {ino}: name contains '/' or NUL"),
                ));
            }
            out.push((name.to_vec(), child));
        }
        at += rec_len;
    }
    Ok(())
}
