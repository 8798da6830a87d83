#![no_main]
#[path = "../checks/repack_inputs.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
