//! Conformance with lava-test-plans: the 4,630 reference renders of the golden
//! corpus (Jinja2 output in `raw/`, the Python tool's written jobs in `final/`).
//!
//! Every case renders with `lava-test-plans/` as the working directory: variables
//! and device paths that do not exist there are taken relative to the package dir.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use saphyr::{LoadableYamlNode, Yaml};
use testplan_core::render::{JobRequest, TreePaths, render_matrix, resolve_dir};
use testplan_core::vars::{merge_files, resolve_variables_path};

struct Case {
    id: String,
    variables: Vec<String>,
    device_type: String,
    test: String,
    device_path: String,
    ok: bool,
}

struct Golden {
    cases: Vec<Case>,
    raw: HashMap<String, String>,
    fin: HashMap<String, String>,
}

fn read_golden(tgz: &Path) -> Golden {
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

fn yaml_data(text: &str) -> Result<Vec<Yaml<'_>>, String> {
    Yaml::load_from_str(text).map_err(|e| e.to_string())
}

#[test]
fn golden_matrix_raw_identical_and_final_data_equal() {
    let Some(corpus) = common::corpus_dir("golden matrix") else {
        return;
    };
    let golden = read_golden(&corpus.join("lava-golden/golden-matrix-ltp-HEAD.tgz"));
    assert_eq!(golden.cases.len(), 4630, "manifest has every case");

    let cwd = corpus.join("lava-test-plans");
    let package = cwd.join("lava_test_plans");
    let mut var_sets: HashMap<Vec<String>, Arc<testplan_core::Variables>> = HashMap::new();
    let mut requests = Vec::new();
    for case in &golden.cases {
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

    let outcomes = render_matrix(&requests);
    let (mut raw_same, mut final_same, mut fail_same) = (0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for (case, outcome) in golden.cases.iter().zip(&outcomes) {
        match (&outcome.result, case.ok) {
            (Err(_), false) => fail_same += 1,
            (Err(e), true) => problems.push(format!(
                "{}: {} {}: kir failed: {e}",
                case.id, case.device_type, case.test
            )),
            (Ok(_), false) => problems.push(format!("{}: reference failed, kir rendered", case.id)),
            (Ok(job), true) => {
                if let Some(dir) = std::env::var_os("KIR_GOLDEN_DUMP") {
                    let dir = Path::new(&dir);
                    std::fs::create_dir_all(dir.join("raw")).ok();
                    std::fs::create_dir_all(dir.join("final")).ok();
                    std::fs::write(dir.join("raw").join(format!("{}.yaml", case.id)), &job.raw)
                        .ok();
                    std::fs::write(
                        dir.join("final").join(format!("{}.yaml", case.id)),
                        &job.yaml,
                    )
                    .ok();
                }
                let want_raw = golden
                    .raw
                    .get(&case.id)
                    .map(String::as_str)
                    .unwrap_or_default();
                if job.raw == want_raw {
                    raw_same += 1;
                } else {
                    problems.push(format!(
                        "{}: {} {}: raw differs",
                        case.id, case.device_type, case.test
                    ));
                }
                let want_final = golden
                    .fin
                    .get(&case.id)
                    .map(String::as_str)
                    .unwrap_or_default();
                match (yaml_data(&job.yaml), yaml_data(want_final)) {
                    (Ok(a), Ok(b)) if a == b => final_same += 1,
                    (a, b) => problems.push(format!(
                        "{}: final data differs (kir parse ok: {}, reference parse ok: {})",
                        case.id,
                        a.is_ok(),
                        b.is_ok()
                    )),
                }
            }
        }
    }
    eprintln!(
        "golden: {raw_same} raw identical, {final_same} final data-equal, {fail_same} same failures, of {}",
        golden.cases.len()
    );
    for p in problems
        .iter()
        .filter(|p| !p.contains("final data"))
        .take(10)
    {
        eprintln!("  {p}");
    }
    for p in problems.iter().take(10) {
        eprintln!("  {p}");
    }
    assert!(
        problems.is_empty(),
        "{} of {} golden cases disagree",
        problems.len(),
        golden.cases.len()
    );
}
