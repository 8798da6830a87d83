//! Builds an ext4 image from a [`Tree`].
//!
//! The image is planned completely in memory (inode numbers, directory
//! blocks, block allocation), then written in one pass with seeks. Blocks
//! that hold only zeros (unused inode table slots, the journal body, holes)
//! are never written, so a fresh output file stays sparse on disk.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};

use super::format::*;
use super::hash::{crc32c_raw, dx_hash_half_md4, xattr_block_hash, xattr_entry_hash};
use super::tree::{
    FileData, InodeId, Metadata, Node, NodeKind, SourceFile, Stored, Timestamp, Tree,
};
use crate::{Error, Result};

/// Which ext4 feature set to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// has_journal, ext_attr, dir_index, filetype, extent, flex_bg,
    /// sparse_super, large_file, huge_file, dir_nlink, extra_isize: readable
    /// by every ext4 kernel and by U-Boot's and GRUB's ext4 code.
    #[default]
    Compat,
    /// `compat` plus 64bit and metadata_csum, as mke2fs 1.47 makes by default.
    Debian,
}

impl Profile {
    /// Parses `compat` or `debian`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "compat" => Ok(Profile::Compat),
            "debian" => Ok(Profile::Debian),
            _ => Err(Error::invalid_argument(
                "--profile",
                format!("unknown ext4 profile {name:?} (expected compat or debian)"),
            )),
        }
    }

    fn metadata_csum(self) -> bool {
        self == Profile::Debian
    }

    fn bit64(self) -> bool {
        self == Profile::Debian
    }
}

/// How to build the image. `Default` gives a `compat` image sized to fit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// Feature set.
    pub profile: Profile,
    /// 1024 or 4096; `None` follows mke2fs: 1024 below 512 MiB, else 4096.
    pub block_size: Option<u32>,
    /// Image size in bytes; `None` sizes it from the content plus `slack_bytes`.
    pub size_bytes: Option<u64>,
    /// Free space to leave when the size is derived from the content.
    pub slack_bytes: u64,
    /// Bytes per inode; `None` follows mke2fs (4096 with 1 KiB blocks, else 16384).
    /// More inodes are made when the tree needs them.
    pub inode_ratio: Option<u32>,
    /// Percentage of blocks reserved for root (mke2fs `-m`, default 5).
    pub reserved_percent: Option<u8>,
    /// Volume label, at most 16 bytes.
    pub label: Vec<u8>,
    /// File system UUID; `None` derives one from the tree.
    pub uuid: Option<[u8; 16]>,
    /// Directory hash seed; `None` derives one from the tree.
    pub hash_seed: Option<[u8; 16]>,
    /// File system timestamps (mkfs, write, check) and times of the inodes
    /// the writer creates itself; `None` uses the newest mtime in the tree.
    pub timestamp: Option<i64>,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Length of the image in bytes.
    pub size_bytes: u64,
    /// Block size in bytes.
    pub block_size: u32,
    /// Blocks in the file system.
    pub blocks_count: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Inodes in the file system.
    pub inodes_count: u32,
    /// Free inodes.
    pub free_inodes: u32,
    /// File system UUID.
    pub uuid: [u8; 16],
}

/// Builds the image in memory. Convenient for small trees and tests.
pub fn build_image(tree: &Tree, opts: &Options) -> Result<Vec<u8>> {
    let mut cur = std::io::Cursor::new(Vec::new());
    write_image(tree, opts, &mut cur)?;
    Ok(cur.into_inner())
}

/// Writes the image of `tree` to `out`, which must read as zeros where
/// nothing is written (a new or truncated file, an empty buffer).
pub fn write_image<W: Write + Seek>(tree: &Tree, opts: &Options, out: &mut W) -> Result<ImageInfo> {
    write_image_to(tree, opts, &mut Plain(out))
}

/// [`write_image`] into an output that may copy file data kept in a
/// [`SourceFile`] itself (a file asks the kernel to).
pub(crate) fn write_image_to<O: ImageOut>(
    tree: &Tree,
    opts: &Options,
    out: &mut O,
) -> Result<ImageInfo> {
    let plan = Plan::new(tree, opts)?;
    let layout = plan.fit(opts)?;
    let mut merged = Coalesce::new(out);
    let info = plan.emit(&layout, &mut merged)?;
    merged.finish(info.size_bytes)?;
    // Data copied from a tarball that was written to meanwhile is not the
    // data the spans, checksums and UUID were taken from.
    tree.check_sources_unchanged()?;
    Ok(info)
}

/// Where the writer puts an image: a seekable writer that can also copy
/// bytes out of a [`SourceFile`] to its current position.
pub(crate) trait ImageOut: Write + Seek {
    /// Copies `len` bytes at `at` of `src` to the current position and
    /// moves past them. By default through a buffer.
    fn copy_from(&mut self, src: &SourceFile, at: u64, len: u64) -> Result<()> {
        copy_through_buffer(self, src, at, len)
    }
}

/// Reads `len` bytes at `at` of `src` in slices of at most 1 MiB and writes
/// them to `out`.
pub(crate) fn copy_through_buffer<W: Write + ?Sized>(
    out: &mut W,
    src: &SourceFile,
    mut at: u64,
    len: u64,
) -> Result<()> {
    let mut buf = vec![0u8; len.min(1 << 20) as usize];
    let end = at + len;
    while at < end {
        let n = (end - at).min(buf.len() as u64) as usize;
        src.read_at(&mut buf[..n], at)?;
        out.write_all(&buf[..n])
            .map_err(|e| Error::io("ext4 image", e))?;
        at += n as u64;
    }
    Ok(())
}

/// Any seekable writer, copying source data through a buffer.
struct Plain<'w, W: Write + Seek>(&'w mut W);

impl<W: Write + Seek> Write for Plain<'_, W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + Seek> Seek for Plain<'_, W> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

impl<W: Write + Seek> ImageOut for Plain<'_, W> {}

/// Turns the writer's many small positioned writes (inodes, directory
/// blocks, files laid out one after another) into few large ones: a write
/// that starts where the pending one ends is appended, and so is one that
/// starts a little past it (a gap of less than [`Coalesce::GAP`] bytes filled
/// with zeros) when nothing was ever written beyond the pending end, so the
/// gap is known to be still zero. Anything else flushes first. Large writes
/// go straight through without being copied.
struct Coalesce<'w, W: ImageOut> {
    out: &'w mut W,
    /// Where the next write goes.
    pos: u64,
    /// Offset of `buf` in the output.
    start: u64,
    buf: Vec<u8>,
    /// End of the furthest write so far: bytes past it are still zero.
    high: u64,
}

impl<'w, W: ImageOut> Coalesce<'w, W> {
    const GAP: u64 = 16 << 10;
    const DIRECT: usize = 1 << 20;
    const CAPACITY: usize = 4 << 20;

    fn new(out: &'w mut W) -> Self {
        Coalesce {
            out,
            pos: 0,
            start: 0,
            buf: Vec::with_capacity(Self::CAPACITY),
            high: 0,
        }
    }

    fn flush_pending(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.out.seek(SeekFrom::Start(self.start))?;
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is pending and makes the output `len` bytes long: when
    /// its last block is a hole, a zero byte at its very end, past
    /// everything written (never over a block that holds data).
    fn finish(mut self, len: u64) -> Result<()> {
        let io = |e| Error::io("ext4 image", e);
        if self.high < len {
            self.seek(SeekFrom::Start(len - 1)).map_err(io)?;
            self.write_all(&[0]).map_err(io)?;
        }
        self.flush_pending().map_err(io)?;
        self.out.flush().map_err(io)
    }

    /// Makes room for `n` bytes at the current position: the slice of the
    /// pending buffer to fill, or `None` when they are to go straight to the
    /// output, which is then flushed and positioned for them.
    fn room(&mut self, n: usize) -> std::io::Result<Option<&mut [u8]>> {
        let end = self.start + self.buf.len() as u64;
        let appendable = !self.buf.is_empty()
            && self.pos >= end
            && (self.pos == end || (end >= self.high && self.pos - end < Self::GAP))
            && self.buf.len() + n <= Self::CAPACITY;
        if appendable {
            let gap = (self.pos - end) as usize;
            self.buf.resize(self.buf.len() + gap, 0);
        } else {
            self.flush_pending()?;
            if n >= Self::DIRECT {
                self.out.seek(SeekFrom::Start(self.pos))?;
                return Ok(None);
            }
            self.start = self.pos;
        }
        let at = self.buf.len();
        self.buf.resize(at + n, 0);
        Ok(Some(&mut self.buf[at..]))
    }

    fn advance(&mut self, n: u64) {
        self.pos += n;
        self.high = self.high.max(self.pos);
    }
}

impl<W: ImageOut> Write for Coalesce<'_, W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self.room(data.len())? {
            Some(dst) => dst.copy_from_slice(data),
            None => self.out.write_all(data)?,
        }
        self.advance(data.len() as u64);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_pending()?;
        self.out.flush()
    }
}

impl<W: ImageOut> ImageOut for Coalesce<'_, W> {
    fn copy_from(&mut self, src: &SourceFile, at: u64, len: u64) -> Result<()> {
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        match self.room(n).map_err(|e| Error::io("ext4 image", e))? {
            Some(dst) => src.read_at(dst, at)?,
            None => self.out.copy_from(src, at, len)?,
        }
        self.advance(len);
        Ok(())
    }
}

impl<W: ImageOut> Seek for Coalesce<'_, W> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        match to {
            SeekFrom::Start(p) => self.pos = p,
            other => {
                self.flush_pending()?;
                self.out.seek(SeekFrom::Start(self.pos))?;
                self.pos = self.out.seek(other)?;
            }
        }
        Ok(self.pos)
    }
}

// ---------------------------------------------------------------------------
// Planning: inode numbers, directory contents, xattrs.

/// An extended attribute as stored: name index, name suffix, value.
type DiskXattr = (u8, Vec<u8>, Vec<u8>);

/// Where an inode's data comes from.
enum Data<'t> {
    None,
    File(&'t FileData),
    Bytes(Vec<u8>),
    /// The journal: only its first block (the jbd2 superblock) is non-zero.
    Journal,
}

struct PlannedInode<'t> {
    ino: u32,
    mode: u16,
    meta: Metadata,
    links: u16,
    flags: u32,
    size: u64,
    data: Data<'t>,
    /// Logical block ranges (start, count) that need blocks.
    ranges: Vec<(u64, u64)>,
    /// `i_block` for inodes without extents (fast symlinks, devices).
    raw_iblock: Option<[u8; 60]>,
    /// Extended attributes in disk form: (index, suffix, value).
    xattrs: Vec<DiskXattr>,
    xattr_in_block: bool,
    is_dir: bool,
}

struct Plan<'t> {
    bs: u64,
    profile: Profile,
    csum_seed: u32,
    uuid: [u8; 16],
    hash_seed: [u32; 4],
    time: Timestamp,
    label: [u8; 16],
    inodes: Vec<PlannedInode<'t>>,
    ratio: u64,
    reserved_percent: u64,
    requested_size: Option<u64>,
}

fn file_type(kind: &NodeKind) -> u8 {
    match kind {
        NodeKind::File(_) => FT_REG,
        NodeKind::Dir(_) => FT_DIR,
        NodeKind::Symlink(_) => FT_SYMLINK,
        NodeKind::CharDevice { .. } => FT_CHR,
        NodeKind::BlockDevice { .. } => FT_BLK,
        NodeKind::Fifo => FT_FIFO,
        NodeKind::Socket => FT_SOCK,
    }
}

/// 128 bits derived from the tree: paths, metadata and content checksums.
fn tree_digest(tree: &Tree) -> [u8; 16] {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    let mut feed = |bytes: &[u8]| {
        for &x in bytes {
            a = (a ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
            b = (b ^ x as u64)
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    };
    for (path, id) in tree.walk() {
        feed(&path);
        if let Some(node) = tree.node(id) {
            feed(&node.mode().to_le_bytes());
            feed(&node.meta.uid.to_le_bytes());
            feed(&node.meta.gid.to_le_bytes());
            feed(&node.meta.mtime.sec.to_le_bytes());
            match &node.kind {
                NodeKind::File(f) => {
                    feed(&f.size().to_le_bytes());
                    match f.stored() {
                        Stored::Memory(runs) => {
                            for run in runs {
                                feed(&crc32c::crc32c(&run.data).to_le_bytes());
                            }
                        }
                        Stored::Source(_, spans) => {
                            for span in spans {
                                feed(&span.crc32c.to_le_bytes());
                            }
                        }
                    }
                }
                NodeKind::Symlink(t) => feed(t),
                _ => {}
            }
        }
    }
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// Turns 16 bytes into a version-4-style UUID, tagged by `salt` so that the
/// UUID and the hash seed differ.
fn derive_uuid(digest: &[u8; 16], salt: u8) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut state = crc32c_raw(salt as u32, digest);
    for chunk in out.chunks_mut(4) {
        state = crc32c_raw(state, digest);
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    out[6] = (out[6] & 0x0f) | 0x40;
    out[8] = (out[8] & 0x3f) | 0x80;
    out
}

fn round4(n: usize) -> usize {
    (n + 3) & !3
}

fn encode_xattrs(node: &Node, path: &[u8]) -> Result<Vec<DiskXattr>> {
    let mut out = Vec::with_capacity(node.xattrs.len());
    for x in &node.xattrs {
        let Some((index, suffix)) = xattr_split(&x.name) else {
            return Err(Error::Unsupported {
                format: "ext4",
                reason: format!(
                    "{}: extended attribute {:?} is in a namespace ext4 cannot store",
                    String::from_utf8_lossy(path),
                    String::from_utf8_lossy(&x.name)
                ),
            });
        };
        if suffix.len() > 255 {
            return Err(Error::invalid_argument(
                String::from_utf8_lossy(path).into_owned(),
                "extended attribute name longer than 255 bytes",
            ));
        }
        let value = if index == 2 || index == 3 {
            acl_to_disk(&x.value).ok_or_else(|| Error::Check {
                input: String::from_utf8_lossy(path).into_owned(),
                reason: format!(
                    "{} is not a POSIX ACL in xattr format",
                    String::from_utf8_lossy(&x.name)
                ),
            })?
        } else {
            x.value.clone()
        };
        out.push((index, suffix.to_vec(), value));
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    Ok(out)
}

/// Space the entries and values of these attributes need (without headers).
fn xattr_space(xattrs: &[DiskXattr]) -> usize {
    xattrs
        .iter()
        .map(|(_, n, v)| round4(16 + n.len()) + round4(v.len()))
        .sum::<usize>()
        + 4
}

const INODE_XATTR_SPACE: usize = INODE_SIZE - INODE_XATTR_OFFSET - 4;

/// Logical block ranges holding a file's runs.
fn file_ranges(f: &FileData, bs: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (offset, len) in f.extents() {
        let first = offset / bs;
        let end = (offset + len).div_ceil(bs);
        match out.last_mut() {
            Some((s, n)) if *s + *n >= first => *n = (*n).max(end - *s),
            _ => out.push((first, end - first)),
        }
    }
    out
}

struct DirEntry<'a> {
    name: &'a [u8],
    ino: u32,
    ft: u8,
}

fn put_dirent(block: &mut [u8], off: usize, ino: u32, rec_len: usize, name: &[u8], ft: u8) {
    block[off..off + 4].copy_from_slice(&ino.to_le_bytes());
    block[off + 4..off + 6].copy_from_slice(&(rec_len as u16).to_le_bytes());
    block[off + 6] = name.len() as u8;
    block[off + 7] = ft;
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

impl<'t> Plan<'t> {
    fn new(tree: &'t Tree, opts: &Options) -> Result<Self> {
        if opts.label.len() > 16 {
            return Err(Error::invalid_argument("label", "longer than 16 bytes"));
        }
        if let Some(bs) = opts.block_size {
            if bs != 1024 && bs != 4096 {
                return Err(Error::invalid_argument(
                    "block size",
                    format!("{bs} (expected 1024 or 4096)"),
                ));
            }
        }
        if let Some(r) = opts.inode_ratio {
            if !(1024..=67_108_864).contains(&r) {
                return Err(Error::invalid_argument(
                    "inode ratio",
                    format!("{r} out of range"),
                ));
            }
        }
        let reserved_percent = opts.reserved_percent.unwrap_or(5) as u64;
        if reserved_percent > 50 {
            return Err(Error::invalid_argument(
                "reserved blocks",
                "more than 50 percent",
            ));
        }

        let walk = tree.walk();
        // A directory entry holds its name length in one byte: a longer
        // name would be cut to its length modulo 256 without a word.
        if let Some((path, _)) = walk.iter().find(|(path, _)| {
            path.rsplit(|&b| b == b'/')
                .next()
                .is_some_and(|name| name.len() > 255)
        }) {
            return Err(Error::invalid_argument(
                String::from_utf8_lossy(path).into_owned(),
                "a name longer than 255 bytes, the most ext4 allows",
            ));
        }
        let time = Timestamp::from_secs(opts.timestamp.unwrap_or_else(|| {
            walk.iter()
                .filter_map(|(_, id)| tree.node(*id))
                .map(|n| n.meta.mtime.sec)
                .max()
                .unwrap_or(0)
        }));

        let bs = match (opts.block_size, opts.size_bytes) {
            (Some(bs), _) => bs as u64,
            (None, Some(size)) => {
                if size < 512 << 20 {
                    1024
                } else {
                    4096
                }
            }
            (None, None) => {
                let estimate = tree.content_bytes() + opts.slack_bytes + walk.len() as u64 * 1024;
                if estimate < 400 << 20 { 1024 } else { 4096 }
            }
        };
        let ratio =
            opts.inode_ratio
                .map(u64::from)
                .unwrap_or(if bs == 1024 { 4096 } else { 16384 });

        let digest = tree_digest(tree);
        let uuid = opts.uuid.unwrap_or_else(|| derive_uuid(&digest, 1));
        let seed_bytes = opts.hash_seed.unwrap_or_else(|| derive_uuid(&digest, 2));
        let mut hash_seed = [0u32; 4];
        for (w, c) in hash_seed.iter_mut().zip(seed_bytes.chunks_exact(4)) {
            *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        let mut label = [0u8; 16];
        label[..opts.label.len()].copy_from_slice(&opts.label);

        let mut plan = Plan {
            bs,
            profile: opts.profile,
            csum_seed: crc32c_raw(!0, &uuid),
            uuid,
            hash_seed,
            time,
            label,
            inodes: Vec::new(),
            ratio,
            reserved_percent,
            requested_size: opts.size_bytes,
        };
        plan.plan_inodes(tree, &walk)?;
        Ok(plan)
    }

    fn inode_seed(&self, ino: u32) -> u32 {
        let s = crc32c_raw(self.csum_seed, &ino.to_le_bytes());
        crc32c_raw(s, &0u32.to_le_bytes())
    }

    fn plan_inodes(&mut self, tree: &'t Tree, walk: &[(Vec<u8>, InodeId)]) -> Result<()> {
        let root = tree.root();
        // Numbering: root 2, lost+found 11, then everything in walk order.
        let mut numbers: HashMap<InodeId, u32> = HashMap::new();
        let mut links: HashMap<InodeId, u32> = HashMap::new();
        let mut paths: HashMap<InodeId, &[u8]> = HashMap::new();
        numbers.insert(root, ROOT_INO);
        let lpf = tree
            .dir_entries(root)
            .and_then(|e| e.get(&b"lost+found"[..]).copied())
            .filter(|&id| tree.dir_entries(id).is_some());
        if let Some(id) = lpf {
            numbers.insert(id, FIRST_INO);
        }
        let mut next = FIRST_INO + 1;
        let mut order = vec![root];
        if let Some(id) = lpf {
            order.push(id);
        }
        let mut seen = std::collections::HashSet::new();
        for (path, id) in walk.iter().skip(1) {
            *links.entry(*id).or_insert(0) += 1;
            paths.entry(*id).or_insert(path);
            let is_dir = tree.dir_entries(*id).is_some();
            if (!seen.insert(*id) && is_dir) || *id == root {
                return Err(Error::invalid_argument(
                    String::from_utf8_lossy(path).into_owned(),
                    "a directory is linked from more than one place",
                ));
            }
            if !numbers.contains_key(id) {
                if next == u32::MAX {
                    return Err(Error::invalid_argument(
                        "tree",
                        "more inodes than ext4 can number",
                    ));
                }
                numbers.insert(*id, next);
                order.push(*id);
                next += 1;
            }
        }
        // Root and lost+found come first so that their numbers are 2 and 11.
        let root_node = tree
            .node(root)
            .ok_or_else(|| Error::invalid_argument("tree", "no root"))?;
        let mut root_entries: Vec<DirEntry> = Vec::new();
        if let Some(entries) = tree.dir_entries(root) {
            for (name, id) in entries {
                let node = tree
                    .node(*id)
                    .ok_or_else(|| Error::invalid_argument("tree", "dangling entry"))?;
                root_entries.push(DirEntry {
                    name,
                    ino: numbers[id],
                    ft: file_type(&node.kind),
                });
            }
        }
        if lpf.is_none() {
            root_entries.push(DirEntry {
                name: b"lost+found",
                ino: FIRST_INO,
                ft: FT_DIR,
            });
            root_entries.sort_by(|a, b| a.name.cmp(b.name));
        }
        let root_subdirs = root_entries.iter().filter(|e| e.ft == FT_DIR).count() as u32;
        self.push_dir(
            ROOT_INO,
            ROOT_INO,
            root_node.meta.clone(),
            &root_entries,
            root_subdirs,
            0,
            root_node,
            b"/",
        )?;

        if lpf.is_none() {
            let meta = Metadata::new(0o700, 0, 0, self.time);
            let node = Node::new(NodeKind::empty_dir(), meta.clone());
            self.push_dir(
                FIRST_INO,
                ROOT_INO,
                meta,
                &[],
                0,
                self.lost_found_blocks(),
                &node,
                b"/lost+found",
            )?;
        }

        let mut parents: HashMap<InodeId, u32> = HashMap::new();
        for &id in &order {
            if let Some(entries) = tree.dir_entries(id) {
                for child in entries.values() {
                    if tree.dir_entries(*child).is_some() {
                        parents.insert(*child, numbers[&id]);
                    }
                }
            }
        }

        for &id in order.iter().skip(1) {
            let ino = numbers[&id];
            let node = tree
                .node(id)
                .ok_or_else(|| Error::invalid_argument("tree", "dangling entry"))?;
            let path = paths.get(&id).copied().unwrap_or(b"/");
            match &node.kind {
                NodeKind::Dir(entries) => {
                    let mut list = Vec::with_capacity(entries.len());
                    for (name, cid) in entries {
                        let child = tree
                            .node(*cid)
                            .ok_or_else(|| Error::invalid_argument("tree", "dangling entry"))?;
                        list.push(DirEntry {
                            name,
                            ino: numbers[cid],
                            ft: file_type(&child.kind),
                        });
                    }
                    let subdirs = list.iter().filter(|e| e.ft == FT_DIR).count() as u32;
                    let min_blocks = if ino == FIRST_INO {
                        self.lost_found_blocks()
                    } else {
                        0
                    };
                    let parent = parents.get(&id).copied().unwrap_or(ROOT_INO);
                    self.push_dir(
                        ino,
                        parent,
                        node.meta.clone(),
                        &list,
                        subdirs,
                        min_blocks,
                        node,
                        path,
                    )?;
                }
                _ => {
                    let nlink = links.get(&id).copied().unwrap_or(1);
                    if nlink > LINK_MAX {
                        return Err(Error::invalid_argument(
                            String::from_utf8_lossy(path).into_owned(),
                            format!("{nlink} hard links (ext4 allows {LINK_MAX})"),
                        ));
                    }
                    self.push_other(ino, node, nlink as u16, path)?;
                }
            }
        }
        self.inodes.sort_by_key(|i| i.ino);
        Ok(())
    }

    /// mke2fs gives lost+found 16 KiB (at least two blocks) so that e2fsck
    /// can reconnect files without allocating.
    fn lost_found_blocks(&self) -> u64 {
        (16384 / self.bs).clamp(2, 12)
    }

    fn xattrs_for(&self, node: &Node, path: &[u8]) -> Result<(Vec<DiskXattr>, bool)> {
        let xattrs = encode_xattrs(node, path)?;
        if xattrs.is_empty() {
            return Ok((xattrs, false));
        }
        let space = xattr_space(&xattrs);
        if space <= INODE_XATTR_SPACE {
            return Ok((xattrs, false));
        }
        if space + 32 > self.bs as usize {
            return Err(Error::Unsupported {
                format: "ext4",
                reason: format!(
                    "{}: extended attributes need {space} bytes, more than one {}-byte block",
                    String::from_utf8_lossy(path),
                    self.bs
                ),
            });
        }
        Ok((xattrs, true))
    }

    #[allow(clippy::too_many_arguments)]
    fn push_dir(
        &mut self,
        ino: u32,
        parent: u32,
        meta: Metadata,
        entries: &[DirEntry],
        subdirs: u32,
        min_blocks: u64,
        node: &Node,
        path: &[u8],
    ) -> Result<()> {
        let (xattrs, xattr_in_block) = self.xattrs_for(node, path)?;
        let (bytes, indexed) = self.dir_blocks(ino, parent, entries, min_blocks)?;
        let nblocks = bytes.len() as u64 / self.bs;
        let links = match 2 + subdirs {
            n if n > LINK_MAX => 1,
            n => n as u16,
        };
        self.inodes.push(PlannedInode {
            ino,
            mode: 0o040000 | (meta.perm & 0o7777),
            meta,
            links,
            flags: EXTENTS_FL | if indexed { INDEX_FL } else { 0 },
            size: bytes.len() as u64,
            data: Data::Bytes(bytes),
            ranges: vec![(0, nblocks)],
            raw_iblock: None,
            xattrs,
            xattr_in_block,
            is_dir: true,
        });
        Ok(())
    }

    fn push_other(&mut self, ino: u32, node: &'t Node, links: u16, path: &[u8]) -> Result<()> {
        let (xattrs, xattr_in_block) = self.xattrs_for(node, path)?;
        let mut p = PlannedInode {
            ino,
            mode: node.mode(),
            meta: node.meta.clone(),
            links,
            flags: 0,
            size: 0,
            data: Data::None,
            ranges: Vec::new(),
            raw_iblock: None,
            xattrs,
            xattr_in_block,
            is_dir: false,
        };
        match &node.kind {
            NodeKind::File(f) => {
                p.flags = EXTENTS_FL;
                p.size = f.size();
                p.ranges = file_ranges(f, self.bs);
                p.data = Data::File(f);
            }
            NodeKind::Symlink(target) => {
                if target.is_empty() || target.len() as u64 >= self.bs {
                    return Err(Error::invalid_argument(
                        String::from_utf8_lossy(path).into_owned(),
                        format!("symlink target of {} bytes", target.len()),
                    ));
                }
                p.size = target.len() as u64;
                if target.len() < 60 {
                    let mut ib = [0u8; 60];
                    ib[..target.len()].copy_from_slice(target);
                    p.raw_iblock = Some(ib);
                } else {
                    p.flags = EXTENTS_FL;
                    p.ranges = vec![(0, 1)];
                    p.data = Data::Bytes(target.clone());
                }
            }
            NodeKind::CharDevice { major, minor } | NodeKind::BlockDevice { major, minor } => {
                if *major > 0xfff || *minor > 0xfffff {
                    return Err(Error::invalid_argument(
                        String::from_utf8_lossy(path).into_owned(),
                        format!("device number {major}:{minor} does not fit 12:20 bits"),
                    ));
                }
                let (a, b) = encode_dev(*major, *minor);
                let mut ib = [0u8; 60];
                ib[0..4].copy_from_slice(&a.to_le_bytes());
                ib[4..8].copy_from_slice(&b.to_le_bytes());
                p.raw_iblock = Some(ib);
            }
            NodeKind::Fifo | NodeKind::Socket => p.raw_iblock = Some([0u8; 60]),
            NodeKind::Dir(_) => {}
        }
        self.inodes.push(p);
        Ok(())
    }

    /// Usable bytes of a directory leaf block (the checksum tail takes 12).
    fn dir_usable(&self) -> usize {
        self.bs as usize - if self.profile.metadata_csum() { 12 } else { 0 }
    }

    fn finish_dir_block(&self, block: &mut [u8], ino: u32) {
        if self.profile.metadata_csum() {
            let bs = block.len();
            let t = bs - 12;
            block[t..t + 4].copy_from_slice(&0u32.to_le_bytes());
            block[t + 4..t + 6].copy_from_slice(&12u16.to_le_bytes());
            block[t + 6] = 0;
            block[t + 7] = 0xDE;
            let c = crc32c_raw(self.inode_seed(ino), &block[..t]);
            block[t + 8..t + 12].copy_from_slice(&c.to_le_bytes());
        }
    }

    /// Packs entries into linear directory blocks. The first block starts
    /// with `.` and `..` when `dots` is given.
    fn linear_blocks(
        &self,
        ino: u32,
        dots: Option<u32>,
        entries: &[&DirEntry],
        min_blocks: u64,
    ) -> Vec<u8> {
        let bs = self.bs as usize;
        let usable = self.dir_usable();
        let mut out: Vec<u8> = Vec::new();
        let mut block = vec![0u8; bs];
        let mut off = 0usize;
        let mut last: Option<usize> = None;
        if let Some(parent) = dots {
            put_dirent(&mut block, 0, ino, 12, b".", FT_DIR);
            put_dirent(&mut block, 12, parent, 12, b"..", FT_DIR);
            last = Some(12);
            off = 24;
        }
        let close = |block: &mut Vec<u8>, last: Option<usize>, out: &mut Vec<u8>| {
            match last {
                Some(l) => {
                    let rec = (usable - l) as u16;
                    block[l + 4..l + 6].copy_from_slice(&rec.to_le_bytes());
                }
                None => put_dirent(block, 0, 0, usable, b"", 0),
            }
            self.finish_dir_block(block, ino);
            out.extend_from_slice(block);
            block.iter_mut().for_each(|b| *b = 0);
        };
        for e in entries {
            let len = round4(8 + e.name.len());
            if off + len > usable {
                close(&mut block, last, &mut out);
                off = 0;
            }
            put_dirent(&mut block, off, e.ino, len, e.name, e.ft);
            last = Some(off);
            off += len;
        }
        close(&mut block, last, &mut out);
        while (out.len() as u64) < min_blocks * self.bs {
            close(&mut block, None, &mut out);
        }
        out
    }

    /// Directory blocks for these entries: linear when they fit one block,
    /// else an htree index over hash-sorted leaves. Returns (bytes, indexed).
    fn dir_blocks(
        &self,
        ino: u32,
        parent: u32,
        entries: &[DirEntry],
        min_blocks: u64,
    ) -> Result<(Vec<u8>, bool)> {
        let refs: Vec<&DirEntry> = entries.iter().collect();
        let linear = self.linear_blocks(ino, Some(parent), &refs, min_blocks);
        if linear.len() as u64 <= self.bs || min_blocks > 1 {
            return Ok((linear, false));
        }
        self.htree_blocks(ino, parent, entries).map(|b| (b, true))
    }

    fn htree_blocks(&self, ino: u32, parent: u32, entries: &[DirEntry]) -> Result<Vec<u8>> {
        let bs = self.bs as usize;
        let csum = self.profile.metadata_csum();
        let usable = self.dir_usable();
        let mut hashed: Vec<(u32, u32, &DirEntry)> = entries
            .iter()
            .map(|e| {
                let (major, minor) = dx_hash_half_md4(e.name, &self.hash_seed, true);
                (major, minor, e)
            })
            .collect();
        hashed.sort_by(|a, b| (a.0, a.1, a.2.name).cmp(&(b.0, b.1, b.2.name)));

        // Leaves: fill each block, remembering the first hash in each.
        let mut leaves: Vec<(u32, Vec<&DirEntry>)> = Vec::new();
        let mut fill = usable;
        let mut prev_hash: Option<u32> = None;
        for (major, _, e) in &hashed {
            let len = round4(8 + e.name.len());
            if fill + len > usable {
                // A leaf that starts inside a run of equal hashes is marked
                // with the collision bit so lookups continue into it.
                let start = if prev_hash == Some(*major) {
                    major | 1
                } else {
                    *major
                };
                leaves.push((start, Vec::new()));
                fill = 0;
            }
            if let Some((_, list)) = leaves.last_mut() {
                list.push(e);
            }
            fill += len;
            prev_hash = Some(*major);
        }
        let mut leaf_bytes: Vec<Vec<u8>> = Vec::with_capacity(leaves.len());
        for (_, list) in &leaves {
            leaf_bytes.push(self.linear_blocks(ino, None, list, 0));
        }

        let tail = if csum { 8 } else { 0 };
        let root_limit = (bs - 0x20 - tail) / 8;
        let node_limit = (bs - 8 - tail) / 8;
        let hashes: Vec<u32> = leaves.iter().map(|(h, _)| *h).collect();

        let (levels, nodes): (u8, Vec<Vec<(u32, u32)>>) = if hashes.len() <= root_limit {
            (0, Vec::new())
        } else {
            let n_nodes = hashes.len().div_ceil(node_limit);
            if n_nodes > root_limit {
                return Err(Error::Unsupported {
                    format: "ext4",
                    reason: format!(
                        "directory with {} entries needs a 3-level htree",
                        entries.len()
                    ),
                });
            }
            let first_leaf = 1 + n_nodes as u32;
            let mut nodes = Vec::new();
            for (n, chunk) in hashes.chunks(node_limit).enumerate() {
                let base = n * node_limit;
                nodes.push(
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, &h)| (h, first_leaf + (base + i) as u32))
                        .collect(),
                );
            }
            (1, nodes)
        };

        let mut root = vec![0u8; bs];
        put_dirent(&mut root, 0, ino, 12, b".", FT_DIR);
        put_dirent(&mut root, 12, parent, bs - 12, b"..", FT_DIR);
        root[0x1C] = DX_HASH_HALF_MD4;
        root[0x1D] = 8;
        root[0x1E] = levels;
        let root_entries: Vec<(u32, u32)> = if levels == 0 {
            hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| (h, 1 + i as u32))
                .collect()
        } else {
            nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.first().map(|e| e.0).unwrap_or(0), 1 + i as u32))
                .collect()
        };
        self.put_dx_entries(&mut root, 0x20, root_limit, &root_entries, ino);

        let mut out = root;
        for n in &nodes {
            let mut block = vec![0u8; bs];
            block[4..6].copy_from_slice(&(bs as u16).to_le_bytes());
            if bs == 65536 {
                block[4..6].copy_from_slice(&0u16.to_le_bytes());
            }
            self.put_dx_entries(&mut block, 8, node_limit, n, ino);
            out.extend_from_slice(&block);
        }
        for leaf in leaf_bytes {
            out.extend_from_slice(&leaf);
        }
        Ok(out)
    }

    fn put_dx_entries(
        &self,
        block: &mut [u8],
        at: usize,
        limit: usize,
        entries: &[(u32, u32)],
        ino: u32,
    ) {
        block[at..at + 2].copy_from_slice(&(limit as u16).to_le_bytes());
        block[at + 2..at + 4].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        for (i, (hash, blk)) in entries.iter().enumerate() {
            let o = at + i * 8;
            if i > 0 {
                block[o..o + 4].copy_from_slice(&hash.to_le_bytes());
            }
            block[o + 4..o + 8].copy_from_slice(&blk.to_le_bytes());
        }
        if self.profile.metadata_csum() {
            let t = at + limit * 8;
            let size = at + entries.len() * 8;
            let mut c = crc32c_raw(self.inode_seed(ino), &block[..size]);
            c = crc32c_raw(c, &[0u8; 8]);
            block[t..t + 4].copy_from_slice(&0u32.to_le_bytes());
            block[t + 4..t + 8].copy_from_slice(&c.to_le_bytes());
        }
    }
}

// ---------------------------------------------------------------------------
// Geometry and block allocation.

#[derive(Debug, Clone, Copy)]
struct Geometry {
    bs: u64,
    total: u64,
    first_data_block: u64,
    blocks_per_group: u64,
    groups: u64,
    inodes_per_group: u64,
    itable_blocks: u64,
    desc_size: u64,
    gdt_blocks: u64,
    journal_blocks: u64,
}

const LOG_GROUPS_PER_FLEX: u32 = 4;

impl Geometry {
    fn new(bs: u64, total: u64, ratio: u64, min_inodes: u64, bit64: bool) -> Result<Geometry> {
        let first_data_block = u64::from(bs == 1024);
        let bpg = bs * 8;
        let mut total = total;
        let mut groups = (total - first_data_block).div_ceil(bpg);
        let desc_size = if bit64 { 64 } else { 32 };
        let gdt = |groups: u64| (groups * desc_size).div_ceil(bs);
        // A last group too small for its own metadata is dropped, as mke2fs does.
        if groups > 1 {
            let last = total - first_data_block - (groups - 1) * bpg;
            if last < 1 + gdt(groups) + 50 {
                groups -= 1;
                total = first_data_block + groups * bpg;
            }
        }
        if !bit64 && total > u32::MAX as u64 {
            return Err(Error::invalid_argument(
                "size",
                "more than 2^32 blocks needs the debian profile (64bit)",
            ));
        }
        let per_block = bs / INODE_SIZE as u64;
        let align = per_block.max(8);
        let by_ratio = (total * bs / ratio).max(min_inodes).max(16);
        let mut ipg = by_ratio.div_ceil(groups).div_ceil(align) * align;
        ipg = ipg.min(bpg / align * align);
        if ipg * groups < min_inodes {
            return Err(Error::invalid_argument(
                "size",
                "too small for the number of inodes",
            ));
        }
        if ipg * groups > u32::MAX as u64 {
            ipg = (u32::MAX as u64 / groups) / align * align;
        }
        Ok(Geometry {
            bs,
            total,
            first_data_block,
            blocks_per_group: bpg,
            groups,
            inodes_per_group: ipg,
            itable_blocks: ipg / per_block,
            desc_size,
            gdt_blocks: gdt(groups),
            journal_blocks: default_journal_blocks(total),
        })
    }

    fn group_start(&self, g: u64) -> u64 {
        self.first_data_block + g * self.blocks_per_group
    }

    fn group_len(&self, g: u64) -> u64 {
        (self.total - self.group_start(g)).min(self.blocks_per_group)
    }

    /// Blocks the metadata takes, before any data.
    fn overhead(&self) -> u64 {
        let backups = (0..self.groups).filter(|&g| group_has_super(g)).count() as u64;
        backups * (1 + self.gdt_blocks)
            + self.groups * (2 + self.itable_blocks)
            + self.journal_blocks
    }
}

/// A bitmap over every block of the file system.
struct Allocator {
    used: Vec<u64>,
    total: u64,
    cursor: u64,
}

struct NoSpace;

impl Allocator {
    fn new(total: u64) -> Self {
        Allocator {
            used: vec![0; total.div_ceil(64) as usize],
            total,
            cursor: 0,
        }
    }

    fn is_used(&self, b: u64) -> bool {
        self.used
            .get((b / 64) as usize)
            .is_some_and(|w| w & (1 << (b % 64)) != 0)
    }

    fn mark(&mut self, start: u64, len: u64) {
        for b in start..(start + len).min(self.total) {
            if let Some(w) = self.used.get_mut((b / 64) as usize) {
                *w |= 1 << (b % 64);
            }
        }
    }

    fn next_free(&self, mut b: u64) -> Option<u64> {
        while b < self.total {
            let w = self.used.get((b / 64) as usize).copied().unwrap_or(!0);
            if w == !0 {
                b = (b / 64 + 1) * 64;
                continue;
            }
            if !self.is_used(b) {
                return Some(b);
            }
            b += 1;
        }
        None
    }

    /// A contiguous free run of `len` blocks at or after `hint`.
    fn contiguous(&mut self, hint: u64, len: u64) -> Result<u64, NoSpace> {
        let mut b = hint;
        'outer: while let Some(start) = self.next_free(b) {
            if start + len > self.total {
                return Err(NoSpace);
            }
            for x in start..start + len {
                if self.is_used(x) {
                    b = x + 1;
                    continue 'outer;
                }
            }
            self.mark(start, len);
            return Ok(start);
        }
        Err(NoSpace)
    }

    /// `len` blocks from the cursor on, as (start, len) runs of at most `max_run`.
    fn runs(&mut self, mut len: u64, max_run: u64) -> Result<Vec<(u64, u64)>, NoSpace> {
        let mut out = Vec::new();
        while len > 0 {
            let start = self.next_free(self.cursor).ok_or(NoSpace)?;
            let mut n = 0;
            while n < len && n < max_run && start + n < self.total && !self.is_used(start + n) {
                n += 1;
            }
            self.mark(start, n);
            self.cursor = start + n;
            out.push((start, n));
            len -= n;
        }
        Ok(out)
    }
}

/// One extent: logical block, physical block, length.
#[derive(Debug, Clone, Copy)]
struct Extent {
    logical: u32,
    physical: u64,
    len: u16,
}

struct InodeLayout {
    extents: Vec<Extent>,
    /// Extent tree blocks: (block, contents).
    tree_blocks: Vec<(u64, Vec<u8>)>,
    iblock: [u8; 60],
    xattr_block: Option<u64>,
}

struct GroupLayout {
    block_bitmap: u64,
    inode_bitmap: u64,
    inode_table: u64,
}

struct Layout {
    geo: Geometry,
    groups: Vec<GroupLayout>,
    inodes: Vec<InodeLayout>,
    journal: Option<InodeLayout>,
    alloc: Allocator,
}

fn put_extent_header(buf: &mut [u8], entries: usize, max: usize, depth: u16) {
    buf[0..2].copy_from_slice(&EXTENT_MAGIC.to_le_bytes());
    buf[2..4].copy_from_slice(&(entries as u16).to_le_bytes());
    buf[4..6].copy_from_slice(&(max as u16).to_le_bytes());
    buf[6..8].copy_from_slice(&depth.to_le_bytes());
}

impl<'t> Plan<'t> {
    fn needed_inodes(&self) -> u64 {
        self.inodes
            .last()
            .map(|i| i.ino as u64)
            .unwrap_or(FIRST_INO as u64)
    }

    fn data_blocks(&self) -> u64 {
        let per_leaf = (self.bs - 12) / 12;
        self.inodes
            .iter()
            .map(|i| {
                let blocks: u64 = i.ranges.iter().map(|r| r.1).sum();
                let extents = i.ranges.len() as u64 + blocks / EXTENT_MAX_LEN as u64 + 1;
                let tree = if extents > 4 {
                    extents.div_ceil(per_leaf) + 1
                } else {
                    0
                };
                blocks + tree + u64::from(i.xattr_in_block)
            })
            .sum()
    }

    /// Finds a geometry that holds everything and lays it out.
    fn fit(&self, opts: &Options) -> Result<Layout> {
        let bs = self.bs;
        let bit64 = self.profile.bit64();
        let min_inodes = self.needed_inodes();
        if let Some(size) = self.requested_size {
            let total = size / bs;
            if total < 64 {
                return Err(Error::invalid_argument(
                    "size",
                    format!("{size} bytes is too small"),
                ));
            }
            let geo = Geometry::new(bs, total, self.ratio, min_inodes, bit64)?;
            return self.layout(geo).map_err(|_| {
                Error::invalid_argument(
                    "size",
                    format!(
                        "{size} bytes is too small for the tree (about {} bytes needed)",
                        (self.data_blocks() + geo.overhead()) * bs
                    ),
                )
            });
        }
        let slack = opts.slack_bytes.div_ceil(bs);
        let data = self.data_blocks();
        let minimum = if bs == 1024 { 4096 } else { 2048 };
        let mut total = (data + slack + 64).max(minimum);
        for _ in 0..64 {
            let geo = Geometry::new(bs, total, self.ratio, min_inodes, bit64)?;
            let needed = geo.overhead() + data + slack + geo.groups;
            if needed > geo.total {
                total = needed.max(total + 1);
                continue;
            }
            match self.layout(geo) {
                Ok(layout) => {
                    let free = geo.total - layout.used_blocks();
                    if free >= slack {
                        return Ok(layout);
                    }
                    total += slack - free;
                }
                Err(NoSpace) => total += total / 32 + 16,
            }
        }
        Err(Error::invalid_argument(
            "size",
            "could not find an image size that fits the tree",
        ))
    }

    fn layout(&self, geo: Geometry) -> Result<Layout, NoSpace> {
        let mut alloc = Allocator::new(geo.total);
        alloc.mark(0, geo.first_data_block);
        for g in 0..geo.groups {
            if group_has_super(g) {
                alloc.mark(geo.group_start(g), 1 + geo.gdt_blocks);
            }
        }

        // flex_bg: the bitmaps and inode tables of 16 groups sit together at
        // the start of the first group of the 16.
        let flex = 1u64 << LOG_GROUPS_PER_FLEX;
        let mut groups: Vec<GroupLayout> = Vec::with_capacity(geo.groups as usize);
        let mut f = 0;
        while f < geo.groups {
            let members = flex.min(geo.groups - f);
            let hint = geo.group_start(f);
            let bb = alloc.contiguous(hint, members)?;
            let ib = alloc.contiguous(bb + members, members)?;
            let it = alloc.contiguous(ib + members, members * geo.itable_blocks)?;
            for i in 0..members {
                groups.push(GroupLayout {
                    block_bitmap: bb + i,
                    inode_bitmap: ib + i,
                    inode_table: it + i * geo.itable_blocks,
                });
            }
            f += members;
        }

        let journal = if geo.journal_blocks > 0 {
            alloc.cursor = geo.group_start(geo.groups / 2);
            let runs = alloc.runs(geo.journal_blocks, EXTENT_MAX_LEN as u64)?;
            alloc.cursor = 0;
            Some(self.extent_layout(
                JOURNAL_INO,
                &runs_to_extents(&[(0, geo.journal_blocks)], &runs),
                &mut alloc,
            )?)
        } else {
            None
        };

        let mut inodes = Vec::with_capacity(self.inodes.len());
        for p in &self.inodes {
            let mut extents = Vec::new();
            for &(start, len) in &p.ranges {
                let runs = alloc.runs(len, EXTENT_MAX_LEN as u64)?;
                extents.extend(runs_to_extents(&[(start, len)], &runs));
            }
            let mut l = if p.raw_iblock.is_some() {
                InodeLayout {
                    extents,
                    tree_blocks: Vec::new(),
                    iblock: p.raw_iblock.unwrap_or([0; 60]),
                    xattr_block: None,
                }
            } else {
                self.extent_layout(p.ino, &extents, &mut alloc)?
            };
            if p.xattr_in_block {
                l.xattr_block = Some(alloc.runs(1, 1)?.first().map(|r| r.0).ok_or(NoSpace)?);
            }
            inodes.push(l);
        }
        Ok(Layout {
            geo,
            groups,
            inodes,
            journal,
            alloc,
        })
    }

    /// Builds the extent tree for these extents: inline when four or fewer,
    /// else index and leaf blocks allocated from `alloc`.
    fn extent_layout(
        &self,
        ino: u32,
        extents: &[Extent],
        alloc: &mut Allocator,
    ) -> Result<InodeLayout, NoSpace> {
        let bs = self.bs as usize;
        let per_block = (bs - 12) / 12;
        let mut level: Vec<(u32, [u8; 12])> = extents
            .iter()
            .map(|e| {
                let mut b = [0u8; 12];
                b[0..4].copy_from_slice(&e.logical.to_le_bytes());
                b[4..6].copy_from_slice(&e.len.to_le_bytes());
                b[6..8].copy_from_slice(&((e.physical >> 32) as u16).to_le_bytes());
                b[8..12].copy_from_slice(&(e.physical as u32).to_le_bytes());
                (e.logical, b)
            })
            .collect();
        let mut depth = 0u16;
        let mut tree_blocks = Vec::new();
        while level.len() > 4 {
            let mut next = Vec::new();
            for chunk in level.chunks(per_block) {
                let blk = alloc.runs(1, 1)?.first().map(|r| r.0).ok_or(NoSpace)?;
                let mut b = vec![0u8; bs];
                put_extent_header(&mut b, chunk.len(), per_block, depth);
                for (i, (_, e)) in chunk.iter().enumerate() {
                    b[12 + i * 12..24 + i * 12].copy_from_slice(e);
                }
                if self.profile.metadata_csum() {
                    let t = 12 + per_block * 12;
                    let c = crc32c_raw(self.inode_seed(ino), &b[..t]);
                    b[t..t + 4].copy_from_slice(&c.to_le_bytes());
                }
                let first = chunk.first().map(|c| c.0).unwrap_or(0);
                let mut idx = [0u8; 12];
                idx[0..4].copy_from_slice(&first.to_le_bytes());
                idx[4..8].copy_from_slice(&(blk as u32).to_le_bytes());
                idx[8..10].copy_from_slice(&((blk >> 32) as u16).to_le_bytes());
                next.push((first, idx));
                tree_blocks.push((blk, b));
            }
            level = next;
            depth += 1;
        }
        let mut iblock = [0u8; 60];
        put_extent_header(&mut iblock, level.len(), 4, depth);
        for (i, (_, e)) in level.iter().enumerate() {
            iblock[12 + i * 12..24 + i * 12].copy_from_slice(e);
        }
        Ok(InodeLayout {
            extents: extents.to_vec(),
            tree_blocks,
            iblock,
            xattr_block: None,
        })
    }
}

/// Pairs logical ranges with the physical runs allocated for them.
fn runs_to_extents(ranges: &[(u64, u64)], runs: &[(u64, u64)]) -> Vec<Extent> {
    let mut out = Vec::new();
    let mut logical = ranges.first().map(|r| r.0).unwrap_or(0);
    for &(phys, len) in runs {
        out.push(Extent {
            logical: logical as u32,
            physical: phys,
            len: len as u16,
        });
        logical += len;
    }
    out
}

impl Layout {
    fn used_blocks(&self) -> u64 {
        self.alloc.used.iter().map(|w| w.count_ones() as u64).sum()
    }
}

// ---------------------------------------------------------------------------
// Emission.

fn write_at<W: Write + Seek>(out: &mut W, offset: u64, data: &[u8]) -> Result<()> {
    let io = |e| Error::io("ext4 image", e);
    out.seek(SeekFrom::Start(offset)).map_err(io)?;
    out.write_all(data).map_err(io)
}

fn le16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn le32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

struct Counts {
    free_blocks: Vec<u64>,
    free_inodes: Vec<u64>,
    used_dirs: Vec<u64>,
    itable_unused: Vec<u64>,
    block_bitmaps: Vec<Vec<u8>>,
    inode_bitmaps: Vec<Vec<u8>>,
}

impl<'t> Plan<'t> {
    fn emit<W: ImageOut>(&self, layout: &Layout, out: &mut W) -> Result<ImageInfo> {
        let geo = layout.geo;
        let bs = geo.bs;
        let counts = self.counts(layout);

        // Data and directory blocks, extent trees, xattr blocks.
        for (p, l) in self.inodes.iter().zip(&layout.inodes) {
            self.emit_data(p, l, out)?;
            for (blk, bytes) in &l.tree_blocks {
                write_at(out, blk * bs, bytes)?;
            }
            if let Some(blk) = l.xattr_block {
                write_at(out, blk * bs, &self.xattr_block(p, blk))?;
            }
        }
        if let Some(j) = &layout.journal {
            if let Some(first) = j.extents.first() {
                write_at(out, first.physical * bs, &self.journal_superblock(geo))?;
            }
            for (blk, bytes) in &j.tree_blocks {
                write_at(out, blk * bs, bytes)?;
            }
        }

        // Inode tables.
        let ipg = geo.inodes_per_group;
        for (p, l) in self.inodes.iter().zip(&layout.inodes) {
            let raw = self.inode_bytes(p, l, bs);
            self.write_inode(layout, p.ino, &raw, out)?;
        }
        if let Some(j) = &layout.journal {
            let size = geo.journal_blocks * bs;
            let p = PlannedInode {
                ino: JOURNAL_INO,
                mode: 0o100600,
                meta: Metadata::new(0o600, 0, 0, self.time),
                links: 1,
                flags: EXTENTS_FL,
                size,
                data: Data::Journal,
                ranges: Vec::new(),
                raw_iblock: None,
                xattrs: Vec::new(),
                xattr_in_block: false,
                is_dir: false,
            };
            let raw = self.inode_bytes(&p, j, bs);
            self.write_inode(layout, JOURNAL_INO, &raw, out)?;
        }

        // Bitmaps.
        for (g, gl) in layout.groups.iter().enumerate() {
            write_at(out, gl.block_bitmap * bs, &counts.block_bitmaps[g])?;
            write_at(out, gl.inode_bitmap * bs, &counts.inode_bitmaps[g])?;
        }

        // Superblocks and descriptor tables.
        let gdt = self.descriptors(layout, &counts);
        for g in 0..geo.groups {
            if !group_has_super(g) {
                continue;
            }
            let start = geo.group_start(g);
            let sb = self.superblock(layout, &counts, g);
            let sb_off = if g == 0 {
                SUPERBLOCK_OFFSET
            } else {
                start * bs
            };
            write_at(out, sb_off, &sb)?;
            write_at(out, (start + 1) * bs, &gdt)?;
        }

        let size_bytes = geo.total * bs;
        out.flush().map_err(|e| Error::io("ext4 image", e))?;

        let free_inodes: u64 = counts.free_inodes.iter().sum();
        Ok(ImageInfo {
            size_bytes,
            block_size: bs as u32,
            blocks_count: geo.total,
            free_blocks: counts.free_blocks.iter().sum(),
            inodes_count: (ipg * geo.groups) as u32,
            free_inodes: free_inodes as u32,
            uuid: self.uuid,
        })
    }

    fn write_inode<W: Write + Seek>(
        &self,
        layout: &Layout,
        ino: u32,
        raw: &[u8],
        out: &mut W,
    ) -> Result<()> {
        let geo = layout.geo;
        let idx = (ino - 1) as u64;
        let g = (idx / geo.inodes_per_group) as usize;
        let within = idx % geo.inodes_per_group;
        let table = layout.groups.get(g).map(|gl| gl.inode_table).unwrap_or(0);
        write_at(out, table * geo.bs + within * INODE_SIZE as u64, raw)
    }

    fn emit_data<W: ImageOut>(&self, p: &PlannedInode, l: &InodeLayout, out: &mut W) -> Result<()> {
        let bs = self.bs;
        let to_phys = |logical_byte: u64| -> Option<(u64, u64)> {
            let lb = logical_byte / bs;
            l.extents
                .iter()
                .find(|e| lb >= e.logical as u64 && lb < e.logical as u64 + e.len as u64)
                .map(|e| {
                    let phys = (e.physical + (lb - e.logical as u64)) * bs + logical_byte % bs;
                    let extent_end = (e.logical as u64 + e.len as u64) * bs;
                    (phys, extent_end - logical_byte)
                })
        };
        // Splits `len` bytes at logical byte `offset` into pieces that each
        // lie inside one extent: (physical byte, bytes before it, length).
        let pieces = |offset: u64, len: u64| -> Result<Vec<(u64, u64, u64)>> {
            let mut out = Vec::new();
            let mut pos = 0u64;
            while pos < len {
                let Some((phys, room)) = to_phys(offset + pos) else {
                    return Err(Error::invalid_argument(
                        "ext4 writer",
                        "data outside its extents",
                    ));
                };
                let n = (len - pos).min(room);
                out.push((phys, pos, n));
                pos += n;
            }
            Ok(out)
        };
        match &p.data {
            Data::None | Data::Journal => Ok(()),
            Data::Bytes(b) => {
                for (phys, pos, n) in pieces(0, b.len() as u64)? {
                    write_at(out, phys, &b[pos as usize..(pos + n) as usize])?;
                }
                Ok(())
            }
            Data::File(f) => match f.stored() {
                Stored::Memory(runs) => {
                    for run in runs {
                        for (phys, pos, n) in pieces(run.offset, run.data.len() as u64)? {
                            write_at(out, phys, &run.data[pos as usize..(pos + n) as usize])?;
                        }
                    }
                    Ok(())
                }
                Stored::Source(src, spans) => {
                    for span in spans {
                        for (phys, pos, n) in pieces(span.offset, span.len)? {
                            out.seek(SeekFrom::Start(phys))
                                .map_err(|e| Error::io("ext4 image", e))?;
                            out.copy_from(src, span.at + pos, n)?;
                        }
                    }
                    Ok(())
                }
            },
        }
    }

    fn journal_superblock(&self, geo: Geometry) -> Vec<u8> {
        let mut j = vec![0u8; geo.bs as usize];
        let be =
            |j: &mut Vec<u8>, at: usize, v: u32| j[at..at + 4].copy_from_slice(&v.to_be_bytes());
        be(&mut j, 0x0, JBD2_MAGIC);
        be(&mut j, 0x4, JBD2_SUPERBLOCK_V2);
        be(&mut j, 0xC, geo.bs as u32);
        be(&mut j, 0x10, geo.journal_blocks as u32);
        be(&mut j, 0x14, 1);
        be(&mut j, 0x18, 1);
        j[0x30..0x40].copy_from_slice(&self.uuid);
        be(&mut j, 0x40, 1);
        j
    }

    fn xattr_block(&self, p: &PlannedInode, blk: u64) -> Vec<u8> {
        let bs = self.bs as usize;
        let mut b = vec![0u8; bs];
        le32(&mut b, 0, XATTR_MAGIC);
        le32(&mut b, 4, 1);
        le32(&mut b, 8, 1);
        let mut off = 32;
        let mut value_end = bs;
        let mut hashes = Vec::new();
        for (index, name, value) in &p.xattrs {
            value_end -= round4(value.len());
            let h = self.put_xattr_entry(&mut b, off, *index, name, value, value_end as u16);
            b[value_end..value_end + value.len()].copy_from_slice(value);
            hashes.push(h);
            off += round4(16 + name.len());
        }
        le32(&mut b, 12, xattr_block_hash(&hashes));
        if self.profile.metadata_csum() {
            let c = crc32c_raw(self.csum_seed, &blk.to_le_bytes());
            let c = crc32c_raw(c, &b);
            le32(&mut b, 0x10, c);
        }
        b
    }

    fn put_xattr_entry(
        &self,
        b: &mut [u8],
        off: usize,
        index: u8,
        name: &[u8],
        value: &[u8],
        value_offs: u16,
    ) -> u32 {
        b[off] = name.len() as u8;
        b[off + 1] = index;
        le16(b, off + 2, value_offs);
        le32(b, off + 4, 0);
        le32(b, off + 8, value.len() as u32);
        let h = xattr_entry_hash(name, value);
        le32(b, off + 12, h);
        b[off + 16..off + 16 + name.len()].copy_from_slice(name);
        h
    }

    fn inode_bytes(&self, p: &PlannedInode, l: &InodeLayout, bs: u64) -> [u8; INODE_SIZE] {
        let mut r = [0u8; INODE_SIZE];
        let m = &p.meta;
        le16(&mut r, 0x0, p.mode);
        le16(&mut r, 0x2, m.uid as u16);
        le32(&mut r, 0x4, p.size as u32);
        let (atime, atime_x) = encode_time(m.atime);
        let (ctime, ctime_x) = encode_time(m.ctime);
        let (mtime, mtime_x) = encode_time(m.mtime);
        let (crtime, crtime_x) = encode_time(m.crtime);
        le32(&mut r, 0x8, atime);
        le32(&mut r, 0xC, ctime);
        le32(&mut r, 0x10, mtime);
        le16(&mut r, 0x18, m.gid as u16);
        le16(&mut r, 0x1A, p.links);
        let blocks: u64 = l.extents.iter().map(|e| e.len as u64).sum::<u64>()
            + l.tree_blocks.len() as u64
            + u64::from(l.xattr_block.is_some());
        let sectors = blocks * (bs / 512);
        le32(&mut r, 0x1C, sectors as u32);
        le32(&mut r, 0x20, p.flags);
        r[0x28..0x64].copy_from_slice(&l.iblock);
        if let Some(x) = l.xattr_block {
            le32(&mut r, 0x68, x as u32);
            le16(&mut r, 0x76, (x >> 32) as u16);
        }
        le32(&mut r, 0x6C, (p.size >> 32) as u32);
        le16(&mut r, 0x74, (sectors >> 32) as u16);
        le16(&mut r, 0x78, (m.uid >> 16) as u16);
        le16(&mut r, 0x7A, (m.gid >> 16) as u16);
        le16(&mut r, 0x80, EXTRA_ISIZE);
        le32(&mut r, 0x84, ctime_x);
        le32(&mut r, 0x88, mtime_x);
        le32(&mut r, 0x8C, atime_x);
        le32(&mut r, 0x90, crtime);
        le32(&mut r, 0x94, crtime_x);
        if !p.xattrs.is_empty() && !p.xattr_in_block {
            let base = INODE_XATTR_OFFSET;
            le32(&mut r, base, XATTR_MAGIC);
            let first = base + 4;
            let mut off = first;
            let mut value_end = INODE_SIZE;
            for (index, name, value) in &p.xattrs {
                value_end -= round4(value.len());
                let mut entry = [0u8; 16 + 256];
                self.put_xattr_entry(
                    &mut entry,
                    0,
                    *index,
                    name,
                    value,
                    (value_end - first) as u16,
                );
                let len = round4(16 + name.len());
                r[off..off + len].copy_from_slice(&entry[..len]);
                r[value_end..value_end + value.len()].copy_from_slice(value);
                off += len;
            }
        }
        if self.profile.metadata_csum() {
            let c = crc32c_raw(self.inode_seed(p.ino), &r);
            le16(&mut r, 0x7C, c as u16);
            le16(&mut r, 0x82, (c >> 16) as u16);
        }
        r
    }

    fn counts(&self, layout: &Layout) -> Counts {
        let geo = layout.geo;
        let bs = geo.bs as usize;
        let ipg = geo.inodes_per_group;
        let n = geo.groups as usize;
        let mut c = Counts {
            free_blocks: vec![0; n],
            free_inodes: vec![ipg; n],
            used_dirs: vec![0; n],
            itable_unused: vec![ipg; n],
            block_bitmaps: Vec::with_capacity(n),
            inode_bitmaps: vec![vec![0u8; bs]; n],
        };
        for g in 0..geo.groups {
            let start = geo.group_start(g);
            let len = geo.group_len(g);
            let mut bm = vec![0xFFu8; bs];
            let mut free = 0;
            for i in 0..geo.blocks_per_group {
                if i < len && !layout.alloc.is_used(start + i) {
                    bm[(i / 8) as usize] &= !(1 << (i % 8));
                    free += 1;
                }
            }
            c.block_bitmaps.push(bm);
            c.free_blocks[g as usize] = free;
        }
        let mut used_inode = |ino: u32, dir: bool| {
            let idx = (ino - 1) as u64;
            let g = (idx / ipg) as usize;
            let i = idx % ipg;
            if let Some(bm) = c.inode_bitmaps.get_mut(g) {
                if bm[(i / 8) as usize] & (1 << (i % 8)) != 0 {
                    if dir {
                        c.used_dirs[g] += 1;
                    }
                    return;
                }
                bm[(i / 8) as usize] |= 1 << (i % 8);
                c.free_inodes[g] -= 1;
                c.itable_unused[g] = c.itable_unused[g].min(ipg - i - 1);
                if dir {
                    c.used_dirs[g] += 1;
                }
            }
        };
        for ino in 1..FIRST_INO {
            used_inode(ino, false);
        }
        for p in &self.inodes {
            used_inode(p.ino, p.is_dir);
        }
        // Bits past the last inode of the group are set, as the format wants.
        for bm in &mut c.inode_bitmaps {
            for i in ipg..(bs as u64 * 8) {
                bm[(i / 8) as usize] |= 1 << (i % 8);
            }
        }
        c
    }

    fn descriptors(&self, layout: &Layout, c: &Counts) -> Vec<u8> {
        let geo = layout.geo;
        let ds = geo.desc_size as usize;
        let csum = self.profile.metadata_csum();
        let mut out = vec![0u8; (geo.gdt_blocks * geo.bs) as usize];
        for (g, gl) in layout.groups.iter().enumerate() {
            let d = &mut out[g * ds..(g + 1) * ds];
            le32(d, 0x0, gl.block_bitmap as u32);
            le32(d, 0x4, gl.inode_bitmap as u32);
            le32(d, 0x8, gl.inode_table as u32);
            le16(d, 0xC, c.free_blocks[g] as u16);
            le16(d, 0xE, c.free_inodes[g] as u16);
            le16(d, 0x10, c.used_dirs[g] as u16);
            if csum {
                le16(d, 0x12, BG_ITABLE_ZEROED);
                let bb = crc32c_raw(
                    self.csum_seed,
                    &c.block_bitmaps[g][..(geo.blocks_per_group / 8) as usize],
                );
                let ib = crc32c_raw(
                    self.csum_seed,
                    &c.inode_bitmaps[g][..(geo.inodes_per_group / 8) as usize],
                );
                le16(d, 0x18, bb as u16);
                le16(d, 0x1A, ib as u16);
                le16(d, 0x1C, c.itable_unused[g] as u16);
                if ds >= 64 {
                    le16(d, 0x38, (bb >> 16) as u16);
                    le16(d, 0x3A, (ib >> 16) as u16);
                }
            }
            if ds >= 64 {
                le32(d, 0x20, (gl.block_bitmap >> 32) as u32);
                le32(d, 0x24, (gl.inode_bitmap >> 32) as u32);
                le32(d, 0x28, (gl.inode_table >> 32) as u32);
                le16(d, 0x2C, (c.free_blocks[g] >> 16) as u16);
                le16(d, 0x2E, (c.free_inodes[g] >> 16) as u16);
                le16(d, 0x30, (c.used_dirs[g] >> 16) as u16);
                if csum {
                    le16(d, 0x32, (c.itable_unused[g] >> 16) as u16);
                }
            }
            if csum {
                let s = crc32c_raw(self.csum_seed, &(g as u32).to_le_bytes());
                let s = crc32c_raw(s, d);
                le16(d, 0x1E, s as u16);
            }
        }
        out
    }

    fn superblock(&self, layout: &Layout, c: &Counts, group: u64) -> Vec<u8> {
        let geo = layout.geo;
        let csum = self.profile.metadata_csum();
        let mut s = vec![0u8; SUPERBLOCK_SIZE];
        let inodes = geo.inodes_per_group * geo.groups;
        let free_blocks: u64 = c.free_blocks.iter().sum();
        let free_inodes: u64 = c.free_inodes.iter().sum();
        let reserved = geo.total * self.reserved_percent / 100;
        let t = self.time.sec as u32;
        le32(&mut s, 0x0, inodes as u32);
        le32(&mut s, 0x4, geo.total as u32);
        le32(&mut s, 0x8, reserved as u32);
        le32(&mut s, 0xC, free_blocks as u32);
        le32(&mut s, 0x10, free_inodes as u32);
        le32(&mut s, 0x14, geo.first_data_block as u32);
        let log = if geo.bs == 1024 { 0 } else { 2 };
        le32(&mut s, 0x18, log);
        le32(&mut s, 0x1C, log);
        le32(&mut s, 0x20, geo.blocks_per_group as u32);
        le32(&mut s, 0x24, geo.blocks_per_group as u32);
        le32(&mut s, 0x28, geo.inodes_per_group as u32);
        le32(&mut s, 0x30, t);
        le16(&mut s, 0x36, 0xFFFF);
        le16(&mut s, 0x38, SUPER_MAGIC);
        le16(&mut s, 0x3A, 1);
        le16(&mut s, 0x3C, 1);
        le32(&mut s, 0x40, t);
        le32(&mut s, 0x4C, 1);
        le32(&mut s, 0x54, FIRST_INO);
        le16(&mut s, 0x58, INODE_SIZE as u16);
        le16(&mut s, 0x5A, group as u16);
        let has_journal = layout.journal.is_some();
        let compat =
            COMPAT_EXT_ATTR | COMPAT_DIR_INDEX | if has_journal { COMPAT_HAS_JOURNAL } else { 0 };
        let mut incompat = INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_FLEX_BG;
        let mut ro = RO_COMPAT_SPARSE_SUPER
            | RO_COMPAT_LARGE_FILE
            | RO_COMPAT_HUGE_FILE
            | RO_COMPAT_DIR_NLINK
            | RO_COMPAT_EXTRA_ISIZE;
        if self.profile.bit64() {
            incompat |= INCOMPAT_64BIT;
        }
        if csum {
            ro |= RO_COMPAT_METADATA_CSUM;
        }
        le32(&mut s, 0x5C, compat);
        le32(&mut s, 0x60, incompat);
        le32(&mut s, 0x64, ro);
        s[0x68..0x78].copy_from_slice(&self.uuid);
        s[0x78..0x88].copy_from_slice(&self.label);
        if has_journal {
            le32(&mut s, 0xE0, JOURNAL_INO);
        }
        for (i, w) in self.hash_seed.iter().enumerate() {
            le32(&mut s, 0xEC + i * 4, *w);
        }
        s[0xFC] = DX_HASH_HALF_MD4;
        if self.profile.bit64() {
            le16(&mut s, 0xFE, geo.desc_size as u16);
        }
        le32(&mut s, 0x100, 0x0C);
        le32(&mut s, 0x108, t);
        if let Some(j) = &layout.journal {
            s[0xFD] = 1;
            s[0x10C..0x10C + 60].copy_from_slice(&j.iblock);
            let size = geo.journal_blocks * geo.bs;
            le32(&mut s, 0x10C + 60, (size >> 32) as u32);
            le32(&mut s, 0x10C + 64, size as u32);
        }
        le32(&mut s, 0x150, (geo.total >> 32) as u32);
        le32(&mut s, 0x154, (reserved >> 32) as u32);
        le32(&mut s, 0x158, (free_blocks >> 32) as u32);
        le16(&mut s, 0x15C, EXTRA_ISIZE);
        le16(&mut s, 0x15E, EXTRA_ISIZE);
        le32(&mut s, 0x160, FLAG_SIGNED_HASH);
        s[0x174] = LOG_GROUPS_PER_FLEX as u8;
        if csum {
            s[0x175] = 1;
            let c = crc32c_raw(!0, &s[..0x3FC]);
            le32(&mut s, 0x3FC, c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_writes_never_zero_what_was_written_before() {
        // Block bitmaps and inode bitmaps of two groups written interleaved
        // (3, 5, 4, 6) after something further out: the gap fill of the
        // second run must not wipe block 5.
        let mut cur = std::io::Cursor::new(Vec::new());
        let mut plain = Plain(&mut cur);
        let mut w = Coalesce::new(&mut plain);
        let put = |w: &mut Coalesce<_>, at: u64, byte: u8, len: usize| {
            w.seek(SeekFrom::Start(at)).unwrap();
            w.write_all(&vec![byte; len]).unwrap();
        };
        put(&mut w, 100, 9, 10);
        put(&mut w, 30, 3, 10);
        put(&mut w, 50, 5, 10);
        put(&mut w, 40, 4, 10);
        put(&mut w, 60, 6, 10);
        // Forward writes with small gaps past everything: merged, gaps zero.
        put(&mut w, 200, 7, 5);
        put(&mut w, 210, 8, 5);
        put(&mut w, 3 << 20, 1, 2 << 20);
        w.finish(5 << 20).unwrap();
        let out = cur.into_inner();
        for (at, byte) in [(30, 3), (40, 4), (50, 5), (60, 6), (100, 9)] {
            assert_eq!(&out[at..at + 10], &[byte; 10], "at {at}");
        }
        assert_eq!(
            &out[200..215],
            &[7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8]
        );
        assert_eq!(out.len(), 5 << 20);
        assert!(out[3 << 20..].iter().all(|&b| b == 1));
    }

    #[test]
    fn finishing_keeps_a_last_block_that_holds_data_and_extends_over_a_hole() {
        let mut cur = std::io::Cursor::new(Vec::new());
        let mut plain = Plain(&mut cur);
        let mut w = Coalesce::new(&mut plain);
        w.seek(SeekFrom::Start(1020)).unwrap();
        w.write_all(&[7; 4]).unwrap();
        w.finish(1024).unwrap();
        assert_eq!(cur.get_ref().len(), 1024);
        assert_eq!(&cur.get_ref()[1020..], &[7, 7, 7, 7]);

        let mut cur = std::io::Cursor::new(Vec::new());
        let mut plain = Plain(&mut cur);
        let mut w = Coalesce::new(&mut plain);
        w.write_all(&[7; 4]).unwrap();
        w.finish(4096).unwrap();
        assert_eq!(cur.get_ref().len(), 4096);
        assert!(cur.get_ref()[4..].iter().all(|&b| b == 0));
    }

    #[test]
    fn profile_names_parse() {
        assert_eq!(Profile::from_name("debian").unwrap(), Profile::Debian);
        assert!(Profile::from_name("ext2").is_err());
    }

    #[test]
    fn same_tree_gives_same_bytes() {
        let mut t = Tree::default();
        let meta = Metadata::new(0o644, 1, 2, Timestamp::from_secs(1_700_000_000));
        t.insert(
            b"a/b",
            Node::new(
                NodeKind::File(FileData::from_bytes(vec![1; 5000])),
                meta.clone(),
            ),
            &meta,
        )
        .unwrap();
        let a = build_image(&t, &Options::default()).unwrap();
        let b = build_image(&t, &Options::default()).unwrap();
        assert!(a == b);
    }
}
