#![no_main]
#[path = "../checks/tuxsuite_plan_parse.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
