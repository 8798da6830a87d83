//! Android sparse images and disk images: `kir_sparse_encode`,
//! `kir_sparse_decode` (bytes in, `kir_bytes` out) and `kir_disk_image`
//! (a TOML layout written to a file).

use std::ffi::c_char;
use std::io::Cursor;
use std::path::Path;

use kir_core::disk::{Layout, build_disk_image};
use kir_core::sparse::{self, DecodeOptions, EncodeOptions};

use crate::ffi::{self, KirBytes, KirStatus};

/// Encodes `data[0..len]` as a sparse image with `block_size`-byte blocks
/// (a multiple of 4; img2simg uses 4096) and img2simg's rules, so the bytes
/// are the ones img2simg writes. On success `*out` holds the image; free it
/// with kir_bytes_free.
///
/// # Safety
/// `data` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_sparse_encode(
    data: *const u8,
    len: usize,
    block_size: u32,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?;
        let options = EncodeOptions {
            block_size,
            ..Default::default()
        };
        let image = sparse::encode_reader(data, Cursor::new(Vec::new()), &options)?;
        *out = KirBytes::from_vec(image.into_inner());
        Ok(())
    })
}

/// Expands the sparse image `data[0..len]`, checking every chunk size, the
/// block total and the checksums; DONT_CARE blocks read as zeros. On success
/// `*out` holds the raw image; free it with kir_bytes_free. A malformed
/// image returns KIR_STATUS_ERR_MALFORMED with the chunk and offset in
/// kir_last_error_message.
///
/// # Safety
/// As kir_sparse_encode.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_sparse_decode(
    data: *const u8,
    len: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?;
        let mut raw = Cursor::new(Vec::new());
        let summary = sparse::decode(data, &mut raw, &DecodeOptions::default())?;
        let mut raw = raw.into_inner();
        let expanded = usize::try_from(summary.expanded_len)
            .map_err(|_| ffi::Failure::invalid("data", "expanded image exceeds memory"))?;
        raw.resize(expanded, 0);
        *out = KirBytes::from_vec(raw);
        Ok(())
    })
}

/// Builds the disk image described by the TOML text `layout` (the format of
/// `kir disk-image`) at the path `output`; relative paths in the layout
/// start at `base_dir`.
///
/// # Safety
/// `layout`, `base_dir` and `output` must be NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_disk_image(
    layout: *const c_char,
    base_dir: *const c_char,
    output: *const c_char,
) -> KirStatus {
    ffi::call(|| {
        let layout = unsafe { ffi::str_arg(layout, "layout") }?;
        let base_dir = unsafe { ffi::str_arg(base_dir, "base_dir") }?;
        let output = unsafe { ffi::str_arg(output, "output") }?;
        let layout = Layout::from_toml(layout)?;
        build_disk_image(&layout, Path::new(base_dir), Path::new(output))?;
        Ok(())
    })
}
