//! Write side: images laid out exactly as AOSP mkbootimg 34 writes them.

use sha1::{Digest, Sha1};

use super::{
    BOOT_ARGS_SIZE, BOOT_EXTRA_ARGS_SIZE, BOOT_IMAGE_HEADER_V1_SIZE, BOOT_IMAGE_HEADER_V2_SIZE,
    BOOT_IMAGE_HEADER_V3_PAGESIZE, BOOT_IMAGE_HEADER_V3_SIZE, BOOT_IMAGE_HEADER_V4_SIZE,
    BOOT_MAGIC, BOOT_NAME_SIZE, BootImage, MAX_CMDLINE_V0, MAX_CMDLINE_V3, VENDOR_BOOT_ARGS_SIZE,
    VENDOR_BOOT_IMAGE_HEADER_V3_SIZE, VENDOR_BOOT_IMAGE_HEADER_V4_SIZE, VENDOR_BOOT_MAGIC,
    VENDOR_RAMDISK_NAME_SIZE, VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE, VendorBootImage, pages, version,
};
use crate::{Error, Result};

/// Little-endian output with page padding measured from the image start.
struct Out(Vec<u8>);

impl Out {
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    /// `text` then zeros up to `size` bytes; callers have checked it fits with its NUL.
    fn cstr(&mut self, text: &[u8], size: usize) {
        self.0.extend_from_slice(text);
        self.0.resize(self.0.len() + size - text.len(), 0);
    }

    fn pad(&mut self, page: u32) {
        let len = self.0.len() as u64;
        let padded = pages(len, u64::from(page)) * u64::from(page);
        self.0.resize(padded as usize, 0);
    }

    fn section(&mut self, data: &[u8], page: u32) {
        self.0.extend_from_slice(data);
        self.pad(page);
    }
}

/// `text` as bytes, refused when it holds a NUL or is longer than `max`.
fn text<'a>(field: &str, text: &'a str, max: usize) -> Result<&'a [u8]> {
    if text.contains('\0') {
        return Err(Error::invalid_argument(field, "contains a NUL byte"));
    }
    if text.len() > max {
        return Err(Error::invalid_argument(
            field,
            format!(
                "{} bytes is longer than the {max} the header holds",
                text.len()
            ),
        ));
    }
    Ok(text.as_bytes())
}

fn size_u32(field: &str, data: &[u8]) -> Result<u32> {
    u32::try_from(data.len()).map_err(|_| {
        Error::invalid_argument(
            field,
            format!("{} bytes does not fit a 32-bit size", data.len()),
        )
    })
}

fn check_page_size(page_size: u32) -> Result<()> {
    if !page_size.is_power_of_two() || !(2048..=1 << 24).contains(&page_size) {
        return Err(Error::invalid_argument(
            "page_size",
            format!("{page_size} is not a power of two from 2048 up"),
        ));
    }
    Ok(())
}

impl BootImage {
    /// The 32-byte `id` mkbootimg writes into a v0–v2 header: SHA-1 over each
    /// part followed by its size as le32 (kernel, ramdisk, second, then
    /// recovery_dtbo from v1 and dtb from v2), zero-padded.
    pub fn id(&self) -> [u8; 32] {
        let mut sha = Sha1::new();
        let mut part = |data: &[u8]| {
            sha.update(data);
            sha.update((data.len() as u32).to_le_bytes());
        };
        part(&self.kernel);
        part(&self.ramdisk);
        part(&self.second);
        if self.header_version >= 1 {
            part(self.recovery_dtbo.as_deref().unwrap_or_default());
        }
        if self.header_version >= 2 {
            part(&self.dtb);
        }
        let mut id = [0u8; 32];
        id[..20].copy_from_slice(&sha.finalize());
        id
    }

    /// Lays the image out as mkbootimg does for `header_version`.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        match self.header_version {
            0..=2 => self.to_bytes_v0(),
            3 | 4 => self.to_bytes_v3(),
            v => Err(Error::invalid_argument(
                "header_version",
                format!("boot header version {v} not supported (0 to 4)"),
            )),
        }
    }

    fn to_bytes_v0(&self) -> Result<Vec<u8>> {
        let v = self.header_version;
        check_page_size(self.page_size)?;
        let page = self.page_size;
        let name = text("name", &self.name, BOOT_NAME_SIZE - 1)?;
        let cmdline = text("cmdline", &self.cmdline, MAX_CMDLINE_V0)?;
        let os_version = version::encode(self.os_version, self.os_patch_level)?;
        let kernel_size = size_u32("kernel", &self.kernel)?;
        let ramdisk_size = size_u32("ramdisk", &self.ramdisk)?;
        let second_size = size_u32("second", &self.second)?;
        let dtbo = self.recovery_dtbo.as_deref().filter(|_| v >= 1);
        let dtbo_size = size_u32("recovery_dtbo", dtbo.unwrap_or_default())?;
        let dtb: &[u8] = if v == 2 { &self.dtb } else { &[] };
        let dtb_size = size_u32("dtb", dtb)?;

        let total = [kernel_size, ramdisk_size, second_size, dtbo_size, dtb_size]
            .iter()
            .map(|size| pages(u64::from(*size), u64::from(page)))
            .sum::<u64>()
            + 1;
        let mut out = Out(Vec::with_capacity((total * u64::from(page)) as usize));

        out.0.extend_from_slice(BOOT_MAGIC);
        for word in [
            kernel_size,
            self.kernel_addr,
            ramdisk_size,
            self.ramdisk_addr,
            second_size,
            self.second_addr,
            self.tags_addr,
            page,
            v,
            os_version,
        ] {
            out.u32(word);
        }
        out.cstr(name, BOOT_NAME_SIZE);
        // AOSP 11+ split: 511 bytes + NUL in cmdline, the rest + NUL in extra_cmdline.
        let (first, rest) = cmdline.split_at(cmdline.len().min(BOOT_ARGS_SIZE - 1));
        out.cstr(first, BOOT_ARGS_SIZE);
        out.0.extend_from_slice(&self.id());
        out.cstr(rest, BOOT_EXTRA_ARGS_SIZE);
        if v >= 1 {
            let dtbo_offset = match dtbo {
                Some(_) => {
                    let before = [kernel_size, ramdisk_size, second_size]
                        .iter()
                        .map(|size| pages(u64::from(*size), u64::from(page)))
                        .sum::<u64>();
                    u64::from(page) * (1 + before)
                }
                None => 0,
            };
            out.u32(dtbo_size);
            out.u64(dtbo_offset);
            out.u32(if v == 1 {
                BOOT_IMAGE_HEADER_V1_SIZE
            } else {
                BOOT_IMAGE_HEADER_V2_SIZE
            });
        }
        if v == 2 {
            out.u32(dtb_size);
            out.u64(self.dtb_addr);
        }
        out.pad(page);

        out.section(&self.kernel, page);
        out.section(&self.ramdisk, page);
        out.section(&self.second, page);
        out.section(dtbo.unwrap_or_default(), page);
        out.section(dtb, page);
        Ok(out.0)
    }

    fn to_bytes_v3(&self) -> Result<Vec<u8>> {
        let v = self.header_version;
        let page = BOOT_IMAGE_HEADER_V3_PAGESIZE;
        let refuse = |part: &str| {
            Err(Error::invalid_argument(
                part,
                format!(
                    "a v{v} boot.img has no {part} section (it belongs in v0–v2 or vendor_boot)"
                ),
            ))
        };
        if !self.second.is_empty() {
            return refuse("second");
        }
        if !self.dtb.is_empty() {
            return refuse("dtb");
        }
        if self.recovery_dtbo.is_some() {
            return refuse("recovery_dtbo");
        }
        if v == 3 && !self.boot_signature.is_empty() {
            return Err(Error::invalid_argument(
                "boot_signature",
                "only a v4 boot.img has a boot signature section",
            ));
        }
        let cmdline = text("cmdline", &self.cmdline, MAX_CMDLINE_V3)?;
        let os_version = version::encode(self.os_version, self.os_patch_level)?;
        let kernel_size = size_u32("kernel", &self.kernel)?;
        let ramdisk_size = size_u32("ramdisk", &self.ramdisk)?;
        let signature_size = size_u32("boot_signature", &self.boot_signature)?;

        let mut out = Out(Vec::with_capacity(
            (u64::from(page) * 3 + u64::from(kernel_size) + u64::from(ramdisk_size)) as usize,
        ));
        out.0.extend_from_slice(BOOT_MAGIC);
        out.u32(kernel_size);
        out.u32(ramdisk_size);
        out.u32(os_version);
        out.u32(if v == 3 {
            BOOT_IMAGE_HEADER_V3_SIZE
        } else {
            BOOT_IMAGE_HEADER_V4_SIZE
        });
        for reserved in [0; 4] {
            out.u32(reserved);
        }
        out.u32(v);
        out.cstr(cmdline, BOOT_ARGS_SIZE + BOOT_EXTRA_ARGS_SIZE);
        if v == 4 {
            out.u32(signature_size);
        }
        out.pad(page);

        out.section(&self.kernel, page);
        out.section(&self.ramdisk, page);
        out.section(&self.boot_signature, page);
        Ok(out.0)
    }
}

impl VendorBootImage {
    /// Lays the image out as mkbootimg does: header, vendor ramdisks back to
    /// back, DTB, then (v4) the vendor ramdisk table and bootconfig, each
    /// section padded to `page_size`.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let v = self.header_version;
        if !(3..=4).contains(&v) {
            return Err(Error::invalid_argument(
                "header_version",
                format!("vendor_boot header version {v} not supported (3 or 4)"),
            ));
        }
        check_page_size(self.page_size)?;
        let page = self.page_size;
        if v == 3 && self.ramdisks.len() > 1 {
            return Err(Error::invalid_argument(
                "ramdisks",
                "a v3 vendor_boot holds one vendor ramdisk; several need header version 4",
            ));
        }
        if v == 3 && !self.bootconfig.is_empty() {
            return Err(Error::invalid_argument(
                "bootconfig",
                "only a v4 vendor_boot has a bootconfig section",
            ));
        }
        let name = text("name", &self.name, BOOT_NAME_SIZE - 1)?;
        let cmdline = text("vendor cmdline", &self.cmdline, VENDOR_BOOT_ARGS_SIZE - 1)?;
        let dtb_size = size_u32("dtb", &self.dtb)?;
        let bootconfig_size = size_u32("bootconfig", &self.bootconfig)?;

        let mut table = Out(Vec::new());
        let mut offset = 0u64;
        for ramdisk in &self.ramdisks {
            let size = size_u32("vendor ramdisk", &ramdisk.data)?;
            let ramdisk_offset = u32::try_from(offset).map_err(|_| {
                Error::invalid_argument("vendor ramdisks", "together exceed a 32-bit size")
            })?;
            table.u32(size);
            table.u32(ramdisk_offset);
            table.u32(ramdisk.ramdisk_type);
            table.cstr(
                text("ramdisk name", &ramdisk.name, VENDOR_RAMDISK_NAME_SIZE - 1)?,
                VENDOR_RAMDISK_NAME_SIZE,
            );
            for word in ramdisk.board_id {
                table.u32(word);
            }
            offset += u64::from(size);
        }
        let vendor_ramdisk_size = u32::try_from(offset).map_err(|_| {
            Error::invalid_argument("vendor ramdisks", "together exceed a 32-bit size")
        })?;
        let entries = self.ramdisks.len() as u32;

        let mut out = Out(Vec::new());
        out.0.extend_from_slice(VENDOR_BOOT_MAGIC);
        for word in [
            v,
            page,
            self.kernel_addr,
            self.ramdisk_addr,
            vendor_ramdisk_size,
        ] {
            out.u32(word);
        }
        out.cstr(cmdline, VENDOR_BOOT_ARGS_SIZE);
        out.u32(self.tags_addr);
        out.cstr(name, BOOT_NAME_SIZE);
        out.u32(if v == 3 {
            VENDOR_BOOT_IMAGE_HEADER_V3_SIZE
        } else {
            VENDOR_BOOT_IMAGE_HEADER_V4_SIZE
        });
        out.u32(dtb_size);
        out.u64(self.dtb_addr);
        if v == 4 {
            out.u32(entries * VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE);
            out.u32(entries);
            out.u32(VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE);
            out.u32(bootconfig_size);
        }
        out.pad(page);

        for ramdisk in &self.ramdisks {
            out.0.extend_from_slice(&ramdisk.data);
        }
        out.pad(page);
        out.section(&self.dtb, page);
        if v == 4 {
            out.section(&table.0, page);
            out.section(&self.bootconfig, page);
        }
        Ok(out.0)
    }
}
