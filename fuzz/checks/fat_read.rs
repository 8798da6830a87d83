//! The FAT lister on arbitrary bytes: entries or an error, never a panic.

use kir_core::disk::list_fat;

pub fn check(data: &[u8]) {
    if let Ok(entries) = list_fat(data) {
        for e in entries {
            assert!(e.path.starts_with('/'), "{:?}", e.path);
        }
    }
}
