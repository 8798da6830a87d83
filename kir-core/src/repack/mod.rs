//! KIR's `repack_boot.sh`, as a function: apply a board [`Recipe`] to a
//! kernel, a DTB, an initrd and a modules tarball, and get the board's boot
//! image(s) back as bytes.
//!
//! Before building, every input is checked (KIR checked none): the kernel must
//! be an arm64 Image, an ARM zImage or a gzip of one; the DTB a valid FDT whose
//! root lists the recipe's `compatible`; the initrd a readable (possibly
//! multi-member) initramfs; the modules tarball's `lib/modules/<release>` and
//! its modules' vermagic must name the kernel's release. The two agreement
//! checks can be turned into notes with [`RepackOptions::allow_release_mismatch`]
//! and [`RepackOptions::allow_dtb_mismatch`].
//!
//! ```
//! use kir_core::repack::{self, RepackInputs, RepackOptions};
//!
//! let inputs = repack::demo::inputs("dragonboard-845c").unwrap();
//! let recipe = kir_core::recipe::load("dragonboard-845c", None).unwrap();
//! let out = repack::repack_boot(&recipe, &inputs, &RepackOptions::default()).unwrap();
//! assert_eq!(out.files[0].name, "boot.img");
//! assert_eq!(&out.files[0].bytes[..8], b"ANDROID!");
//! ```

pub mod demo;

use std::path::{Path, PathBuf};

use crate::bootimg::{MkbootimgArgs, OsVersion, PatchLevel, VendorRamdisk};
use crate::compress::{self, Compression};
use crate::cpio::{self, NewEntry, Node, WriteOptions};
use crate::fdt;
use crate::kernel::{self, KernelInfo};
use crate::modules::{self, ModulesTree};
use crate::recipe::{Assembly, KernelPreparation, Recipe};
use crate::{Error, Result};

/// The inputs, as bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackInputs {
    /// `-k`: the kernel.
    pub kernel: Vec<u8>,
    /// `-d`: the device tree blob.
    pub dtb: Option<Vec<u8>>,
    /// `-i`: the initrd (any compression; several archives back to back allowed).
    pub initrd: Option<Vec<u8>>,
    /// `-m`: the modules tarball.
    pub modules: Option<Vec<u8>>,
}

/// Choices beyond the recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepackOptions {
    /// `-n`: NFS root as (server address, exported path).
    pub nfs: Option<(String, String)>,
    /// `-p`: directory the modules go under in the ramdisk (recipe's when `None`).
    pub modules_prefix: Option<String>,
    /// `-c`: drop `lib/modules` and `<prefix>/lib/modules` from the initrd
    /// before adding the new modules (implies [`Self::merge_ramdisk`]).
    pub clear_modules: bool,
    /// Write one merged, re-compressed archive instead of appending the
    /// modules archive to the initrd as KIR does.
    pub merge_ramdisk: bool,
    /// Accept a modules tarball whose release differs from the kernel's.
    pub allow_release_mismatch: bool,
    /// Accept a DTB that does not list the recipe's `compatible`.
    pub allow_dtb_mismatch: bool,
    /// `c_mtime` of every cpio entry kir writes (`SOURCE_DATE_EPOCH`, else 0).
    pub mtime: u32,
    /// Output name of boot.img.
    pub boot_name: String,
    /// Output name of vendor_boot.img.
    pub vendor_boot_name: String,
}

impl Default for RepackOptions {
    fn default() -> Self {
        RepackOptions {
            nfs: None,
            modules_prefix: None,
            clear_modules: false,
            merge_ramdisk: false,
            allow_release_mismatch: false,
            allow_dtb_mismatch: false,
            mtime: 0,
            boot_name: "boot.img".into(),
            vendor_boot_name: "vendor_boot.img".into(),
        }
    }
}

/// One file the flow produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name (no directory).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What [`repack_boot`] made and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepackOutput {
    /// boot.img, then vendor_boot.img when the recipe has one.
    pub files: Vec<OutputFile>,
    /// What the kernel is.
    pub kernel: KernelInfo,
    /// The DTB root's `compatible` list.
    pub dtb_compatible: Vec<String>,
    /// Release of the modules tarball, when one was given.
    pub modules_release: Option<String>,
    /// Number of modules in it.
    pub module_count: usize,
    /// Checks that were passed over or could not be made, and choices made for missing inputs.
    pub notes: Vec<String>,
}

/// A damaged input becomes a check failure naming which input it was (the
/// format error alone, "gzip: offset 0x0: ...", does not say); other errors
/// keep their kind.
fn in_input(input: &str, e: Error) -> Error {
    match e {
        Error::Malformed { .. } | Error::Unsupported { .. } => Error::Check {
            input: input.into(),
            reason: e.to_string(),
        },
        other => other,
    }
}

/// Runs `recipe` on `inputs`.
pub fn repack_boot(
    recipe: &Recipe,
    inputs: &RepackInputs,
    opts: &RepackOptions,
) -> Result<RepackOutput> {
    let mut notes = Vec::new();
    let kernel_info = kernel::inspect(&inputs.kernel).map_err(|e| in_input("kernel", e))?;
    log::debug!(
        "kernel: {} ({}), release {:?}",
        kernel_info.format,
        kernel_info.compression,
        kernel_info.release
    );

    let dtb = inputs.dtb.as_deref().ok_or_else(|| {
        Error::invalid_argument(
            "-d/--dtb",
            format!("recipe {} needs a device tree blob", recipe.name),
        )
    })?;
    let dtb_info = fdt::inspect(dtb).map_err(|e| Error::Check {
        input: "dtb".into(),
        reason: e.to_string(),
    })?;
    if let Some(want) = &recipe.compatible {
        if !dtb_info.is_compatible(want) {
            let msg = format!(
                "root compatible is [{}], which does not list {want:?} (recipe {})",
                dtb_info.compatible.join(", "),
                recipe.name
            );
            if !opts.allow_dtb_mismatch {
                return Err(Error::Check {
                    input: "dtb".into(),
                    reason: msg,
                });
            }
            notes.push(format!("dtb: {msg} (accepted: --allow-dtb-mismatch)"));
        }
    }

    let mut initrd_ends_lz4_legacy = false;
    if let Some(initrd) = &inputs.initrd {
        let segments = cpio::read_initramfs(initrd).map_err(|e| Error::Check {
            input: "initrd".into(),
            reason: e.to_string(),
        })?;
        initrd_ends_lz4_legacy = segments
            .last()
            .is_some_and(|s| s.compression == Compression::Lz4Legacy);
    }

    let tree = match &inputs.modules {
        Some(bytes) => {
            let tree = modules::read_tarball(bytes).map_err(|e| in_input("modules tarball", e))?;
            if kernel_info.release.is_none() {
                notes.push("kernel: no `Linux version` banner found; modules checked against their own directory only".into());
            }
            if let Err(e) = tree.check_release(kernel_info.release.as_deref()) {
                if !opts.allow_release_mismatch {
                    return Err(e);
                }
                notes.push(format!("{e} (accepted: --allow-release-mismatch)"));
            }
            Some(tree)
        }
        None => None,
    };

    let kernel_bytes = prepare_kernel(recipe, &inputs.kernel, kernel_info.compression, dtb)?;
    let ramdisks = Ramdisks {
        recipe,
        inputs,
        tree: tree.as_ref(),
        opts,
        initrd_ends_lz4_legacy,
    };
    let boot_ramdisk = ramdisks.assemble(recipe.ramdisk.assembly, &mut notes)?;

    let nfs = opts.nfs.as_ref().map(|(s, r)| (s.as_str(), r.as_str()));
    let boot = &recipe.boot;
    let mut args = MkbootimgArgs {
        header_version: boot.header_version,
        kernel: Some(kernel_bytes),
        ramdisk: boot_ramdisk,
        dtb: boot.dtb_in_image.then(|| dtb.to_vec()),
        cmdline: recipe.cmdline(nfs)?,
        base: boot.base,
        kernel_offset: boot.kernel_offset,
        ramdisk_offset: boot.ramdisk_offset,
        second_offset: boot.second_offset,
        dtb_offset: boot.dtb_offset,
        tags_offset: boot.tags_offset,
        os_version: match &boot.os_version {
            Some(v) => OsVersion::parse_mkbootimg(v)?,
            None => None,
        },
        os_patch_level: match &boot.os_patch_level {
            Some(v) => PatchLevel::parse_mkbootimg(v)?,
            None => None,
        },
        board: boot.board.clone(),
        page_size: boot.page_size,
        ..MkbootimgArgs::default()
    };

    let mut files = Vec::new();
    if let Some(vendor) = &recipe.vendor_boot {
        args.page_size = vendor.page_size;
        args.base = vendor.base;
        args.kernel_offset = vendor.kernel_offset;
        args.ramdisk_offset = vendor.ramdisk_offset;
        args.tags_offset = vendor.tags_offset;
        args.dtb_offset = vendor.dtb_offset;
        args.dtb = Some(dtb.to_vec());
        args.vendor_cmdline = vendor.cmdline.clone();
        args.vendor_bootconfig = Some(vendor.bootconfig.as_bytes().to_vec());
        for fragment in &vendor.ramdisks {
            let data = ramdisks
                .assemble(fragment.assembly, &mut notes)?
                .unwrap_or_default();
            let mut board_id = [0u32; 16];
            board_id
                .iter_mut()
                .zip(&fragment.board_id)
                .for_each(|(slot, v)| *slot = *v);
            args.vendor_ramdisk_fragments.push(VendorRamdisk {
                ramdisk_type: fragment.ramdisk_type.value(),
                name: fragment.name.clone(),
                board_id,
                data,
            });
        }
        files.push(OutputFile {
            name: opts.boot_name.clone(),
            bytes: args.boot_image()?.to_bytes()?,
        });
        files.push(OutputFile {
            name: opts.vendor_boot_name.clone(),
            bytes: args.vendor_boot_image()?.to_bytes()?,
        });
    } else {
        files.push(OutputFile {
            name: opts.boot_name.clone(),
            bytes: args.boot_image()?.to_bytes()?,
        });
    }

    Ok(RepackOutput {
        files,
        kernel: kernel_info,
        dtb_compatible: dtb_info.compatible,
        modules_release: tree.as_ref().map(|t| t.release.clone()),
        module_count: tree.as_ref().map_or(0, |t| t.module_count),
        notes,
    })
}

fn prepare_kernel(
    recipe: &Recipe,
    kernel: &[u8],
    compression: Compression,
    dtb: &[u8],
) -> Result<Vec<u8>> {
    let mut out = match (recipe.kernel.preparation, compression) {
        (KernelPreparation::Gzip, Compression::Gzip) => kernel.to_vec(),
        (KernelPreparation::Gzip, _) => compress::gzip(kernel, recipe.kernel.gzip_level),
        (KernelPreparation::Decompress, Compression::Gzip) => compress::decompress(kernel)?,
        _ => kernel.to_vec(),
    };
    if recipe.kernel.append_dtb {
        out.extend_from_slice(dtb);
    }
    Ok(out)
}

/// Builds the ramdisks a recipe asks for from the inputs.
struct Ramdisks<'a> {
    recipe: &'a Recipe,
    inputs: &'a RepackInputs,
    tree: Option<&'a ModulesTree>,
    opts: &'a RepackOptions,
    /// The initrd's last archive is an lz4 legacy stream, which has no end
    /// mark: only a zero block size ends it.
    initrd_ends_lz4_legacy: bool,
}

impl Ramdisks<'_> {
    fn prefix(&self) -> &str {
        self.opts
            .modules_prefix
            .as_deref()
            .unwrap_or(&self.recipe.ramdisk.modules_prefix)
    }

    fn write_options(&self) -> WriteOptions {
        WriteOptions {
            mtime: self.opts.mtime,
            ..WriteOptions::default()
        }
    }

    /// The modules under the prefix, or just `.` and the prefix directories
    /// when no tarball was given (what KIR's empty `modules_dir/usr` gives).
    fn module_entries(&self) -> Result<Vec<NewEntry>> {
        match self.tree {
            Some(tree) => tree.cpio_entries(self.prefix()),
            None => {
                let empty = ModulesTree {
                    release: String::new(),
                    entries: Vec::new(),
                    module_count: 0,
                    vermagic: Vec::new(),
                };
                empty.cpio_entries(self.prefix())
            }
        }
    }

    fn modules_archive(&self) -> Result<Vec<u8>> {
        let archive = cpio::write(&self.module_entries()?, &self.write_options())?;
        Ok(compress::gzip(&archive, self.recipe.ramdisk.gzip_level))
    }

    fn assemble(&self, assembly: Assembly, notes: &mut Vec<String>) -> Result<Option<Vec<u8>>> {
        match assembly {
            Assembly::None => Ok(None),
            Assembly::Placeholder => Ok(Some(self.recipe.ramdisk.placeholder.as_bytes().to_vec())),
            Assembly::Modules => Ok(Some(self.modules_archive()?)),
            Assembly::InitrdAndModules => {
                let Some(initrd) = &self.inputs.initrd else {
                    if self.tree.is_none() {
                        notes.push("ramdisk: no initrd and no modules: an archive of only the module directories (as KIR)".into());
                    }
                    return Ok(Some(self.modules_archive()?));
                };
                if self.opts.merge_ramdisk || self.opts.clear_modules {
                    return Ok(Some(self.merged(initrd)?));
                }
                let mut out = initrd.clone();
                if self.tree.is_some() {
                    if self.initrd_ends_lz4_legacy {
                        // Without it the kernel's unlz4 (and kir) would read the
                        // modules archive as more lz4 blocks; zero padding ends
                        // the stream and the unpacker skips it.
                        out.resize(out.len().next_multiple_of(4) + 4, 0);
                        notes.push("ramdisk: the initrd ends in an lz4 legacy stream, which has no end mark; 4 zero bytes put before the modules archive end it".into());
                    }
                    out.extend_from_slice(&self.modules_archive()?);
                }
                Ok(Some(out))
            }
        }
    }

    /// One archive: the initrd's entries (later ones replacing earlier ones,
    /// as the kernel does), minus old modules with `clear_modules`, plus the modules.
    fn merged(&self, initrd: &[u8]) -> Result<Vec<u8>> {
        let read: Vec<cpio::Entry> = cpio::read_initramfs(initrd)?
            .into_iter()
            .flat_map(|s| s.entries)
            .collect();
        let mut entries = cpio::to_new_entries(&read)?;
        if self.opts.clear_modules {
            let prefixed = format!("{}/lib/modules/", cpio::normalize_path(self.prefix())?);
            entries
                .retain(|e| !e.path.starts_with("lib/modules/") && !e.path.starts_with(&prefixed));
        }
        let mut by_path: std::collections::BTreeMap<String, NewEntry> =
            entries.into_iter().map(|e| (e.path.clone(), e)).collect();
        for entry in self.module_entries()? {
            let path = cpio::normalize_path(&entry.path)?;
            // Keep the initrd's own root and existing directories' modes.
            if matches!(entry.node, Node::Directory) && by_path.contains_key(&path) {
                continue;
            }
            by_path.insert(path, entry);
        }
        let entries: Vec<NewEntry> = by_path.into_values().collect();
        let archive = cpio::write(&entries, &self.write_options())?;
        Ok(compress::gzip(&archive, self.recipe.ramdisk.gzip_level))
    }
}

/// Writes `output`'s files into `dir` (created when missing): each to a
/// temporary file in `dir`, then renamed into place, so a reader never sees
/// a partial image. Returns the final paths.
pub fn write_outputs(dir: &Path, output: &RepackOutput) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut staged = Vec::new();
    for file in &output.files {
        if file.name.is_empty() || file.name.contains('/') || file.name == "." || file.name == ".."
        {
            return Err(Error::invalid_argument(
                "output name",
                format!("{:?} is not a file name", file.name),
            ));
        }
        let tmp = dir.join(format!(".{}.kir-tmp-{}", file.name, std::process::id()));
        std::fs::write(&tmp, &file.bytes).map_err(|e| Error::io(&tmp, e))?;
        staged.push((tmp, dir.join(&file.name)));
    }
    let mut done = Vec::new();
    for (tmp, dest) in staged {
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        done.push(dest);
    }
    Ok(done)
}
