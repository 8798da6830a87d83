#![no_main]
#[path = "../checks/sparse_decode.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
