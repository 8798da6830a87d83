//! Python bindings: the native module `kir._kir`, re-exported by the `kir` package.

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _kir(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
