//! The vendor_boot.img reader on arbitrary bytes: it returns an image or an
//! error, never panics; an image it read and can write again reads back equal.

use kir_core::bootimg::{VendorBootImage, unpack};

pub fn check(data: &[u8]) {
    let _ = unpack(data, "out");

    let Ok(image) = VendorBootImage::parse(data) else {
        return;
    };
    let Ok(written) = image.to_bytes() else {
        return;
    };
    match VendorBootImage::parse(&written) {
        Ok(again) => assert_eq!(again, image, "write then read changed the image"),
        Err(e) => panic!("a vendor_boot.img kir wrote does not read back: {e}"),
    }
}
