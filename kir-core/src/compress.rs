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
/// returned as is. Concatenated members are all decoded, one after the other,
/// as `gzip -d`, `xz -d`, `zstd -d` and `lz4 -d` do: gzip members, xz streams
/// (with their zero padding), zstd frames, lz4 frames. Bytes after the last
/// member that are not zero padding are an error naming their offset.
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
        Compression::Xz => {
            let mut out = Vec::new();
            lzma_rust2::XzReader::new(data, true)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("xz", e))?;
            Ok(out)
        }
        first => {
            let mut out = Vec::new();
            let mut pos = 0usize;
            while pos < data.len() && sniff(&data[pos..]) == first {
                let (part, used) = decompress_member(&data[pos..]).map_err(|e| e.shifted(pos))?;
                out.extend_from_slice(&part);
                // A member always uses at least its magic; guard anyway.
                pos += used.max(1);
            }
            if let Some(extra) = data[pos..].iter().position(|&b| b != 0) {
                return Err(Error::malformed(
                    first.name(),
                    (pos + extra) as u64,
                    "trailing data",
                    format!("bytes after the last {first} frame that are not another frame"),
                ));
            }
            log::debug!(
                "decompressed {} bytes of {first} into {}",
                data.len(),
                out.len()
            );
            Ok(out)
        }
    }
}

/// Decompresses the first compressed stream of `data` and tells how many input
/// bytes it used, so a caller can go on with what follows (a multi-member
/// initramfs, as the kernel's unpacker reads it): one gzip member, one xz
/// stream, one zstd frame, one lz4 frame, or an lz4 legacy stream up to a zero
/// block size or the end of `data` (the legacy format has no end mark).
/// Uncompressed input is an error: there is no stream to find.
pub fn decompress_member(data: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    // Each decoder reads from `rest`, which moves past what it consumed.
    let mut rest: &[u8] = data;
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
            let mut decoder = flate2::bufread::GzDecoder::new(&mut rest);
            decoder
                .read_to_end(&mut out)
                .map_err(|e| stream_error("gzip", e))?;
        }
        Compression::Xz => {
            lzma_rust2::XzReader::new(&mut rest, false)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("xz", e))?;
        }
        Compression::Zstd => {
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut rest)
                .map_err(|e| Error::malformed("zstd", 0, "frame header", e.to_string()))?;
            decoder
                .read_to_end(&mut out)
                .map_err(|e| stream_error("zstd", e))?;
        }
        Compression::Lz4Legacy => {
            let (plain, used) = lz4_legacy(data)?;
            return Ok((plain, used));
        }
        Compression::Lz4Frame => {
            lz4_flex::frame::FrameDecoder::new(&mut rest)
                .read_to_end(&mut out)
                .map_err(|e| stream_error("lz4", e))?;
            let used = data.len() - rest.len();
            lz4_frame_ended(data, used)?;
        }
    }
    Ok((out, data.len() - rest.len()))
}

/// lz4_flex ends a frame quietly when the input stops between two blocks; a
/// whole frame ends with a zero end mark (then the content checksum when the
/// header's FLG byte announces one).
fn lz4_frame_ended(data: &[u8], used: usize) -> Result<()> {
    let checksum = data.get(4).is_some_and(|flg| flg & 0x04 != 0);
    let mark = used
        .checked_sub(if checksum { 8 } else { 4 })
        .filter(|&at| at >= 7);
    match mark {
        Some(at) if data[at..at + 4] == [0, 0, 0, 0] => Ok(()),
        _ => Err(Error::malformed(
            "lz4",
            used as u64,
            "end mark",
            "the frame stops before its end mark (truncated)",
        )),
    }
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
/// frames); the stream ends at the end of input or at a zero size (padding
/// before a next archive), whose offset is returned as the bytes used.
fn lz4_legacy(data: &[u8]) -> Result<(Vec<u8>, usize)> {
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
            return Ok((out, pos));
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
    if data[pos..].iter().any(|&b| b != 0) {
        return Err(Error::malformed(
            "lz4 legacy",
            pos as u64,
            "block size",
            format!("{} bytes left, too few for a block size", data.len() - pos),
        ));
    }
    Ok((out, pos))
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

    /// An lz4 legacy stream of `data`, split into blocks of `block` bytes.
    fn legacy(data: &[u8], block: usize) -> Vec<u8> {
        let mut out = LZ4_LEGACY_MAGIC.to_vec();
        for chunk in data.chunks(block) {
            let packed = lz4_flex::block::compress(chunk);
            out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            out.extend_from_slice(&packed);
        }
        out
    }

    fn lz4_frame(data: &[u8]) -> Vec<u8> {
        let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 / 5 % 251) as u8).collect()
    }

    #[test]
    fn lz4_legacy_blocks_decompress_and_end_at_a_zero_size() {
        let data = sample(100_000);
        let packed = legacy(&data, 30_000);
        assert_eq!(decompress(&packed).unwrap(), data);
        let mut padded = packed.clone();
        padded.extend_from_slice(&[0; 8]);
        padded.extend_from_slice(&gzip(b"next", 9));
        let (plain, used) = decompress_member(&padded).unwrap();
        assert_eq!((plain, used), (data.clone(), packed.len()));
        // Two legacy streams back to back are one stream: the magic may recur.
        let mut two = packed.clone();
        two.extend_from_slice(&legacy(b"more", 4));
        let mut both = data;
        both.extend_from_slice(b"more");
        assert_eq!(decompress(&two).unwrap(), both);
    }

    #[test]
    fn lz4_frame_member_reports_its_end_and_frames_concatenate() {
        let first = lz4_frame(&sample(70_000));
        let mut data = first.clone();
        data.extend_from_slice(&gzip(b"after", 9));
        let (plain, used) = decompress_member(&data).unwrap();
        assert_eq!((plain, used), (sample(70_000), first.len()));
        let mut two = first.clone();
        two.extend_from_slice(&lz4_frame(b"second frame"));
        let mut want = sample(70_000);
        want.extend_from_slice(b"second frame");
        assert_eq!(decompress(&two).unwrap(), want);
        let err = decompress(&data).unwrap_err();
        assert!(err.to_string().contains("trailing data"), "{err}");
    }

    #[test]
    fn every_truncated_lz4_frame_is_an_error() {
        let packed = lz4_frame(&sample(200_000));
        // From the magic on (shorter input has no magic: it is not lz4).
        for cut in 4..packed.len() {
            assert!(
                decompress(&packed[..cut]).is_err(),
                "cut at {cut} of {}",
                packed.len()
            );
        }
    }
}
