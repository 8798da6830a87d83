//! Tarballs read in place (`tar::read_tar_file`): file data stays in the
//! tarball and the ext4 writer copies it from there (through a buffer, or by
//! the kernel's `copy_file_range` for a file output). The image must be the
//! same bytes as from the tarball read into memory, whatever the route.

mod ext4_support;

use std::path::Path;
use std::process::Command;

use ext4_support::*;
use kir_core::ext4::{
    DataRun, FileData, Node, NodeKind, Options, Profile, Stored, Tree, build_image,
};
use kir_core::rootfs::{self, CreateRequest, write_rootfs_image, write_tarball};
use kir_core::tar::{overlay_tar, overlay_tar_file, read_tar, read_tar_file};

/// The varied tree plus files that cross the writer's thresholds: one large
/// enough to be copied straight to the output (over 1 MiB) with a hole
/// inside, one of only zeros, and a small one after them.
fn tree_with_large_files() -> Tree {
    let d = meta(0o755, 0, 0, 10);
    let mut t = varied_tree(40);
    let mut big = pseudo(7, 3 << 20);
    big[1 << 20..(1 << 20) + (256 << 10)].fill(0);
    t.insert(
        b"/data/large.bin",
        Node::new(
            NodeKind::File(FileData::from_bytes(big)),
            meta(0o644, 0, 0, 11),
        ),
        &d,
    )
    .unwrap();
    t.insert(
        b"/data/zeros.bin",
        Node::new(
            NodeKind::File(FileData::from_bytes(vec![0; 200_000])),
            meta(0o644, 0, 0, 11),
        ),
        &d,
    )
    .unwrap();
    t.insert(
        b"/data/tail.txt",
        Node::new(
            NodeKind::File(
                FileData::sparse(
                    9,
                    vec![DataRun {
                        offset: 0,
                        data: b"after it\n".to_vec(),
                    }],
                )
                .unwrap(),
            ),
            meta(0o600, 5, 6, 11),
        ),
        &d,
    )
    .unwrap();
    t
}

/// Every regular file with data in `tree` keeps it in a source file.
fn assert_all_in_source(tree: &Tree) {
    let mut files = 0;
    for (path, id) in tree.walk() {
        if let NodeKind::File(f) = &tree.node(id).unwrap().kind {
            if f.stored_len() > 0 {
                files += 1;
                assert!(
                    matches!(f.stored(), Stored::Source(..)),
                    "{} was read into memory",
                    String::from_utf8_lossy(&path)
                );
            }
        }
    }
    assert!(files > 10, "only {files} files with data");
}

#[test]
fn a_tarball_read_in_place_gives_the_same_image_as_its_bytes_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &tar).unwrap();

    let in_memory = read_tar(&std::fs::read(&tar).unwrap()[..], "root.tar").unwrap();
    let in_place = read_tar_file(&tar).unwrap();
    assert_all_in_source(&in_place);
    assert_same(&canonical(&in_place, true), &canonical(&in_memory, true));

    for profile in [Profile::Compat, Profile::Debian] {
        let opts = Options {
            profile,
            ..Options::default()
        };
        let want = build_image(&in_memory, &opts).unwrap();
        // Through a buffer (any writer).
        assert!(
            build_image(&in_place, &opts).unwrap() == want,
            "{profile:?}: buffered copy differs"
        );
        // Through the kernel, into a file on the tarball's file system.
        let out = dir.path().join(format!("{profile:?}.ext4"));
        write_rootfs_image(&in_place, &opts, &out, false).unwrap();
        assert!(
            std::fs::read(&out).unwrap() == want,
            "{profile:?}: kernel copy differs"
        );
        if have_e2fsprogs() {
            e2fsck_clean(&out);
        }
    }
}

#[test]
fn a_gnu_sparse_member_read_in_place_keeps_its_holes_and_bytes() {
    if Command::new("tar").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "GNU tar missing in CI"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let f = std::fs::File::create(src.join("holey")).unwrap();
    f.set_len(64 << 20).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(&pseudo(3, 300_000), 0).unwrap();
    f.write_all_at(&pseudo(4, 2 << 20), 20 << 20).unwrap();
    f.write_all_at(b"end", (64 << 20) - 3).unwrap();
    drop(f);
    let st = Command::new("tar")
        .args([
            "--sparse",
            "-C",
            src.to_str().unwrap(),
            "-cf",
            "s.tar",
            "holey",
        ])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let tar = dir.path().join("s.tar");
    let in_place = read_tar_file(&tar).unwrap();
    let in_memory = read_tar(std::fs::File::open(&tar).unwrap(), "s.tar").unwrap();
    let id = in_place.lookup(b"/holey").unwrap().unwrap();
    let NodeKind::File(data) = &in_place.node(id).unwrap().kind else {
        panic!("not a file")
    };
    assert!(matches!(data.stored(), Stored::Source(..)));
    assert_eq!(data.size(), 64 << 20);
    assert!(
        data.stored_len() < 3 << 20,
        "holes filled: {}",
        data.stored_len()
    );
    assert!(data.to_vec().unwrap() == std::fs::read(src.join("holey")).unwrap());
    let opts = Options::default();
    assert!(build_image(&in_place, &opts).unwrap() == build_image(&in_memory, &opts).unwrap());
}

#[test]
fn an_overlay_read_in_place_lands_where_a_streamed_one_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = meta(0o755, 0, 0, 20);
    let mut modules = Tree::new(d.clone());
    modules
        .insert(
            b"/lib/modules/6.1.0/kernel/big.ko",
            Node::new(
                NodeKind::File(FileData::from_bytes(pseudo(9, 1_500_000))),
                meta(0o644, 0, 0, 21),
            ),
            &d,
        )
        .unwrap();
    let tar = dir.path().join("modules.tar");
    write_tarball(&modules, &tar).unwrap();

    let mut root = Tree::new(d.clone());
    root.insert(
        b"/lib",
        Node::new(
            NodeKind::Symlink(b"usr/lib".to_vec()),
            meta(0o777, 0, 0, 20),
        ),
        &d,
    )
    .unwrap();
    root.insert(b"/usr/lib", Node::new(NodeKind::empty_dir(), d.clone()), &d)
        .unwrap();
    let mut streamed = root.clone();
    overlay_tar(&mut streamed, std::fs::File::open(&tar).unwrap(), b"/", "m").unwrap();
    let mut in_place = root;
    overlay_tar_file(&mut in_place, &tar, b"/").unwrap();
    assert!(
        in_place
            .lookup(b"/usr/lib/modules/6.1.0/kernel/big.ko")
            .unwrap()
            .is_some()
    );
    assert_same(&canonical(&in_place, true), &canonical(&streamed, true));
    let opts = Options::default();
    assert!(build_image(&in_place, &opts).unwrap() == build_image(&streamed, &opts).unwrap());
}

#[test]
fn create_ext4_rootfs_gives_the_same_image_from_plain_and_compressed_tarballs() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &plain).unwrap();
    let gz = dir.path().join("root.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::copy(&mut std::fs::File::open(&plain).unwrap(), &mut enc).unwrap();
    enc.finish().unwrap();

    let build = |input: &Path, name: &str| {
        let out = dir.path().join(name);
        rootfs::create_ext4_rootfs(&CreateRequest {
            rootfs: input.to_path_buf(),
            modules: None,
            output: out.clone(),
            ext4: Options::default(),
        })
        .unwrap();
        std::fs::read(out).unwrap()
    };
    let from_plain = build(&plain, "plain.ext4");
    let from_gz = build(&gz, "gz.ext4");
    assert!(
        from_plain == from_gz,
        "the image depends on how the tarball was stored"
    );
}

#[test]
fn a_tarball_cut_short_after_it_was_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &tar).unwrap();
    let tree = read_tar_file(&tar).unwrap();
    let len = std::fs::metadata(&tar).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&tar)
        .unwrap()
        .set_len(len / 3)
        .unwrap();

    let err = build_image(&tree, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("root.tar") && err.contains("changed"), "{err}");

    let out = dir.path().join("out.ext4");
    let err = write_rootfs_image(&tree, &Options::default(), &out, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("root.tar") && err.contains("changed"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "root.tar")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_tarball_rewritten_in_place_after_it_was_read_is_an_error_not_other_data() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &tar).unwrap();
    let tree = read_tar_file(&tar).unwrap();
    // Another job rewrites the file's bytes: same length, other data. The
    // spans still fit, so only the file's change time can tell.
    let id = tree.lookup(b"/data/large.bin").unwrap().unwrap();
    let NodeKind::File(data) = &tree.node(id).unwrap().kind else {
        panic!("not a file")
    };
    let Stored::Source(_, spans) = data.stored() else {
        panic!("read into memory")
    };
    let at = spans[0].at;
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&tar).unwrap();
        f.write_all_at(&pseudo(99, 4096), at).unwrap();
    }

    let refused = |what: &str, err: Option<kir_core::Error>| {
        let err = err.map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("root.tar") && e.contains("changed")),
            "{what}: {err:?}"
        );
    };
    refused("image", build_image(&tree, &Options::default()).err());
    let out = dir.path().join("out.ext4");
    refused(
        "image file",
        write_rootfs_image(&tree, &Options::default(), &out, false).err(),
    );
    assert!(!out.exists(), "an image of other data was written");
    let repacked = dir.path().join("again.tar");
    refused("tarball", write_tarball(&tree, &repacked).err());
}

/// Makes a FIFO at `path` and feeds it `bytes` from a thread once a reader
/// opens it. The returned closure unblocks a writer nobody came for and
/// waits for it.
fn feed_fifo(path: &Path, bytes: Vec<u8>) -> impl FnOnce() {
    let st = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(st.success());
    let p = path.to_path_buf();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        // A reader that stops early makes this fail; the test checks the
        // result instead.
        let _ = f.write_all(&bytes);
    });
    let p = path.to_path_buf();
    move || {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening for reading without waiting releases a writer still
        // blocked in its open.
        let _r = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&p);
        writer.join().unwrap();
    }
}

#[test]
fn a_rootfs_and_modules_from_pipes_give_the_image_of_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &root).unwrap();
    let d = meta(0o755, 0, 0, 20);
    let mut modules = Tree::new(d.clone());
    modules
        .insert(
            b"/lib/modules/6.1.0/kernel/big.ko",
            Node::new(
                NodeKind::File(FileData::from_bytes(pseudo(9, 1_500_000))),
                meta(0o644, 0, 0, 21),
            ),
            &d,
        )
        .unwrap();
    let mods = dir.path().join("modules.tar");
    write_tarball(&modules, &mods).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::copy(&mut std::fs::File::open(&mods).unwrap(), &mut gz).unwrap();
    let mods_gz = gz.finish().unwrap();

    let build = |rootfs: &Path, modules: &Path, name: &str| {
        let out = dir.path().join(name);
        rootfs::create_ext4_rootfs(&CreateRequest {
            rootfs: rootfs.to_path_buf(),
            modules: Some(modules.to_path_buf()),
            output: out.clone(),
            ext4: Options::default(),
        })
        .map(|_| std::fs::read(out).unwrap())
    };
    let want = build(&root, &mods, "files.ext4").unwrap();
    for (case, modules_bytes) in [("plain", std::fs::read(&mods).unwrap()), ("gz", mods_gz)] {
        let root_fifo = dir.path().join(format!("root-{case}.fifo"));
        let mods_fifo = dir.path().join(format!("mods-{case}.fifo"));
        let done_root = feed_fifo(&root_fifo, std::fs::read(&root).unwrap());
        let done_mods = feed_fifo(&mods_fifo, modules_bytes);
        let got = build(&root_fifo, &mods_fifo, &format!("{case}.ext4"));
        done_root();
        done_mods();
        let got = got.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(got == want, "{case}: the image from pipes differs");
    }
}

#[test]
fn a_tarball_cut_inside_file_data_names_the_offset_where_the_data_ends() {
    let dir = tempfile::tempdir().unwrap();
    let d = meta(0o755, 0, 0, 20);
    let mut t = Tree::new(d.clone());
    t.insert(
        b"/big",
        Node::new(
            NodeKind::File(FileData::from_bytes(pseudo(5, 300_000))),
            meta(0o644, 0, 0, 21),
        ),
        &d,
    )
    .unwrap();
    let whole = dir.path().join("whole.tar");
    write_tarball(&t, &whole).unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    // The file's data starts after its header (and any PAX header before
    // it): find it by its first bytes.
    let data_at = bytes
        .windows(64)
        .position(|w| w == &pseudo(5, 64)[..])
        .unwrap() as u64;
    let cut_at = data_at + 100_000;
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..cut_at as usize]).unwrap();

    let want = format!("offset {cut_at:#x}");
    for (route, err) in [
        ("in place", read_tar_file(&cut).err()),
        (
            "in memory",
            read_tar(&bytes[..cut_at as usize], "cut.tar").err(),
        ),
    ] {
        let err = err.map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains(&want)
                && e.contains("cut.tar")
                && e.contains("big")
                && e.contains("100000 of 300000")),
            "{route}: {err:?}, wanted {want}"
        );
    }
}

#[test]
fn an_ext4_partition_on_a_block_device_loads_as_the_image_file_does() {
    // Needs root and a free loop device; skipped (not failed) without them.
    if !is_root() {
        eprintln!("skipping: not root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("root.ext4");
    write_rootfs_image(&tree_with_large_files(), &Options::default(), &img, false).unwrap();
    let Ok(out) = Command::new("losetup")
        .args(["-f", "--show", "-r"])
        .arg(&img)
        .output()
    else {
        eprintln!("skipping: no losetup");
        return;
    };
    if !out.status.success() {
        eprintln!("skipping: no loop device");
        return;
    }
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let from_dev = rootfs::load_rootfs(Path::new(&dev));
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    let (from_dev, kind) = from_dev.unwrap();
    let (from_file, _) = rootfs::load_rootfs(&img).unwrap();
    assert_eq!(kind, rootfs::RootfsKind::Ext4);
    assert_same(&canonical(&from_dev, true), &canonical(&from_file, true));
}

#[test]
fn a_rootfs_named_like_a_temporary_file_of_the_output_is_neither_destroyed_nor_misread() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("root.tar");
    write_tarball(&tree_with_large_files(), &plain).unwrap();
    let original = std::fs::read(&plain).unwrap();
    let want = dir.path().join("want.ext4");
    rootfs::create_ext4_rootfs(&CreateRequest {
        rootfs: plain.clone(),
        modules: None,
        output: want.clone(),
        ext4: Options::default(),
    })
    .unwrap();
    for tag in ["raw", "packed"] {
        let out = dir.path().join(format!("out-{tag}.ext4.gz"));
        // The name kir would give its temporary file for `out`.
        let input = dir.path().join(format!(".out-{tag}.ext4.gz.{tag}.kir-tmp"));
        std::fs::copy(&plain, &input).unwrap();
        rootfs::create_ext4_rootfs(&CreateRequest {
            rootfs: input.clone(),
            modules: None,
            output: out.clone(),
            ext4: Options::default(),
        })
        .unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert!(
            std::fs::read(&input).unwrap() == original,
            "{tag}: the input was overwritten"
        );
        let mut image = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap()),
            &mut image,
        )
        .unwrap();
        assert!(
            image == std::fs::read(&want).unwrap(),
            "{tag}: another image"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".kir-tmp")
                && !n.ends_with(".raw.kir-tmp")
                && !n.ends_with(".packed.kir-tmp")
        })
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
