//! Recognising kernels: arm64 `Image`, 32-bit ARM `zImage`, either gzipped.
//!
//! KIR relied on `file` and otherwise took whatever it was handed; [`inspect`]
//! reads the boot header each format defines and refuses anything else, and
//! finds the release string (`6.1.0-50-arm64`) in the `Linux version` banner so
//! it can be compared with the modules.
//!
//! ```
//! use kir_core::kernel::{self, KernelFormat};
//!
//! let image = kernel::synthetic_arm64_image("6.1.0-demo", 4096);
//! let info = kernel::inspect(&image).unwrap();
//! assert_eq!(info.format, KernelFormat::Arm64Image);
//! assert_eq!(info.release.as_deref(), Some("6.1.0-demo"));
//! ```

use crate::compress::{self, Compression};
use crate::{Error, Result};

/// `ARM\x64` at offset 56 of an arm64 Image header (Documentation/arch/arm64/booting.rst).
const ARM64_MAGIC: u32 = 0x644d_5241;
const ARM64_HEADER_LEN: usize = 64;
/// zImage magic at offset 0x24 (Documentation/arch/arm/booting.rst).
const ZIMAGE_MAGIC: u32 = 0x016f_2818;
const ZIMAGE_MAGIC_AT: usize = 0x24;
const BANNER: &[u8] = b"Linux version ";
/// Compressed payloads tried when looking for a zImage's banner.
const ZIMAGE_PAYLOAD_TRIES: usize = 8;

/// The kind of kernel image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelFormat {
    /// arm64 `Image` with its 64-byte header.
    Arm64Image,
    /// 32-bit ARM self-decompressing `zImage`.
    ArmZImage,
}

impl std::fmt::Display for KernelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KernelFormat::Arm64Image => "arm64 Image",
            KernelFormat::ArmZImage => "ARM zImage",
        })
    }
}

/// What [`inspect`] found out about a kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelInfo {
    /// Image format (after removing any outer gzip).
    pub format: KernelFormat,
    /// Outer compression of the file as given: [`Compression::None`] or [`Compression::Gzip`].
    pub compression: Compression,
    /// arm64: `text_offset`; zImage: 0.
    pub text_offset: u64,
    /// arm64: `image_size` (memory the kernel needs); zImage: `end - start`.
    pub image_size: u64,
    /// arm64: `flags` (endianness, page size, placement); zImage: 0.
    pub flags: u64,
    /// arm64 Image that is also a PE/COFF file (EFI stub, starts with `MZ`).
    pub efi_stub: bool,
    /// Release from the `Linux version` banner, when it could be found.
    pub release: Option<String>,
    /// Size of the uncompressed image in bytes.
    pub uncompressed_size: usize,
}

/// Identifies `data` as an arm64 Image, an ARM zImage, or a gzip of either,
/// and reads its release string. Anything else is an [`Error::Check`].
pub fn inspect(data: &[u8]) -> Result<KernelInfo> {
    let compression = compress::sniff(data);
    let plain = match compression {
        Compression::None => std::borrow::Cow::Borrowed(data),
        Compression::Gzip => std::borrow::Cow::Owned(compress::decompress(data)?),
        other => {
            return Err(Error::Check {
                input: "kernel".into(),
                reason: format!(
                    "{other}-compressed; expected an arm64 Image, an ARM zImage or a gzip of one"
                ),
            });
        }
    };
    let mut info = inspect_plain(&plain)?;
    info.compression = compression;
    Ok(info)
}

fn inspect_plain(data: &[u8]) -> Result<KernelInfo> {
    if let Some(header) = data.get(..ARM64_HEADER_LEN) {
        if le32(header, 56) == ARM64_MAGIC {
            return Ok(KernelInfo {
                format: KernelFormat::Arm64Image,
                compression: Compression::None,
                text_offset: le64(header, 8),
                image_size: le64(header, 16),
                flags: le64(header, 24),
                efi_stub: header.starts_with(b"MZ"),
                release: find_release(data),
                uncompressed_size: data.len(),
            });
        }
    }
    if let Some(header) = data.get(..ZIMAGE_MAGIC_AT + 12) {
        if le32(header, ZIMAGE_MAGIC_AT) == ZIMAGE_MAGIC {
            let start = u64::from(le32(header, 0x28));
            let end = u64::from(le32(header, 0x2c));
            if end < start {
                return Err(Error::malformed(
                    "zImage",
                    0x2c,
                    "end",
                    format!("{end:#x} is before start {start:#x}"),
                ));
            }
            return Ok(KernelInfo {
                format: KernelFormat::ArmZImage,
                compression: Compression::None,
                text_offset: 0,
                image_size: end - start,
                flags: 0,
                efi_stub: false,
                release: find_release(data).or_else(|| zimage_release(data)),
                uncompressed_size: data.len(),
            });
        }
    }
    Err(Error::Check {
        input: "kernel".into(),
        reason: format!(
            "not an arm64 Image (no ARM\\x64 magic at offset 0x38) nor an ARM zImage (no \
             0x016f2818 at offset 0x24); {} bytes starting {:02x?}",
            data.len(),
            &data[..data.len().min(8)]
        ),
    })
}

/// The release in the first `Linux version <release> ` banner of `data`.
pub fn find_release(data: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(at) = find(&data[from..], BANNER) {
        let start = from + at + BANNER.len();
        let tail = &data[start..data.len().min(start + 128)];
        let len = tail
            .iter()
            .position(|&b| b == b' ' || b == 0 || b == b'\n')
            .unwrap_or(tail.len());
        let candidate = &tail[..len];
        if candidate.first().is_some_and(u8::is_ascii_digit)
            && candidate.iter().all(|b| b.is_ascii_graphic())
        {
            return std::str::from_utf8(candidate).ok().map(str::to_string);
        }
        from = start;
    }
    None
}

/// A zImage carries the real kernel compressed inside; try the first few
/// gzip and xz streams found in it for the banner.
fn zimage_release(data: &[u8]) -> Option<String> {
    let magics: [&[u8]; 2] = [&[0x1f, 0x8b, 0x08], &[0xfd, b'7', b'z', b'X', b'Z', 0]];
    let mut tries = 0;
    for magic in magics {
        let mut from = 0;
        while let Some(at) = find(&data[from..], magic) {
            let start = from + at;
            tries += 1;
            if tries > ZIMAGE_PAYLOAD_TRIES {
                return None;
            }
            if let Ok((plain, _)) = compress::decompress_member(&data[start..]) {
                if let Some(release) = find_release(&plain) {
                    return Some(release);
                }
            }
            from = start + 1;
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        v.copy_from_slice(s);
    }
    u32::from_le_bytes(v)
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        v.copy_from_slice(s);
    }
    u64::from_le_bytes(v)
}

/// A small arm64 Image that passes [`inspect`]: a 64-byte header (text_offset
/// 0, flags 0xa as Debian's kernels, `image_size` = `size`), the banner with
/// `release`, and a deterministic filler up to `size` bytes. For demos and
/// tests; it boots nothing.
pub fn synthetic_arm64_image(release: &str, size: usize) -> Vec<u8> {
    let banner = format!(
        "Linux version {release} (kir@demo) (synthetic) #1 SMP PREEMPT Thu Jan  1 00:00:00 UTC 1970\n\0"
    );
    let size = size.max(ARM64_HEADER_LEN + banner.len());
    let mut image = Vec::with_capacity(size);
    image.extend_from_slice(b"MZ\0\0");
    image.extend_from_slice(&[0x00, 0x00, 0x00, 0x14]); // code1: a branch-shaped word
    image.extend_from_slice(&0u64.to_le_bytes()); // text_offset
    image.extend_from_slice(&(size as u64).to_le_bytes()); // image_size
    image.extend_from_slice(&0xau64.to_le_bytes()); // flags: LE, 4K pages, anywhere
    image.extend_from_slice(&[0u8; 24]); // res2..res4
    image.extend_from_slice(&ARM64_MAGIC.to_le_bytes());
    image.extend_from_slice(&0u32.to_le_bytes()); // PE header offset (none)
    image.extend_from_slice(banner.as_bytes());
    let mut x: u32 = 0x1234_5678;
    while image.len() < size {
        // xorshift: varied but compressible bytes
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image.push((x & 0x0f) as u8);
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzipped_image_reports_gzip_and_release() {
        let image = synthetic_arm64_image("6.12.0-test", 10_000);
        let info = inspect(&compress::gzip(&image, 6)).unwrap();
        assert_eq!(info.compression, Compression::Gzip);
        assert_eq!(info.format, KernelFormat::Arm64Image);
        assert_eq!(info.release.as_deref(), Some("6.12.0-test"));
        assert_eq!(info.flags, 0xa);
        assert!(info.efi_stub);
    }

    #[test]
    fn zimage_header_is_recognised() {
        let mut z = vec![0u8; 0x400];
        z[0x24..0x28].copy_from_slice(&ZIMAGE_MAGIC.to_le_bytes());
        z[0x2c..0x30].copy_from_slice(&0x400u32.to_le_bytes());
        let info = inspect(&z).unwrap();
        assert_eq!(info.format, KernelFormat::ArmZImage);
        assert_eq!(info.image_size, 0x400);
        assert_eq!(info.release, None);
    }

    #[test]
    fn other_data_is_refused_with_a_reason() {
        let err =
            inspect(b"\x7fELF not a kernel image at all, sorry, no magic here....................")
                .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Check);
        assert!(err.to_string().contains("not an arm64 Image"), "{err}");
        assert!(inspect(&[]).is_err());
        assert!(inspect(&compress::gzip(b"short", 6)).is_err());
    }

    #[test]
    fn banner_without_a_version_number_is_ignored() {
        let data = b"xx Linux version %s (compiler)\0 Linux version 5.10.0-x (b)";
        assert_eq!(find_release(data).as_deref(), Some("5.10.0-x"));
    }
}
