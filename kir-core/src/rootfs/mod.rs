//! Root file system flows: KIR's `resize_rootfs.sh` and
//! `create-ext4.rootfs.py`, and the am57xx-evm / hikey rootfs recipes, done
//! as "read the tree, change it, write a fresh image" with no root, loop
//! mount or VM.
//!
//! Where KIR grows an image with resize2fs and copies files in through a
//! libguestfs VM, [`reimage`] reads the whole tree (ext4 or tar, plain or
//! compressed), lays the overlay over it and writes a new image sized from
//! the real content plus the requested slack, in bytes.

pub mod codec;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::ext4::{self, FileData, ImageInfo, Metadata, Node, NodeKind, Options, Timestamp, Tree};
use crate::{Error, Result};
pub use codec::Codec;

/// What a rootfs input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootfsKind {
    /// An ext2/3/4 image.
    Ext4,
    /// A tar archive.
    Tar,
}

/// Reads a root file system (ext4 image or tarball, each plain or gzip /
/// xz / zstd compressed, told apart by content) into a tree.
pub fn load_rootfs(path: &Path) -> Result<(Tree, RootfsKind)> {
    let name = path.display().to_string();
    let mut head = [0u8; 8];
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    if !is_seekable(&f, path)? {
        // A pipe (a FIFO, `/dev/stdin`) can be read only once: through one
        // decompressing reader, then told apart as below.
        return load_read_once(f, path, &name);
    }
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    let codec = Codec::sniff(&head[..n], &name)?;
    if codec == Codec::None {
        // Uncompressed: an ext4 image is read in place, a tar streamed.
        if is_ext4(&f)? {
            return Ok((ext4::read_image_from(&f)?, RootfsKind::Ext4));
        }
        // File data stays in the tarball until the image is written.
        return Ok((
            non_empty(crate::tar::read_tar_file(path)?, &name)?,
            RootfsKind::Tar,
        ));
    }
    std::io::Seek::rewind(&mut f).map_err(|e| Error::io(path, e))?;
    load_read_once(f, path, &name)
}

/// Reads the open file `f` (at its start) once through
/// [`codec::decompressed`]: an ext4 image into memory, a tarball streamed.
fn load_read_once(f: File, path: &Path, name: &str) -> Result<(Tree, RootfsKind)> {
    let mut r = codec::decompressed(f, path)?;
    // Enough to see the ext4 magic at 1080.
    let mut head = Vec::with_capacity(2048);
    (&mut r)
        .take(2048)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    if head.get(1080..1082) == Some(&[0x53, 0xEF]) {
        let mut data = head;
        r.read_to_end(&mut data).map_err(|e| Error::io(path, e))?;
        return Ok((ext4::read_image(&data)?, RootfsKind::Ext4));
    }
    let tree = crate::tar::read_tar(std::io::Cursor::new(head).chain(r), name)?;
    Ok((non_empty(tree, name)?, RootfsKind::Tar))
}

/// A regular file or a block device (an ext4 partition is read in place):
/// something that can be read at any offset, and again.
fn is_seekable(f: &File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::FileTypeExt;
    let t = f.metadata().map_err(|e| Error::io(path, e))?.file_type();
    Ok(t.is_file() || t.is_block_device())
}

/// A rootfs with nothing in it is a wrong or truncated input (an empty file
/// reads as a tarball without entries), never something to image.
fn non_empty(tree: Tree, name: &str) -> Result<Tree> {
    if tree.is_empty() {
        return Err(Error::invalid_argument(
            name,
            "no files: neither an ext4 image nor a tarball with entries",
        ));
    }
    Ok(tree)
}

fn is_ext4(f: &File) -> Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut magic = [0u8; 2];
    Ok(f.read_exact_at(&mut magic, 1080).is_ok() && magic == [0x53, 0xEF])
}

/// Lays a modules (or any) tarball over `tree` under `prefix` (`/`, `/usr/`).
///
/// With `clear_modules`, `<prefix>/lib/modules` is emptied first: KIR's `-c`,
/// which did nothing for ext4 images, works for every input here.
pub fn apply_overlay(
    tree: &mut Tree,
    overlay: &Path,
    prefix: &str,
    clear_modules: bool,
) -> Result<()> {
    if clear_modules {
        clear_modules_dir(tree, prefix)?;
    }
    if is_plain_tar_file(overlay) {
        return crate::tar::overlay_tar_file(tree, overlay, prefix.as_bytes());
    }
    let reader = codec::open_decompressed(overlay)?;
    crate::tar::overlay_tar(
        tree,
        reader,
        prefix.as_bytes(),
        &overlay.display().to_string(),
    )
}

/// Empties `<prefix>/lib/modules` (following symlinked parents) when it exists.
fn clear_modules_dir(tree: &mut Tree, prefix: &str) -> Result<()> {
    let modules = format!("{}/lib/modules", prefix.trim_end_matches('/'));
    let resolved = tree.resolve_parents(modules.as_bytes())?;
    let cleared = tree.clear_dir(&resolved)?;
    log::debug!(
        "clear {modules} ({}): {}",
        String::from_utf8_lossy(&resolved),
        if cleared { "emptied" } else { "absent" }
    );
    Ok(())
}

/// Whether the file starts with the magic of a compression. Only a regular
/// file is looked into: the bytes read from a pipe would be gone for the
/// reader that comes after (and a FIFO left without its writer blocks the
/// next open for good), so a pipe counts as not compressed here and is
/// sniffed by the one reader that reads it.
fn is_compressed(path: &Path) -> bool {
    sniff_regular(path).is_some_and(|c| c != Codec::None)
}

/// Whether the file is a regular file holding an uncompressed tarball,
/// which is read in place.
fn is_plain_tar_file(path: &Path) -> bool {
    sniff_regular(path) == Some(Codec::None)
}

/// The compression of a regular file by its magic; `None` for anything
/// else (a pipe, a device, an unreadable file, an unknown compression).
fn sniff_regular(path: &Path) -> Option<Codec> {
    use std::os::unix::fs::FileExt;
    // Not even opened unless regular: opening a FIFO waits for its writer.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let f = File::open(path).ok()?;
    let mut head = [0u8; 8];
    let n = f.read_at(&mut head, 0).ok()?;
    Codec::sniff(&head[..n], "").ok()
}

/// [`load_rootfs`] then [`apply_overlay`] (or only the clearing of
/// `<prefix>/lib/modules` without an overlay). A compressed overlay starts
/// decompressing on a second thread while the rootfs is read, handing its
/// output over in 1 MiB chunks (at most [`AHEAD`] waiting), so the two
/// decompressions overlap without holding the whole overlay in memory.
pub fn load_with_overlay(
    rootfs: &Path,
    overlay: Option<&Path>,
    prefix: &str,
    clear_modules: bool,
) -> Result<(Tree, RootfsKind)> {
    let Some(o) = overlay.filter(|o| is_compressed(o)) else {
        let (mut tree, kind) = load_rootfs(rootfs)?;
        match overlay {
            Some(o) => apply_overlay(&mut tree, o, prefix, clear_modules)?,
            None if clear_modules => clear_modules_dir(&mut tree, prefix)?,
            None => {}
        }
        return Ok((tree, kind));
    };
    let decoder = codec::open_decompressed(o)?;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(AHEAD);
        scope.spawn(move || pump(decoder, tx));
        let (mut tree, kind) = load_rootfs(rootfs)?;
        if clear_modules {
            clear_modules_dir(&mut tree, prefix)?;
        }
        let reader = ChunkReader {
            rx,
            chunk: Vec::new(),
            at: 0,
        };
        let name = o.display().to_string();
        crate::tar::overlay_tar(&mut tree, reader, prefix.as_bytes(), &name)?;
        Ok((tree, kind))
    })
}

/// Chunks a decompressing thread may run ahead of the tar reader.
const AHEAD: usize = 8;

/// Reads `r` in 1 MiB chunks into `tx` until the end, an error, or the
/// receiver is gone.
fn pump(mut r: Box<dyn Read + Send>, tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        let mut n = 0;
        let result = loop {
            match r.read(&mut chunk[n..]) {
                Ok(0) => break Ok(()),
                Ok(k) => {
                    n += k;
                    if n == chunk.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if let Err(e) = result {
            let _ = tx.send(Err(e));
            return;
        }
        if n == 0 {
            return;
        }
        chunk.truncate(n);
        if tx.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The reading end of [`pump`].
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.chunk = next?;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Writes `tree` as an ext4 image at `output`: raw, Android sparse when
/// `sparse`, then compressed when the name ends in `.gz`, `.xz` or `.zst`.
/// Everything goes to temporary files next to `output`, renamed into place
/// at the end; nothing is left behind on failure.
pub fn write_rootfs_image(
    tree: &Tree,
    opts: &Options,
    output: &Path,
    sparse: bool,
) -> Result<ImageInfo> {
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rootfs".into());
    let codec = Codec::for_output(output)?;
    let mut made: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let (f, raw) = new_temp(dir, &name, "raw", &mut made)?;
        let info = write_synced(tree, opts, f, &raw)?;
        let mut current = raw.clone();
        if sparse {
            let (out, sparse_tmp) = new_temp(dir, &name, "sparse", &mut made)?;
            crate::sparse::encode_file(&raw, out, &crate::sparse::EncodeOptions::default())?;
            current = sparse_tmp;
        }
        if codec != Codec::None {
            let (_, packed) = new_temp(dir, &name, "packed", &mut made)?;
            codec::compress_file(&current, &packed, codec)?;
            current = packed;
        }
        std::fs::rename(&current, output).map_err(|e| Error::io(output, e))?;
        Ok(info)
    })();
    for p in &made {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// Creates a temporary file `.{name}.{tag}.kir-tmp` (or `.{name}.{tag}.N.kir-tmp`
/// when that exists) in `dir`, never opening an existing file: one by that
/// name may be an input (a rootfs named like a leftover temporary file),
/// which truncating would destroy while its data is still to be copied.
/// The path goes into `made`, for removal at the end.
fn new_temp(dir: &Path, name: &str, tag: &str, made: &mut Vec<PathBuf>) -> Result<(File, PathBuf)> {
    for n in 0..1000u32 {
        let p = if n == 0 {
            dir.join(format!(".{name}.{tag}.kir-tmp"))
        } else {
            dir.join(format!(".{name}.{tag}.{n}.kir-tmp"))
        };
        match File::options().write(true).create_new(true).open(&p) {
            Ok(f) => {
                made.push(p.clone());
                return Ok((f, p));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Err(Error::invalid_argument(
        dir.display().to_string(),
        format!("1000 temporary files .{name}.{tag}.*.kir-tmp already there"),
    ))
}

/// Writes the image into `file` and makes it durable. A helper thread
/// flushes what is written every [`SYNC_EVERY`] bytes, so the disk works
/// while the image is still being written and the final sync has little
/// left to do.
fn write_synced(tree: &Tree, opts: &Options, file: File, path: &Path) -> Result<ImageInfo> {
    let flusher = file.try_clone().map_err(|e| Error::io(path, e))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
    let info = std::thread::scope(|scope| {
        scope.spawn(move || {
            for () in rx {
                // Errors surface in the final sync_all below.
                let _ = flusher.sync_data();
            }
        });
        let mut out = SyncBehind {
            file: &file,
            pending: 0,
            tx,
            no_kernel_copy: false,
        };
        ext4::write_image_to(tree, opts, &mut out)
        // `out` and its sender drop here, which ends the helper thread.
    })?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    Ok(info)
}

/// Bytes written between two background flushes.
const SYNC_EVERY: u64 = 64 << 20;

/// A file writer that asks a helper thread to flush every [`SYNC_EVERY`] bytes.
struct SyncBehind<'f> {
    file: &'f File,
    pending: u64,
    tx: std::sync::mpsc::SyncSender<()>,
    /// Set once the kernel refused to copy between the two files.
    no_kernel_copy: bool,
}

impl SyncBehind<'_> {
    fn wrote(&mut self, n: u64) {
        self.pending += n;
        if self.pending >= SYNC_EVERY {
            self.pending = 0;
            // A flush already queued covers this one too.
            let _ = self.tx.try_send(());
        }
    }
}

impl ext4::ImageOut for SyncBehind<'_> {
    /// Asks the kernel to copy the bytes (`copy_file_range`: no trip
    /// through this process's memory); where it cannot for these two
    /// files (another file system, an old kernel), through a buffer.
    fn copy_from(&mut self, src: &ext4::SourceFile, at: u64, len: u64) -> Result<()> {
        let io = |e: std::io::Error| Error::io("ext4 image", e);
        let mut from = at;
        let end = at + len;
        while from < end && !self.no_kernel_copy {
            let want = usize::try_from(end - from)
                .unwrap_or(usize::MAX)
                .min(1 << 30);
            match rustix::fs::copy_file_range(src.file(), Some(&mut from), self.file, None, want) {
                Ok(0) => {
                    return Err(Error::malformed(
                        "source file",
                        from,
                        "data",
                        format!(
                            "{}: ends before offset {end}: the file changed after it was read",
                            src.name()
                        ),
                    ));
                }
                Ok(n) => self.wrote(n as u64),
                Err(rustix::io::Errno::INTR) => {}
                Err(
                    rustix::io::Errno::XDEV
                    | rustix::io::Errno::NOSYS
                    | rustix::io::Errno::INVAL
                    | rustix::io::Errno::OPNOTSUPP
                    | rustix::io::Errno::BADF
                    | rustix::io::Errno::PERM,
                ) => self.no_kernel_copy = true,
                Err(e) => return Err(io(e.into())),
            }
        }
        if from < end {
            // The file position is where the kernel copy stopped.
            ext4::copy_through_buffer(self, src, from, end - from)?;
        }
        Ok(())
    }
}

impl std::io::Write for SyncBehind<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(data)?;
        self.wrote(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl std::io::Seek for SyncBehind<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(to)
    }
}

/// KIR's `resize_rootfs.sh`: rootfs + overlay → a new image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizeRequest {
    /// `-f`: rootfs (`.ext4`, `.ext4.gz|xz|zst`, `.tar`, `.tar.gz|xz|zst`).
    pub rootfs: PathBuf,
    /// `-o`: overlay tarball (modules), if any.
    pub overlay: Option<PathBuf>,
    /// `-p`: where the overlay goes (`/` by default, `/usr/` for usr-merged trees).
    pub modules_path: String,
    /// `-c`: empty `<modules_path>/lib/modules` first.
    pub clear_modules: bool,
    /// `-s`: write an Android sparse image (`<name>.img`).
    pub sparse: bool,
    /// `-z`: xz-compress the final image (`<name>.xz`).
    pub xz: bool,
    /// `EXTRA_SIZE`: free space to leave, in KiB (KIR's default 64000).
    pub extra_size_kib: u64,
    /// ext4 options (profile, block size...); size and slack are set from the request.
    pub ext4: Options,
    /// Directory the outputs are written to.
    pub output_dir: PathBuf,
}

/// What [`resize_rootfs`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizeOutcome {
    /// The final image (the line KIR prints last).
    pub image: PathBuf,
    /// For tar input: the repacked tarball with the overlay (`<name>.new.rootfs.tar.xz`).
    pub tarball: Option<PathBuf>,
    /// The ext4 image written.
    pub info: ImageInfo,
}

/// File name without compression suffixes (`a.ext4.gz` → `a.ext4`).
fn strip_codec(name: &str) -> &str {
    for suffix in [".gz", ".xz", ".zst", ".zstd"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return s;
        }
    }
    name
}

/// KIR's output names: `x.rootfs.ext4(.gz)` → `x.rootfs.ext4`; tar input
/// `x.rootfs.tar.xz` → `x.new.rootfs` (text before the first dot).
fn output_stem(rootfs: &Path, kind: RootfsKind) -> String {
    let name = rootfs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match kind {
        RootfsKind::Ext4 => strip_codec(&name).to_string(),
        RootfsKind::Tar => format!("{}.new.rootfs", name.split('.').next().unwrap_or("rootfs")),
    }
}

/// Runs the resize-rootfs flow. The input is never modified: an uncompressed
/// ext4 input in the output directory gets a `.new` name instead of being
/// overwritten.
pub fn resize_rootfs(req: &ResizeRequest) -> Result<ResizeOutcome> {
    let (tree, kind) = load_with_overlay(
        &req.rootfs,
        req.overlay.as_deref(),
        &req.modules_path,
        req.clear_modules,
    )?;

    let mut stem = output_stem(&req.rootfs, kind);
    let mut raw = req.output_dir.join(&stem);
    if same_file(&raw, &req.rootfs) {
        stem = match stem.strip_suffix(".ext4") {
            Some(base) => format!("{base}.new.ext4"),
            None => format!("{stem}.new"),
        };
        raw = req.output_dir.join(&stem);
    }

    let tarball = if kind == RootfsKind::Tar {
        let path = req.output_dir.join(format!("{stem}.tar.xz"));
        write_tarball(&tree, &path)?;
        Some(path)
    } else {
        None
    };

    let mut opts = req.ext4.clone();
    opts.size_bytes = None;
    opts.slack_bytes = req.extra_size_kib.saturating_mul(1024);
    let mut image = if req.sparse {
        let base = stem.strip_suffix(".ext4").unwrap_or(&stem).to_string();
        req.output_dir.join(format!("{base}.img"))
    } else {
        raw
    };
    if req.xz {
        let mut name = image
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".xz");
        image = req.output_dir.join(name);
    }
    let info = write_rootfs_image(&tree, &opts, &image, req.sparse)?;
    Ok(ResizeOutcome {
        image,
        tarball,
        info,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Writes `tree` as a tarball at `path`, compressed by its suffix, via a
/// temporary file renamed into place.
pub fn write_tarball(tree: &Tree, path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let codec = Codec::for_output(path)?;
    let mut made: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let (f, raw) = new_temp(dir, &name, "tar", &mut made)?;
        let (_, packed) = new_temp(dir, &name, "packed", &mut made)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        crate::tar::write_tar(tree, &mut w)?;
        std::io::Write::flush(&mut w).map_err(|e| Error::io(&raw, e))?;
        drop(w);
        codec::compress_file(&raw, &packed, codec)?;
        std::fs::rename(&packed, path).map_err(|e| Error::io(path, e))
    })();
    for p in &made {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// KIR's `create-ext4.rootfs.py`: rootfs tarball + modules tarball → ext4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// `--rootfs`: a tarball (any compression).
    pub rootfs: PathBuf,
    /// `--modules`: tarball laid over the root (`lib/modules/...` entries).
    pub modules: Option<PathBuf>,
    /// `--output_file`: compressed by suffix (`.xz`, `.gz`, `.zst`) or raw.
    pub output: PathBuf,
    /// ext4 options; the size is KIR's unless `size_bytes` is set.
    pub ext4: Options,
}

/// KIR's partition size: regular file bytes (hard links once) + 202 MiB,
/// rounded up to 512 bytes.
pub fn kir_partition_size(tree: &Tree) -> u64 {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0u64;
    for (_, id) in tree.walk() {
        if let Some(Node {
            kind: NodeKind::File(f),
            ..
        }) = tree.node(id)
        {
            if seen.insert(id) {
                total = total.saturating_add(f.size());
            }
        }
    }
    (total + (202 << 20)).div_ceil(512) * 512
}

/// Runs the create-ext4-rootfs flow.
pub fn create_ext4_rootfs(req: &CreateRequest) -> Result<ImageInfo> {
    let (tree, _) = load_with_overlay(&req.rootfs, req.modules.as_deref(), "/", false)?;
    let mut opts = req.ext4.clone();
    if opts.size_bytes.is_none() {
        opts.size_bytes = Some(kir_partition_size(&tree));
    }
    write_rootfs_image(&tree, &opts, &req.output, false)
}

/// Where a board's bootloader looks for the kernel and DTB in the rootfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootfsBoard {
    /// Target name as `repack_boot.sh -t` spells it.
    pub name: &'static str,
    /// The DTB name the bootloader loads from `/boot`.
    pub dtb_name: &'static str,
    /// The kernel name the bootloader loads from `/boot`.
    pub kernel_name: &'static str,
}

/// KIR's rootfs targets: U-Boot on the BeagleBoard-X15 loads
/// `am57xx-beagle-x15.dtb` and `zImage`, GRUB on HiKey `hi6220-hikey.dtb`
/// and `Image`, both from `/boot` of the ext4 partition.
pub const ROOTFS_BOARDS: &[RootfsBoard] = &[
    RootfsBoard {
        name: "am57xx-evm",
        dtb_name: "am57xx-beagle-x15.dtb",
        kernel_name: "zImage",
    },
    RootfsBoard {
        name: "hikey",
        dtb_name: "hi6220-hikey.dtb",
        kernel_name: "Image",
    },
];

/// Looks a rootfs board up by name.
pub fn rootfs_board(name: &str) -> Result<&'static RootfsBoard> {
    ROOTFS_BOARDS
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| Error::Recipe {
            recipe: name.to_string(),
            reason: format!(
                "not a rootfs target (known: {})",
                ROOTFS_BOARDS
                    .iter()
                    .map(|b| b.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Copies the kernel and DTB into `/boot` under their own names and adds
/// relative symlinks with the board's names when those differ (KIR's step 4).
pub fn install_boot_files(
    tree: &mut Tree,
    board: &RootfsBoard,
    kernel: (&str, Vec<u8>),
    dtb: (&str, Vec<u8>),
    time: Timestamp,
) -> Result<()> {
    let dir_meta = Metadata::new(0o755, 0, 0, time);
    let file_meta = Metadata::new(0o644, 0, 0, time);
    let link_meta = Metadata::new(0o777, 0, 0, time);
    for ((name, bytes), wanted) in [(kernel, board.kernel_name), (dtb, board.dtb_name)] {
        if name.is_empty() || name.contains('/') {
            return Err(Error::invalid_argument(
                "boot file",
                format!("{name:?} is not a file name"),
            ));
        }
        let path = format!("/boot/{name}");
        let node = Node::new(
            NodeKind::File(FileData::from_bytes(bytes)),
            file_meta.clone(),
        );
        tree.insert(path.as_bytes(), node, &dir_meta)?;
        if name != wanted {
            let link = Node::new(
                NodeKind::Symlink(name.as_bytes().to_vec()),
                link_meta.clone(),
            );
            tree.insert(format!("/boot/{wanted}").as_bytes(), link, &dir_meta)?;
        }
    }
    Ok(())
}

/// The am57xx-evm / hikey flow of `repack_boot.sh`: rootfs + modules +
/// kernel + DTB → sparse ext4 `<name>.img` (`<name>` as resize-rootfs names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRootfsRequest {
    /// Board name (`am57xx-evm`, `hikey`).
    pub board: String,
    /// The rest is resize-rootfs' request (sparse is forced on).
    pub resize: ResizeRequest,
    /// Kernel image file.
    pub kernel: PathBuf,
    /// DTB file.
    pub dtb: PathBuf,
}

/// Runs the board rootfs flow.
pub fn board_rootfs(req: &BoardRootfsRequest) -> Result<ResizeOutcome> {
    let board = rootfs_board(&req.board)?;
    let (mut tree, kind) = load_with_overlay(
        &req.resize.rootfs,
        req.resize.overlay.as_deref(),
        &req.resize.modules_path,
        req.resize.clear_modules,
    )?;
    let read = |p: &Path| std::fs::read(p).map_err(|e| Error::io(p, e));
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let time = Timestamp::from_secs(
        tree.walk()
            .iter()
            .filter_map(|(_, id)| tree.node(*id))
            .map(|n| n.meta.mtime.sec)
            .max()
            .unwrap_or(0),
    );
    let kernel_name = file_name(&req.kernel);
    let dtb_name = file_name(&req.dtb);
    install_boot_files(
        &mut tree,
        board,
        (&kernel_name, read(&req.kernel)?),
        (&dtb_name, read(&req.dtb)?),
        time,
    )?;
    let stem = output_stem(&req.resize.rootfs, kind);
    let base = stem.strip_suffix(".ext4").unwrap_or(&stem).to_string();
    let image = req.resize.output_dir.join(format!("{base}.img"));
    let mut opts = req.resize.ext4.clone();
    opts.size_bytes = None;
    opts.slack_bytes = req.resize.extra_size_kib.saturating_mul(1024);
    let info = write_rootfs_image(&tree, &opts, &image, true)?;
    Ok(ResizeOutcome {
        image,
        tarball: None,
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_suffix_of_an_unwritten_compression_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rootfs.ext4.bz2");
        let err =
            write_rootfs_image(&Tree::default(), &Options::default(), &out, false).unwrap_err();
        assert!(err.to_string().contains(".bz2"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_empty_file_is_not_an_empty_rootfs() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.ext4");
        std::fs::write(&empty, b"").unwrap();
        let err = load_rootfs(&empty).unwrap_err();
        assert!(err.to_string().contains("empty.ext4"), "{err}");
        assert!(err.to_string().contains("no files"), "{err}");
    }

    #[test]
    fn output_names_follow_kir() {
        assert_eq!(
            output_stem(Path::new("/x/lkft.rootfs.ext4.gz"), RootfsKind::Ext4),
            "lkft.rootfs.ext4"
        );
        assert_eq!(
            output_stem(
                Path::new("rpb-console-image.rootfs.tar.xz"),
                RootfsKind::Tar
            ),
            "rpb-console-image.new.rootfs"
        );
    }

    #[test]
    fn partition_size_counts_hard_links_once_and_rounds_to_512() {
        let m = Metadata::new(0o644, 0, 0, Timestamp::default());
        let mut t = Tree::new(m.clone());
        t.insert(
            b"/a",
            Node::new(
                NodeKind::File(FileData::from_bytes(vec![1; 1000])),
                m.clone(),
            ),
            &m,
        )
        .unwrap();
        t.hard_link(b"/b", b"/a", &m).unwrap();
        assert_eq!(
            kir_partition_size(&t),
            (1000 + (202 << 20) as u64).div_ceil(512) * 512
        );
    }

    #[test]
    fn boot_files_get_the_board_names_as_links() {
        let m = Metadata::new(0o755, 0, 0, Timestamp::default());
        let mut t = Tree::new(m);
        let board = rootfs_board("hikey").unwrap();
        install_boot_files(
            &mut t,
            board,
            ("Image-6.1", vec![1]),
            ("hi6220-hikey.dtb", vec![2]),
            Timestamp::default(),
        )
        .unwrap();
        let id = t.lookup(b"/boot/Image").unwrap().unwrap();
        assert_eq!(
            t.node(id).unwrap().kind,
            NodeKind::Symlink(b"Image-6.1".to_vec())
        );
        assert!(t.lookup(b"/boot/hi6220-hikey.dtb").unwrap().is_some());
        assert!(rootfs_board("x15").is_err());
    }
}
