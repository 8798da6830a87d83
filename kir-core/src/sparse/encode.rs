//! Writing sparse images: a streaming writer and whole-input encoders.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{
    CHUNK_HEADER_LEN, CHUNK_TYPE_CRC32, CHUNK_TYPE_DONT_CARE, CHUNK_TYPE_FILL, CHUNK_TYPE_RAW,
    DEFAULT_BLOCK_SIZE, FILE_HEADER_LEN, MAJOR_VERSION, SparseHeader, chunk_header,
    crc_of_repeated, holes,
};
use crate::{Error, Result};

/// Largest block size accepted; bounds the one block the writer buffers.
const MAX_BLOCK_SIZE: u32 = 64 << 20;
/// Bytes read from the input per call.
const READ_CHUNK: usize = 4 << 20;

/// How [`encode_file`] treats holes of a sparse input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HolePolicy {
    /// Find holes with SEEK_HOLE and write their blocks as zero FILL chunks
    /// without reading them: the same bytes img2simg writes, faster.
    #[default]
    Fill,
    /// Write the blocks of holes as DONT_CARE chunks (the flash keeps its old
    /// content there).
    DontCare,
    /// Do not look for holes; read every byte as img2simg does.
    Read,
}

/// Options of [`SparseWriter`], [`encode_file`] and [`encode_reader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// `blk_sz`: a non-zero multiple of 4 (img2simg: at least 1024, default 4096).
    pub block_size: u32,
    /// Store the CRC-32 of the expanded image in the header's `image_checksum`
    /// (img2simg leaves it 0).
    pub image_checksum: bool,
    /// Append a CRC32 chunk holding the checksum of the whole image.
    pub crc_chunk: bool,
    /// Treatment of holes of the input file ([`encode_file`] only).
    pub holes: HolePolicy,
    /// Block ranges (in `block_size` units) known to be free: written as
    /// DONT_CARE without being read. Ranges may overlap and come in any order.
    pub free_blocks: Vec<Range<u64>>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            block_size: DEFAULT_BLOCK_SIZE,
            image_checksum: false,
            crc_chunk: false,
            holes: HolePolicy::Fill,
            free_blocks: Vec::new(),
        }
    }
}

/// The chunk being extended; written out when the next run starts.
#[derive(Debug, Clone, Copy)]
enum Run {
    None,
    /// Data already written after a placeholder header at `header_pos`.
    Raw {
        header_pos: u64,
        blocks: u32,
    },
    Fill {
        value: u32,
        blocks: u32,
    },
    DontCare {
        blocks: u32,
    },
}

/// Streams a sparse image into `sink`, one run of blocks after another.
///
/// Bytes given through [`Write`] are cut into blocks; a block whose bytes
/// repeat one 4-byte pattern becomes FILL, any other block RAW, and a partial
/// last block RAW padded with zeros (img2simg's rules). Adjacent blocks of the
/// same kind share a chunk. [`skip_blocks`](Self::skip_blocks) and
/// [`fill_blocks`](Self::fill_blocks) add runs without data, so a file system
/// writer can emit its used blocks and skip its free ones, producing the
/// image in one pass without a raw temporary file. The header (chunk count,
/// checksum) is written by [`finish`](Self::finish), which seeks back to it;
/// RAW chunk headers are patched the same way when their run ends.
#[derive(Debug)]
pub struct SparseWriter<W: Write + Seek> {
    sink: W,
    /// Position of the file header in the sink.
    base: u64,
    /// Bytes written after `base`.
    out_pos: u64,
    block_size: u32,
    /// Output blocks covered so far, including the open run.
    blocks: u64,
    chunks: u32,
    run: Run,
    /// Bytes of a block not yet complete.
    partial: Vec<u8>,
    crc: Option<crc32fast::Hasher>,
    image_checksum: bool,
    crc_chunk: bool,
    /// Last FILL block built for the checksum, by pattern.
    fill_block: Option<(u32, Vec<u8>)>,
}

impl<W: Write + Seek> SparseWriter<W> {
    /// Starts an image at the sink's current position.
    pub fn new(mut sink: W, options: &EncodeOptions) -> Result<Self> {
        check_block_size(options.block_size)?;
        let base = sink.stream_position().map_err(sink_error)?;
        sink.write_all(&[0u8; FILE_HEADER_LEN as usize])
            .map_err(sink_error)?;
        let wants_crc = options.image_checksum || options.crc_chunk;
        Ok(SparseWriter {
            sink,
            base,
            out_pos: u64::from(FILE_HEADER_LEN),
            block_size: options.block_size,
            blocks: 0,
            chunks: 0,
            run: Run::None,
            partial: Vec::new(),
            crc: wants_crc.then(crc32fast::Hasher::new),
            image_checksum: options.image_checksum,
            crc_chunk: options.crc_chunk,
            fill_block: None,
        })
    }

    /// Block size of the image being written.
    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    /// Output blocks written so far (a pending partial block not counted).
    pub fn blocks_written(&self) -> u64 {
        self.blocks
    }

    /// Adds `count` blocks whose content does not matter (DONT_CARE).
    pub fn skip_blocks(&mut self, count: u64) -> Result<()> {
        self.require_aligned("skip_blocks")?;
        self.reserve_blocks(count)?;
        if let Some(crc) = &mut self.crc {
            crc.combine(&crc_of_repeated(
                &vec![0u8; self.block_size as usize],
                count,
            ));
        }
        let mut left = count;
        while left > 0 {
            let room = match self.run {
                Run::DontCare { blocks } => u64::from(u32::MAX - blocks),
                _ => {
                    self.close_run()?;
                    self.run = Run::DontCare { blocks: 0 };
                    u64::from(u32::MAX)
                }
            };
            let take = left.min(room);
            if let Run::DontCare { blocks } = &mut self.run {
                *blocks += take as u32;
            }
            left -= take;
            if left > 0 {
                self.close_run()?;
            }
        }
        Ok(())
    }

    /// Adds `count` blocks filled with the 4-byte `pattern` (little-endian,
    /// as stored in the chunk).
    pub fn fill_blocks(&mut self, pattern: u32, count: u64) -> Result<()> {
        self.require_aligned("fill_blocks")?;
        self.add_fill(pattern, count)
    }

    /// Finishes the image: pads and writes a partial last block, closes the
    /// open run, appends the CRC32 chunk if asked, writes the header and
    /// returns the sink positioned after the image.
    pub fn finish(mut self) -> Result<W> {
        if !self.partial.is_empty() {
            let mut last = std::mem::take(&mut self.partial);
            last.resize(self.block_size as usize, 0);
            self.add_raw(&last)?;
        }
        self.close_run()?;

        let checksum = self.crc.take().map(|c| c.finalize()).unwrap_or(0);
        if self.crc_chunk {
            let header = chunk_header(CHUNK_TYPE_CRC32, 0, u32::from(CHUNK_HEADER_LEN) + 4);
            self.emit(&header)?;
            self.emit(&checksum.to_le_bytes())?;
            self.chunks = self.count_chunk()?;
        }

        let header = SparseHeader {
            major_version: MAJOR_VERSION,
            minor_version: 0,
            file_hdr_sz: FILE_HEADER_LEN,
            chunk_hdr_sz: CHUNK_HEADER_LEN,
            blk_sz: self.block_size,
            // reserve_blocks keeps the total within u32.
            total_blks: self.blocks as u32,
            total_chunks: self.chunks,
            image_checksum: if self.image_checksum { checksum } else { 0 },
        };
        self.sink
            .seek(SeekFrom::Start(self.base))
            .map_err(sink_error)?;
        self.sink
            .write_all(&header.to_bytes())
            .map_err(sink_error)?;
        self.sink
            .seek(SeekFrom::Start(self.base + self.out_pos))
            .map_err(sink_error)?;
        self.sink.flush().map_err(sink_error)?;
        Ok(self.sink)
    }

    /// Classifies and adds whole blocks, writing consecutive RAW blocks with
    /// one call.
    fn add_blocks(&mut self, data: &[u8]) -> Result<()> {
        let bs = self.block_size as usize;
        let mut raw_start = None;
        for (i, block) in data.chunks_exact(bs).enumerate() {
            match fill_pattern(block) {
                Some(pattern) => {
                    if let Some(start) = raw_start.take() {
                        self.add_raw(&data[start * bs..i * bs])?;
                    }
                    self.add_fill(pattern, 1)?;
                }
                None => {
                    raw_start.get_or_insert(i);
                }
            }
        }
        if let Some(start) = raw_start {
            self.add_raw(&data[start * bs..(data.len() / bs) * bs])?;
        }
        Ok(())
    }

    fn add_raw(&mut self, data: &[u8]) -> Result<()> {
        let bs = u64::from(self.block_size);
        let count = data.len() as u64 / bs;
        self.reserve_blocks(count)?;
        if let Some(crc) = &mut self.crc {
            crc.update(data);
        }
        // 12 + chunk_sz * blk_sz must fit total_sz (u32).
        let max_blocks = ((u64::from(u32::MAX) - u64::from(CHUNK_HEADER_LEN)) / bs) as u32;
        let mut rest = data;
        while !rest.is_empty() {
            let room = match self.run {
                Run::Raw { blocks, .. } if blocks < max_blocks => max_blocks - blocks,
                _ => {
                    self.close_run()?;
                    let header_pos = self.out_pos;
                    self.emit(&[0u8; CHUNK_HEADER_LEN as usize])?;
                    self.run = Run::Raw {
                        header_pos,
                        blocks: 0,
                    };
                    max_blocks
                }
            };
            let take = (rest.len() as u64 / bs).min(u64::from(room));
            let (now, later) = rest.split_at((take * bs) as usize);
            self.emit(now)?;
            if let Run::Raw { blocks, .. } = &mut self.run {
                *blocks += take as u32;
            }
            rest = later;
        }
        Ok(())
    }

    fn add_fill(&mut self, pattern: u32, count: u64) -> Result<()> {
        self.reserve_blocks(count)?;
        if self.crc.is_some() {
            let block = self.pattern_block(pattern);
            let repeated = crc_of_repeated(block, count);
            if let Some(crc) = &mut self.crc {
                crc.combine(&repeated);
            }
        }
        // img2simg keeps a FILL run's byte length in 32 bits.
        let max_blocks = u32::MAX / self.block_size;
        let mut left = count;
        while left > 0 {
            let room = match self.run {
                Run::Fill { value, blocks } if value == pattern && blocks < max_blocks => {
                    max_blocks - blocks
                }
                _ => {
                    self.close_run()?;
                    self.run = Run::Fill {
                        value: pattern,
                        blocks: 0,
                    };
                    max_blocks
                }
            };
            let take = left.min(u64::from(room));
            if let Run::Fill { blocks, .. } = &mut self.run {
                *blocks += take as u32;
            }
            left -= take;
        }
        Ok(())
    }

    fn pattern_block(&mut self, pattern: u32) -> &[u8] {
        let bs = self.block_size as usize;
        let stale = !matches!(&self.fill_block, Some((p, _)) if *p == pattern);
        if stale {
            let block = pattern.to_le_bytes().repeat(bs / 4);
            self.fill_block = Some((pattern, block));
        }
        match &self.fill_block {
            Some((_, block)) => block,
            None => &[],
        }
    }

    /// Writes out the open run's chunk header (RAW: patched in place).
    fn close_run(&mut self) -> Result<()> {
        let bs = self.block_size;
        match std::mem::replace(&mut self.run, Run::None) {
            Run::None => return Ok(()),
            Run::Raw { header_pos, blocks } => {
                let total = u32::from(CHUNK_HEADER_LEN) + blocks * bs;
                let header = chunk_header(CHUNK_TYPE_RAW, blocks, total);
                let at = self.base + header_pos;
                self.sink.seek(SeekFrom::Start(at)).map_err(sink_error)?;
                self.sink.write_all(&header).map_err(sink_error)?;
                self.sink
                    .seek(SeekFrom::Start(self.base + self.out_pos))
                    .map_err(sink_error)?;
            }
            Run::Fill { value, blocks } => {
                let header = chunk_header(CHUNK_TYPE_FILL, blocks, u32::from(CHUNK_HEADER_LEN) + 4);
                self.emit(&header)?;
                self.emit(&value.to_le_bytes())?;
            }
            Run::DontCare { blocks } => {
                let header =
                    chunk_header(CHUNK_TYPE_DONT_CARE, blocks, u32::from(CHUNK_HEADER_LEN));
                self.emit(&header)?;
            }
        }
        self.chunks = self.count_chunk()?;
        Ok(())
    }

    fn count_chunk(&self) -> Result<u32> {
        self.chunks
            .checked_add(1)
            .ok_or_else(|| Error::invalid_argument("sparse image", "more than 2^32-1 chunks"))
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        self.sink.write_all(bytes).map_err(sink_error)?;
        self.out_pos += bytes.len() as u64;
        Ok(())
    }

    fn reserve_blocks(&mut self, count: u64) -> Result<()> {
        match self.blocks.checked_add(count) {
            Some(total) if total <= u64::from(u32::MAX) => {
                self.blocks = total;
                Ok(())
            }
            _ => Err(Error::invalid_argument(
                "sparse image",
                format!(
                    "more than 2^32-1 blocks of {} bytes (total_blks is 32 bits)",
                    self.block_size
                ),
            )),
        }
    }

    fn require_aligned(&self, operation: &str) -> Result<()> {
        if self.partial.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_argument(
                operation,
                format!(
                    "{} bytes written since the last block boundary; whole blocks must come first",
                    self.partial.len()
                ),
            ))
        }
    }

    fn write_bytes(&mut self, mut buf: &[u8]) -> Result<()> {
        let bs = self.block_size as usize;
        if !self.partial.is_empty() {
            let take = (bs - self.partial.len()).min(buf.len());
            self.partial.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.partial.len() == bs {
                let block = std::mem::take(&mut self.partial);
                self.add_blocks(&block)?;
            }
        }
        let whole = buf.len() / bs * bs;
        self.add_blocks(&buf[..whole])?;
        self.partial.extend_from_slice(&buf[whole..]);
        Ok(())
    }
}

impl<W: Write + Seek> Write for SparseWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

/// The pattern a block repeats, if every 4-byte word of it is the same.
fn fill_pattern(block: &[u8]) -> Option<u32> {
    let first: [u8; 4] = block.get(..4)?.try_into().ok()?;
    // A block repeats its first word iff it equals itself shifted by 4 bytes.
    (block[4..] == block[..block.len() - 4]).then_some(u32::from_le_bytes(first))
}

fn check_block_size(block_size: u32) -> Result<()> {
    if block_size == 0 || block_size % 4 != 0 || block_size > MAX_BLOCK_SIZE {
        return Err(Error::invalid_argument(
            "block_size",
            format!("{block_size} is not a non-zero multiple of 4 up to {MAX_BLOCK_SIZE}"),
        ));
    }
    Ok(())
}

fn sink_error(e: io::Error) -> Error {
    Error::io("<sparse output>", e)
}

/// What to do with a run of input blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    Zero,
    Free,
}

/// Encodes the file at `path` into `sink`; with default options the bytes
/// are those img2simg writes for the same file and block size.
///
/// Holes of a sparse input are found with SEEK_HOLE/SEEK_DATA and not read
/// (see [`HolePolicy`]); `free_blocks` become DONT_CARE chunks without being
/// read. The input is read once, front to back.
pub fn encode_file<W: Write + Seek>(path: &Path, sink: W, options: &EncodeOptions) -> Result<W> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    check_block_size(options.block_size)?;
    let bs = u64::from(options.block_size);

    let holes = match options.holes {
        HolePolicy::Read => Vec::new(),
        HolePolicy::Fill | HolePolicy::DontCare => holes::hole_ranges(&file, len)
            .map_err(|e| Error::io(path, e))?
            .into_iter()
            // Only whole blocks inside the file: a partial last block is RAW.
            .map(|r| r.start.div_ceil(bs)..(r.end.min(len) / bs))
            .filter(|r| r.start < r.end)
            .collect(),
    };
    let hole_kind = if options.holes == HolePolicy::DontCare {
        Special::Free
    } else {
        Special::Zero
    };
    let plan = plan_specials(&options.free_blocks, &holes, hole_kind, len.div_ceil(bs))?;
    log::debug!(
        "sparse: {path:?}: {len} bytes, {} hole ranges, {} runs planned",
        holes.len(),
        plan.len()
    );

    let mut writer = SparseWriter::new(sink, options)?;
    let mut buf = vec![0u8; READ_CHUNK - READ_CHUNK % bs as usize];
    let mut read_range = |writer: &mut SparseWriter<W>, from: u64, to: u64| -> Result<()> {
        let mut at = from;
        while at < to {
            let n = (to - at).min(buf.len() as u64) as usize;
            file.read_exact_at(&mut buf[..n], at)
                .map_err(|e| Error::io(path, e))?;
            writer.write_bytes(&buf[..n])?;
            at += n as u64;
        }
        Ok(())
    };

    let mut block = 0u64;
    for (range, kind) in plan {
        read_range(&mut writer, block * bs, range.start * bs)?;
        let count = range.end - range.start;
        match kind {
            Special::Zero => writer.fill_blocks(0, count)?,
            Special::Free => writer.skip_blocks(count)?,
        }
        block = range.end;
    }
    read_range(&mut writer, block * bs, len)?;
    writer.finish()
}

/// Encodes everything `reader` yields into `sink` (img2simg's rules, plus
/// `free_blocks` as DONT_CARE; their bytes are read and discarded).
pub fn encode_reader<R: Read, W: Write + Seek>(
    mut reader: R,
    sink: W,
    options: &EncodeOptions,
) -> Result<W> {
    check_block_size(options.block_size)?;
    let bs = u64::from(options.block_size);
    let plan = plan_specials(&options.free_blocks, &[], Special::Zero, u64::MAX / bs)?;
    let mut plan = plan.into_iter().peekable();
    let mut writer = SparseWriter::new(sink, options)?;
    let mut buf = vec![0u8; READ_CHUNK - READ_CHUNK % bs as usize];
    // Position in the input, and how many bytes of a free range remain to discard.
    let mut pos = 0u64;
    loop {
        let n = read_full(&mut reader, &mut buf).map_err(|e| Error::io("<sparse input>", e))?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            let block = pos / bs;
            let next_free = plan.peek().map(|(r, _)| r.clone());
            let take = match next_free {
                Some(r) if block >= r.start && pos % bs == 0 => {
                    // Inside a free range: discard up to its end (or the input's).
                    let end_byte = r.end.saturating_mul(bs);
                    let take = (end_byte - pos).min(chunk.len() as u64) as usize;
                    let whole = take as u64 / bs;
                    if whole > 0 {
                        writer.skip_blocks(whole)?;
                    }
                    let rest = take as u64 % bs;
                    if rest > 0 {
                        // The input ends inside the range's last block.
                        writer.skip_blocks(1)?;
                    }
                    if pos + take as u64 >= end_byte {
                        plan.next();
                    }
                    take
                }
                Some(r) => {
                    let limit = r.start.saturating_mul(bs).saturating_sub(pos);
                    let take = (chunk.len() as u64).min(limit) as usize;
                    writer.write_bytes(&chunk[..take])?;
                    take
                }
                None => {
                    writer.write_bytes(chunk)?;
                    chunk.len()
                }
            };
            pos += take as u64;
            chunk = &chunk[take..];
            if take == 0 {
                break;
            }
        }
    }
    writer.finish()
}

/// Reads until `buf` is full or the input ends.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Merges free ranges and hole ranges (blocks) into one ordered, disjoint
/// list; free ranges win where both apply.
fn plan_specials(
    free: &[Range<u64>],
    holes: &[Range<u64>],
    hole_kind: Special,
    total_blocks: u64,
) -> Result<Vec<(Range<u64>, Special)>> {
    let mut frees: Vec<Range<u64>> = Vec::with_capacity(free.len());
    for r in free {
        if r.start > r.end || r.end > total_blocks {
            return Err(Error::invalid_argument(
                "free_blocks",
                format!(
                    "range {}..{} is not inside the image's {total_blocks} blocks",
                    r.start, r.end
                ),
            ));
        }
        if r.start < r.end {
            frees.push(r.clone());
        }
    }
    let frees = merge(frees);

    let mut out: Vec<(Range<u64>, Special)> =
        frees.iter().map(|r| (r.clone(), Special::Free)).collect();
    for hole in holes {
        for piece in subtract(hole.clone(), &frees) {
            out.push((piece, hole_kind));
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    Ok(out)
}

fn merge(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// `range` minus the sorted, disjoint `cut` ranges.
fn subtract(range: Range<u64>, cut: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut pieces = Vec::new();
    let mut start = range.start;
    for c in cut {
        if c.end <= start || c.start >= range.end {
            continue;
        }
        if c.start > start {
            pieces.push(start..c.start);
        }
        start = start.max(c.end);
    }
    if start < range.end {
        pieces.push(start..range.end);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::sparse::{SparseChunk, inspect};

    fn chunks_of(image: &[u8]) -> Vec<(SparseChunk, u32)> {
        inspect(image)
            .unwrap()
            .1
            .into_iter()
            .map(|c| (c.chunk, c.blocks))
            .collect()
    }

    #[test]
    fn uniform_blocks_become_one_fill_chunk_per_pattern() {
        let mut input = vec![0u8; 3 * 4096];
        input.extend(0xAABB_CCDDu32.to_le_bytes().repeat(1024));
        let out = encode_reader(
            &input[..],
            Cursor::new(Vec::new()),
            &EncodeOptions::default(),
        )
        .unwrap()
        .into_inner();
        assert_eq!(
            chunks_of(&out),
            vec![
                (SparseChunk::Fill(0), 3),
                (SparseChunk::Fill(0xAABB_CCDD), 1)
            ]
        );
    }

    #[test]
    fn partial_last_block_is_raw_and_joins_the_previous_raw_run() {
        let mut input: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        input.extend([1u8, 2, 3]);
        let out = encode_reader(
            &input[..],
            Cursor::new(Vec::new()),
            &EncodeOptions::default(),
        )
        .unwrap()
        .into_inner();
        assert_eq!(chunks_of(&out), vec![(SparseChunk::Raw, 2)]);
        assert_eq!(out.len(), 28 + 12 + 2 * 4096);
    }

    #[test]
    fn free_ranges_become_dont_care_whatever_their_content() {
        let input: Vec<u8> = (0..8 * 4096u32).map(|i| (i % 253) as u8).collect();
        let options = EncodeOptions {
            free_blocks: vec![5..7, 2..3, 6..8],
            ..Default::default()
        };
        let out = encode_reader(&input[..], Cursor::new(Vec::new()), &options)
            .unwrap()
            .into_inner();
        assert_eq!(
            chunks_of(&out),
            vec![
                (SparseChunk::Raw, 2),
                (SparseChunk::DontCare, 1),
                (SparseChunk::Raw, 2),
                (SparseChunk::DontCare, 3),
            ]
        );
    }

    #[test]
    fn free_range_past_the_image_is_refused() {
        let options = EncodeOptions {
            free_blocks: vec![0..2, 3..9],
            ..Default::default()
        };
        let dir = std::env::temp_dir().join(format!("kir-sparse-free-{}", std::process::id()));
        std::fs::write(&dir, vec![1u8; 4096]).unwrap();
        let e = encode_file(&dir, Cursor::new(Vec::new()), &options)
            .unwrap_err()
            .to_string();
        std::fs::remove_file(&dir).unwrap();
        assert!(e.contains("free_blocks"), "{e}");
    }

    #[test]
    fn skip_after_a_partial_block_is_refused() {
        let mut w = SparseWriter::new(Cursor::new(Vec::new()), &EncodeOptions::default()).unwrap();
        w.write_all(b"abc").unwrap();
        assert!(
            w.skip_blocks(1)
                .unwrap_err()
                .to_string()
                .contains("block boundary")
        );
    }

    #[test]
    fn checksum_options_store_the_crc_of_the_expanded_image() {
        let mut raw: Vec<u8> = (0..3 * 4096u32).map(|i| (i % 249) as u8).collect();
        raw.extend([9u8; 100]);
        let options = EncodeOptions {
            image_checksum: true,
            crc_chunk: true,
            ..Default::default()
        };
        let mut w = SparseWriter::new(Cursor::new(Vec::new()), &options).unwrap();
        w.skip_blocks(2).unwrap();
        w.write_all(&raw).unwrap();
        let image = w.finish().unwrap().into_inner();

        let mut expanded = vec![0u8; 2 * 4096];
        expanded.extend(&raw);
        expanded.resize(6 * 4096, 0);
        let crc = crc32fast::hash(&expanded);
        let (header, chunks) = inspect(&image[..]).unwrap();
        assert_eq!(header.image_checksum, crc);
        assert_eq!(chunks.last().unwrap().chunk, SparseChunk::Crc32(crc));
    }

    #[test]
    fn block_pattern_detection_needs_every_word_equal() {
        assert_eq!(fill_pattern(&[1, 2, 3, 4, 1, 2, 3, 4]), Some(0x0403_0201));
        assert_eq!(fill_pattern(&[1, 2, 3, 4, 1, 2, 3, 5]), None);
    }

    #[test]
    fn hole_pieces_exclude_free_ranges() {
        assert_eq!(subtract(0..10, &[2..3, 5..12]), vec![0..2, 3..5]);
        assert_eq!(merge(vec![5..7, 1..2, 6..9]), vec![1..2, 5..9]);
    }
}
