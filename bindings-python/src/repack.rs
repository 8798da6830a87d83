//! KIR's repack_boot.sh as a function: `kir.repack_boot` with a recipe
//! given by name or as a dict, `kir.recipe_names`, `kir.repack_demo_inputs`.

use std::path::PathBuf;

use kir_core::recipe::{self, Recipe};
use kir_core::repack::{self, RepackInputs, RepackOptions};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::errors::core_error;

/// What `repack_boot` made and found: the images by file name (boot.img
/// first), what the kernel is, the DTB's compatible list, the modules'
/// release and count, and notes on checks passed over.
#[pyclass(module = "kir", frozen, get_all)]
pub struct RepackResult {
    files: Py<PyDict>,
    kernel_format: String,
    kernel_release: Option<String>,
    dtb_compatible: Vec<String>,
    modules_release: Option<String>,
    module_count: usize,
    notes: Vec<String>,
}

/// A recipe from a dict shaped like the recipe TOML files (`kernel`,
/// `ramdisk`, `boot`, optional `nfs` and `vendor_boot` tables), checked as
/// strictly as a recipe file.
fn recipe_from_dict(py: Python<'_>, dict: &Bound<'_, PyDict>) -> PyResult<Recipe> {
    let source = match dict.get_item("name")? {
        Some(name) if name.is_instance_of::<PyString>() => {
            format!("{} (dict)", name.extract::<String>()?)
        }
        _ => "recipe dict".to_string(),
    };
    let json: String = py
        .import("json")?
        .call_method1("dumps", (dict,))?
        .extract()?;
    let recipe: Recipe = serde_json::from_str(&json).map_err(|e| {
        // serde's position is within the JSON text made above: not useful to the caller.
        let reason = e.to_string();
        let reason = reason
            .split(" at line ")
            .next()
            .unwrap_or(&reason)
            .to_string();
        core_error(kir_core::Error::Recipe {
            recipe: source.clone(),
            reason,
        })
    })?;
    recipe.validate(&source).map_err(core_error)?;
    Ok(recipe)
}

/// Applies a board recipe to a kernel, DTB, initrd and modules tarball (all
/// bytes) and returns the board's boot image(s). `target` is a recipe name
/// (built in, or `<name>.toml` in `recipes_dir`) or a dict shaped like a
/// recipe file. An NFS root needs both `nfs_server_ip` and `nfs_rootfs`.
#[pyfunction]
#[pyo3(signature = (
    target, kernel, dtb=None, initrd=None, modules=None, *, nfs_server_ip=None, nfs_rootfs=None,
    modules_prefix=None, clear_modules=false, merge_ramdisk=false, allow_release_mismatch=false,
    allow_dtb_mismatch=false, mtime=0, recipes_dir=None
))]
#[allow(clippy::too_many_arguments)]
fn repack_boot(
    py: Python<'_>,
    target: &Bound<'_, PyAny>,
    kernel: &Bound<'_, PyBytes>,
    dtb: Option<&Bound<'_, PyBytes>>,
    initrd: Option<&Bound<'_, PyBytes>>,
    modules: Option<&Bound<'_, PyBytes>>,
    nfs_server_ip: Option<String>,
    nfs_rootfs: Option<String>,
    modules_prefix: Option<String>,
    clear_modules: bool,
    merge_ramdisk: bool,
    allow_release_mismatch: bool,
    allow_dtb_mismatch: bool,
    mtime: u32,
    recipes_dir: Option<PathBuf>,
) -> PyResult<RepackResult> {
    let recipe = if let Ok(dict) = target.cast::<PyDict>() {
        recipe_from_dict(py, dict)?
    } else {
        let name: String = target.extract()?;
        py.detach(|| recipe::load(&name, recipes_dir.as_deref()))
            .map_err(core_error)?
    };
    let nfs = match (nfs_server_ip, nfs_rootfs) {
        (Some(ip), Some(root)) => Some((ip, root)),
        (None, None) => None,
        (ip, _) => {
            let missing = if ip.is_some() {
                "nfs_rootfs"
            } else {
                "nfs_server_ip"
            };
            return Err(core_error(kir_core::Error::invalid_argument(
                missing,
                "an NFS root needs both nfs_server_ip and nfs_rootfs",
            )));
        }
    };
    let inputs = RepackInputs {
        kernel: kernel.as_bytes().to_vec(),
        dtb: dtb.map(|b| b.as_bytes().to_vec()),
        initrd: initrd.map(|b| b.as_bytes().to_vec()),
        modules: modules.map(|b| b.as_bytes().to_vec()),
    };
    let opts = RepackOptions {
        nfs,
        modules_prefix,
        clear_modules,
        merge_ramdisk,
        allow_release_mismatch,
        allow_dtb_mismatch,
        mtime,
        ..RepackOptions::default()
    };

    let out = py
        .detach(|| repack::repack_boot(&recipe, &inputs, &opts))
        .map_err(core_error)?;

    let files = PyDict::new(py);
    for file in &out.files {
        files.set_item(&file.name, PyBytes::new(py, &file.bytes))?;
    }
    Ok(RepackResult {
        files: files.unbind(),
        kernel_format: out.kernel.format.to_string(),
        kernel_release: out.kernel.release,
        dtb_compatible: out.dtb_compatible,
        modules_release: out.modules_release,
        module_count: out.module_count,
        notes: out.notes,
    })
}

/// Names of the recipes: built-in ones and those in `recipes_dir`.
#[pyfunction]
#[pyo3(signature = (recipes_dir=None))]
fn recipe_names(recipes_dir: Option<PathBuf>) -> PyResult<Vec<String>> {
    recipe::list(recipes_dir.as_deref()).map_err(core_error)
}

/// The synthetic inputs `kir demo` uses for `target` (a kernel, a DTB that
/// lists the recipe's compatible, an initrd and a modules tarball), as a
/// dict of bytes ready for `repack_boot(target, **inputs)`.
#[pyfunction]
fn repack_demo_inputs<'py>(py: Python<'py>, target: &str) -> PyResult<Bound<'py, PyDict>> {
    let inputs = repack::demo::inputs(target).map_err(core_error)?;
    let dict = PyDict::new(py);
    dict.set_item("kernel", PyBytes::new(py, &inputs.kernel))?;
    for (key, value) in [
        ("dtb", &inputs.dtb),
        ("initrd", &inputs.initrd),
        ("modules", &inputs.modules),
    ] {
        dict.set_item(key, value.as_deref().map(|b| PyBytes::new(py, b)))?;
    }
    Ok(dict)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RepackResult>()?;
    m.add_function(wrap_pyfunction!(repack_boot, m)?)?;
    m.add_function(wrap_pyfunction!(recipe_names, m)?)?;
    m.add_function(wrap_pyfunction!(repack_demo_inputs, m)?)?;
    Ok(())
}
