//! libkir: kir's C API. Every symbol starts with `kir_`.

use std::ffi::c_char;

/// The library's version as a NUL-terminated static string.
#[unsafe(no_mangle)]
pub extern "C" fn kir_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
