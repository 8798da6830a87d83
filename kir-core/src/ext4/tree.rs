//! The in-memory file tree that the ext4 writer consumes and the ext4 and tar
//! readers produce.
//!
//! A [`Tree`] is a table of inodes; directories map names to inode ids, so a
//! hard link is simply a second directory entry naming the same id. Inodes no
//! directory reaches are ignored by every writer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::{Error, Result};

/// Index of an inode inside a [`Tree`].
pub type InodeId = usize;

/// Seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 UTC (may be negative).
    pub sec: i64,
    /// Nanoseconds, below 1,000,000,000.
    pub nsec: u32,
}

impl Timestamp {
    /// A whole-second timestamp.
    pub fn from_secs(sec: i64) -> Self {
        Timestamp { sec, nsec: 0 }
    }
}

/// Owner, permissions and times of an inode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Metadata {
    /// Permission bits including set-uid, set-gid and sticky (`0o7777` mask).
    pub perm: u16,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Last access.
    pub atime: Timestamp,
    /// Last modification of the content.
    pub mtime: Timestamp,
    /// Last change of the inode.
    pub ctime: Timestamp,
    /// Creation (ext4 `i_crtime`).
    pub crtime: Timestamp,
}

impl Metadata {
    /// Metadata with these permission bits and owner, and all times equal to `time`.
    pub fn new(perm: u16, uid: u32, gid: u32, time: Timestamp) -> Self {
        Metadata {
            perm: perm & 0o7777,
            uid,
            gid,
            atime: time,
            mtime: time,
            ctime: time,
            crtime: time,
        }
    }
}

/// One stretch of data inside a file; the bytes between runs are holes (read as zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataRun {
    /// Byte offset of the first byte of `data` in the file.
    pub offset: u64,
    /// The bytes.
    pub data: Vec<u8>,
}

/// An input file (an uncompressed tarball) whose bytes a tree refers to
/// instead of holding them: the ext4 writer copies them from there straight
/// into the image. Clones share the one open file; two sources are equal when
/// they are the same open file.
#[derive(Debug, Clone)]
pub struct SourceFile(Arc<SourceInner>);

#[derive(Debug)]
struct SourceInner {
    file: File,
    name: String,
    /// Size, mtime and ctime when it was wrapped, before anything was read.
    stamp: Option<Stamp>,
}

/// What changes when a file is written to: its size, mtime and ctime.
type Stamp = (u64, i64, i64, i64, i64);

fn stamp(file: &File) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata().ok()?;
    Some((
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ))
}

impl SourceFile {
    /// Wraps an open regular file; `name` names it in errors. Call it
    /// before reading the file: [`SourceFile::check_unchanged`] compares
    /// with the file as it is now.
    pub fn new(file: File, name: impl Into<String>) -> Self {
        let stamp = stamp(&file);
        SourceFile(Arc::new(SourceInner {
            file,
            name: name.into(),
            stamp,
        }))
    }

    /// Fails when the file was written to (or cut) since it was wrapped:
    /// spans and checksums taken from it then no longer describe its bytes,
    /// and an image copied from it would silently hold other data than
    /// the one its UUID was derived from.
    pub fn check_unchanged(&self) -> Result<()> {
        if self.0.stamp.is_some() && stamp(&self.0.file) != self.0.stamp {
            return Err(Error::malformed(
                "source file",
                0,
                "data",
                format!(
                    "{}: the file changed after it was read (its size, modification or change time differ)",
                    self.0.name
                ),
            ));
        }
        Ok(())
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.0.file
    }

    /// The name given in errors.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Reads exactly `buf.len()` bytes at `at`; a short read means the file
    /// changed after the tree was read from it.
    pub fn read_at(&self, buf: &mut [u8], at: u64) -> Result<()> {
        use std::os::unix::fs::FileExt;
        self.0.file.read_exact_at(buf, at).map_err(|e| {
            let reason = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                format!(
                    "{}: ends before offset {}: the file changed after it was read",
                    self.0.name,
                    at + buf.len() as u64
                )
            } else {
                format!("{}: {e}", self.0.name)
            };
            Error::malformed("source file", at, "data", reason)
        })
    }
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SourceFile {}

impl Hash for SourceFile {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as usize).hash(state);
    }
}

/// A stretch of a file's data kept in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceSpan {
    /// Byte offset of the stretch in the file.
    pub offset: u64,
    /// Where its bytes start in the source.
    pub at: u64,
    /// Its length in bytes (never zero).
    pub len: u64,
    /// CRC32C of its bytes, taken when they were read, so that the writer
    /// derives the same UUID as from the bytes themselves.
    pub crc32c: u32,
}

/// Where a file's data is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stored {
    /// In memory, as runs.
    Memory(Vec<DataRun>),
    /// In an input file, as spans of it.
    Source(SourceFile, Vec<SourceSpan>),
}

impl Default for Stored {
    fn default() -> Self {
        Stored::Memory(Vec::new())
    }
}

/// Content of a regular file: its size and the stretches of data it holds.
///
/// Stretches are sorted by offset and do not overlap; everything else up to
/// `size` is a hole. A file larger than 4 GiB needs only as much memory as
/// its data, and none when its data stays in a [`SourceFile`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FileData {
    size: u64,
    stored: Stored,
}

/// Checks that stretches given as (offset, length) are in order, do not
/// overlap and end within `size`.
fn check_order(size: u64, stretches: impl Iterator<Item = (u64, u64)>) -> Result<()> {
    let mut end = 0u64;
    for (i, (offset, len)) in stretches.enumerate() {
        if offset < end {
            return Err(Error::invalid_argument(
                "runs",
                format!("run {i} at offset {offset} overlaps or precedes the previous run"),
            ));
        }
        let run_end = offset.saturating_add(len);
        if run_end > size {
            return Err(Error::invalid_argument(
                "runs",
                format!("run {i} ends at {run_end}, past the file size {size}"),
            ));
        }
        end = run_end;
    }
    Ok(())
}

impl FileData {
    /// A file holding exactly `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let size = bytes.len() as u64;
        let runs = if bytes.is_empty() {
            Vec::new()
        } else {
            vec![DataRun {
                offset: 0,
                data: bytes,
            }]
        };
        FileData {
            size,
            stored: Stored::Memory(runs),
        }
    }

    /// A sparse file of `size` bytes with data at the given runs.
    ///
    /// Fails when runs overlap, are out of order, or end past `size`.
    pub fn sparse(size: u64, runs: Vec<DataRun>) -> Result<Self> {
        check_order(size, runs.iter().map(|r| (r.offset, r.data.len() as u64)))?;
        let kept = runs.into_iter().filter(|r| !r.data.is_empty()).collect();
        Ok(FileData {
            size,
            stored: Stored::Memory(kept),
        })
    }

    /// A file of `size` bytes whose data stays in `source` at the given spans.
    ///
    /// Fails when spans overlap, are out of order, or end past `size`.
    pub fn from_source(size: u64, source: SourceFile, spans: Vec<SourceSpan>) -> Result<Self> {
        check_order(size, spans.iter().map(|s| (s.offset, s.len)))?;
        let kept = spans.into_iter().filter(|s| s.len > 0).collect();
        Ok(FileData {
            size,
            stored: Stored::Source(source, kept),
        })
    }

    /// Size of the file in bytes (holes included).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where the data is kept.
    pub fn stored(&self) -> &Stored {
        &self.stored
    }

    /// The stretches of data as (offset, length), sorted; no I/O.
    pub fn extents(&self) -> Vec<(u64, u64)> {
        match &self.stored {
            Stored::Memory(runs) => runs
                .iter()
                .map(|r| (r.offset, r.data.len() as u64))
                .collect(),
            Stored::Source(_, spans) => spans.iter().map(|s| (s.offset, s.len)).collect(),
        }
    }

    /// The data runs, sorted by offset: borrowed when in memory, read from
    /// the source file otherwise.
    pub fn runs(&self) -> Result<Cow<'_, [DataRun]>> {
        match &self.stored {
            Stored::Memory(runs) => Ok(Cow::Borrowed(runs)),
            Stored::Source(src, spans) => {
                let mut runs = Vec::with_capacity(spans.len());
                for s in spans {
                    let len = usize::try_from(s.len).map_err(|_| {
                        Error::invalid_argument("file", "too large to hold in memory")
                    })?;
                    let mut data = vec![0u8; len];
                    src.read_at(&mut data, s.at)?;
                    runs.push(DataRun {
                        offset: s.offset,
                        data,
                    });
                }
                Ok(Cow::Owned(runs))
            }
        }
    }

    /// The data runs, sorted by offset, given up without copying them when
    /// they are in memory.
    pub fn into_runs(self) -> Result<Vec<DataRun>> {
        match self.stored {
            Stored::Memory(runs) => Ok(runs),
            Stored::Source(..) => self.runs().map(Cow::into_owned),
        }
    }

    /// Bytes of data actually stored (holes excluded).
    pub fn stored_len(&self) -> u64 {
        self.extents().iter().map(|e| e.1).sum()
    }

    /// The whole content with holes filled with zeros.
    ///
    /// Fails for files whose size does not fit in memory on this platform.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let size = usize::try_from(self.size)
            .map_err(|_| Error::invalid_argument("file", "too large to hold in memory"))?;
        let mut out = vec![0u8; size];
        match &self.stored {
            Stored::Memory(runs) => {
                for run in runs {
                    let start = run.offset as usize;
                    if let Some(dst) = out.get_mut(start..start + run.data.len()) {
                        dst.copy_from_slice(&run.data);
                    }
                }
            }
            Stored::Source(src, spans) => {
                for s in spans {
                    let start = s.offset as usize;
                    if let Some(dst) = out.get_mut(start..start + s.len as usize) {
                        src.read_at(dst, s.at)?;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What kind of object an inode is, with its kind-specific content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// Regular file.
    File(FileData),
    /// Directory: entry name → inode. Never contains `.` or `..`.
    Dir(BTreeMap<Vec<u8>, InodeId>),
    /// Symbolic link with its target.
    Symlink(Vec<u8>),
    /// Character device.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// Block device.
    BlockDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// Named pipe.
    Fifo,
    /// Unix socket.
    Socket,
}

impl NodeKind {
    /// An empty directory.
    pub fn empty_dir() -> Self {
        NodeKind::Dir(BTreeMap::new())
    }

    /// The `S_IFMT` bits of this kind.
    pub fn format_bits(&self) -> u16 {
        match self {
            NodeKind::Fifo => 0o010000,
            NodeKind::CharDevice { .. } => 0o020000,
            NodeKind::Dir(_) => 0o040000,
            NodeKind::BlockDevice { .. } => 0o060000,
            NodeKind::File(_) => 0o100000,
            NodeKind::Symlink(_) => 0o120000,
            NodeKind::Socket => 0o140000,
        }
    }
}

/// An extended attribute: full name (`user.x`, `security.capability`,
/// `system.posix_acl_access`) and value.
///
/// POSIX ACL values use the Linux `getxattr` format (version 2 header, 8-byte
/// entries); the ext4 writer converts them to ext4's on-disk ACL format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Xattr {
    /// Full attribute name including its namespace prefix.
    pub name: Vec<u8>,
    /// Attribute value.
    pub value: Vec<u8>,
}

/// One inode: its kind, metadata and extended attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    /// Kind and content.
    pub kind: NodeKind,
    /// Owner, permissions, times.
    pub meta: Metadata,
    /// Extended attributes, in any order (writers sort them).
    pub xattrs: Vec<Xattr>,
}

impl Node {
    /// A node with no extended attributes.
    pub fn new(kind: NodeKind, meta: Metadata) -> Self {
        Node {
            kind,
            meta,
            xattrs: Vec::new(),
        }
    }

    /// Full `i_mode`: format bits and permission bits.
    pub fn mode(&self) -> u16 {
        self.kind.format_bits() | (self.meta.perm & 0o7777)
    }
}

/// A file tree: inodes plus the root directory's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tree {
    nodes: Vec<Node>,
    root: InodeId,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new(Metadata::new(0o755, 0, 0, Timestamp::default()))
    }
}

/// Splits a path into its components, ignoring empty ones and `.`.
///
/// Refuses `..`, which would make the meaning of a path depend on symlinks.
fn components(path: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                return Err(Error::invalid_argument(
                    String::from_utf8_lossy(path).into_owned(),
                    "path contains `..`",
                ));
            }
            _ => out.push(part),
        }
    }
    Ok(out)
}

fn path_error(path: &[u8], reason: &str) -> Error {
    Error::invalid_argument(String::from_utf8_lossy(path).into_owned(), reason)
}

impl Tree {
    /// A tree holding only a root directory with this metadata.
    pub fn new(root_meta: Metadata) -> Self {
        Tree {
            nodes: vec![Node::new(NodeKind::empty_dir(), root_meta)],
            root: 0,
        }
    }

    /// Id of the root directory.
    pub fn root(&self) -> InodeId {
        self.root
    }

    /// The node with this id, if any.
    pub fn node(&self, id: InodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The node with this id, mutable.
    pub fn node_mut(&mut self, id: InodeId) -> Option<&mut Node> {
        self.nodes.get_mut(id)
    }

    /// Number of inode slots (reachable or not).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the tree has only its root slot.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Adds a node that no directory refers to yet; returns its id.
    pub fn add_node(&mut self, node: Node) -> InodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Entries of a directory node, or `None` when `id` is not a directory.
    pub fn dir_entries(&self, id: InodeId) -> Option<&BTreeMap<Vec<u8>, InodeId>> {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Dir(entries)) => Some(entries),
            _ => None,
        }
    }

    /// Looks a path up from the root without following symlinks.
    pub fn lookup(&self, path: &[u8]) -> Result<Option<InodeId>> {
        let mut cur = self.root;
        for part in components(path)? {
            match self.dir_entries(cur) {
                Some(entries) => match entries.get(part) {
                    Some(&id) => cur = id,
                    None => return Ok(None),
                },
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    /// Walks to the directory that should hold the last component of `path`,
    /// creating missing directories with `dir_meta`. Refuses to pass through
    /// anything that is not a directory (in particular symlinks).
    fn parent_of<'p>(
        &mut self,
        path: &'p [u8],
        dir_meta: &Metadata,
    ) -> Result<(InodeId, &'p [u8])> {
        let parts = components(path)?;
        let Some((last, dirs)) = parts.split_last() else {
            return Err(path_error(path, "names the root directory"));
        };
        let mut cur = self.root;
        for part in dirs {
            let existing = match self.dir_entries(cur) {
                Some(entries) => entries.get(*part).copied(),
                None => return Err(path_error(path, "a parent is not a directory")),
            };
            cur = match existing {
                Some(id) => {
                    if self.dir_entries(id).is_none() {
                        return Err(path_error(
                            path,
                            "passes through an entry that is not a directory (symlink or file)",
                        ));
                    }
                    id
                }
                None => {
                    let id = self.add_node(Node::new(NodeKind::empty_dir(), dir_meta.clone()));
                    self.link_entry(cur, part, id);
                    id
                }
            };
        }
        Ok((cur, *last))
    }

    fn link_entry(&mut self, dir: InodeId, name: &[u8], id: InodeId) -> Option<InodeId> {
        match self.nodes.get_mut(dir).map(|n| &mut n.kind) {
            Some(NodeKind::Dir(entries)) => entries.insert(name.to_vec(), id),
            _ => None,
        }
    }

    /// Inserts `node` at `path`, creating missing parent directories with
    /// `dir_meta`. An existing entry is replaced, except that a directory
    /// inserted over a directory only takes over its metadata and xattrs
    /// (its entries stay). Returns the id of the node now at `path`.
    pub fn insert(&mut self, path: &[u8], node: Node, dir_meta: &Metadata) -> Result<InodeId> {
        if components(path)?.is_empty() {
            if let NodeKind::Dir(_) = node.kind {
                let root = self.root;
                if let Some(r) = self.nodes.get_mut(root) {
                    r.meta = node.meta;
                    r.xattrs = node.xattrs;
                }
                return Ok(root);
            }
            return Err(path_error(path, "only a directory can replace the root"));
        }
        let (parent, name) = self.parent_of(path, dir_meta)?;
        let existing = self.dir_entries(parent).and_then(|e| e.get(name).copied());
        if let (Some(old), NodeKind::Dir(_)) = (existing, &node.kind) {
            if let Some(old_node) = self.nodes.get_mut(old) {
                if let NodeKind::Dir(_) = old_node.kind {
                    old_node.meta = node.meta;
                    old_node.xattrs = node.xattrs;
                    return Ok(old);
                }
            }
        }
        let id = self.add_node(node);
        self.link_entry(parent, name, id);
        Ok(id)
    }

    /// Makes `path` a hard link to the existing non-directory `target` path.
    pub fn hard_link(
        &mut self,
        path: &[u8],
        target: &[u8],
        dir_meta: &Metadata,
    ) -> Result<InodeId> {
        let Some(id) = self.lookup(target)? else {
            return Err(path_error(target, "hard link target does not exist"));
        };
        if self.dir_entries(id).is_some() {
            return Err(path_error(target, "hard link target is a directory"));
        }
        let (parent, name) = self.parent_of(path, dir_meta)?;
        self.link_entry(parent, name, id);
        Ok(id)
    }

    /// Removes the entry at `path` (and with it a whole subtree). Returns
    /// whether something was removed.
    pub fn remove(&mut self, path: &[u8]) -> Result<bool> {
        let parts = components(path)?;
        let Some((last, dirs)) = parts.split_last() else {
            return Err(path_error(path, "cannot remove the root directory"));
        };
        let mut cur = self.root;
        for part in dirs {
            match self.dir_entries(cur).and_then(|e| e.get(*part)) {
                Some(&id) => cur = id,
                None => return Ok(false),
            }
        }
        match self.nodes.get_mut(cur).map(|n| &mut n.kind) {
            Some(NodeKind::Dir(entries)) => Ok(entries.remove(*last).is_some()),
            _ => Ok(false),
        }
    }

    /// Removes every entry inside the directory at `path`, keeping the directory.
    pub fn clear_dir(&mut self, path: &[u8]) -> Result<bool> {
        let Some(id) = self.lookup(path)? else {
            return Ok(false);
        };
        match self.nodes.get_mut(id).map(|n| &mut n.kind) {
            Some(NodeKind::Dir(entries)) => {
                entries.clear();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Rewrites `path` so that no component before the last is a symlink:
    /// symlinks to directories are followed inside the tree (absolute targets
    /// start at the tree's root, `..` never climbs above it), as a copy into
    /// a chroot would. Used to lay an overlay over a usr-merged root where
    /// `/lib` is a link to `usr/lib`.
    pub fn resolve_parents(&self, path: &[u8]) -> Result<Vec<u8>> {
        self.resolve_parents_except(path, &std::collections::HashSet::new())
    }

    /// [`Tree::resolve_parents`], refusing to follow the symlinks in
    /// `refused` (an overlay's own links: following them would let the
    /// overlay write where its names do not say).
    pub fn resolve_parents_except(
        &self,
        path: &[u8],
        refused: &std::collections::HashSet<InodeId>,
    ) -> Result<Vec<u8>> {
        let parts = components(path)?;
        let Some((last, dirs)) = parts.split_last() else {
            return Ok(b"/".to_vec());
        };
        let mut pending: Vec<Vec<u8>> = dirs.iter().rev().map(|p| p.to_vec()).collect();
        let mut resolved: Vec<Vec<u8>> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            if part == b".." {
                resolved.pop();
                continue;
            }
            if part.is_empty() || part == b"." {
                continue;
            }
            let mut here = resolved.clone();
            here.push(part.clone());
            let joined = here.join(&b'/');
            let found = self.lookup(&joined)?;
            let target = match found.and_then(|id| self.node(id)) {
                Some(Node {
                    kind: NodeKind::Symlink(t),
                    ..
                }) => t.clone(),
                _ => {
                    resolved = here;
                    continue;
                }
            };
            if found.is_some_and(|id| refused.contains(&id)) {
                return Err(path_error(
                    path,
                    &format!(
                        "passes through /{}, a symlink the same archive made",
                        String::from_utf8_lossy(&joined)
                    ),
                ));
            }
            hops += 1;
            if hops > 40 {
                return Err(path_error(path, "too many levels of symbolic links"));
            }
            if target.starts_with(b"/") {
                resolved.clear();
            }
            for p in target.split(|&b| b == b'/').rev() {
                pending.push(p.to_vec());
            }
        }
        let mut out = Vec::new();
        for p in resolved {
            out.push(b'/');
            out.extend_from_slice(&p);
        }
        out.push(b'/');
        out.extend_from_slice(last);
        Ok(out)
    }

    /// Fails when a source file that file data stays in changed since it
    /// was read ([`SourceFile::check_unchanged`]); writers call it once
    /// they have copied everything.
    pub fn check_sources_unchanged(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for node in &self.nodes {
            if let NodeKind::File(FileData {
                stored: Stored::Source(src, _),
                ..
            }) = &node.kind
            {
                if seen.insert(src.clone()) {
                    src.check_unchanged()?;
                }
            }
        }
        Ok(())
    }

    /// Every path reachable from the root, depth first (each directory
    /// followed by its contents, names in byte order), each with its inode
    /// id. The root is `/`.
    pub fn walk(&self) -> Vec<(Vec<u8>, InodeId)> {
        let mut out = vec![(b"/".to_vec(), self.root)];
        let mut visited = std::collections::HashSet::from([self.root]);
        let mut stack: Vec<(Vec<u8>, InodeId)> = Vec::new();
        let push_children = |stack: &mut Vec<(Vec<u8>, InodeId)>, prefix: &[u8], dir: InodeId| {
            if let Some(entries) = self.dir_entries(dir) {
                for (name, &id) in entries.iter().rev() {
                    let mut path = prefix.to_vec();
                    path.push(b'/');
                    path.extend_from_slice(name);
                    stack.push((path, id));
                }
            }
        };
        push_children(&mut stack, b"", self.root);
        while let Some((path, id)) = stack.pop() {
            out.push((path.clone(), id));
            // A directory is entered once: a second entry naming it (which
            // no file system allows) would otherwise make the walk endless.
            if self.dir_entries(id).is_some() && visited.insert(id) {
                push_children(&mut stack, &path, id);
            }
        }
        out
    }

    /// Sum of the stored data of every reachable regular file, hard links counted once.
    pub fn content_bytes(&self) -> u64 {
        let mut seen = std::collections::HashSet::new();
        let mut total = 0u64;
        for (_, id) in self.walk() {
            if seen.insert(id) {
                if let Some(Node {
                    kind: NodeKind::File(f),
                    ..
                }) = self.nodes.get(id)
                {
                    total = total.saturating_add(f.stored_len());
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        Metadata::new(0o755, 0, 0, Timestamp::from_secs(1))
    }

    #[test]
    fn insert_creates_parents_and_lookup_finds_the_node() {
        let mut t = Tree::default();
        let f = Node::new(NodeKind::File(FileData::from_bytes(b"hi".to_vec())), meta());
        let id = t.insert(b"/a/b/c.txt", f, &meta()).unwrap();
        assert_eq!(t.lookup(b"a/b/c.txt").unwrap(), Some(id));
        assert!(t.dir_entries(t.lookup(b"/a").unwrap().unwrap()).is_some());
    }

    #[test]
    fn insert_refuses_paths_through_symlinks() {
        let mut t = Tree::default();
        t.insert(
            b"etc",
            Node::new(NodeKind::Symlink(b"/tmp".to_vec()), meta()),
            &meta(),
        )
        .unwrap();
        let f = Node::new(NodeKind::File(FileData::default()), meta());
        let err = t.insert(b"etc/passwd", f, &meta()).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    #[test]
    fn parents_resolve_through_in_tree_symlinks() {
        let mut t = Tree::default();
        t.insert(
            b"/usr/lib",
            Node::new(NodeKind::empty_dir(), meta()),
            &meta(),
        )
        .unwrap();
        t.insert(
            b"/lib",
            Node::new(NodeKind::Symlink(b"usr/lib".to_vec()), meta()),
            &meta(),
        )
        .unwrap();
        t.insert(
            b"/usr/bad",
            Node::new(NodeKind::Symlink(b"../../../../etc".to_vec()), meta()),
            &meta(),
        )
        .unwrap();
        assert_eq!(
            t.resolve_parents(b"lib/modules/x.ko").unwrap(),
            b"/usr/lib/modules/x.ko"
        );
        assert_eq!(
            t.resolve_parents(b"/usr/bad/passwd").unwrap(),
            b"/etc/passwd"
        );
    }

    #[test]
    fn dotdot_is_refused() {
        let mut t = Tree::default();
        let f = Node::new(NodeKind::File(FileData::default()), meta());
        assert!(t.insert(b"a/../../x", f, &meta()).is_err());
    }

    #[test]
    fn sparse_rejects_overlapping_runs() {
        let runs = vec![
            DataRun {
                offset: 0,
                data: vec![1; 10],
            },
            DataRun {
                offset: 5,
                data: vec![2; 10],
            },
        ];
        assert!(FileData::sparse(100, runs).is_err());
    }

    #[test]
    fn walk_lists_hard_links_under_both_names() {
        let mut t = Tree::default();
        let f = Node::new(NodeKind::File(FileData::from_bytes(vec![7; 3])), meta());
        let id = t.insert(b"x", f, &meta()).unwrap();
        t.hard_link(b"d/y", b"x", &meta()).unwrap();
        let paths: Vec<_> = t.walk().into_iter().filter(|(_, i)| *i == id).collect();
        assert_eq!(paths.len(), 2);
        assert_eq!(t.content_bytes(), 3);
    }
}
