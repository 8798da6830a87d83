//! Re-imaging flows (KIR's resize_rootfs.sh and create-ext4.rootfs.py) end to
//! end: inputs in every compression, overlays, `-c`, sparse output, checked
//! with e2fsck and by reading the result back.

mod ext4_support;

use std::path::Path;

use ext4_support::*;
use kir_core::ext4::{FileData, Node, NodeKind, Options, Profile, Tree, read_image};
use kir_core::rootfs::{self, CreateRequest, ResizeRequest, write_rootfs_image, write_tarball};

fn file(data: &[u8]) -> Node {
    Node::new(
        NodeKind::File(FileData::from_bytes(data.to_vec())),
        meta(0o644, 0, 0, 100),
    )
}

/// A small usr-merged root with old modules.
fn base_root() -> Tree {
    let d = meta(0o755, 0, 0, 100);
    let mut t = varied_tree(20);
    t.insert(
        b"/usr/lib/modules/5.10/kernel/old.ko",
        file(b"old module"),
        &d,
    )
    .unwrap();
    t.insert(
        b"/lib",
        Node::new(
            NodeKind::Symlink(b"usr/lib".to_vec()),
            meta(0o777, 0, 0, 100),
        ),
        &d,
    )
    .unwrap();
    t
}

fn modules_tarball(dir: &Path, name: &str) -> std::path::PathBuf {
    let d = meta(0o755, 0, 0, 200);
    let mut m = Tree::new(d.clone());
    m.insert(
        b"/lib/modules/6.1.0/kernel/drivers/new.ko",
        file(&vec![0x42; 300_000]),
        &d,
    )
    .unwrap();
    m.insert(
        b"/lib/modules/6.1.0/modules.dep",
        file(b"kernel/drivers/new.ko:\n"),
        &d,
    )
    .unwrap();
    let path = dir.join(name);
    write_tarball(&m, &path).unwrap();
    path
}

fn request(rootfs: &Path, overlay: Option<&Path>, out: &Path) -> ResizeRequest {
    ResizeRequest {
        rootfs: rootfs.to_path_buf(),
        overlay: overlay.map(Path::to_path_buf),
        modules_path: "/".into(),
        clear_modules: true,
        sparse: false,
        xz: false,
        extra_size_kib: 64000,
        ext4: Options::default(),
        output_dir: out.to_path_buf(),
    }
}

fn check_result(image: &Path, base: &Tree) {
    if have_e2fsprogs() {
        e2fsck_clean(image);
    }
    let back = read_image(&std::fs::read(image).unwrap()).unwrap();
    assert!(
        back.lookup(b"/usr/lib/modules/5.10").unwrap().is_none(),
        "-c kept the old modules"
    );
    let new = back
        .lookup(b"/usr/lib/modules/6.1.0/kernel/drivers/new.ko")
        .unwrap()
        .expect("overlay landed under /usr/lib");
    let NodeKind::File(f) = &back.node(new).unwrap().kind else {
        panic!()
    };
    assert_eq!(f.to_vec().unwrap(), vec![0x42; 300_000]);
    // Everything else is as it was.
    let keep = |t: &Tree| -> Vec<String> {
        canonical(t, false)
            .into_iter()
            .filter(|l| {
                !l.contains("/usr/lib/modules")
                    && !l.starts_with("/ ")
                    && !l.starts_with("/usr/lib ")
            })
            .collect()
    };
    assert_same(&keep(&back), &keep(&with_lost_found(base)));
}

#[test]
fn ext4_gz_input_is_reimaged_with_overlay_cleared_modules_and_slack() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_root();
    let gz = dir.path().join("lkft.rootfs.ext4.gz");
    write_rootfs_image(
        &base,
        &Options {
            profile: Profile::Debian,
            ..Options::default()
        },
        &gz,
        false,
    )
    .unwrap();
    let before = std::fs::read(&gz).unwrap();
    let modules = modules_tarball(dir.path(), "modules.tar.xz");
    let out = rootfs::resize_rootfs(&request(&gz, Some(&modules), dir.path())).unwrap();
    assert_eq!(out.image, dir.path().join("lkft.rootfs.ext4"));
    assert_eq!(std::fs::read(&gz).unwrap(), before, "input modified");
    // EXTRA_SIZE is free space, in KiB, on top of the content.
    assert!(
        out.info.free_blocks * out.info.block_size as u64 >= 64000 * 1024,
        "{:?}",
        out.info
    );
    assert!(out.info.size_bytes < 200 << 20, "{:?}", out.info);
    check_result(&out.image, &base);
}

#[test]
fn tar_xz_input_gives_new_rootfs_image_and_repacked_tarball_and_sparse_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut base = base_root();
    base.remove(b"/run/sock").unwrap();
    let tarball = dir.path().join("rpb-console-image.rootfs.tar.xz");
    write_tarball(&base, &tarball).unwrap();
    let modules = modules_tarball(dir.path(), "modules.tgz");
    let mut req = request(&tarball, Some(&modules), dir.path());
    req.sparse = true;
    let out = rootfs::resize_rootfs(&req).unwrap();
    assert_eq!(
        out.image,
        dir.path().join("rpb-console-image.new.rootfs.img")
    );
    let repacked = out.tarball.clone().unwrap();
    assert_eq!(
        repacked,
        dir.path().join("rpb-console-image.new.rootfs.tar.xz")
    );
    let raw = dir.path().join("unsparsed.ext4");
    kir_core::sparse::decode_file(&out.image, &raw, &Default::default()).unwrap();
    check_result(&raw, &base);
    let (from_tar, _) = rootfs::load_rootfs(&repacked).unwrap();
    assert!(
        from_tar
            .lookup(b"/usr/lib/modules/6.1.0/modules.dep")
            .unwrap()
            .is_some()
    );
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("kir-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn uncompressed_ext4_input_is_not_overwritten_and_xz_output_is_named_by_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_root();
    let img = dir.path().join("rootfs.ext4");
    write_rootfs_image(&base, &Options::default(), &img, false).unwrap();
    let before = std::fs::read(&img).unwrap();
    let modules = modules_tarball(dir.path(), "modules.tar.zst");
    let mut req = request(&img, Some(&modules), dir.path());
    req.xz = true;
    req.extra_size_kib = 1000;
    let out = rootfs::resize_rootfs(&req).unwrap();
    assert_eq!(out.image, dir.path().join("rootfs.new.ext4.xz"));
    assert_eq!(std::fs::read(&img).unwrap(), before);
    let raw = dir.path().join("back.ext4");
    let data = kir_core::rootfs::codec::read_all(
        kir_core::rootfs::codec::open_decompressed(&out.image).unwrap(),
        &out.image,
    )
    .unwrap();
    std::fs::write(&raw, data).unwrap();
    check_result(&raw, &base);
}

#[test]
fn create_ext4_rootfs_uses_kir_partition_size_and_compresses_by_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let mut base = base_root();
    base.remove(b"/run/sock").unwrap();
    let tarball = dir.path().join("rootfs.tar.xz");
    write_tarball(&base, &tarball).unwrap();
    let modules = modules_tarball(dir.path(), "modules.tar.gz");
    let output = dir.path().join("out.ext4.gz");
    let req = CreateRequest {
        rootfs: tarball,
        modules: Some(modules),
        output: output.clone(),
        ext4: Options::default(),
    };
    let info = rootfs::create_ext4_rootfs(&req).unwrap();
    let data = kir_core::rootfs::codec::read_all(
        kir_core::rootfs::codec::open_decompressed(&output).unwrap(),
        &output,
    )
    .unwrap();
    assert_eq!(data.len() as u64, info.size_bytes);
    assert!(info.size_bytes >= 202 << 20);
    let raw = dir.path().join("out.ext4");
    std::fs::write(&raw, &data).unwrap();
    if have_e2fsprogs() {
        e2fsck_clean(&raw);
    }
    let back = read_image(&data).unwrap();
    assert!(
        back.lookup(b"/usr/lib/modules/6.1.0/modules.dep")
            .unwrap()
            .is_some()
    );
    assert!(
        back.lookup(b"/usr/lib/modules/5.10/kernel/old.ko")
            .unwrap()
            .is_some(),
        "create does not clear"
    );
}

#[test]
fn hikey_board_flow_puts_kernel_and_dtb_in_boot_with_grub_names() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_root();
    let gz = dir.path().join("rpb.rootfs.ext4.gz");
    write_rootfs_image(&base, &Options::default(), &gz, false).unwrap();
    let kernel = dir.path().join("Image-6.1.0");
    std::fs::write(&kernel, vec![0x11; 5000]).unwrap();
    let dtb = dir.path().join("hi6220-hikey.dtb");
    std::fs::write(&dtb, [0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8]).unwrap();
    let modules = modules_tarball(dir.path(), "modules.tar.xz");
    let req = rootfs::BoardRootfsRequest {
        board: "hikey".into(),
        resize: request(&gz, Some(&modules), dir.path()),
        kernel,
        dtb,
    };
    let out = rootfs::board_rootfs(&req).unwrap();
    assert_eq!(out.image, dir.path().join("rpb.rootfs.img"));
    let raw = dir.path().join("unsparsed.ext4");
    kir_core::sparse::decode_file(&out.image, &raw, &Default::default()).unwrap();
    if have_e2fsprogs() {
        e2fsck_clean(&raw);
    }
    let back = read_image(&std::fs::read(&raw).unwrap()).unwrap();
    let link = back.lookup(b"/boot/Image").unwrap().unwrap();
    assert_eq!(
        back.node(link).unwrap().kind,
        NodeKind::Symlink(b"Image-6.1.0".to_vec())
    );
    assert!(back.lookup(b"/boot/hi6220-hikey.dtb").unwrap().is_some());
}
