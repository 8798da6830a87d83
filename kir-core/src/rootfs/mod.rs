//! Root file system flows: KIR's `resize_rootfs.sh` and
//! `create-ext4.rootfs.py`, and the am57xx-evm / hikey rootfs recipes, done
//! as "read the tree, change it, write a fresh image" with no root, loop
//! mount or VM.

pub mod codec;
