//! The input checks of `kir repack-boot` on arbitrary bytes: the DTB, kernel
//! and modules-tarball readers return a result or an error, never panic, and
//! what they report stays inside the input.

use kir_core::{fdt, kernel, modules};

pub fn check(data: &[u8]) {
    if let Ok(info) = fdt::inspect(data) {
        assert!(
            info.totalsize as usize <= data.len(),
            "totalsize past the input"
        );
    }

    if let Ok(info) = kernel::inspect(data) {
        if let Some(release) = &info.release {
            assert!(
                !release.is_empty() && release.len() <= 128,
                "release {release:?}"
            );
        }
    }

    if let Ok(tree) = modules::read_tarball(data) {
        assert!(!tree.release.is_empty());
        let _ = tree.check_release(Some("6.1.0"));
        if let Ok(entries) = tree.cpio_entries("usr") {
            assert!(
                entries.len() > tree.entries.len(),
                "root and prefix entries added"
            );
        }
    }
}
