//! cpio newc + deterministic gzip: writing a modules ramdisk, reading it back.
//!
//! Input: a synthetic modules tree (400 files of 24 KiB, text-like, so the
//! compressor has work to do) under usr/lib/modules/<release>.

use kir_core::compress;
use kir_core::cpio::{self, NewEntry, Node, WriteOptions};

fn main() {
    divan::main();
}

fn tree() -> Vec<NewEntry> {
    let base = "usr/lib/modules/6.1.0-bench/kernel/drivers";
    let mut entries = vec![
        NewEntry::new(".", Node::Directory, 0o755),
        NewEntry::new("usr", Node::Directory, 0o755),
        NewEntry::new("usr/lib", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules/6.1.0-bench", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules/6.1.0-bench/kernel", Node::Directory, 0o755),
        NewEntry::new(base, Node::Directory, 0o755),
    ];
    for i in 0..400u32 {
        let data: Vec<u8> = (0..24 * 1024u32)
            .map(|j| b"modinfo vermagic license alias depends "[((i * 7 + j) % 39) as usize])
            .collect();
        entries.push(NewEntry::new(
            format!("{base}/m{i:03}.ko"),
            Node::File(data),
            0o644,
        ));
    }
    entries
}

#[divan::bench(sample_count = 10)]
fn write_cpio(bencher: divan::Bencher) {
    let entries = tree();
    bencher.bench(|| cpio::write(divan::black_box(&entries), &WriteOptions::default()).unwrap());
}

#[divan::bench(sample_count = 10, args = [1, 6, 9])]
fn write_cpio_gzip(bencher: divan::Bencher, level: u32) {
    let entries = tree();
    bencher.bench(|| {
        let archive = cpio::write(divan::black_box(&entries), &WriteOptions::default()).unwrap();
        compress::gzip(&archive, level)
    });
}

#[divan::bench(sample_count = 10)]
fn read_gzip_initramfs(bencher: divan::Bencher) {
    let archive = cpio::write(&tree(), &WriteOptions::default()).unwrap();
    let mut initrd = compress::gzip(&archive, 9);
    initrd.extend_from_slice(&compress::gzip(&archive, 9));
    bencher.bench(|| cpio::read_initramfs(divan::black_box(&initrd)).unwrap());
}
