#![no_main]
#[path = "../checks/bootimg_parse.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
