//! The cpio reader on arbitrary bytes: it returns entries or an error, never
//! panics; what it reads, kir can write again, and that archive reads back
//! to the same entries.

use kir_core::cpio::{self, WriteOptions};

pub fn check(data: &[u8]) {
    let _ = cpio::read_initramfs(data);

    let Ok(archive) = cpio::read(data) else {
        return;
    };
    assert!(
        archive.len <= data.len(),
        "archive length {} past the input",
        archive.len
    );
    let Ok(entries) = cpio::to_new_entries(&archive.entries) else {
        return;
    };
    let opts = WriteOptions {
        owner: None,
        ..WriteOptions::default()
    };
    let Ok(written) = cpio::write(&entries, &opts) else {
        return;
    };
    let reread = match cpio::read(&written) {
        Ok(reread) => reread,
        Err(e) => panic!("an archive kir wrote does not read back: {e}"),
    };
    let again = match cpio::to_new_entries(&reread.entries) {
        Ok(again) => again,
        Err(e) => panic!("entries kir wrote do not convert back: {e}"),
    };
    assert_eq!(again, entries, "write then read changed the entries");
}
