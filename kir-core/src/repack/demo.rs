//! `kir demo`: KIR's dragonboard-845c and gs101-oriole recipes run end to end
//! on small inputs made in memory (a synthetic arm64 Image, a DTB, an initrd
//! and a modules tarball whose modules carry a matching vermagic), then the
//! images are parsed back and checked against the recipe.

use std::path::{Path, PathBuf};

use super::{RepackInputs, RepackOptions, repack_boot, write_outputs};
use crate::bootimg::{BootImage, VendorBootImage};
use crate::compress;
use crate::cpio::{self, FileType, NewEntry, Node, WriteOptions};
use crate::recipe::{self, Recipe};
use crate::{Error, Result, fdt, kernel, modules};

/// Release string of the demo kernel and modules.
pub const RELEASE: &str = "6.1.0-kir-demo";
/// The boards the demo builds.
pub const TARGETS: [&str; 2] = ["dragonboard-845c", "gs101-oriole"];
const MODULES: [&str; 3] = ["kir_demo_net", "kir_demo_usb", "kir_demo_fs"];
/// Size of the synthetic Image.
const IMAGE_SIZE: usize = 256 * 1024;

/// The demo inputs for `target` (its DTB lists the recipe's `compatible`).
pub fn inputs(target: &str) -> Result<RepackInputs> {
    let recipe = recipe::load(target, None)?;
    let compatible = recipe
        .compatible
        .clone()
        .unwrap_or_else(|| format!("kir,{target}"));
    let dtb = fdt::build(&format!("kir demo {target}"), &[&compatible]);
    let vermagic = format!("{RELEASE} SMP preempt mod_unload modversions aarch64");
    let tarball = modules::synthetic_tarball(RELEASE, &vermagic, &MODULES)?;
    Ok(RepackInputs {
        kernel: kernel::synthetic_arm64_image(RELEASE, IMAGE_SIZE),
        dtb: Some(dtb),
        initrd: Some(initrd()?),
        modules: Some(compress::gzip(&tarball, 6)),
    })
}

/// A tiny initramfs: `/init`, `/bin/sh` → busybox link, `/dev/console`.
fn initrd() -> Result<Vec<u8>> {
    let entries = [
        NewEntry::new(
            "init",
            Node::File(b"#!/bin/sh\necho kir demo\nexec /bin/sh\n".to_vec()),
            0o755,
        ),
        NewEntry::new("bin", Node::Directory, 0o755),
        NewEntry::new(
            "bin/busybox",
            Node::File(b"not really busybox\n".to_vec()),
            0o755,
        ),
        NewEntry::new("bin/sh", Node::Symlink("busybox".into()), 0o777),
        NewEntry::new("dev", Node::Directory, 0o755),
        NewEntry::new(
            "dev/console",
            Node::CharDevice { major: 5, minor: 1 },
            0o600,
        ),
    ];
    Ok(compress::gzip(
        &cpio::write(&entries, &WriteOptions::default())?,
        9,
    ))
}

/// What the demo made for one board and what it checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTarget {
    /// Recipe name.
    pub target: String,
    /// Files written, with their sizes.
    pub files: Vec<(PathBuf, u64)>,
    /// One line per check that passed.
    pub checks: Vec<String>,
}

/// Runs every demo target, writing images to `out_dir/<target>/`, then parses
/// them back and checks them. A failed check is an [`Error::Check`].
pub fn run(out_dir: &Path) -> Result<Vec<DemoTarget>> {
    TARGETS
        .iter()
        .map(|target| run_one(target, out_dir))
        .collect()
}

fn run_one(target: &str, out_dir: &Path) -> Result<DemoTarget> {
    let recipe = recipe::load(target, None)?;
    let inputs = inputs(target)?;
    let output = repack_boot(&recipe, &inputs, &RepackOptions::default())?;
    let dir = out_dir.join(target);
    let paths = write_outputs(&dir, &output)?;
    let mut files = Vec::new();
    for path in &paths {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        files.push((path.clone(), len));
    }

    let mut checks = Vec::new();
    let boot_path = &paths[0];
    let boot = BootImage::parse(&std::fs::read(boot_path).map_err(|e| Error::io(boot_path, e))?)?;
    let dtb = inputs.dtb.clone().unwrap_or_default();
    let image = &inputs.kernel;
    if let Some(vendor_recipe) = &recipe.vendor_boot {
        check(&mut checks, boot.header_version == 4, "boot.img header v4")?;
        check(
            &mut checks,
            &boot.kernel == image,
            "boot.img kernel is the Image as given",
        )?;
        check(
            &mut checks,
            boot.ramdisk.is_empty(),
            "boot.img has no generic ramdisk",
        )?;
        let vendor_path = &paths[1];
        let vendor = VendorBootImage::parse(
            &std::fs::read(vendor_path).map_err(|e| Error::io(vendor_path, e))?,
        )?;
        check(
            &mut checks,
            vendor.page_size == vendor_recipe.page_size,
            "vendor_boot page size as the recipe",
        )?;
        check(
            &mut checks,
            u64::from(vendor.ramdisk_addr) == vendor_recipe.base + vendor_recipe.ramdisk_offset,
            "vendor_boot ramdisk_addr = base + ramdisk_offset",
        )?;
        check(
            &mut checks,
            vendor.cmdline == vendor_recipe.cmdline,
            "vendor_boot cmdline as the recipe",
        )?;
        check(&mut checks, vendor.dtb == dtb, "vendor_boot dtb is the DTB")?;
        check(
            &mut checks,
            vendor.bootconfig == vendor_recipe.bootconfig.as_bytes(),
            "bootconfig as the recipe",
        )?;
        let kinds: Vec<(u32, &str)> = vendor
            .ramdisks
            .iter()
            .map(|r| (r.ramdisk_type, r.name.as_str()))
            .collect();
        check(
            &mut checks,
            kinds == [(1, "PLAT"), (3, "DLKM")],
            "ramdisk table: PLAT (platform), DLKM (dlkm)",
        )?;
        for fragment in &vendor.ramdisks {
            check_modules(&mut checks, &recipe, &fragment.data, &fragment.name)?;
        }
    } else {
        check(
            &mut checks,
            boot.header_version == recipe.boot.header_version,
            "boot.img header version as the recipe",
        )?;
        check(
            &mut checks,
            boot.page_size == recipe.boot.page_size,
            "page size as the recipe",
        )?;
        check(
            &mut checks,
            u64::from(boot.kernel_addr) == recipe.boot.base + recipe.boot.kernel_offset,
            "kernel_addr = base + kernel_offset",
        )?;
        check(
            &mut checks,
            boot.cmdline == recipe.boot.cmdline,
            "cmdline as the recipe",
        )?;
        let (unpacked, used) = compress::decompress_member(&boot.kernel)?;
        check(
            &mut checks,
            &unpacked == image,
            "kernel is a gzip of the Image",
        )?;
        check(
            &mut checks,
            boot.kernel.get(used..) == Some(&dtb[..]),
            "DTB appended after the gzip stream",
        )?;
        check_modules(&mut checks, &recipe, &boot.ramdisk, "ramdisk")?;
    }
    Ok(DemoTarget {
        target: target.to_string(),
        files,
        checks,
    })
}

/// The ramdisk holds the initrd's `init` (when the recipe adds it) and every
/// demo module under `<prefix>/lib/modules/<release>`, owned by 0:0.
fn check_modules(
    checks: &mut Vec<String>,
    recipe: &Recipe,
    ramdisk: &[u8],
    what: &str,
) -> Result<()> {
    let segments = cpio::read_initramfs(ramdisk)?;
    let entries: Vec<&cpio::Entry> = segments.iter().flat_map(|s| &s.entries).collect();
    let prefix = &recipe.ramdisk.modules_prefix;
    for module in MODULES {
        let path = format!("{prefix}/lib/modules/{RELEASE}/kernel/drivers/demo/{module}.ko");
        let found = entries.iter().find(|e| e.name == path);
        check(
            checks,
            found.is_some_and(|e| {
                e.uid == 0 && e.gid == 0 && e.file_type() == Some(FileType::Regular)
            }),
            &format!("{what}: {path} owned by 0:0"),
        )?;
    }
    if what != "DLKM" {
        check(
            checks,
            entries.iter().any(|e| e.name == "init") && segments.len() >= 2,
            &format!(
                "{what}: the initrd's /init, then the modules archive ({} archives)",
                segments.len()
            ),
        )?;
    }
    Ok(())
}

fn check(checks: &mut Vec<String>, ok: bool, what: &str) -> Result<()> {
    if !ok {
        return Err(Error::Check {
            input: "demo".into(),
            reason: format!("check failed: {what}"),
        });
    }
    checks.push(what.to_string());
    Ok(())
}
