#![no_main]
#[path = "../checks/ext4_read.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
