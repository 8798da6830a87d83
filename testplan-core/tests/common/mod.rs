//! Shared helpers for testplan-core's integration tests.

use std::path::PathBuf;

/// The conformance corpus: `KIR_CORPUS`, or `../shared/corpus` beside the
/// workspace. Missing corpus fails in CI and skips (with a message) elsewhere.
#[allow(dead_code)]
pub fn corpus_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("KIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if dir.join("lava-test-plans").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what}: corpus not found at {} (set KIR_CORPUS)",
            dir.display()
        );
    }
    eprintln!(
        "{what}: SKIPPED, corpus not found at {} (set KIR_CORPUS)",
        dir.display()
    );
    None
}
