//! ext4 file systems without root, loop mounts or a VM.
//!
//! [`write_image`] turns a [`Tree`] into an image that `e2fsck -fn` accepts
//! and the kernel mounts read-write; [`read_image`] turns an image (ours or
//! mke2fs's) back into a [`Tree`]. Re-imaging an existing root file system is
//! "read, change the tree, write a fresh image": no resize, no copy-in.
//!
//! ```
//! use kir_core::ext4::{build_image, FileData, Metadata, Node, NodeKind, Options, Timestamp, Tree};
//!
//! let meta = Metadata::new(0o755, 0, 0, Timestamp::from_secs(1_700_000_000));
//! let mut tree = Tree::new(meta.clone());
//! let hello = Node::new(NodeKind::File(FileData::from_bytes(b"hello\n".to_vec())), meta.clone());
//! tree.insert(b"/etc/motd", hello, &meta)?;
//! let image = build_image(&tree, &Options::default())?;
//! assert_eq!(&image[1024 + 56..1024 + 58], &[0x53, 0xEF]);
//! # Ok::<(), kir_core::Error>(())
//! ```

mod format;
mod hash;
mod reader;
mod tree;
mod writer;

pub use reader::{ReadAt, read_image, read_image_from};
pub use tree::{
    DataRun, FileData, InodeId, Metadata, Node, NodeKind, SourceFile, SourceSpan, Stored,
    Timestamp, Tree, Xattr,
};
pub use writer::{ImageInfo, Options, Profile, build_image, write_image};
pub(crate) use writer::{ImageOut, copy_through_buffer, write_image_to};
