//! libkir: kir's C API.
//!
//! Every exported symbol starts with `kir_`. Fallible functions return a
//! [`KirStatus`] and write results through out-parameters; the reason for a
//! failure is in [`kir_last_error_message`]. No panic crosses the boundary:
//! every export runs inside [`ffi::call`] or [`ffi::call_or`].
//!
//! One module per area (`bootimg`, `cpio`, ...) holds that area's exports;
//! `ffi` holds what they share. The header `include/kir.h` is generated from
//! these files by cbindgen and checked in.

use std::ffi::c_char;

pub mod bootimg;
pub mod buildplan;
pub mod ext4;
pub mod ffi;
pub mod lava;
pub mod sparse;
pub mod testplan;

pub use ffi::{KirBytes, KirStatus};

/// The library's version ("MAJOR.MINOR.PATCH"), a static string.
///
/// Compare with the KIR_VERSION_* macros to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn kir_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The message of the last failed kir_* call on this thread, or NULL if the
/// last call succeeded.
///
/// The text names what was wrong and where (offset and field for malformed
/// input). It is owned by the library and valid until the next kir_* call on
/// the same thread; copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn kir_last_error_message() -> *const c_char {
    // Not wrapped in ffi::call: reading the message must not clear it.
    ffi::last_error_ptr()
}

/// The name of a status value ("KIR_STATUS_ERR_MALFORMED"), a static string;
/// "KIR_STATUS_UNKNOWN" for a value this library does not define.
#[unsafe(no_mangle)]
pub extern "C" fn kir_status_name(status: u32) -> *const c_char {
    let found = KirStatus::all().into_iter().find(|s| *s as u32 == status);
    found
        .map_or(c"KIR_STATUS_UNKNOWN", KirStatus::name)
        .as_ptr()
}

/// Frees a buffer returned by the library and resets it to empty
/// (data NULL, len 0). Accepts NULL and an already empty buffer.
///
/// # Safety
/// `bytes` must be NULL or point to a kir_bytes that is empty or was filled
/// by this library and not changed since.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_bytes_free(bytes: *mut KirBytes) {
    ffi::call_or((), || {
        // SAFETY: per this function's contract.
        if let Some(bytes) = unsafe { bytes.as_mut() } {
            unsafe { bytes.release() };
        }
        Ok(())
    })
}
