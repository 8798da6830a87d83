//! `kir repack-boot` (KIR's repack_boot.sh) and `kir demo`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use kir_core::ext4::Options;
use kir_core::repack::{self, RepackInputs, RepackOptions};
use kir_core::rootfs::{self, BoardRootfsRequest, ResizeRequest, RootfsBoard};
use kir_core::{cpio, fetch, recipe};

use crate::rootfs::{Inputs, extra_size_kib};

#[derive(Subcommand)]
pub enum Cmd {
    /// Build a board's boot image(s) from a kernel, DTB, initrd and modules
    /// (replaces KIR's repack_boot.sh; same short flags).
    RepackBoot(Box<RepackBootArgs>),
    /// Run the dragonboard-845c and gs101-oriole recipes on inputs built into
    /// kir, then unpack and check the images.
    Demo(DemoArgs),
}

#[derive(Args)]
pub struct RepackBootArgs {
    /// Board recipe: dragonboard-410c, dragonboard-845c, qrb5165-rb5, e850-96,
    /// gs101-oriole, or a <name>.toml in --recipes-dir; or a rootfs target,
    /// am57xx-evm or hikey (kernel and DTB go into the -f rootfs' /boot).
    #[arg(short = 't', long = "target", required_unless_present = "list_targets")]
    target: Option<String>,
    /// Kernel: arm64 Image, ARM zImage or a gzip of one (path, file:// or http(s):// URL).
    #[arg(short = 'k', long = "kernel", required_unless_present = "list_targets")]
    kernel: Option<String>,
    /// Device tree blob (path or URL).
    #[arg(short = 'd', long = "dtb")]
    dtb: Option<String>,
    /// Rootfs for am57xx-evm / hikey: .ext4 or .tar, plain or .gz/.xz/.zst
    /// (path or URL). Env EXTRA_SIZE: free space to leave, in KiB (default 64000).
    #[arg(short = 'f', long = "rootfs")]
    rootfs: Option<String>,
    /// Initrd (cpio, optionally compressed; path or URL).
    #[arg(short = 'i', long = "initrd")]
    initrd: Option<String>,
    /// Modules tarball with lib/modules/<release>/ (path or URL).
    #[arg(short = 'm', long = "modules")]
    modules: Option<String>,
    /// Root on NFS (the recipe's NFS variant); needs --nfs-server-ip and --nfs-rootfs.
    #[arg(short = 'n', long = "nfs")]
    nfs: bool,
    /// NFS server address for -n.
    #[arg(long, env = "NFS_SERVER_IP")]
    nfs_server_ip: Option<String>,
    /// Exported root file system path for -n.
    #[arg(long, env = "NFS_ROOTFS")]
    nfs_rootfs: Option<String>,
    /// Directory the modules go under in the ramdisk (recipe default: /usr),
    /// or in the rootfs for am57xx-evm / hikey (default: /).
    #[arg(short = 'p', long = "modules-prefix")]
    modules_prefix: Option<String>,
    /// Drop lib/modules from the initrd (or the rootfs) before adding the new modules.
    #[arg(short = 'c', long = "clear-modules")]
    clear_modules: bool,
    /// Write one merged ramdisk archive instead of appending the modules archive to the initrd.
    #[arg(long)]
    merge_ramdisk: bool,
    /// Accept modules whose release differs from the kernel's.
    #[arg(long)]
    allow_release_mismatch: bool,
    /// Accept a DTB that does not list the recipe's compatible string.
    #[arg(long)]
    allow_dtb_mismatch: bool,
    /// Directory where the images are written (created when missing).
    #[arg(short = 'o', long = "output-dir", default_value = ".")]
    output_dir: PathBuf,
    /// Name of the boot image.
    #[arg(long, env = "boot_out", default_value = "boot.img")]
    boot_out: String,
    /// Name of the vendor_boot image (header v3/v4 boards).
    #[arg(long, env = "vendor_boot_out", default_value = "vendor_boot.img")]
    vendor_boot_out: String,
    /// Directory of <name>.toml recipes that add to or replace the built-in ones.
    #[arg(long, env = "KIR_RECIPES")]
    recipes_dir: Option<PathBuf>,
    /// List the known targets and exit.
    #[arg(long)]
    list_targets: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Where the images go (default: a new kir-demo-XXXXXX in the temporary directory).
    #[arg(short = 'o', long = "output-dir")]
    output_dir: Option<PathBuf>,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::RepackBoot(args) => repack_boot(*args),
        Cmd::Demo(args) => demo(args),
    }
}

fn repack_boot(args: RepackBootArgs) -> anyhow::Result<ExitCode> {
    let recipes_dir = args.recipes_dir.as_deref();
    if args.list_targets {
        for name in recipe::list(recipes_dir)? {
            let r = recipe::load(&name, recipes_dir)?;
            println!("{name:18} {}", r.description);
        }
        for b in rootfs::ROOTFS_BOARDS {
            println!(
                "{:18} rootfs target: kernel as /boot/{}, DTB as /boot/{} in a sparse ext4",
                b.name, b.kernel_name, b.dtb_name
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(target), Some(kernel)) = (args.target.as_deref(), args.kernel.as_deref()) else {
        anyhow::bail!("-t/--target and -k/--kernel are required");
    };
    let recipe_known = recipe::list(recipes_dir)?.iter().any(|n| n == target);
    if !recipe_known {
        if let Ok(board) = rootfs::rootfs_board(target) {
            return board_rootfs(board, kernel, &args);
        }
    }
    if args.rootfs.is_some() {
        anyhow::bail!("-f/--rootfs is only used by the rootfs targets (am57xx-evm, hikey)");
    }
    let recipe = recipe::load(target, recipes_dir)?;
    let nfs = if args.nfs {
        let server = args
            .nfs_server_ip
            .context("-n needs --nfs-server-ip (or NFS_SERVER_IP)")?;
        let rootfs = args
            .nfs_rootfs
            .context("-n needs --nfs-rootfs (or NFS_ROOTFS)")?;
        Some((server, rootfs))
    } else {
        None
    };
    let get = |what: &str, src: &Option<String>| -> anyhow::Result<Option<Vec<u8>>> {
        src.as_deref()
            .map(|s| fetch::fetch(s).with_context(|| format!("reading the {what}")))
            .transpose()
    };
    let inputs = RepackInputs {
        kernel: fetch::fetch(kernel).context("reading the kernel")?,
        dtb: get("DTB", &args.dtb)?,
        initrd: get("initrd", &args.initrd)?,
        modules: get("modules tarball", &args.modules)?,
    };
    let opts = RepackOptions {
        nfs,
        modules_prefix: args.modules_prefix,
        clear_modules: args.clear_modules,
        merge_ramdisk: args.merge_ramdisk,
        allow_release_mismatch: args.allow_release_mismatch,
        allow_dtb_mismatch: args.allow_dtb_mismatch,
        mtime: cpio::source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?,
        boot_name: args.boot_out,
        vendor_boot_name: args.vendor_boot_out,
    };
    let output = repack::repack_boot(&recipe, &inputs, &opts)?;
    for note in &output.notes {
        eprintln!("kir: note: {note}");
    }
    // Local inputs (URLs are downloaded to memory and cannot be overwritten).
    let local: Vec<(&str, PathBuf)> = [
        ("-k", Some(kernel)),
        ("-d", args.dtb.as_deref()),
        ("-i", args.initrd.as_deref()),
        ("-m", args.modules.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, text)| match fetch::Source::parse(text?) {
        Ok(fetch::Source::Path(path)) => Some((flag, path)),
        _ => None,
    })
    .collect();
    for file in &output.files {
        crate::output::refuse_input_as_output(
            &args.output_dir.join(&file.name),
            local.iter().map(|(flag, path)| (*flag, path.as_path())),
        )?;
    }
    let paths = repack::write_outputs(&args.output_dir, &output)?;
    eprintln!(
        "{}: kernel {} ({}){}, dtb [{}]{}",
        recipe.name,
        output.kernel.format,
        output
            .kernel
            .release
            .as_deref()
            .unwrap_or("release unknown"),
        if output.kernel.compression == kir_core::compress::Compression::Gzip {
            ", gzip"
        } else {
            ""
        },
        output.dtb_compatible.join(", "),
        match &output.modules_release {
            Some(r) => format!(", {} modules for {r}", output.module_count),
            None => String::new(),
        }
    );
    for path in paths {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// am57xx-evm / hikey: no boot image; the kernel and DTB go into the
/// rootfs' /boot with the names the board's bootloader loads, and the
/// rootfs is re-imaged as a sparse ext4 (`<name>.img`).
fn board_rootfs(
    board: &RootfsBoard,
    kernel: &str,
    args: &RepackBootArgs,
) -> anyhow::Result<ExitCode> {
    let rootfs = args
        .rootfs
        .as_deref()
        .with_context(|| format!("-t {} needs -f/--rootfs", board.name))?;
    let dtb = args
        .dtb
        .as_deref()
        .with_context(|| format!("-t {} needs -d/--dtb", board.name))?;
    if args.initrd.is_some() || args.nfs {
        anyhow::bail!(
            "-i and -n are not used by the rootfs target {} (the kernel boots from the rootfs)",
            board.name
        );
    }
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("creating {}", args.output_dir.display()))?;
    let mut inputs = Inputs::new(&args.output_dir);
    let req = BoardRootfsRequest {
        board: board.name.to_string(),
        kernel: inputs.local(kernel)?,
        dtb: inputs.local(dtb)?,
        resize: ResizeRequest {
            rootfs: inputs.local(rootfs)?,
            overlay: args
                .modules
                .as_deref()
                .map(|m| inputs.local(m))
                .transpose()?,
            modules_path: args.modules_prefix.clone().unwrap_or_else(|| "/".into()),
            clear_modules: args.clear_modules,
            sparse: true,
            xz: false,
            extra_size_kib: extra_size_kib()?,
            ext4: Options::default(),
            output_dir: args.output_dir.clone(),
        },
    };
    let out = rootfs::board_rootfs(&req)?;
    eprintln!(
        "{}: /boot/{} and /boot/{} in a {}-byte ext4, written sparse",
        board.name, board.kernel_name, board.dtb_name, out.info.size_bytes
    );
    println!("{}", out.image.display());
    Ok(ExitCode::SUCCESS)
}

fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    // A fresh directory by default, so two users (or two runs) of one
    // machine never write over each other's images.
    let dir = match args.output_dir {
        Some(dir) => dir,
        None => tempfile::Builder::new()
            .prefix("kir-demo-")
            .tempdir()
            .context("cannot create a directory for the demo's images")?
            .keep(),
    };
    println!(
        "kir demo: KIR boot targets on built-in inputs (kernel {})",
        repack::demo::RELEASE
    );
    for target in repack::demo::run(&dir)? {
        println!("\n{}:", target.target);
        for (path, len) in &target.files {
            println!("  wrote {} ({len} bytes)", path.display());
        }
        for check in &target.checks {
            println!("  ok  {check}");
        }
    }
    println!(
        "\nall checks passed; unpack with: kir unpack-bootimg --boot_img {}/gs101-oriole/boot.img",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
