//! Differential tests: kir's sparse encoder against AOSP img2simg (Debian
//! android-sdk-libsparse-utils) and its decoder against simg2img, on the same
//! inputs and block sizes. Outputs must be byte-identical.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use kir_core::sparse::{self, EncodeOptions, HolePolicy, SparseChunk};

/// Whether `tool` runs; in CI a missing tool fails the test, elsewhere it skips.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is required in CI (Debian package listed in scripts/deps/apt.txt)");
        }
        eprintln!(
            "skipping: {tool} not installed (apt-get install android-sdk-libsparse-utils e2fsprogs)"
        );
    }
    found
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn pattern_blocks(pattern: u32, blocks: usize, bs: usize) -> Vec<u8> {
    pattern.to_le_bytes().repeat(blocks * bs / 4)
}

struct Case {
    name: &'static str,
    block_size: Option<u32>,
    input: Input,
}

enum Input {
    Bytes(Vec<u8>),
    /// Data pieces at byte offsets in a file of the given length; the rest are holes.
    Holey {
        len: u64,
        pieces: Vec<(u64, Vec<u8>)>,
    },
    /// An ext4 image made by mke2fs: (size, extra mke2fs args).
    Ext4 {
        size: &'static str,
        args: &'static [&'static str],
    },
}

fn cases() -> Vec<Case> {
    let b = |name, block_size, bytes| Case {
        name,
        block_size,
        input: Input::Bytes(bytes),
    };
    let mut mixed = pattern_blocks(0, 3, 4096);
    mixed.extend(noise(5 * 4096, 1));
    mixed.extend(pattern_blocks(0xFFFF_FFFF, 2, 4096));
    mixed.extend(pattern_blocks(0, 4, 4096));
    mixed.extend(noise(123, 2));
    let mut alternating = Vec::new();
    for i in 0..16u32 {
        if i % 2 == 0 {
            alternating.extend(pattern_blocks(i * 0x0101_0101, 1, 4096));
        } else {
            alternating.extend(noise(4096, u64::from(i)));
        }
    }
    let mut almost_fill = pattern_blocks(0x1234_5678, 2, 4096);
    let n = almost_fill.len();
    almost_fill[n - 1] ^= 1;
    let mut zero_tail = noise(3 * 4096, 3);
    zero_tail.extend(vec![0u8; 1000]);
    let period8: Vec<u8> = [1u8, 2, 3, 4, 5, 6, 7, 8].repeat(4 * 512);
    let mut same_fill_split = pattern_blocks(7, 2, 4096);
    same_fill_split.extend(noise(4096, 9));
    same_fill_split.extend(pattern_blocks(7, 2, 4096));

    vec![
        b("empty", None, Vec::new()),
        b("one_byte", None, vec![0x5a]),
        b("one_zero_byte", None, vec![0]),
        b("random_10000_bytes", None, noise(10_000, 4)),
        b("random_one_block", None, noise(4096, 5)),
        b("zero_blocks", None, vec![0u8; 3 * 4096]),
        b("ff_blocks", None, pattern_blocks(0xFFFF_FFFF, 5, 4096)),
        b("mixed_runs", None, mixed.clone()),
        b("mixed_runs_1k", Some(1024), mixed.clone()),
        b("mixed_runs_8k", Some(8192), mixed.clone()),
        b("mixed_runs_64k", Some(65536), mixed),
        b("alternating_fill_and_random", None, alternating.clone()),
        b("alternating_2052", Some(2052), alternating),
        b("almost_fill", None, almost_fill),
        b("zero_partial_tail_is_raw", None, zero_tail),
        b("period_8_pattern_is_raw", None, period8),
        b("same_fill_split_by_raw", None, same_fill_split),
        b("large_zero_run_3m", Some(1024), {
            let mut v = noise(10_000, 6);
            v.extend(vec![0u8; 3 << 20]);
            v
        }),
        Case {
            name: "holey_file",
            block_size: None,
            input: Input::Holey {
                len: (8 << 20) + 777,
                pieces: vec![
                    (1000, noise(9000, 7)),
                    (5 << 20, noise(4096, 8)),
                    ((8 << 20) + 700, noise(77, 9)),
                ],
            },
        },
        Case {
            name: "holey_file_1k",
            block_size: Some(1024),
            input: Input::Holey {
                len: 4 << 20,
                pieces: vec![(3 << 20, b"tail data".to_vec())],
            },
        },
        Case {
            name: "holey_file_ending_in_hole",
            block_size: None,
            input: Input::Holey {
                len: (2 << 20) + 100,
                pieces: vec![(0, noise(5000, 10))],
            },
        },
        Case {
            name: "ext4_small_1k_blocks",
            block_size: None,
            input: Input::Ext4 {
                size: "8M",
                args: &[],
            },
        },
        Case {
            name: "ext4_4k_blocks",
            block_size: None,
            input: Input::Ext4 {
                size: "48M",
                args: &["-b", "4096"],
            },
        },
        Case {
            name: "ext4_4k_blocks_1k_sparse",
            block_size: Some(1024),
            input: Input::Ext4 {
                size: "24M",
                args: &["-b", "4096", "-O", "^has_journal"],
            },
        },
    ]
}

fn tree_for_ext4(dir: &Path) {
    fs::create_dir_all(dir.join("boot")).unwrap();
    fs::create_dir_all(dir.join("lib/modules/6.1.0")).unwrap();
    fs::write(dir.join("boot/zImage"), noise(300_000, 11)).unwrap();
    fs::write(dir.join("boot/board.dtb"), noise(40_000, 12)).unwrap();
    for i in 0..40u64 {
        fs::write(
            dir.join(format!("lib/modules/6.1.0/m{i}.ko")),
            noise(1000 + 997 * i as usize, i),
        )
        .unwrap();
    }
    fs::write(dir.join("zeros.bin"), vec![0u8; 200_000]).unwrap();
}

fn materialise(case: &Case, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{}.raw", case.name));
    match &case.input {
        Input::Bytes(bytes) => fs::write(&path, bytes).unwrap(),
        Input::Holey { len, pieces } => {
            let f = fs::File::create(&path).unwrap();
            f.set_len(*len).unwrap();
            for (at, data) in pieces {
                std::os::unix::fs::FileExt::write_all_at(&f, data, *at).unwrap();
            }
        }
        Input::Ext4 { size, args } => {
            let tree = dir.join(format!("{}.tree", case.name));
            tree_for_ext4(&tree);
            run(Command::new("mke2fs")
                .args([
                    "-q",
                    "-F",
                    "-t",
                    "ext4",
                    "-E",
                    "hash_seed=11111111-2222-3333-4444-555555555555",
                ])
                .args(["-U", "01234567-89ab-cdef-0123-456789abcdef"])
                .args(*args)
                .arg("-d")
                .arg(&tree)
                .arg(&path)
                .arg(size)
                .env("E2FSPROGS_FAKE_TIME", "1700000000"));
        }
    }
    path
}

#[test]
fn encoder_output_is_byte_identical_to_img2simg() {
    if !have("img2simg") || !have("mke2fs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut identical = 0;
    let all = cases();
    assert!(all.len() >= 20);
    for case in &all {
        let raw = materialise(case, dir.path());
        let reference = dir.path().join(format!("{}.ref.simg", case.name));
        let mut cmd = Command::new("img2simg");
        cmd.arg(&raw).arg(&reference);
        if let Some(bs) = case.block_size {
            cmd.arg(bs.to_string());
        }
        run(&mut cmd);
        let expected = fs::read(&reference).unwrap();

        for holes in [HolePolicy::Fill, HolePolicy::Read] {
            let options = EncodeOptions {
                block_size: case.block_size.unwrap_or(4096),
                holes,
                ..Default::default()
            };
            let ours = sparse::encode_file(&raw, Cursor::new(Vec::new()), &options)
                .unwrap()
                .into_inner();
            assert!(
                ours == expected,
                "{} ({holes:?}): output differs from img2simg",
                case.name
            );
            let streamed = sparse::encode_reader(
                fs::File::open(&raw).unwrap(),
                Cursor::new(Vec::new()),
                &options,
            )
            .unwrap()
            .into_inner();
            assert!(
                streamed == expected,
                "{}: encode_reader differs from img2simg",
                case.name
            );
        }
        identical += 1;
    }
    assert_eq!(identical, all.len());
}

#[test]
fn decoder_output_matches_simg2img() {
    if !have("img2simg") || !have("simg2img") || !have("mke2fs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let raw = materialise(&case, dir.path());
        let options = EncodeOptions {
            block_size: case.block_size.unwrap_or(4096),
            // DONT_CARE holes and a checksum exercise every chunk type.
            holes: HolePolicy::DontCare,
            image_checksum: true,
            crc_chunk: true,
            ..Default::default()
        };
        let simg = dir.path().join(format!("{}.kir.simg", case.name));
        let f = sparse::encode_file(&raw, fs::File::create(&simg).unwrap(), &options).unwrap();
        drop(f);

        let reference = dir.path().join(format!("{}.simg2img", case.name));
        run(Command::new("simg2img").arg(&simg).arg(&reference));
        let ours = dir.path().join(format!("{}.kir.raw", case.name));
        sparse::decode_file(&simg, &ours, &Default::default()).unwrap();
        assert!(
            fs::read(&ours).unwrap() == fs::read(&reference).unwrap(),
            "{}: expansion differs from simg2img",
            case.name
        );

        // The expansion is the input, zero padded to whole blocks.
        let mut padded = fs::read(&raw).unwrap();
        let bs = options.block_size as usize;
        padded.resize(padded.len().div_ceil(bs) * bs, 0);
        assert!(
            fs::read(&ours).unwrap() == padded,
            "{}: round trip differs",
            case.name
        );
    }
}

#[test]
fn holes_policy_dont_care_skips_hole_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holey");
    let f = fs::File::create(&path).unwrap();
    f.set_len(16 << 20).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &noise(4096, 1), 8 << 20).unwrap();
    let options = EncodeOptions {
        holes: HolePolicy::DontCare,
        ..Default::default()
    };
    let image = sparse::encode_file(&path, Cursor::new(Vec::new()), &options)
        .unwrap()
        .into_inner();
    let (_, chunks) = sparse::inspect(&image[..]).unwrap();
    let kinds: Vec<_> = chunks.iter().map(|c| (c.chunk, c.blocks)).collect();
    // tmpfs and ext4 report the holes; the image stays a few KiB either way.
    if kinds.len() == 3 {
        assert_eq!(
            kinds,
            vec![
                (SparseChunk::DontCare, 2048),
                (SparseChunk::Raw, 1),
                (SparseChunk::DontCare, 2047)
            ]
        );
    }
    assert!(image.len() < 3 * 4096, "{} bytes", image.len());
}

#[test]
fn streaming_writer_builds_a_file_system_image_without_a_raw_file() {
    // What a file system writer does: used blocks as bytes, free space skipped.
    let mut w =
        sparse::SparseWriter::new(Cursor::new(Vec::new()), &EncodeOptions::default()).unwrap();
    w.write_all(&noise(2 * 4096, 3)).unwrap();
    w.fill_blocks(0, 4).unwrap(); // an inode table that must read as zeros
    w.skip_blocks(100).unwrap(); // free blocks
    w.write_all(&noise(4096, 4)).unwrap();
    let image = w.finish().unwrap().into_inner();
    let (header, chunks) = sparse::inspect(&image[..]).unwrap();
    assert_eq!(header.total_blks, 107);
    let kinds: Vec<_> = chunks.iter().map(|c| (c.chunk, c.blocks)).collect();
    assert_eq!(
        kinds,
        vec![
            (SparseChunk::Raw, 2),
            (SparseChunk::Fill(0), 4),
            (SparseChunk::DontCare, 100),
            (SparseChunk::Raw, 1)
        ]
    );
}
