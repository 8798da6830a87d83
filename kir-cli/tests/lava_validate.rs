//! `kir lava validate` end to end: one exit status per kind of result (0
//! valid, 1 invalid, 2 usage error, 3 unreadable file), the highest of them
//! for several files, and a text or JSON report per file.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const VALID: &str = "\
job_name: smoke
device_type: qemu
visibility: public
timeouts:
  job:
    minutes: 10
actions:
- deploy:
    to: tmpfs
    images:
      rootfs:
        url: https://example.com/rootfs.img
    timeout:
      minutes: 2
- boot:
    method: qemu
    media: tmpfs
    timeout:
      minutes: 5
    prompts: ['root@debian:~#']
";

/// VALID with a key LAVA does not know: valid for LAVA's default rules,
/// refused in strict mode.
fn unknown_key() -> String {
    VALID.replacen(
        "visibility: public\n",
        "visibility: public\nlab_note: kept\n",
        1,
    )
}

/// VALID with a job timeout (3 minutes) shorter than the boot action's (5).
fn invalid() -> String {
    VALID.replacen("  job:\n    minutes: 10\n", "  job:\n    minutes: 3\n", 1)
}

/// The line of `invalid()` holding the boot action's timeout.
fn boot_minutes_line() -> usize {
    1 + invalid()
        .lines()
        .position(|l| l == "      minutes: 5")
        .expect("boot timeout in invalid()")
}

fn kir(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kir"))
        .args(["lava", "validate"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kir")
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("kir exited, not killed")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn jobs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("valid.yaml"), VALID).expect("write");
    fs::write(dir.path().join("unknown-key.yaml"), unknown_key()).expect("write");
    fs::write(dir.path().join("invalid.yaml"), invalid()).expect("write");
    fs::write(dir.path().join("broken.yaml"), "job_name: [unclosed\n").expect("write");
    fs::write(dir.path().join("latin1.yaml"), b"job_name: caf\xe9\n").expect("write");
    dir
}

#[test]
fn a_valid_job_exits_0_and_says_valid() {
    let dir = jobs();
    let out = kir(dir.path(), &["valid.yaml"]);
    assert_eq!(status(&out), 0, "{}", stdout(&out));
    assert_eq!(stdout(&out), "valid.yaml: valid\n");
}

#[test]
fn an_invalid_job_exits_1_and_names_path_and_line() {
    let dir = jobs();
    let out = kir(dir.path(), &["invalid.yaml"]);
    assert_eq!(status(&out), 1);
    let text = stdout(&out);
    assert!(text.starts_with("invalid.yaml: invalid\n"), "{text}");
    assert!(text.contains("actions[1].boot.timeout"), "{text}");
    let line = format!("line {}", boot_minutes_line());
    assert!(text.contains(&line), "{line} missing: {text}");
}

#[test]
fn text_that_is_not_yaml_is_an_invalid_job_exiting_1() {
    let dir = jobs();
    let out = kir(dir.path(), &["broken.yaml"]);
    assert_eq!(status(&out), 1);
    assert!(stdout(&out).contains("error[yaml]"), "{}", stdout(&out));
}

#[test]
fn strict_mode_turns_an_unknown_key_from_0_into_1() {
    let dir = jobs();
    assert_eq!(status(&kir(dir.path(), &["unknown-key.yaml"])), 0);
    let out = kir(dir.path(), &["--strict", "unknown-key.yaml"]);
    assert_eq!(status(&out), 1);
    assert!(stdout(&out).contains("lab_note"), "{}", stdout(&out));
}

#[test]
fn a_usage_error_exits_2() {
    let dir = jobs();
    assert_eq!(status(&kir(dir.path(), &[])), 2, "no file given");
    assert_eq!(
        status(&kir(dir.path(), &["--format", "xml", "valid.yaml"])),
        2,
        "unknown format"
    );
}

#[test]
fn a_missing_or_non_utf8_file_exits_3_and_the_others_are_still_checked() {
    let dir = jobs();
    for unreadable in ["missing.yaml", "latin1.yaml"] {
        let out = kir(dir.path(), &[unreadable, "valid.yaml"]);
        assert_eq!(status(&out), 3, "{unreadable}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(unreadable), "{stderr}");
        assert_eq!(stdout(&out), "valid.yaml: valid\n");
    }
}

#[test]
fn several_files_exit_with_the_highest_status() {
    let dir = jobs();
    assert_eq!(status(&kir(dir.path(), &["valid.yaml", "invalid.yaml"])), 1);
    assert_eq!(
        status(&kir(dir.path(), &["invalid.yaml", "missing.yaml"])),
        3
    );
}

#[test]
fn json_report_has_one_entry_per_file() {
    let dir = jobs();
    let out = kir(
        dir.path(),
        &[
            "--format",
            "json",
            "valid.yaml",
            "invalid.yaml",
            "missing.yaml",
        ],
    );
    assert_eq!(status(&out), 3);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let entries = report.as_array().expect("a list");
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["file"], "valid.yaml");
    assert_eq!(entries[0]["valid"], true);
    assert_eq!(entries[1]["valid"], false);
    let issue = &entries[1]["issues"][0];
    assert_eq!(issue["line"], boot_minutes_line());
    assert!(
        issue["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("actions[1].boot"))
    );
    assert_eq!(entries[2]["file"], "missing.yaml");
    assert!(
        entries[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("missing.yaml"))
    );
}
