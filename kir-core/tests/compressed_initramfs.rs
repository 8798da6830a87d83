//! Initramfs archives compressed by the reference tools (gzip, xz, zstd and
//! lz4 in both its legacy `-l` framing, the kernel's, and its frame format)
//! are told by their magic and read back to the entries kir wrote; several
//! archives back to back (an uncompressed early cpio before a compressed one,
//! a gzip'd modules cpio after one) read as every archive in order.
//!
//! Needs `gzip`, `xz`, `zstd` and `lz4` (Debian packages gzip, xz-utils,
//! zstd, lz4). Missing: the tests fail when CI=true and are skipped with a
//! message otherwise.

use std::io::Write;
use std::process::{Command, Stdio};

use kir_core::compress::{self, Compression};
use kir_core::cpio::{self, NewEntry, Node, WriteOptions};

/// Each compressor: its name, its command line, the compression kir must see.
const TOOLS: [(&str, &[&str], Compression); 5] = [
    ("gzip", &["gzip", "-9n"], Compression::Gzip),
    ("xz", &["xz", "--check=crc32", "-1"], Compression::Xz),
    ("zstd", &["zstd", "-q", "-3"], Compression::Zstd),
    ("lz4 -l", &["lz4", "-q", "-l"], Compression::Lz4Legacy),
    ("lz4", &["lz4", "-q"], Compression::Lz4Frame),
];

fn have_tools() -> bool {
    for tool in ["gzip", "xz", "zstd", "lz4"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{tool} is missing (scripts/deps/apt.txt)"
            );
            eprintln!("skipping: {tool} is not installed");
            return false;
        }
    }
    true
}

/// Runs `argv` with `input` on stdin (compressing to stdout) and returns stdout.
fn compress_with(argv: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{argv:?} failed");
    out.stdout
}

/// A main initramfs with every kind of entry the writer makes, and data
/// large enough (several MiB, poorly compressible) that lz4's legacy format
/// needs more than one 8 MiB block.
fn main_archive() -> Vec<u8> {
    let mut noise = Vec::with_capacity(9 << 20);
    let mut x: u32 = 0x1234_5678;
    while noise.len() < 9 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        // Half the bytes random, half a repeating pattern.
        noise.push((x >> 24) as u8);
        noise.push(b'k');
    }
    let entries = [
        NewEntry::new(
            "init",
            Node::File(b"#!/bin/sh\nexec /bin/sh\n".to_vec()),
            0o755,
        ),
        NewEntry::new("bin", Node::Directory, 0o755),
        NewEntry::new("bin/busybox", Node::File(noise), 0o755),
        NewEntry::new("bin/sh", Node::Symlink("busybox".into()), 0o777),
        NewEntry::new("bin/ash", Node::HardLink("bin/busybox".into()), 0o755),
        NewEntry::new("dev", Node::Directory, 0o755),
        NewEntry::new(
            "dev/console",
            Node::CharDevice { major: 5, minor: 1 },
            0o600,
        ),
        NewEntry::new("dev/sda", Node::BlockDevice { major: 8, minor: 0 }, 0o660),
    ];
    cpio::write(&entries, &WriteOptions::default()).unwrap()
}

/// An early (microcode-style) archive, as distributions put in front.
fn early_archive() -> Vec<u8> {
    let entries = [
        NewEntry::new("kernel", Node::Directory, 0o755),
        NewEntry::new("kernel/x86", Node::Directory, 0o755),
        NewEntry::new("kernel/x86/microcode", Node::Directory, 0o755),
        NewEntry::new(
            "kernel/x86/microcode/GenuineIntel.bin",
            Node::File(vec![0xa5; 3000]),
            0o644,
        ),
    ];
    cpio::write(&entries, &WriteOptions::default()).unwrap()
}

/// A modules archive, gzip'd, as repack-boot appends it.
fn modules_archive() -> Vec<u8> {
    let entries = [
        NewEntry::new("usr", Node::Directory, 0o755),
        NewEntry::new("usr/lib", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules", Node::Directory, 0o755),
        NewEntry::new(
            "usr/lib/modules/6.12.0/kir.ko",
            Node::File(b"\x7fELF not really".to_vec()),
            0o644,
        ),
    ];
    compress::gzip(&cpio::write(&entries, &WriteOptions::default()).unwrap(), 9)
}

fn names(entries: &[cpio::Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn archives_compressed_by_each_tool_read_back_to_the_written_entries() {
    if !have_tools() {
        return;
    }
    let plain = main_archive();
    let expected = cpio::read(&plain).unwrap().entries;
    for (name, argv, compression) in TOOLS {
        let packed = compress_with(argv, &plain);
        assert_eq!(compress::sniff(&packed), compression, "{name}");
        assert!(
            compress::decompress(&packed).unwrap() == plain,
            "{name}: decompress gives back the archive"
        );
        let segments = cpio::read_initramfs(&packed).unwrap();
        assert_eq!(segments.len(), 1, "{name}");
        assert_eq!(segments[0].compression, compression, "{name}");
        assert_eq!(segments[0].offset, 0, "{name}");
        assert!(segments[0].entries == expected, "{name}: entries differ");
    }
}

#[test]
fn uncompressed_early_archive_then_each_compression_reads_as_two() {
    if !have_tools() {
        return;
    }
    let early = early_archive();
    let main = main_archive();
    for (name, argv, compression) in TOOLS {
        let mut initrd = early.clone();
        initrd.extend_from_slice(&compress_with(argv, &main));
        let segments = cpio::read_initramfs(&initrd).unwrap();
        assert_eq!(segments.len(), 2, "{name}");
        assert_eq!(segments[0].compression, Compression::None, "{name}");
        assert_eq!(segments[1].compression, compression, "{name}");
        assert_eq!(segments[1].offset, early.len(), "{name}");
        assert_eq!(
            names(&segments[1].entries),
            names(&cpio::read(&main).unwrap().entries),
            "{name}"
        );
    }
}

/// KIR's `cat initrd modules.cpio.gz`, with an initrd of any compression:
/// the appended modules archive is read too, after the initrd's own. An lz4
/// legacy stream has no end mark, so only zero padding (a zero block size,
/// where the kernel's unlz4 stops as well) ends it.
#[test]
fn modules_archive_appended_to_each_compression_is_read_after_it() {
    if !have_tools() {
        return;
    }
    let main = main_archive();
    let entries = cpio::read(&main).unwrap().entries.len();
    let modules = modules_archive();
    for (name, argv, compression) in TOOLS {
        let packed = compress_with(argv, &main);
        let mut initrd = packed.clone();
        if compression == Compression::Lz4Legacy {
            let mut unpadded = initrd.clone();
            unpadded.extend_from_slice(&modules);
            let err = cpio::read_initramfs(&unpadded).unwrap_err();
            assert!(err.to_string().contains("lz4 legacy"), "{err}");
            initrd.extend_from_slice(&[0; 4]);
        }
        let modules_at = initrd.len();
        initrd.extend_from_slice(&modules);
        let segments =
            cpio::read_initramfs(&initrd).unwrap_or_else(|e| panic!("{name} + gzip modules: {e}"));
        let got: Vec<_> = segments
            .iter()
            .map(|s| (s.compression, s.offset, s.entries.len()))
            .collect();
        assert_eq!(
            got,
            [
                (compression, 0, entries),
                (Compression::Gzip, modules_at, 4)
            ],
            "{name} + gzip modules"
        );
    }
}

/// Two xz streams, two zstd frames, two lz4 frames: `decompress` reads both,
/// as `xz -d`, `zstd -d` and `lz4 -d` do; an initramfs reads them as two
/// archives, as the kernel does.
#[test]
fn concatenated_streams_decompress_whole_and_read_as_two_archives() {
    if !have_tools() {
        return;
    }
    let early = early_archive();
    let modules = compress::decompress(&modules_archive()).unwrap();
    for (name, argv, compression) in TOOLS {
        if compression == Compression::Lz4Legacy {
            continue;
        }
        let mut both = compress_with(argv, &early);
        let second_at = both.len();
        both.extend_from_slice(&compress_with(argv, &modules));
        let mut plain = early.clone();
        plain.extend_from_slice(&modules);
        assert!(compress::decompress(&both).unwrap() == plain, "{name}");
        let segments = cpio::read_initramfs(&both).unwrap();
        let offsets: Vec<_> = segments.iter().map(|s| (s.compression, s.offset)).collect();
        assert_eq!(
            offsets,
            [(compression, 0), (compression, second_at)],
            "{name}"
        );
    }
}

/// repack-boot with an `lz4 -l` initrd: the modules archive it appends is
/// preceded by zero padding, so the ramdisk reads as the initrd's archive then
/// the modules' (without it, the modules would be read as more lz4 blocks).
#[test]
fn modules_appended_to_an_lz4_legacy_initrd_stay_readable() {
    if !have_tools() {
        return;
    }
    let target = "dragonboard-845c";
    let mut inputs = kir_core::repack::demo::inputs(target).unwrap();
    let plain = compress::decompress(inputs.initrd.as_deref().unwrap()).unwrap();
    let legacy = compress_with(&["lz4", "-q", "-l"], &plain);
    inputs.initrd = Some(legacy.clone());
    let recipe = kir_core::recipe::load(target, None).unwrap();
    let out = kir_core::repack::repack_boot(&recipe, &inputs, &Default::default()).unwrap();
    assert!(
        out.notes.iter().any(|n| n.contains("lz4 legacy")),
        "{:?}",
        out.notes
    );
    let boot = kir_core::bootimg::BootImage::parse(&out.files[0].bytes).unwrap();
    assert!(boot.ramdisk.starts_with(&legacy));
    let segments = cpio::read_initramfs(&boot.ramdisk).unwrap();
    let kinds: Vec<_> = segments.iter().map(|s| s.compression).collect();
    assert_eq!(kinds, [Compression::Lz4Legacy, Compression::Gzip]);
    assert_eq!(
        names(&segments[0].entries),
        names(&cpio::read(&plain).unwrap().entries)
    );
    assert!(
        segments[1]
            .entries
            .iter()
            .any(|e| e.name.starts_with("usr/lib/modules/") && e.name.ends_with(".ko")),
        "modules archive after the lz4 initrd"
    );
    // A gzip initrd gets no padding: KIR's plain `cat`.
    let gz = kir_core::repack::demo::inputs(target).unwrap();
    let out = kir_core::repack::repack_boot(&recipe, &gz, &Default::default()).unwrap();
    assert!(out.notes.is_empty(), "{:?}", out.notes);
}
