//! The compressions found around kernels and initramfs archives.
//!
//! [`sniff`] tells a compression from its magic bytes (what `file` did for
//! KIR), [`decompress`] undoes any of them, and [`gzip`] writes the one
//! compression kir produces: deterministic gzip, with no file name and a zero
//! modification time, so the same input always gives the same bytes.
//!
//! ```
//! use kir_core::compress::{self, Compression};
//!
//! let packed = compress::gzip(b"hello initramfs", 9);
//! assert_eq!(compress::sniff(&packed), Compression::Gzip);
//! assert_eq!(compress::decompress(&packed).unwrap(), b"hello initramfs");
//! assert_eq!(packed, compress::gzip(b"hello initramfs", 9));
//! ```

use std::io::{Read, Write};

use crate::{Error, Result};

/// gzip member magic with the deflate method byte (RFC 1952 ID1 ID2 CM).
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];
/// xz stream header magic.
const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0x00];
/// zstd frame magic 0xFD2FB528, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// LZ4 legacy frame magic 0x184C2102 (what the kernel's `lz4 -l` initrds use).
const LZ4_LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];
/// LZ4 frame format magic 0x184D2204.
const LZ4_FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
/// Largest block of the LZ4 legacy format: each block expands to at most 8 MiB.
const LZ4_LEGACY_BLOCK: usize = 8 << 20;

/// A compression format, as told by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// No known compression magic.
    None,
    /// gzip (RFC 1952), possibly several members back to back.
    Gzip,
    /// xz.
    Xz,
    /// Zstandard.
    Zstd,
    /// LZ4 legacy frame (`lz4 -l`, the kernel's initramfs flavour).
    Lz4Legacy,
    /// LZ4 frame format.
    Lz4Frame,
}

impl Compression {
    /// Short lower-case name (`gzip`, `xz`, ...; `none` when uncompressed).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Lz4Legacy => "lz4 (legacy)",
            Compression::Lz4Frame => "lz4",
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Tells the compression of `data` from its first bytes.
pub fn sniff(data: &[u8]) -> Compression {
    if data.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if data.starts_with(&XZ_MAGIC) {
        Compression::Xz
    } else if data.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else if data.starts_with(&LZ4_LEGACY_MAGIC) {
        Compression::Lz4Legacy
    } else if data.starts_with(&LZ4_FRAME_MAGIC) {
        Compression::Lz4Frame
    } else {
        Compression::None
    }
}

/// Decompresses `data` whole, whatever its compression; uncompressed input is
/// returned as is. Concatenated gzip members are all decoded, one after the
/// other, as `gzip -d` does.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    match sniff(data) {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("gzip", e))?;
            Ok(out)
        }
        other => {
            let (out, _) = decompress_member(data)?;
            log::debug!(
                "decompressed {} bytes of {other} into {}",
                data.len(),
                out.len()
            );
            Ok(out)
        }
    }
}

/// Decompresses the first compressed stream of `data` and tells how many input
/// bytes it used, so a caller can go on with what follows (a multi-member
/// initramfs). Uncompressed input is an error: there is no stream to find.
///
// Limitation: only gzip members report their exact end. An xz, zstd or lz4
// stream is taken to run to the end of `data`, so an initramfs in which such a
// stream is followed by further archives is read as that one stream.
pub fn decompress_member(data: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    match sniff(data) {
        Compression::None => {
            return Err(Error::malformed(
                "compressed stream",
                0,
                "magic",
                "no gzip, xz, zstd or lz4 magic",
            ));
        }
        Compression::Gzip => {
            let mut rest: &[u8] = data;
            let mut decoder = flate2::bufread::GzDecoder::new(&mut rest);
            decoder
                .read_to_end(&mut out)
                .map_err(|e| stream_error("gzip", e))?;
            drop(decoder);
            return Ok((out, data.len() - rest.len()));
        }
        Compression::Xz => {
            lzma_rust2::XzReader::new(data, true)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("xz", e))?;
        }
        Compression::Zstd => {
            let mut input: &[u8] = data;
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut input)
                .map_err(|e| Error::malformed("zstd", 0, "frame header", e.to_string()))?;
            decoder
                .read_to_end(&mut out)
                .map_err(|e| stream_error("zstd", e))?;
        }
        Compression::Lz4Legacy => out = lz4_legacy(data)?,
        Compression::Lz4Frame => {
            lz4_flex::frame::FrameDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("lz4", e))?;
        }
    }
    Ok((out, data.len()))
}

/// Compresses `data` as one gzip member with no file name, modification time
/// 0 and OS byte "Unix": what `gzip -n` writes, so output depends only on the
/// input and `level` (0–9, clamped).
pub fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new().mtime(0).operating_system(3).write(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::new(level.min(9)),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// LZ4 legacy format: magic, then blocks of `le32 compressed size` + data,
/// each expanding to at most 8 MiB. The magic may recur (concatenated legacy
/// frames); the stream ends at the end of input or at a zero size.
fn lz4_legacy(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut block = vec![0u8; LZ4_LEGACY_BLOCK];
    let mut pos = LZ4_LEGACY_MAGIC.len();
    while pos + 4 <= data.len() {
        let field: [u8; 4] = [data[pos], data[pos + 1], data[pos + 2], data[pos + 3]];
        if field == LZ4_LEGACY_MAGIC {
            pos += 4;
            continue;
        }
        let size = u32::from_le_bytes(field) as usize;
        if size == 0 {
            break;
        }
        let start = pos + 4;
        let end = start
            .checked_add(size)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| {
                Error::malformed(
                    "lz4 legacy",
                    pos as u64,
                    "block size",
                    format!(
                        "{size} bytes run past the end of the input ({} bytes)",
                        data.len()
                    ),
                )
            })?;
        let n = lz4_flex::block::decompress_into(&data[start..end], &mut block)
            .map_err(|e| Error::malformed("lz4 legacy", start as u64, "block", e.to_string()))?;
        out.extend_from_slice(&block[..n]);
        pos = end;
    }
    Ok(out)
}

fn stream_error(format: &'static str, e: std::io::Error) -> Error {
    Error::malformed(format, 0, "stream", e.to_string())
}

/// Reads a whole stream into memory after decompressing it if its first bytes
/// carry a known magic; used for tarballs that may be plain or compressed.
pub(crate) fn read_maybe_compressed(data: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    match sniff(data) {
        Compression::None => Ok(std::borrow::Cow::Borrowed(data)),
        _ => decompress(data).map(std::borrow::Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_output_has_no_name_and_zero_mtime() {
        let packed = gzip(b"abc", 6);
        // FLG byte 3: no FNAME; MTIME bytes 4..8: zero; OS byte 9: Unix.
        assert_eq!(packed[3], 0);
        assert_eq!(&packed[4..8], &[0, 0, 0, 0]);
        assert_eq!(packed[9], 3);
    }

    #[test]
    fn concatenated_gzip_members_decompress_to_both_payloads() {
        let mut two = gzip(b"first ", 9);
        let first_len = two.len();
        two.extend_from_slice(&gzip(b"second", 1));
        assert_eq!(decompress(&two).unwrap(), b"first second");
        let (one, used) = decompress_member(&two).unwrap();
        assert_eq!(one, b"first ");
        assert_eq!(used, first_len);
    }

    #[test]
    fn sniff_tells_each_magic() {
        assert_eq!(
            sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0, 1]),
            Compression::Xz
        );
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff(&[0x02, 0x21, 0x4c, 0x18]), Compression::Lz4Legacy);
        assert_eq!(sniff(&[0x04, 0x22, 0x4d, 0x18]), Compression::Lz4Frame);
        assert_eq!(sniff(b"070701"), Compression::None);
        assert_eq!(sniff(&[0x1f, 0x8b]), Compression::None);
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let packed = gzip(&[7u8; 1000], 9);
        for cut in [3, 10, packed.len() / 2, packed.len() - 1] {
            assert!(decompress(&packed[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn lz4_legacy_block_size_past_end_is_reported() {
        let mut data = LZ4_LEGACY_MAGIC.to_vec();
        data.extend_from_slice(&1000u32.to_le_bytes());
        data.extend_from_slice(&[0u8; 10]);
        let err = decompress(&data).unwrap_err();
        assert!(err.to_string().contains("block size"), "{err}");
    }
}
