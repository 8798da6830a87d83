//! mkbootimg's options and the rules it applies when turning them into images.

use std::collections::HashSet;

use super::{
    BOOT_IMAGE_HEADER_V3_PAGESIZE, BOOT_NAME_SIZE, BootImage, MAX_CMDLINE_V0, MAX_CMDLINE_V3,
    OsVersion, PatchLevel, VENDOR_BOOT_ARGS_SIZE, VENDOR_RAMDISK_NAME_SIZE,
    VENDOR_RAMDISK_TYPE_PLATFORM, VendorBootImage, VendorRamdisk,
};
use crate::{Error, Result};

/// The options of AOSP mkbootimg, with files given as their bytes.
///
/// `None` is an option not given; `Some(empty)` is an empty file, which
/// differs from an absent one for `recovery_dtbo` (an offset is still
/// recorded), `vendor_ramdisk` (a v4 table entry is still made) and `second`
/// (refused by v3/v4 even when empty). [`Default`] gives mkbootimg's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkbootimgArgs {
    /// `--header_version` (default 0).
    pub header_version: u32,
    /// `--kernel`.
    pub kernel: Option<Vec<u8>>,
    /// `--ramdisk`.
    pub ramdisk: Option<Vec<u8>>,
    /// `--second` (v0–v2).
    pub second: Option<Vec<u8>>,
    /// `--dtb`: in boot.img for v2 (required there), in vendor_boot for v3/v4.
    pub dtb: Option<Vec<u8>>,
    /// `--recovery_dtbo` / `--recovery_acpio` (v1, v2).
    pub recovery_dtbo: Option<Vec<u8>>,
    /// `--cmdline`: at most 1534 bytes for v0–v2, 1535 for v3/v4.
    pub cmdline: String,
    /// `--vendor_cmdline`: at most 2047 bytes.
    pub vendor_cmdline: String,
    /// `--base` (default 0x10000000).
    pub base: u64,
    /// `--kernel_offset` (default 0x00008000).
    pub kernel_offset: u64,
    /// `--ramdisk_offset` (default 0x01000000).
    pub ramdisk_offset: u64,
    /// `--second_offset` (default 0x00f00000).
    pub second_offset: u64,
    /// `--dtb_offset` (default 0x01f00000).
    pub dtb_offset: u64,
    /// `--tags_offset` (default 0x00000100).
    pub tags_offset: u64,
    /// `--os_version`.
    pub os_version: Option<OsVersion>,
    /// `--os_patch_level`.
    pub os_patch_level: Option<PatchLevel>,
    /// `--board`: at most 15 bytes.
    pub board: String,
    /// `--pagesize`: 2048, 4096, 8192 or 16384 (default 2048); boot.img v3/v4 always use 4096.
    pub page_size: u32,
    /// `--vendor_ramdisk`: the v3 vendor ramdisk; with v4, a first fragment of type
    /// platform and an empty name.
    pub vendor_ramdisk: Option<Vec<u8>>,
    /// `--vendor_bootconfig` (v4).
    pub vendor_bootconfig: Option<Vec<u8>>,
    /// Each `--ramdisk_type --ramdisk_name --board_idN --vendor_ramdisk_fragment` group (v4).
    pub vendor_ramdisk_fragments: Vec<VendorRamdisk>,
    /// `--boot_signature`: v4 boot signature section (kir's addition; AOSP 34 writes none).
    pub boot_signature: Option<Vec<u8>>,
}

impl Default for MkbootimgArgs {
    fn default() -> Self {
        MkbootimgArgs {
            header_version: 0,
            kernel: None,
            ramdisk: None,
            second: None,
            dtb: None,
            recovery_dtbo: None,
            cmdline: String::new(),
            vendor_cmdline: String::new(),
            base: 0x1000_0000,
            kernel_offset: 0x0000_8000,
            ramdisk_offset: 0x0100_0000,
            second_offset: 0x00f0_0000,
            dtb_offset: 0x01f0_0000,
            tags_offset: 0x0000_0100,
            os_version: None,
            os_patch_level: None,
            board: String::new(),
            page_size: 2048,
            vendor_ramdisk: None,
            vendor_bootconfig: None,
            vendor_ramdisk_fragments: Vec::new(),
            boot_signature: None,
        }
    }
}

/// Parses an integer option as mkbootimg does (Python `int(x, 0)`): decimal,
/// or `0x`/`0o`/`0b` prefixed, underscores allowed between digits.
pub fn parse_int(name: &str, text: &str) -> Result<u64> {
    let bad = || Error::invalid_argument(name, format!("{text:?} is not an integer"));
    let trimmed = text.trim();
    let (digits, radix) = match trimmed.get(..2).map(str::to_ascii_lowercase).as_deref() {
        Some("0x") => (&trimmed[2..], 16),
        Some("0o") => (&trimmed[2..], 8),
        Some("0b") => (&trimmed[2..], 2),
        _ => (trimmed, 10),
    };
    let digits = digits
        .strip_prefix('_')
        .filter(|_| radix != 10)
        .unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(bad());
    }
    // Python refuses leading zeros on a non-zero decimal ("010").
    if radix == 10 && digits.starts_with('0') && digits.bytes().any(|b| b != b'0' && b != b'_') {
        return Err(bad());
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).map_err(|_| bad())
}

impl MkbootimgArgs {
    fn address(&self, flag: &str, offset: u64) -> Result<u64> {
        self.base.checked_add(offset).ok_or_else(|| {
            Error::invalid_argument(flag, "--base plus this offset overflows 64 bits")
        })
    }

    fn address32(&self, flag: &str, offset: u64) -> Result<u32> {
        let address = self.address(flag, offset)?;
        u32::try_from(address).map_err(|_| {
            Error::invalid_argument(
                flag,
                format!("--base + {flag} = {address:#x} does not fit the 32-bit header field"),
            )
        })
    }

    fn check_common(&self) -> Result<()> {
        if self.header_version > 4 {
            return Err(Error::invalid_argument(
                "--header_version",
                format!(
                    "boot header version {} not supported (0 to 4)",
                    self.header_version
                ),
            ));
        }
        if ![2048, 4096, 8192, 16384].contains(&self.page_size) {
            return Err(Error::invalid_argument(
                "--pagesize",
                format!("{} is not one of 2048, 4096, 8192, 16384", self.page_size),
            ));
        }
        let max = if self.header_version < 3 {
            MAX_CMDLINE_V0
        } else {
            MAX_CMDLINE_V3
        };
        if self.cmdline.len() > max {
            return Err(Error::invalid_argument(
                "--cmdline",
                format!(
                    "{} bytes is longer than the {max} a v{} header holds{}",
                    self.cmdline.len(),
                    self.header_version,
                    if self.header_version < 3 {
                        " (511 in cmdline and 1023 in extra_cmdline, each with its NUL)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        // mkbootimg checks these when parsing its options, whichever image uses them.
        let fits = |flag: &str, text: &str, max: usize| {
            if text.len() > max {
                return Err(Error::invalid_argument(
                    flag,
                    format!(
                        "{} bytes is longer than the {max} its header field holds",
                        text.len()
                    ),
                ));
            }
            Ok(())
        };
        fits("--board", &self.board, BOOT_NAME_SIZE - 1)?;
        fits(
            "--vendor_cmdline",
            &self.vendor_cmdline,
            VENDOR_BOOT_ARGS_SIZE - 1,
        )?;
        for fragment in &self.vendor_ramdisk_fragments {
            fits(
                "--ramdisk_name",
                &fragment.name,
                VENDOR_RAMDISK_NAME_SIZE - 1,
            )?;
        }
        Ok(())
    }

    /// The boot.img mkbootimg writes for these options (`--output`).
    pub fn boot_image(&self) -> Result<BootImage> {
        self.check_common()?;
        let v = self.header_version;
        let part = |file: &Option<Vec<u8>>| file.clone().unwrap_or_default();

        if v >= 3 {
            if self.second.is_some() {
                return Err(Error::invalid_argument(
                    "--second",
                    "not compatible with header version 3 or 4",
                ));
            }
            if v == 3 && self.boot_signature.is_some() {
                return Err(Error::invalid_argument(
                    "--boot_signature",
                    "only a v4 boot.img has a boot signature section",
                ));
            }
            return Ok(BootImage {
                header_version: v,
                page_size: BOOT_IMAGE_HEADER_V3_PAGESIZE,
                os_version: self.os_version,
                os_patch_level: self.os_patch_level,
                cmdline: self.cmdline.clone(),
                kernel: part(&self.kernel),
                ramdisk: part(&self.ramdisk),
                boot_signature: part(&self.boot_signature),
                ..BootImage::default()
            });
        }

        if self.boot_signature.is_some() {
            return Err(Error::invalid_argument(
                "--boot_signature",
                "only a v4 boot.img has a boot signature section",
            ));
        }
        let dtb = if v == 2 { part(&self.dtb) } else { Vec::new() };
        if v == 2 && dtb.is_empty() {
            return Err(Error::invalid_argument(
                "--dtb",
                "a v2 boot.img needs a non-empty DTB",
            ));
        }
        let ramdisk = part(&self.ramdisk);
        let second = part(&self.second);
        Ok(BootImage {
            header_version: v,
            page_size: self.page_size,
            kernel_addr: self.address32("--kernel_offset", self.kernel_offset)?,
            ramdisk_addr: if ramdisk.is_empty() {
                0
            } else {
                self.address32("--ramdisk_offset", self.ramdisk_offset)?
            },
            second_addr: if second.is_empty() {
                0
            } else {
                self.address32("--second_offset", self.second_offset)?
            },
            tags_addr: self.address32("--tags_offset", self.tags_offset)?,
            dtb_addr: if v == 2 {
                self.address("--dtb_offset", self.dtb_offset)?
            } else {
                0
            },
            os_version: self.os_version,
            os_patch_level: self.os_patch_level,
            name: self.board.clone(),
            cmdline: self.cmdline.clone(),
            kernel: part(&self.kernel),
            ramdisk,
            second,
            recovery_dtbo: if v >= 1 {
                self.recovery_dtbo.clone()
            } else {
                None
            },
            dtb,
            boot_signature: Vec::new(),
        })
    }

    /// The vendor_boot.img mkbootimg writes for these options (`--vendor_boot`).
    pub fn vendor_boot_image(&self) -> Result<VendorBootImage> {
        self.check_common()?;
        let v = self.header_version;
        if !(3..=4).contains(&v) {
            return Err(Error::invalid_argument(
                "--vendor_boot",
                format!("not compatible with header version {v} (needs 3 or 4)"),
            ));
        }

        let ramdisks = if v == 3 {
            if !self.vendor_ramdisk_fragments.is_empty() {
                return Err(Error::invalid_argument(
                    "--vendor_ramdisk_fragment",
                    "vendor ramdisk fragments need header version 4",
                ));
            }
            let Some(data) = self.vendor_ramdisk.clone() else {
                return Err(Error::invalid_argument(
                    "--vendor_ramdisk",
                    "missing: a v3 vendor_boot needs one",
                ));
            };
            vec![VendorRamdisk {
                data,
                ..VendorRamdisk::default()
            }]
        } else {
            self.v4_ramdisks()?
        };

        Ok(VendorBootImage {
            header_version: v,
            page_size: self.page_size,
            kernel_addr: self.address32("--kernel_offset", self.kernel_offset)?,
            ramdisk_addr: self.address32("--ramdisk_offset", self.ramdisk_offset)?,
            tags_addr: self.address32("--tags_offset", self.tags_offset)?,
            dtb_addr: self.address("--dtb_offset", self.dtb_offset)?,
            name: self.board.clone(),
            cmdline: self.vendor_cmdline.clone(),
            ramdisks,
            dtb: self.dtb.clone().unwrap_or_default(),
            bootconfig: if v == 4 {
                self.vendor_bootconfig.clone().unwrap_or_default()
            } else {
                Vec::new()
            },
        })
    }

    /// The v4 table: a legacy `--vendor_ramdisk` first, then each fragment;
    /// names unique and never `default` (the bootloader's name for "all").
    fn v4_ramdisks(&self) -> Result<Vec<VendorRamdisk>> {
        let legacy = self.vendor_ramdisk.clone().map(|data| VendorRamdisk {
            ramdisk_type: VENDOR_RAMDISK_TYPE_PLATFORM,
            data,
            ..VendorRamdisk::default()
        });
        let ramdisks: Vec<VendorRamdisk> = legacy
            .into_iter()
            .chain(self.vendor_ramdisk_fragments.iter().cloned())
            .collect();

        let mut names = HashSet::new();
        for ramdisk in &ramdisks {
            if ramdisk.name == "default" {
                return Err(Error::invalid_argument(
                    "--ramdisk_name",
                    "\"default\" is reserved and cannot name a vendor ramdisk",
                ));
            }
            if !names.insert(ramdisk.name.as_str()) {
                return Err(Error::invalid_argument(
                    "--ramdisk_name",
                    format!("duplicated vendor ramdisk name {:?}", ramdisk.name),
                ));
            }
        }
        Ok(ramdisks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_python_int_base_0() {
        assert_eq!(parse_int("x", "0x10000000").unwrap(), 0x1000_0000);
        assert_eq!(parse_int("x", "2048").unwrap(), 2048);
        assert_eq!(parse_int("x", "0X8000").unwrap(), 0x8000);
        assert_eq!(parse_int("x", "0o17").unwrap(), 0o17);
        assert_eq!(parse_int("x", "0b101").unwrap(), 5);
        assert_eq!(parse_int("x", "1_000").unwrap(), 1000);
        assert_eq!(parse_int("x", "0").unwrap(), 0);
        assert!(parse_int("x", "010").is_err());
        assert!(parse_int("x", "0x").is_err());
        assert!(parse_int("x", "ten").is_err());
    }
}
