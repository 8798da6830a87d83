//! What every writing subcommand promises about its outputs: it never writes
//! over one of its own inputs, and a new output gets the mode any new file
//! gets (0666 less the umask), as the tools it replaces do.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn kir(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kir"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kir")
}

fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let value = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .expect("Umask line");
    u32::from_str_radix(value.trim(), 8).expect("octal umask")
}

fn refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kir accepted it: {stderr}");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
}

#[test]
fn mkbootimg_refuses_an_output_that_is_its_kernel() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("kin"), b"kernel bytes").unwrap();
    let out = kir(dir.path(), &["mkbootimg", "--kernel", "kin", "-o", "kin"]);
    refused(&out, "also an input (--kernel");
    assert_eq!(fs::read(dir.path().join("kin")).unwrap(), b"kernel bytes");
}

#[test]
fn mkbootimg_refuses_boot_and_vendor_boot_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ramdisk"), b"ramdisk").unwrap();
    let out = kir(
        dir.path(),
        &[
            "mkbootimg",
            "--header_version",
            "4",
            "--vendor_ramdisk",
            "ramdisk",
            "--vendor_boot",
            "both.img",
            "-o",
            "both.img",
        ],
    );
    refused(&out, "same file");
    assert!(!dir.path().join("both.img").exists());
}

#[test]
fn img2simg_and_simg2img_refuse_to_write_over_their_input() {
    let dir = tempfile::tempdir().unwrap();
    let raw = vec![7u8; 8192];
    fs::write(dir.path().join("same.img"), &raw).unwrap();
    refused(
        &kir(dir.path(), &["img2simg", "same.img", "same.img"]),
        "also an input",
    );
    assert_eq!(fs::read(dir.path().join("same.img")).unwrap(), raw);

    assert!(
        kir(dir.path(), &["img2simg", "same.img", "s.simg"])
            .status
            .success()
    );
    let sparse = fs::read(dir.path().join("s.simg")).unwrap();
    // A hard link is the same file under another name.
    fs::hard_link(dir.path().join("s.simg"), dir.path().join("alias")).unwrap();
    refused(
        &kir(dir.path(), &["simg2img", "s.simg", "alias"]),
        "also an input",
    );
    assert_eq!(fs::read(dir.path().join("s.simg")).unwrap(), sparse);
}

#[test]
fn new_outputs_get_0666_less_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("raw.img"), vec![0u8; 8192]).unwrap();
    fs::write(dir.path().join("kernel"), b"kernel").unwrap();
    assert!(
        kir(dir.path(), &["img2simg", "raw.img", "out.simg"])
            .status
            .success()
    );
    assert!(
        kir(dir.path(), &["simg2img", "out.simg", "back.img"])
            .status
            .success()
    );
    assert!(
        kir(
            dir.path(),
            &["mkbootimg", "--kernel", "kernel", "-o", "boot.img"]
        )
        .status
        .success()
    );
    for name in ["out.simg", "back.img", "boot.img"] {
        let mode = fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o666 & !umask(), "{name}: mode {mode:o}");
    }
}

#[test]
fn create_ext4_rootfs_refuses_to_write_over_its_rootfs() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("root")).unwrap();
    fs::write(dir.path().join("root/hello"), b"hi").unwrap();
    let tar = Command::new("tar")
        .args(["-cf", "same.tar", "-C", "root", "."])
        .current_dir(dir.path())
        .status()
        .expect("run tar");
    assert!(tar.success());
    let before = fs::read(dir.path().join("same.tar")).unwrap();
    let out = kir(
        dir.path(),
        &[
            "create-ext4-rootfs",
            "--rootfs",
            "same.tar",
            "--output_file",
            "same.tar",
        ],
    );
    refused(&out, "also an input (--rootfs");
    assert_eq!(fs::read(dir.path().join("same.tar")).unwrap(), before);
}
