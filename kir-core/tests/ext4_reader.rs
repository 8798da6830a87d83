//! ext4 reader: our own images and mke2fs's read back into the same tree.

mod ext4_support;

use std::process::Command;

use ext4_support::*;
use kir_core::ext4::{Options, Profile, Tree, build_image, read_image, read_image_from};

#[test]
fn images_we_write_read_back_to_the_same_tree_in_both_profiles() {
    let tree = varied_tree(400);
    for profile in [Profile::Compat, Profile::Debian] {
        for bs in [1024, 4096] {
            let opts = Options {
                profile,
                block_size: Some(bs),
                ..Options::default()
            };
            let image = build_image(&tree, &opts).unwrap();
            let back = read_image(&image).unwrap();
            assert_eq!(
                canonical(&back, true),
                canonical(&with_lost_found(&tree), true),
                "{profile:?} {bs}"
            );
        }
    }
}

#[test]
fn sparse_file_past_4_gib_reads_back_with_its_holes() {
    use kir_core::ext4::{Node, NodeKind};
    let d = meta(0o755, 0, 0, 1);
    let mut tree = Tree::new(d.clone());
    tree.insert(b"/s", Node::new(NodeKind::File(sparse_5g()), d.clone()), &d)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.ext4");
    let mut f = std::fs::File::create(&img).unwrap();
    kir_core::ext4::write_image(&tree, &Options::default(), &mut f).unwrap();
    drop(f);
    let back = read_image_from(&std::fs::File::open(&img).unwrap()).unwrap();
    assert_eq!(
        canonical(&back, true),
        canonical(&with_lost_found(&tree), true)
    );
}

#[test]
fn corrupt_inode_checksum_is_reported_with_the_field_name() {
    let tree = varied_tree(0);
    let opts = Options {
        profile: Profile::Debian,
        block_size: Some(1024),
        ..Options::default()
    };
    let mut image = build_image(&tree, &opts).unwrap();
    // Find the root inode (inode 2) through the first group descriptor.
    let gd = 2 * 1024;
    let table = u32::from_le_bytes(image[gd + 8..gd + 12].try_into().unwrap()) as usize;
    image[table * 1024 + 256 + 0x10] ^= 0xff;
    let err = read_image(&image).unwrap_err().to_string();
    assert!(
        err.contains("i_checksum") && err.contains("inode 2"),
        "{err}"
    );
}

#[test]
fn garbage_is_refused_not_panicked_on() {
    assert!(read_image(&[]).is_err());
    assert!(read_image(&vec![0u8; 4096]).is_err());
    let tree = varied_tree(10);
    let image = build_image(&tree, &Options::default()).unwrap();
    // Flip bytes all over the metadata: every outcome is Ok or Err, never a panic.
    for step in (1024..image.len().min(300_000)).step_by(509) {
        let mut bad = image.clone();
        bad[step] ^= 0x5a;
        let _ = read_image(&bad);
    }
    assert!(
        read_image(&image[..image.len() / 2]).is_err()
            || read_image(&image[..image.len() / 2]).is_ok()
    );
}

fn mke2fs_tree(tree: &Tree, extra: &[&str]) -> Option<Tree> {
    if !have_e2fsprogs() || !is_root() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    write_host_tree(tree, &src);
    let img = dir.path().join("fs.ext4");
    let st = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4"])
        .args(extra)
        .arg("-d")
        .arg(&src)
        .arg(&img)
        .arg("64M")
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .status()
        .unwrap();
    assert!(st.success());
    Some(read_image_from(&std::fs::File::open(&img).unwrap()).unwrap())
}

/// The tree as mke2fs -d stores it: with lost+found, without the root's mtime.
fn comparable(tree: &Tree) -> Vec<String> {
    canonical(tree, false)
        .into_iter()
        .filter(|l| !l.starts_with("/lost+found ") && !l.starts_with("/ "))
        .collect()
}

#[test]
fn mke2fs_default_image_reads_back_to_the_source_tree() {
    let tree = varied_tree(500);
    let Some(back) = mke2fs_tree(&tree, &[]) else {
        return;
    };
    assert_same(&comparable(&back), &comparable(&tree));
}

#[test]
fn mke2fs_inline_data_image_reads_back_to_the_source_tree() {
    let tree = varied_tree(50);
    let Some(back) = mke2fs_tree(&tree, &["-O", "inline_data", "-b", "4096"]) else {
        return;
    };
    assert_same(&comparable(&back), &comparable(&tree));
}

#[test]
fn mke2fs_ext2_style_block_map_image_reads_back() {
    let tree = varied_tree(50);
    let Some(back) = mke2fs_tree(
        &tree,
        &[
            "-O",
            "^extent,^flex_bg,^64bit,^metadata_csum,^huge_file,^dir_nlink",
        ],
    ) else {
        return;
    };
    assert_same(&comparable(&back), &comparable(&tree));
}
