//! `kir resize-rootfs`, `kir create-ext4-rootfs` and the rootfs targets of
//! `kir repack-boot` (am57xx-evm, hikey) run as a user runs them: inputs made
//! with the system's tar, gzip, xz, zstd and mke2fs, results checked with
//! e2fsprogs (`e2fsck -fn`, `debugfs`, `dumpe2fs`) and simg2img.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KIR: &str = env!("CARGO_BIN_EXE_kir");
const TOOLS: &[&str] = &[
    "mke2fs", "e2fsck", "debugfs", "dumpe2fs", "tar", "gzip", "xz", "zstd", "simg2img",
];

/// True when every reference tool is installed; in CI a missing one fails.
fn have_tools() -> bool {
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .map(|s| !s.success())
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("reference tools missing: {missing:?} (scripts/deps/apt.txt)");
    }
    eprintln!("skipping: reference tools missing: {missing:?}");
    false
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sh(script: &str, dir: &Path) {
    run(Command::new("sh").args(["-euc", script]).current_dir(dir));
}

fn kir(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(KIR);
    cmd.args(args).current_dir(dir).env_remove("EXTRA_SIZE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("kir runs")
}

fn kir_ok(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> String {
    let out = kir(args, dir, env);
    assert!(
        out.status.success(),
        "kir {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The last line of stdout: the image path, as KIR echoes it.
fn last_line(stdout: &str) -> PathBuf {
    PathBuf::from(stdout.lines().last().expect("a line of output"))
}

fn e2fsck_clean(image: &Path) {
    run(Command::new("e2fsck").arg("-fn").arg(image));
}

fn debugfs(image: &Path, request: &str) -> String {
    let out = run(Command::new("debugfs").arg("-R").arg(request).arg(image));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bytes of `path` inside the image, dumped by debugfs.
fn dumped(image: &Path, path: &str) -> Vec<u8> {
    let dest = image.with_extension("dumped");
    let _ = fs::remove_file(&dest);
    debugfs(image, &format!("dump {path} {}", dest.display()));
    let bytes = fs::read(&dest).unwrap_or_default();
    fs::remove_file(&dest).ok();
    bytes
}

/// A `dumpe2fs -h` field as a number.
fn dumpe2fs_field(image: &Path, field: &str) -> u64 {
    let out = run(Command::new("dumpe2fs").arg("-h").arg(image));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in dumpe2fs output"))
        .trim()
        .parse()
        .unwrap()
}

/// Sorted names in the output directory.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A usr-merged root with old modules (owner 1000 on /home/user) and a
/// modules tree, laid out on the host under `dir/root` and `dir/mods`.
fn make_trees(dir: &Path) {
    sh(
        "mkdir -p root/usr/lib/modules/5.10/kernel root/etc root/home/user root/boot \
         mods/lib/modules/6.1.0/kernel/drivers
         printf 'old module' > root/usr/lib/modules/5.10/kernel/old.ko
         ln -s usr/lib root/lib
         printf 'hello\\n' > root/etc/motd
         head -c 200000 /dev/urandom > root/home/user/blob
         chown -R 1000:1000 root/home/user
         head -c 300000 /dev/urandom > mods/lib/modules/6.1.0/kernel/drivers/new.ko
         printf 'kernel/drivers/new.ko:\\n' > mods/lib/modules/6.1.0/modules.dep",
        dir,
    );
}

/// Inputs in `dir/in`: rootfs as ext4 (.gz, .zst) and tar (.xz), modules as .tar.gz / .tar.xz.
fn make_inputs(dir: &Path) -> PathBuf {
    make_trees(dir);
    let input = dir.join("in");
    fs::create_dir(&input).unwrap();
    sh(
        "mke2fs -q -F -t ext4 -d root in/rpb.rootfs.ext4 16M
         gzip -k -9 in/rpb.rootfs.ext4
         zstd -q in/rpb.rootfs.ext4 -o in/zst.rootfs.ext4.zst
         rm in/rpb.rootfs.ext4
         tar -C root -cJf in/rpb-console.rootfs.tar.xz .
         tar -C mods -czf in/modules.tar.gz lib
         tar -C mods -cJf in/modules.tar.xz lib",
        dir,
    );
    input
}

fn out_dir(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    fs::create_dir(&out).unwrap();
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn resize_rootfs_ext4_gz_lays_overlay_under_prefix_and_clears_old_modules() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    let out = out_dir(tmp.path(), "out");
    let stdout = kir_ok(
        &[
            "resize-rootfs",
            "-f",
            s(&input.join("rpb.rootfs.ext4.gz")),
            "-o",
            s(&input.join("modules.tar.gz")),
            "-p",
            "/usr/",
            "-c",
            "--output-dir",
            s(&out),
        ],
        tmp.path(),
        &[],
    );
    let image = last_line(&stdout);
    assert_eq!(image, out.join("rpb.rootfs.ext4"));
    assert_eq!(names(&out), ["rpb.rootfs.ext4"], "no temporary files left");
    e2fsck_clean(&image);
    assert_eq!(
        dumped(&image, "/usr/lib/modules/6.1.0/kernel/drivers/new.ko"),
        fs::read(
            tmp.path()
                .join("mods/lib/modules/6.1.0/kernel/drivers/new.ko")
        )
        .unwrap()
    );
    let modules = debugfs(&image, "ls -p /usr/lib/modules");
    assert!(modules.contains("/6.1.0/"), "{modules}");
    assert!(
        !modules.contains("/5.10/"),
        "-c kept old modules: {modules}"
    );
    assert_eq!(dumped(&image, "/etc/motd"), b"hello\n");
    let stat = debugfs(&image, "stat /home/user/blob");
    assert!(stat.contains("User:  1000   Group:  1000"), "{stat}");
    // EXTRA_SIZE's default 64000 KiB is free (minus what e2fs reserves for metadata growth).
    let free = dumpe2fs_field(&image, "Free blocks") * dumpe2fs_field(&image, "Block size");
    assert!(free >= 60_000 * 1024, "only {free} bytes free");
}

#[test]
fn resize_rootfs_extra_size_sets_the_free_space() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    let mut free = Vec::new();
    for extra in ["4000", "100000"] {
        let out = out_dir(tmp.path(), &format!("out{extra}"));
        let stdout = kir_ok(
            &[
                "resize-rootfs",
                "-f",
                s(&input.join("rpb.rootfs.ext4.gz")),
                "--output-dir",
                s(&out),
            ],
            tmp.path(),
            &[("EXTRA_SIZE", extra)],
        );
        let image = last_line(&stdout);
        e2fsck_clean(&image);
        let bytes = dumpe2fs_field(&image, "Free blocks") * dumpe2fs_field(&image, "Block size");
        let want = extra.parse::<u64>().unwrap() * 1024;
        assert!(
            bytes >= want * 9 / 10 && bytes <= want + (8 << 20),
            "EXTRA_SIZE={extra}: {bytes} bytes free"
        );
        free.push(bytes);
    }
    assert!(free[1] > free[0] + 90_000 * 1024);
}

#[test]
fn resize_rootfs_sparse_and_xz_outputs_hold_the_same_file_system() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    let out = out_dir(tmp.path(), "out");
    let stdout = kir_ok(
        &[
            "resize-rootfs",
            "-s",
            "-z",
            "-f",
            s(&input.join("zst.rootfs.ext4.zst")),
            "-o",
            s(&input.join("modules.tar.xz")),
            "--output-dir",
            s(&out),
        ],
        tmp.path(),
        &[("EXTRA_SIZE", "8000")],
    );
    let image = last_line(&stdout);
    assert_eq!(image, out.join("zst.rootfs.img.xz"));
    assert_eq!(names(&out), ["zst.rootfs.img.xz"]);
    sh(
        "xz -dc out/zst.rootfs.img.xz > sparse.img
         simg2img sparse.img raw.ext4",
        tmp.path(),
    );
    let sparse = fs::read(tmp.path().join("sparse.img")).unwrap();
    assert_eq!(sparse[..4], 0xed26ff3au32.to_le_bytes());
    let raw = tmp.path().join("raw.ext4");
    e2fsck_clean(&raw);
    // Without -p the overlay goes to /lib, a symlink to usr/lib in this root.
    assert_eq!(
        dumped(&raw, "/usr/lib/modules/6.1.0/modules.dep"),
        b"kernel/drivers/new.ko:\n"
    );
    let old = debugfs(&raw, "ls -p /usr/lib/modules");
    assert!(old.contains("/5.10/"), "without -c old modules stay: {old}");
}

#[test]
fn resize_rootfs_tar_xz_input_gives_new_rootfs_and_repacked_tarball() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    let out = out_dir(tmp.path(), "out");
    let stdout = kir_ok(
        &[
            "resize-rootfs",
            "-f",
            s(&input.join("rpb-console.rootfs.tar.xz")),
            "-o",
            s(&input.join("modules.tar.gz")),
            "-p",
            "/usr/",
            "--output-dir",
            s(&out),
        ],
        tmp.path(),
        &[("EXTRA_SIZE", "8000")],
    );
    let image = last_line(&stdout);
    assert_eq!(image, out.join("rpb-console.new.rootfs"));
    assert_eq!(
        names(&out),
        ["rpb-console.new.rootfs", "rpb-console.new.rootfs.tar.xz"]
    );
    e2fsck_clean(&image);
    assert_eq!(dumped(&image, "/etc/motd"), b"hello\n");
    let listing = run(Command::new("tar")
        .arg("-tJf")
        .arg(out.join("rpb-console.new.rootfs.tar.xz")))
    .stdout;
    let listing = String::from_utf8_lossy(&listing);
    assert!(
        listing.contains("usr/lib/modules/6.1.0/kernel/drivers/new.ko"),
        "{listing}"
    );
}

/// Arguments, environment, a word the error must name.
type ErrorCase<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn resize_rootfs_errors_exit_non_zero_and_leave_no_output() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    fs::write(input.join("broken.ext4.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    fs::write(
        input.join("notes.txt"),
        b"just text, neither ext4 nor tar\n",
    )
    .unwrap();
    let modules = fs::read(input.join("modules.tar.gz")).unwrap();
    fs::write(input.join("trunc.tar.gz"), &modules[..modules.len() / 2]).unwrap();
    let gz = input.join("rpb.rootfs.ext4.gz");
    let cases: Vec<ErrorCase> = vec![
        (
            vec!["-f".into(), s(&input.join("missing.ext4")).into()],
            vec![],
            "missing.ext4",
        ),
        (
            vec!["-f".into(), s(&input.join("broken.ext4.gz")).into()],
            vec![],
            "broken",
        ),
        (
            vec!["-f".into(), s(&input.join("notes.txt")).into()],
            vec![],
            "notes.txt",
        ),
        (
            vec![
                "-f".into(),
                s(&gz).into(),
                "-o".into(),
                s(&input.join("notes.txt")).into(),
            ],
            vec![],
            "notes.txt",
        ),
        (
            vec!["-f".into(), s(&gz).into()],
            vec![("EXTRA_SIZE", "lots")],
            "EXTRA_SIZE",
        ),
        // KIR's getopts accepts -d and -m without acting on them; kir refuses them.
        (
            vec!["-f".into(), s(&gz).into(), "-d".into(), "x".into()],
            vec![],
            "-d",
        ),
    ];
    for (i, (args, env, named)) in cases.into_iter().enumerate() {
        let out = out_dir(tmp.path(), &format!("out{i}"));
        let mut all = vec!["resize-rootfs".to_string()];
        all.extend(args);
        all.extend(["--output-dir".into(), s(&out).into()]);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let result = kir(&refs, tmp.path(), &env);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "case {i} succeeded");
        assert!(stderr.contains(named), "case {i}: {stderr}");
        assert!(names(&out).is_empty(), "case {i} left {:?}", names(&out));
    }
}

#[test]
fn create_ext4_rootfs_sizes_like_kir_and_compresses_by_suffix() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = make_inputs(tmp.path());
    let out = out_dir(tmp.path(), "out");
    kir_ok(
        &[
            "create-ext4-rootfs",
            "--rootfs",
            s(&input.join("rpb-console.rootfs.tar.xz")),
            "--modules",
            s(&input.join("modules.tar.xz")),
            "--output_file",
            s(&out.join("rootfs.ext4.zst")),
            "--profile",
            "debian",
        ],
        tmp.path(),
        &[],
    );
    assert_eq!(names(&out), ["rootfs.ext4.zst"]);
    sh("zstd -q -dc out/rootfs.ext4.zst > raw.ext4", tmp.path());
    let raw = tmp.path().join("raw.ext4");
    e2fsck_clean(&raw);
    let features =
        String::from_utf8_lossy(&run(Command::new("dumpe2fs").arg("-h").arg(&raw)).stdout)
            .into_owned();
    assert!(features.contains("metadata_csum") && features.contains("64bit"));
    // KIR's size: regular file bytes + 202 MiB, rounded up to 512 bytes.
    let files: u64 = 10 + 6 + 200_000 + 300_000 + 23;
    let want = (files + (202 << 20)).div_ceil(512) * 512;
    let bs = dumpe2fs_field(&raw, "Block size");
    let size = dumpe2fs_field(&raw, "Block count") * bs;
    assert!(
        size <= want && size + bs > want,
        "{size} bytes, KIR's size {want}"
    );
    assert_eq!(
        dumped(&raw, "/lib/modules/6.1.0/kernel/drivers/new.ko").len(),
        300_000,
        "modules land at /lib/modules, through the /lib symlink"
    );
    assert_eq!(
        dumped(&raw, "/home/user/blob"),
        fs::read(tmp.path().join("root/home/user/blob")).unwrap()
    );
}

#[test]
fn create_ext4_rootfs_refuses_bad_input_without_output() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("bad.tar.gz"), b"\x1f\x8b\x08\x00not gzip").unwrap();
    let out = out_dir(tmp.path(), "out");
    let result = kir(
        &[
            "create-ext4-rootfs",
            "--rootfs",
            "bad.tar.gz",
            "--output_file",
            s(&out.join("rootfs.ext4")),
        ],
        tmp.path(),
        &[],
    );
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("bad.tar.gz"));
    assert!(names(&out).is_empty(), "left {:?}", names(&out));
}

/// repack-boot for a rootfs board: returns the unsparsed image.
fn board_image(tmp: &Path, target: &str, kernel: &str, dtb: &str, extra: &[&str]) -> PathBuf {
    let input = make_inputs(tmp);
    sh(
        &format!(
            "head -c 70000 /dev/urandom > in/{kernel}
             head -c 3000 /dev/urandom > in/{dtb}"
        ),
        tmp,
    );
    let out = out_dir(tmp, "out");
    let mut args = vec![
        "repack-boot",
        "-t",
        target,
        "-f",
        "in/rpb.rootfs.ext4.gz",
        "-k",
        &format!("in/{kernel}"),
        "-d",
        &format!("in/{dtb}"),
        "-m",
        "in/modules.tar.gz",
        "-o",
        "out",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdout = kir_ok(&refs, tmp, &[("EXTRA_SIZE", "8000")]);
    assert_eq!(last_line(&stdout), Path::new("out/rpb.rootfs.img"));
    assert_eq!(names(&out), ["rpb.rootfs.img"]);
    assert_eq!(names(&input).len(), 7, "inputs untouched");
    sh("simg2img out/rpb.rootfs.img raw.ext4", tmp);
    let raw = tmp.join("raw.ext4");
    e2fsck_clean(&raw);
    raw
}

#[test]
fn repack_boot_am57xx_puts_zimage_and_x15_dtb_in_rootfs_boot() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = board_image(
        tmp.path(),
        "am57xx-evm",
        "zImage-6.1.0",
        "am57xx-beagle-x15.dtb",
        &["-c"],
    );
    let kernel = fs::read(tmp.path().join("in/zImage-6.1.0")).unwrap();
    let dtb = fs::read(tmp.path().join("in/am57xx-beagle-x15.dtb")).unwrap();
    assert_eq!(dumped(&raw, "/boot/zImage-6.1.0"), kernel);
    assert_eq!(dumped(&raw, "/boot/am57xx-beagle-x15.dtb"), dtb);
    // U-Boot loads /boot/zImage: a relative link to the kernel's own name;
    // debugfs dump follows it to the same bytes.
    let link = debugfs(&raw, "stat /boot/zImage");
    assert!(link.contains("Type: symlink"), "{link}");
    assert!(link.contains("\"zImage-6.1.0\""), "{link}");
    let dtb_stat = debugfs(&raw, "stat /boot/am57xx-beagle-x15.dtb");
    assert!(
        dtb_stat.contains("Type: regular"),
        "same name, no link: {dtb_stat}"
    );
    // -c with the default prefix clears /lib/modules (= /usr/lib/modules here).
    let modules = debugfs(&raw, "ls -p /usr/lib/modules");
    assert!(
        modules.contains("/6.1.0/") && !modules.contains("/5.10/"),
        "{modules}"
    );
}

#[test]
fn repack_boot_hikey_puts_image_and_hikey_dtb_in_rootfs_boot() {
    if !have_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = board_image(
        tmp.path(),
        "hikey",
        "Image",
        "hi6220-hikey-r2.dtb",
        &["-p", "/usr/"],
    );
    let kernel = fs::read(tmp.path().join("in/Image")).unwrap();
    let dtb = fs::read(tmp.path().join("in/hi6220-hikey-r2.dtb")).unwrap();
    assert_eq!(dumped(&raw, "/boot/Image"), kernel);
    assert_eq!(dumped(&raw, "/boot/hi6220-hikey-r2.dtb"), dtb);
    let link = debugfs(&raw, "stat /boot/hi6220-hikey.dtb");
    assert!(link.contains("Type: symlink"), "{link}");
    assert!(link.contains("\"hi6220-hikey-r2.dtb\""), "{link}");
    assert!(debugfs(&raw, "stat /boot/Image").contains("Type: regular"));
    assert_eq!(
        dumped(&raw, "/usr/lib/modules/6.1.0/modules.dep"),
        b"kernel/drivers/new.ko:\n"
    );
}

#[test]
fn repack_boot_rootfs_target_needs_rootfs_and_dtb() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("zImage"), b"kernel").unwrap();
    fs::write(tmp.path().join("x.dtb"), b"dtb").unwrap();
    for (args, named) in [
        (vec!["-k", "zImage", "-d", "x.dtb"], "-f/--rootfs"),
        (vec!["-k", "zImage", "-f", "r.ext4"], "-d/--dtb"),
        (
            vec![
                "-k", "zImage", "-d", "x.dtb", "-f", "r.ext4", "-i", "i.cpio",
            ],
            "not used",
        ),
    ] {
        let mut all = vec!["repack-boot", "-t", "am57xx-evm", "-o", "out"];
        all.extend(args);
        let result = kir(&all, tmp.path(), &[]);
        assert!(!result.status.success());
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(stderr.contains(named), "{stderr}");
    }
    assert!(!tmp.path().join("out").exists() || names(&tmp.path().join("out")).is_empty());
}
