//! The lava-job exports: reports, model round trip, JSON builder path, and
//! every argument error.

use std::ffi::CStr;
use std::ptr;

use kir::lava::{kir_lava_job_from_json, kir_lava_job_normalize, kir_lava_validate};
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

const JOB: &str = "job_name: c\ndevice_type: qemu\nvisibility: public\n\
                   timeouts: {job: {minutes: 5}}\nlab: note\n\
                   actions:\n- boot: {method: qemu, media: tmpfs, timeout: {minutes: 0}}\n";

#[test]
fn validate_reports_issues_as_json() {
    for (strict, unknown) in [(false, 0), (true, 1)] {
        let mut out = empty();
        let status = unsafe { kir_lava_validate(JOB.as_ptr(), JOB.len(), strict, &mut out) };
        assert_eq!(status, KirStatus::Ok);
        let report: serde_json::Value = serde_json::from_str(&take(out)).expect("json");
        assert_eq!(report["lava_accepts"], false);
        let issues = report["issues"].as_array().expect("issues");
        let minutes = issues
            .iter()
            .find(|i| i["path"] == "actions[0].boot.timeout.minutes")
            .expect("timeout issue");
        assert_eq!(minutes["line"], 7);
        assert_eq!(minutes["kind"], "schema");
        let unknown_keys = issues.iter().filter(|i| i["kind"] == "unknown_key").count();
        assert_eq!(unknown_keys, unknown);
    }
}

#[test]
fn normalize_keeps_unknown_keys_and_quotes_yaml_11_words() {
    let job = JOB.replace("lab: note", "lab: 'yes'");
    let mut out = empty();
    let status = unsafe { kir_lava_job_normalize(job.as_ptr(), job.len(), &mut out) };
    assert_eq!(status, KirStatus::Ok);
    let yaml = take(out);
    assert!(yaml.contains("lab: 'yes'"), "{yaml}");
    assert!(yaml.contains("method: qemu"), "{yaml}");
}

#[test]
fn normalize_keeps_explicit_nulls() {
    let job = JOB.replace("lab: note", "lab: note\ndevice: ~\nworker:");
    let mut out = empty();
    let status = unsafe { kir_lava_job_normalize(job.as_ptr(), job.len(), &mut out) };
    assert_eq!(status, KirStatus::Ok);
    let yaml = take(out);
    assert!(yaml.contains("\ndevice: null\n"), "{yaml}");
    assert!(yaml.contains("\nworker: null\n"), "{yaml}");
}

#[test]
fn from_json_builds_lava_yaml() {
    let json = r#"{"job_name": "built", "device_type": "qemu", "visibility": "public",
        "timeouts": {"job": {"minutes": 10}},
        "actions": [{"boot": {"method": "qemu", "media": "tmpfs"}}],
        "metadata": {"flag": "on"}}"#;
    let mut out = empty();
    let status = unsafe { kir_lava_job_from_json(json.as_ptr(), json.len(), &mut out) };
    assert_eq!(status, KirStatus::Ok);
    let yaml = take(out);
    assert!(yaml.starts_with("job_name: built\n"), "{yaml}");
    assert!(yaml.contains("flag: 'on'"), "{yaml}");
}

#[test]
fn bad_inputs_return_their_status() {
    let mut out = empty();
    let status = unsafe { kir_lava_validate(ptr::null(), 3, false, &mut out) };
    assert_eq!(status, KirStatus::ErrNull);

    let status = unsafe { kir_lava_validate(JOB.as_ptr(), JOB.len(), false, ptr::null_mut()) };
    assert_eq!(status, KirStatus::ErrNull);

    let bad = b"\xff\xfe";
    let status = unsafe { kir_lava_validate(bad.as_ptr(), bad.len(), false, &mut out) };
    assert_eq!(status, KirStatus::ErrUtf8);

    let yaml = "a: [1,\n";
    let status = unsafe { kir_lava_job_normalize(yaml.as_ptr(), yaml.len(), &mut out) };
    assert_eq!(status, KirStatus::ErrMalformed);
    assert!(last_error().contains("line"), "{}", last_error());

    let wrong = "job_name: [not, a, string]\n";
    let status = unsafe { kir_lava_job_normalize(wrong.as_ptr(), wrong.len(), &mut out) };
    assert_eq!(status, KirStatus::ErrMalformed);

    let json = "{not json";
    let status = unsafe { kir_lava_job_from_json(json.as_ptr(), json.len(), &mut out) };
    assert_eq!(status, KirStatus::ErrMalformed);
}
