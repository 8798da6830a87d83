//! The build-plan exports: success, each argument error, and refusals.

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use kir::buildplan::{kir_buildplan_expand, kir_buildplan_tuxmake};
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message};

fn last_error() -> String {
    let p = kir_last_error_message();
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn empty() -> KirBytes {
    KirBytes {
        data: ptr::null_mut(),
        len: 0,
    }
}

fn text(b: &KirBytes) -> String {
    String::from_utf8(unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()).unwrap()
}

fn tuxmake(args: &[&str]) -> (KirStatus, KirBytes) {
    let owned: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    let mut out = empty();
    let status = unsafe { kir_buildplan_tuxmake(ptrs.as_ptr(), ptrs.len(), &mut out) };
    (status, out)
}

const BASE: [&str; 12] = [
    "-C",
    "/src",
    "-b",
    "/b",
    "--timestamp",
    "1",
    "-r",
    "docker",
    "-a",
    "arm64",
    "-t",
    "gcc-13",
];

#[test]
fn tuxmake_plan_is_returned_as_json() {
    let mut args = BASE.to_vec();
    args.push("kernel");
    let (status, mut out) = tuxmake(&args);
    assert_eq!(status, KirStatus::Ok);
    let json: serde_json::Value = serde_json::from_str(&text(&out)).unwrap();
    assert_eq!(
        json["resolved"]["target_order"],
        serde_json::json!(["config", "default", "kernel"])
    );
    unsafe { kir_bytes_free(&mut out) };
    assert!(out.data.is_null());
}

#[test]
fn refusals_map_to_status_families_with_the_reason() {
    let mut args = BASE.to_vec();
    args.push("LLVM=0");
    let (status, _) = tuxmake(&args);
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    assert!(last_error().starts_with("LLVM=0:"));
    let (status, _) = tuxmake(&[
        "-r",
        "docker",
        "-a",
        "alpha",
        "-t",
        "gcc-13",
        "--timestamp",
        "1",
        "-b",
        "/b",
    ]);
    assert_eq!(status, KirStatus::ErrUnsupported);
    assert!(last_error().contains("alpha/gcc-13"));
}

#[test]
fn null_arguments_are_refused() {
    let mut out = empty();
    assert_eq!(
        unsafe { kir_buildplan_tuxmake(ptr::null(), 1, &mut out) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_buildplan_tuxmake(ptr::null(), 0, ptr::null_mut()) },
        KirStatus::ErrNull
    );
    assert_eq!(
        unsafe { kir_buildplan_expand(ptr::null(), 3, 0, &mut out) },
        KirStatus::ErrNull
    );
}

#[test]
fn expand_renders_each_format_and_reports_plan_errors() {
    let plan = b"version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc-13, kconfig: defconfig}\n  test: {device: qemu-arm64}\n";
    for format in 0..4u32 {
        let mut out = empty();
        let status = unsafe { kir_buildplan_expand(plan.as_ptr(), plan.len(), format, &mut out) };
        assert_eq!(status, KirStatus::Ok, "format {format}");
        assert!(text(&out).contains("arm64"));
        unsafe { kir_bytes_free(&mut out) };
    }
    let mut out = empty();
    assert_eq!(
        unsafe { kir_buildplan_expand(plan.as_ptr(), plan.len(), 9, &mut out) },
        KirStatus::ErrInvalidArgument
    );
    let bad = b"version: 1\njobs:\n- build: {target_arch: arm64}\n";
    assert_eq!(
        unsafe { kir_buildplan_expand(bad.as_ptr(), bad.len(), 0, &mut out) },
        KirStatus::ErrMalformed
    );
    assert!(last_error().contains("jobs[0].build") && last_error().contains("toolchain"));
    let not_utf8 = [0xffu8, 0xfe];
    assert_eq!(
        unsafe { kir_buildplan_expand(not_utf8.as_ptr(), 2, 0, &mut out) },
        KirStatus::ErrUtf8
    );
}
