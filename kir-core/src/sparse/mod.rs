//! Android sparse images (libsparse format, as flashed by fastboot).
//!
//! A sparse image is a 28-byte file header followed by chunks. Each chunk
//! covers a run of output blocks and is one of: RAW (the data follows), FILL
//! (a 4-byte pattern repeated over the blocks), DONT_CARE (nothing is written;
//! the flash keeps whatever it had) or CRC32 (a checksum of the output so far).
//!
//! - [`SparseWriter`] streams an image into any `Write + Seek` sink. Bytes fed
//!   through [`std::io::Write`] are classified block by block exactly as AOSP
//!   `img2simg` does, so [`encode_file`] reproduces its output byte for byte;
//!   [`SparseWriter::skip_blocks`] and [`SparseWriter::fill_blocks`] add
//!   DONT_CARE and FILL runs the caller already knows about (free space of a
//!   file system being written).
//! - [`decode`] expands an image, checking every size, the block total and the
//!   checksums; [`verify`] makes the same checks writing nothing;
//!   [`inspect`] lists its chunks.
//!
//! ```
//! use std::io::{Cursor, Write};
//! use kir_core::sparse::{self, EncodeOptions, SparseWriter};
//!
//! let mut w = SparseWriter::new(Cursor::new(Vec::new()), &EncodeOptions::default())?;
//! w.write_all(&[7u8; 4096])?; // one block of a repeated pattern: FILL
//! w.skip_blocks(3)?; // known-free space: DONT_CARE
//! w.write_all(b"tail")?; // a partial last block: RAW, zero padded
//! let image = w.finish()?.into_inner();
//!
//! let mut raw = Cursor::new(Vec::new());
//! let summary = sparse::decode(&image[..], &mut raw, &Default::default())?;
//! assert_eq!(summary.header.total_blks, 5);
//! assert_eq!(summary.chunks, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decode;
mod encode;
mod holes;

pub use decode::{ChunkInfo, DecodeOptions, DecodeSummary, decode, decode_file, inspect, verify};
pub use encode::{EncodeOptions, HolePolicy, SparseWriter, encode_file, encode_reader};

use crate::{Error, Result};

/// `magic` of the file header.
pub const SPARSE_HEADER_MAGIC: u32 = 0xED26_FF3A;
/// `major_version` this crate reads and writes.
pub const MAJOR_VERSION: u16 = 1;
/// `file_hdr_sz` written by this crate (readers accept larger values).
pub const FILE_HEADER_LEN: u16 = 28;
/// `chunk_hdr_sz` written by this crate (readers accept larger values).
pub const CHUNK_HEADER_LEN: u16 = 12;
/// `chunk_type` of a RAW chunk.
pub const CHUNK_TYPE_RAW: u16 = 0xCAC1;
/// `chunk_type` of a FILL chunk.
pub const CHUNK_TYPE_FILL: u16 = 0xCAC2;
/// `chunk_type` of a DONT_CARE chunk.
pub const CHUNK_TYPE_DONT_CARE: u16 = 0xCAC3;
/// `chunk_type` of a CRC32 chunk.
pub const CHUNK_TYPE_CRC32: u16 = 0xCAC4;
/// `blk_sz` img2simg uses when none is given.
pub const DEFAULT_BLOCK_SIZE: u32 = 4096;

const FORMAT: &str = "android sparse";

/// The file header (`sparse_header_t`), all fields little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SparseHeader {
    /// Format major version; only 1 exists.
    pub major_version: u16,
    /// Format minor version; 0 in practice, not interpreted.
    pub minor_version: u16,
    /// Size of this header in bytes, at least 28; extra bytes are skipped.
    pub file_hdr_sz: u16,
    /// Size of each chunk header in bytes, at least 12; extra bytes are skipped.
    pub chunk_hdr_sz: u16,
    /// Block size in bytes, a non-zero multiple of 4.
    pub blk_sz: u32,
    /// Number of blocks of the expanded image.
    pub total_blks: u32,
    /// Number of chunks that follow.
    pub total_chunks: u32,
    /// CRC-32 (IEEE) of the expanded image, 0 when unused.
    pub image_checksum: u32,
}

impl SparseHeader {
    /// Parses and checks the fixed 28 bytes at the start of an image.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let field = |offset: usize, name: &'static str, len: usize| -> Result<&[u8]> {
            bytes.get(offset..offset + len).ok_or_else(|| {
                Error::malformed(FORMAT, offset as u64, name, "file ends inside the header")
            })
        };
        let u16_at = |offset, name| -> Result<u16> {
            let b = field(offset, name, 2)?;
            Ok(u16::from_le_bytes([b[0], b[1]]))
        };
        let u32_at = |offset, name| -> Result<u32> {
            let b = field(offset, name, 4)?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };

        let magic = u32_at(0, "magic")?;
        if magic != SPARSE_HEADER_MAGIC {
            return Err(Error::malformed(
                FORMAT,
                0,
                "magic",
                format!("{magic:#010x} is not {SPARSE_HEADER_MAGIC:#010x}"),
            ));
        }
        let header = SparseHeader {
            major_version: u16_at(4, "major_version")?,
            minor_version: u16_at(6, "minor_version")?,
            file_hdr_sz: u16_at(8, "file_hdr_sz")?,
            chunk_hdr_sz: u16_at(10, "chunk_hdr_sz")?,
            blk_sz: u32_at(12, "blk_sz")?,
            total_blks: u32_at(16, "total_blks")?,
            total_chunks: u32_at(20, "total_chunks")?,
            image_checksum: u32_at(24, "image_checksum")?,
        };
        header.check()?;
        Ok(header)
    }

    fn check(&self) -> Result<()> {
        if self.major_version != MAJOR_VERSION {
            return Err(Error::malformed(
                FORMAT,
                4,
                "major_version",
                format!("version {} is not supported (only 1)", self.major_version),
            ));
        }
        if self.file_hdr_sz < FILE_HEADER_LEN {
            return Err(Error::malformed(
                FORMAT,
                8,
                "file_hdr_sz",
                format!("{} is smaller than {FILE_HEADER_LEN}", self.file_hdr_sz),
            ));
        }
        if self.chunk_hdr_sz < CHUNK_HEADER_LEN {
            return Err(Error::malformed(
                FORMAT,
                10,
                "chunk_hdr_sz",
                format!("{} is smaller than {CHUNK_HEADER_LEN}", self.chunk_hdr_sz),
            ));
        }
        if self.blk_sz == 0 || self.blk_sz % 4 != 0 {
            return Err(Error::malformed(
                FORMAT,
                12,
                "blk_sz",
                format!("{} is not a non-zero multiple of 4", self.blk_sz),
            ));
        }
        Ok(())
    }

    /// Size in bytes of the expanded image.
    pub fn expanded_len(&self) -> u64 {
        u64::from(self.total_blks) * u64::from(self.blk_sz)
    }

    /// The header as written to a file (28 bytes, `file_hdr_sz` bytes of it
    /// are meaningful only when `file_hdr_sz` is 28).
    pub fn to_bytes(&self) -> [u8; 28] {
        let mut b = [0u8; 28];
        b[0..4].copy_from_slice(&SPARSE_HEADER_MAGIC.to_le_bytes());
        b[4..6].copy_from_slice(&self.major_version.to_le_bytes());
        b[6..8].copy_from_slice(&self.minor_version.to_le_bytes());
        b[8..10].copy_from_slice(&self.file_hdr_sz.to_le_bytes());
        b[10..12].copy_from_slice(&self.chunk_hdr_sz.to_le_bytes());
        b[12..16].copy_from_slice(&self.blk_sz.to_le_bytes());
        b[16..20].copy_from_slice(&self.total_blks.to_le_bytes());
        b[20..24].copy_from_slice(&self.total_chunks.to_le_bytes());
        b[24..28].copy_from_slice(&self.image_checksum.to_le_bytes());
        b
    }
}

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseChunk {
    /// `chunk_sz` blocks of data follow the header.
    Raw,
    /// The 4-byte pattern (little-endian value as stored) fills every block.
    Fill(u32),
    /// The blocks are not written.
    DontCare,
    /// CRC-32 of the expanded image up to this point; covers no blocks.
    Crc32(u32),
}

/// Encodes a chunk header (`chunk_header_t`, 12 bytes).
fn chunk_header(chunk_type: u16, chunk_sz: u32, total_sz: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0..2].copy_from_slice(&chunk_type.to_le_bytes());
    b[4..8].copy_from_slice(&chunk_sz.to_le_bytes());
    b[8..12].copy_from_slice(&total_sz.to_le_bytes());
    b
}

/// CRC-32 state of `block` repeated `count` times, built by doubling so a
/// large FILL or DONT_CARE run costs O(log count) instead of hashing it all.
fn crc_of_repeated(block: &[u8], mut count: u64) -> crc32fast::Hasher {
    let mut result = crc32fast::Hasher::new();
    let mut power = crc32fast::Hasher::new();
    power.update(block);
    while count > 0 {
        if count & 1 == 1 {
            result.combine(&power);
        }
        count >>= 1;
        if count > 0 {
            let copy = power.clone();
            power.combine(&copy);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_block_crc_equals_hashing_every_copy() {
        let block: Vec<u8> = (0..64u8).collect();
        for count in [0u64, 1, 2, 3, 7, 64, 100] {
            let mut direct = crc32fast::Hasher::new();
            for _ in 0..count {
                direct.update(&block);
            }
            assert_eq!(
                crc_of_repeated(&block, count).finalize(),
                direct.finalize(),
                "{count}"
            );
        }
    }

    #[test]
    fn header_round_trips_through_bytes() {
        let h = SparseHeader {
            major_version: 1,
            minor_version: 0,
            file_hdr_sz: 28,
            chunk_hdr_sz: 12,
            blk_sz: 4096,
            total_blks: 9,
            total_chunks: 3,
            image_checksum: 0xdead_beef,
        };
        assert_eq!(SparseHeader::parse(&h.to_bytes()).unwrap(), h);
    }

    #[test]
    fn header_with_zero_block_size_is_refused_naming_blk_sz() {
        let mut b = SparseHeader {
            major_version: 1,
            minor_version: 0,
            file_hdr_sz: 28,
            chunk_hdr_sz: 12,
            blk_sz: 4096,
            total_blks: 0,
            total_chunks: 0,
            image_checksum: 0,
        }
        .to_bytes();
        b[12..16].copy_from_slice(&0u32.to_le_bytes());
        let e = SparseHeader::parse(&b).unwrap_err().to_string();
        assert!(e.contains("blk_sz"), "{e}");
    }
}
