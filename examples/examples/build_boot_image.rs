//! Builds a boot.img v2 from a kernel and a DTB, the way
//! `kir mkbootimg --header_version 2 --kernel K --dtb D --cmdline C` does,
//! writes it, and parses it back.
//!
//! ```text
//! cargo run -p kir-examples --example build_boot_image -- Image board.dtb boot.img
//! ```
//! Without arguments it uses small stand-in parts and writes nothing.

use std::process::ExitCode;

use kir_core::bootimg::{BootImage, MkbootimgArgs};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("build_boot_image: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let (kernel, dtb, output) = match args.as_slice() {
        [kernel, dtb, output] => (std::fs::read(kernel)?, std::fs::read(dtb)?, Some(output)),
        [] => (b"stand-in kernel".to_vec(), b"stand-in dtb".to_vec(), None),
        _ => return Err("usage: build_boot_image [KERNEL DTB OUTPUT]".into()),
    };

    let image = MkbootimgArgs {
        header_version: 2,
        kernel: Some(kernel),
        dtb: Some(dtb),
        cmdline: "console=ttyMSM0,115200n8 earlycon".into(),
        ..MkbootimgArgs::default()
    }
    .boot_image()?
    .to_bytes()?;

    let parsed = BootImage::parse(&image)?;
    println!(
        "boot.img v{}: {} bytes, kernel {} bytes at {:#x}, dtb {} bytes",
        parsed.header_version,
        image.len(),
        parsed.kernel.len(),
        parsed.kernel_addr,
        parsed.dtb.len()
    );
    if let Some(output) = output {
        std::fs::write(output, &image)?;
        println!("wrote {output}");
    }
    Ok(())
}
