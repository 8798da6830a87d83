//! Building and parsing boot images of realistic size (a 40 MB kernel, as in
//! BENCHMARKS.md), in memory.

use kir_core::bootimg::{BootImage, MkbootimgArgs, VendorBootImage, VendorRamdisk};

fn main() {
    divan::main();
}

const KERNEL_SIZE: usize = 40 << 20;

fn kernel() -> Vec<u8> {
    (0..KERNEL_SIZE)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect()
}

fn v2_args() -> MkbootimgArgs {
    MkbootimgArgs {
        header_version: 2,
        kernel: Some(kernel()),
        ramdisk: Some(vec![7; 2 << 20]),
        dtb: Some(vec![9; 150 << 10]),
        cmdline: "console=ttyMSM0,115200n8 root=/dev/sda1 rw rootwait".into(),
        base: 0x8000_0000,
        ..MkbootimgArgs::default()
    }
}

#[divan::bench]
fn build_v2_40mb_kernel(bencher: divan::Bencher) {
    let args = v2_args();
    bencher.bench(|| {
        args.boot_image()
            .and_then(|image| image.to_bytes())
            .map(|b| b.len())
    });
}

#[divan::bench]
fn parse_v2_40mb_kernel(bencher: divan::Bencher) {
    let bytes = v2_args()
        .boot_image()
        .and_then(|image| image.to_bytes())
        .unwrap_or_default();
    bencher.bench(|| BootImage::parse(divan::black_box(&bytes)).map(|image| image.kernel.len()));
}

#[divan::bench]
fn build_vendor_boot_v4_three_fragments(bencher: divan::Bencher) {
    let fragment = |name: &str, size: usize| VendorRamdisk {
        name: name.into(),
        data: vec![1; size],
        ..VendorRamdisk::default()
    };
    let args = MkbootimgArgs {
        header_version: 4,
        vendor_ramdisk_fragments: vec![
            fragment("platform", 4 << 20),
            fragment("dlkm", 16 << 20),
            fragment("recovery", 1 << 20),
        ],
        vendor_bootconfig: Some(b"androidboot.hardware=kir\n".to_vec()),
        dtb: Some(vec![9; 150 << 10]),
        ..MkbootimgArgs::default()
    };
    bencher.bench(|| {
        args.vendor_boot_image()
            .and_then(|image| VendorBootImage::to_bytes(&image))
            .map(|b| b.len())
    });
}
