//! What unpack_bootimg reports: the files it extracts, its `info` text and
//! the mkbootimg argument list that rebuilds the image.

use super::{
    BOOT_MAGIC, BootImage, BootImageHeader, VENDOR_BOOT_MAGIC, VendorBootImage,
    VendorBootImageHeader,
};
use crate::{Error, Result, bootimg::version};

/// One file (or symbolic link) an unpack writes, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedFile {
    /// Relative path, `/`-separated (e.g. `kernel`, `vendor-ramdisk-by-name/ramdisk_dlkm`).
    pub name: String,
    /// File contents (empty for a link).
    pub data: Vec<u8>,
    /// For a symbolic link: its target, relative to the link's directory.
    pub symlink: Option<String>,
}

/// The result of unpacking a boot.img or vendor_boot.img.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// Files in the order unpack_bootimg writes them.
    pub files: Vec<UnpackedFile>,
    /// unpack_bootimg's `--format info` text (no trailing newline).
    pub info: String,
    /// mkbootimg arguments that rebuild the image from the files under the
    /// output directory (unpack_bootimg's `--format mkbootimg`, plus
    /// `--boot_signature` for a v4 boot signature).
    pub mkbootimg_args: Vec<String>,
}

/// Unpacks a boot.img or vendor_boot.img (told apart by magic). `out_dir`
/// is only used to spell the paths in [`Unpacked::mkbootimg_args`].
pub fn unpack(bytes: &[u8], out_dir: &str) -> Result<Unpacked> {
    match bytes.get(..8) {
        Some(magic) if magic == BOOT_MAGIC => unpack_boot(bytes, out_dir),
        Some(magic) if magic == VENDOR_BOOT_MAGIC => unpack_vendor_boot(bytes, out_dir),
        found => Err(Error::malformed(
            "boot image",
            0,
            "magic",
            format!(
                "not an Android boot image: expected \"ANDROID!\" or \"VNDRBOOT\", found {:?}",
                String::from_utf8_lossy(found.unwrap_or(bytes))
            ),
        )),
    }
}

/// Joins arguments into one shell line, quoting as Python's `shlex.join` does.
pub fn shell_join(args: &[String]) -> String {
    let quote = |arg: &String| {
        let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
        if arg.is_empty() {
            "''".to_string()
        } else if arg.chars().all(safe) {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', "'\"'\"'"))
        }
    };
    args.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// `os.path.join(dir, name)`.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn file(name: &str, data: Vec<u8>) -> UnpackedFile {
    UnpackedFile {
        name: name.to_string(),
        data,
        symlink: None,
    }
}

fn or_none(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "None".to_string(), |v| v.to_string())
}

fn unpack_boot(bytes: &[u8], out_dir: &str) -> Result<Unpacked> {
    let h = BootImageHeader::parse(bytes)?;
    let image = BootImage::parse(bytes)?;
    let (os_version, os_patch_level) = version::decode(h.os_version);
    let v = h.header_version;

    let mut files = vec![file("kernel", image.kernel), file("ramdisk", image.ramdisk)];
    if h.second_size > 0 {
        files.push(file("second", image.second));
    }
    if h.recovery_dtbo_size > 0 {
        files.push(file(
            "recovery_dtbo",
            image.recovery_dtbo.unwrap_or_default(),
        ));
    }
    if h.dtb_size > 0 {
        files.push(file("dtb", image.dtb));
    }
    if h.signature_size > 0 {
        files.push(file("boot_signature", image.boot_signature));
    }

    let mut info = vec!["boot magic: ANDROID!".to_string()];
    info.push(format!("kernel_size: {}", h.kernel_size));
    if v < 3 {
        info.push(format!("kernel load address: {:#010x}", h.kernel_addr));
    }
    info.push(format!("ramdisk size: {}", h.ramdisk_size));
    if v < 3 {
        info.push(format!("ramdisk load address: {:#010x}", h.ramdisk_addr));
        info.push(format!("second bootloader size: {}", h.second_size));
        info.push(format!(
            "second bootloader load address: {:#010x}",
            h.second_addr
        ));
        info.push(format!("kernel tags load address: {:#010x}", h.tags_addr));
        info.push(format!("page size: {}", h.page_size));
    }
    info.push(format!("os version: {}", or_none(os_version)));
    info.push(format!("os patch level: {}", or_none(os_patch_level)));
    info.push(format!("boot image header version: {v}"));
    if v < 3 {
        info.push(format!("product name: {}", h.name));
    }
    info.push(format!("command line args: {}", h.cmdline));
    if v < 3 {
        info.push(format!("additional command line args: {}", h.extra_cmdline));
    }
    if v == 1 || v == 2 {
        info.push(format!("recovery dtbo size: {}", h.recovery_dtbo_size));
        info.push(format!(
            "recovery dtbo offset: {:#018x}",
            h.recovery_dtbo_offset
        ));
        info.push(format!("boot header size: {}", h.header_size));
    }
    if v == 2 {
        info.push(format!("dtb size: {}", h.dtb_size));
        info.push(format!("dtb address: {:#018x}", h.dtb_addr));
    }
    if v >= 4 {
        info.push(format!("boot.img signature size: {}", h.signature_size));
    }

    let path = |name: &str| join(out_dir, name);
    let mut args = vec!["--header_version".to_string(), v.to_string()];
    if let Some(version) = os_version {
        args.extend(["--os_version".to_string(), version.to_string()]);
    }
    if let Some(patch) = os_patch_level {
        args.extend(["--os_patch_level".to_string(), patch.to_string()]);
    }
    args.extend(["--kernel".to_string(), path("kernel")]);
    args.extend(["--ramdisk".to_string(), path("ramdisk")]);
    if v <= 2 {
        if h.second_size > 0 {
            args.extend(["--second".to_string(), path("second")]);
        }
        if h.recovery_dtbo_size > 0 {
            args.extend(["--recovery_dtbo".to_string(), path("recovery_dtbo")]);
        }
        if h.dtb_size > 0 {
            args.extend(["--dtb".to_string(), path("dtb")]);
        }
        // The base is unknown once unpacked: base 0 and each offset = its address.
        args.extend(["--pagesize".to_string(), format!("{:#010x}", h.page_size)]);
        args.extend(["--base".to_string(), format!("{:#010x}", 0)]);
        args.extend([
            "--kernel_offset".to_string(),
            format!("{:#010x}", h.kernel_addr),
        ]);
        args.extend([
            "--ramdisk_offset".to_string(),
            format!("{:#010x}", h.ramdisk_addr),
        ]);
        args.extend([
            "--second_offset".to_string(),
            format!("{:#010x}", h.second_addr),
        ]);
        args.extend([
            "--tags_offset".to_string(),
            format!("{:#010x}", h.tags_addr),
        ]);
        if v == 2 {
            args.extend(["--dtb_offset".to_string(), format!("{:#018x}", h.dtb_addr)]);
        }
        args.extend(["--board".to_string(), h.name.clone()]);
        args.extend([
            "--cmdline".to_string(),
            format!("{}{}", h.cmdline, h.extra_cmdline),
        ]);
    } else {
        args.extend(["--cmdline".to_string(), h.cmdline.clone()]);
        if h.signature_size > 0 {
            args.extend(["--boot_signature".to_string(), path("boot_signature")]);
        }
    }

    Ok(Unpacked {
        files,
        info: info.join("\n"),
        mkbootimg_args: args,
    })
}

fn unpack_vendor_boot(bytes: &[u8], out_dir: &str) -> Result<Unpacked> {
    let h = VendorBootImageHeader::parse(bytes)?;
    let image = VendorBootImage::parse(bytes)?;
    let v = h.header_version;

    let mut files = Vec::new();
    let mut links = Vec::new();
    let mut ramdisk_names = Vec::new();
    if v > 3 {
        for (index, (entry, ramdisk)) in h
            .vendor_ramdisk_table
            .iter()
            .zip(image.ramdisks)
            .enumerate()
        {
            let name = format!("vendor_ramdisk{index:02}");
            let link = format!("ramdisk_{}", entry.ramdisk_name);
            if link.contains('/') {
                return Err(Error::UnsafePath {
                    archive: "vendor_boot image".to_string(),
                    entry: entry.ramdisk_name.clone(),
                    reason: "a vendor ramdisk name with '/' would link outside \
                             vendor-ramdisk-by-name"
                        .to_string(),
                });
            }
            links.push(UnpackedFile {
                name: format!("vendor-ramdisk-by-name/{link}"),
                data: Vec::new(),
                symlink: Some(format!("../{name}")),
            });
            files.push(file(&name, ramdisk.data));
            ramdisk_names.push(name);
        }
        files.push(file("bootconfig", image.bootconfig));
    } else {
        let data = image
            .ramdisks
            .into_iter()
            .next()
            .map(|r| r.data)
            .unwrap_or_default();
        files.push(file("vendor_ramdisk", data));
    }
    if h.dtb_size > 0 {
        files.push(file("dtb", image.dtb));
    }
    files.extend(links);

    let mut info = vec![
        "boot magic: VNDRBOOT".to_string(),
        format!("vendor boot image header version: {v}"),
        format!("page size: {:#010x}", h.page_size),
        format!("kernel load address: {:#010x}", h.kernel_addr),
        format!("ramdisk load address: {:#010x}", h.ramdisk_addr),
    ];
    if v > 3 {
        info.push(format!(
            "vendor ramdisk total size: {}",
            h.vendor_ramdisk_size
        ));
    } else {
        info.push(format!("vendor ramdisk size: {}", h.vendor_ramdisk_size));
    }
    info.push(format!("vendor command line args: {}", h.cmdline));
    info.push(format!("kernel tags load address: {:#010x}", h.tags_addr));
    info.push(format!("product name: {}", h.name));
    info.push(format!("vendor boot image header size: {}", h.header_size));
    info.push(format!("dtb size: {}", h.dtb_size));
    info.push(format!("dtb address: {:#018x}", h.dtb_addr));
    if v > 3 {
        info.push(format!(
            "vendor ramdisk table size: {}",
            h.vendor_ramdisk_table_size
        ));
        info.push("vendor ramdisk table: [".to_string());
        for (entry, name) in h.vendor_ramdisk_table.iter().zip(&ramdisk_names) {
            info.push(format!("    {name}: {{"));
            info.push(format!("        size: {}", entry.ramdisk_size));
            info.push(format!("        offset: {}", entry.ramdisk_offset));
            info.push(format!("        type: {:#x}", entry.ramdisk_type));
            info.push(format!("        name: {}", entry.ramdisk_name));
            info.push("        board_id: [".to_string());
            for row in entry.board_id.chunks(4) {
                let row: Vec<String> = row.iter().map(|id| format!("{id:#010x},")).collect();
                info.push(format!("            {}", row.join(" ")));
            }
            info.push("        ]".to_string());
            info.push("    }".to_string());
        }
        info.push("]".to_string());
        info.push(format!("vendor bootconfig size: {}", h.bootconfig_size));
    }

    let path = |name: &str| join(out_dir, name);
    let mut args = vec![
        "--header_version".to_string(),
        v.to_string(),
        "--pagesize".to_string(),
        format!("{:#010x}", h.page_size),
        "--base".to_string(),
        format!("{:#010x}", 0),
        "--kernel_offset".to_string(),
        format!("{:#010x}", h.kernel_addr),
        "--ramdisk_offset".to_string(),
        format!("{:#010x}", h.ramdisk_addr),
        "--tags_offset".to_string(),
        format!("{:#010x}", h.tags_addr),
        "--dtb_offset".to_string(),
        format!("{:#018x}", h.dtb_addr),
        "--vendor_cmdline".to_string(),
        h.cmdline.clone(),
        "--board".to_string(),
        h.name.clone(),
    ];
    if h.dtb_size > 0 {
        args.extend(["--dtb".to_string(), path("dtb")]);
    }
    if v > 3 {
        args.extend(["--vendor_bootconfig".to_string(), path("bootconfig")]);
        for (entry, name) in h.vendor_ramdisk_table.iter().zip(&ramdisk_names) {
            args.extend(["--ramdisk_type".to_string(), entry.ramdisk_type.to_string()]);
            args.extend(["--ramdisk_name".to_string(), entry.ramdisk_name.clone()]);
            for (index, id) in entry.board_id.iter().enumerate() {
                if *id != 0 {
                    args.extend([format!("--board_id{index}"), format!("{id:#010x}")]);
                }
            }
            args.extend(["--vendor_ramdisk_fragment".to_string(), path(name)]);
        }
    } else {
        args.extend(["--vendor_ramdisk".to_string(), path("vendor_ramdisk")]);
    }

    Ok(Unpacked {
        files,
        info: info.join("\n"),
        mkbootimg_args: args,
    })
}
