//! Root file system subcommands: `resize-rootfs` (KIR's resize_rootfs.sh,
//! same flags) and `create-ext4-rootfs` (KIR's create-ext4.rootfs.py, same
//! flags). Both re-image: read the tree, lay the overlay over it, write a
//! fresh ext4 sized from the content, without root, loop mounts or a VM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use kir_core::ext4::{Options, Profile};
use kir_core::fetch::{self, Source};
use kir_core::rootfs::{self, CreateRequest, ResizeRequest};

#[derive(Subcommand)]
pub enum Cmd {
    /// Grow a rootfs by its overlay and re-image it (KIR's resize_rootfs.sh flags).
    ///
    /// Env EXTRA_SIZE: free space to leave, in KiB (default 64000). Prints
    /// the path of the image it wrote as the last line of stdout.
    #[command(name = "resize-rootfs")]
    ResizeRootfs {
        /// Rootfs: .ext4 / .tar, plain or .gz/.xz/.zst; path, file:// or http(s):// URL.
        #[arg(short = 'f', value_name = "ROOTFS_URL")]
        rootfs: String,
        /// Overlay tarball (kernel modules) laid over the rootfs.
        #[arg(short = 'o', value_name = "OVERLAY_URL")]
        overlay: Option<String>,
        /// Where the overlay goes in the rootfs (`/usr/` for usr-merged trees).
        #[arg(short = 'p', value_name = "MODULES_PATH", default_value = "/")]
        modules_path: String,
        /// Empty <MODULES_PATH>/lib/modules before laying the overlay.
        #[arg(short = 'c')]
        clear_modules: bool,
        /// Write an Android sparse image (<name>.img).
        #[arg(short = 's')]
        sparse: bool,
        /// xz-compress the final image.
        #[arg(short = 'z')]
        xz: bool,
        /// ext4 feature set.
        #[arg(long, value_enum, default_value_t = ProfileArg::Compat)]
        profile: ProfileArg,
        /// Directory for the outputs (KIR writes to the working directory).
        #[arg(long, value_name = "DIR", default_value = ".")]
        output_dir: PathBuf,
    },
    /// Build an ext4 rootfs from a rootfs and a modules tarball (create-ext4.rootfs.py flags).
    #[command(name = "create-ext4-rootfs")]
    CreateExt4Rootfs {
        /// Rootfs tarball (any compression); path or URL.
        #[arg(long)]
        rootfs: String,
        /// Modules tarball with lib/modules/... entries; path or URL.
        #[arg(long)]
        modules: Option<String>,
        /// Output image, compressed by suffix (.xz, .gz, .zst) or raw.
        #[arg(long = "output_file", visible_alias = "output-file")]
        output_file: PathBuf,
        /// ext4 feature set.
        #[arg(long, value_enum, default_value_t = ProfileArg::Compat)]
        profile: ProfileArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Journal, extents, flex_bg, htree...: what every ext4 reader handles.
    Compat,
    /// compat + 64bit + metadata_csum, as mke2fs 1.47 makes by default.
    Debian,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Compat => Profile::Compat,
            ProfileArg::Debian => Profile::Debian,
        }
    }
}

/// Local paths for inputs given as paths or URLs. Downloads go to a
/// temporary directory under the output directory, under their own file
/// names (a kernel copied into /boot keeps its name), removed on drop.
pub(crate) struct Inputs {
    dir: PathBuf,
    downloads: Option<tempfile::TempDir>,
}

impl Inputs {
    pub(crate) fn new(dir: &Path) -> Self {
        Inputs {
            dir: dir.to_path_buf(),
            downloads: None,
        }
    }

    /// A local path for `text`: itself, or where it was downloaded.
    pub(crate) fn local(&mut self, text: &str) -> anyhow::Result<PathBuf> {
        match Source::parse(text)? {
            Source::Path(p) => Ok(p),
            source @ Source::Http(_) => {
                let bytes = fetch::fetch(text)?;
                let tmp = match &mut self.downloads {
                    Some(t) => t,
                    slot => slot.insert(
                        tempfile::Builder::new()
                            .prefix(".kir-download")
                            .tempdir_in(&self.dir)
                            .with_context(|| {
                                format!("temporary directory in {}", self.dir.display())
                            })?,
                    ),
                };
                let sub = tmp
                    .path()
                    .join(format!("{}", std::fs::read_dir(tmp.path())?.count()));
                std::fs::create_dir(&sub).with_context(|| format!("creating {}", sub.display()))?;
                let name = source.file_name();
                let name = if name.is_empty() {
                    "download".into()
                } else {
                    name
                };
                let path = sub.join(name);
                std::fs::write(&path, bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(path)
            }
        }
    }
}

pub(crate) fn extra_size_kib() -> anyhow::Result<u64> {
    match std::env::var("EXTRA_SIZE") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("EXTRA_SIZE={v:?}: expected a number of KiB")),
        _ => Ok(64000),
    }
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::ResizeRootfs {
            rootfs,
            overlay,
            modules_path,
            clear_modules,
            sparse,
            xz,
            profile,
            output_dir,
        } => {
            if !output_dir.is_dir() {
                bail!("--output-dir {}: not a directory", output_dir.display());
            }
            let mut inputs = Inputs::new(&output_dir);
            let rootfs_path = inputs.local(&rootfs)?;
            let overlay = overlay.map(|o| inputs.local(&o)).transpose()?;
            let req = ResizeRequest {
                rootfs: rootfs_path,
                overlay,
                modules_path,
                clear_modules,
                sparse,
                xz,
                extra_size_kib: extra_size_kib()?,
                ext4: Options {
                    profile: profile.into(),
                    ..Options::default()
                },
                output_dir,
            };
            let out = rootfs::resize_rootfs(&req)
                .with_context(|| format!("resize-rootfs -f {rootfs}"))?;
            eprintln!(
                "kir: {} blocks of {} bytes, {} free; {} inodes, {} free",
                out.info.blocks_count,
                out.info.block_size,
                out.info.free_blocks,
                out.info.inodes_count,
                out.info.free_inodes
            );
            if let Some(t) = &out.tarball {
                eprintln!("kir: repacked tarball {}", t.display());
            }
            println!("{}", out.image.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::CreateExt4Rootfs {
            rootfs,
            modules,
            output_file,
            profile,
        } => {
            let dir = output_file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            let mut inputs = Inputs::new(&dir);
            let rootfs = inputs.local(&rootfs)?;
            let modules = modules.map(|m| inputs.local(&m)).transpose()?;
            crate::output::refuse_input_as_output(
                &output_file,
                [("--rootfs", rootfs.as_path())]
                    .into_iter()
                    .chain(modules.as_deref().map(|m| ("--modules", m))),
            )?;
            let req = CreateRequest {
                rootfs,
                modules,
                output: output_file.clone(),
                ext4: Options {
                    profile: profile.into(),
                    ..Options::default()
                },
            };
            let info = rootfs::create_ext4_rootfs(&req)
                .with_context(|| format!("create-ext4-rootfs {}", output_file.display()))?;
            eprintln!(
                "kir: wrote {} ({} bytes of ext4)",
                output_file.display(),
                info.size_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
