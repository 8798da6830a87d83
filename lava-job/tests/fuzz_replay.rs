//! Replays the committed seeds and regression inputs of the lava_job_validate
//! fuzz target through its check (fuzz/checks/lava_job_validate.rs), so a
//! fixed bug stays fixed without cargo-fuzz.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/lava_job_validate.rs"]
mod lava_job_validate;

fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(listing) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        inputs.extend(listing.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    inputs.sort();
    assert!(!inputs.is_empty(), "no seeds for fuzz target {target}");
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

#[test]
fn lava_job_validate_seeds_and_regressions_pass_the_fuzz_check() {
    replay("lava_job_validate", lava_job_validate::check);
}
