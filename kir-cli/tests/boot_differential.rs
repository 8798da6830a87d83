//! `kir mkbootimg` / `kir unpack-bootimg` against AOSP mkbootimg 34 (Debian
//! trixie), found through KIR_MKBOOTIMG and KIR_UNPACK_BOOTIMG, which
//! scripts/setup.d/10-mkbootimg.sh exports. Each case builds the same flags
//! with both tools and compares the bytes; the image is then unpacked by both
//! unpackers (info text, extracted files and the mkbootimg line must agree)
//! and repacked from our line, which must give the same bytes again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KIR: &str = env!("CARGO_BIN_EXE_kir");

struct Oracle {
    mkbootimg: PathBuf,
    unpack_bootimg: PathBuf,
}

/// The reference tools, or `None` (outside CI) when they are not installed.
fn oracle() -> Option<Oracle> {
    let found = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_file())
    };
    match (found("KIR_MKBOOTIMG"), found("KIR_UNPACK_BOOTIMG")) {
        (Some(mkbootimg), Some(unpack_bootimg)) => Some(Oracle {
            mkbootimg,
            unpack_bootimg,
        }),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "KIR_MKBOOTIMG / KIR_UNPACK_BOOTIMG not set: source scripts/setup.d/10-mkbootimg.sh"
            )
        }
        _ => {
            eprintln!(
                "skipping: AOSP mkbootimg not found (source scripts/setup.d/10-mkbootimg.sh to \
                 set KIR_MKBOOTIMG and KIR_UNPACK_BOOTIMG)"
            );
            None
        }
    }
}

fn run(program: &Path, args: &[String], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn kir(args: &[&str], dir: &Path) -> Output {
    let mut all = vec!["mkbootimg".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    run(Path::new(KIR), &all, dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Deterministic filler bytes so failures reproduce.
fn filler(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// Input files every case may name, written once into `dir`.
fn inputs(dir: &Path) {
    let files: &[(&str, Vec<u8>)] = &[
        ("kernel", filler(123_457, 1)),
        ("ramdisk", filler(5_000, 2)),
        ("second", filler(3_333, 3)),
        ("dtb", filler(321, 4)),
        ("dtbo", filler(2_049, 5)),
        ("plat.cpio", filler(316, 6)),
        ("dlkm.cpio", filler(4_097, 7)),
        ("recovery.cpio", filler(1_000, 8)),
        (
            "bootconfig",
            b"androidboot.hardware=kir\nandroidboot.serialno=1234\n".to_vec(),
        ),
        ("empty", Vec::new()),
    ];
    for (name, data) in files {
        fs::write(dir.join(name), data).unwrap();
    }
}

/// A command line of exactly `len` bytes.
fn long(len: usize) -> String {
    let word = "console=ttyMSM0,115200n8 ";
    let mut line = word.repeat(len / word.len() + 1)[..len].to_string();
    if line.ends_with(' ') {
        line.pop();
        line.push('x');
    }
    line
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    boot: bool,
    vendor: bool,
    /// Unpack then repack gives the same bytes (false where unpack_bootimg's
    /// line cannot express the image, e.g. an empty recovery DTBO).
    round_trip: bool,
}

fn case(name: &'static str, args: &str, boot: bool, vendor: bool) -> Case {
    Case {
        name,
        args: args.split_whitespace().map(String::from).collect(),
        boot,
        vendor,
        round_trip: true,
    }
}

fn with(mut c: Case, extra: &[&str]) -> Case {
    c.args.extend(extra.iter().map(|s| s.to_string()));
    c
}

fn cases() -> Vec<Case> {
    let k = "--kernel kernel";
    let kr = "--kernel kernel --ramdisk ramdisk";
    let frag3 = "--ramdisk_type platform --ramdisk_name plat --vendor_ramdisk_fragment plat.cpio \
                 --ramdisk_type recovery --ramdisk_name recovery --board_id0 0x1 --board_id5 0xdead \
                 --vendor_ramdisk_fragment recovery.cpio --ramdisk_type dlkm --ramdisk_name dlkm \
                 --board_id15 0xffffffff --vendor_ramdisk_fragment dlkm.cpio";
    let mut empty_dtbo = case(
        "v1_empty_recovery_dtbo_still_records_offset",
        &format!("--header_version 1 {kr} --recovery_dtbo empty"),
        true,
        false,
    );
    empty_dtbo.round_trip = false;
    vec![
        case("v0_kernel_only", k, true, false),
        case(
            "v0_kernel_ramdisk_base_id",
            &format!("{kr} --base 0x80000000 --id"),
            true,
            false,
        ),
        with(
            case("v0_cmdline", kr, true, false),
            &["--cmdline", "console=ttyMSM0,115200n8 root=/dev/sda1 rw"],
        ),
        case(
            "v0_page4096_second_board_tags0",
            &format!("{kr} --second second --pagesize 4096 --board db410c --tags_offset 0"),
            true,
            false,
        ),
        case(
            "v0_page16384_os_version",
            &format!("{kr} --pagesize 16384 --os_version 11.0.2 --os_patch_level 2021-05-05"),
            true,
            false,
        ),
        case(
            "v0_page8192_offsets",
            &format!(
                "{kr} --pagesize 8192 --kernel_offset 0x80000 --ramdisk_offset 0x2000000 --second_offset 0x0"
            ),
            true,
            false,
        ),
        with(
            case("v0_cmdline_511", kr, true, false),
            &["--cmdline", &long(511)],
        ),
        with(
            case("v0_cmdline_512_spills_into_extra", kr, true, false),
            &["--cmdline", &long(512)],
        ),
        with(
            case("v0_cmdline_1534_max", k, true, false),
            &["--cmdline", &long(1534)],
        ),
        case(
            "v0_ignores_dtb_and_recovery_dtbo",
            &format!("{kr} --dtb dtb --recovery_dtbo dtbo --id"),
            true,
            false,
        ),
        case(
            "v0_empty_ramdisk_has_no_address",
            "--kernel kernel --ramdisk empty",
            true,
            false,
        ),
        case(
            "v1_recovery_dtbo",
            &format!("--header_version 1 {kr} --recovery_dtbo dtbo --id"),
            true,
            false,
        ),
        case(
            "v1_no_recovery_dtbo_page4096",
            &format!("--header_version 1 {kr} --pagesize 4096"),
            true,
            false,
        ),
        case(
            "v1_recovery_acpio_and_second",
            &format!("--header_version 1 {kr} --second second --recovery_acpio dtbo"),
            true,
            false,
        ),
        empty_dtbo,
        case(
            "v2_kernel_dtb",
            "--header_version 2 --kernel kernel --dtb dtb",
            true,
            false,
        ),
        case(
            "v2_every_part",
            &format!(
                "--header_version 2 {kr} --second second --recovery_dtbo dtbo --dtb dtb --id --board rb5"
            ),
            true,
            false,
        ),
        with(
            case(
                "v2_page16384_long_cmdline",
                &format!("--header_version 2 {kr} --dtb dtb --pagesize 16384"),
                true,
                false,
            ),
            &["--cmdline", &long(1000)],
        ),
        case(
            "v2_dtb_address_above_4g",
            &format!("--header_version 2 {k} --dtb dtb --base 0x80000000 --dtb_offset 0x100000000"),
            true,
            false,
        ),
        case(
            "v2_e850_style",
            "--header_version 2 --kernel kernel --dtb dtb --os_version 10 --os_patch_level 2019-12-01 --tags_offset 0 --dtb_offset 0 --id",
            true,
            false,
        ),
        case(
            "v3_boot",
            &format!(
                "--header_version 3 {kr} --cmdline console=ttyS0 --os_version 12.1 --os_patch_level 2022-02"
            ),
            true,
            false,
        ),
        with(
            case(
                "v3_boot_cmdline_1535_max",
                &format!("--header_version 3 {kr}"),
                true,
                false,
            ),
            &["--cmdline", &long(1535)],
        ),
        case(
            "v3_boot_without_ramdisk",
            &format!("--header_version 3 {k}"),
            true,
            false,
        ),
        case(
            "v3_boot_and_vendor",
            &format!(
                "--header_version 3 {kr} --vendor_ramdisk plat.cpio --dtb dtb --vendor_cmdline androidboot.console=ttyMSM0 --board sm8250"
            ),
            true,
            true,
        ),
        case(
            "v3_vendor_page4096",
            "--header_version 3 --vendor_ramdisk dlkm.cpio --dtb dtb --pagesize 4096 --base 0x80000000",
            false,
            true,
        ),
        case(
            "v3_vendor_page16384_no_dtb",
            "--header_version 3 --vendor_ramdisk plat.cpio --pagesize 16384",
            false,
            true,
        ),
        case(
            "v4_boot",
            &format!(
                "--header_version 4 {kr} --cmdline quiet --os_version 14.0.0 --os_patch_level 2024-01-05"
            ),
            true,
            false,
        ),
        with(
            case(
                "v4_boot_cmdline_1535_max",
                &format!("--header_version 4 {k}"),
                true,
                false,
            ),
            &["--cmdline", &long(1535)],
        ),
        case(
            "v4_legacy_vendor_ramdisk_and_bootconfig",
            &format!(
                "--header_version 4 {kr} --vendor_ramdisk plat.cpio --vendor_bootconfig bootconfig --dtb dtb"
            ),
            true,
            true,
        ),
        case(
            "v4_three_fragments_board_ids",
            &format!("--header_version 4 --dtb dtb --vendor_bootconfig bootconfig {frag3}"),
            false,
            true,
        ),
        case(
            "v4_legacy_plus_fragments_page4096",
            "--header_version 4 --pagesize 4096 --vendor_ramdisk ramdisk --ramdisk_type dlkm --ramdisk_name dlkm --vendor_ramdisk_fragment dlkm.cpio --ramdisk_name other --vendor_ramdisk_fragment recovery.cpio",
            false,
            true,
        ),
        case(
            "v4_vendor_without_ramdisks",
            "--header_version 4 --dtb dtb",
            false,
            true,
        ),
        with(
            case(
                "v4_vendor_page16384_long_vendor_cmdline",
                "--header_version 4 --pagesize 16384 --vendor_bootconfig bootconfig --ramdisk_name a --vendor_ramdisk_fragment plat.cpio",
                false,
                true,
            ),
            &["--vendor_cmdline", &long(2047)],
        ),
        case(
            "v4_numeric_ramdisk_type",
            "--header_version 4 --ramdisk_type 7 --ramdisk_name seven --board_id3 42 --vendor_ramdisk_fragment plat.cpio",
            false,
            true,
        ),
        case(
            "v4_gs101_style",
            "--header_version 4 --kernel kernel --dtb dtb --vendor_bootconfig bootconfig --vendor_cmdline console=ttySAC0 --ramdisk_type platform --ramdisk_name PLAT --vendor_ramdisk_fragment plat.cpio --ramdisk_type dlkm --ramdisk_name DLKM --vendor_ramdisk_fragment dlkm.cpio --base 0x0 --kernel_offset 0x80008000 --pagesize 2048",
            true,
            true,
        ),
    ]
}

/// Output flags of a case, writing under `dir`.
fn outputs(c: &Case, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    if c.boot {
        out.extend(["--output".to_string(), format!("{dir}/boot.img")]);
    }
    if c.vendor {
        out.extend([
            "--vendor_boot".to_string(),
            format!("{dir}/vendor_boot.img"),
        ]);
    }
    out
}

/// Every file under `dir` (links as "-> target"), sorted, for comparing unpacked trees.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap().display().to_string();
                found.push((rel, format!("-> {target}").into_bytes()));
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                found.push((rel, fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// Unpacks `image` (relative to `dir`) with both tools and compares what they
/// report; returns our mkbootimg line.
fn compare_unpack(
    oracle: &Oracle,
    dir: &Path,
    image: &str,
    failures: &mut Vec<String>,
    name: &str,
) -> String {
    let mut outputs = Vec::new();
    for (tool, sub) in [
        (oracle.unpack_bootimg.as_path(), "ref"),
        (Path::new(KIR), "ours"),
    ] {
        let work = dir.join(format!("unpack-{sub}-{}", image.replace('/', "_")));
        fs::create_dir_all(&work).unwrap();
        let mut prefix = Vec::new();
        if sub == "ours" {
            prefix.push("unpack-bootimg".to_string());
        }
        let image_path = dir.join(image).display().to_string();
        let args = |format: &str| {
            let mut a = prefix.clone();
            a.extend(
                [
                    "--boot_img",
                    &image_path,
                    "--out",
                    "out",
                    "--format",
                    format,
                ]
                .map(String::from),
            );
            a
        };
        let info = run(tool, &args("info"), &work);
        let line = run(tool, &args("mkbootimg"), &work);
        assert!(
            info.status.success(),
            "{name}: {sub} unpack failed: {}",
            text(&info.stderr)
        );
        assert!(
            line.status.success(),
            "{name}: {sub} unpack failed: {}",
            text(&line.stderr)
        );
        outputs.push((
            text(&info.stdout),
            text(&line.stdout),
            tree(&work.join("out")),
            work,
        ));
    }
    let (ours, reference) = (&outputs[1], &outputs[0]);
    if ours.0 != reference.0 {
        failures.push(format!(
            "{name} {image}: info differs\n--- unpack_bootimg\n{}--- kir\n{}",
            reference.0, ours.0
        ));
    }
    if ours.1 != reference.1 && !ours.1.contains("--boot_signature") {
        failures.push(format!(
            "{name} {image}: mkbootimg line differs\n{}{}",
            reference.1, ours.1
        ));
    }
    if ours.2 != reference.2 {
        let names = |t: &Vec<(String, Vec<u8>)>| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        failures.push(format!(
            "{name} {image}: extracted files differ: {:?} vs {:?}",
            names(&reference.2),
            names(&ours.2)
        ));
    }
    ours.3.display().to_string() + "\n" + ours.1.trim_end()
}

#[test]
fn mkbootimg_matches_aosp_byte_for_byte_and_round_trips() {
    let Some(oracle) = oracle() else { return };
    let root = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut identical = 0;

    for c in &cases {
        let dir = root.path().join(c.name);
        fs::create_dir_all(dir.join("ref")).unwrap();
        fs::create_dir_all(dir.join("ours")).unwrap();
        inputs(&dir);

        let mut ref_args = c.args.clone();
        ref_args.extend(outputs(c, "ref"));
        let mut our_args = c.args.clone();
        our_args.extend(outputs(c, "ours"));
        let reference = run(&oracle.mkbootimg, &ref_args, &dir);
        assert!(
            reference.status.success(),
            "{}: AOSP mkbootimg failed: {}",
            c.name,
            text(&reference.stderr)
        );
        let ours = kir(
            &our_args.iter().map(String::as_str).collect::<Vec<_>>(),
            &dir,
        );
        assert!(
            ours.status.success(),
            "{}: kir mkbootimg failed: {}",
            c.name,
            text(&ours.stderr)
        );
        if reference.stdout != ours.stdout {
            failures.push(format!(
                "{}: --id output {:?} vs {:?}",
                c.name,
                text(&reference.stdout),
                text(&ours.stdout)
            ));
        }

        for (wanted, image) in [(c.boot, "boot.img"), (c.vendor, "vendor_boot.img")] {
            if !wanted {
                continue;
            }
            let expected = fs::read(dir.join("ref").join(image)).unwrap();
            let got = fs::read(dir.join("ours").join(image)).unwrap();
            if expected != got {
                let at = expected
                    .iter()
                    .zip(&got)
                    .position(|(a, b)| a != b)
                    .unwrap_or(expected.len().min(got.len()));
                failures.push(format!(
                    "{} {image}: {} vs {} bytes, first difference at {at:#x}",
                    c.name,
                    expected.len(),
                    got.len()
                ));
                continue;
            }
            identical += 1;

            let our_image = format!("ours/{image}");
            let unpacked = compare_unpack(&oracle, &dir, &our_image, &mut failures, c.name);
            if !c.round_trip {
                continue;
            }
            let (work, line) = unpacked.split_once('\n').unwrap();
            let flag = if image == "boot.img" {
                "--output"
            } else {
                "--vendor_boot"
            };
            let script = format!("'{KIR}' mkbootimg {line} {flag} repacked.img");
            let repack = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .current_dir(work)
                .output()
                .unwrap();
            assert!(
                repack.status.success(),
                "{}: repack failed: {}\n{script}",
                c.name,
                text(&repack.stderr)
            );
            if fs::read(Path::new(work).join("repacked.img")).unwrap() != got {
                failures.push(format!(
                    "{} {image}: unpack + repack differs\n{script}",
                    c.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{identical} images identical to AOSP mkbootimg");
}

/// Options AOSP mkbootimg refuses are refused by kir too, with the reason.
#[test]
fn mkbootimg_refuses_what_aosp_refuses() {
    let Some(oracle) = oracle() else { return };
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--header_version", "2", "--kernel", "kernel"]
                .into_iter()
                .map(String::from)
                .collect(),
            "DTB",
        ),
        (
            ["--kernel", "kernel", "--cmdline", &long(1535)]
                .map(String::from)
                .to_vec(),
            "1534",
        ),
        (
            [
                "--header_version",
                "3",
                "--kernel",
                "kernel",
                "--cmdline",
                &long(1536),
            ]
            .map(String::from)
            .to_vec(),
            "1535",
        ),
        (
            ["--header_version", "4", "--vendor_cmdline", &long(2048)]
                .map(String::from)
                .to_vec(),
            "2047",
        ),
        (
            ["--header_version", "5", "--kernel", "kernel"]
                .map(String::from)
                .to_vec(),
            "version 5",
        ),
        (
            [
                "--header_version",
                "3",
                "--kernel",
                "kernel",
                "--second",
                "second",
            ]
            .map(String::from)
            .to_vec(),
            "--second",
        ),
        (
            ["--header_version", "3", "--vendor_boot", "v.img"]
                .map(String::from)
                .to_vec(),
            "--vendor_ramdisk",
        ),
        (
            [
                "--header_version",
                "2",
                "--vendor_boot",
                "v.img",
                "--dtb",
                "dtb",
            ]
            .map(String::from)
            .to_vec(),
            "--vendor_boot",
        ),
        (
            [
                "--header_version",
                "4",
                "--vendor_boot",
                "v.img",
                "--ramdisk_name",
                "default",
                "--vendor_ramdisk_fragment",
                "plat.cpio",
            ]
            .map(String::from)
            .to_vec(),
            "default",
        ),
        (
            [
                "--header_version",
                "4",
                "--vendor_boot",
                "v.img",
                "--ramdisk_name",
                "a",
                "--vendor_ramdisk_fragment",
                "plat.cpio",
                "--ramdisk_name",
                "a",
                "--vendor_ramdisk_fragment",
                "dlkm.cpio",
            ]
            .map(String::from)
            .to_vec(),
            "duplicated",
        ),
        (
            [
                "--header_version",
                "4",
                "--vendor_boot",
                "v.img",
                "--vendor_ramdisk_fragment",
                "plat.cpio",
            ]
            .map(String::from)
            .to_vec(),
            "--ramdisk_name",
        ),
        (
            ["--board", "a-board-name-longer-than-15"]
                .map(String::from)
                .to_vec(),
            "15",
        ),
        (
            ["--pagesize", "1024", "--kernel", "kernel"]
                .map(String::from)
                .to_vec(),
            "--pagesize",
        ),
        (
            ["--os_patch_level", "2024-13", "--kernel", "kernel"]
                .map(String::from)
                .to_vec(),
            "month",
        ),
    ];
    for (args, reason) in cases {
        let mut with_output = args.clone();
        with_output.extend(["--output".to_string(), "out.img".to_string()]);
        let reference = run(&oracle.mkbootimg, &with_output, dir.path());
        assert!(!reference.status.success(), "AOSP accepted {args:?}");
        // AOSP opens its outputs before checking; kir must leave none behind.
        for leftover in ["out.img", "v.img"] {
            let _ = fs::remove_file(dir.path().join(leftover));
        }
        let ours = kir(
            &with_output.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        let message = text(&ours.stderr);
        assert!(!ours.status.success(), "kir accepted {args:?}");
        assert!(
            message.contains(reason),
            "{args:?}: {message:?} does not mention {reason:?}"
        );
        for leftover in ["out.img", "v.img"] {
            assert!(
                !dir.path().join(leftover).exists(),
                "{args:?} left {leftover}"
            );
        }
    }
}

#[test]
fn signing_options_are_refused_with_a_pointer_to_boot_signature() {
    let dir = tempfile::tempdir().unwrap();
    let out = kir(
        &[
            "--header_version",
            "4",
            "--gki_signing_key",
            "key.pem",
            "--output",
            "b.img",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--boot_signature"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("b.img").exists());
}

#[test]
fn v4_boot_signature_survives_unpack_and_repack() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    fs::write(dir.path().join("sig"), filler(4096, 9)).unwrap();
    let made = kir(
        &[
            "--header_version",
            "4",
            "--kernel",
            "kernel",
            "--ramdisk",
            "ramdisk",
            "--boot_signature",
            "sig",
            "--output",
            "boot.img",
        ],
        dir.path(),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let image = fs::read(dir.path().join("boot.img")).unwrap();
    assert_eq!(
        u32::from_le_bytes(image[1580..1584].try_into().unwrap()),
        4096
    );

    let line = run(
        Path::new(KIR),
        &[
            "unpack-bootimg",
            "--boot_img",
            "boot.img",
            "--out",
            "u",
            "--format",
            "mkbootimg",
        ]
        .map(String::from),
        dir.path(),
    );
    assert!(line.status.success(), "{}", text(&line.stderr));
    let line = text(&line.stdout);
    assert!(line.contains("--boot_signature u/boot_signature"), "{line}");
    let script = format!("'{KIR}' mkbootimg {} --output again.img", line.trim_end());
    let repack = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(repack.status.success(), "{}", text(&repack.stderr));
    assert_eq!(fs::read(dir.path().join("again.img")).unwrap(), image);
}

/// Images from bookworm's mkbootimg 1:29 (cmdline split at 512 without a NUL)
/// unpack to the same report as AOSP unpack_bootimg gives.
#[test]
fn bookworm_mkbootimg_images_unpack_like_aosp() {
    let Some(oracle) = oracle() else { return };
    let bookworm = Path::new("/usr/bin/mkbootimg");
    if !bookworm.is_file() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "Debian mkbootimg missing (scripts/deps/apt.txt)"
        );
        eprintln!("skipping: Debian bookworm mkbootimg not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    let cmdline = long(1200);
    let cases: [&[&str]; 2] = [
        &[
            "--kernel",
            "kernel",
            "--ramdisk",
            "ramdisk",
            "--base",
            "0x80000000",
        ],
        &[
            "--header_version",
            "2",
            "--kernel",
            "kernel",
            "--dtb",
            "dtb",
            "--os_version",
            "10",
            "--os_patch_level",
            "2019-12",
        ],
    ];
    let mut failures = Vec::new();
    for (index, flags) in cases.iter().enumerate() {
        let image = format!("bookworm{index}.img");
        let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--cmdline".to_string(),
            cmdline.clone(),
            "--output".to_string(),
            image.clone(),
        ]);
        let made = run(bookworm, &args, dir.path());
        assert!(
            made.status.success(),
            "bookworm mkbootimg: {}",
            text(&made.stderr)
        );
        compare_unpack(&oracle, dir.path(), &image, &mut failures, "bookworm");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
