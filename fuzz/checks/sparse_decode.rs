//! The sparse decoder on arbitrary bytes: it lists chunks or returns an
//! error, never panics; `verify` and `decode` (into a sink that only counts,
//! so a tiny image may declare terabytes) agree, and every expanded byte is
//! written or skipped exactly once; an image small enough to expand in
//! memory, kir encodes again, and that image expands to the same bytes.

use std::io::{self, Cursor, Seek, SeekFrom, Write};

use kir_core::sparse::{self, DecodeOptions, EncodeOptions, SparseChunk, SparseWriter};

/// Images expanding to more than this are decoded into a counting sink only.
const MAX_IN_MEMORY: u64 = 16 << 20;
/// Images expanding to more than this are only verified: the decoder writes
/// FILL runs 1 MiB at a time, which would take minutes even into a counter.
const MAX_STREAMED: u64 = 1 << 36;

/// Keeps the position and the bytes written, not the bytes.
#[derive(Default)]
struct CountingSink {
    pos: u64,
    written: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pos += buf.len() as u64;
        self.written += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for CountingSink {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(_) => None,
        };
        self.pos = pos.ok_or_else(|| io::Error::other("seek outside the counting sink"))?;
        Ok(self.pos)
    }
}

pub fn check(data: &[u8]) {
    let Ok((header, chunks)) = sparse::inspect(data) else {
        return;
    };
    assert_eq!(chunks.len() as u64, u64::from(header.total_chunks));
    let options = DecodeOptions::default();
    let verified = sparse::verify(data, &options);
    if header.expanded_len() <= MAX_STREAMED {
        let mut sink = CountingSink::default();
        let decoded = sparse::decode(data, &mut sink, &options);
        match (&verified, &decoded) {
            (Ok(v), Ok(d)) => assert_eq!(v, d),
            (Err(v), Err(d)) => assert_eq!(v.to_string(), d.to_string()),
            _ => panic!("verify {verified:?} but decode {decoded:?}"),
        }
        if decoded.is_ok() {
            let skipped: u64 = chunks
                .iter()
                .filter(|c| c.chunk == SparseChunk::DontCare)
                .map(|c| u64::from(c.blocks) * u64::from(header.blk_sz))
                .sum();
            assert_eq!(sink.pos, header.expanded_len());
            assert_eq!(sink.written + skipped, header.expanded_len());
        }
    }
    if verified.is_err() || header.expanded_len() > MAX_IN_MEMORY {
        return;
    }

    let mut out = Cursor::new(Vec::new());
    let summary = sparse::decode(data, &mut out, &options)
        .unwrap_or_else(|e| panic!("verified image does not decode: {e}"));
    let mut raw = out.into_inner();
    raw.resize(summary.expanded_len as usize, 0);

    let options = EncodeOptions {
        block_size: header.blk_sz,
        ..Default::default()
    };
    let Ok(mut writer) = SparseWriter::new(Cursor::new(Vec::new()), &options) else {
        return;
    };
    writer.write_all(&raw).expect("encoding expanded bytes");
    let image = writer.finish().expect("finishing the image").into_inner();
    let mut again = Cursor::new(Vec::new());
    let summary = sparse::decode(&image[..], &mut again, &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("an image kir wrote does not decode: {e}"));
    let mut again = again.into_inner();
    again.resize(summary.expanded_len as usize, 0);
    assert!(again == raw, "re-encoded image expands to different bytes");
}
