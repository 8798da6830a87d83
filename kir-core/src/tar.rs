//! Tarballs into and out of the ext4 [`Tree`](crate::ext4::Tree), without
//! touching the host file system.
//!
//! Reading keeps owners, modes, device numbers and times from the headers
//! (no root needed), PAX attributes (`SCHILY.xattr.*`, `path`, `linkpath`,
//! `uid`, `gid`, `mtime`), GNU long names and GNU sparse members (holes stay
//! holes). Entries whose names would land outside the root (`..`, absolute
//! paths, paths through a symlink) are refused with [`Error::UnsafePath`].
//!
//! ```
//! use kir_core::ext4::{FileData, Metadata, Node, NodeKind, Timestamp, Tree};
//! use kir_core::tar::{read_tar, write_tar};
//!
//! let meta = Metadata::new(0o644, 0, 0, Timestamp::from_secs(1));
//! let mut tree = Tree::new(Metadata::new(0o755, 0, 0, Timestamp::from_secs(1)));
//! tree.insert(b"/etc/hostname", Node::new(NodeKind::File(FileData::from_bytes(b"lab\n".to_vec())), meta.clone()), &meta)?;
//! let mut tar = Vec::new();
//! write_tar(&tree, &mut tar)?;
//! let back = read_tar(&tar[..], "demo.tar")?;
//! assert!(back.lookup(b"/etc/hostname")?.is_some());
//! # Ok::<(), kir_core::Error>(())
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use crate::ext4::{
    DataRun, FileData, InodeId, Metadata, Node, NodeKind, SourceFile, SourceSpan, Stored,
    Timestamp, Tree, Xattr,
};
use crate::{Error, Result};

/// Reads a whole (uncompressed) tar stream into a new tree.
pub fn read_tar(input: impl Read, archive: &str) -> Result<Tree> {
    let mut tree = Tree::default();
    read_tar_into(&mut tree, input, b"/", archive)?;
    Ok(tree)
}

fn unsafe_path(archive: &str, entry: &[u8], reason: &str) -> Error {
    Error::UnsafePath {
        archive: archive.to_string(),
        entry: String::from_utf8_lossy(entry).into_owned(),
        reason: reason.to_string(),
    }
}

/// Normalises an entry name: strips `./` and empty components, refuses
/// absolute names and `..`. Returns the components joined by `/`.
fn clean_name(archive: &str, name: &[u8]) -> Result<Vec<u8>> {
    if name.starts_with(b"/") {
        return Err(unsafe_path(archive, name, "absolute path"));
    }
    let mut out = Vec::with_capacity(name.len());
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(unsafe_path(archive, name, "`..` component")),
            _ => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(part);
            }
        }
    }
    Ok(out)
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = prefix.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Most memory reserved ahead for one run of file data (it still grows past
/// this when the data is really there).
const MAX_RESERVE: usize = 16 << 20;

/// Reads a file's data 64 KiB at a time straight into the run it belongs to
/// (no staging buffer); all-zero chunks become holes.
/// `at` is where the data starts in the archive, for errors.
fn read_sparse_data(
    mut r: impl Read,
    size: u64,
    at: u64,
    archive: &str,
    name: &[u8],
) -> Result<FileData> {
    const CHUNK: usize = 64 * 1024;
    let mut runs: Vec<DataRun> = Vec::new();
    let mut offset = 0u64;
    // The run being read and where it starts.
    let mut data: Vec<u8> = Vec::new();
    let mut start = 0u64;
    loop {
        if data.is_empty() {
            start = offset;
            // Room for the rest of the file (bounded, since the size comes
            // from a header), so a long run is not copied again each time
            // its vector grows.
            let rest = usize::try_from(size.saturating_sub(offset)).unwrap_or(usize::MAX);
            data.reserve(rest.clamp(CHUNK, MAX_RESERVE));
        } else {
            data.reserve(CHUNK);
        }
        let before = data.len();
        let n = (&mut r)
            .take(CHUNK as u64)
            .read_to_end(&mut data)
            .map_err(|e| {
                Error::malformed(
                    "tar",
                    at + offset,
                    "data",
                    format!("{archive}: {}: {e}", String::from_utf8_lossy(name)),
                )
            })?;
        if n == 0 {
            break;
        }
        if data[before..].iter().all(|&b| b == 0) {
            // A hole: it ends the run, which gives back what it reserved.
            data.truncate(before);
            if !data.is_empty() {
                data.shrink_to_fit();
                runs.push(DataRun {
                    offset: start,
                    data: std::mem::take(&mut data),
                });
            }
        }
        offset += n as u64;
    }
    if !data.is_empty() {
        runs.push(DataRun {
            offset: start,
            data,
        });
    }
    if offset != size {
        return Err(short_data(archive, name, at, offset, size));
    }
    FileData::sparse(size, runs)
}

/// The error for file data that ends early: where in the archive it ends
/// (`at` is where the data starts) and how much of it is there.
fn short_data(archive: &str, name: &[u8], at: u64, got: u64, want: u64) -> Error {
    Error::malformed(
        "tar",
        at + got,
        "data",
        format!(
            "{archive}: {}: data ends after {got} of {want} bytes (archive cut short, or a sparse map asking for more than is stored)",
            String::from_utf8_lossy(name)
        ),
    )
}

/// Reads a file's data as [`read_sparse_data`] does, 64 KiB at a time into
/// one reused buffer, but keeps only where each run lies in the source file
/// (`at` is where `r` starts in it) and its CRC32C: the same runs, holes and
/// checksums, without holding the bytes.
fn read_source_spans(
    mut r: impl Read,
    size: u64,
    at: u64,
    archive: &str,
    name: &[u8],
) -> Result<Vec<SourceSpan>> {
    const CHUNK: usize = 64 * 1024;
    let mut spans: Vec<SourceSpan> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    let mut offset = 0u64;
    // The span being read.
    let mut open: Option<SourceSpan> = None;
    loop {
        let mut n = 0;
        while n < CHUNK {
            match r.read(&mut chunk[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::malformed(
                        "tar",
                        at + offset,
                        "data",
                        format!("{archive}: {}: {e}", String::from_utf8_lossy(name)),
                    ));
                }
            }
        }
        if n == 0 {
            break;
        }
        let bytes = &chunk[..n];
        if bytes.iter().all(|&b| b == 0) {
            // A hole ends the span being read.
            spans.extend(open.take());
        } else {
            let span = open.get_or_insert(SourceSpan {
                offset,
                at: at + offset,
                len: 0,
                crc32c: 0,
            });
            span.crc32c = crc32c::crc32c_append(span.crc32c, bytes);
            span.len += n as u64;
        }
        offset += n as u64;
        if n < CHUNK {
            break;
        }
    }
    spans.extend(open);
    if offset != size {
        return Err(short_data(archive, name, at, offset, size));
    }
    Ok(spans)
}

fn parse_pax_num(v: &[u8]) -> Option<(i64, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let sec: i64 = int.parse().ok()?;
    let mut nsec = 0u32;
    for (i, c) in frac.chars().take(9).enumerate() {
        nsec += c.to_digit(10)? * 10u32.pow(8 - i as u32);
    }
    Some((sec, nsec))
}

const BLOCK: usize = 512;

/// Reads exactly `buf.len()` bytes; `Ok(false)` at a clean end of stream.
fn read_block(r: &mut impl Read, buf: &mut [u8], offset: u64, archive: &str) -> Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => {
                return Err(Error::malformed(
                    "tar",
                    offset,
                    "header",
                    format!("{archive}: archive ends inside a block"),
                ));
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Error::malformed(
                    "tar",
                    offset,
                    "data",
                    format!("{archive}: {e}"),
                ));
            }
        }
    }
    Ok(true)
}

/// A numeric header field: octal text, or base-256 when the top bit is set.
fn num(field: &[u8]) -> Option<u64> {
    if let Some(&first) = field.first() {
        if first & 0x80 != 0 {
            let mut v: u64 = (first & 0x7f) as u64;
            for &b in &field[1..] {
                v = v.checked_mul(256)?.checked_add(b as u64)?;
            }
            return Some(v);
        }
    }
    let text: Vec<u8> = field
        .iter()
        .copied()
        .take_while(|&b| b != 0)
        .filter(|b| *b != b' ')
        .collect();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&text).ok()?, 8).ok()
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// PAX records "LEN KEY=VALUE\n", split by their lengths (values may hold newlines).
fn pax_records(mut data: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    while !data.is_empty() && data[0] != 0 {
        let sp = data.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&data[..sp]).ok()?.parse().ok()?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return None;
        }
        let rec = &data[sp + 1..len - 1];
        let eq = rec.iter().position(|&b| b == b'=')?;
        out.push((rec[..eq].to_vec(), rec[eq + 1..].to_vec()));
        data = &data[len..];
    }
    Some(out)
}

/// Streams tar entries: headers, extension records and data, with offsets for errors.
struct TarStream<'a, R: Read> {
    r: R,
    offset: u64,
    archive: &'a str,
    /// Largest single extension record or long name accepted.
    max_ext: u64,
    /// The file the stream is read from, from its start, when file data is
    /// to stay there instead of being read into memory.
    source: Option<SourceFile>,
}

impl<R: Read> TarStream<'_, R> {
    fn bad(&self, at: u64, field: &'static str, reason: impl Into<String>) -> Error {
        Error::malformed(
            "tar",
            at,
            field,
            format!("{}: {}", self.archive, reason.into()),
        )
    }

    fn header(&mut self) -> Result<Option<[u8; BLOCK]>> {
        let mut h = [0u8; BLOCK];
        if !read_block(&mut self.r, &mut h, self.offset, self.archive)? {
            return Ok(None);
        }
        let at = self.offset;
        self.offset += BLOCK as u64;
        if h.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let stored =
            num(&h[148..156]).ok_or_else(|| self.bad(at + 148, "chksum", "not a number"))?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u64
                }
            })
            .sum();
        if stored != sum {
            return Err(self.bad(
                at + 148,
                "chksum",
                format!("header checksum {stored}, computed {sum}: not a tar archive or corrupt"),
            ));
        }
        Ok(Some(h))
    }

    fn data(&mut self, size: u64, max: u64, what: &'static str) -> Result<Vec<u8>> {
        if size > max {
            return Err(self.bad(
                self.offset,
                what,
                format!("{size} bytes is more than the {max} accepted"),
            ));
        }
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let mut v = vec![0u8; padded as usize];
        if !read_block(&mut self.r, &mut v, self.offset, self.archive)? && padded > 0 {
            return Err(self.bad(self.offset, what, "archive ends inside an entry"));
        }
        self.offset += padded;
        v.truncate(size as usize);
        Ok(v)
    }

    fn skip(&mut self, size: u64) -> Result<()> {
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let copied = std::io::copy(&mut (&mut self.r).take(padded), &mut std::io::sink())
            .map_err(|e| self.bad(self.offset, "data", e.to_string()))?;
        if copied != padded {
            return Err(self.bad(self.offset, "data", "archive ends inside an entry"));
        }
        self.offset += padded;
        Ok(())
    }

    /// Reads a file body of `stored` bytes laid out at the given (offset,
    /// length) segments of a `size`-byte file; zero chunks become holes.
    /// With a source file the runs stay there, as spans; otherwise they are
    /// read into memory.
    fn file(
        &mut self,
        size: u64,
        stored: u64,
        segments: &[(u64, u64)],
        name: &[u8],
    ) -> Result<FileData> {
        let padded = stored.div_ceil(BLOCK as u64) * BLOCK as u64;
        let start = self.offset;
        let source = self.source.clone();
        let mut body = (&mut self.r).take(stored);
        let mut runs: Vec<DataRun> = Vec::new();
        let mut spans: Vec<SourceSpan> = Vec::new();
        // Where the next segment's bytes start in the stream (and source).
        let mut at = start;
        for &(off, len) in segments {
            if off.checked_add(len).is_none_or(|end| end > size) {
                return Err(self.bad(
                    start,
                    "sparse map",
                    format!(
                        "{}: segment past the file size",
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
            let mut segment = (&mut body).take(len);
            if source.is_some() {
                for mut span in read_source_spans(&mut segment, len, at, self.archive, name)? {
                    span.offset += off;
                    match spans.last_mut() {
                        // Spans that meet in the file and in the source are
                        // one, as runs in memory are.
                        Some(last)
                            if last.offset + last.len == span.offset
                                && last.at + last.len == span.at =>
                        {
                            last.crc32c =
                                crc32c::crc32c_combine(last.crc32c, span.crc32c, span.len as usize);
                            last.len += span.len;
                        }
                        _ => spans.push(span),
                    }
                }
            } else {
                let seg = read_sparse_data(&mut segment, len, at, self.archive, name)?;
                for mut run in seg.into_runs()? {
                    run.offset += off;
                    match runs.last_mut() {
                        Some(last) if last.offset + last.data.len() as u64 == run.offset => {
                            last.data.extend_from_slice(&run.data)
                        }
                        _ => runs.push(run),
                    }
                }
            }
            at += len;
        }
        std::io::copy(&mut body, &mut std::io::sink())
            .map_err(|e| self.bad(start, "data", e.to_string()))?;
        let tail = padded - stored;
        std::io::copy(&mut (&mut self.r).take(tail), &mut std::io::sink())
            .map_err(|e| self.bad(start, "data", e.to_string()))?;
        self.offset += padded;
        match source {
            Some(src) => FileData::from_source(size, src, spans),
            None => FileData::sparse(size, runs),
        }
        .map_err(|e| self.bad(start, "sparse map", e.to_string()))
    }
}

/// Reads a tar stream into `tree`, placing every entry under `prefix`.
///
/// Later entries replace earlier ones (as tar extraction does); directories
/// merge. `archive` names the input in errors. An entry whose parent path
/// runs through a symlink is refused.
pub fn read_tar_into(
    tree: &mut Tree,
    input: impl Read,
    prefix: &[u8],
    archive: &str,
) -> Result<()> {
    read_entries(tree, input, prefix, archive, false, None)
}

/// Lays a tarball over an existing tree under `prefix`, following symlinked
/// directories of the tree inside the tree (never outside it), as copying
/// into a chroot does: modules tarballs with `lib/modules/...` land in
/// `/usr/lib/modules` of a usr-merged root.
pub fn overlay_tar(tree: &mut Tree, input: impl Read, prefix: &[u8], archive: &str) -> Result<()> {
    read_entries(tree, input, prefix, archive, true, None)
}

/// Reads an uncompressed tarball that is a regular file, leaving the file
/// data in it: the tree refers to the tarball ([`crate::ext4::Stored::Source`])
/// and the ext4 writer copies each file from there into the image, so the
/// data is never held in memory. The tree gives the same image as
/// [`read_tar`] of the same bytes. Anything that is not a regular file (a
/// pipe, a device) is read into memory as [`read_tar`] does.
pub fn read_tar_file(path: &Path) -> Result<Tree> {
    let mut tree = Tree::default();
    tar_file_entries(&mut tree, path, b"/", false)?;
    Ok(tree)
}

/// [`overlay_tar`] from an uncompressed tarball on disk, with the file data
/// left in it as [`read_tar_file`] does.
pub fn overlay_tar_file(tree: &mut Tree, path: &Path, prefix: &[u8]) -> Result<()> {
    tar_file_entries(tree, path, prefix, true)
}

fn tar_file_entries(tree: &mut Tree, path: &Path, prefix: &[u8], follow: bool) -> Result<()> {
    let archive = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let regular = file
        .metadata()
        .map_err(|e| Error::io(path, e))?
        .file_type()
        .is_file();
    let source = if regular {
        // The same open file, not the path opened again (which may name
        // another file by now); the source reads at explicit offsets, so
        // sharing the reader's position is harmless.
        let own = file.try_clone().map_err(|e| Error::io(path, e))?;
        Some(SourceFile::new(own, archive.clone()))
    } else {
        None
    };
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    read_entries(tree, input, prefix, &archive, follow, source)
}

fn read_entries(
    tree: &mut Tree,
    input: impl Read,
    prefix: &[u8],
    archive: &str,
    follow: bool,
    source: Option<SourceFile>,
) -> Result<()> {
    let prefix = clean_name(archive, prefix.strip_prefix(b"/").unwrap_or(prefix))?;
    let mut st = TarStream {
        r: input,
        offset: 0,
        archive,
        max_ext: 64 << 20,
        source,
    };
    let dir_meta = Metadata::new(0o755, 0, 0, Timestamp::default());
    // Symlinks this archive made: an overlay follows the tree's own links,
    // never its own (`esc -> /` then `esc/etc/passwd` is a trick).
    let mut own_links: std::collections::HashSet<InodeId> = std::collections::HashSet::new();
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut global: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    while let Some(h) = st.header()? {
        let at = st.offset - BLOCK as u64;
        let typeflag = h[156];
        let size = num(&h[124..136]).ok_or_else(|| st.bad(at + 124, "size", "not a number"))?;
        match typeflag {
            b'L' => {
                long_name = Some(cstr(&st.data(size, st.max_ext, "long name")?).to_vec());
                continue;
            }
            b'K' => {
                long_link = Some(cstr(&st.data(size, st.max_ext, "long link name")?).to_vec());
                continue;
            }
            b'x' | b'g' => {
                let data = st.data(size, st.max_ext, "pax header")?;
                let recs = pax_records(&data).ok_or_else(|| {
                    st.bad(
                        at + BLOCK as u64,
                        "pax record",
                        "malformed PAX extended header",
                    )
                })?;
                if typeflag == b'x' {
                    pax = recs;
                } else {
                    global = recs;
                }
                continue;
            }
            _ => {}
        }
        let is_ustar = &h[257..262] == b"ustar";
        let is_gnu = &h[257..265] == b"ustar  \0";
        let mut raw_name = cstr(&h[0..100]).to_vec();
        if is_ustar && !is_gnu && h[345] != 0 {
            let mut p = cstr(&h[345..500]).to_vec();
            p.push(b'/');
            p.extend_from_slice(&raw_name);
            raw_name = p;
        }
        let mut link = cstr(&h[157..257]).to_vec();
        if let Some(n) = long_name.take() {
            raw_name = n;
        }
        if let Some(l) = long_link.take() {
            link = l;
        }
        let field = |r: std::ops::Range<usize>, name: &'static str| {
            num(&h[r.clone()]).ok_or_else(|| {
                Error::malformed(
                    "tar",
                    at + r.start as u64,
                    name,
                    format!("{archive}: not a number"),
                )
            })
        };
        let mut meta = Metadata::new(
            (field(100..108, "mode")? & 0o7777) as u16,
            u32::try_from(field(108..116, "uid")?)
                .map_err(|_| st.bad(at + 108, "uid", "out of range"))?,
            u32::try_from(field(116..124, "gid")?)
                .map_err(|_| st.bad(at + 116, "gid", "out of range"))?,
            Timestamp::from_secs(field(136..148, "mtime")? as i64),
        );
        let mut xattrs = Vec::new();
        let mut size = size;
        let records: Vec<(Vec<u8>, Vec<u8>)> = global
            .iter()
            .cloned()
            .chain(std::mem::take(&mut pax))
            .collect();
        for (key, value) in &records {
            let key = &key[..];
            if let Some(x) = key.strip_prefix(b"SCHILY.xattr.") {
                xattrs.retain(|e: &Xattr| e.name != x);
                xattrs.push(Xattr {
                    name: x.to_vec(),
                    value: value.clone(),
                });
            } else if key == b"path" {
                raw_name = value.clone();
            } else if key == b"linkpath" {
                link = value.clone();
            } else if key == b"size" {
                size = parse_pax_num(value)
                    .and_then(|(v, _)| u64::try_from(v).ok())
                    .ok_or_else(|| st.bad(at, "pax size", "not a number"))?;
            } else if key == b"uid" || key == b"gid" {
                let (v, _) = parse_pax_num(value)
                    .ok_or_else(|| st.bad(at, "pax uid/gid", "not a number"))?;
                let v = u32::try_from(v)
                    .map_err(|_| st.bad(at, "pax uid/gid", format!("{v} out of range")))?;
                if key == b"uid" {
                    meta.uid = v;
                } else {
                    meta.gid = v;
                }
            } else if key == b"mtime" || key == b"atime" || key == b"ctime" {
                let (sec, nsec) =
                    parse_pax_num(value).ok_or_else(|| st.bad(at, "pax time", "not a number"))?;
                let t = Timestamp { sec, nsec };
                match key {
                    b"mtime" => meta.mtime = t,
                    b"atime" => meta.atime = t,
                    _ => meta.ctime = t,
                }
            } else if key.starts_with(b"GNU.sparse.") {
                return Err(Error::Unsupported {
                    format: "tar",
                    reason: format!(
                        "{archive}: {}: PAX-format sparse members (tar --format=pax --sparse)",
                        String::from_utf8_lossy(&raw_name)
                    ),
                });
            }
        }
        if meta.atime == Timestamp::default() {
            meta.atime = meta.mtime;
        }
        if meta.ctime == Timestamp::default() {
            meta.ctime = meta.mtime;
        }
        meta.crtime = meta.mtime;

        let name = clean_name(archive, &raw_name)?;
        let mut full = join(&prefix, &name);
        let refuse = |e: Error| match e {
            Error::InvalidArgument { reason, .. } => unsafe_path(archive, &raw_name, &reason),
            other => other,
        };
        if follow && !name.is_empty() {
            full = tree
                .resolve_parents_except(&full, &own_links)
                .map_err(refuse)?;
            if typeflag == b'5' {
                // A directory entry over a symlink to a directory goes
                // through it, as extracting into an existing tree does.
                let probe = tree
                    .resolve_parents_except(&[&full[..], b"/probe"].concat(), &own_links)
                    .map_err(refuse)?;
                full = probe[..probe.len() - b"/probe".len()].to_vec();
                if full.is_empty() {
                    full = b"/".to_vec();
                }
            }
        }
        let kind = match typeflag {
            b'0' | 0 | b'7' => NodeKind::File(st.file(size, size, &[(0, size)], &raw_name)?),
            b'S' if is_gnu => {
                let (real, segments) = gnu_sparse_map(&mut st, &h, at)?;
                NodeKind::File(st.file(real, size, &segments, &raw_name)?)
            }
            b'5' => {
                st.skip(size)?;
                NodeKind::empty_dir()
            }
            b'2' => {
                st.skip(size)?;
                if link.is_empty() {
                    return Err(st.bad(at + 157, "linkname", "symlink without a target"));
                }
                NodeKind::Symlink(link)
            }
            b'1' => {
                st.skip(size)?;
                let target = clean_name(archive, &link)?;
                let mut target = join(&prefix, &target);
                if follow {
                    target = tree
                        .resolve_parents_except(&target, &own_links)
                        .map_err(refuse)?;
                }
                tree.hard_link(&full, &target, &dir_meta)
                    .map_err(|e| match e {
                        Error::InvalidArgument { reason, .. } => {
                            unsafe_path(archive, &raw_name, &reason)
                        }
                        other => other,
                    })?;
                continue;
            }
            b'3' | b'4' => {
                st.skip(size)?;
                let range = |name| {
                    Error::malformed("tar", at + 329, name, format!("{archive}: out of range"))
                };
                let major =
                    u32::try_from(field(329..337, "devmajor")?).map_err(|_| range("devmajor"))?;
                let minor =
                    u32::try_from(field(337..345, "devminor")?).map_err(|_| range("devminor"))?;
                if typeflag == b'3' {
                    NodeKind::CharDevice { major, minor }
                } else {
                    NodeKind::BlockDevice { major, minor }
                }
            }
            b'6' => {
                st.skip(size)?;
                NodeKind::Fifo
            }
            b'V' | b'N' | b'M' => {
                return Err(Error::Unsupported {
                    format: "tar",
                    reason: format!(
                        "{archive}: {}: GNU entry type {:?}",
                        String::from_utf8_lossy(&raw_name),
                        typeflag as char
                    ),
                });
            }
            other => {
                // Unknown types are vendor extensions: skipped, as GNU tar warns and skips.
                log::debug!("{archive}: skipping entry of type {:?}", other as char);
                st.skip(size)?;
                continue;
            }
        };
        if name.is_empty() && !matches!(kind, NodeKind::Dir(_)) {
            return Err(unsafe_path(
                archive,
                &raw_name,
                "names the root but is not a directory",
            ));
        }
        // A link the tree already has (a root tarball's `lib -> usr/lib`
        // laid over the same root) stays the tree's own.
        let is_link = match &kind {
            NodeKind::Symlink(target) => !matches!(
                tree.lookup(&full)?.and_then(|id| tree.node(id)),
                Some(Node { kind: NodeKind::Symlink(old), .. }) if old == target
            ),
            _ => false,
        };
        let node = Node { kind, meta, xattrs };
        let id = tree.insert(&full, node, &dir_meta).map_err(refuse)?;
        if is_link {
            own_links.insert(id);
        }
    }
    Ok(())
}

/// The old GNU sparse map: four (offset, size) pairs in the header, more in
/// extension blocks while `isextended` is set. Returns (real size, segments).
fn gnu_sparse_map<R: Read>(
    st: &mut TarStream<'_, R>,
    h: &[u8; BLOCK],
    at: u64,
) -> Result<(u64, Vec<(u64, u64)>)> {
    let real = num(&h[483..495]).ok_or_else(|| st.bad(at + 483, "realsize", "not a number"))?;
    let mut segments = Vec::new();
    let mut push = |block: &[u8], count: usize, base: usize, st: &TarStream<'_, R>| -> Result<()> {
        for i in 0..count {
            let o = base + i * 24;
            let off = num(&block[o..o + 12])
                .ok_or_else(|| st.bad(at, "sparse offset", "not a number"))?;
            let len = num(&block[o + 12..o + 24])
                .ok_or_else(|| st.bad(at, "sparse numbytes", "not a number"))?;
            if off == 0 && len == 0 && block[o] == 0 {
                continue;
            }
            segments.push((off, len));
        }
        Ok(())
    };
    push(h, 4, 386, st)?;
    let mut extended = h[482] == 1;
    let mut blocks = 0;
    while extended {
        blocks += 1;
        if blocks > 1 << 16 {
            return Err(st.bad(at, "isextended", "sparse map longer than 65536 blocks"));
        }
        let mut ext = [0u8; BLOCK];
        if !read_block(&mut st.r, &mut ext, st.offset, st.archive)? {
            return Err(st.bad(
                st.offset,
                "sparse map",
                "archive ends inside the sparse map",
            ));
        }
        st.offset += BLOCK as u64;
        push(&ext, 21, 0, st)?;
        extended = ext[504] == 1;
    }
    Ok((real, segments))
}

fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    // "LEN KEY=VALUE\n" where LEN counts itself.
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len.to_string().len() + body != len {
        len += 1;
    }
    let mut rec = format!("{len} ").into_bytes();
    rec.extend_from_slice(key);
    rec.push(b'=');
    rec.extend_from_slice(value);
    rec.push(b'\n');
    rec
}

/// Writes `tree` as an uncompressed POSIX (pax) tar stream: ustar headers,
/// PAX records for xattrs, long names, large ids and sizes and sub-second
/// mtimes, hard links as links, directories followed by their contents.
///
/// Limitation: sparse files are written dense (holes as zeros).
pub fn write_tar(tree: &Tree, out: impl Write) -> Result<()> {
    let io = |e: std::io::Error| Error::io("tar output", e);
    let mut b = tar::Builder::new(out);
    let mut first: HashMap<InodeId, Vec<u8>> = HashMap::new();
    const USTAR_MAX_ID: u32 = 0o7777777;
    for (path, id) in tree.walk() {
        let Some(node) = tree.node(id) else { continue };
        if matches!(node.kind, NodeKind::Socket) {
            // Limitation: tar has no socket type; sockets are left out, as GNU tar does.
            continue;
        }
        let mut name: Vec<u8> = if path == b"/" {
            b"./".to_vec()
        } else {
            [b".", &path[..]].concat()
        };
        if matches!(node.kind, NodeKind::Dir(_)) && !name.ends_with(b"/") {
            name.push(b'/');
        }
        let m = &node.meta;
        let hard_target = match node.kind {
            NodeKind::Dir(_) => None,
            _ => first.get(&id).cloned(),
        };
        if hard_target.is_none() {
            first.insert(id, name.clone());
        }
        let link: Option<Vec<u8>> = match (&node.kind, &hard_target) {
            (_, Some(t)) => Some(t.clone()),
            (NodeKind::Symlink(t), None) => Some(t.clone()),
            _ => None,
        };
        let size = match (&node.kind, &hard_target) {
            (NodeKind::File(f), None) => f.size(),
            _ => 0,
        };

        let mut pax = Vec::new();
        if name.len() > 100 {
            pax.extend(pax_record(b"path", &name));
        }
        if let Some(l) = &link {
            if l.len() > 100 {
                pax.extend(pax_record(b"linkpath", l));
            }
        }
        if m.uid > USTAR_MAX_ID {
            pax.extend(pax_record(b"uid", m.uid.to_string().as_bytes()));
        }
        if m.gid > USTAR_MAX_ID {
            pax.extend(pax_record(b"gid", m.gid.to_string().as_bytes()));
        }
        if size > 0o77777777777 {
            pax.extend(pax_record(b"size", size.to_string().as_bytes()));
        }
        if m.mtime.nsec != 0 || m.mtime.sec < 0 || m.mtime.sec > 0o77777777777 {
            let v = if m.mtime.sec < 0 && m.mtime.nsec != 0 {
                format!(
                    "-{}.{:09}",
                    -(m.mtime.sec + 1),
                    1_000_000_000 - m.mtime.nsec
                )
            } else {
                format!("{}.{:09}", m.mtime.sec, m.mtime.nsec)
            };
            pax.extend(pax_record(b"mtime", v.as_bytes()));
        }
        for x in &node.xattrs {
            pax.extend(pax_record(
                &[b"SCHILY.xattr.", &x.name[..]].concat(),
                &x.value,
            ));
        }
        if !pax.is_empty() {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::XHeader);
            h.set_size(pax.len() as u64);
            h.set_mode(0o644);
            set_name(&mut h, b"./PaxHeaders/entry");
            h.set_cksum();
            b.append(&h, &pax[..]).map_err(io)?;
        }

        let mut h = tar::Header::new_ustar();
        set_name(&mut h, &name);
        h.set_mode(m.perm as u32);
        h.set_uid(if m.uid > USTAR_MAX_ID {
            0
        } else {
            m.uid as u64
        });
        h.set_gid(if m.gid > USTAR_MAX_ID {
            0
        } else {
            m.gid as u64
        });
        h.set_mtime(m.mtime.sec.clamp(0, 0o77777777777) as u64);
        h.set_size(if size > 0o77777777777 { 0 } else { size });
        if let Some(l) = &link {
            let field = &mut h.as_old_mut().linkname;
            let n = l.len().min(100);
            field[..n].copy_from_slice(&l[..n]);
        }
        let ty = match (&node.kind, &hard_target) {
            (_, Some(_)) => tar::EntryType::Link,
            (NodeKind::File(_), None) => tar::EntryType::Regular,
            (NodeKind::Dir(_), _) => tar::EntryType::Directory,
            (NodeKind::Symlink(_), _) => tar::EntryType::Symlink,
            (NodeKind::CharDevice { .. }, _) => tar::EntryType::Char,
            (NodeKind::BlockDevice { .. }, _) => tar::EntryType::Block,
            (NodeKind::Fifo, _) | (NodeKind::Socket, _) => tar::EntryType::Fifo,
        };
        h.set_entry_type(ty);
        if let (
            NodeKind::CharDevice { major, minor } | NodeKind::BlockDevice { major, minor },
            None,
        ) = (&node.kind, &hard_target)
        {
            h.set_device_major(*major).map_err(io)?;
            h.set_device_minor(*minor).map_err(io)?;
        }
        h.set_cksum();
        match (&node.kind, &hard_target) {
            (NodeKind::File(f), None) => {
                // Holes are streamed as zeros without building the whole file.
                let mut pos = 0u64;
                let mut reader = FileReader {
                    data: f,
                    pos: &mut pos,
                };
                b.append(&h, &mut reader).map_err(io)?;
            }
            _ => b.append(&h, std::io::empty()).map_err(io)?,
        }
    }
    tree.check_sources_unchanged()?;
    b.finish().map_err(io)
}

/// Stores `name` in a ustar header, splitting it into prefix and name when
/// it fits that way; otherwise the truncated name stands in for the PAX
/// `path` record written before it.
fn set_name(h: &mut tar::Header, name: &[u8]) {
    let ustar = h.as_ustar_mut();
    let Some(ustar) = ustar else { return };
    ustar.name = [0; 100];
    ustar.prefix = [0; 155];
    if name.len() <= 100 {
        ustar.name[..name.len()].copy_from_slice(name);
        return;
    }
    let split = name
        .iter()
        .enumerate()
        .rev()
        .find(|&(i, &c)| {
            c == b'/' && i <= 155 && name.len() - i - 1 <= 100 && name.len() - i - 1 > 0
        })
        .map(|(i, _)| i);
    match split {
        Some(i) => {
            ustar.prefix[..i].copy_from_slice(&name[..i]);
            ustar.name[..name.len() - i - 1].copy_from_slice(&name[i + 1..]);
        }
        None => ustar.name.copy_from_slice(&name[..100]),
    }
}

/// Reads a file's content, holes as zeros.
struct FileReader<'a> {
    data: &'a FileData,
    pos: &'a mut u64,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.data.size();
        let pos = *self.pos;
        if pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(size - pos) as usize;
        let out = &mut buf[..want];
        out.fill(0);
        // The part of the stretch at `start` of `len` bytes inside this read:
        // where it goes in `out` and how far into the stretch it begins.
        let window = |start: u64, len: u64| {
            let end = start + len;
            if end <= pos || start >= pos + want as u64 {
                return None;
            }
            let from = pos.max(start);
            let to = (pos + want as u64).min(end);
            Some(((from - pos) as usize..(to - pos) as usize, from - start))
        };
        match self.data.stored() {
            Stored::Memory(runs) => {
                for run in runs {
                    if let Some((dst, skip)) = window(run.offset, run.data.len() as u64) {
                        let skip = skip as usize;
                        let n = dst.len();
                        out[dst].copy_from_slice(&run.data[skip..skip + n]);
                    }
                }
            }
            Stored::Source(src, spans) => {
                for span in spans {
                    if let Some((dst, skip)) = window(span.offset, span.len) {
                        src.read_at(&mut out[dst], span.at + skip)
                            .map_err(std::io::Error::other)?;
                    }
                }
            }
        }
        *self.pos += want as u64;
        Ok(want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let r = pax_record(b"path", b"abc");
        assert_eq!(r, b"12 path=abc\n");
        let r = pax_record(b"k", &[b'x'; 95]);
        assert_eq!(
            r.len(),
            String::from_utf8_lossy(&r)
                .split(' ')
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        );
    }

    #[test]
    fn names_are_cleaned_and_escapes_refused() {
        assert_eq!(clean_name("a", b"./usr//lib/").unwrap(), b"usr/lib");
        assert!(matches!(
            clean_name("a", b"/etc/passwd"),
            Err(Error::UnsafePath { .. })
        ));
        assert!(matches!(
            clean_name("a", b"lib/../../x"),
            Err(Error::UnsafePath { .. })
        ));
    }
}
