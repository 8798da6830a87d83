#![no_main]
#[path = "../checks/vendor_boot_parse.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
