//! Tarballs against GNU tar: what it writes we read entry for entry, what we
//! write it extracts, and escaping entries are refused.

mod ext4_support;

use std::path::Path;
use std::process::Command;

use ext4_support::*;
use kir_core::ext4::{Node, NodeKind, Tree};
use kir_core::rootfs::codec;
use kir_core::tar::{overlay_tar, read_tar, read_tar_into, write_tar};
use kir_core::{Error, ErrorKind};

fn have_gnu_tar() -> bool {
    let ok = Command::new("tar")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "GNU tar missing in CI"
        );
        eprintln!("skipping: GNU tar not installed");
    }
    ok
}

/// The varied tree without its socket (tar has no socket type) and with a
/// name longer than ustar's 100 bytes.
fn tar_tree() -> Tree {
    let mut t = varied_tree(40);
    t.remove(b"/run/sock").unwrap();
    let d = meta(0o755, 0, 0, 1_700_000_000);
    let long = format!(
        "/deep/{}/file-with-a-long-name",
        "directory-name-of-thirty-chars".repeat(5)
    );
    let f = Node::new(
        NodeKind::File(kir_core::ext4::FileData::from_bytes(b"long".to_vec())),
        meta(0o640, 3, 4, 5),
    );
    t.insert(long.as_bytes(), f, &d).unwrap();
    let target = "/".to_string() + &"link-target-segment/".repeat(8);
    t.insert(
        b"/deep/longlink",
        Node::new(NodeKind::Symlink(target.into_bytes()), meta(0o777, 0, 0, 5)),
        &d,
    )
    .unwrap();
    t
}

fn comparable(tree: &Tree) -> Vec<String> {
    canonical(tree, false)
        .into_iter()
        .filter(|l| !l.starts_with("/ "))
        .collect()
}

fn gnu_tar(args: &[&str], dir: &Path) {
    let st = Command::new("tar")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "tar {args:?}");
}

#[test]
fn gnu_tar_pax_archive_with_xattrs_devices_links_and_long_names_reads_back() {
    if !have_gnu_tar() || !is_root() {
        return;
    }
    let tree = tar_tree();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    write_host_tree(&tree, &src);
    for (flag, name) in [
        ("", "a.tar"),
        ("-z", "a.tar.gz"),
        ("-J", "a.tar.xz"),
        ("--zstd", "a.tar.zst"),
    ] {
        let out = dir.path().join(name);
        let mut args = vec![
            "--xattrs",
            "--xattrs-include=*",
            "--format=pax",
            "-C",
            src.to_str().unwrap(),
            "-cf",
            out.to_str().unwrap(),
        ];
        if !flag.is_empty() {
            args.insert(0, flag);
        }
        args.push(".");
        gnu_tar(&args, dir.path());
        let back = read_tar(codec::open_decompressed(&out).unwrap(), name).unwrap();
        assert_same(&comparable(&back), &comparable(&tree));
    }
}

#[test]
fn gnu_sparse_member_keeps_its_holes() {
    if !have_gnu_tar() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let f = std::fs::File::create(src.join("holey")).unwrap();
    f.set_len(3 << 30).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(b"start", 0).unwrap();
    f.write_all_at(b"middle", 1 << 30).unwrap();
    f.write_all_at(b"end", (3 << 30) - 3).unwrap();
    drop(f);
    gnu_tar(
        &[
            "--sparse",
            "-C",
            src.to_str().unwrap(),
            "-cf",
            "s.tar",
            "holey",
        ],
        dir.path(),
    );
    let tar_len = std::fs::metadata(dir.path().join("s.tar")).unwrap().len();
    assert!(tar_len < 1 << 20, "GNU tar stored the holes: {tar_len}");
    let tree = read_tar(
        std::fs::File::open(dir.path().join("s.tar")).unwrap(),
        "s.tar",
    )
    .unwrap();
    let id = tree.lookup(b"/holey").unwrap().unwrap();
    let NodeKind::File(data) = &tree.node(id).unwrap().kind else {
        panic!("not a file")
    };
    assert_eq!(data.size(), 3 << 30);
    assert!(
        data.stored_len() <= 3 * 65536,
        "holes were filled: {} bytes stored",
        data.stored_len()
    );
    let runs = data.runs().unwrap();
    let runs: Vec<(u64, &[u8])> = runs.iter().map(|r| (r.offset, &r.data[..])).collect();
    assert!(runs[0].1.starts_with(b"start"));
    assert!(
        runs.iter()
            .any(|(o, d)| *o <= 1 << 30 && d.windows(6).any(|w| w == b"middle"))
    );
    assert!(runs.last().unwrap().1.ends_with(b"end"));
}

#[test]
fn tar_we_write_is_extracted_by_gnu_tar_to_the_same_tree() {
    if !have_gnu_tar() || !is_root() {
        return;
    }
    let tree = tar_tree();
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.tar");
    write_tar(&tree, std::fs::File::create(&ours).unwrap()).unwrap();
    let x = dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    gnu_tar(
        &[
            "--xattrs",
            "--xattrs-include=*",
            "--same-owner",
            "-xpf",
            ours.to_str().unwrap(),
            "-C",
            x.to_str().unwrap(),
        ],
        dir.path(),
    );
    gnu_tar(
        &[
            "--xattrs",
            "--xattrs-include=*",
            "--format=pax",
            "-C",
            x.to_str().unwrap(),
            "-cf",
            "again.tar",
            ".",
        ],
        dir.path(),
    );
    let back = read_tar(
        std::fs::File::open(dir.path().join("again.tar")).unwrap(),
        "again.tar",
    )
    .unwrap();
    assert_same(&comparable(&back), &comparable(&tree));
}

#[test]
fn tar_round_trip_keeps_everything_but_sockets() {
    let tree = tar_tree();
    let mut buf = Vec::new();
    write_tar(&tree, &mut buf).unwrap();
    let back = read_tar(&buf[..], "mem.tar").unwrap();
    assert_same(&comparable(&back), &comparable(&tree));
}

/// Builds a tar with Python's tarfile, which writes whatever names it is given.
fn python_tar(script: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("evil.tar");
    let code = format!(
        "import tarfile, io\nt = tarfile.open({:?}, 'w', format=tarfile.GNU_FORMAT)\ndef f(name, data=b'x'):\n    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))\ndef l(name, target, kind):\n    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n{script}\nt.close()\n",
        out.to_str().unwrap()
    );
    match Command::new("python3").arg("-c").arg(&code).status() {
        Ok(st) if st.success() => Some(std::fs::read(&out).unwrap()),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 missing in CI"
            );
            eprintln!("skipping: python3 not available");
            None
        }
    }
}

fn refused(script: &str, what: &str) {
    let Some(tar) = python_tar(script) else {
        return;
    };
    let err = read_tar(&tar[..], "evil.tar").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafePath, "{what}: {err}");
    assert!(err.to_string().contains("evil.tar"), "{err}");
    assert!(matches!(err, Error::UnsafePath { .. }));
}

#[test]
fn entries_escaping_the_root_are_refused() {
    refused("f('../../etc/passwd')", "dot-dot");
    refused("f('/etc/passwd')", "absolute");
    refused("f('a/../../b')", "inner dot-dot");
    refused(
        "l('etc', '/etc', tarfile.SYMTYPE)\nf('etc/passwd')",
        "write through symlink",
    );
    refused("l('evil', '../outside', tarfile.LNKTYPE)", "hard link out");
}

#[test]
fn overlay_lands_under_its_prefix_and_replaces_files() {
    let Some(tar) = python_tar(
        "f('lib/modules/6.1/kernel/a.ko', b'new')\nf('lib/modules/6.1/modules.dep', b'dep')",
    ) else {
        return;
    };
    let d = meta(0o755, 0, 0, 1);
    let mut tree = Tree::new(d.clone());
    let old = Node::new(
        NodeKind::File(kir_core::ext4::FileData::from_bytes(b"old".to_vec())),
        d.clone(),
    );
    tree.insert(b"/usr/lib/modules/6.1/kernel/a.ko", old, &d)
        .unwrap();
    read_tar_into(&mut tree, &tar[..], b"/usr/", "modules.tar").unwrap();
    let id = tree
        .lookup(b"/usr/lib/modules/6.1/kernel/a.ko")
        .unwrap()
        .unwrap();
    let NodeKind::File(f) = &tree.node(id).unwrap().kind else {
        panic!()
    };
    assert_eq!(f.to_vec().unwrap(), b"new");
    assert!(
        tree.lookup(b"/usr/lib/modules/6.1/modules.dep")
            .unwrap()
            .is_some()
    );
}

/// A usr-merged root: `/lib` is a link to `usr/lib`.
fn merged_usr_root() -> Tree {
    let d = meta(0o755, 0, 0, 1);
    let mut tree = Tree::new(d.clone());
    tree.insert(b"/usr/lib", Node::new(NodeKind::empty_dir(), d.clone()), &d)
        .unwrap();
    tree.insert(
        b"/lib",
        Node::new(NodeKind::Symlink(b"usr/lib".to_vec()), d.clone()),
        &d,
    )
    .unwrap();
    tree
}

#[test]
fn overlay_follows_the_roots_links_even_when_it_carries_the_same_link() {
    let Some(tar) =
        python_tar("l('lib', 'usr/lib', tarfile.SYMTYPE)\nf('lib/modules/6.1/kernel/a.ko', b'ko')")
    else {
        return;
    };
    let mut tree = merged_usr_root();
    overlay_tar(&mut tree, &tar[..], b"/", "modules.tar").unwrap();
    assert!(
        tree.lookup(b"/usr/lib/modules/6.1/kernel/a.ko")
            .unwrap()
            .is_some()
    );
}

#[test]
fn overlay_refuses_to_write_through_a_link_it_made_itself() {
    let Some(tar) = python_tar("l('esc', '../../..', tarfile.SYMTYPE)\nf('esc/etc/passwd', b'x')")
    else {
        return;
    };
    let mut tree = merged_usr_root();
    let err = overlay_tar(&mut tree, &tar[..], b"/", "modules.tar").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafePath, "{err}");
    assert!(err.to_string().contains("esc/etc/passwd"), "{err}");
    assert!(tree.lookup(b"/etc/passwd").unwrap().is_none());
}
