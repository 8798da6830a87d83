//! ext4 root file systems: build an image from a tar archive
//! (`kir_ext4_from_tar`), read an image into a tree (`kir_ext4_read`, then
//! `kir_ext4_tree_*` accessors), write a tree as a fresh image or a tar
//! (re-imaging in memory), and KIR's resize-rootfs flow on files
//! (`kir_resize_rootfs`).

use std::ffi::{CString, c_char};
use std::path::PathBuf;

use kir_core::ext4::{self, NodeKind, Options, Profile, Tree};
use kir_core::rootfs::{self, ResizeRequest};

use crate::ffi::{self, Failure, KirBytes, KirStatus};

/// ext4 feature sets (values never change).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KirExt4Profile {
    /// Journal, extents, flex_bg, htree, ...: readable by every ext4 kernel,
    /// U-Boot and GRUB.
    Compat = 0,
    /// compat + 64bit + metadata_csum, as mke2fs 1.47 makes by default.
    Debian = 1,
}

/// `kir_resize_rootfs` flag: empty `<modules_path>/lib/modules` first (KIR's `-c`).
pub const KIR_RESIZE_CLEAR_MODULES: u32 = 1;
/// `kir_resize_rootfs` flag: write an Android sparse image `<name>.img` (KIR's `-s`).
pub const KIR_RESIZE_SPARSE: u32 = 2;
/// `kir_resize_rootfs` flag: xz-compress the final image (KIR's `-z`).
pub const KIR_RESIZE_XZ: u32 = 4;

/// One entry of a tree, as listed by the accessors.
struct Entry {
    path: CString,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
}

/// A file tree read from an ext4 image: entries in path order, parents
/// before children (the root `/` first).
pub struct KirExt4Tree {
    tree: Tree,
    entries: Vec<Entry>,
}

impl KirExt4Tree {
    fn new(tree: Tree) -> Self {
        let mut entries = Vec::new();
        for (path, id) in tree.walk() {
            let Some(node) = tree.node(id) else { continue };
            let size = match &node.kind {
                NodeKind::File(f) => f.size(),
                NodeKind::Symlink(t) => t.len() as u64,
                _ => 0,
            };
            entries.push(Entry {
                path: ffi::c_string(&String::from_utf8_lossy(&path)),
                mode: u32::from(node.mode()),
                uid: node.meta.uid,
                gid: node.meta.gid,
                size,
            });
        }
        KirExt4Tree { tree, entries }
    }

    fn entry(&self, index: usize) -> ffi::Outcome<&Entry> {
        self.entries.get(index).ok_or_else(|| {
            Failure::invalid(
                "index",
                format!("{index} is past the {} entries", self.entries.len()),
            )
        })
    }
}

fn profile(value: u32) -> ffi::Outcome<Profile> {
    match value {
        0 => Ok(Profile::Compat),
        1 => Ok(Profile::Debian),
        _ => Err(Failure::invalid(
            "profile",
            format!("{value} (expected KIR_EXT4_PROFILE_COMPAT or KIR_EXT4_PROFILE_DEBIAN)"),
        )),
    }
}

fn options(profile_value: u32, size_bytes: u64, slack_bytes: u64) -> ffi::Outcome<Options> {
    Ok(Options {
        profile: profile(profile_value)?,
        size_bytes: (size_bytes != 0).then_some(size_bytes),
        slack_bytes,
        ..Options::default()
    })
}

/// Builds an ext4 image from the uncompressed tar archive `tar[0..len]`
/// (owners, modes, devices, hard links and xattrs from its headers).
/// `profile` is a kir_ext4_profile value. The image is `size_bytes` long, or
/// when that is 0 sized from the content plus `slack_bytes` of free space.
/// On success `*out` holds the image; free it with kir_bytes_free.
///
/// # Safety
/// `tar` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_from_tar(
    tar: *const u8,
    len: usize,
    profile: u32,
    size_bytes: u64,
    slack_bytes: u64,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let tar = unsafe { ffi::bytes_arg(tar, len, "tar") }?;
        let opts = options(profile, size_bytes, slack_bytes)?;
        let tree = kir_core::tar::read_tar(tar, "tar")?;
        *out = KirBytes::from_vec(ext4::build_image(&tree, &opts)?);
        Ok(())
    })
}

/// Reads the ext4 image `image[0..len]` (ours or mke2fs's, checksums
/// verified) into a tree; free it with kir_ext4_tree_free. A malformed
/// image returns KIR_STATUS_ERR_MALFORMED naming the field and offset.
///
/// # Safety
/// `image` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_read(
    image: *const u8,
    len: usize,
    out: *mut *mut KirExt4Tree,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let image = unsafe { ffi::bytes_arg(image, len, "image") }?;
        *out = ffi::into_handle(KirExt4Tree::new(ext4::read_image(image)?));
        Ok(())
    })
}

/// Frees a tree; NULL is allowed.
///
/// # Safety
/// `tree` must be NULL or a tree from kir_ext4_read not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_free(tree: *mut KirExt4Tree) {
    ffi::call_or((), || {
        unsafe { ffi::free_handle(tree) };
        Ok(())
    })
}

/// Number of entries in the tree (the root `/` included); 0 for NULL.
///
/// # Safety
/// `tree` must be NULL or a live tree.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_len(tree: *const KirExt4Tree) -> usize {
    ffi::call_or(0, || {
        Ok(unsafe { ffi::handle_ref(tree, "tree") }?.entries.len())
    })
}

/// Path of entry `index` (absolute, `/` first), borrowed from the tree;
/// NULL for a NULL tree or an index past the end.
///
/// # Safety
/// `tree` must be NULL or a live tree.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_path(
    tree: *const KirExt4Tree,
    index: usize,
) -> *const c_char {
    ffi::call_or(std::ptr::null(), || {
        let tree = unsafe { ffi::handle_ref(tree, "tree") }?;
        Ok(tree.entry(index)?.path.as_ptr())
    })
}

/// Mode of entry `index`: file type and permission bits as in `st_mode`
/// (0 for a NULL tree or an index past the end).
///
/// # Safety
/// `tree` must be NULL or a live tree.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_mode(tree: *const KirExt4Tree, index: usize) -> u32 {
    ffi::call_or(0, || {
        Ok(unsafe { ffi::handle_ref(tree, "tree") }?.entry(index)?.mode)
    })
}

/// Owner (uid, gid) of entry `index`, written to `*uid` and `*gid`.
///
/// # Safety
/// `tree` must be a live tree; `uid` and `gid` must point to writable uint32_t.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_owner(
    tree: *const KirExt4Tree,
    index: usize,
    uid: *mut u32,
    gid: *mut u32,
) -> KirStatus {
    ffi::call(|| {
        let uid = unsafe { ffi::out_arg(uid, "uid") }?;
        let gid = unsafe { ffi::out_arg(gid, "gid") }?;
        let entry = unsafe { ffi::handle_ref(tree, "tree") }?.entry(index)?;
        *uid = entry.uid;
        *gid = entry.gid;
        Ok(())
    })
}

/// Size of entry `index`: bytes of a file (holes included), length of a
/// symlink's target, 0 otherwise (and for a NULL tree or a bad index).
///
/// # Safety
/// `tree` must be NULL or a live tree.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_size(tree: *const KirExt4Tree, index: usize) -> u64 {
    ffi::call_or(0, || {
        Ok(unsafe { ffi::handle_ref(tree, "tree") }?.entry(index)?.size)
    })
}

/// Content of the regular file at `path` (holes as zeros), or the target of
/// the symlink at `path`, into `*out`; free it with kir_bytes_free.
/// KIR_STATUS_ERR_INVALID_ARGUMENT when nothing is there or it is another kind.
///
/// # Safety
/// `tree` must be a live tree, `path` a NUL-terminated string, `out` a
/// writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_read(
    tree: *const KirExt4Tree,
    path: *const c_char,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let tree = &unsafe { ffi::handle_ref(tree, "tree") }?.tree;
        let path = unsafe { ffi::str_arg(path, "path") }?;
        let id = tree
            .lookup(path.as_bytes())?
            .ok_or_else(|| Failure::invalid("path", format!("{path}: no such entry")))?;
        let bytes = match tree.node(id).map(|n| &n.kind) {
            Some(NodeKind::File(f)) => f.to_vec()?,
            Some(NodeKind::Symlink(target)) => target.clone(),
            _ => {
                return Err(Failure::invalid(
                    "path",
                    format!("{path}: not a regular file or symlink"),
                ));
            }
        };
        *out = KirBytes::from_vec(bytes);
        Ok(())
    })
}

/// Writes the tree as a fresh ext4 image (re-imaging: any size, either
/// profile; `size_bytes` 0 sizes it from the content plus `slack_bytes`).
/// On success `*out` holds the image; free it with kir_bytes_free.
///
/// # Safety
/// `tree` must be a live tree; `out` a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_to_image(
    tree: *const KirExt4Tree,
    profile: u32,
    size_bytes: u64,
    slack_bytes: u64,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let tree = &unsafe { ffi::handle_ref(tree, "tree") }?.tree;
        let opts = options(profile, size_bytes, slack_bytes)?;
        *out = KirBytes::from_vec(ext4::build_image(tree, &opts)?);
        Ok(())
    })
}

/// Writes the tree as an uncompressed pax tar archive into `*out`; free it
/// with kir_bytes_free.
///
/// # Safety
/// `tree` must be a live tree; `out` a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_ext4_tree_to_tar(
    tree: *const KirExt4Tree,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let tree = &unsafe { ffi::handle_ref(tree, "tree") }?.tree;
        let mut tar = Vec::new();
        kir_core::tar::write_tar(tree, &mut tar)?;
        *out = KirBytes::from_vec(tar);
        Ok(())
    })
}

/// KIR's resize_rootfs.sh on files: reads `rootfs` (.ext4 or .tar, plain or
/// .gz/.xz/.zst), lays the tarball `overlay` (NULL: none) under
/// `modules_path` (NULL: "/"), and writes a fresh image with
/// `extra_size_kib` KiB free into `output_dir`. `flags` ORs
/// KIR_RESIZE_CLEAR_MODULES, KIR_RESIZE_SPARSE and KIR_RESIZE_XZ. On success
/// `*out_path` holds the path of the image written, NUL-terminated (`len`
/// counts the NUL; free it with kir_bytes_free). Outputs go through temporary files; nothing is left
/// behind on failure and the input is never modified.
///
/// # Safety
/// `rootfs` and `output_dir` must be NUL-terminated strings, `overlay` and
/// `modules_path` NULL or NUL-terminated, `out_path` a writable kir_bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kir_resize_rootfs(
    rootfs: *const c_char,
    overlay: *const c_char,
    modules_path: *const c_char,
    flags: u32,
    extra_size_kib: u64,
    profile: u32,
    output_dir: *const c_char,
    out_path: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out_path, "out_path") }?;
        let rootfs = unsafe { ffi::str_arg(rootfs, "rootfs") }?;
        let overlay = unsafe { ffi::opt_str_arg(overlay, "overlay") }?;
        let modules_path = unsafe { ffi::opt_str_arg(modules_path, "modules_path") }?;
        let output_dir = unsafe { ffi::str_arg(output_dir, "output_dir") }?;
        let known = KIR_RESIZE_CLEAR_MODULES | KIR_RESIZE_SPARSE | KIR_RESIZE_XZ;
        if flags & !known != 0 {
            return Err(Failure::invalid(
                "flags",
                format!("unknown bits {:#x}", flags & !known),
            ));
        }
        let req = ResizeRequest {
            rootfs: PathBuf::from(rootfs),
            overlay: overlay.map(PathBuf::from),
            modules_path: modules_path.unwrap_or("/").to_string(),
            clear_modules: flags & KIR_RESIZE_CLEAR_MODULES != 0,
            sparse: flags & KIR_RESIZE_SPARSE != 0,
            xz: flags & KIR_RESIZE_XZ != 0,
            extra_size_kib,
            ext4: options(profile, 0, 0)?,
            output_dir: PathBuf::from(output_dir),
        };
        let outcome = rootfs::resize_rootfs(&req)?;
        let mut path = outcome.image.to_string_lossy().into_owned().into_bytes();
        path.retain(|&b| b != 0);
        path.push(0);
        *out = KirBytes::from_vec(path);
        Ok(())
    })
}
