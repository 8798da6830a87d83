//! Replays the committed seeds and regression inputs of the lava_job_validate
//! fuzz target through its check (fuzz/checks/lava_job_validate.rs), so a
//! fixed bug stays fixed without cargo-fuzz.

#[path = "../../fuzz/replay.rs"]
mod replay;

use replay::replay;

#[path = "../../fuzz/checks/lava_job_validate.rs"]
mod lava_job_validate;

#[test]
fn lava_job_validate_seeds_and_regressions_pass_the_fuzz_check() {
    replay("lava_job_validate", lava_job_validate::check);
}
