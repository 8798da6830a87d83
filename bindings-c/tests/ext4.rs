//! The ext4 exports: build from tar, read back, re-image, resize-rootfs on
//! files; every NULL / invalid argument and error status.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::process::Command;
use std::ptr;

use kir::ext4::*;
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message};
use kir_core::ext4::{FileData, Metadata, Node, NodeKind, Timestamp, Tree};

/// A directory under the system's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("kir-c-ext4-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn empty() -> KirBytes {
    KirBytes {
        data: ptr::null_mut(),
        len: 0,
    }
}

fn take(mut b: KirBytes) -> Vec<u8> {
    let v = if b.data.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
    };
    unsafe { kir_bytes_free(&mut b) };
    v
}

fn last_error() -> String {
    let p = kir_last_error_message();
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A tar with a directory, a file owned by 1000:1000, a symlink and a device.
fn sample_tar() -> Vec<u8> {
    let t = Timestamp::from_secs(1_700_000_000);
    let dir = Metadata::new(0o755, 0, 0, t);
    let mut tree = Tree::new(dir.clone());
    let motd = FileData::from_bytes(b"hello from kir\n".to_vec());
    let user = Metadata::new(0o640, 1000, 1000, t);
    tree.insert(b"/etc/motd", Node::new(NodeKind::File(motd), user), &dir)
        .unwrap();
    let big = FileData::from_bytes((0..100_000u32).map(|i| (i % 251) as u8).collect());
    let file = Metadata::new(0o644, 0, 0, t);
    tree.insert(b"/usr/lib/big", Node::new(NodeKind::File(big), file), &dir)
        .unwrap();
    let link = Metadata::new(0o777, 0, 0, t);
    tree.insert(
        b"/lib",
        Node::new(NodeKind::Symlink(b"usr/lib".to_vec()), link),
        &dir,
    )
    .unwrap();
    let null = NodeKind::CharDevice { major: 1, minor: 3 };
    tree.insert(
        b"/dev/null",
        Node::new(null, Metadata::new(0o666, 0, 0, t)),
        &dir,
    )
    .unwrap();
    let mut tar = Vec::new();
    kir_core::tar::write_tar(&tree, &mut tar).unwrap();
    tar
}

/// e2fsck -fn on the image; in CI a missing e2fsck fails the test.
fn e2fsck_clean(image: &[u8]) {
    let Ok(out) = Command::new("e2fsck").arg("-V").output() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "e2fsck missing (e2fsprogs in scripts/deps/apt.txt)"
        );
        eprintln!("skipping e2fsck: not installed");
        return;
    };
    assert!(out.status.success());
    let dir = TempDir::new(&format!("fsck{}", image.len()));
    let path = dir.path().join("img.ext4");
    std::fs::write(&path, image).unwrap();
    let out = Command::new("e2fsck")
        .arg("-fn")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "e2fsck: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn read_tree(image: &[u8]) -> *mut KirExt4Tree {
    let mut tree = ptr::null_mut();
    assert_eq!(
        unsafe { kir_ext4_read(image.as_ptr(), image.len(), &mut tree) },
        KirStatus::Ok
    );
    assert!(!tree.is_null());
    tree
}

fn listing(tree: *const KirExt4Tree) -> Vec<(String, u32, u32, u32, u64)> {
    let n = unsafe { kir_ext4_tree_len(tree) };
    (0..n)
        .map(|i| unsafe {
            let path = CStr::from_ptr(kir_ext4_tree_path(tree, i))
                .to_string_lossy()
                .into_owned();
            let (mut uid, mut gid) = (7, 7);
            assert_eq!(
                kir_ext4_tree_owner(tree, i, &mut uid, &mut gid),
                KirStatus::Ok
            );
            (
                path,
                kir_ext4_tree_mode(tree, i),
                uid,
                gid,
                kir_ext4_tree_size(tree, i),
            )
        })
        .collect()
}

fn read_path(tree: *const KirExt4Tree, path: &str) -> (KirStatus, Vec<u8>) {
    let c = CString::new(path).unwrap();
    let mut out = empty();
    let status = unsafe { kir_ext4_tree_read(tree, c.as_ptr(), &mut out) };
    (status, take(out))
}

#[test]
fn tar_builds_an_image_that_reads_back_and_reimages_in_the_other_profile() {
    let tar = sample_tar();
    let mut image = empty();
    let status = unsafe {
        kir_ext4_from_tar(
            tar.as_ptr(),
            tar.len(),
            KirExt4Profile::Compat as u32,
            0,
            1 << 20,
            &mut image,
        )
    };
    assert_eq!(status, KirStatus::Ok);
    let image = take(image);
    e2fsck_clean(&image);

    let tree = read_tree(&image);
    let list = listing(tree);
    assert!(list.contains(&("/etc/motd".into(), 0o100640, 1000, 1000, 15)));
    assert!(list.contains(&("/lib".into(), 0o120777, 0, 0, 7)));
    assert!(list.contains(&("/dev/null".into(), 0o020666, 0, 0, 0)));
    assert!(list.iter().any(|e| e.0 == "/lost+found"));
    assert_eq!(list[0].0, "/");
    assert_eq!(
        read_path(tree, "/etc/motd"),
        (KirStatus::Ok, b"hello from kir\n".to_vec())
    );
    assert_eq!(
        read_path(tree, "/lib"),
        (KirStatus::Ok, b"usr/lib".to_vec())
    );
    let (status, big) = read_path(tree, "/usr/lib/big");
    assert_eq!(status, KirStatus::Ok);
    assert_eq!(big.len(), 100_000);
    assert_eq!(big[1000], (1000 % 251) as u8);

    // Re-image in memory: debian profile, a fixed 8 MiB.
    let mut again = empty();
    let status = unsafe {
        kir_ext4_tree_to_image(tree, KirExt4Profile::Debian as u32, 8 << 20, 0, &mut again)
    };
    assert_eq!(status, KirStatus::Ok);
    let again = take(again);
    assert_eq!(again.len(), 8 << 20);
    e2fsck_clean(&again);
    let tree2 = read_tree(&again);
    assert_eq!(listing(tree2), list);

    // And out as tar, which builds the same listing again.
    let mut tar2 = empty();
    assert_eq!(
        unsafe { kir_ext4_tree_to_tar(tree2, &mut tar2) },
        KirStatus::Ok
    );
    let tar2 = take(tar2);
    let mut third = empty();
    assert_eq!(
        unsafe { kir_ext4_from_tar(tar2.as_ptr(), tar2.len(), 0, 0, 0, &mut third) },
        KirStatus::Ok
    );
    let tree3 = read_tree(&take(third));
    assert_eq!(listing(tree3), list);
    unsafe {
        kir_ext4_tree_free(tree);
        kir_ext4_tree_free(tree2);
        kir_ext4_tree_free(tree3);
    }
}

#[test]
fn null_and_invalid_arguments_are_refused() {
    let tar = sample_tar();
    let mut out = empty();
    assert_eq!(
        unsafe { kir_ext4_from_tar(tar.as_ptr(), tar.len(), 0, 0, 0, ptr::null_mut()) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_ext4_from_tar(ptr::null(), 10, 0, 0, 0, &mut out) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_ext4_from_tar(tar.as_ptr(), tar.len(), 7, 0, 0, &mut out) },
        KirStatus::ErrInvalidArgument
    );
    assert!(last_error().contains("profile"), "{}", last_error());
    assert!(out.data.is_null() && out.len == 0);
    // A size too small for the content.
    assert_ne!(
        unsafe { kir_ext4_from_tar(tar.as_ptr(), tar.len(), 0, 4096, 0, &mut out) },
        KirStatus::Ok
    );
    assert!(out.data.is_null());

    let mut tree = ptr::null_mut();
    assert_eq!(
        unsafe { kir_ext4_read(ptr::null(), 0, ptr::null_mut()) },
        KirStatus::ErrNull
    );
    let garbage = vec![0x5au8; 8192];
    assert_eq!(
        unsafe { kir_ext4_read(garbage.as_ptr(), garbage.len(), &mut tree) },
        KirStatus::ErrMalformed
    );
    assert!(tree.is_null());

    // Accessors on NULL and past the end.
    assert_eq!(unsafe { kir_ext4_tree_len(ptr::null()) }, 0);
    assert!(unsafe { kir_ext4_tree_path(ptr::null(), 0) }.is_null());
    let mut image = empty();
    assert_eq!(
        unsafe { kir_ext4_from_tar(tar.as_ptr(), tar.len(), 0, 0, 0, &mut image) },
        KirStatus::Ok
    );
    let tree = read_tree(&take(image));
    let n = unsafe { kir_ext4_tree_len(tree) };
    assert!(unsafe { kir_ext4_tree_path(tree, n) }.is_null());
    assert_eq!(unsafe { kir_ext4_tree_mode(tree, n) }, 0);
    assert_eq!(unsafe { kir_ext4_tree_size(tree, n) }, 0);
    let (mut uid, mut gid) = (1, 1);
    assert_eq!(
        unsafe { kir_ext4_tree_owner(tree, n, &mut uid, &mut gid) },
        KirStatus::ErrInvalidArgument
    );
    assert_eq!(
        unsafe { kir_ext4_tree_owner(tree, 0, ptr::null_mut(), &mut gid) },
        KirStatus::ErrNull
    );
    let c = CString::new("/nope").unwrap();
    assert_eq!(
        unsafe { kir_ext4_tree_read(tree, c.as_ptr(), &mut out) },
        KirStatus::ErrInvalidArgument
    );
    assert!(last_error().contains("/nope"), "{}", last_error());
    assert_eq!(read_path(tree, "/etc").0, KirStatus::ErrInvalidArgument);
    assert_eq!(
        unsafe { kir_ext4_tree_read(tree, ptr::null(), &mut out) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_ext4_tree_to_image(tree, 2, 0, 0, &mut out) },
        KirStatus::ErrInvalidArgument
    );
    assert_eq!(
        unsafe { kir_ext4_tree_to_image(ptr::null(), 0, 0, 0, &mut out) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_ext4_tree_to_tar(tree, ptr::null_mut()) },
        KirStatus::ErrNull
    );
    unsafe {
        kir_ext4_tree_free(tree);
        kir_ext4_tree_free(ptr::null_mut());
    }
}

fn resize(
    rootfs: &Path,
    overlay: Option<&Path>,
    flags: u32,
    out_dir: &Path,
) -> (KirStatus, String) {
    let rootfs = CString::new(rootfs.to_str().unwrap()).unwrap();
    let overlay = overlay.map(|p| CString::new(p.to_str().unwrap()).unwrap());
    let dir = CString::new(out_dir.to_str().unwrap()).unwrap();
    let mut out = empty();
    let status = unsafe {
        kir_resize_rootfs(
            rootfs.as_ptr(),
            overlay.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
            ptr::null(),
            flags,
            1000,
            KirExt4Profile::Compat as u32,
            dir.as_ptr(),
            &mut out,
        )
    };
    if status != KirStatus::Ok {
        return (status, last_error());
    }
    let path = take(out);
    let text = CStr::from_bytes_with_nul(&path)
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    (status, text)
}

#[test]
fn resize_rootfs_reimages_a_tarball_into_the_output_directory() {
    let dir = TempDir::new("resize");
    let input = dir.path().join("rpb.rootfs.tar");
    std::fs::write(&input, sample_tar()).unwrap();
    let (status, path) = resize(&input, Some(&input), KIR_RESIZE_SPARSE, dir.path());
    assert_eq!(status, KirStatus::Ok, "{path}");
    assert_eq!(Path::new(&path), dir.path().join("rpb.new.rootfs.img"));
    let sparse = std::fs::read(&path).unwrap();
    assert_eq!(sparse[..4], 0xed26ff3au32.to_le_bytes());

    let (status, message) = resize(&dir.path().join("missing.tar"), None, 0, dir.path());
    assert_eq!(status, KirStatus::ErrIo);
    assert!(message.contains("missing.tar"), "{message}");
    let (status, message) = resize(&input, None, 8, dir.path());
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    assert!(message.contains("flags"), "{message}");
    let mut out = empty();
    assert_eq!(
        unsafe {
            kir_resize_rootfs(
                ptr::null(),
                ptr::null(),
                ptr::null(),
                0,
                0,
                0,
                ptr::null(),
                &mut out,
            )
        },
        KirStatus::ErrNull
    );
}
