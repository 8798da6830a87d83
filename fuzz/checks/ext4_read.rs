//! The ext4 reader on arbitrary bytes: it returns a tree or an error, never
//! panics; a tree it reads, kir writes as an image that reads back to a tree
//! with the same paths.

use kir_core::ext4::{self, Options};

pub fn check(data: &[u8]) {
    let Ok(tree) = ext4::read_image(data) else {
        return;
    };
    // Keep the rewrite cheap: skip trees whose files claim huge sizes.
    let big = tree.walk().iter().any(|(_, id)| {
        matches!(tree.node(*id).map(|n| &n.kind), Some(ext4::NodeKind::File(f)) if f.size() > 1 << 24)
    });
    if big {
        return;
    }
    let Ok(image) = ext4::build_image(&tree, &Options::default()) else {
        return;
    };
    let back = match ext4::read_image(&image) {
        Ok(back) => back,
        Err(e) => panic!("an image kir wrote does not read back: {e}"),
    };
    let paths = |t: &ext4::Tree| -> Vec<Vec<u8>> {
        t.walk()
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p != b"/lost+found")
            .collect()
    };
    assert_eq!(
        paths(&back),
        paths(&tree),
        "paths changed through a rewrite"
    );
}
