//! The boot image fuzz checks (fuzz/checks/bootimg_parse.rs and
//! vendor_boot_parse.rs: no panic, write-then-read gives the same image) run
//! here on images of every header version, on mutations of them, and on the
//! committed fuzz seeds when present, so they hold in every test run.

use kir_core::bootimg::{MkbootimgArgs, VendorRamdisk};

#[path = "../../fuzz/checks/bootimg_parse.rs"]
mod bootimg_parse;
#[path = "../../fuzz/checks/vendor_boot_parse.rs"]
mod vendor_boot_parse;

fn images() -> Vec<Vec<u8>> {
    let mut images = Vec::new();
    for header_version in 0..=4 {
        let args = MkbootimgArgs {
            header_version,
            kernel: Some(vec![0x11; 2100]),
            ramdisk: Some(vec![0x22; 300]),
            second: (header_version < 3).then(|| vec![0x33; 10]),
            recovery_dtbo: Some(vec![0x44; 20]),
            dtb: Some(vec![0x55; 30]),
            boot_signature: (header_version == 4).then(|| vec![0x66; 40]),
            cmdline: "console=ttyS0 root=/dev/sda1".into(),
            board: "board".into(),
            vendor_ramdisk: Some(vec![0x77; 50]),
            vendor_ramdisk_fragments: vec![VendorRamdisk {
                name: "dlkm".into(),
                data: vec![0x88; 60],
                ..VendorRamdisk::default()
            }],
            vendor_bootconfig: Some(b"a=b\n".to_vec()),
            ..MkbootimgArgs::default()
        };
        images.push(args.boot_image().unwrap().to_bytes().unwrap());
        if header_version == 4 {
            images.push(args.vendor_boot_image().unwrap().to_bytes().unwrap());
        }
        if header_version == 3 {
            let v3 = MkbootimgArgs {
                vendor_ramdisk_fragments: Vec::new(),
                ..args
            };
            images.push(v3.vendor_boot_image().unwrap().to_bytes().unwrap());
        }
    }
    images
}

fn both(data: &[u8]) {
    bootimg_parse::check(data);
    vendor_boot_parse::check(data);
}

#[test]
fn fuzz_checks_hold_on_images_of_every_version() {
    for image in images() {
        both(&image);
    }
}

#[test]
fn fuzz_checks_hold_on_mutated_header_words() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for image in images() {
        for _ in 0..300 {
            let mut bytes = image.clone();
            let at = (next() as usize % 2200.min(bytes.len() - 4)) & !3;
            let value = match next() % 4 {
                0 => 0,
                1 => u32::MAX,
                2 => next() as u32 % 8192,
                _ => next() as u32,
            };
            bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
            both(&bytes);
        }
    }
}

#[test]
fn fuzz_checks_hold_on_committed_seeds() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for dir in ["seeds", "regressions"] {
        for target in ["bootimg_parse", "vendor_boot_parse"] {
            let Ok(listing) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for entry in listing {
                let path = entry.unwrap().path();
                both(&std::fs::read(&path).unwrap());
            }
        }
    }
}
