//! Reading sparse images: chunk walking with every size checked, expansion,
//! checksum verification.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{
    CHUNK_HEADER_LEN, CHUNK_TYPE_CRC32, CHUNK_TYPE_DONT_CARE, CHUNK_TYPE_FILL, CHUNK_TYPE_RAW,
    FILE_HEADER_LEN, FORMAT, SparseChunk, SparseHeader, crc_of_repeated,
};
use crate::{Error, Result};

/// Bytes moved per read or write while expanding.
const COPY_CHUNK: usize = 1 << 20;

/// Options of [`decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Check CRC32 chunks and a non-zero `image_checksum` against the
    /// expanded data (DONT_CARE blocks count as zeros, as in libsparse).
    pub verify_checksums: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            verify_checksums: true,
        }
    }
}

/// One chunk as found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Position in the chunk list, from 0.
    pub index: u32,
    /// Offset of the chunk header in the file.
    pub header_offset: u64,
    /// Offset of the chunk's payload (after `chunk_hdr_sz` bytes of header).
    pub data_offset: u64,
    /// Payload bytes (`total_sz - chunk_hdr_sz`).
    pub data_len: u64,
    /// Kind and value.
    pub chunk: SparseChunk,
    /// First output block the chunk covers.
    pub first_block: u64,
    /// `chunk_sz`: output blocks covered.
    pub blocks: u32,
    /// The 12 standard header bytes as stored.
    pub raw_header: [u8; 12],
}

/// What [`decode`] found and wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeSummary {
    /// The file header.
    pub header: SparseHeader,
    /// Number of chunks read.
    pub chunks: u32,
    /// Size of the expanded image (`total_blks * blk_sz`). A sink that is a
    /// file must be extended to this size when the image ends in DONT_CARE.
    pub expanded_len: u64,
    /// Offset just past the last chunk; bytes after it are ignored.
    pub end_offset: u64,
    /// CRC-32 of the expanded image, when checksums were verified.
    pub crc32: Option<u32>,
}

/// Receives what the walker reads.
trait Visitor {
    fn begin(&mut self, _header: &SparseHeader) {}
    fn chunk(&mut self, info: &ChunkInfo) -> Result<()>;
    fn raw_data(&mut self, data: &[u8]) -> Result<()>;
}

struct Walker<R: Read> {
    input: R,
    name: PathBuf,
    pos: u64,
    crc: Option<crc32fast::Hasher>,
    buf: Vec<u8>,
}

impl<R: Read> Walker<R> {
    fn read_exact(&mut self, len: usize, what: &'static str) -> Result<()> {
        self.buf.resize(len, 0);
        match self.input.read_exact(&mut self.buf[..len]) {
            Ok(()) => {
                self.pos += len as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Error::malformed(
                FORMAT,
                self.pos,
                what,
                format!("file ends before the {len} bytes this field needs"),
            )),
            Err(e) => Err(Error::io(&self.name, e)),
        }
    }

    /// Skips `len` bytes (header bytes beyond the sizes this reader knows).
    fn skip(&mut self, len: u64, what: &'static str) -> Result<()> {
        let copied = io::copy(&mut (&mut self.input).take(len), &mut io::sink())
            .map_err(|e| Error::io(&self.name, e))?;
        if copied < len {
            return Err(Error::malformed(
                FORMAT,
                self.pos + copied,
                what,
                "file ends inside it",
            ));
        }
        self.pos += len;
        Ok(())
    }

    fn walk(&mut self, visitor: &mut impl Visitor) -> Result<DecodeSummary> {
        self.read_exact(usize::from(FILE_HEADER_LEN), "file header")?;
        let header = SparseHeader::parse(&self.buf)?;
        self.skip(
            u64::from(header.file_hdr_sz - FILE_HEADER_LEN),
            "file header",
        )?;
        visitor.begin(&header);

        let bs = u64::from(header.blk_sz);
        let total_blocks = u64::from(header.total_blks);
        let mut block = 0u64;
        for index in 0..header.total_chunks {
            let header_offset = self.pos;
            self.read_exact(usize::from(CHUNK_HEADER_LEN), "chunk header")?;
            let raw_header: [u8; 12] = self.buf[..12].try_into().unwrap_or([0; 12]);
            let chunk_type = u16::from_le_bytes([raw_header[0], raw_header[1]]);
            let chunk_sz =
                u32::from_le_bytes([raw_header[4], raw_header[5], raw_header[6], raw_header[7]]);
            let total_sz =
                u32::from_le_bytes([raw_header[8], raw_header[9], raw_header[10], raw_header[11]]);
            self.skip(
                u64::from(header.chunk_hdr_sz - CHUNK_HEADER_LEN),
                "chunk header",
            )?;

            let bad = |offset: u64, field: &'static str, reason: String| {
                Error::malformed(FORMAT, offset, field, format!("chunk {index}: {reason}"))
            };
            let data_len = u64::from(total_sz)
                .checked_sub(u64::from(header.chunk_hdr_sz))
                .ok_or_else(|| {
                    bad(
                        header_offset + 8,
                        "total_sz",
                        format!(
                            "{total_sz} is smaller than chunk_hdr_sz {}",
                            header.chunk_hdr_sz
                        ),
                    )
                })?;
            let expected_len = match chunk_type {
                CHUNK_TYPE_RAW => u64::from(chunk_sz) * bs,
                CHUNK_TYPE_FILL | CHUNK_TYPE_CRC32 => 4,
                CHUNK_TYPE_DONT_CARE => 0,
                other => {
                    return Err(bad(
                        header_offset,
                        "chunk_type",
                        format!("unknown chunk type {other:#06x}"),
                    ));
                }
            };
            if data_len != expected_len {
                return Err(bad(
                    header_offset + 8,
                    "total_sz",
                    format!("payload of {data_len} bytes, this chunk type needs {expected_len}"),
                ));
            }
            if chunk_type == CHUNK_TYPE_CRC32 && chunk_sz != 0 {
                return Err(bad(
                    header_offset + 4,
                    "chunk_sz",
                    format!("a CRC32 chunk covers no blocks, this one says {chunk_sz}"),
                ));
            }
            if block + u64::from(chunk_sz) > total_blocks {
                return Err(bad(
                    header_offset + 4,
                    "chunk_sz",
                    format!(
                        "blocks {}..{} run past total_blks {total_blocks} of the file header",
                        block,
                        block + u64::from(chunk_sz)
                    ),
                ));
            }

            let data_offset = self.pos;
            let chunk = match chunk_type {
                CHUNK_TYPE_RAW => SparseChunk::Raw,
                CHUNK_TYPE_DONT_CARE => SparseChunk::DontCare,
                _ => {
                    self.read_exact(4, "chunk data")?;
                    let value =
                        u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                    if chunk_type == CHUNK_TYPE_FILL {
                        SparseChunk::Fill(value)
                    } else {
                        SparseChunk::Crc32(value)
                    }
                }
            };
            let info = ChunkInfo {
                index,
                header_offset,
                data_offset,
                data_len,
                chunk,
                first_block: block,
                blocks: chunk_sz,
                raw_header,
            };
            visitor.chunk(&info)?;
            self.account(&info, bs, visitor)?;
            block += u64::from(chunk_sz);
        }

        if block != total_blocks {
            return Err(Error::malformed(
                FORMAT,
                16,
                "total_blks",
                format!("header says {total_blocks} blocks, the chunks cover {block}"),
            ));
        }
        let crc32 = self.crc.take().map(|c| c.finalize());
        if let Some(crc) = crc32 {
            if header.image_checksum != 0 && header.image_checksum != crc {
                return Err(Error::malformed(
                    FORMAT,
                    24,
                    "image_checksum",
                    format!(
                        "{:#010x} but the expanded image has CRC32 {crc:#010x}",
                        header.image_checksum
                    ),
                ));
            }
        }
        Ok(DecodeSummary {
            header,
            chunks: header.total_chunks,
            expanded_len: header.expanded_len(),
            end_offset: self.pos,
            crc32,
        })
    }

    /// Streams RAW data to the visitor and keeps the running checksum.
    fn account(&mut self, info: &ChunkInfo, bs: u64, visitor: &mut impl Visitor) -> Result<()> {
        match info.chunk {
            SparseChunk::Raw => {
                let mut left = info.data_len;
                while left > 0 {
                    let n = left.min(COPY_CHUNK as u64) as usize;
                    self.read_exact(n, "chunk data")?;
                    if let Some(crc) = &mut self.crc {
                        crc.update(&self.buf[..n]);
                    }
                    visitor.raw_data(&self.buf[..n])?;
                    left -= n as u64;
                }
            }
            // The run is the 4-byte pattern (zeros for DONT_CARE) repeated
            // bs / 4 times per block: its checksum is combined from the 4
            // bytes, so nothing the size of a header-declared block is
            // allocated (blk_sz may say 4 GiB in a 40-byte file).
            SparseChunk::Fill(value) => {
                if let Some(crc) = &mut self.crc {
                    let words = bs / 4 * u64::from(info.blocks);
                    crc.combine(&crc_of_repeated(&value.to_le_bytes(), words));
                }
            }
            SparseChunk::DontCare => {
                if let Some(crc) = &mut self.crc {
                    let words = bs / 4 * u64::from(info.blocks);
                    crc.combine(&crc_of_repeated(&[0; 4], words));
                }
            }
            SparseChunk::Crc32(stored) => {
                if let Some(crc) = &self.crc {
                    let actual = crc.clone().finalize();
                    if actual != stored {
                        return Err(Error::malformed(
                            FORMAT,
                            info.data_offset,
                            "crc32",
                            format!(
                                "chunk {}: stored {stored:#010x}, the data before it has {actual:#010x}",
                                info.index
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

struct Lister(Vec<ChunkInfo>);

impl Visitor for Lister {
    fn chunk(&mut self, info: &ChunkInfo) -> Result<()> {
        self.0.push(info.clone());
        Ok(())
    }
    fn raw_data(&mut self, _data: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// Reads a whole image and lists its chunks, checking every size and the
/// block total; checksums are not verified.
pub fn inspect<R: Read>(input: R) -> Result<(SparseHeader, Vec<ChunkInfo>)> {
    let mut walker = Walker {
        input,
        name: PathBuf::from("<sparse input>"),
        pos: 0,
        crc: None,
        buf: Vec::new(),
    };
    let mut lister = Lister(Vec::new());
    let summary = walker.walk(&mut lister)?;
    Ok((summary.header, lister.0))
}

/// Visits nothing: [`verify`] only wants the walker's own checks.
struct Checker;

impl Visitor for Checker {
    fn chunk(&mut self, _info: &ChunkInfo) -> Result<()> {
        Ok(())
    }
    fn raw_data(&mut self, _data: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// Reads a whole image and checks it as [`decode`] does (every size, the
/// block total and, when `options` asks, the CRC32 chunks and
/// `image_checksum`) without writing anything: memory and time depend on
/// the input's length, not on the expanded size it declares.
pub fn verify<R: Read>(input: R, options: &DecodeOptions) -> Result<DecodeSummary> {
    let mut walker = Walker {
        input,
        name: PathBuf::from("<sparse input>"),
        pos: 0,
        crc: options.verify_checksums.then(crc32fast::Hasher::new),
        buf: Vec::new(),
    };
    walker.walk(&mut Checker)
}

struct Expander<W: Write + Seek> {
    sink: W,
    block_size: usize,
    fill: Vec<u8>,
}

impl<W: Write + Seek> Visitor for Expander<W> {
    fn begin(&mut self, header: &SparseHeader) {
        self.block_size = header.blk_sz as usize;
    }

    fn chunk(&mut self, info: &ChunkInfo) -> Result<()> {
        let bytes = u64::from(info.blocks) * self.block_size as u64;
        match info.chunk {
            SparseChunk::Fill(value) => {
                let pattern = value.to_le_bytes();
                if self.fill.get(..4) != Some(&pattern[..]) || self.fill.is_empty() {
                    self.fill = pattern.repeat(COPY_CHUNK / 4);
                }
                let mut left = bytes;
                while left > 0 {
                    let n = left.min(self.fill.len() as u64) as usize;
                    self.sink.write_all(&self.fill[..n]).map_err(sink_error)?;
                    left -= n as u64;
                }
            }
            SparseChunk::DontCare => {
                let skip = i64::try_from(bytes).map_err(|_| {
                    Error::malformed(
                        FORMAT,
                        info.header_offset + 4,
                        "chunk_sz",
                        "too large to skip",
                    )
                })?;
                self.sink
                    .seek(SeekFrom::Current(skip))
                    .map_err(sink_error)?;
            }
            SparseChunk::Raw | SparseChunk::Crc32(_) => {}
        }
        Ok(())
    }

    fn raw_data(&mut self, data: &[u8]) -> Result<()> {
        self.sink.write_all(data).map_err(sink_error)
    }
}

fn sink_error(e: io::Error) -> Error {
    Error::io("<raw output>", e)
}

/// Expands the sparse image read from `input` into `sink`, starting at the
/// sink's current position. DONT_CARE blocks are skipped with a seek (they
/// keep what the sink had there, as with AOSP simg2img writing over an
/// existing file); see [`DecodeSummary::expanded_len`].
pub fn decode<R: Read, W: Write + Seek>(
    input: R,
    sink: W,
    options: &DecodeOptions,
) -> Result<DecodeSummary> {
    decode_named(input, Path::new("<sparse input>"), sink, options)
}

fn decode_named<R: Read, W: Write + Seek>(
    input: R,
    name: &Path,
    sink: W,
    options: &DecodeOptions,
) -> Result<DecodeSummary> {
    let mut walker = Walker {
        input,
        name: name.to_path_buf(),
        pos: 0,
        crc: options.verify_checksums.then(crc32fast::Hasher::new),
        buf: Vec::new(),
    };
    let mut expander = Expander {
        sink,
        block_size: 0,
        fill: Vec::new(),
    };
    let summary = walker.walk(&mut expander)?;
    expander.sink.flush().map_err(sink_error)?;
    Ok(summary)
}

/// Expands the sparse image at `input` over the file at `output` (created
/// when missing, not truncated: AOSP simg2img truncates before the first of
/// several inputs, which the caller does by passing a fresh file), then
/// extends it to the expanded size.
pub fn decode_file(input: &Path, output: &Path, options: &DecodeOptions) -> Result<DecodeSummary> {
    let reader = BufReader::with_capacity(
        COPY_CHUNK,
        File::open(input).map_err(|e| Error::io(input, e))?,
    );
    let out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(output)
        .map_err(|e| Error::io(output, e))?;
    let summary = decode_named(
        reader,
        input,
        BufWriter::with_capacity(COPY_CHUNK, &out),
        options,
    )
    .map_err(|e| match e {
        Error::Io { path, source } if path.as_os_str() == "<raw output>" => {
            Error::io(output, source)
        }
        other => other,
    })?;
    let current = out.metadata().map_err(|e| Error::io(output, e))?.len();
    if current < summary.expanded_len {
        out.set_len(summary.expanded_len)
            .map_err(|e| Error::io(output, e))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::super::{EncodeOptions, SparseWriter};
    use super::*;

    /// A header and one chunk (`chunk_type`, `chunk_sz`, payload).
    fn image(blk_sz: u32, total_blks: u32, chunk: (u16, u32, &[u8])) -> Vec<u8> {
        let header = SparseHeader {
            major_version: 1,
            minor_version: 0,
            file_hdr_sz: FILE_HEADER_LEN,
            chunk_hdr_sz: CHUNK_HEADER_LEN,
            blk_sz,
            total_blks,
            total_chunks: 1,
            image_checksum: 0,
        };
        let (kind, blocks, payload) = chunk;
        let mut out = header.to_bytes().to_vec();
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&blocks.to_le_bytes());
        out.extend_from_slice(&(12 + payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn runs_of_4_gib_blocks_are_checksummed_without_allocating_a_block() {
        // The fuzzer's out-of-memory finding: 40 bytes declaring blk_sz
        // 0xFFFFFFFC; the checksum of a FILL run used to build one block.
        let fill = image(0xFFFF_FFFC, 0, (CHUNK_TYPE_FILL, 0, &[1, 2, 3, 4]));
        let summary = verify(&fill[..], &DecodeOptions::default()).unwrap();
        assert_eq!(summary.crc32, Some(0));
        let skip = image(0xFFFF_FFFC, 2, (CHUNK_TYPE_DONT_CARE, 2, &[]));
        let summary = verify(&skip[..], &DecodeOptions::default()).unwrap();
        assert_eq!(summary.expanded_len, 2 * 0xFFFF_FFFC);
    }

    #[test]
    fn fill_and_dont_care_checksums_equal_those_of_the_expanded_bytes() {
        let options = EncodeOptions {
            block_size: 1024,
            image_checksum: true,
            crc_chunk: true,
            ..Default::default()
        };
        let mut w = SparseWriter::new(Cursor::new(Vec::new()), &options).unwrap();
        w.write_all(&[9u8; 1500]).unwrap();
        w.write_all(&[0u8; 548]).unwrap();
        w.fill_blocks(0xDEAD_BEEF, 3).unwrap();
        w.skip_blocks(5).unwrap();
        w.write_all(b"end").unwrap();
        let sparse = w.finish().unwrap().into_inner();

        let mut raw = Cursor::new(Vec::new());
        let summary = decode(&sparse[..], &mut raw, &DecodeOptions::default()).unwrap();
        let mut raw = raw.into_inner();
        raw.resize(summary.expanded_len as usize, 0);
        assert_eq!(summary.crc32, Some(crc32fast::hash(&raw)));
        assert_eq!(
            verify(&sparse[..], &DecodeOptions::default()).unwrap(),
            summary
        );

        let mut corrupt = sparse.clone();
        corrupt[24] ^= 1; // image_checksum
        let e = verify(&corrupt[..], &DecodeOptions::default()).unwrap_err();
        assert!(e.to_string().contains("image_checksum"), "{e}");
    }

    #[test]
    fn verify_reports_what_decode_reports_on_a_bad_chunk() {
        let bad = image(4096, 1, (CHUNK_TYPE_RAW, 1, &[0; 10]));
        let from_verify = verify(&bad[..], &DecodeOptions::default()).unwrap_err();
        let from_decode =
            decode(&bad[..], Cursor::new(Vec::new()), &DecodeOptions::default()).unwrap_err();
        assert_eq!(from_verify.to_string(), from_decode.to_string());
        assert!(
            from_verify.to_string().contains("total_sz"),
            "{from_verify}"
        );
    }
}
