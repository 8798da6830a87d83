//! ext4 writer against the e2fsprogs oracle: every image passes `e2fsck -fn`
//! and debugfs returns the tree it was built from.

mod ext4_support;

use ext4_support::*;
use kir_core::ext4::{FileData, Node, NodeKind, Options, Profile, Tree, build_image, write_image};

fn build_and_verify(tree: &kir_core::ext4::Tree, opts: &Options) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.ext4");
    let mut f = std::fs::File::create(&img).unwrap();
    write_image(tree, opts, &mut f).unwrap();
    drop(f);
    verify_image(&img, tree);
}

#[test]
fn compat_image_with_every_kind_of_inode_passes_e2fsck_and_rdump() {
    if !have_e2fsprogs() {
        return;
    }
    build_and_verify(&varied_tree(300), &Options::default());
}

#[test]
fn debian_profile_image_with_checksums_passes_e2fsck_and_rdump() {
    if !have_e2fsprogs() {
        return;
    }
    let opts = Options {
        profile: Profile::Debian,
        ..Options::default()
    };
    build_and_verify(&varied_tree(300), &opts);
}

#[test]
fn file_past_4_gib_keeps_its_size_and_holes() {
    if !have_e2fsprogs() {
        return;
    }
    use kir_core::ext4::{Node, NodeKind, Tree};
    let d = meta(0o755, 0, 0, 1);
    let mut tree = Tree::new(d.clone());
    tree.insert(
        b"/sparse",
        Node::new(NodeKind::File(sparse_5g()), meta(0o644, 0, 0, 2)),
        &d,
    )
    .unwrap();
    for profile in [Profile::Compat, Profile::Debian] {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("fs.ext4");
        let mut f = std::fs::File::create(&img).unwrap();
        let info = write_image(
            &tree,
            &Options {
                profile,
                ..Options::default()
            },
            &mut f,
        )
        .unwrap();
        drop(f);
        // Only the data is stored: a few MiB of image, not 5 GiB.
        assert!(info.size_bytes < 64 << 20, "{}", info.size_bytes);
        e2fsck_clean(&img);
        let text = debugfs(
            &img,
            &[
                "stat /sparse".to_string(),
                "dump_extents /sparse".to_string(),
            ],
        );
        assert!(
            text.contains(&format!("Size: {}", (5u64 << 30) + 3)),
            "{text}"
        );
        // Three runs of data, three extents, the holes between them unmapped.
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("0/"))
                .count(),
            3,
            "{text}"
        );
    }
}

#[test]
fn directory_with_66000_subdirectories_has_link_count_1_and_a_two_level_htree() {
    if !have_e2fsprogs() {
        return;
    }
    use kir_core::ext4::{Node, NodeKind, Tree};
    let d = meta(0o755, 0, 0, 1);
    let mut tree = Tree::new(d.clone());
    for i in 0..66_000 {
        let path = format!("/many/d{i:05}");
        tree.insert(
            path.as_bytes(),
            Node::new(NodeKind::empty_dir(), d.clone()),
            &d,
        )
        .unwrap();
    }
    let opts = Options {
        profile: Profile::Debian,
        block_size: Some(1024),
        ..Options::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.ext4");
    let mut f = std::fs::File::create(&img).unwrap();
    write_image(&tree, &opts, &mut f).unwrap();
    drop(f);
    e2fsck_clean(&img);
    let text = debugfs(
        &img,
        &[
            "stat /many".into(),
            "htree_dump /many".into(),
            "stat /many/d65999".into(),
        ],
    );
    assert!(
        text.contains("Links: 1 "),
        "{}",
        &text[..2000.min(text.len())]
    );
    assert!(
        text.contains("Indirect levels: 1"),
        "{}",
        &text[..2000.min(text.len())]
    );
    assert!(text.contains("Type: directory"));
}

#[test]
fn four_kib_blocks_label_uuid_and_hash_seed_are_as_requested() {
    if !have_e2fsprogs() {
        return;
    }
    let tree = varied_tree(50);
    let opts = Options {
        block_size: Some(4096),
        label: b"rootfs".to_vec(),
        uuid: Some(*b"\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef"),
        hash_seed: Some([0x11; 16]),
        reserved_percent: Some(1),
        inode_ratio: Some(8192),
        size_bytes: Some(64 << 20),
        ..Options::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.ext4");
    let mut f = std::fs::File::create(&img).unwrap();
    let info = write_image(&tree, &opts, &mut f).unwrap();
    drop(f);
    assert_eq!(info.size_bytes, 64 << 20);
    verify_image(&img, &tree);
    let out = std::process::Command::new("dumpe2fs")
        .arg("-h")
        .arg(&img)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Filesystem volume name:   rootfs",
        "Filesystem UUID:          01234567-89ab-cdef-0123-456789abcdef",
        "Directory Hash Seed:      11111111-1111-1111-1111-111111111111",
        "Block size:               4096",
        "Block count:              16384",
        "Reserved block count:     163",
        "Inode count:              8192",
        "Filesystem features:      has_journal ext_attr dir_index filetype extent flex_bg sparse_super large_file huge_file dir_nlink extra_isize",
    ] {
        assert!(text.contains(want), "want {want:?} in\n{text}");
    }
}

#[test]
fn same_tree_and_options_give_identical_images() {
    let tree = varied_tree(100);
    for profile in [Profile::Compat, Profile::Debian] {
        let opts = Options {
            profile,
            ..Options::default()
        };
        let a = kir_core::ext4::build_image(&tree, &opts).unwrap();
        let b = kir_core::ext4::build_image(&tree.clone(), &opts).unwrap();
        assert!(a == b, "{profile:?} images differ");
    }
}

#[test]
fn debian_profile_matches_mke2fs_feature_flags() {
    if !have_e2fsprogs() {
        return;
    }
    let tree = varied_tree(0);
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.ext4");
    let opts = Options {
        profile: Profile::Debian,
        size_bytes: Some(32 << 20),
        ..Options::default()
    };
    std::fs::write(&ours, kir_core::ext4::build_image(&tree, &opts).unwrap()).unwrap();
    let theirs = dir.path().join("theirs.ext4");
    let st = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-O", "^resize_inode"])
        .arg(&theirs)
        .arg("32M")
        .status()
        .unwrap();
    assert!(st.success());
    let features = |p: &std::path::Path| {
        let out = std::process::Command::new("dumpe2fs")
            .arg("-h")
            .arg(p)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let pick = |key: &str| {
            text.lines()
                .find(|l| l.starts_with(key))
                .unwrap_or("")
                .to_string()
        };
        (
            pick("Filesystem features:"),
            pick("Block size:"),
            pick("Inode size:"),
            pick("Group descriptor size:"),
            pick("Checksum type:"),
        )
    };
    assert_eq!(features(&ours), features(&theirs));
}

#[test]
fn a_name_longer_than_255_bytes_is_refused_not_cut() {
    let d = meta(0o755, 0, 0, 1);
    for (len, fits) in [(255usize, true), (256, false), (300, false)] {
        let mut t = Tree::new(d.clone());
        let name = vec![b'n'; len];
        let path = [b"/dir/".as_slice(), &name].concat();
        t.insert(
            &path,
            Node::new(
                NodeKind::File(FileData::from_bytes(b"x".to_vec())),
                meta(0o644, 0, 0, 1),
            ),
            &d,
        )
        .unwrap();
        match build_image(&t, &Options::default()) {
            Ok(img) if fits => {
                let back = kir_core::ext4::read_image(&img).unwrap();
                assert!(back.lookup(&path).unwrap().is_some(), "{len}: name lost");
            }
            Ok(_) => panic!("{len}-byte name written (ext4 keeps at most 255)"),
            Err(e) if !fits => {
                let e = e.to_string();
                assert!(e.contains("255") && e.contains("/dir/nnn"), "{len}: {e}");
            }
            Err(e) => panic!("{len}: {e}"),
        }
    }
}
