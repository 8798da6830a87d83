//! Shared by the `fuzz_replay` tests of the core crates: runs a fuzz target's
//! check on every committed seed and regression input, as an ordinary test,
//! so a fixed bug stays fixed without cargo-fuzz or a nightly toolchain.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Runs `check` on every file of fuzz/seeds/<target> and
/// fuzz/regressions/<target>; fails naming each input that panicked, and
/// when the target has no inputs at all.
pub fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(listing) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        inputs.extend(listing.map(|e| e.expect("directory entry").path()));
    }
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "no seeds for fuzz target {target} under {}",
        fuzz.display()
    );

    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("read fuzz input");
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: these inputs fail the check: {failed:#?}"
    );
}
