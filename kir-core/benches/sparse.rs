//! Sparse encoding and decoding throughput on a 64 MiB image shaped like a
//! file system: metadata and file data (RAW) between long zero runs (FILL).

use std::io::Cursor;

use kir_core::sparse::{self, DecodeOptions, EncodeOptions};

fn main() {
    divan::main();
}

const MIB: usize = 1 << 20;

/// 64 MiB: repeating 1 MiB of pseudo-random data, 3 MiB of zeros.
fn image() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(64 * MIB);
    while out.len() < 64 * MIB {
        out.extend((0..MIB).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        }));
        out.resize(out.len() + 3 * MIB, 0);
    }
    out
}

#[divan::bench(sample_count = 10)]
fn encode_64mib(bencher: divan::Bencher) {
    let raw = image();
    bencher
        .counter(divan::counter::BytesCount::new(raw.len()))
        .bench(|| {
            sparse::encode_reader(
                &raw[..],
                Cursor::new(Vec::with_capacity(20 * MIB)),
                &EncodeOptions::default(),
            )
            .map(|c| c.into_inner().len())
        });
}

#[divan::bench(sample_count = 10)]
fn encode_64mib_with_checksum(bencher: divan::Bencher) {
    let raw = image();
    let options = EncodeOptions {
        image_checksum: true,
        crc_chunk: true,
        ..Default::default()
    };
    bencher
        .counter(divan::counter::BytesCount::new(raw.len()))
        .bench(|| {
            sparse::encode_reader(
                &raw[..],
                Cursor::new(Vec::with_capacity(20 * MIB)),
                &options,
            )
            .map(|c| c.into_inner().len())
        });
}

#[divan::bench(sample_count = 10)]
fn decode_64mib(bencher: divan::Bencher) {
    let raw = image();
    let simg = sparse::encode_reader(&raw[..], Cursor::new(Vec::new()), &EncodeOptions::default())
        .map(|c| c.into_inner())
        .unwrap_or_default();
    bencher
        .counter(divan::counter::BytesCount::new(raw.len()))
        .bench(|| {
            let mut out = Cursor::new(Vec::with_capacity(64 * MIB));
            sparse::decode(&simg[..], &mut out, &DecodeOptions::default()).map(|s| s.expanded_len)
        });
}
