//! The sparse and disk exports: round trip, argument errors, malformed input.

use std::ffi::{CStr, CString};
use std::ptr;

use kir::sparse::{kir_disk_image, kir_sparse_decode, kir_sparse_encode};
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message};

fn empty() -> KirBytes {
    KirBytes {
        data: ptr::null_mut(),
        len: 0,
    }
}

fn bytes(b: &KirBytes) -> Vec<u8> {
    unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
}

fn last_error() -> String {
    let p = kir_last_error_message();
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[test]
fn encoded_image_decodes_to_the_padded_input() {
    let mut raw: Vec<u8> = (0..9000u32).map(|i| (i * 31 % 251) as u8).collect();
    raw.extend([0u8; 8192]);
    let mut image = empty();
    assert_eq!(
        unsafe { kir_sparse_encode(raw.as_ptr(), raw.len(), 4096, &mut image) },
        KirStatus::Ok
    );
    let mut back = empty();
    assert_eq!(
        unsafe { kir_sparse_decode(image.data, image.len, &mut back) },
        KirStatus::Ok
    );
    let expanded = bytes(&back);
    assert_eq!(expanded.len(), 20480);
    assert_eq!(&expanded[..raw.len()], &raw[..]);
    unsafe {
        kir_bytes_free(&mut image);
        kir_bytes_free(&mut back);
    }
}

#[test]
fn null_output_and_bad_block_size_are_refused() {
    let data = [1u8; 16];
    assert_eq!(
        unsafe { kir_sparse_encode(data.as_ptr(), 16, 4096, ptr::null_mut()) },
        KirStatus::ErrNull
    );
    let mut out = empty();
    assert_eq!(
        unsafe { kir_sparse_encode(data.as_ptr(), 16, 1001, &mut out) },
        KirStatus::ErrInvalidArgument
    );
    assert!(last_error().contains("block_size"));
}

#[test]
fn malformed_image_names_the_field() {
    let mut out = empty();
    let junk = [0u8; 40];
    assert_eq!(
        unsafe { kir_sparse_decode(junk.as_ptr(), junk.len(), &mut out) },
        KirStatus::ErrMalformed
    );
    assert!(last_error().contains("magic"), "{}", last_error());
}

#[test]
fn disk_image_writes_an_mbr_disk_and_refuses_bad_toml() {
    let dir = std::env::temp_dir().join(format!("kir-c-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = CString::new(dir.join("d.img").to_str().unwrap()).unwrap();
    let base = CString::new(dir.to_str().unwrap()).unwrap();
    let layout = CString::new(
        "disk_id = \"0x11223344\"\n[[partition]]\ncontent = \"empty\"\nsize = \"1MiB\"\n",
    )
    .unwrap();
    assert_eq!(
        unsafe { kir_disk_image(layout.as_ptr(), base.as_ptr(), out.as_ptr()) },
        KirStatus::Ok
    );
    let img = std::fs::read(dir.join("d.img")).unwrap();
    assert_eq!(&img[0x1B8..0x1BC], &0x1122_3344u32.to_le_bytes());
    assert_eq!(&img[510..512], &[0x55, 0xAA]);
    let bad = CString::new("table = 7").unwrap();
    assert_eq!(
        unsafe { kir_disk_image(bad.as_ptr(), base.as_ptr(), out.as_ptr()) },
        KirStatus::ErrInvalidArgument
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
