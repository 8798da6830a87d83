//! Read side: headers and images from bytes, every size and offset checked
//! against the input before it is used.

use super::{
    BOOT_ARGS_SIZE, BOOT_EXTRA_ARGS_SIZE, BOOT_IMAGE_HEADER_V3_PAGESIZE, BOOT_MAGIC,
    BOOT_NAME_SIZE, BootImage, BootImageHeader, VENDOR_BOOT_ARGS_SIZE, VENDOR_BOOT_MAGIC,
    VENDOR_RAMDISK_NAME_SIZE, VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE,
    VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE, VendorBootImage, VendorBootImageHeader, VendorRamdisk,
    VendorRamdiskTableEntry, pages, version,
};
use crate::{Error, Result};

const BOOT_FORMAT: &str = "boot image";
const VENDOR_FORMAT: &str = "vendor_boot image";

/// Bounds-checked little-endian field reader over a whole image.
struct Fields<'a> {
    bytes: &'a [u8],
    format: &'static str,
}

impl<'a> Fields<'a> {
    fn slice(&self, offset: u64, len: u64, field: &'static str) -> Result<&'a [u8]> {
        let end = offset.checked_add(len);
        let range = end
            .filter(|end| *end <= self.bytes.len() as u64)
            .and_then(|end| self.bytes.get(offset as usize..end as usize));
        range.ok_or_else(|| {
            Error::malformed(
                self.format,
                offset,
                field,
                format!(
                    "{len} bytes at offset {offset:#x} run past the end of the {}-byte input",
                    self.bytes.len()
                ),
            )
        })
    }

    fn u32(&self, offset: u64, field: &'static str) -> Result<u32> {
        let b = self.slice(offset, 4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, offset: u64, field: &'static str) -> Result<u64> {
        let b = self.slice(offset, 8, field)?;
        let mut word = [0u8; 8];
        word.copy_from_slice(b);
        Ok(u64::from_le_bytes(word))
    }

    /// A NUL-terminated string in a fixed buffer, up to its first NUL or its end.
    ///
    /// Text that is not UTF-8 is refused, as AOSP unpack_bootimg refuses it:
    /// replacing the bad bytes would make a parse/write round trip change the image.
    fn cstr(&self, offset: u64, len: usize, field: &'static str) -> Result<String> {
        let buf = self.slice(offset, len as u64, field)?;
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        match std::str::from_utf8(&buf[..end]) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => Err(Error::malformed(
                self.format,
                offset + e.valid_up_to() as u64,
                field,
                "text is not valid UTF-8",
            )),
        }
    }

    /// A section of `size` bytes at `offset`, named by the header field `field`
    /// found at `field_offset`: an error names that header field.
    fn section(
        &self,
        offset: u64,
        size: impl Into<u64>,
        field: &'static str,
        field_offset: u64,
    ) -> Result<Vec<u8>> {
        let size: u64 = size.into();
        if size == 0 {
            // An absent part has no position to check (it may sit past the end).
            return Ok(Vec::new());
        }
        Ok(self
            .slice_checked(offset, size, field, field_offset)?
            .to_vec())
    }

    /// Like [`Fields::section`] without copying.
    fn slice_checked(
        &self,
        offset: u64,
        size: u64,
        field: &'static str,
        field_offset: u64,
    ) -> Result<&'a [u8]> {
        let end = offset.saturating_add(size);
        if end > self.bytes.len() as u64 {
            return Err(Error::malformed(
                self.format,
                field_offset,
                field,
                format!(
                    "{size} bytes at image offset {offset:#x} run past the end of the {}-byte input",
                    self.bytes.len()
                ),
            ));
        }
        self.slice(offset, size, field)
    }

    fn magic(&self, want: &[u8; 8]) -> Result<()> {
        let found = self.slice(0, 8, "magic")?;
        if found != want {
            return Err(Error::malformed(
                self.format,
                0,
                "magic",
                format!(
                    "expected {:?}, found {:?}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(found)
                ),
            ));
        }
        Ok(())
    }

    fn page_size(&self, value: u32, offset: u64) -> Result<u64> {
        // Any non-zero size can be read (sections start at page multiples);
        // the cap keeps page arithmetic far from overflow.
        if value == 0 || value > 1 << 24 {
            return Err(Error::malformed(
                self.format,
                offset,
                "page_size",
                format!("{value} is not a usable page size"),
            ));
        }
        Ok(u64::from(value))
    }
}

impl BootImageHeader {
    /// Reads the header of a boot.img (any version) without its parts.
    pub fn parse(bytes: &[u8]) -> Result<BootImageHeader> {
        let f = Fields {
            bytes,
            format: BOOT_FORMAT,
        };
        f.magic(BOOT_MAGIC)?;

        let header_version = f.u32(40, "header_version")?;
        if header_version > 4 {
            return Err(Error::malformed(
                BOOT_FORMAT,
                40,
                "header_version",
                format!(
                    "{header_version:#x} is not a header version (0 to 4); old Qualcomm images \
                     keep the QCDT dt_size in this word, a layout kir does not read"
                ),
            ));
        }

        let mut h = BootImageHeader {
            header_version,
            kernel_size: f.u32(8, "kernel_size")?,
            ..BootImageHeader::default()
        };
        if header_version >= 3 {
            h.ramdisk_size = f.u32(12, "ramdisk_size")?;
            h.os_version = f.u32(16, "os_version")?;
            h.header_size = f.u32(20, "header_size")?;
            h.page_size = BOOT_IMAGE_HEADER_V3_PAGESIZE;
            h.cmdline = f.cstr(44, BOOT_ARGS_SIZE + BOOT_EXTRA_ARGS_SIZE, "cmdline")?;
            if header_version == 4 {
                h.signature_size = f.u32(1580, "signature_size")?;
            }
            return Ok(h);
        }

        h.kernel_addr = f.u32(12, "kernel_addr")?;
        h.ramdisk_size = f.u32(16, "ramdisk_size")?;
        h.ramdisk_addr = f.u32(20, "ramdisk_addr")?;
        h.second_size = f.u32(24, "second_size")?;
        h.second_addr = f.u32(28, "second_addr")?;
        h.tags_addr = f.u32(32, "tags_addr")?;
        h.page_size = f.u32(36, "page_size")?;
        f.page_size(h.page_size, 36)?;
        h.os_version = f.u32(44, "os_version")?;
        h.name = f.cstr(48, BOOT_NAME_SIZE, "name")?;
        h.cmdline = f.cstr(64, BOOT_ARGS_SIZE, "cmdline")?;
        h.id.copy_from_slice(f.slice(576, 32, "id")?);
        h.extra_cmdline = f.cstr(608, BOOT_EXTRA_ARGS_SIZE, "extra_cmdline")?;
        if header_version >= 1 {
            h.recovery_dtbo_size = f.u32(1632, "recovery_dtbo_size")?;
            h.recovery_dtbo_offset = f.u64(1636, "recovery_dtbo_offset")?;
            h.header_size = f.u32(1644, "header_size")?;
        }
        if header_version == 2 {
            h.dtb_size = f.u32(1648, "dtb_size")?;
            h.dtb_addr = f.u64(1652, "dtb_addr")?;
        }
        Ok(h)
    }
}

/// Where each part of a boot.img starts, as unpack_bootimg computes it:
/// header in one page, then each section page-aligned.
pub(crate) struct BootLayout {
    pub kernel: u64,
    pub ramdisk: u64,
    pub second: u64,
    pub dtb: u64,
    pub boot_signature: u64,
}

impl BootImageHeader {
    pub(crate) fn layout(&self) -> BootLayout {
        let page = u64::from(self.page_size.max(1));
        let kernel_pages = pages(u64::from(self.kernel_size), page);
        let ramdisk_pages = pages(u64::from(self.ramdisk_size), page);
        let second_pages = pages(u64::from(self.second_size), page);
        let dtbo_pages = pages(u64::from(self.recovery_dtbo_size), page);
        let after_ramdisk = page * (1 + kernel_pages + ramdisk_pages);
        BootLayout {
            kernel: page,
            ramdisk: page * (1 + kernel_pages),
            second: after_ramdisk,
            dtb: after_ramdisk + page * (second_pages + dtbo_pages),
            boot_signature: after_ramdisk,
        }
    }
}

impl BootImage {
    /// Parses a boot.img of header version 0 to 4.
    ///
    /// Errors name the header field and its offset when a size or offset
    /// points past the end of `bytes`, the magic is wrong, the page size is
    /// 0, or the version word holds something other than 0–4.
    pub fn parse(bytes: &[u8]) -> Result<BootImage> {
        let h = BootImageHeader::parse(bytes)?;
        let f = Fields {
            bytes,
            format: BOOT_FORMAT,
        };
        let at = h.layout();
        let (os_version, os_patch_level) = version::decode(h.os_version);
        let v3 = h.header_version >= 3;

        let kernel = f.section(at.kernel, h.kernel_size, "kernel_size", 8)?;
        let ramdisk = f.section(
            at.ramdisk,
            h.ramdisk_size,
            "ramdisk_size",
            if v3 { 12 } else { 16 },
        )?;
        let second = f.section(at.second, h.second_size, "second_size", 24)?;
        let recovery_dtbo = if h.recovery_dtbo_size > 0 || h.recovery_dtbo_offset > 0 {
            Some(f.section(
                h.recovery_dtbo_offset,
                h.recovery_dtbo_size,
                "recovery_dtbo_size",
                1632,
            )?)
        } else {
            None
        };
        let dtb = f.section(at.dtb, h.dtb_size, "dtb_size", 1648)?;
        let boot_signature =
            f.section(at.boot_signature, h.signature_size, "signature_size", 1580)?;

        let mut cmdline = h.cmdline;
        cmdline.push_str(&h.extra_cmdline);
        Ok(BootImage {
            header_version: h.header_version,
            page_size: h.page_size,
            kernel_addr: h.kernel_addr,
            ramdisk_addr: h.ramdisk_addr,
            second_addr: h.second_addr,
            tags_addr: h.tags_addr,
            dtb_addr: h.dtb_addr,
            os_version,
            os_patch_level,
            name: h.name,
            cmdline,
            kernel,
            ramdisk,
            second,
            recovery_dtbo,
            dtb,
            boot_signature,
        })
    }
}

impl VendorBootImageHeader {
    /// Reads the header of a vendor_boot.img (v3 or v4) and its v4 ramdisk table.
    pub fn parse(bytes: &[u8]) -> Result<VendorBootImageHeader> {
        let f = Fields {
            bytes,
            format: VENDOR_FORMAT,
        };
        f.magic(VENDOR_BOOT_MAGIC)?;

        let header_version = f.u32(8, "header_version")?;
        if !(3..=4).contains(&header_version) {
            return Err(Error::malformed(
                VENDOR_FORMAT,
                8,
                "header_version",
                format!("{header_version:#x} is not a vendor_boot header version (3 or 4)"),
            ));
        }
        let mut h = VendorBootImageHeader {
            header_version,
            page_size: f.u32(12, "page_size")?,
            kernel_addr: f.u32(16, "kernel_addr")?,
            ramdisk_addr: f.u32(20, "ramdisk_addr")?,
            vendor_ramdisk_size: f.u32(24, "vendor_ramdisk_size")?,
            cmdline: f.cstr(28, VENDOR_BOOT_ARGS_SIZE, "cmdline")?,
            tags_addr: f.u32(2076, "tags_addr")?,
            name: f.cstr(2080, BOOT_NAME_SIZE, "name")?,
            header_size: f.u32(2096, "header_size")?,
            dtb_size: f.u32(2100, "dtb_size")?,
            dtb_addr: f.u64(2104, "dtb_addr")?,
            ..VendorBootImageHeader::default()
        };
        f.page_size(h.page_size, 12)?;
        if header_version == 3 {
            return Ok(h);
        }

        h.vendor_ramdisk_table_size = f.u32(2112, "vendor_ramdisk_table_size")?;
        h.vendor_ramdisk_table_entry_num = f.u32(2116, "vendor_ramdisk_table_entry_num")?;
        h.vendor_ramdisk_table_entry_size = f.u32(2120, "vendor_ramdisk_table_entry_size")?;
        h.bootconfig_size = f.u32(2124, "bootconfig_size")?;
        if h.vendor_ramdisk_table_entry_size < VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE {
            return Err(Error::malformed(
                VENDOR_FORMAT,
                2120,
                "vendor_ramdisk_table_entry_size",
                format!(
                    "{} is smaller than a v4 entry ({VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE} bytes)",
                    h.vendor_ramdisk_table_entry_size
                ),
            ));
        }

        // The whole table must lie inside the input before any entry is read,
        // so a huge entry count is refused instead of looped over.
        let table = h.layout().table;
        let stride = u64::from(h.vendor_ramdisk_table_entry_size);
        let table_len = stride * u64::from(h.vendor_ramdisk_table_entry_num);
        f.slice_checked(table, table_len, "vendor_ramdisk_table_entry_num", 2116)?;

        for index in 0..u64::from(h.vendor_ramdisk_table_entry_num) {
            let at = table + index * stride;
            let mut entry = VendorRamdiskTableEntry {
                ramdisk_size: f.u32(at, "ramdisk_size")?,
                ramdisk_offset: f.u32(at + 4, "ramdisk_offset")?,
                ramdisk_type: f.u32(at + 8, "ramdisk_type")?,
                ramdisk_name: f.cstr(at + 12, VENDOR_RAMDISK_NAME_SIZE, "ramdisk_name")?,
                ..VendorRamdiskTableEntry::default()
            };
            for (i, word) in entry.board_id.iter_mut().enumerate() {
                *word = f.u32(at + 44 + 4 * i as u64, "board_id")?;
            }
            let end = u64::from(entry.ramdisk_offset) + u64::from(entry.ramdisk_size);
            if end > u64::from(h.vendor_ramdisk_size) {
                return Err(Error::malformed(
                    VENDOR_FORMAT,
                    at,
                    "ramdisk_size",
                    format!(
                        "vendor ramdisk {index} ({} bytes at {:#x}) runs past the {}-byte \
                         vendor ramdisk section",
                        entry.ramdisk_size, entry.ramdisk_offset, h.vendor_ramdisk_size
                    ),
                ));
            }
            h.vendor_ramdisk_table.push(entry);
        }
        Ok(h)
    }
}

/// Where each section of a vendor_boot.img starts, as unpack_bootimg computes it.
pub(crate) struct VendorLayout {
    pub ramdisk: u64,
    pub dtb: u64,
    pub table: u64,
    pub bootconfig: u64,
}

impl VendorBootImageHeader {
    pub(crate) fn layout(&self) -> VendorLayout {
        let page = u64::from(self.page_size.max(1));
        let header = page * pages(u64::from(self.header_size), page);
        let dtb = header + page * pages(u64::from(self.vendor_ramdisk_size), page);
        let table = dtb + page * pages(u64::from(self.dtb_size), page);
        let bootconfig = table + page * pages(u64::from(self.vendor_ramdisk_table_size), page);
        VendorLayout {
            ramdisk: header,
            dtb,
            table,
            bootconfig,
        }
    }
}

impl VendorBootImage {
    /// Parses a vendor_boot.img of header version 3 or 4.
    pub fn parse(bytes: &[u8]) -> Result<VendorBootImage> {
        let h = VendorBootImageHeader::parse(bytes)?;
        let f = Fields {
            bytes,
            format: VENDOR_FORMAT,
        };
        let at = h.layout();

        let section = f.section(at.ramdisk, h.vendor_ramdisk_size, "vendor_ramdisk_size", 24)?;
        let dtb = f.section(at.dtb, h.dtb_size, "dtb_size", 2100)?;
        let bootconfig = f.section(at.bootconfig, h.bootconfig_size, "bootconfig_size", 2124)?;

        let ramdisks = if h.header_version == 3 {
            vec![VendorRamdisk {
                data: section,
                ..VendorRamdisk::default()
            }]
        } else {
            h.vendor_ramdisk_table
                .iter()
                .map(|entry| {
                    // Entries were checked against the section when the table was read.
                    let start = entry.ramdisk_offset as usize;
                    let data = section
                        .get(start..start + entry.ramdisk_size as usize)
                        .unwrap_or_default()
                        .to_vec();
                    VendorRamdisk {
                        ramdisk_type: entry.ramdisk_type,
                        name: entry.ramdisk_name.clone(),
                        board_id: entry.board_id,
                        data,
                    }
                })
                .collect()
        };

        Ok(VendorBootImage {
            header_version: h.header_version,
            page_size: h.page_size,
            kernel_addr: h.kernel_addr,
            ramdisk_addr: h.ramdisk_addr,
            tags_addr: h.tags_addr,
            dtb_addr: h.dtb_addr,
            name: h.name,
            cmdline: h.cmdline,
            ramdisks,
            dtb,
            bootconfig,
        })
    }
}

/// Board id words are sixteen u32 after the 44-byte entry prefix.
const _: () = assert!(
    44 + 4 * VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE as u32 == VENDOR_RAMDISK_TABLE_ENTRY_V4_SIZE
);
