//! Replays the committed seeds and regressions of the plan-parsing fuzz
//! target through the same check the target runs (fuzz/checks/).

#[path = "../../fuzz/replay.rs"]
mod replay;

use replay::replay;

#[path = "../../fuzz/checks/tuxsuite_plan_parse.rs"]
mod tuxsuite_plan_parse;

#[test]
fn tuxsuite_plan_parse_seeds_and_regressions_pass_the_fuzz_check() {
    replay("tuxsuite_plan_parse", tuxsuite_plan_parse::check);
}
