//! Shared test helpers: where the corpus is.

use std::path::PathBuf;

/// The tuxmake corpus folder, or `None` (with a message) when it is absent
/// outside CI. In CI (`CI=true`) a missing corpus fails the test.
pub fn tuxmake_corpus() -> Option<PathBuf> {
    let base = match std::env::var_os("KIR_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    let dir = base.join("tuxmake");
    if dir.join("tuxmake-catalog.json").exists() {
        return Some(dir);
    }
    let msg = format!(
        "tuxmake corpus not found at {} (set KIR_CORPUS)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    None
}
