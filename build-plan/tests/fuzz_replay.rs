//! Replays the committed seeds and regressions of the plan-parsing fuzz
//! target through the same check the target runs (fuzz/checks/).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/tuxsuite_plan_parse.rs"]
mod tuxsuite_plan_parse;

fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(listing) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        inputs.extend(listing.map(|e| e.expect("directory entry").path()));
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
fn tuxsuite_plan_parse_seeds_and_regressions_pass_the_fuzz_check() {
    replay("tuxsuite_plan_parse", tuxsuite_plan_parse::check);
}
