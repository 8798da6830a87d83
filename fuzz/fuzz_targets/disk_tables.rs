#![no_main]
#[path = "../checks/disk_tables.rs"]
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
