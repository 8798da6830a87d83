//! Differential tests of kir's cpio newc code against GNU cpio: listings of
//! archives written by either side, extraction results, and the names kir
//! refuses to extract.
//!
//! Needs `cpio` (Debian package cpio). Missing: the tests fail when CI=true
//! and are skipped with a message otherwise.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use kir_core::cpio::{self, NewEntry, Node, WriteOptions};
use kir_core::{ErrorKind, compress};

fn gnu_cpio() -> bool {
    let found = Command::new("cpio")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "GNU cpio is missing (apt-get install cpio)"
        );
        eprintln!("skipping: GNU cpio is not installed (apt-get install cpio)");
    }
    found
}

/// GNU `cpio -itv --numeric-uid-gid` on `archive`, as kir's listing format:
/// the date columns dropped.
fn gnu_listing(archive: &[u8]) -> Vec<String> {
    let out = run_stdin(
        Command::new("cpio").args(["-itv", "--numeric-uid-gid", "--quiet"]),
        archive,
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // mode nlink uid gid size|"maj," "min" Mon DD YYYY|HH:MM name [-> target]
            let (size, rest) = if f[4].ends_with(',') {
                (format!("{} {}", f[4], f[5]), &f[9..])
            } else {
                (f[4].to_string(), &f[8..])
            };
            format!(
                "{} {} {} {} {} {}",
                f[0],
                f[1],
                f[2],
                f[3],
                size,
                rest.join(" ")
            )
        })
        .collect()
}

fn run_stdin(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed");
    out.stdout
}

fn sample() -> Vec<NewEntry> {
    vec![
        NewEntry::new(".", Node::Directory, 0o755),
        NewEntry::new(
            "init",
            Node::File(b"#!/bin/sh\nexec /bin/sh\n".to_vec()),
            0o755,
        ),
        NewEntry::new("bin", Node::Directory, 0o755),
        NewEntry::new("bin/busybox", Node::File(vec![0x7f; 5000]), 0o4755),
        NewEntry::new("bin/sh", Node::Symlink("busybox".into()), 0o777),
        NewEntry::new("bin/ash", Node::HardLink("bin/busybox".into()), 0o4755),
        NewEntry::new("dev", Node::Directory, 0o755),
        NewEntry::new(
            "dev/console",
            Node::CharDevice { major: 5, minor: 1 },
            0o600,
        ),
        NewEntry::new("dev/sda", Node::BlockDevice { major: 8, minor: 0 }, 0o660),
        NewEntry::new("dev/initctl", Node::Fifo, 0o600),
        NewEntry::new("tmp", Node::Directory, 0o1777),
        NewEntry::new("empty", Node::File(Vec::new()), 0o600),
        NewEntry::new(
            "usr/lib/modules/6.1.0-x/kernel/a.ko",
            Node::File(b"ko".to_vec()),
            0o644,
        ),
        NewEntry::new("usr", Node::Directory, 0o755),
        NewEntry::new("usr/lib", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules/6.1.0-x", Node::Directory, 0o755),
        NewEntry::new("usr/lib/modules/6.1.0-x/kernel", Node::Directory, 0o755),
    ]
}

#[test]
fn gnu_cpio_lists_our_archive_as_we_do() {
    if !gnu_cpio() {
        return;
    }
    let opts = WriteOptions {
        mtime: 1_700_000_000,
        ..WriteOptions::default()
    };
    let bytes = cpio::write(&sample(), &opts).unwrap();
    let ours = cpio::listing(&cpio::read(&bytes).unwrap().entries);
    assert_eq!(gnu_listing(&bytes), ours);
    assert_eq!(ours.len(), sample().len());
}

#[test]
fn we_list_a_gnu_written_archive_as_gnu_does() {
    if !gnu_cpio() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib/modules/6.1.0-x")).unwrap();
    std::fs::write(root.join("init"), b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("init"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("usr/lib/modules/6.1.0-x/a.ko"), vec![1u8; 3000]).unwrap();
    std::fs::hard_link(
        root.join("usr/lib/modules/6.1.0-x/a.ko"),
        root.join("usr/lib/b.ko"),
    )
    .unwrap();
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();

    let names = "init\nlib\nusr\nusr/lib\nusr/lib/b.ko\nusr/lib/modules\nusr/lib/modules/6.1.0-x\nusr/lib/modules/6.1.0-x/a.ko\n";
    let archive = run_stdin(
        Command::new("cpio")
            .args(["-o", "-H", "newc", "-R", "+0:+0", "--quiet"])
            .current_dir(root),
        names.as_bytes(),
    );
    let ours = cpio::read(&archive).unwrap();
    assert_eq!(cpio::listing(&ours.entries), gnu_listing(&archive));
    assert_eq!(ours.len % 4, 0);

    // Gzip it as KIR does, append a second member, and read both.
    let mut initrd = compress::gzip(&archive, 9);
    initrd.extend_from_slice(&compress::gzip(
        &cpio::write(&sample(), &WriteOptions::default()).unwrap(),
        9,
    ));
    let segments = cpio::read_initramfs(&initrd).unwrap();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].entries, ours.entries);
}

/// Path → (type, permissions, content or target or rdev, inode group) for a tree.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, String> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = meta.file_type();
            let perm = meta.permissions().mode() & 0o7777;
            let desc = if kind.is_symlink() {
                format!("link -> {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                stack.push(path.clone());
                format!("dir {perm:o}")
            } else if kind.is_file() {
                let first = inodes
                    .entry(meta.ino())
                    .or_insert_with(|| rel.clone())
                    .clone();
                format!(
                    "file {perm:o} {:?} same-inode-as {first}",
                    std::fs::read(&path).unwrap()
                )
            } else if kind.is_char_device() || kind.is_block_device() || kind.is_fifo() {
                "special".to_string()
            } else {
                "other".to_string()
            };
            out.insert(rel, desc);
        }
    }
    out
}

#[test]
fn extraction_matches_gnu_cpio_for_files_dirs_links() {
    if !gnu_cpio() {
        return;
    }
    let bytes = cpio::write(&sample(), &WriteOptions::default()).unwrap();
    let gnu = tempfile::tempdir().unwrap();
    run_stdin(
        Command::new("cpio")
            .args(["-idm", "--quiet", "--no-absolute-filenames"])
            .current_dir(gnu.path()),
        &bytes,
    );
    let ours = tempfile::tempdir().unwrap();
    let report = cpio::extract(&cpio::read(&bytes).unwrap().entries, ours.path()).unwrap();
    assert_eq!(report.skipped, ["dev/console", "dev/initctl", "dev/sda"]);

    // The hard-link pair shares one inode holding the data, as GNU extracts it.
    let meta = |p: &str| std::fs::metadata(ours.path().join(p)).unwrap();
    assert_eq!(meta("bin/ash").ino(), meta("bin/busybox").ino());
    assert_eq!(
        std::fs::read(ours.path().join("bin/ash")).unwrap(),
        vec![0x7f; 5000]
    );

    let mut theirs = snapshot(gnu.path());
    // GNU creates device nodes and fifos when it can (as root); kir skips them.
    theirs.retain(|_, v| v != "special");
    assert_eq!(snapshot(ours.path()), theirs);
}

fn archive_of(entries: &[(&str, Node)]) -> Vec<cpio::Entry> {
    // Write each entry by hand so names cpio::write would refuse still get in.
    entries
        .iter()
        .enumerate()
        .map(|(i, (name, node))| cpio::Entry {
            name: name.to_string(),
            ino: i as u32 + 1,
            mode: match node {
                Node::Directory => 0o040755,
                Node::Symlink(_) => 0o120777,
                _ => 0o100644,
            },
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 0,
            dev_major: 0,
            dev_minor: 0,
            rdev_major: 0,
            rdev_minor: 0,
            data: match node {
                Node::File(d) => d.clone(),
                Node::Symlink(t) => t.as_bytes().to_vec(),
                _ => Vec::new(),
            },
        })
        .collect()
}

#[test]
fn extraction_refuses_parent_components_before_writing_anything() {
    let outer = tempfile::tempdir().unwrap();
    let dest = outer.path().join("dest");
    let entries = archive_of(&[
        ("ok", Node::File(b"x".to_vec())),
        ("../evil", Node::File(b"x".to_vec())),
    ]);
    let err = cpio::extract(&entries, &dest).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafePath);
    assert!(err.to_string().contains("../evil"), "{err}");
    assert!(!outer.path().join("evil").exists());
    assert!(
        !dest.join("ok").exists(),
        "names are checked before anything is written"
    );
}

#[test]
fn extraction_refuses_absolute_names() {
    let dest = tempfile::tempdir().unwrap();
    let entries = archive_of(&[("/etc/kir-evil", Node::File(b"x".to_vec()))]);
    assert_eq!(
        cpio::extract(&entries, dest.path()).unwrap_err().kind(),
        ErrorKind::UnsafePath
    );
}

#[test]
fn extraction_refuses_writing_through_a_symlink_the_archive_made() {
    let outer = tempfile::tempdir().unwrap();
    let dest = outer.path().join("dest");
    let target = outer.path().join("outside");
    std::fs::create_dir(&target).unwrap();
    let entries = archive_of(&[
        ("init", Node::File(b"x".to_vec())),
        ("link", Node::Symlink(target.display().to_string())),
        ("link/file", Node::File(b"x".to_vec())),
    ]);
    let err = cpio::extract(&entries, &dest).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafePath);
    assert!(!target.join("file").exists());
    assert!(
        !dest.exists(),
        "the symlink trick is found before anything is written"
    );
}

#[test]
fn reader_errors_name_field_and_offset_on_gnu_archive_damage() {
    if !gnu_cpio() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"data").unwrap();
    let archive = run_stdin(
        Command::new("cpio")
            .args(["-o", "-H", "newc", "--quiet"])
            .current_dir(dir.path()),
        b"f\n",
    );
    let mut damaged = archive;
    // namesize of the first entry: absurd.
    damaged[94..102].copy_from_slice(b"FFFFFFFF");
    let err = cpio::read(&damaged).unwrap_err();
    assert!(
        err.to_string().contains("c_namesize") && err.to_string().contains("0x5e"),
        "{err}"
    );
}
