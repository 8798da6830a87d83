//! Android sparse images and disk images: `kir.sparse_encode`,
//! `kir.sparse_encode_file`, `kir.sparse_decode`, `kir.sparse_decode_file`,
//! `kir.sparse_chunks`, `kir.disk_image`, `kir.create_uboot`.

use std::io::Cursor;
use std::path::PathBuf;

use kir_core::disk::{self, CreateUboot, Layout};
use kir_core::sparse::{self, DecodeOptions, EncodeOptions, HolePolicy, SparseChunk};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::core_error;

/// One chunk of a sparse image, as listed by `sparse_chunks`.
#[pyclass(module = "kir", frozen, get_all)]
pub struct SparseChunkInfo {
    /// "raw", "fill", "dont_care" or "crc32".
    kind: &'static str,
    /// Fill pattern or stored CRC32; None for raw and dont_care.
    value: Option<u32>,
    index: u32,
    header_offset: u64,
    data_offset: u64,
    first_block: u64,
    blocks: u32,
}

#[pymethods]
impl SparseChunkInfo {
    fn __repr__(&self) -> String {
        format!(
            "SparseChunkInfo(kind={:?}, first_block={}, blocks={})",
            self.kind, self.first_block, self.blocks
        )
    }
}

fn options(
    block_size: u32,
    checksum: bool,
    holes: &str,
    free_blocks: Vec<(u64, u64)>,
) -> PyResult<EncodeOptions> {
    let holes = match holes {
        "fill" => HolePolicy::Fill,
        "dont_care" => HolePolicy::DontCare,
        "read" => HolePolicy::Read,
        other => {
            return Err(core_error(kir_core::Error::invalid_argument(
                "holes",
                format!("{other:?} is not \"fill\", \"dont_care\" or \"read\""),
            )));
        }
    };
    Ok(EncodeOptions {
        block_size,
        image_checksum: checksum,
        crc_chunk: checksum,
        holes,
        free_blocks: free_blocks.into_iter().map(|(a, b)| a..b).collect(),
    })
}

/// Encodes raw bytes as a sparse image (img2simg's bytes unless
/// `free_blocks`, block ranges `(start, end)` written as DONT_CARE, or
/// `checksum` are given).
#[pyfunction]
#[pyo3(signature = (data, *, block_size=4096, checksum=false, free_blocks=Vec::new()))]
fn sparse_encode<'py>(
    py: Python<'py>,
    data: &[u8],
    block_size: u32,
    checksum: bool,
    free_blocks: Vec<(u64, u64)>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = options(block_size, checksum, "read", free_blocks)?;
    let out = py
        .detach(|| sparse::encode_reader(data, Cursor::new(Vec::new()), &opts))
        .map_err(core_error)?;
    Ok(PyBytes::new(py, out.get_ref()))
}

/// Encodes the file `raw` into the sparse image `output`; `holes` is
/// "fill" (img2simg's bytes, holes not read), "dont_care" or "read".
#[pyfunction]
#[pyo3(signature = (raw, output, *, block_size=4096, checksum=false, holes="fill", free_blocks=Vec::new()))]
fn sparse_encode_file(
    py: Python<'_>,
    raw: PathBuf,
    output: PathBuf,
    block_size: u32,
    checksum: bool,
    holes: &str,
    free_blocks: Vec<(u64, u64)>,
) -> PyResult<()> {
    let opts = options(block_size, checksum, holes, free_blocks)?;
    py.detach(|| {
        let sink = std::fs::File::create(&output).map_err(|e| kir_core::Error::io(&output, e))?;
        sparse::encode_file(&raw, std::io::BufWriter::new(sink), &opts).map(drop)
    })
    .map_err(core_error)
}

/// Expands a sparse image held in memory; DONT_CARE blocks read as zeros.
#[pyfunction]
#[pyo3(signature = (data, *, verify=true))]
fn sparse_decode<'py>(py: Python<'py>, data: &[u8], verify: bool) -> PyResult<Bound<'py, PyBytes>> {
    let raw = py
        .detach(|| {
            let mut out = Cursor::new(Vec::new());
            let opts = DecodeOptions {
                verify_checksums: verify,
            };
            let summary = sparse::decode(data, &mut out, &opts)?;
            let mut raw = out.into_inner();
            raw.resize(summary.expanded_len as usize, 0);
            Ok(raw)
        })
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &raw))
}

/// Expands the sparse image file `image` into `output` (simg2img).
#[pyfunction]
#[pyo3(signature = (image, output, *, verify=true))]
fn sparse_decode_file(
    py: Python<'_>,
    image: PathBuf,
    output: PathBuf,
    verify: bool,
) -> PyResult<u64> {
    let opts = DecodeOptions {
        verify_checksums: verify,
    };
    py.detach(|| sparse::decode_file(&image, &output, &opts))
        .map(|s| s.expanded_len)
        .map_err(core_error)
}

/// Lists the chunks of a sparse image (every size checked, checksums not).
#[pyfunction]
fn sparse_chunks(py: Python<'_>, data: &[u8]) -> PyResult<Vec<SparseChunkInfo>> {
    let (_, chunks) = py.detach(|| sparse::inspect(data)).map_err(core_error)?;
    Ok(chunks
        .into_iter()
        .map(|c| {
            let (kind, value) = match c.chunk {
                SparseChunk::Raw => ("raw", None),
                SparseChunk::Fill(v) => ("fill", Some(v)),
                SparseChunk::DontCare => ("dont_care", None),
                SparseChunk::Crc32(v) => ("crc32", Some(v)),
            };
            SparseChunkInfo {
                kind,
                value,
                index: c.index,
                header_offset: c.header_offset,
                data_offset: c.data_offset,
                first_block: c.first_block,
                blocks: c.blocks,
            }
        })
        .collect())
}

/// Builds the disk image described by the TOML `layout` (see `kir disk-image`)
/// at `output`; relative paths in it start at `base_dir`. Returns the
/// partitions as `(start_lba, sectors)`.
#[pyfunction]
#[pyo3(signature = (layout, output, *, base_dir=PathBuf::from("."), sparse=false))]
fn disk_image(
    py: Python<'_>,
    layout: &str,
    output: PathBuf,
    base_dir: PathBuf,
    sparse: bool,
) -> PyResult<Vec<(u64, u64)>> {
    py.detach(|| {
        let mut layout = Layout::from_toml(layout)?;
        layout.sparse |= sparse;
        disk::build_disk_image(&layout, &base_dir, &output)
    })
    .map(|r| {
        r.partitions
            .iter()
            .map(|p| (p.start_lba, p.sectors))
            .collect()
    })
    .map_err(core_error)
}

/// KIR's create-uboot.py: the BeagleBoard-X15 SD card with `uboot` and
/// `mlo` on a FAT16 partition at sector 32.
#[pyfunction]
#[pyo3(signature = (mlo, uboot, output, *, disk_id=None, volume_id=None, timestamp=None))]
fn create_uboot(
    py: Python<'_>,
    mlo: PathBuf,
    uboot: PathBuf,
    output: PathBuf,
    disk_id: Option<u32>,
    volume_id: Option<u32>,
    timestamp: Option<i64>,
) -> PyResult<()> {
    let mut args = CreateUboot::new(mlo, uboot);
    args.disk_id = disk_id;
    args.volume_id = volume_id;
    args.timestamp = timestamp;
    let layout = disk::create_uboot_layout(&args);
    py.detach(|| disk::build_disk_image(&layout, std::path::Path::new("."), &output))
        .map(drop)
        .map_err(core_error)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SparseChunkInfo>()?;
    m.add_function(wrap_pyfunction!(sparse_encode, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_encode_file, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_decode, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_decode_file, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(disk_image, m)?)?;
    m.add_function(wrap_pyfunction!(create_uboot, m)?)?;
    Ok(())
}
