#![no_main]
#[path = "../checks/lava_job_validate.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
