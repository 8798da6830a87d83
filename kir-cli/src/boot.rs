//! Boot image subcommands: `mkbootimg` and `unpack-bootimg`, drop-ins for
//! AOSP's tools of the same names (same flags, same bytes, same report).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Arg, ArgAction, ArgMatches, Command, Subcommand};
use kir_core::bootimg::{
    MkbootimgArgs, OsVersion, PatchLevel, VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE,
    VENDOR_RAMDISK_TYPE_DLKM, VENDOR_RAMDISK_TYPE_NONE, VENDOR_RAMDISK_TYPE_PLATFORM,
    VENDOR_RAMDISK_TYPE_RECOVERY, VendorRamdisk, parse_int, shell_join, unpack,
};

#[derive(Subcommand)]
pub enum Cmd {
    /// Build boot.img and/or vendor_boot.img with AOSP mkbootimg's flags (`kir mkbootimg --help`).
    #[command(disable_help_flag = true)]
    Mkbootimg {
        /// mkbootimg's arguments, in its own syntax.
        #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// Unpack a boot.img or vendor_boot.img as AOSP unpack_bootimg does.
    #[command(name = "unpack-bootimg")]
    UnpackBootimg {
        /// Path to the boot, recovery or vendor_boot image.
        #[arg(long = "boot_img")]
        boot_img: PathBuf,
        /// Output directory of the unpacked images.
        #[arg(long = "out", default_value = "out")]
        out: String,
        /// Text output format: `info` (human readable) or `mkbootimg` (arguments that rebuild it).
        #[arg(long = "format", default_value = "info", value_parser = ["info", "mkbootimg"])]
        format: String,
        /// With `--format mkbootimg`: NUL-terminated arguments instead of one shell-quoted line.
        #[arg(short = '0', long = "null")]
        null: bool,
    },
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Mkbootimg { args } => mkbootimg(args),
        Cmd::UnpackBootimg {
            boot_img,
            out,
            format,
            null,
        } => unpack_bootimg(&boot_img, &out, &format, null),
    }
}

/// Options that take one value, as mkbootimg spells them.
const VALUE_FLAGS: &[(&str, &str)] = &[
    ("kernel", "path to the kernel"),
    ("ramdisk", "path to the ramdisk"),
    ("second", "path to the second bootloader"),
    ("dtb", "path to the dtb"),
    ("recovery_dtbo", "path to the recovery DTBO"),
    ("recovery_acpio", "path to the recovery ACPIO"),
    ("cmdline", "kernel command line arguments"),
    (
        "vendor_cmdline",
        "vendor boot kernel command line arguments",
    ),
    ("base", "base address"),
    ("kernel_offset", "kernel offset"),
    ("ramdisk_offset", "ramdisk offset"),
    ("second_offset", "second bootloader offset"),
    ("dtb_offset", "dtb offset"),
    ("os_version", "operating system version"),
    ("os_patch_level", "operating system patch level"),
    ("tags_offset", "tags offset"),
    ("board", "board name"),
    ("pagesize", "page size: 2048, 4096, 8192 or 16384"),
    ("header_version", "boot image header version"),
    ("output", "output file name"),
    ("vendor_boot", "vendor boot output file name"),
    ("vendor_ramdisk", "path to the vendor ramdisk"),
    ("vendor_bootconfig", "path to the vendor bootconfig file"),
    (
        "boot_signature",
        "path to a v4 boot signature section to append after the ramdisk",
    ),
];

/// GKI signing options of older mkbootimg; kir refuses them (see the message).
const SIGNING_FLAGS: &[&str] = &[
    "gki_signing_algorithm",
    "gki_signing_key",
    "gki_signing_signature_args",
    "gki_signing_avbtool_path",
];

/// Options that belong to one vendor ramdisk group, closed by `--vendor_ramdisk_fragment`.
const FRAGMENT_FLAGS: &[&str] = &["ramdisk_type", "ramdisk_name", "vendor_ramdisk_fragment"];

/// `--board_id0` to `--board_id15`, one per `board_id` word of a vendor ramdisk.
const BOARD_ID_FLAGS: &[&str; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE] = &[
    "board_id0",
    "board_id1",
    "board_id2",
    "board_id3",
    "board_id4",
    "board_id5",
    "board_id6",
    "board_id7",
    "board_id8",
    "board_id9",
    "board_id10",
    "board_id11",
    "board_id12",
    "board_id13",
    "board_id14",
    "board_id15",
];

fn mkbootimg_command() -> Command {
    let mut cmd = Command::new("kir mkbootimg")
        .about("Creates Android boot images (AOSP mkbootimg's flags and bytes)")
        .args_override_self(true)
        .after_help(
            "vendor boot version 4: each group of --ramdisk_type {none,platform,recovery,dlkm}, \
             --ramdisk_name NAME and --board_id{0..15} NUMBER ends with \
             --vendor_ramdisk_fragment FILE and adds one vendor ramdisk.",
        );
    for (name, help) in VALUE_FLAGS {
        let mut arg = Arg::new(*name).long(*name).help(*help);
        if name.ends_with("cmdline") {
            arg = arg.allow_hyphen_values(true);
        }
        if *name == "output" {
            arg = arg.short('o');
        }
        cmd = cmd.arg(arg);
    }
    cmd = cmd.arg(
        Arg::new("id")
            .long("id")
            .action(ArgAction::SetTrue)
            .help("print the image ID on standard output"),
    );
    for name in SIGNING_FLAGS {
        cmd = cmd.arg(Arg::new(*name).long(*name).hide(true));
    }
    for name in FRAGMENT_FLAGS {
        cmd = cmd.arg(
            Arg::new(*name)
                .long(*name)
                .action(ArgAction::Append)
                .hide(true),
        );
    }
    for name in BOARD_ID_FLAGS {
        cmd = cmd.arg(
            Arg::new(*name)
                .long(*name)
                .action(ArgAction::Append)
                .hide(true),
        );
    }
    cmd
}

fn mkbootimg(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    let matches = match mkbootimg_command()
        .try_get_matches_from(std::iter::once("kir mkbootimg".to_string()).chain(raw))
    {
        Ok(matches) => matches,
        Err(e) if !e.use_stderr() => {
            e.print()?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => bail!("{}", e.to_string().trim_start_matches("error: ").trim_end()),
    };

    if let Some(flag) = SIGNING_FLAGS.iter().find(|f| matches.contains_id(f)) {
        bail!(
            "--{flag}: kir does not sign boot images (AOSP removed GKI signing from mkbootimg); \
             pass an existing signature with --boot_signature FILE"
        );
    }
    if matches.contains_id("recovery_dtbo") && matches.contains_id("recovery_acpio") {
        bail!("--recovery_acpio: not allowed with argument --recovery_dtbo");
    }

    let args = mkbootimg_args(&matches)?;
    let output = matches.get_one::<String>("output");
    let vendor_output = matches.get_one::<String>("vendor_boot");

    // Build everything before writing anything, so a refused option leaves no output.
    let vendor_boot = vendor_output
        .map(|_| args.vendor_boot_image())
        .transpose()?;
    let boot = output.map(|_| args.boot_image()).transpose()?;
    let vendor_bytes = vendor_boot.map(|image| image.to_bytes()).transpose()?;
    let boot_bytes = boot.as_ref().map(|image| image.to_bytes()).transpose()?;

    // Every input file, so that no output replaces one (nor the other output).
    let mut inputs: Vec<(String, &Path)> = VALUE_FLAGS
        .iter()
        .filter(|(_, help)| help.starts_with("path to"))
        .filter_map(|(name, _)| {
            let path = matches.get_one::<String>(name)?;
            Some((format!("--{name}"), Path::new(path.as_str())))
        })
        .collect();
    inputs.extend(
        matches
            .get_many::<String>("vendor_ramdisk_fragment")
            .into_iter()
            .flatten()
            .map(|path| {
                (
                    "--vendor_ramdisk_fragment".to_string(),
                    Path::new(path.as_str()),
                )
            }),
    );
    if let (Some(boot), Some(vendor)) = (output, vendor_output) {
        let (boot, vendor) = (Path::new(boot), Path::new(vendor));
        if boot == vendor
            || crate::output::refuse_input_as_output(vendor, [("--output", boot)]).is_err()
        {
            bail!(
                "--vendor_boot and --output name the same file ({})",
                vendor.display()
            );
        }
    }
    for out in [output, vendor_output].into_iter().flatten() {
        crate::output::refuse_input_as_output(
            Path::new(out),
            inputs.iter().map(|(flag, path)| (flag.as_str(), *path)),
        )?;
    }

    if let (Some(path), Some(bytes)) = (vendor_output, vendor_bytes) {
        crate::output::write_bytes(Path::new(path), &bytes)?;
    }
    if let (Some(path), Some(bytes)) = (output, boot_bytes) {
        crate::output::write_bytes(Path::new(path), &bytes)?;
    }
    if let Some(boot) = boot.filter(|b| matches.get_flag("id") && b.header_version <= 2) {
        let hex: String = boot.id().iter().map(|b| format!("{b:02x}")).collect();
        println!("0x{hex}");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(flag: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("--{flag}: cannot read {path}"))
}

fn mkbootimg_args(m: &ArgMatches) -> anyhow::Result<MkbootimgArgs> {
    let text = |name: &str| m.get_one::<String>(name).cloned();
    let file = |name: &str| text(name).map(|path| read_input(name, &path)).transpose();
    let int = |name: &str, default: u64| -> anyhow::Result<u64> {
        match text(name) {
            Some(value) => Ok(parse_int(&format!("--{name}"), &value)?),
            None => Ok(default),
        }
    };
    let small = |name: &str, default: u64| -> anyhow::Result<u32> {
        let value = int(name, default)?;
        u32::try_from(value).with_context(|| format!("--{name}: {value} is out of range"))
    };

    let defaults = MkbootimgArgs::default();
    let header_version = small("header_version", 0)?;
    let mut args = MkbootimgArgs {
        header_version,
        kernel: file("kernel")?,
        ramdisk: file("ramdisk")?,
        second: file("second")?,
        dtb: file("dtb")?,
        recovery_dtbo: match file("recovery_dtbo")? {
            Some(data) => Some(data),
            None => file("recovery_acpio")?,
        },
        cmdline: text("cmdline").unwrap_or_default(),
        vendor_cmdline: text("vendor_cmdline").unwrap_or_default(),
        base: int("base", defaults.base)?,
        kernel_offset: int("kernel_offset", defaults.kernel_offset)?,
        ramdisk_offset: int("ramdisk_offset", defaults.ramdisk_offset)?,
        second_offset: int("second_offset", defaults.second_offset)?,
        dtb_offset: int("dtb_offset", defaults.dtb_offset)?,
        tags_offset: int("tags_offset", defaults.tags_offset)?,
        os_version: match text("os_version") {
            Some(v) => OsVersion::parse_mkbootimg(&v)?,
            None => None,
        },
        os_patch_level: match text("os_patch_level") {
            Some(p) => PatchLevel::parse_mkbootimg(&p)?,
            None => None,
        },
        board: text("board").unwrap_or_default(),
        page_size: small("pagesize", u64::from(defaults.page_size))?,
        vendor_ramdisk: file("vendor_ramdisk")?,
        vendor_bootconfig: file("vendor_bootconfig")?,
        vendor_ramdisk_fragments: Vec::new(),
        boot_signature: file("boot_signature")?,
    };
    args.vendor_ramdisk_fragments =
        fragments(m, m.contains_id("vendor_boot") && header_version > 3)?;
    Ok(args)
}

/// One group option as given: position on the command line, flag, value.
type Occurrence = (usize, String, String);

/// The vendor ramdisk groups, in command-line order: the options before each
/// `--vendor_ramdisk_fragment` (back to the previous one) describe it.
fn fragments(m: &ArgMatches, allowed: bool) -> anyhow::Result<Vec<VendorRamdisk>> {
    let mut occurrences: Vec<Occurrence> = Vec::new();
    for name in FRAGMENT_FLAGS.iter().chain(BOARD_ID_FLAGS) {
        if let (Some(indices), Some(values)) = (m.indices_of(name), m.get_many::<String>(name)) {
            occurrences.extend(
                indices
                    .zip(values)
                    .map(|(i, v)| (i, name.to_string(), v.clone())),
            );
        }
    }
    occurrences.sort();
    if !allowed && !occurrences.is_empty() {
        bail!(
            "unrecognized arguments: --{} (vendor ramdisk options need --vendor_boot and \
             --header_version 4)",
            occurrences[0].1
        );
    }

    let mut ramdisks = Vec::new();
    let mut group = VendorRamdisk::default();
    let mut named = false;
    for (_, flag, value) in occurrences {
        match flag.as_str() {
            "ramdisk_type" => group.ramdisk_type = ramdisk_type(&value)?,
            "ramdisk_name" => {
                group.name = value;
                named = true;
            }
            "vendor_ramdisk_fragment" => {
                if !named {
                    bail!(
                        "--ramdisk_name is required for each --vendor_ramdisk_fragment ({value})"
                    );
                }
                group.data = read_input("vendor_ramdisk_fragment", &value)?;
                ramdisks.push(std::mem::take(&mut group));
                named = false;
            }
            board => {
                let index: usize = board.trim_start_matches("board_id").parse()?;
                let id = parse_int(&format!("--{board}"), &value)?;
                group.board_id[index] = u32::try_from(id)
                    .with_context(|| format!("--{board}: {value} is out of range"))?;
            }
        }
    }
    if named || group != VendorRamdisk::default() {
        bail!(
            "unrecognized arguments: vendor ramdisk options after the last --vendor_ramdisk_fragment"
        );
    }
    Ok(ramdisks)
}

fn ramdisk_type(value: &str) -> anyhow::Result<u32> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "none" => VENDOR_RAMDISK_TYPE_NONE,
        "platform" => VENDOR_RAMDISK_TYPE_PLATFORM,
        "recovery" => VENDOR_RAMDISK_TYPE_RECOVERY,
        "dlkm" => VENDOR_RAMDISK_TYPE_DLKM,
        _ => {
            let number = parse_int("--ramdisk_type", value)?;
            u32::try_from(number)
                .with_context(|| format!("--ramdisk_type: {value} is out of range"))?
        }
    })
}

fn unpack_bootimg(image: &Path, out: &str, format: &str, null: bool) -> anyhow::Result<ExitCode> {
    let bytes =
        fs::read(image).with_context(|| format!("--boot_img: cannot read {}", image.display()))?;
    let unpacked = unpack(&bytes, out).with_context(|| image.display().to_string())?;

    let out_dir = Path::new(out);
    fs::create_dir_all(out_dir).with_context(|| format!("--out: cannot create {out}"))?;
    for file in &unpacked.files {
        let path = out_dir.join(&file.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        match &file.symlink {
            Some(target) => {
                if path.symlink_metadata().is_ok() {
                    fs::remove_file(&path)
                        .with_context(|| format!("cannot replace {}", path.display()))?;
                }
                std::os::unix::fs::symlink(target, &path)
                    .with_context(|| format!("cannot link {}", path.display()))?;
            }
            None => crate::output::write_bytes(&path, &file.data)?,
        }
    }

    let mut stdout = std::io::stdout().lock();
    if format == "mkbootimg" {
        if null {
            for arg in &unpacked.mkbootimg_args {
                write!(stdout, "{arg}\0")?;
            }
        } else {
            writeln!(stdout, "{}", shell_join(&unpacked.mkbootimg_args))?;
        }
    } else {
        writeln!(stdout, "{}", unpacked.info)?;
    }
    Ok(ExitCode::SUCCESS)
}
