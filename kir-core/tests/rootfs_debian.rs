//! A real Debian root file system (bookworm minbase, built from Debian
//! packages by scripts/setup.d/30-debian-rootfs.sh) through our tar reader
//! and ext4 writer, checked by e2fsck and debugfs against the tarball.

mod ext4_support;

use ext4_support::*;
use kir_core::ext4::{Options, Profile, read_image_from, write_image};

fn debian_tar() -> Option<std::path::PathBuf> {
    match std::env::var_os("KIR_DEBIAN_ROOTFS_TAR") {
        Some(p) if std::path::Path::new(&p).is_file() => Some(p.into()),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "KIR_DEBIAN_ROOTFS_TAR not set in CI (scripts/setup.d/30-debian-rootfs.sh)"
            );
            eprintln!(
                "skipping: KIR_DEBIAN_ROOTFS_TAR not set (run scripts/setup.d/30-debian-rootfs.sh)"
            );
            None
        }
    }
}

#[test]
fn debian_minbase_tree_becomes_an_ext4_that_debugfs_returns_exactly() {
    let Some(tar) = debian_tar() else { return };
    if !have_e2fsprogs() {
        return;
    }
    let tree = kir_core::tar::read_tar(std::fs::File::open(&tar).unwrap(), "minbase.tar").unwrap();
    assert!(
        tree.walk().len() > 5000,
        "a minbase root has thousands of entries"
    );
    let dir = tempfile::tempdir().unwrap();

    let compat = dir.path().join("compat.ext4");
    write_image(
        &tree,
        &Options::default(),
        &mut std::fs::File::create(&compat).unwrap(),
    )
    .unwrap();
    verify_image(&compat, &tree);

    let debian = dir.path().join("debian.ext4");
    let opts = Options {
        profile: Profile::Debian,
        block_size: Some(4096),
        ..Options::default()
    };
    write_image(&tree, &opts, &mut std::fs::File::create(&debian).unwrap()).unwrap();
    e2fsck_clean(&debian);
    let back = read_image_from(&std::fs::File::open(&debian).unwrap()).unwrap();
    assert_same(
        &canonical(&back, true),
        &canonical(&with_lost_found(&tree), true),
    );
}
