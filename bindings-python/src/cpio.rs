//! cpio "newc" archives (initramfs): `kir.cpio_read`, `kir.cpio_read_initramfs`,
//! `kir.cpio_write`, `kir.cpio_extract`, and gzip as the kernel reads it.

use std::path::PathBuf;

use kir_core::cpio::{self, Entry, FileType, NewEntry, Node, WriteOptions};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::core_error;

/// One entry of an archive as stored (the trailer is never listed).
#[pyclass(module = "kir", frozen, get_all)]
pub struct CpioEntry {
    name: String,
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    dev_major: u32,
    dev_minor: u32,
    rdev_major: u32,
    rdev_minor: u32,
    data: Py<PyBytes>,
}

#[pymethods]
impl CpioEntry {
    /// File type from the mode: "file", "directory", "symlink", "char_device",
    /// "block_device", "fifo", "socket", or None when unknown.
    #[getter]
    fn file_type(&self) -> Option<&'static str> {
        FileType::from_mode(self.mode).map(file_type_name)
    }

    /// Permission bits, including setuid, setgid and sticky.
    #[getter]
    fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    fn __repr__(&self) -> String {
        format!("CpioEntry(name={:?}, mode=0o{:o})", self.name, self.mode)
    }
}

impl CpioEntry {
    fn from_core(py: Python<'_>, e: Entry) -> Self {
        CpioEntry {
            data: PyBytes::new(py, &e.data).unbind(),
            name: e.name,
            ino: e.ino,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            nlink: e.nlink,
            mtime: e.mtime,
            dev_major: e.dev_major,
            dev_minor: e.dev_minor,
            rdev_major: e.rdev_major,
            rdev_minor: e.rdev_minor,
        }
    }

    fn to_core(&self, py: Python<'_>) -> Entry {
        Entry {
            name: self.name.clone(),
            ino: self.ino,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            nlink: self.nlink,
            mtime: self.mtime,
            dev_major: self.dev_major,
            dev_minor: self.dev_minor,
            rdev_major: self.rdev_major,
            rdev_minor: self.rdev_minor,
            data: self.data.as_bytes(py).to_vec(),
        }
    }
}

fn file_type_name(t: FileType) -> &'static str {
    match t {
        FileType::Regular => "file",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::CharDevice => "char_device",
        FileType::BlockDevice => "block_device",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
    }
}

/// An entry to write. `kind` is one of "file", "directory", "symlink",
/// "hardlink", "char_device", "block_device", "fifo", "socket"; `data` is a
/// file's contents, `target` a symlink's or hard link's target, `major` and
/// `minor` a device's numbers.
#[pyclass(module = "kir", frozen, get_all)]
pub struct CpioNewEntry {
    path: String,
    kind: String,
    data: Py<PyBytes>,
    target: String,
    major: u32,
    minor: u32,
    permissions: u32,
    uid: u32,
    gid: u32,
}

#[pymethods]
impl CpioNewEntry {
    #[new]
    #[pyo3(signature = (path, kind, *, data=None, target=None, major=0, minor=0, permissions=0o644, uid=0, gid=0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: String,
        kind: String,
        data: Option<Bound<'_, PyBytes>>,
        target: Option<String>,
        major: u32,
        minor: u32,
        permissions: u32,
        uid: u32,
        gid: u32,
    ) -> PyResult<Self> {
        let entry = CpioNewEntry {
            path,
            kind,
            data: data.unwrap_or_else(|| PyBytes::new(py, b"")).unbind(),
            target: target.unwrap_or_default(),
            major,
            minor,
            permissions,
            uid,
            gid,
        };
        entry.to_core(py)?;
        Ok(entry)
    }

    fn __repr__(&self) -> String {
        format!("CpioNewEntry(path={:?}, kind={:?})", self.path, self.kind)
    }
}

impl CpioNewEntry {
    fn from_core(py: Python<'_>, e: NewEntry) -> Self {
        let (kind, data, target, major, minor): (&str, &[u8], String, u32, u32) = match &e.node {
            Node::File(data) => ("file", data, String::new(), 0, 0),
            Node::Directory => ("directory", b"", String::new(), 0, 0),
            Node::Symlink(t) => ("symlink", b"", t.clone(), 0, 0),
            Node::HardLink(t) => ("hardlink", b"", t.clone(), 0, 0),
            Node::CharDevice { major, minor } => {
                ("char_device", b"", String::new(), *major, *minor)
            }
            Node::BlockDevice { major, minor } => {
                ("block_device", b"", String::new(), *major, *minor)
            }
            Node::Fifo => ("fifo", b"", String::new(), 0, 0),
            Node::Socket => ("socket", b"", String::new(), 0, 0),
        };
        CpioNewEntry {
            path: e.path.clone(),
            kind: kind.to_string(),
            data: PyBytes::new(py, data).unbind(),
            target,
            major,
            minor,
            permissions: e.permissions,
            uid: e.uid,
            gid: e.gid,
        }
    }

    fn to_core(&self, py: Python<'_>) -> PyResult<NewEntry> {
        let node = match self.kind.as_str() {
            "file" => Node::File(self.data.as_bytes(py).to_vec()),
            "directory" => Node::Directory,
            "symlink" => Node::Symlink(self.target.clone()),
            "hardlink" => Node::HardLink(self.target.clone()),
            "char_device" => Node::CharDevice {
                major: self.major,
                minor: self.minor,
            },
            "block_device" => Node::BlockDevice {
                major: self.major,
                minor: self.minor,
            },
            "fifo" => Node::Fifo,
            "socket" => Node::Socket,
            other => {
                return Err(core_error(kir_core::Error::invalid_argument(
                    "kind",
                    format!(
                        "{other:?}: expected file, directory, symlink, hardlink, char_device, \
                         block_device, fifo or socket"
                    ),
                )));
            }
        };
        Ok(NewEntry {
            path: self.path.clone(),
            node,
            permissions: self.permissions,
            uid: self.uid,
            gid: self.gid,
        })
    }
}

/// One archive of an initramfs: where it starts, its compression, its entries.
#[pyclass(module = "kir", frozen, get_all)]
pub struct CpioSegment {
    offset: usize,
    compression: &'static str,
    entries: Vec<Py<CpioEntry>>,
}

/// What `cpio_extract` did: entries written, and those skipped because they
/// need root (device nodes, fifos, sockets).
#[pyclass(module = "kir", frozen, get_all)]
pub struct CpioExtractReport {
    written: usize,
    skipped: Vec<String>,
}

fn entries_to_py(py: Python<'_>, entries: Vec<Entry>) -> PyResult<Vec<Py<CpioEntry>>> {
    entries
        .into_iter()
        .map(|e| Py::new(py, CpioEntry::from_core(py, e)))
        .collect()
}

/// Reads one archive from the start of `data`, up to its trailer.
#[pyfunction]
fn cpio_read(py: Python<'_>, data: &[u8]) -> PyResult<Vec<Py<CpioEntry>>> {
    let archive = py.detach(|| cpio::read(data)).map_err(core_error)?;
    entries_to_py(py, archive.entries)
}

/// Reads an initramfs: archives back to back, each plain or compressed.
#[pyfunction]
fn cpio_read_initramfs(py: Python<'_>, data: &[u8]) -> PyResult<Vec<CpioSegment>> {
    let segments = py
        .detach(|| cpio::read_initramfs(data))
        .map_err(core_error)?;
    segments
        .into_iter()
        .map(|s| {
            Ok(CpioSegment {
                offset: s.offset,
                compression: s.compression.name(),
                entries: entries_to_py(py, s.entries)?,
            })
        })
        .collect()
}

/// Writes `entries` as one reproducible newc archive (sorted, inodes counted
/// from `first_ino`, every mtime `mtime`, owner `owner` unless None, padded
/// to `pad_to` bytes). With `gzip_level`, the archive is gzip-compressed as
/// `gzip -n` would.
#[pyfunction]
#[pyo3(
    signature = (entries, *, mtime=0, owner=Some((0, 0)), pad_to=512, first_ino=1, gzip_level=None),
    text_signature = "(entries, *, mtime=0, owner=(0, 0), pad_to=512, first_ino=1, gzip_level=None)"
)]
fn cpio_write<'py>(
    py: Python<'py>,
    entries: Vec<PyRef<'py, CpioNewEntry>>,
    mtime: u32,
    owner: Option<(u32, u32)>,
    pad_to: u32,
    first_ino: u32,
    gzip_level: Option<u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let entries = entries
        .iter()
        .map(|e| e.to_core(py))
        .collect::<PyResult<Vec<_>>>()?;
    let opts = WriteOptions {
        mtime,
        owner,
        pad_to,
        first_ino,
    };
    let bytes = py
        .detach(|| {
            let plain = cpio::write(&entries, &opts)?;
            Ok(match gzip_level {
                Some(level) => kir_core::compress::gzip(&plain, level),
                None => plain,
            })
        })
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Turns entries as read into entries to write: later entries of a name
/// replace earlier ones, hard-link groups become a file and its links.
#[pyfunction]
fn cpio_to_new_entries(
    py: Python<'_>,
    entries: Vec<PyRef<'_, CpioEntry>>,
) -> PyResult<Vec<CpioNewEntry>> {
    let entries: Vec<Entry> = entries.iter().map(|e| e.to_core(py)).collect();
    let new = cpio::to_new_entries(&entries).map_err(core_error)?;
    Ok(new
        .into_iter()
        .map(|e| CpioNewEntry::from_core(py, e))
        .collect())
}

/// Extracts entries below `dest`; names that would land outside it raise
/// `UnsafePathError` before anything is written.
#[pyfunction]
fn cpio_extract(
    py: Python<'_>,
    entries: Vec<PyRef<'_, CpioEntry>>,
    dest: PathBuf,
) -> PyResult<CpioExtractReport> {
    let entries: Vec<Entry> = entries.iter().map(|e| e.to_core(py)).collect();
    let report = py
        .detach(|| cpio::extract(&entries, &dest))
        .map_err(core_error)?;
    Ok(CpioExtractReport {
        written: report.written,
        skipped: report.skipped,
    })
}

/// Decompresses gzip, xz, zstd or lz4 data (told apart by magic); other data
/// is returned unchanged.
#[pyfunction]
fn decompress<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let plain = py
        .detach(|| kir_core::compress::decompress(data))
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &plain))
}

/// Name of the compression `data` starts with: "gzip", "xz", "zstd", "lz4",
/// "lz4 (legacy)" or "none".
#[pyfunction]
fn sniff_compression(data: &[u8]) -> &'static str {
    kir_core::compress::sniff(data).name()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CpioEntry>()?;
    m.add_class::<CpioNewEntry>()?;
    m.add_class::<CpioSegment>()?;
    m.add_class::<CpioExtractReport>()?;
    m.add_function(wrap_pyfunction!(cpio_read, m)?)?;
    m.add_function(wrap_pyfunction!(cpio_read_initramfs, m)?)?;
    m.add_function(wrap_pyfunction!(cpio_write, m)?)?;
    m.add_function(wrap_pyfunction!(cpio_to_new_entries, m)?)?;
    m.add_function(wrap_pyfunction!(cpio_extract, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add_function(wrap_pyfunction!(sniff_compression, m)?)?;
    Ok(())
}
