//! ext4 writer and reader, tar reader: a synthetic root of 3,000 files
//! (64 MiB, mixed sizes) and 300 directories, imaged in memory.

use kir_core::ext4::{self, FileData, Metadata, Node, NodeKind, Options, Profile, Timestamp, Tree};

fn main() {
    divan::main();
}

fn tree() -> Tree {
    let meta = Metadata::new(0o755, 0, 0, Timestamp::from_secs(1_700_000_000));
    let mut t = Tree::new(meta.clone());
    for i in 0..3000u32 {
        let len = [1usize, 700, 4096, 20_000, 60_000][i as usize % 5] + i as usize;
        let data: Vec<u8> = (0..len as u32)
            .map(|j| (j.wrapping_mul(2654435761) >> 24) as u8 ^ i as u8)
            .collect();
        let path = format!("/usr/lib/d{:03}/file{i:05}", i % 300);
        let node = Node::new(NodeKind::File(FileData::from_bytes(data)), meta.clone());
        t.insert(path.as_bytes(), node, &meta).unwrap();
    }
    t
}

#[divan::bench(args = ["compat", "debian"], sample_count = 10)]
fn write_image(bencher: divan::Bencher, profile: &str) {
    let t = tree();
    let opts = Options {
        profile: Profile::from_name(profile).unwrap(),
        block_size: Some(4096),
        ..Options::default()
    };
    bencher.bench(|| ext4::build_image(divan::black_box(&t), &opts).unwrap());
}

#[divan::bench(sample_count = 10)]
fn read_image(bencher: divan::Bencher) {
    let opts = Options {
        profile: Profile::Debian,
        block_size: Some(4096),
        ..Options::default()
    };
    let image = ext4::build_image(&tree(), &opts).unwrap();
    bencher.bench(|| ext4::read_image(divan::black_box(&image)).unwrap());
}

#[divan::bench(sample_count = 10)]
fn read_tar(bencher: divan::Bencher) {
    let mut tar = Vec::new();
    kir_core::tar::write_tar(&tree(), &mut tar).unwrap();
    bencher.bench(|| kir_core::tar::read_tar(divan::black_box(&tar[..]), "bench.tar").unwrap());
}
