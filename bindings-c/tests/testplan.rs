//! The testplan exports: one job and a matrix from the compiled-in templates,
//! per-job errors with variable, template and line, and every argument error.

use std::ffi::{CStr, CString, c_char};
use std::path::PathBuf;
use std::ptr;

use kir::testplan::{kir_testplan_render, kir_testplan_render_matrix};
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message};

fn empty() -> KirBytes {
    KirBytes {
        data: ptr::null_mut(),
        len: 0,
    }
}

fn take(mut b: KirBytes) -> String {
    let s = String::from_utf8(unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec())
        .expect("utf-8");
    unsafe { kir_bytes_free(&mut b) };
    s
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(kir_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// A variables file lacking ROOTFS_URL, in a directory of its own.
fn partial_variables(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kir-c-testplan-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("partial.ini");
    std::fs::write(&file, "PROJECT_NAME=p\nBUILD_NUMBER=1\nKERNEL_URL=k\n").expect("write");
    file
}

/// Calls kir_testplan_render with Rust strings; `template_path` None is NULL.
fn render(
    template_path: Option<&str>,
    device: &str,
    test: &str,
    variables: &[&str],
    overrides: &[&str],
) -> (KirStatus, KirBytes) {
    let c = |s: &str| CString::new(s).expect("no NUL");
    let template = template_path.map(c);
    let (device, test) = (c(device), c(test));
    let vars: Vec<CString> = variables.iter().map(|s| c(s)).collect();
    let over: Vec<CString> = overrides.iter().map(|s| c(s)).collect();
    let vars_ptrs: Vec<*const c_char> = vars.iter().map(|s| s.as_ptr()).collect();
    let over_ptrs: Vec<*const c_char> = over.iter().map(|s| s.as_ptr()).collect();
    let mut out = empty();
    let status = unsafe {
        kir_testplan_render(
            template.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
            device.as_ptr(),
            test.as_ptr(),
            vars_ptrs.as_ptr(),
            vars_ptrs.len(),
            over_ptrs.as_ptr(),
            over_ptrs.len(),
            &mut out,
        )
    };
    (status, out)
}

fn matrix(request: &str) -> (KirStatus, serde_json::Value) {
    let mut out = empty();
    let status = unsafe { kir_testplan_render_matrix(request.as_ptr(), request.len(), &mut out) };
    if status != KirStatus::Ok {
        assert!(out.data.is_null());
        return (status, serde_json::Value::Null);
    }
    (status, serde_json::from_str(&take(out)).expect("json"))
}

#[test]
fn one_job_from_the_compiled_in_templates() {
    let (status, out) = render(
        None,
        "dragonboard-845c",
        "ltp-syscalls.yaml",
        &["variables.ini"],
        &["BUILD_NUMBER=314"],
    );
    assert_eq!(status, KirStatus::Ok, "{}", last_error());
    let yaml = take(out);
    assert!(
        yaml.contains("to: fastboot") && yaml.contains("314"),
        "{yaml}"
    );
    assert!(lava_job_accepts(&yaml));
}

fn lava_job_accepts(yaml: &str) -> bool {
    let mut out = empty();
    let status =
        unsafe { kir::lava::kir_lava_validate(yaml.as_ptr(), yaml.len(), false, &mut out) };
    assert_eq!(status, KirStatus::Ok);
    let report: serde_json::Value = serde_json::from_str(&take(out)).expect("json");
    report["lava_accepts"] == true
}

#[test]
fn render_errors_name_variable_template_and_line() {
    let partial = partial_variables("render");
    let (status, out) = render(
        None,
        "qemu-arm64",
        "boot.yaml",
        &[partial.to_str().unwrap()],
        &[],
    );
    assert_eq!(status, KirStatus::ErrCheck);
    assert!(out.data.is_null());
    let msg = last_error();
    assert!(
        msg.contains("'ROOTFS_URL' is undefined (in qemu.jinja2, line"),
        "{msg}"
    );

    let (status, _) = render(None, "qemu-arm64", "nope.yaml", &["variables.ini"], &[]);
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    assert!(
        last_error().contains("\"nope.yaml\" not found"),
        "{}",
        last_error()
    );

    let (status, _) = render(None, "qemu-arm64", "boot.yaml", &["absent.ini"], &[]);
    assert_eq!(status, KirStatus::ErrIo);
    let (status, _) = render(
        Some("/nonexistent-tree"),
        "qemu-arm64",
        "boot.yaml",
        &[],
        &[],
    );
    assert_eq!(status, KirStatus::ErrInvalidArgument, "{}", last_error());
}

#[test]
fn matrix_returns_every_job_and_per_job_errors() {
    let partial = partial_variables("matrix");
    let request = serde_json::json!({
        "device_types": ["qemu-arm64", "dragonboard-845c"],
        "test_plans": ["smoke"],
        "tests": ["missing.yaml"],
        "variable_sets": [["variables.ini"], [partial]],
        "overlays": [{"url": "https://h/o.tar.xz"}],
        "validate": true,
        "raw": true,
    })
    .to_string();
    let (status, result) = matrix(&request);
    assert_eq!(status, KirStatus::Ok, "{}", last_error());
    let jobs = result["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2 * 3 * 2);
    let first = &jobs[0];
    assert_eq!(
        (&first["device_type"], &first["test"]),
        (&"qemu-arm64".into(), &"boot.yaml".into())
    );
    assert_eq!(first["output_path"], "qemu-arm64/boot.yaml");
    assert_eq!(first["lava_accepts"], true);
    assert!(first["raw"].as_str().unwrap().contains("job_name"));
    let undefined = &jobs[1]["error"];
    assert_eq!(undefined["kind"], "undefined");
    assert_eq!(undefined["variable"], "ROOTFS_URL");
    assert_eq!(undefined["template"], "qemu.jinja2");
    assert!(undefined["line"].as_u64().unwrap() > 0);
    assert!(jobs[1]["yaml"].is_null());
    let missing = &jobs[4];
    assert_eq!(missing["test"], "missing.yaml");
    assert_eq!(missing["error"]["kind"], "template_not_found");
    let rendered = jobs.iter().filter(|j| j["error"].is_null()).count();
    assert_eq!(rendered, 4);
    assert!(jobs[6]["yaml"].as_str().unwrap().contains("to: fastboot"));
}

#[test]
fn matrix_refuses_bad_requests() {
    let (status, _) = matrix("{\"device_types\": [\"qemu-arm64\"], \"tset\": []}");
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    assert!(last_error().contains("tset"), "{}", last_error());
    let (status, _) = matrix("not json");
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    let (status, _) = matrix("{\"device_types\": [], \"tests\": [\"boot.yaml\"]}");
    assert_eq!(status, KirStatus::ErrInvalidArgument);
    assert!(last_error().contains("no device type"));
    let (status, _) = matrix(
        "{\"device_types\": [\"qemu-arm64\"], \"tests\": [\"boot.yaml\"], \
         \"variable_sets\": [[\"absent.ini\"]]}",
    );
    assert_eq!(status, KirStatus::ErrIo);
}

#[test]
fn null_and_non_utf8_arguments_are_refused() {
    let mut out = empty();
    let dev = CString::new("qemu-arm64").unwrap();
    let test = CString::new("boot.yaml").unwrap();
    let status = unsafe {
        kir_testplan_render(
            ptr::null(),
            ptr::null(),
            test.as_ptr(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            &mut out,
        )
    };
    assert_eq!(status, KirStatus::ErrNull);
    assert!(last_error().contains("device_type"));
    let status = unsafe {
        kir_testplan_render(
            ptr::null(),
            dev.as_ptr(),
            test.as_ptr(),
            ptr::null(),
            1,
            ptr::null(),
            0,
            &mut out,
        )
    };
    assert_eq!(status, KirStatus::ErrNull);
    assert!(last_error().contains("variables"));
    let bad = [0xffu8, 0];
    let vars = [bad.as_ptr().cast::<c_char>()];
    let status = unsafe {
        kir_testplan_render(
            ptr::null(),
            dev.as_ptr(),
            test.as_ptr(),
            vars.as_ptr(),
            1,
            ptr::null(),
            0,
            &mut out,
        )
    };
    assert_eq!(status, KirStatus::ErrUtf8);
    let status = unsafe {
        kir_testplan_render(
            ptr::null(),
            dev.as_ptr(),
            test.as_ptr(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, KirStatus::ErrNull);
    let status = unsafe { kir_testplan_render_matrix(ptr::null(), 3, &mut out) };
    assert_eq!(status, KirStatus::ErrNull);
    let status = unsafe { kir_testplan_render_matrix(b"{}".as_ptr(), 2, ptr::null_mut()) };
    assert_eq!(status, KirStatus::ErrNull);
}
