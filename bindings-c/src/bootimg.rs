//! Android boot images from C: build them from mkbootimg's options
//! (`kir_mkbootimg_args_*`), parse boot.img (`kir_boot_image_*`) and
//! vendor_boot.img (`kir_vendor_boot_image_*`).
//!
//! Options and parts are named as mkbootimg's flags (`"kernel"`,
//! `"cmdline"`, `"kernel_offset"`, ...), so one setter per kind of value
//! covers every option and new options need no new symbols.

use std::ffi::{CString, c_char};
use std::ptr;

use kir_core::bootimg::{
    BootImage, MkbootimgArgs, OsVersion, PatchLevel, VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE,
    VendorBootImage, VendorRamdisk,
};

use crate::ffi::{self, Failure, KirBytes, KirStatus};

/// mkbootimg's options, being filled in by the caller.
pub struct KirMkbootimgArgs {
    args: MkbootimgArgs,
}

/// A parsed boot.img (header v0–v4).
pub struct KirBootImage {
    image: BootImage,
    cmdline: CString,
    name: CString,
    os_version: CString,
    os_patch_level: CString,
}

/// A parsed vendor_boot.img (header v3 or v4).
pub struct KirVendorBootImage {
    image: VendorBootImage,
    cmdline: CString,
    name: CString,
    ramdisk_names: Vec<CString>,
}

/// One vendor ramdisk of a kir_vendor_boot_image, borrowed from it: valid
/// until the image is freed.
#[repr(C)]
pub struct KirVendorRamdiskView {
    /// `ramdisk_type`: 0 none, 1 platform, 2 recovery, 3 dlkm.
    pub ramdisk_type: u32,
    /// `ramdisk_name`, NUL-terminated.
    pub name: *const c_char,
    /// `board_id`: sixteen words.
    pub board_id: [u32; 16],
    /// The ramdisk bytes.
    pub data: *const u8,
    /// Number of bytes at `data`.
    pub len: usize,
}

// The header's board_id length is part of the C struct above.
const _: () = assert!(VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE == 16);

/// Creates a set of mkbootimg options holding mkbootimg's defaults (header
/// version 0, base 0x10000000, page size 2048, ...). Free it with
/// kir_mkbootimg_args_free.
///
/// # Safety
/// `out` must be NULL or point to writable memory for a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_new(out: *mut *mut KirMkbootimgArgs) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        *out = ffi::into_handle(KirMkbootimgArgs {
            args: MkbootimgArgs::default(),
        });
        Ok(())
    })
}

/// Frees options made by kir_mkbootimg_args_new; NULL is ignored.
///
/// # Safety
/// `args` must be NULL or a live handle from kir_mkbootimg_args_new.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_free(args: *mut KirMkbootimgArgs) {
    ffi::call_or((), || {
        unsafe { ffi::free_handle(args) };
        Ok(())
    })
}

/// Sets a file option to a copy of `len` bytes at `data` (NULL with len 0
/// is an empty file, which differs from an absent one). `option` is one of
/// "kernel", "ramdisk", "second", "dtb", "recovery_dtbo", "vendor_ramdisk",
/// "vendor_bootconfig", "boot_signature".
///
/// # Safety
/// `args` must be a live handle, `option` NULL or a NUL-terminated string,
/// `data` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_set_file(
    args: *mut KirMkbootimgArgs,
    option: *const c_char,
    data: *const u8,
    len: usize,
) -> KirStatus {
    ffi::call(|| {
        let args = &mut unsafe { ffi::handle_mut(args, "args") }?.args;
        let option = unsafe { ffi::str_arg(option, "option") }?;
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?.to_vec();
        let slot = match option {
            "kernel" => &mut args.kernel,
            "ramdisk" => &mut args.ramdisk,
            "second" => &mut args.second,
            "dtb" => &mut args.dtb,
            "recovery_dtbo" | "recovery_acpio" => &mut args.recovery_dtbo,
            "vendor_ramdisk" => &mut args.vendor_ramdisk,
            "vendor_bootconfig" => &mut args.vendor_bootconfig,
            "boot_signature" => &mut args.boot_signature,
            other => {
                return Err(Failure::invalid(
                    "option",
                    format_args!("{other:?} is not a file option"),
                ));
            }
        };
        *slot = Some(data);
        Ok(())
    })
}

/// Sets a text option: "cmdline", "vendor_cmdline", "board",
/// "os_version" ("A.B.C") or "os_patch_level" ("YYYY-MM[-DD]").
///
/// # Safety
/// `args` must be a live handle; `option` and `value` NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_set_string(
    args: *mut KirMkbootimgArgs,
    option: *const c_char,
    value: *const c_char,
) -> KirStatus {
    ffi::call(|| {
        let args = &mut unsafe { ffi::handle_mut(args, "args") }?.args;
        let option = unsafe { ffi::str_arg(option, "option") }?;
        let value = unsafe { ffi::str_arg(value, "value") }?;
        match option {
            "cmdline" => args.cmdline = value.to_string(),
            "vendor_cmdline" => args.vendor_cmdline = value.to_string(),
            "board" => args.board = value.to_string(),
            "os_version" => args.os_version = OsVersion::parse_mkbootimg(value)?,
            "os_patch_level" => args.os_patch_level = PatchLevel::parse_mkbootimg(value)?,
            other => {
                return Err(Failure::invalid(
                    "option",
                    format_args!("{other:?} is not a text option"),
                ));
            }
        }
        Ok(())
    })
}

/// Sets a number option: "header_version", "pagesize", "base",
/// "kernel_offset", "ramdisk_offset", "second_offset", "dtb_offset",
/// "tags_offset".
///
/// # Safety
/// `args` must be a live handle; `option` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_set_int(
    args: *mut KirMkbootimgArgs,
    option: *const c_char,
    value: u64,
) -> KirStatus {
    ffi::call(|| {
        let args = &mut unsafe { ffi::handle_mut(args, "args") }?.args;
        let option = unsafe { ffi::str_arg(option, "option") }?;
        let small = |name: &str| {
            u32::try_from(value)
                .map_err(|_| Failure::invalid(name, format_args!("{value} does not fit 32 bits")))
        };
        match option {
            "header_version" => args.header_version = small(option)?,
            "pagesize" | "page_size" => args.page_size = small(option)?,
            "base" => args.base = value,
            "kernel_offset" => args.kernel_offset = value,
            "ramdisk_offset" => args.ramdisk_offset = value,
            "second_offset" => args.second_offset = value,
            "dtb_offset" => args.dtb_offset = value,
            "tags_offset" => args.tags_offset = value,
            other => {
                return Err(Failure::invalid(
                    "option",
                    format_args!("{other:?} is not a number option"),
                ));
            }
        }
        Ok(())
    })
}

/// Appends a v4 vendor ramdisk fragment (mkbootimg's `--ramdisk_type`,
/// `--ramdisk_name`, `--board_idN`, `--vendor_ramdisk_fragment`). `board_id`
/// is NULL (all zero) or 16 words; `ramdisk_type` 0 none, 1 platform,
/// 2 recovery, 3 dlkm.
///
/// # Safety
/// `args` must be a live handle, `name` NULL or a NUL-terminated string,
/// `board_id` NULL or 16 readable words, `data` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_args_add_vendor_ramdisk(
    args: *mut KirMkbootimgArgs,
    ramdisk_type: u32,
    name: *const c_char,
    board_id: *const u32,
    data: *const u8,
    len: usize,
) -> KirStatus {
    ffi::call(|| {
        let args = &mut unsafe { ffi::handle_mut(args, "args") }?.args;
        let name = unsafe { ffi::opt_str_arg(name, "name") }?.unwrap_or_default();
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?.to_vec();
        let mut ids = [0u32; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE];
        if !board_id.is_null() {
            // SAFETY: the caller promises 16 readable words.
            ids.copy_from_slice(unsafe {
                std::slice::from_raw_parts(board_id, VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE)
            });
        }
        if ramdisk_type > 3 {
            return Err(Failure::invalid(
                "ramdisk_type",
                format_args!(
                    "{ramdisk_type}: expected 0 (none), 1 (platform), 2 (recovery) or 3 (dlkm)"
                ),
            ));
        }
        args.vendor_ramdisk_fragments.push(VendorRamdisk {
            ramdisk_type,
            name: name.to_string(),
            board_id: ids,
            data,
        });
        Ok(())
    })
}

/// Builds the boot.img the options describe, byte for byte what AOSP
/// mkbootimg writes. Free `out` with kir_bytes_free.
///
/// # Safety
/// `args` must be a live handle; `out` NULL or a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_boot_image(
    args: *const KirMkbootimgArgs,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let args = &unsafe { ffi::handle_ref(args, "args") }?.args;
        *out = KirBytes::from_vec(args.boot_image()?.to_bytes()?);
        Ok(())
    })
}

/// Builds the vendor_boot.img the options describe (header v3 or v4). Free
/// `out` with kir_bytes_free.
///
/// # Safety
/// `args` must be a live handle; `out` NULL or a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_mkbootimg_vendor_boot_image(
    args: *const KirMkbootimgArgs,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let args = &unsafe { ffi::handle_ref(args, "args") }?.args;
        *out = KirBytes::from_vec(args.vendor_boot_image()?.to_bytes()?);
        Ok(())
    })
}

/// Parses a boot.img; every size and offset is checked against the input.
/// Free the result with kir_boot_image_free.
///
/// # Safety
/// `data` must be NULL or `len` readable bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut KirBootImage,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?;
        let image = BootImage::parse(data)?;
        let text = |v: Option<String>| ffi::c_string(&v.unwrap_or_default());
        *out = ffi::into_handle(KirBootImage {
            cmdline: ffi::c_string(&image.cmdline),
            name: ffi::c_string(&image.name),
            os_version: text(image.os_version.map(|v| v.to_string())),
            os_patch_level: text(image.os_patch_level.map(|p| p.to_string())),
            image,
        });
        Ok(())
    })
}

/// Frees an image from kir_boot_image_parse; NULL is ignored.
///
/// # Safety
/// `image` must be NULL or a live handle from kir_boot_image_parse.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_free(image: *mut KirBootImage) {
    ffi::call_or((), || {
        unsafe { ffi::free_handle(image) };
        Ok(())
    })
}

fn boot_field(image: *const KirBootImage, get: impl FnOnce(&BootImage) -> u64) -> u64 {
    ffi::call_or(0, || {
        Ok(get(&unsafe { ffi::handle_ref(image, "image") }?.image))
    })
}

/// `header_version` (0 when `image` is NULL, as for every accessor).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_header_version(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.header_version.into()) as u32
}

/// `page_size` (4096 for v3/v4).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_page_size(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.page_size.into()) as u32
}

/// `kernel_addr` (v0–v2).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_kernel_addr(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.kernel_addr.into()) as u32
}

/// `ramdisk_addr` (v0–v2).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_ramdisk_addr(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.ramdisk_addr.into()) as u32
}

/// `second_addr` (v0–v2).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_second_addr(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.second_addr.into()) as u32
}

/// `tags_addr` (v0–v2).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_tags_addr(image: *const KirBootImage) -> u32 {
    boot_field(image, |i| i.tags_addr.into()) as u32
}

/// `dtb_addr` (v2).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_dtb_addr(image: *const KirBootImage) -> u64 {
    boot_field(image, |i| i.dtb_addr)
}

fn boot_text(
    image: *const KirBootImage,
    get: impl FnOnce(&KirBootImage) -> &CString,
) -> *const c_char {
    ffi::call_or(ptr::null(), || {
        Ok(get(unsafe { ffi::handle_ref(image, "image") }?).as_ptr())
    })
}

/// The kernel command line (v0–v2: `cmdline` and `extra_cmdline` joined),
/// borrowed from the image; NULL when `image` is NULL.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_cmdline(image: *const KirBootImage) -> *const c_char {
    boot_text(image, |i| &i.cmdline)
}

/// The board name (v0–v2), borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_name(image: *const KirBootImage) -> *const c_char {
    boot_text(image, |i| &i.name)
}

/// The Android version "A.B.C" from `os_version`, or "" when not set;
/// borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_os_version(image: *const KirBootImage) -> *const c_char {
    boot_text(image, |i| &i.os_version)
}

/// The security patch level "YYYY-MM" from `os_version`, or "" when not
/// set; borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_os_patch_level(
    image: *const KirBootImage,
) -> *const c_char {
    boot_text(image, |i| &i.os_patch_level)
}

/// Points `*data`/`*len` at one part of the image, borrowed from it:
/// "kernel", "ramdisk", "second", "recovery_dtbo", "dtb" or
/// "boot_signature". An absent part is empty (`*data` NULL, `*len` 0).
///
/// # Safety
/// `image` must be NULL or a live handle, `part` NULL or a NUL-terminated
/// string, `data` and `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_part(
    image: *const KirBootImage,
    part: *const c_char,
    data: *mut *const u8,
    len: *mut usize,
) -> KirStatus {
    ffi::call(|| {
        let data = unsafe { ffi::out_arg(data, "data") }?;
        let len = unsafe { ffi::out_arg(len, "len") }?;
        let image = &unsafe { ffi::handle_ref(image, "image") }?.image;
        let part = unsafe { ffi::str_arg(part, "part") }?;
        let bytes: &[u8] = match part {
            "kernel" => &image.kernel,
            "ramdisk" => &image.ramdisk,
            "second" => &image.second,
            "recovery_dtbo" => image.recovery_dtbo.as_deref().unwrap_or_default(),
            "dtb" => &image.dtb,
            "boot_signature" => &image.boot_signature,
            other => {
                return Err(Failure::invalid(
                    "part",
                    format_args!("{other:?} is not a boot.img part"),
                ));
            }
        };
        set_view(bytes, data, len);
        Ok(())
    })
}

fn set_view(bytes: &[u8], data: &mut *const u8, len: &mut usize) {
    if !bytes.is_empty() {
        *data = bytes.as_ptr();
        *len = bytes.len();
    }
}

/// Writes the image again (AOSP mkbootimg's layout). Free `out` with kir_bytes_free.
///
/// # Safety
/// `image` must be NULL or a live handle; `out` NULL or a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_boot_image_to_bytes(
    image: *const KirBootImage,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let image = &unsafe { ffi::handle_ref(image, "image") }?.image;
        *out = KirBytes::from_vec(image.to_bytes()?);
        Ok(())
    })
}

/// Parses a vendor_boot.img; every size and offset is checked against the
/// input. Free the result with kir_vendor_boot_image_free.
///
/// # Safety
/// `data` must be NULL or `len` readable bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut KirVendorBootImage,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(data, len, "data") }?;
        let image = VendorBootImage::parse(data)?;
        *out = ffi::into_handle(KirVendorBootImage {
            cmdline: ffi::c_string(&image.cmdline),
            name: ffi::c_string(&image.name),
            ramdisk_names: image
                .ramdisks
                .iter()
                .map(|r| ffi::c_string(&r.name))
                .collect(),
            image,
        });
        Ok(())
    })
}

/// Frees an image from kir_vendor_boot_image_parse; NULL is ignored.
///
/// # Safety
/// `image` must be NULL or a live handle from kir_vendor_boot_image_parse.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_free(image: *mut KirVendorBootImage) {
    ffi::call_or((), || {
        unsafe { ffi::free_handle(image) };
        Ok(())
    })
}

fn vendor_field(
    image: *const KirVendorBootImage,
    get: impl FnOnce(&VendorBootImage) -> u64,
) -> u64 {
    ffi::call_or(0, || {
        Ok(get(&unsafe { ffi::handle_ref(image, "image") }?.image))
    })
}

/// `header_version` (3 or 4; 0 when `image` is NULL, as for every accessor).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_header_version(
    image: *const KirVendorBootImage,
) -> u32 {
    vendor_field(image, |i| i.header_version.into()) as u32
}

/// `page_size`.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_page_size(image: *const KirVendorBootImage) -> u32 {
    vendor_field(image, |i| i.page_size.into()) as u32
}

/// `kernel_addr`.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_kernel_addr(
    image: *const KirVendorBootImage,
) -> u32 {
    vendor_field(image, |i| i.kernel_addr.into()) as u32
}

/// `ramdisk_addr`.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_ramdisk_addr(
    image: *const KirVendorBootImage,
) -> u32 {
    vendor_field(image, |i| i.ramdisk_addr.into()) as u32
}

/// `tags_addr`.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_tags_addr(image: *const KirVendorBootImage) -> u32 {
    vendor_field(image, |i| i.tags_addr.into()) as u32
}

/// `dtb_addr`.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_dtb_addr(image: *const KirVendorBootImage) -> u64 {
    vendor_field(image, |i| i.dtb_addr)
}

/// The vendor command line, borrowed from the image; NULL when `image` is NULL.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_cmdline(
    image: *const KirVendorBootImage,
) -> *const c_char {
    ffi::call_or(ptr::null(), || {
        Ok(unsafe { ffi::handle_ref(image, "image") }?.cmdline.as_ptr())
    })
}

/// The board name, borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_name(
    image: *const KirVendorBootImage,
) -> *const c_char {
    ffi::call_or(ptr::null(), || {
        Ok(unsafe { ffi::handle_ref(image, "image") }?.name.as_ptr())
    })
}

/// Number of vendor ramdisks (v3: 0 or 1).
///
/// # Safety
/// `image` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_ramdisk_count(
    image: *const KirVendorBootImage,
) -> usize {
    vendor_field(image, |i| i.ramdisks.len() as u64) as usize
}

/// Describes vendor ramdisk `index` (0-based) in `*out`, borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_ramdisk(
    image: *const KirVendorBootImage,
    index: usize,
    out: *mut KirVendorRamdiskView,
) -> KirStatus {
    ffi::call(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let handle = unsafe { ffi::handle_ref(image, "image") }?;
        let (Some(ramdisk), Some(name)) = (
            handle.image.ramdisks.get(index),
            handle.ramdisk_names.get(index),
        ) else {
            let count = handle.image.ramdisks.len();
            return Err(Failure::invalid(
                "index",
                format_args!("{index}: the image has {count} vendor ramdisks"),
            ));
        };
        let view = KirVendorRamdiskView {
            ramdisk_type: ramdisk.ramdisk_type,
            name: name.as_ptr(),
            board_id: ramdisk.board_id,
            data: if ramdisk.data.is_empty() {
                ptr::null()
            } else {
                ramdisk.data.as_ptr()
            },
            len: ramdisk.data.len(),
        };
        // SAFETY: checked non-NULL above; writable per the caller.
        unsafe { out.write(view) };
        Ok(())
    })
}

/// Points `*data`/`*len` at "dtb" or "bootconfig", borrowed from the image.
///
/// # Safety
/// `image` must be NULL or a live handle, `part` NULL or a NUL-terminated
/// string, `data` and `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_part(
    image: *const KirVendorBootImage,
    part: *const c_char,
    data: *mut *const u8,
    len: *mut usize,
) -> KirStatus {
    ffi::call(|| {
        let data = unsafe { ffi::out_arg(data, "data") }?;
        let len = unsafe { ffi::out_arg(len, "len") }?;
        let image = &unsafe { ffi::handle_ref(image, "image") }?.image;
        let part = unsafe { ffi::str_arg(part, "part") }?;
        let bytes: &[u8] = match part {
            "dtb" => &image.dtb,
            "bootconfig" => &image.bootconfig,
            other => {
                return Err(Failure::invalid(
                    "part",
                    format_args!("{other:?} is not a vendor_boot.img part"),
                ));
            }
        };
        set_view(bytes, data, len);
        Ok(())
    })
}

/// Writes the image again (AOSP mkbootimg's layout). Free `out` with kir_bytes_free.
///
/// # Safety
/// `image` must be NULL or a live handle; `out` NULL or a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_vendor_boot_image_to_bytes(
    image: *const KirVendorBootImage,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let image = &unsafe { ffi::handle_ref(image, "image") }?.image;
        *out = KirBytes::from_vec(image.to_bytes()?);
        Ok(())
    })
}
