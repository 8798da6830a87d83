//! Root file systems: `kir.ext4_from_tar`, `kir.ext4_to_tar`,
//! `kir.ext4_list`, `kir.resize_rootfs`.

use std::path::PathBuf;

use kir_core::ext4::{self, NodeKind, Options, Profile};
use kir_core::rootfs::{self, ResizeRequest};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::core_error;

fn profile(name: &str) -> PyResult<Profile> {
    Profile::from_name(name).map_err(core_error)
}

/// Builds an ext4 image from an uncompressed tar archive (owners, modes,
/// devices and xattrs from the headers). Size from the content plus
/// `slack_bytes` unless `size_bytes` is given.
#[pyfunction]
#[pyo3(signature = (tar, *, profile="compat", block_size=None, size_bytes=None, slack_bytes=0, label=b"".to_vec()))]
fn ext4_from_tar<'py>(
    py: Python<'py>,
    tar: &[u8],
    profile: &str,
    block_size: Option<u32>,
    size_bytes: Option<u64>,
    slack_bytes: u64,
    label: Vec<u8>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = Options {
        profile: self::profile(profile)?,
        block_size,
        size_bytes,
        slack_bytes,
        label,
        ..Options::default()
    };
    let image = py
        .detach(|| {
            let tree = kir_core::tar::read_tar(tar, "tar")?;
            ext4::build_image(&tree, &opts)
        })
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &image))
}

/// Reads an ext4 image and returns its tree as an uncompressed pax tar.
#[pyfunction]
fn ext4_to_tar<'py>(py: Python<'py>, image: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let tar = py
        .detach(|| {
            let tree = ext4::read_image(image)?;
            let mut out = Vec::new();
            kir_core::tar::write_tar(&tree, &mut out)?;
            Ok::<_, kir_core::Error>(out)
        })
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &tar))
}

/// One listed entry: (path, mode, uid, gid, size).
type ListedEntry = (String, u32, u32, u32, u64);

/// Lists an ext4 image: (path, mode, uid, gid, size) for every entry,
/// parents before children.
#[pyfunction]
fn ext4_list(py: Python<'_>, image: &[u8]) -> PyResult<Vec<ListedEntry>> {
    let tree = py.detach(|| ext4::read_image(image)).map_err(core_error)?;
    let mut out = Vec::new();
    for (path, id) in tree.walk() {
        if let Some(node) = tree.node(id) {
            let size = match &node.kind {
                NodeKind::File(f) => f.size(),
                NodeKind::Symlink(t) => t.len() as u64,
                _ => 0,
            };
            let p = String::from_utf8_lossy(&path).into_owned();
            out.push((p, node.mode() as u32, node.meta.uid, node.meta.gid, size));
        }
    }
    Ok(out)
}

/// KIR's resize_rootfs.sh: re-images `rootfs` with `overlay` laid over it
/// into `output_dir`; returns the path of the image written.
#[pyfunction]
#[pyo3(signature = (rootfs, *, overlay=None, modules_path="/".to_string(), clear_modules=false, sparse=false, xz=false, extra_size_kib=64000, profile="compat", output_dir=PathBuf::from(".")))]
#[allow(clippy::too_many_arguments)]
fn resize_rootfs(
    py: Python<'_>,
    rootfs: PathBuf,
    overlay: Option<PathBuf>,
    modules_path: String,
    clear_modules: bool,
    sparse: bool,
    xz: bool,
    extra_size_kib: u64,
    profile: &str,
    output_dir: PathBuf,
) -> PyResult<String> {
    let req = ResizeRequest {
        rootfs,
        overlay,
        modules_path,
        clear_modules,
        sparse,
        xz,
        extra_size_kib,
        ext4: Options {
            profile: self::profile(profile)?,
            ..Options::default()
        },
        output_dir,
    };
    let out = py
        .detach(|| rootfs::resize_rootfs(&req))
        .map_err(core_error)?;
    Ok(out.image.to_string_lossy().into_owned())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ext4_from_tar, m)?)?;
    m.add_function(wrap_pyfunction!(ext4_to_tar, m)?)?;
    m.add_function(wrap_pyfunction!(ext4_list, m)?)?;
    m.add_function(wrap_pyfunction!(resize_rootfs, m)?)?;
    Ok(())
}
