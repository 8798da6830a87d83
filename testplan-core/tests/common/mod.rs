//! Shared helpers for testplan-core's integration tests.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use testplan_core::render::{JobRequest, TreePaths, resolve_dir};
use testplan_core::vars::{merge_files, resolve_variables_path};

/// The conformance corpus: `KIR_CORPUS`, or `../shared/corpus` beside the
/// workspace. Missing corpus fails in CI and skips (with a message) elsewhere.
#[allow(dead_code)]
pub fn corpus_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("KIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if dir.join("lava-test-plans").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what}: corpus not found at {} (set KIR_CORPUS)",
            dir.display()
        );
    }
    eprintln!(
        "{what}: SKIPPED, corpus not found at {} (set KIR_CORPUS)",
        dir.display()
    );
    None
}

/// One manifest entry of the golden corpus.
#[allow(dead_code)]
pub struct Case {
    pub id: String,
    pub variables: Vec<String>,
    pub device_type: String,
    pub test: String,
    pub device_path: String,
    pub ok: bool,
}

/// The golden corpus: manifest, raw renders and final jobs by id.
#[allow(dead_code)]
pub struct Golden {
    pub cases: Vec<Case>,
    pub raw: HashMap<String, String>,
    pub fin: HashMap<String, String>,
}

/// Reads the golden tgz.
#[allow(dead_code)]
pub fn read_golden(tgz: &Path) -> Golden {
    let file = std::fs::File::open(tgz).expect("open golden tgz");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut raw = HashMap::new();
    let mut fin = HashMap::new();
    let mut manifest = String::new();
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let path = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut text = String::new();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        entry.read_to_string(&mut text).expect("UTF-8 entry");
        let id = |p: &str| p.trim_end_matches(".yaml").to_string();
        if let Some(name) = path.strip_prefix("raw/") {
            raw.insert(id(name), text);
        } else if let Some(name) = path.strip_prefix("final/") {
            fin.insert(id(name), text);
        } else if path == "manifest.jsonl" {
            manifest = text;
        }
    }
    let cases = manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("manifest line is JSON");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Case {
                id: s("id"),
                variables: v["variables"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                device_type: s("device_type"),
                test: s("test"),
                device_path: s("testplan_device_path"),
                ok: s("status") == "ok",
            }
        })
        .collect();
    Golden { cases, raw, fin }
}

/// The render requests of the golden cases, run with `lava-test-plans/` as the
/// working directory (the Python tool's path rules).
#[allow(dead_code)]
pub fn golden_requests(corpus: &Path, cases: &[Case]) -> Vec<JobRequest> {
    let cwd = corpus.join("lava-test-plans");
    let package = cwd.join("lava_test_plans");
    let mut var_sets: HashMap<Vec<String>, Arc<testplan_core::Variables>> = HashMap::new();
    let mut requests = Vec::new();
    for case in cases {
        let vars = var_sets
            .entry(case.variables.clone())
            .or_insert_with(|| {
                let paths: Vec<_> = case
                    .variables
                    .iter()
                    .map(|v| resolve_variables_path(&cwd, &package, Path::new(v)))
                    .collect();
                Arc::new(merge_files(&paths, &[]).expect("variables files load"))
            })
            .clone();
        let mut paths = TreePaths::new(&package);
        paths.devices = resolve_dir(&cwd, &package, Path::new(&case.device_path));
        requests.push(JobRequest {
            device_type: case.device_type.clone(),
            test: case.test.clone(),
            variables: vars,
            overlays: Vec::new(),
            paths,
        });
    }
    requests
}
