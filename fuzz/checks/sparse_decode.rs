//! The sparse decoder on arbitrary bytes: it lists chunks or returns an
//! error, never panics; an image it expands, kir encodes again, and that
//! image expands to the same bytes.

use std::io::{Cursor, Write};

use kir_core::sparse::{self, DecodeOptions, EncodeOptions, SparseWriter};

/// Images expanding to more than this are only walked, not expanded.
const MAX_EXPANDED: u64 = 16 << 20;

pub fn check(data: &[u8]) {
    let Ok((header, chunks)) = sparse::inspect(data) else {
        return;
    };
    assert_eq!(chunks.len() as u64, u64::from(header.total_chunks));
    if header.expanded_len() > MAX_EXPANDED {
        return;
    }
    let mut out = Cursor::new(Vec::new());
    let Ok(summary) = sparse::decode(data, &mut out, &DecodeOptions::default()) else {
        return;
    };
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
