//! cpio "newc" archives: the initramfs format.
//!
//! The reader ([`read`], [`read_initramfs`]) checks every field before using
//! it: hex digits, name and data sizes against the bytes that are there, the
//! NUL that ends each name. The writer ([`write`]) is reproducible: entries in
//! sorted path order (a directory before its contents), inode numbers counted
//! from the first entry, one modification time for every entry (from
//! `SOURCE_DATE_EPOCH` through [`source_date_epoch`], else 0), owner 0:0 unless
//! told otherwise, device numbers 0. Hard links share an inode number and carry
//! the data on the last link, symlink targets are the entry's data, device
//! nodes use the `rdev` fields: the layout GNU `cpio -o -H newc` writes.
//!
//! ```
//! use kir_core::cpio::{self, NewEntry, Node, WriteOptions};
//!
//! let entries = [
//!     NewEntry::new("init", Node::File(b"#!/bin/sh\n".to_vec()), 0o755),
//!     NewEntry::new("dev", Node::Directory, 0o755),
//!     NewEntry::new("dev/console", Node::CharDevice { major: 5, minor: 1 }, 0o600),
//! ];
//! let bytes = cpio::write(&entries, &WriteOptions::default()).unwrap();
//! let archive = cpio::read(&bytes).unwrap();
//! let names: Vec<_> = archive.entries.iter().map(|e| e.name.as_str()).collect();
//! assert_eq!(names, ["dev", "dev/console", "init"]);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::compress::{self, Compression};
use crate::{Error, Result};

/// Magic of the "newc" format (no checksum).
pub const NEWC_MAGIC: &[u8; 6] = b"070701";
/// Magic of the "crc" variant: `check` holds the byte sum of the data.
pub const CRC_MAGIC: &[u8; 6] = b"070702";
/// Name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";
/// Fixed header: magic + 13 fields of 8 hex digits.
const HEADER_LEN: usize = 110;
const FORMAT: &str = "cpio newc";

/// `st_mode` file-type bits.
const S_IFMT: u32 = 0o170000;
const S_IFSOCK: u32 = 0o140000;
const S_IFLNK: u32 = 0o120000;
const S_IFREG: u32 = 0o100000;
const S_IFBLK: u32 = 0o060000;
const S_IFDIR: u32 = 0o040000;
const S_IFCHR: u32 = 0o020000;
const S_IFIFO: u32 = 0o010000;

/// Header field names in stored order, after the magic.
const FIELDS: [&str; 13] = [
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_devmajor",
    "c_devminor",
    "c_rdevmajor",
    "c_rdevminor",
    "c_namesize",
    "c_check",
];

/// The kind of file an entry describes, from the type bits of its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// Regular file.
    Regular,
    /// Directory.
    Directory,
    /// Symbolic link; the entry's data is the target.
    Symlink,
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// Named pipe.
    Fifo,
    /// Unix socket.
    Socket,
}

impl FileType {
    /// The type of a `st_mode` value, or `None` for an unknown type.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The `st_mode` type bits.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::Symlink => S_IFLNK,
            FileType::CharDevice => S_IFCHR,
            FileType::BlockDevice => S_IFBLK,
            FileType::Fifo => S_IFIFO,
            FileType::Socket => S_IFSOCK,
        }
    }
}

/// One entry as stored in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path as stored, without the terminating NUL.
    pub name: String,
    /// `c_ino`: inode number; entries with equal ino (and dev) and nlink ≥ 2 are hard links.
    pub ino: u32,
    /// `c_mode`: file type and permission bits.
    pub mode: u32,
    /// `c_uid`.
    pub uid: u32,
    /// `c_gid`.
    pub gid: u32,
    /// `c_nlink`.
    pub nlink: u32,
    /// `c_mtime`, seconds since the epoch.
    pub mtime: u32,
    /// `c_devmajor`: device holding the file.
    pub dev_major: u32,
    /// `c_devminor`.
    pub dev_minor: u32,
    /// `c_rdevmajor`: for device nodes, the device they name.
    pub rdev_major: u32,
    /// `c_rdevminor`.
    pub rdev_minor: u32,
    /// File contents, or a symlink's target.
    pub data: Vec<u8>,
}

impl Entry {
    /// The entry's file type, `None` when the type bits are unknown.
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }

    /// Permission bits (including setuid, setgid and sticky).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }
}

/// One archive read from bytes: its entries (the trailer left out) and the
/// number of bytes up to the end of the trailer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// Entries in stored order.
    pub entries: Vec<Entry>,
    /// Bytes consumed, from the first header to the end of the trailer
    /// (4-aligned; the end of the input when it stops before that padding).
    pub len: usize,
}

/// Reads one archive from the start of `data`, up to and including its trailer.
pub fn read(data: &[u8]) -> Result<Archive> {
    let mut entries = Vec::new();
    let mut pos = 0usize;
    loop {
        let (entry, next) = read_entry(data, pos)?;
        pos = next;
        if entry.name == TRAILER {
            let len = pos.min(data.len());
            return Ok(Archive { entries, len });
        }
        entries.push(entry);
    }
}

/// One archive of an initramfs, as the kernel's unpacker meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Offset of the archive's compressed (or plain) bytes in the whole input.
    pub offset: usize,
    /// How it was compressed.
    pub compression: Compression,
    /// Its entries.
    pub entries: Vec<Entry>,
}

/// Reads an initramfs: a sequence of cpio archives, each plain or compressed,
/// separated by optional NUL padding, as the kernel accepts (and as KIR's
/// `cat initrd.cpio.gz modules.cpio.gz` makes).
pub fn read_initramfs(data: &[u8]) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut pos = 0usize;
    loop {
        pos += data
            .get(pos..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == 0)
            .count();
        let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) else {
            break;
        };
        let compression = compress::sniff(rest);
        if compression == Compression::None {
            let archive = read(rest).map_err(|e| e.shifted(pos))?;
            segments.push(Segment {
                offset: pos,
                compression,
                entries: archive.entries,
            });
            pos += archive.len;
            continue;
        }
        let (plain, used) = compress::decompress_member(rest).map_err(|e| e.shifted(pos))?;
        log::debug!("initramfs: {compression} member at offset {pos}, {used} bytes");
        let mut inner = 0usize;
        loop {
            inner += plain
                .get(inner..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b == 0)
                .count();
            let Some(archive_bytes) = plain.get(inner..).filter(|r| !r.is_empty()) else {
                break;
            };
            let archive = read(archive_bytes).map_err(|e| Error::Check {
                input: format!("{compression} member at offset {pos:#x}"),
                reason: e.to_string(),
            })?;
            segments.push(Segment {
                offset: pos,
                compression,
                entries: archive.entries,
            });
            inner += archive.len;
        }
        pos += used;
    }
    if segments.is_empty() {
        return Err(Error::malformed(
            FORMAT,
            0,
            "c_magic",
            "empty input: no archive",
        ));
    }
    Ok(segments)
}

fn read_entry(data: &[u8], pos: usize) -> Result<(Entry, usize)> {
    // The magic first, so that another cpio format is named as such rather
    // than reported as a short header.
    if let Some(magic) = data.get(pos..pos.saturating_add(6))
        && magic != NEWC_MAGIC
        && magic != CRC_MAGIC
    {
        let what = match magic {
            b"070707" => "the old portable (odc) cpio format".to_string(),
            [0xc7, 0x71, ..] | [0x71, 0xc7, ..] => "the old binary cpio format".to_string(),
            _ => format!("{:?}", String::from_utf8_lossy(magic)),
        };
        return Err(Error::malformed(
            FORMAT,
            pos as u64,
            "c_magic",
            format!("{what} is neither newc (070701) nor newc with CRC (070702)"),
        ));
    }
    let header = data.get(pos..pos + HEADER_LEN).ok_or_else(|| {
        Error::malformed(
            FORMAT,
            pos as u64,
            "header",
            format!(
                "{} bytes left, a header needs {HEADER_LEN}",
                data.len().saturating_sub(pos)
            ),
        )
    })?;
    let magic = &header[..6];
    let crc = if magic == NEWC_MAGIC {
        false
    } else if magic == CRC_MAGIC {
        true
    } else {
        return Err(Error::malformed(
            FORMAT,
            pos as u64,
            "c_magic",
            format!(
                "{:?} is neither 070701 nor 070702",
                String::from_utf8_lossy(magic)
            ),
        ));
    };

    let mut fields = [0u32; 13];
    for (i, (slot, name)) in fields.iter_mut().zip(FIELDS).enumerate() {
        let at = 6 + i * 8;
        let text = &header[at..at + 8];
        *slot = std::str::from_utf8(text)
            .ok()
            .filter(|t| t.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|t| u32::from_str_radix(t, 16).ok())
            .ok_or_else(|| {
                Error::malformed(
                    FORMAT,
                    (pos + at) as u64,
                    name,
                    format!("{:?} is not 8 hex digits", String::from_utf8_lossy(text)),
                )
            })?;
    }
    let [
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        filesize,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        namesize,
        check,
    ] = fields;

    let name_at = pos + HEADER_LEN;
    let namesize = namesize as usize;
    if namesize == 0 {
        return Err(Error::malformed(
            FORMAT,
            (pos + 94) as u64,
            "c_namesize",
            "0: no room for the NUL",
        ));
    }
    let name_bytes = name_at
        .checked_add(namesize)
        .and_then(|end| data.get(name_at..end))
        .ok_or_else(|| {
            Error::malformed(
                FORMAT,
                (pos + 94) as u64,
                "c_namesize",
                format!(
                    "{namesize} runs past the end of the input ({} bytes)",
                    data.len()
                ),
            )
        })?;
    let (last, name_bytes) = name_bytes.split_last().unwrap_or((&1, &[]));
    if *last != 0 || name_bytes.contains(&0) {
        return Err(Error::malformed(
            FORMAT,
            name_at as u64,
            "name",
            "not a single NUL-terminated string of c_namesize bytes",
        ));
    }
    let name = String::from_utf8(name_bytes.to_vec())
        .map_err(|_| Error::malformed(FORMAT, name_at as u64, "name", "not valid UTF-8"))?;

    let data_at = align4(name_at + namesize);
    let filesize = filesize as usize;
    let body = data_at
        .checked_add(filesize)
        .and_then(|end| data.get(data_at..end))
        .ok_or_else(|| {
            Error::malformed(
                FORMAT,
                (pos + 54) as u64,
                "c_filesize",
                format!(
                    "{filesize} bytes of {name:?} run past the end of the input ({} bytes)",
                    data.len()
                ),
            )
        })?;
    if crc {
        let sum = body
            .iter()
            .fold(0u32, |acc, &b| acc.wrapping_add(u32::from(b)));
        if sum != check {
            return Err(Error::malformed(
                FORMAT,
                (pos + 102) as u64,
                "c_check",
                format!("{check:#x} but the data of {name:?} sums to {sum:#x}"),
            ));
        }
    }
    let entry = Entry {
        name,
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        data: body.to_vec(),
    };
    Ok((entry, align4(data_at + filesize)))
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// What a new entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Regular file with these contents.
    File(Vec<u8>),
    /// Directory.
    Directory,
    /// Symbolic link to this target.
    Symlink(String),
    /// Hard link to the regular file at this path (which must be in the same archive).
    HardLink(String),
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

/// An entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// Path inside the archive; a leading `./` or `/` is dropped, `.` is the root.
    pub path: String,
    /// What it is.
    pub node: Node,
    /// Permission bits (0o7777 mask).
    pub permissions: u32,
    /// Owner, used unless [`WriteOptions::owner`] overrides it.
    pub uid: u32,
    /// Group, used unless [`WriteOptions::owner`] overrides it.
    pub gid: u32,
}

impl NewEntry {
    /// An entry owned by 0:0.
    pub fn new(path: impl Into<String>, node: Node, permissions: u32) -> Self {
        NewEntry {
            path: path.into(),
            node,
            permissions,
            uid: 0,
            gid: 0,
        }
    }
}

/// How [`write`] lays out an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// `c_mtime` of every entry (seconds since the epoch).
    pub mtime: u32,
    /// Owner and group written for every entry (`cpio -R 0:0`); `None` keeps each entry's own.
    pub owner: Option<(u32, u32)>,
    /// Pad the archive with NULs to a multiple of this many bytes (GNU cpio: 512; 0 or 1: none).
    pub pad_to: u32,
    /// Inode number of the first entry; the next ones count up from it.
    pub first_ino: u32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            mtime: 0,
            owner: Some((0, 0)),
            pad_to: 512,
            first_ino: 1,
        }
    }
}

/// Parses a `SOURCE_DATE_EPOCH` value (decimal seconds) into an archive
/// mtime; `None` (variable unset) gives 0.
pub fn source_date_epoch(value: Option<&str>) -> Result<u32> {
    match value {
        None => Ok(0),
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            Error::invalid_argument(
                "SOURCE_DATE_EPOCH",
                format!(
                    "{v:?} is not a number of seconds between 0 and {}",
                    u32::MAX
                ),
            )
        }),
    }
}

/// Normalises an archive path: drops leading `./` and `/`, refuses `..`, empty
/// components and NULs. The root is `.`.
pub fn normalize_path(path: &str) -> Result<String> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => continue,
            ".." => {
                return Err(Error::invalid_argument(
                    path,
                    "`..` components are not allowed in archive paths",
                ));
            }
            p if p.contains('\0') => {
                return Err(Error::invalid_argument(path, "NUL in archive path"));
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        Ok(".".to_string())
    } else {
        Ok(parts.join("/"))
    }
}

/// Writes `entries` as one newc archive with its trailer.
///
/// Entries are sorted by path component (so `usr` comes before `usr/lib` and
/// `usr/lib` before `usr-x`); paths must be unique after normalisation, and a
/// hard link must name a regular file of the same archive.
pub fn write(entries: &[NewEntry], opts: &WriteOptions) -> Result<Vec<u8>> {
    let mut sorted: BTreeMap<Vec<String>, &NewEntry> = BTreeMap::new();
    for entry in entries {
        let path = normalize_path(&entry.path)?;
        let key = sort_key(&path);
        if sorted.insert(key, entry).is_some() {
            return Err(Error::invalid_argument(
                &entry.path,
                "path appears twice in the archive",
            ));
        }
    }

    let paths: Vec<(String, &NewEntry)> = sorted
        .into_iter()
        .map(|(key, entry)| (key_to_path(&key), entry))
        .collect();

    let index: HashMap<&str, usize> = paths
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.as_str(), i))
        .collect();

    // Hard-link groups: the file's index, then its links in archive order.
    let mut link_target = vec![None; paths.len()];
    let mut group_size = vec![1u32; paths.len()];
    let mut last_of_group = (0..paths.len()).collect::<Vec<_>>();
    for (i, (path, entry)) in paths.iter().enumerate() {
        if let Node::HardLink(target) = &entry.node {
            let target_path = normalize_path(target)?;
            let t = *index.get(target_path.as_str()).ok_or_else(|| {
                Error::invalid_argument(
                    path,
                    format!("hard link to {target:?}, which is not in the archive"),
                )
            })?;
            if !matches!(paths[t].1.node, Node::File(_)) {
                return Err(Error::invalid_argument(
                    path,
                    format!("hard link to {target:?}, which is not a regular file"),
                ));
            }
            link_target[i] = Some(t);
            group_size[t] += 1;
            last_of_group[t] = last_of_group[t].max(i);
        }
    }

    let mut subdirs: HashMap<&str, u32> = HashMap::new();
    for (path, entry) in &paths {
        if matches!(entry.node, Node::Directory) && path != "." {
            *subdirs.entry(parent_of(path)).or_default() += 1;
        }
    }

    let mut out = Vec::new();
    // One inode number per file, given when the first of its names (the file
    // or a link sorting before it) is written.
    let mut next_ino = opts.first_ino;
    let mut group_ino: HashMap<usize, u32> = HashMap::new();
    for (i, (path, entry)) in paths.iter().enumerate() {
        let group = link_target[i].unwrap_or(i);
        let this_ino = *group_ino.entry(group).or_insert_with(|| {
            let assigned = next_ino;
            next_ino = next_ino.wrapping_add(1);
            assigned
        });

        let source = paths[group].1;
        let (file_type, nlink, data, rdev): (FileType, u32, &[u8], (u32, u32)) = match &source.node
        {
            Node::File(bytes) => {
                let carries_data = last_of_group[group] == i;
                let data: &[u8] = if carries_data { bytes } else { &[] };
                (FileType::Regular, group_size[group], data, (0, 0))
            }
            Node::Directory => (
                FileType::Directory,
                2 + subdirs.get(path.as_str()).copied().unwrap_or(0),
                &[],
                (0, 0),
            ),
            Node::Symlink(target) => (FileType::Symlink, 1, target.as_bytes(), (0, 0)),
            Node::CharDevice { major, minor } => (FileType::CharDevice, 1, &[], (*major, *minor)),
            Node::BlockDevice { major, minor } => (FileType::BlockDevice, 1, &[], (*major, *minor)),
            Node::Fifo => (FileType::Fifo, 1, &[], (0, 0)),
            Node::Socket => (FileType::Socket, 1, &[], (0, 0)),
            // A link's source is the regular file it names (checked above).
            Node::HardLink(_) => {
                return Err(Error::invalid_argument(path, "hard link to a hard link"));
            }
        };
        let (uid, gid) = opts.owner.unwrap_or((entry.uid, entry.gid));
        let mode = file_type.mode_bits() | (source.permissions & 0o7777);
        push_entry(
            &mut out, path, this_ino, mode, uid, gid, nlink, opts.mtime, rdev, data,
        )?;
    }
    push_entry(&mut out, TRAILER, 0, 0, 0, 0, 1, 0, (0, 0), &[])?;
    if opts.pad_to > 1 {
        let pad = opts.pad_to as usize;
        out.resize(out.len().div_ceil(pad) * pad, 0);
    }
    Ok(out)
}

fn sort_key(path: &str) -> Vec<String> {
    if path == "." {
        Vec::new()
    } else {
        path.split('/').map(str::to_string).collect()
    }
}

fn key_to_path(key: &[String]) -> String {
    if key.is_empty() {
        ".".to_string()
    } else {
        key.join("/")
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => ".",
    }
}

#[allow(clippy::too_many_arguments)]
fn push_entry(
    out: &mut Vec<u8>,
    name: &str,
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    rdev: (u32, u32),
    data: &[u8],
) -> Result<()> {
    let filesize = u32::try_from(data.len()).map_err(|_| {
        Error::invalid_argument(name, "file of 4 GiB or more does not fit newc's c_filesize")
    })?;
    let namesize = u32::try_from(name.len() + 1)
        .map_err(|_| Error::invalid_argument(name, "name too long for c_namesize"))?;
    let fields = [
        ino, mode, uid, gid, nlink, mtime, filesize, 0, 0, rdev.0, rdev.1, namesize, 0,
    ];
    out.extend_from_slice(NEWC_MAGIC);
    for field in fields {
        out.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.resize(align4(out.len()), 0);
    out.extend_from_slice(data);
    out.resize(align4(out.len()), 0);
    Ok(())
}

/// Turns read entries back into entries to write, applying the kernel's rule
/// that a later entry of the same name replaces an earlier one, and turning
/// hard-link groups (equal ino and dev, nlink ≥ 2) into one file and links.
pub fn to_new_entries(entries: &[Entry]) -> Result<Vec<NewEntry>> {
    let mut by_path: BTreeMap<Vec<String>, NewEntry> = BTreeMap::new();
    let mut first_link: HashMap<(u32, u32, u32), String> = HashMap::new();
    for entry in entries {
        let path = normalize_path(&entry.name)?;
        let node = match entry.file_type() {
            Some(FileType::Regular) if entry.nlink >= 2 => {
                let key = (entry.ino, entry.dev_major, entry.dev_minor);
                match first_link.get(&key) {
                    Some(first) if first != &path => {
                        if !entry.data.is_empty() {
                            if let Some(NewEntry {
                                node: Node::File(data),
                                ..
                            }) = by_path.get_mut(&sort_key(first))
                            {
                                data.clone_from(&entry.data);
                            }
                        }
                        Node::HardLink(first.clone())
                    }
                    _ => {
                        first_link.insert(key, path.clone());
                        Node::File(entry.data.clone())
                    }
                }
            }
            Some(FileType::Regular) => Node::File(entry.data.clone()),
            Some(FileType::Directory) => Node::Directory,
            Some(FileType::Symlink) => {
                Node::Symlink(String::from_utf8(entry.data.clone()).map_err(|_| {
                    Error::invalid_argument(&entry.name, "symlink target is not UTF-8")
                })?)
            }
            Some(FileType::CharDevice) => Node::CharDevice {
                major: entry.rdev_major,
                minor: entry.rdev_minor,
            },
            Some(FileType::BlockDevice) => Node::BlockDevice {
                major: entry.rdev_major,
                minor: entry.rdev_minor,
            },
            Some(FileType::Fifo) => Node::Fifo,
            Some(FileType::Socket) => Node::Socket,
            None => {
                return Err(Error::invalid_argument(
                    &entry.name,
                    format!("unknown file type in mode {:o}", entry.mode),
                ));
            }
        };
        // Hard links share one inode, so one mode and owner: the kernel keeps
        // those of the first entry and applies none of a later link's.
        let (permissions, uid, gid) = match &node {
            Node::HardLink(first) => match by_path.get(&sort_key(first)) {
                Some(target) => (target.permissions, target.uid, target.gid),
                None => (entry.permissions(), entry.uid, entry.gid),
            },
            _ => (entry.permissions(), entry.uid, entry.gid),
        };
        let new = NewEntry {
            path: path.clone(),
            node,
            permissions,
            uid,
            gid,
        };
        by_path.insert(sort_key(&path), new);
    }
    // A link whose file was later replaced by something else is kept as a
    // copy. A link to a file that was replaced by another file takes the
    // replacement's mode and owner: the group is one inode.
    let snapshot: HashMap<String, (bool, u32, u32, u32)> = by_path
        .values()
        .map(|e| {
            let is_file = matches!(e.node, Node::File(_));
            (e.path.clone(), (is_file, e.permissions, e.uid, e.gid))
        })
        .collect();
    for entry in by_path.values_mut() {
        if let Node::HardLink(target) = &entry.node {
            match snapshot.get(target) {
                Some(&(true, permissions, uid, gid)) => {
                    entry.permissions = permissions;
                    entry.uid = uid;
                    entry.gid = gid;
                }
                _ => entry.node = Node::File(Vec::new()),
            }
        }
    }
    canonical_link_groups(&mut by_path);
    Ok(by_path.into_values().collect())
}

/// Which name of a hard-link group holds the data is an accident of the input
/// order. The writer puts names in path order and the reader gives the data
/// to the first name it meets, so the first name in path order holds it here
/// too: an archive kir writes then reads back to the same entries.
fn canonical_link_groups(by_path: &mut BTreeMap<Vec<String>, NewEntry>) {
    let mut groups: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
    for (key, entry) in by_path.iter() {
        if let Node::HardLink(target) = &entry.node {
            groups
                .entry(sort_key(target))
                .or_default()
                .push(key.clone());
        }
    }
    for (file_key, links) in groups {
        let Some(first) = links.iter().min().cloned() else {
            continue;
        };
        if first >= file_key {
            continue;
        }
        let (data, permissions, uid, gid) = match by_path.get(&file_key) {
            Some(NewEntry {
                node: Node::File(data),
                permissions,
                uid,
                gid,
                ..
            }) => (data.clone(), *permissions, *uid, *gid),
            _ => continue,
        };
        let Some(first_path) = by_path.get(&first).map(|e| e.path.clone()) else {
            continue;
        };
        // The group is one inode: every name keeps the inode's mode and owner.
        for key in links.iter().chain([&file_key]) {
            if let Some(entry) = by_path.get_mut(key) {
                entry.node = if *key == first {
                    Node::File(data.clone())
                } else {
                    Node::HardLink(first_path.clone())
                };
                entry.permissions = permissions;
                entry.uid = uid;
                entry.gid = gid;
            }
        }
    }
}

/// One line per entry in the style of `cpio -itv --numeric-uid-gid`, without
/// the date column: mode string, links, uid, gid, size (or `major, minor` for
/// devices), name, and `-> target` for symlinks.
pub fn listing(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let size = match e.file_type() {
                Some(FileType::CharDevice | FileType::BlockDevice) => {
                    format!("{}, {}", e.rdev_major, e.rdev_minor)
                }
                _ => e.data.len().to_string(),
            };
            let mut line = format!(
                "{} {} {} {} {} {}",
                mode_string(e.mode),
                e.nlink,
                e.uid,
                e.gid,
                size,
                e.name
            );
            if e.file_type() == Some(FileType::Symlink) {
                line.push_str(" -> ");
                line.push_str(&String::from_utf8_lossy(&e.data));
            }
            line
        })
        .collect()
}

/// `ls -l` style mode string, e.g. `drwxr-xr-x`.
pub fn mode_string(mode: u32) -> String {
    let kind = match FileType::from_mode(mode) {
        Some(FileType::Regular) => '-',
        Some(FileType::Directory) => 'd',
        Some(FileType::Symlink) => 'l',
        Some(FileType::CharDevice) => 'c',
        Some(FileType::BlockDevice) => 'b',
        Some(FileType::Fifo) => 'p',
        Some(FileType::Socket) => 's',
        None => '?',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, (bit, set, unset)) in special.into_iter().enumerate() {
        let shift = 6 - 3 * i;
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let x = bits & 1 != 0;
        s.push(match (mode & bit != 0, x) {
            (true, true) => set,
            (true, false) => unset,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// What [`extract`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractReport {
    /// Entries written (files, directories, symlinks, hard links).
    pub written: usize,
    /// Entries not written because they need privileges: device nodes, fifos, sockets.
    pub skipped: Vec<String>,
}

/// Extracts `entries` below `dest` (created when missing). Names are checked
/// first: absolute names, `..` components and paths that would pass through a
/// symlink (one the archive made or one already there) are refused with
/// [`Error::UnsafePath`]; nothing is written outside `dest`.
///
// Limitation: device nodes, fifos and sockets are skipped (listed in the
// report) and owners and times are not restored, since both need root.
#[cfg(unix)]
pub fn extract(entries: &[Entry], dest: &Path) -> Result<ExtractReport> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;

    let archive = dest.display().to_string();
    let mut checked = Vec::with_capacity(entries.len());
    for entry in entries {
        checked.push(safe_relative(&archive, &entry.name)?);
    }
    refuse_paths_through_non_directories(&archive, entries, &checked, dest)?;
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;

    let mut report = ExtractReport::default();
    let mut links: HashMap<(u32, u32, u32), PathBuf> = HashMap::new();
    let mut dir_modes = Vec::new();
    for (entry, rel) in entries.iter().zip(checked) {
        if rel.as_os_str().is_empty() {
            continue;
        }
        refuse_symlink_ancestors(&archive, &entry.name, dest, &rel)?;
        let path = dest.join(&rel);
        match entry.file_type() {
            Some(FileType::Directory) => {
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        remove_existing(&path)?;
                        std::fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
                    }
                    Err(_) => std::fs::create_dir(&path).map_err(|e| Error::io(&path, e))?,
                }
                dir_modes.push((path, entry.permissions()));
            }
            Some(FileType::Regular) => {
                let key = (entry.ino, entry.dev_major, entry.dev_minor);
                let linked = match links.get(&key) {
                    Some(first) if entry.nlink >= 2 && first.exists() => {
                        remove_existing(&path)?;
                        std::fs::hard_link(first, &path).map_err(|e| Error::io(&path, e))?;
                        true
                    }
                    _ => false,
                };
                if !linked {
                    remove_existing(&path)?;
                    std::fs::write(&path, &entry.data).map_err(|e| Error::io(&path, e))?;
                } else if !entry.data.is_empty() {
                    // GNU puts the data on the last link: fill the shared inode.
                    std::fs::write(&path, &entry.data).map_err(|e| Error::io(&path, e))?;
                }
                if entry.nlink >= 2 && !linked {
                    links.insert(key, path.clone());
                }
                std::fs::set_permissions(
                    &path,
                    std::fs::Permissions::from_mode(entry.permissions()),
                )
                .map_err(|e| Error::io(&path, e))?;
            }
            Some(FileType::Symlink) => {
                remove_existing(&path)?;
                let target = std::ffi::OsStr::from_bytes(&entry.data);
                std::os::unix::fs::symlink(target, &path).map_err(|e| Error::io(&path, e))?;
            }
            _ => {
                report.skipped.push(entry.name.clone());
                continue;
            }
        }
        report.written += 1;
    }
    // Directory modes last, so a read-only directory does not block its contents.
    for (path, mode) in dir_modes.into_iter().rev() {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(&path, e))?;
    }
    Ok(report)
}

#[cfg(unix)]
fn remove_existing(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path).map_err(|e| Error::io(path, e)),
        Ok(_) => std::fs::remove_file(path).map_err(|e| Error::io(path, e)),
        Err(_) => Ok(()),
    }
}

/// The entry name as a relative path with only normal components; the root
/// (`.`) gives an empty path.
fn safe_relative(archive: &str, name: &str) -> Result<PathBuf> {
    let unsafe_path = |reason: &str| Error::UnsafePath {
        archive: archive.to_string(),
        entry: name.to_string(),
        reason: reason.to_string(),
    };
    let mut rel = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_path("contains a `..` component")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_path("is an absolute path"));
            }
        }
    }
    Ok(rel)
}

/// Plays the extraction through without writing: an entry whose parent is,
/// by the time it is written, a symlink or another non-directory (one the
/// archive makes earlier or one already below `dest`) is refused before
/// anything is written.
#[cfg(unix)]
fn refuse_paths_through_non_directories(
    archive: &str,
    entries: &[Entry],
    checked: &[PathBuf],
    dest: &Path,
) -> Result<()> {
    // Paths the archive has made so far, and whether each is a directory.
    let mut made: HashMap<&Path, bool> = HashMap::new();
    for (entry, rel) in entries.iter().zip(checked) {
        if rel.as_os_str().is_empty() {
            continue;
        }
        for ancestor in rel.ancestors().skip(1) {
            if ancestor.as_os_str().is_empty() {
                break;
            }
            let is_dir = match made.get(ancestor) {
                Some(&is_dir) => is_dir,
                None => std::fs::symlink_metadata(dest.join(ancestor))
                    .map(|m| m.is_dir())
                    .unwrap_or(true),
            };
            if !is_dir {
                return Err(Error::UnsafePath {
                    archive: archive.to_string(),
                    entry: entry.name.clone(),
                    reason: format!(
                        "passes through {}, which is not a directory (a symlink or a file)",
                        ancestor.display()
                    ),
                });
            }
        }
        let is_dir = matches!(entry.file_type(), Some(FileType::Directory));
        made.insert(rel.as_path(), is_dir);
    }
    Ok(())
}

#[cfg(unix)]
fn refuse_symlink_ancestors(archive: &str, name: &str, dest: &Path, rel: &Path) -> Result<()> {
    let mut at = dest.to_path_buf();
    let mut components = rel.components().peekable();
    while let Some(component) = components.next() {
        if components.peek().is_none() {
            break;
        }
        at.push(component);
        if let Ok(m) = std::fs::symlink_metadata(&at) {
            if m.file_type().is_symlink() {
                return Err(Error::UnsafePath {
                    archive: archive.to_string(),
                    entry: name.to_string(),
                    reason: format!("its parent {} is a symlink", at.display()),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_ending_without_the_trailer_padding_reports_the_input_length() {
        // Fuzz finding: a trailer carrying 1 byte of data that ends the input
        // unpadded gave a length 3 bytes past the input.
        let fields = [0u32, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 11, 0];
        let mut data = b"070701".to_vec();
        for f in fields {
            data.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        data.extend_from_slice(b"TRAILER!!!\0\0\0\0x");
        assert_eq!(data.len(), 125);
        let archive = read(&data).unwrap();
        assert_eq!(archive.len, data.len());
    }

    fn sample() -> Vec<NewEntry> {
        vec![
            NewEntry::new("usr/lib", Node::Directory, 0o755),
            NewEntry::new("./usr", Node::Directory, 0o755),
            NewEntry::new("usr/lib/a.ko", Node::File(b"module".to_vec()), 0o644),
            NewEntry::new("usr/lib/b.ko", Node::HardLink("usr/lib/a.ko".into()), 0o644),
            NewEntry::new("bin", Node::Symlink("usr/bin".into()), 0o777),
            NewEntry::new("dev-null", Node::CharDevice { major: 1, minor: 3 }, 0o666),
            NewEntry::new(".", Node::Directory, 0o755),
        ]
    }

    #[test]
    fn writer_orders_parents_first_and_numbers_inodes_from_one() {
        let bytes = write(&sample(), &WriteOptions::default()).unwrap();
        let archive = read(&bytes).unwrap();
        let names: Vec<_> = archive.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                ".",
                "bin",
                "dev-null",
                "usr",
                "usr/lib",
                "usr/lib/a.ko",
                "usr/lib/b.ko"
            ]
        );
        let inos: Vec<_> = archive.entries.iter().map(|e| e.ino).collect();
        assert_eq!(inos, [1, 2, 3, 4, 5, 6, 6]);
        assert_eq!(bytes.len() % 512, 0);
    }

    #[test]
    fn hard_link_data_travels_with_the_last_link() {
        let bytes = write(&sample(), &WriteOptions::default()).unwrap();
        let archive = read(&bytes).unwrap();
        let a = &archive.entries[5];
        let b = &archive.entries[6];
        assert_eq!((a.nlink, b.nlink), (2, 2));
        assert!(a.data.is_empty());
        assert_eq!(b.data, b"module");
    }

    #[test]
    fn link_sorting_before_its_file_shares_the_inode_and_the_last_name_has_the_data() {
        let entries = [
            NewEntry::new("z-file", Node::File(b"payload".to_vec()), 0o644),
            NewEntry::new("a-link", Node::HardLink("z-file".into()), 0o644),
        ];
        let archive = read(&write(&entries, &WriteOptions::default()).unwrap()).unwrap();
        let (link, file) = (&archive.entries[0], &archive.entries[1]);
        assert_eq!(
            (link.name.as_str(), file.name.as_str()),
            ("a-link", "z-file")
        );
        assert_eq!((link.ino, file.ino), (1, 1));
        assert_eq!((link.nlink, file.nlink), (2, 2));
        assert!(link.data.is_empty());
        assert_eq!(file.data, b"payload");
    }

    #[test]
    fn other_cpio_formats_are_named_not_reported_as_short_headers() {
        let mut odc = b"070707".to_vec();
        odc.extend_from_slice(&[b'0'; 70]);
        let err = read(&odc).unwrap_err().to_string();
        assert!(err.contains("odc") && err.contains("c_magic"), "{err}");
        let err = read(&[0xc7, 0x71, 0, 0, 0, 0, 0, 0])
            .unwrap_err()
            .to_string();
        assert!(err.contains("old binary"), "{err}");
    }

    #[test]
    fn link_follows_the_owner_of_a_file_that_replaced_its_target() {
        // "f" (uid 32), its link "l", then "f" again with uid 0: the later
        // "f" wins, and "l" names the same inode, so it takes uid 0 too.
        let mut raw = Vec::new();
        let file = FileType::Regular.mode_bits() | 0o644;
        push_entry(&mut raw, "f", 7, file, 32, 0, 2, 0, (0, 0), b"one").unwrap();
        push_entry(&mut raw, "l", 7, file, 32, 0, 2, 0, (0, 0), b"").unwrap();
        push_entry(&mut raw, "f", 7, file, 0, 0, 2, 0, (0, 0), b"two").unwrap();
        push_entry(&mut raw, TRAILER, 0, 0, 0, 0, 1, 0, (0, 0), &[]).unwrap();
        let entries = to_new_entries(&read(&raw).unwrap().entries).unwrap();
        let owners: Vec<_> = entries.iter().map(|e| (e.path.as_str(), e.uid)).collect();
        assert_eq!(owners, [("f", 0), ("l", 0)]);

        let opts = WriteOptions {
            owner: None,
            ..WriteOptions::default()
        };
        let again = read(&write(&entries, &opts).unwrap()).unwrap();
        assert_eq!(to_new_entries(&again.entries).unwrap(), entries);
    }

    #[test]
    fn directory_nlink_counts_subdirectories() {
        let bytes = write(&sample(), &WriteOptions::default()).unwrap();
        let archive = read(&bytes).unwrap();
        let nlink: HashMap<_, _> = archive
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.nlink))
            .collect();
        assert_eq!(nlink["."], 3);
        assert_eq!(nlink["usr"], 3);
        assert_eq!(nlink["usr/lib"], 2);
    }

    #[test]
    fn mtime_and_owner_options_apply_to_every_entry() {
        let mut entries = sample();
        entries[0].uid = 1000;
        let opts = WriteOptions {
            mtime: 1_700_000_000,
            ..WriteOptions::default()
        };
        let archive = read(&write(&entries, &opts).unwrap()).unwrap();
        assert!(
            archive
                .entries
                .iter()
                .all(|e| e.mtime == 1_700_000_000 && e.uid == 0 && e.gid == 0)
        );
        let keep = WriteOptions {
            owner: None,
            ..WriteOptions::default()
        };
        let archive = read(&write(&entries, &keep).unwrap()).unwrap();
        assert!(archive.entries.iter().any(|e| e.uid == 1000));
    }

    #[test]
    fn duplicate_paths_are_refused() {
        let entries = [
            NewEntry::new("a", Node::Directory, 0o755),
            NewEntry::new("./a", Node::Directory, 0o755),
        ];
        assert!(write(&entries, &WriteOptions::default()).is_err());
    }

    #[test]
    fn filesize_past_end_names_the_field() {
        let mut bytes = write(&sample(), &WriteOptions::default()).unwrap();
        // First entry "." : set c_filesize to a huge value.
        bytes[54..62].copy_from_slice(b"7FFFFFFF");
        let err = read(&bytes).unwrap_err();
        assert!(err.to_string().contains("c_filesize"), "{err}");
        assert!(err.to_string().contains("offset 0x36"), "{err}");
    }

    #[test]
    fn non_hex_field_is_reported_with_its_name() {
        let mut bytes = write(&sample(), &WriteOptions::default()).unwrap();
        bytes[14] = b'Z';
        let err = read(&bytes).unwrap_err();
        assert!(err.to_string().contains("c_mode"), "{err}");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = write(
            &sample(),
            &WriteOptions {
                pad_to: 0,
                ..WriteOptions::default()
            },
        )
        .unwrap();
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn crc_variant_checks_the_data_sum() {
        let entries = [NewEntry::new("f", Node::File(b"ab".to_vec()), 0o644)];
        let mut bytes = write(&entries, &WriteOptions::default()).unwrap();
        bytes[..6].copy_from_slice(CRC_MAGIC);
        assert!(read(&bytes).is_err());
        let sum = format!("{:08X}", u32::from(b'a') + u32::from(b'b'));
        bytes[102..110].copy_from_slice(sum.as_bytes());
        assert_eq!(read(&bytes).unwrap().entries[0].data, b"ab");
    }

    #[test]
    fn round_trip_through_new_entries_is_identical() {
        let bytes = write(&sample(), &WriteOptions::default()).unwrap();
        let again = write(
            &to_new_entries(&read(&bytes).unwrap().entries).unwrap(),
            &WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(bytes, again);
    }

    #[test]
    fn mode_string_matches_ls() {
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o020600), "crw-------");
    }

    #[test]
    fn source_date_epoch_parses_or_names_the_variable() {
        assert_eq!(source_date_epoch(None).unwrap(), 0);
        assert_eq!(
            source_date_epoch(Some("1700000000")).unwrap(),
            1_700_000_000
        );
        assert!(
            source_date_epoch(Some("yesterday"))
                .unwrap_err()
                .to_string()
                .contains("SOURCE_DATE_EPOCH")
        );
    }
}
