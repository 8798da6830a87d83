//! KIR's per-board recipes, as data.
//!
//! A recipe is one TOML file per board saying how `repack-boot` turns a
//! kernel, a DTB, an initrd and a modules tarball into that board's boot
//! image(s): the boot header's version, page size, load addresses and command
//! line, how the kernel is prepared (gzip, appended DTB), how the ramdisk is
//! assembled, and for header v4 boards the vendor_boot image. The recipes for
//! KIR's boards are built in (`kir-core/recipes/*.toml`); a user directory of
//! `<name>.toml` files adds boards or replaces built-in ones of the same name.
//!
//! ```
//! let recipe = kir_core::recipe::load("dragonboard-845c", None).unwrap();
//! assert_eq!(recipe.boot.page_size, 4096);
//! assert_eq!(recipe.boot.base, 0x8000_0000);
//! assert!(recipe.kernel.append_dtb);
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::{Error, Result};

/// The built-in recipes: (name, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "dragonboard-410c",
        include_str!("../../recipes/dragonboard-410c.toml"),
    ),
    (
        "dragonboard-845c",
        include_str!("../../recipes/dragonboard-845c.toml"),
    ),
    (
        "qrb5165-rb5",
        include_str!("../../recipes/qrb5165-rb5.toml"),
    ),
    ("e850-96", include_str!("../../recipes/e850-96.toml")),
    (
        "gs101-oriole",
        include_str!("../../recipes/gs101-oriole.toml"),
    ),
];

/// One board's recipe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Board name, as given to `-t`; equals the file name without `.toml`.
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// A `compatible` string the DTB's root node must list, when given.
    #[serde(default)]
    pub compatible: Option<String>,
    /// How the kernel is prepared.
    pub kernel: KernelRecipe,
    /// How boot.img's ramdisk is assembled.
    pub ramdisk: RamdiskRecipe,
    /// The boot.img header.
    pub boot: BootRecipe,
    /// The `-n` variant: root on NFS.
    #[serde(default)]
    pub nfs: Option<NfsRecipe>,
    /// The vendor_boot.img, for header v3/v4 boards.
    #[serde(default)]
    pub vendor_boot: Option<VendorBootRecipe>,
}

/// What is done to the kernel before it goes into the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelPreparation {
    /// gzip it unless it already is (Qualcomm's LK and ABL want Image.gz).
    Gzip,
    /// Un-gzip it if it is gzipped (a raw Image).
    Decompress,
    /// Use it as given.
    Keep,
}

/// Kernel preparation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelRecipe {
    /// What to do to the kernel.
    pub preparation: KernelPreparation,
    /// gzip level when `preparation = "gzip"` (KIR used gzip's default, 6).
    #[serde(default = "default_kernel_gzip")]
    pub gzip_level: u32,
    /// Append the DTB after the (gzipped) kernel, as LK expects.
    #[serde(default)]
    pub append_dtb: bool,
}

/// How a ramdisk is put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assembly {
    /// No ramdisk.
    None,
    /// The recipe's fixed placeholder bytes.
    Placeholder,
    /// The given initrd, followed by a gzip'd cpio of the modules (KIR's
    /// `cat initrd modules.cpio.gz`), or one merged archive when asked.
    InitrdAndModules,
    /// A gzip'd cpio of the modules alone.
    Modules,
}

/// boot.img ramdisk assembly.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RamdiskRecipe {
    /// How the ramdisk is assembled.
    pub assembly: Assembly,
    /// Bytes of the placeholder ramdisk (`assembly = "placeholder"`).
    #[serde(default)]
    pub placeholder: String,
    /// Directory the modules tarball's `lib/modules` goes under in the ramdisk.
    #[serde(default = "default_prefix")]
    pub modules_prefix: String,
    /// gzip level of the cpio archives kir writes (KIR: `gzip -9`).
    #[serde(default = "default_ramdisk_gzip")]
    pub gzip_level: u32,
}

/// boot.img header values (mkbootimg's options).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootRecipe {
    /// `--header_version`.
    pub header_version: u32,
    /// `--pagesize` (v0–v2; v3/v4 boot.img always use 4096).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// `--base`.
    #[serde(default = "default_base")]
    pub base: u64,
    /// `--kernel_offset`.
    #[serde(default = "default_kernel_offset")]
    pub kernel_offset: u64,
    /// `--ramdisk_offset`.
    #[serde(default = "default_ramdisk_offset")]
    pub ramdisk_offset: u64,
    /// `--second_offset`.
    #[serde(default = "default_second_offset")]
    pub second_offset: u64,
    /// `--tags_offset`.
    #[serde(default = "default_tags_offset")]
    pub tags_offset: u64,
    /// `--dtb_offset`.
    #[serde(default = "default_dtb_offset")]
    pub dtb_offset: u64,
    /// Put the DTB in the header's dtb section (`--dtb`, v2).
    #[serde(default)]
    pub dtb_in_image: bool,
    /// `--cmdline`.
    #[serde(default)]
    pub cmdline: String,
    /// `--board`.
    #[serde(default)]
    pub board: String,
    /// `--os_version` (e.g. `10`).
    #[serde(default)]
    pub os_version: Option<String>,
    /// `--os_patch_level` (e.g. `2019-12-01`).
    #[serde(default)]
    pub os_patch_level: Option<String>,
}

/// The NFS-root variant (`-n`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NfsRecipe {
    /// Command line replacing `boot.cmdline`; `{nfs_server_ip}` and
    /// `{nfs_rootfs}` are filled in from the caller's values.
    pub cmdline: String,
}

/// vendor_boot.img values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorBootRecipe {
    /// Header version, 3 or 4 (equal to boot.header_version).
    pub header_version: u32,
    /// `--pagesize` of vendor_boot.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// `--base`.
    #[serde(default = "default_base")]
    pub base: u64,
    /// `--kernel_offset`.
    #[serde(default = "default_kernel_offset")]
    pub kernel_offset: u64,
    /// `--ramdisk_offset`.
    #[serde(default = "default_ramdisk_offset")]
    pub ramdisk_offset: u64,
    /// `--tags_offset`.
    #[serde(default = "default_tags_offset")]
    pub tags_offset: u64,
    /// `--dtb_offset`.
    #[serde(default = "default_dtb_offset")]
    pub dtb_offset: u64,
    /// `--vendor_cmdline`.
    #[serde(default)]
    pub cmdline: String,
    /// `--board`.
    #[serde(default)]
    pub board: String,
    /// `--vendor_bootconfig` contents (`key=value` lines).
    #[serde(default)]
    pub bootconfig: String,
    /// The v4 vendor ramdisk fragments, in table order.
    #[serde(default)]
    pub ramdisks: Vec<VendorRamdiskRecipe>,
}

/// A vendor ramdisk type (v4 table `ramdisk_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VendorRamdiskType {
    /// 0
    None,
    /// 1: loaded on every boot.
    Platform,
    /// 2: recovery.
    Recovery,
    /// 3: vendor kernel modules.
    Dlkm,
}

impl VendorRamdiskType {
    /// The table's numeric value.
    pub fn value(self) -> u32 {
        match self {
            VendorRamdiskType::None => 0,
            VendorRamdiskType::Platform => 1,
            VendorRamdiskType::Recovery => 2,
            VendorRamdiskType::Dlkm => 3,
        }
    }
}

/// One vendor ramdisk fragment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorRamdiskRecipe {
    /// `--ramdisk_type`.
    #[serde(rename = "type")]
    pub ramdisk_type: VendorRamdiskType,
    /// `--ramdisk_name`.
    pub name: String,
    /// What goes in it.
    pub assembly: Assembly,
    /// `--board_id0..15`.
    #[serde(default)]
    pub board_id: Vec<u32>,
}

fn default_kernel_gzip() -> u32 {
    6
}
fn default_ramdisk_gzip() -> u32 {
    9
}
fn default_prefix() -> String {
    "usr".into()
}
fn default_page_size() -> u32 {
    2048
}
fn default_base() -> u64 {
    0x1000_0000
}
fn default_kernel_offset() -> u64 {
    0x0000_8000
}
fn default_ramdisk_offset() -> u64 {
    0x0100_0000
}
fn default_second_offset() -> u64 {
    0x00f0_0000
}
fn default_tags_offset() -> u64 {
    0x0000_0100
}
fn default_dtb_offset() -> u64 {
    0x01f0_0000
}

/// Names of the built-in recipes.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// Parses and checks one recipe; `source` names it in errors (file or name).
pub fn parse(source: &str, text: &str) -> Result<Recipe> {
    let recipe: Recipe = toml::from_str(text).map_err(|e| Error::Recipe {
        recipe: source.into(),
        reason: e.to_string(),
    })?;
    recipe.validate(source)?;
    Ok(recipe)
}

/// Loads recipe `name`: `<user_dir>/<name>.toml` when it exists, else the built-in one.
pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Recipe> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(Error::Recipe {
            recipe: name.into(),
            reason: "not a recipe name".into(),
        });
    }
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            log::debug!("recipe {name}: from {}", path.display());
            let recipe = parse(&path.display().to_string(), &text)?;
            if recipe.name != name {
                return Err(Error::Recipe {
                    recipe: path.display().to_string(),
                    reason: format!("name = {:?} but the file is {name}.toml", recipe.name),
                });
            }
            return Ok(recipe);
        }
    }
    let text = BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let mut known = list(user_dir).unwrap_or_default();
            known.sort();
            Error::Recipe {
                recipe: name.into(),
                reason: format!("no such recipe; known: {}", known.join(", ")),
            }
        })?;
    log::debug!("recipe {name}: built in");
    parse(name, text)
}

/// Every recipe name: built-in ones and those in `user_dir`, sorted, unique.
pub fn list(user_dir: Option<&Path>) -> Result<Vec<String>> {
    let mut names: Vec<String> = builtin_names().into_iter().map(str::to_string).collect();
    if let Some(dir) = user_dir {
        let read = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in read {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    names.push(stem.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

impl Recipe {
    /// Checks values mkbootimg would refuse and combinations that cannot work.
    pub fn validate(&self, source: &str) -> Result<()> {
        let bad = |reason: String| Error::Recipe {
            recipe: source.into(),
            reason,
        };
        let boot = &self.boot;
        if boot.header_version > 4 {
            return Err(bad(format!(
                "boot.header_version {} (0 to 4)",
                boot.header_version
            )));
        }
        if ![2048, 4096, 8192, 16384].contains(&boot.page_size) {
            return Err(bad(format!(
                "boot.page_size {} (2048, 4096, 8192 or 16384)",
                boot.page_size
            )));
        }
        if self.kernel.gzip_level > 9 || self.ramdisk.gzip_level > 9 {
            return Err(bad("gzip_level must be 0 to 9".into()));
        }
        if boot.dtb_in_image && boot.header_version != 2 {
            return Err(bad("boot.dtb_in_image needs header_version 2".into()));
        }
        if self.ramdisk.assembly == Assembly::Placeholder && self.ramdisk.placeholder.is_empty() {
            return Err(bad(
                "ramdisk.assembly = \"placeholder\" needs ramdisk.placeholder".into(),
            ));
        }
        match (&self.vendor_boot, boot.header_version) {
            (Some(vendor), 3 | 4) => {
                if vendor.header_version != boot.header_version {
                    return Err(bad(format!(
                        "vendor_boot.header_version {} differs from boot.header_version {}",
                        vendor.header_version, boot.header_version
                    )));
                }
                if ![2048, 4096, 8192, 16384].contains(&vendor.page_size) {
                    return Err(bad(format!("vendor_boot.page_size {}", vendor.page_size)));
                }
                if vendor.header_version == 3 && vendor.ramdisks.len() > 1 {
                    return Err(bad("a v3 vendor_boot holds one ramdisk".into()));
                }
                for r in &vendor.ramdisks {
                    if r.board_id.len() > 16 {
                        return Err(bad(format!(
                            "ramdisk {}: more than 16 board_id words",
                            r.name
                        )));
                    }
                    if r.assembly == Assembly::Placeholder {
                        return Err(bad(format!(
                            "ramdisk {}: placeholder is for boot.img only",
                            r.name
                        )));
                    }
                }
            }
            (Some(_), v) => {
                return Err(bad(format!(
                    "vendor_boot needs header version 3 or 4, not {v}"
                )));
            }
            (None, _) => {}
        }
        Ok(())
    }

    /// The command line for this build: the NFS variant's with the server
    /// and export filled in when `nfs` is given, else `boot.cmdline`.
    pub fn cmdline(&self, nfs: Option<(&str, &str)>) -> Result<String> {
        let Some((server, rootfs)) = nfs else {
            return Ok(self.boot.cmdline.clone());
        };
        let variant = self.nfs.as_ref().ok_or_else(|| Error::Recipe {
            recipe: self.name.clone(),
            reason: "has no NFS variant ([nfs] table)".into(),
        })?;
        for (name, value) in [("NFS server address", server), ("NFS root path", rootfs)] {
            if value.trim().is_empty() || value.contains(char::is_whitespace) {
                return Err(Error::invalid_argument(
                    name,
                    format!("{value:?} is empty or has spaces"),
                ));
            }
        }
        Ok(variant
            .cmdline
            .replace("{nfs_server_ip}", server)
            .replace("{nfs_rootfs}", rootfs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_recipe_parses_and_is_named_after_itself() {
        for name in builtin_names() {
            let recipe = load(name, None).unwrap();
            assert_eq!(recipe.name, name);
        }
    }

    #[test]
    fn e850_recipe_matches_kir() {
        let r = load("e850-96", None).unwrap();
        assert_eq!((r.boot.header_version, r.boot.page_size), (2, 2048));
        assert_eq!((r.boot.tags_offset, r.boot.dtb_offset), (0, 0));
        assert_eq!(r.boot.os_patch_level.as_deref(), Some("2019-12-01"));
        assert_eq!(r.kernel.preparation, KernelPreparation::Decompress);
    }

    #[test]
    fn nfs_variant_fills_server_and_export() {
        let r = load("dragonboard-845c", None).unwrap();
        let cmdline = r.cmdline(Some(("10.0.0.1", "/srv/rootfs"))).unwrap();
        assert!(
            cmdline.starts_with("root=/dev/nfs nfsroot=10.0.0.1:/srv/rootfs,nfsvers=3 ip=dhcp")
        );
        assert!(r.cmdline(Some(("", "/srv"))).is_err());
        assert!(
            load("e850-96", None)
                .unwrap()
                .cmdline(Some(("a", "b")))
                .is_err()
        );
    }

    #[test]
    fn user_directory_overrides_a_builtin_recipe() {
        let dir = tempfile::tempdir().unwrap();
        let text = BUILTIN[1].1.replace("page_size = 4096", "page_size = 2048");
        std::fs::write(dir.path().join("dragonboard-845c.toml"), text).unwrap();
        assert_eq!(
            load("dragonboard-845c", Some(dir.path()))
                .unwrap()
                .boot
                .page_size,
            2048
        );
        assert_eq!(load("dragonboard-845c", None).unwrap().boot.page_size, 4096);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_recipe() {
        let err = parse(
            "x.toml",
            &BUILTIN[0].1.replace("page_size = 2048", "page_size = 1000"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("x.toml") && err.to_string().contains("page_size"),
            "{err}"
        );
        let err = parse("y.toml", &format!("{}\nsurprise = 1\n", BUILTIN[0].1)).unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");
        assert!(load("../etc/passwd", None).is_err());
        assert!(
            load("no-such-board", None)
                .unwrap_err()
                .to_string()
                .contains("gs101-oriole")
        );
    }
}
