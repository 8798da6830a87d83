//! Helpers shared by lava-job's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (the folder holding lava-job/).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Whether tests run in CI, where missing inputs are failures.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (outside CI) or fails (in CI) a test whose input is missing.
pub fn missing(what: &str) {
    assert!(!in_ci(), "{what} is missing and CI=true");
    eprintln!("skipping: {what} is missing");
}

/// The LAVA job corpus folder, when present.
pub fn lava_jobs() -> Option<PathBuf> {
    let base = std::env::var_os("KIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/corpus"));
    let dir = base.join("lava-jobs");
    dir.join("expected.tsv").is_file().then_some(dir)
}

/// A Python interpreter that can `import` every module named.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let venv = workspace_root().join(".venv/bin/python");
    // Debian's packaged modules (lava-common) live in the system interpreter.
    let candidates = [
        venv,
        PathBuf::from("python3"),
        PathBuf::from("/usr/bin/python3"),
    ];
    let probe = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", &probe])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}
