//! The boot image exports, called as C would call them.

use std::ffi::{CStr, c_char};
use std::ptr;

use kir::bootimg::*;
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message};

fn last_error() -> String {
    let p = kir_last_error_message();
    assert!(!p.is_null(), "no error message");
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn ok(status: KirStatus) {
    assert_eq!(status, KirStatus::Ok, "{}", last_error());
}

/// gs101-style options: boot.img v4 with a kernel, vendor_boot v4 with two fragments.
fn gs101_args() -> *mut KirMkbootimgArgs {
    let mut args = ptr::null_mut();
    unsafe {
        ok(kir_mkbootimg_args_new(&mut args));
        ok(kir_mkbootimg_args_set_int(
            args,
            c"header_version".as_ptr(),
            4,
        ));
        ok(kir_mkbootimg_args_set_file(
            args,
            c"kernel".as_ptr(),
            b"kernel".as_ptr(),
            6,
        ));
        ok(kir_mkbootimg_args_set_file(
            args,
            c"dtb".as_ptr(),
            b"dtb".as_ptr(),
            3,
        ));
        ok(kir_mkbootimg_args_set_file(
            args,
            c"vendor_bootconfig".as_ptr(),
            b"a=b\n".as_ptr(),
            4,
        ));
        ok(kir_mkbootimg_args_set_string(
            args,
            c"vendor_cmdline".as_ptr(),
            c"console=ttyMSM0".as_ptr(),
        ));
        ok(kir_mkbootimg_args_add_vendor_ramdisk(
            args,
            1,
            c"PLAT".as_ptr(),
            ptr::null(),
            b"plat".as_ptr(),
            4,
        ));
        let ids = [7u32; 16];
        ok(kir_mkbootimg_args_add_vendor_ramdisk(
            args,
            3,
            c"DLKM".as_ptr(),
            ids.as_ptr(),
            b"dlkm!".as_ptr(),
            5,
        ));
    }
    args
}

#[test]
fn vendor_boot_built_from_c_parses_back_with_its_fragments() {
    let args = gs101_args();
    let mut bytes = KirBytes {
        data: ptr::null_mut(),
        len: 0,
    };
    unsafe {
        ok(kir_mkbootimg_vendor_boot_image(args, &mut bytes));
        kir_mkbootimg_args_free(args);

        let mut image = ptr::null_mut();
        ok(kir_vendor_boot_image_parse(
            bytes.data, bytes.len, &mut image,
        ));
        assert_eq!(kir_vendor_boot_image_header_version(image), 4);
        assert_eq!(kir_vendor_boot_image_page_size(image), 2048);
        assert_eq!(kir_vendor_boot_image_ramdisk_addr(image), 0x1100_0000);
        assert_eq!(
            text(kir_vendor_boot_image_cmdline(image)),
            "console=ttyMSM0"
        );
        assert_eq!(kir_vendor_boot_image_ramdisk_count(image), 2);

        let mut view = std::mem::MaybeUninit::<KirVendorRamdiskView>::uninit();
        ok(kir_vendor_boot_image_ramdisk(image, 1, view.as_mut_ptr()));
        let view = view.assume_init();
        assert_eq!(view.ramdisk_type, 3);
        assert_eq!(text(view.name), "DLKM");
        assert_eq!(view.board_id, [7; 16]);
        assert_eq!(std::slice::from_raw_parts(view.data, view.len), b"dlkm!");

        let mut other = std::mem::MaybeUninit::<KirVendorRamdiskView>::uninit();
        let status = kir_vendor_boot_image_ramdisk(image, 2, other.as_mut_ptr());
        assert_eq!(status, KirStatus::ErrInvalidArgument);
        assert_eq!(last_error(), "index: 2: the image has 2 vendor ramdisks");

        let (mut data, mut len) = (ptr::null(), 0usize);
        ok(kir_vendor_boot_image_part(
            image,
            c"bootconfig".as_ptr(),
            &mut data,
            &mut len,
        ));
        assert_eq!(std::slice::from_raw_parts(data, len), b"a=b\n");

        let mut again = KirBytes {
            data: ptr::null_mut(),
            len: 0,
        };
        ok(kir_vendor_boot_image_to_bytes(image, &mut again));
        assert_eq!(
            std::slice::from_raw_parts(again.data, again.len),
            std::slice::from_raw_parts(bytes.data, bytes.len)
        );
        kir_bytes_free(&mut again);
        kir_vendor_boot_image_free(image);
        kir_bytes_free(&mut bytes);
    }
}

#[test]
fn boot_v4_built_from_c_has_the_kernel_and_fixed_page_size() {
    let args = gs101_args();
    let mut bytes = KirBytes {
        data: ptr::null_mut(),
        len: 0,
    };
    unsafe {
        ok(kir_mkbootimg_boot_image(args, &mut bytes));
        kir_mkbootimg_args_free(args);
        let mut image = ptr::null_mut();
        ok(kir_boot_image_parse(bytes.data, bytes.len, &mut image));
        assert_eq!(kir_boot_image_header_version(image), 4);
        assert_eq!(kir_boot_image_page_size(image), 4096);
        assert_eq!(text(kir_boot_image_os_version(image)), "");
        let (mut data, mut len) = (ptr::null(), 0usize);
        ok(kir_boot_image_part(
            image,
            c"kernel".as_ptr(),
            &mut data,
            &mut len,
        ));
        assert_eq!(std::slice::from_raw_parts(data, len), b"kernel");
        kir_boot_image_free(image);
        kir_bytes_free(&mut bytes);
    }
}

#[test]
fn unknown_option_names_are_refused_with_the_name() {
    let args = gs101_args();
    unsafe {
        let s = kir_mkbootimg_args_set_int(args, c"pagesiz".as_ptr(), 4096);
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        assert_eq!(last_error(), "option: \"pagesiz\" is not a number option");
        let s = kir_mkbootimg_args_set_file(args, c"cmdline".as_ptr(), ptr::null(), 0);
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        let s = kir_mkbootimg_args_set_string(args, c"kernel".as_ptr(), c"x".as_ptr());
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        let s = kir_mkbootimg_args_set_int(args, c"header_version".as_ptr(), 1 << 40);
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        let s = kir_mkbootimg_args_add_vendor_ramdisk(
            args,
            9,
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
        );
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        kir_mkbootimg_args_free(args);
    }
}

#[test]
fn core_refusals_come_back_as_their_family_status() {
    let mut args = ptr::null_mut();
    let mut out = KirBytes {
        data: ptr::null_mut(),
        len: 0,
    };
    unsafe {
        ok(kir_mkbootimg_args_new(&mut args));
        ok(kir_mkbootimg_args_set_int(args, c"pagesize".as_ptr(), 1000));
        let s = kir_mkbootimg_boot_image(args, &mut out);
        assert_eq!(s, KirStatus::ErrInvalidArgument, "{}", last_error());
        assert!(out.data.is_null());
        let s = kir_mkbootimg_args_set_string(args, c"os_version".as_ptr(), c"200.1".as_ptr());
        assert_eq!(s, KirStatus::ErrInvalidArgument);
        kir_mkbootimg_args_free(args);

        let mut image = ptr::null_mut();
        let garbage = [0u8; 64];
        let s = kir_boot_image_parse(garbage.as_ptr(), garbage.len(), &mut image);
        assert_eq!(s, KirStatus::ErrMalformed);
        assert!(last_error().contains("magic"), "{}", last_error());
        let mut vimage = ptr::null_mut();
        let s = kir_vendor_boot_image_parse(garbage.as_ptr(), garbage.len(), &mut vimage);
        assert_eq!(s, KirStatus::ErrMalformed);
        assert!(image.is_null() && vimage.is_null());
    }
}

#[test]
fn null_arguments_are_refused_and_accessors_return_zero() {
    unsafe {
        assert_eq!(kir_mkbootimg_args_new(ptr::null_mut()), KirStatus::ErrNull);
        assert_eq!(
            kir_boot_image_parse(ptr::null(), 1, &mut ptr::null_mut()),
            KirStatus::ErrNull
        );
        assert_eq!(last_error(), "data: must not be NULL");
        assert_eq!(kir_boot_image_page_size(ptr::null()), 0);
        assert!(kir_boot_image_cmdline(ptr::null()).is_null());
        assert_eq!(last_error(), "image: must not be NULL");
        assert_eq!(kir_vendor_boot_image_ramdisk_count(ptr::null()), 0);
        let mut out = KirBytes {
            data: ptr::null_mut(),
            len: 0,
        };
        assert_eq!(
            kir_mkbootimg_boot_image(ptr::null(), &mut out),
            KirStatus::ErrNull
        );
        let args = gs101_args();
        assert_eq!(
            kir_mkbootimg_args_set_string(args, ptr::null(), c"x".as_ptr()),
            KirStatus::ErrNull
        );
        assert_eq!(
            kir_mkbootimg_args_set_file(args, c"kernel".as_ptr(), ptr::null(), 5),
            KirStatus::ErrNull
        );
        kir_mkbootimg_args_free(args);
        kir_mkbootimg_args_free(ptr::null_mut());
        kir_boot_image_free(ptr::null_mut());
        kir_vendor_boot_image_free(ptr::null_mut());
    }
}
