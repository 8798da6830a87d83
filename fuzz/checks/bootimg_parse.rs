//! The boot.img reader on arbitrary bytes: it returns an image or an error,
//! never panics; an image it read and can write again reads back equal, and
//! unpack_bootimg's report of it is produced without panicking.

use kir_core::bootimg::{BootImage, unpack};

pub fn check(data: &[u8]) {
    let _ = unpack(data, "out");

    let Ok(image) = BootImage::parse(data) else {
        return;
    };
    // Some images that read fine cannot be written (an odd page size, a
    // command line past the AOSP 34 limit); that is an error, not a bug.
    let Ok(written) = image.to_bytes() else {
        return;
    };
    match BootImage::parse(&written) {
        Ok(again) => assert_eq!(again, image, "write then read changed the image"),
        Err(e) => panic!("a boot.img kir wrote does not read back: {e}"),
    }
}
