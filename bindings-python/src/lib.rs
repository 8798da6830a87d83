//! Python bindings: the native module `kir._kir`, re-exported by the `kir`
//! package (python/kir/__init__.py).
//!
//! One file per area adds that area's classes and functions through its
//! `register` function, called below; `errors` holds the exception tree that
//! every area raises. The bindings only convert: no logic lives here that the
//! Rust crates lack.

use pyo3::prelude::*;

mod bootimg;
mod buildplan;
mod cpio;
pub mod errors;
mod ext4;
mod lava;
mod repack;
mod sparse;
mod testplan;

/// The native module.
#[pymodule]
fn _kir(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    bootimg::register(m)?;
    cpio::register(m)?;
    ext4::register(m)?;
    sparse::register(m)?;
    repack::register(m)?;
    buildplan::register(m)?;
    lava::register(m)?;
    testplan::register(m)?;
    Ok(())
}
