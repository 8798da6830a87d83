//! The tar reader on arbitrary bytes: it returns a tree or an error, never
//! panics; a tree it reads, kir writes as a tar that reads back with the
//! same paths.

use kir_core::tar;

pub fn check(data: &[u8]) {
    let Ok(tree) = tar::read_tar(data, "fuzz.tar") else {
        return;
    };
    let big = tree.walk().iter().any(|(_, id)| {
        matches!(tree.node(*id).map(|n| &n.kind), Some(kir_core::ext4::NodeKind::File(f)) if f.size() > 1 << 24)
    });
    if big {
        return;
    }
    let mut out = Vec::new();
    if let Err(e) = tar::write_tar(&tree, &mut out) {
        panic!("a tree read from a tar does not write: {e}");
    }
    let back = match tar::read_tar(&out[..], "rewritten.tar") {
        Ok(back) => back,
        Err(e) => panic!("a tar kir wrote does not read back: {e}"),
    };
    let paths = |t: &kir_core::ext4::Tree| -> Vec<Vec<u8>> {
        t.walk()
            .into_iter()
            .filter(|(_, id)| {
                !matches!(
                    t.node(*id).map(|n| &n.kind),
                    Some(kir_core::ext4::NodeKind::Socket)
                )
            })
            .map(|(p, _)| p)
            .collect()
    };
    assert_eq!(
        paths(&back),
        paths(&tree),
        "paths changed through a rewrite"
    );
}
