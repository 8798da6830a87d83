//! The sparse decoder on hand-made images: larger header sizes, every chunk
//! type, and each malformation refused with the chunk index and offset.

use std::io::Cursor;

use kir_core::ErrorKind;
use kir_core::sparse::{self, DecodeOptions, SparseChunk};

const BS: u32 = 1024;

struct Image {
    file_hdr_sz: u16,
    chunk_hdr_sz: u16,
    total_blks: u32,
    checksum: u32,
    chunks: Vec<(u16, u32, Vec<u8>)>,
    total_sz_override: Option<(usize, u32)>,
}

impl Image {
    fn new(total_blks: u32) -> Self {
        Image {
            file_hdr_sz: 28,
            chunk_hdr_sz: 12,
            total_blks,
            checksum: 0,
            chunks: Vec::new(),
            total_sz_override: None,
        }
    }

    fn chunk(mut self, kind: u16, blocks: u32, payload: Vec<u8>) -> Self {
        self.chunks.push((kind, blocks, payload));
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(0xED26_FF3Au32.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(self.file_hdr_sz.to_le_bytes());
        b.extend(self.chunk_hdr_sz.to_le_bytes());
        b.extend(BS.to_le_bytes());
        b.extend(self.total_blks.to_le_bytes());
        b.extend((self.chunks.len() as u32).to_le_bytes());
        b.extend(self.checksum.to_le_bytes());
        b.resize(usize::from(self.file_hdr_sz), 0xAA);
        for (i, (kind, blocks, payload)) in self.chunks.iter().enumerate() {
            let mut total = u32::from(self.chunk_hdr_sz) + payload.len() as u32;
            if let Some((index, t)) = self.total_sz_override {
                if index == i {
                    total = t;
                }
            }
            b.extend(kind.to_le_bytes());
            b.extend(0u16.to_le_bytes());
            b.extend(blocks.to_le_bytes());
            b.extend(total.to_le_bytes());
            b.resize(b.len() + usize::from(self.chunk_hdr_sz) - 12, 0xBB);
            b.extend(payload);
        }
        b
    }
}

fn decode(bytes: &[u8]) -> kir_core::Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let summary = sparse::decode(bytes, &mut out, &DecodeOptions::default())?;
    let mut v = out.into_inner();
    v.resize(summary.expanded_len as usize, 0);
    Ok(v)
}

fn error(bytes: &[u8]) -> String {
    let e = decode(bytes).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    e.to_string()
}

fn raw_block(seed: u8) -> Vec<u8> {
    (0..BS).map(|i| (i as u8).wrapping_mul(seed)).collect()
}

#[test]
fn larger_file_and_chunk_headers_are_skipped() {
    let mut img = Image::new(3)
        .chunk(0xCAC1, 1, raw_block(3))
        .chunk(0xCAC2, 1, 0x1122_3344u32.to_le_bytes().to_vec())
        .chunk(0xCAC3, 1, vec![]);
    img.file_hdr_sz = 40;
    img.chunk_hdr_sz = 20;
    let out = decode(&img.bytes()).unwrap();
    assert_eq!(&out[..BS as usize], &raw_block(3)[..]);
    assert_eq!(
        &out[BS as usize..BS as usize + 4],
        &[0x44, 0x33, 0x22, 0x11]
    );
    assert!(out[2 * BS as usize..].iter().all(|&b| b == 0));
}

#[test]
fn crc32_chunk_and_image_checksum_are_verified() {
    let data = raw_block(5);
    let crc = crc32fast::hash(&data);
    let mut img =
        Image::new(1)
            .chunk(0xCAC1, 1, data.clone())
            .chunk(0xCAC4, 0, crc.to_le_bytes().to_vec());
    img.checksum = crc;
    assert_eq!(decode(&img.bytes()).unwrap(), data);

    let bad = Image::new(1).chunk(0xCAC1, 1, data.clone()).chunk(
        0xCAC4,
        0,
        (crc ^ 1).to_le_bytes().to_vec(),
    );
    let e = error(&bad.bytes());
    assert!(e.contains("chunk 1") && e.contains("crc32"), "{e}");

    let mut bad = Image::new(1).chunk(0xCAC1, 1, data);
    bad.checksum = crc ^ 1;
    assert!(error(&bad.bytes()).contains("image_checksum"));
}

#[test]
fn unknown_chunk_type_names_index_and_offset() {
    let img = Image::new(2)
        .chunk(0xCAC3, 1, vec![])
        .chunk(0xCAFE, 1, vec![]);
    let e = error(&img.bytes());
    // Second chunk header starts after the 28-byte file header and one 12-byte chunk.
    assert!(
        e.contains("offset 0x28") && e.contains("chunk 1") && e.contains("0xcafe"),
        "{e}"
    );
}

#[test]
fn block_total_disagreeing_with_the_header_is_refused() {
    let short = Image::new(3).chunk(0xCAC3, 2, vec![]);
    assert!(error(&short.bytes()).contains("total_blks"));
    let long = Image::new(1)
        .chunk(0xCAC3, 1, vec![])
        .chunk(0xCAC2, 5, vec![0; 4]);
    let e = error(&long.bytes());
    assert!(
        e.contains("chunk 1") && e.contains("past total_blks"),
        "{e}"
    );
}

#[test]
fn payload_sizes_must_match_the_chunk_type() {
    let raw_short = Image::new(2).chunk(0xCAC1, 2, raw_block(1));
    assert!(error(&raw_short.bytes()).contains("needs 2048"));
    let fill_long = Image::new(1).chunk(0xCAC2, 1, vec![0; 8]);
    assert!(error(&fill_long.bytes()).contains("total_sz"));
    let dont_care_payload = Image::new(1).chunk(0xCAC3, 1, vec![0; 4]);
    assert!(error(&dont_care_payload.bytes()).contains("total_sz"));
    let crc_blocks = Image::new(1)
        .chunk(0xCAC3, 1, vec![])
        .chunk(0xCAC4, 1, vec![0; 4]);
    assert!(error(&crc_blocks.bytes()).contains("chunk_sz"));
    let mut tiny = Image::new(1).chunk(0xCAC3, 1, vec![]);
    tiny.total_sz_override = Some((0, 4));
    assert!(error(&tiny.bytes()).contains("smaller than chunk_hdr_sz"));
}

#[test]
fn truncated_data_is_reported_at_its_offset() {
    let mut bytes = Image::new(1).chunk(0xCAC1, 1, raw_block(2)).bytes();
    bytes.truncate(100);
    let e = error(&bytes);
    assert!(e.contains("file ends"), "{e}");
    assert!(error(&bytes[..20]).contains("file ends"));
}

#[test]
fn header_fields_are_checked_before_use() {
    let good = Image::new(0).bytes();
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert!(error(&bad).contains("magic"));
    let mut bad = good.clone();
    bad[4] = 2;
    assert!(error(&bad).contains("major_version"));
    let mut bad = good.clone();
    bad[8] = 20;
    assert!(error(&bad).contains("file_hdr_sz"));
    let mut bad = good.clone();
    bad[10] = 8;
    assert!(error(&bad).contains("chunk_hdr_sz"));
    let mut bad = good;
    bad[12..16].copy_from_slice(&1022u32.to_le_bytes());
    assert!(error(&bad).contains("blk_sz"));
}

#[test]
fn huge_declared_counts_do_not_allocate_up_front() {
    // 4 billion chunks declared, none present: fails on the first missing header.
    let mut bytes = Image::new(u32::MAX).bytes();
    bytes[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(error(&bytes).contains("chunk header"));
}

#[test]
fn inspect_lists_chunks_with_offsets_and_blocks() {
    let img = Image::new(4)
        .chunk(0xCAC2, 3, vec![1, 0, 0, 0])
        .chunk(0xCAC1, 1, raw_block(7));
    let (header, chunks) = sparse::inspect(&img.bytes()[..]).unwrap();
    assert_eq!(header.total_blks, 4);
    assert_eq!(chunks[0].chunk, SparseChunk::Fill(1));
    assert_eq!(
        (
            chunks[1].header_offset,
            chunks[1].data_offset,
            chunks[1].first_block
        ),
        (44, 56, 3)
    );
}
