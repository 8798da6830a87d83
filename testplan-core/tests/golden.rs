//! Conformance with lava-test-plans: the 4,630 reference renders of the golden
//! corpus (Jinja2 output in `raw/`, the Python tool's written jobs in `final/`).
//!
//! Every case renders with `lava-test-plans/` as the working directory: variables
//! and device paths that do not exist there are taken relative to the package dir.

mod common;

use std::path::Path;

use common::{golden_requests, read_golden};
use rayon::prelude::*;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use testplan_core::render::{JobOutcome, render_matrix};

fn yaml_data(text: &str) -> Result<Vec<Yaml<'_>>, String> {
    Yaml::load_from_str(text).map_err(|e| e.to_string())
}

/// How two YAML documents compare as data.
#[derive(PartialEq)]
enum DataMatch {
    Equal,
    /// Equal except where ruamel.yaml folded a long plain scalar at a run of
    /// spaces and so lost spaces from the run (the Python tool's data loss).
    EqualModuloRuamelFold,
    Different,
}

fn compare(ours: &Yaml, reference: &Yaml) -> DataMatch {
    use DataMatch::*;
    match (ours, reference) {
        (Yaml::Sequence(a), Yaml::Sequence(b)) if a.len() == b.len() => {
            combine(a.iter().zip(b).map(|(x, y)| compare(x, y)))
        }
        (Yaml::Mapping(a), Yaml::Mapping(b)) if a.len() == b.len() => {
            combine(a.iter().zip(b.iter()).map(
                |((ka, va), (kb, vb))| {
                    if ka == kb { compare(va, vb) } else { Different }
                },
            ))
        }
        (a, b) if a == b => Equal,
        (Yaml::Value(Scalar::String(a)), Yaml::Value(Scalar::String(b)))
            if spaces_shortened(a, b) =>
        {
            EqualModuloRuamelFold
        }
        _ => Different,
    }
}

fn combine(items: impl Iterator<Item = DataMatch>) -> DataMatch {
    let mut out = DataMatch::Equal;
    for m in items {
        match m {
            DataMatch::Different => return DataMatch::Different,
            DataMatch::EqualModuloRuamelFold => out = DataMatch::EqualModuloRuamelFold,
            DataMatch::Equal => {}
        }
    }
    out
}

/// `reference` is `ours` with some runs of two or more spaces shortened (never removed).
fn spaces_shortened(ours: &str, reference: &str) -> bool {
    let (a, b) = (ours.as_bytes(), reference.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b' ' && b[j] == b' ' {
            let run_a = a[i..].iter().take_while(|c| **c == b' ').count();
            let run_b = b[j..].iter().take_while(|c| **c == b' ').count();
            if run_b > run_a || (run_b < run_a && run_a < 2) {
                return false;
            }
            i += run_a;
            j += run_b;
        } else if a[i] == b[j] {
            i += 1;
            j += 1;
        } else {
            return false;
        }
    }
    i == a.len() && j == b.len()
}

/// What one golden case came to.
struct Verdict {
    raw_same: bool,
    same_failure: bool,
    data: Option<DataMatch>,
    problems: Vec<String>,
}

fn judge(golden: &common::Golden, case: &common::Case, outcome: &JobOutcome) -> Verdict {
    let mut v = Verdict {
        raw_same: false,
        same_failure: false,
        data: None,
        problems: Vec::new(),
    };
    let what = format!("{}: {} {}", case.id, case.device_type, case.test);
    let job = match (&outcome.result, case.ok) {
        (Err(_), false) => {
            v.same_failure = true;
            return v;
        }
        (Err(e), true) => {
            v.problems.push(format!("{what}: kir failed: {e}"));
            return v;
        }
        (Ok(_), false) => {
            v.problems
                .push(format!("{what}: reference failed, kir rendered"));
            return v;
        }
        (Ok(job), true) => job,
    };
    if let Some(dir) = std::env::var_os("KIR_GOLDEN_DUMP") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir.join("raw")).ok();
        std::fs::create_dir_all(dir.join("final")).ok();
        std::fs::write(dir.join("raw").join(format!("{}.yaml", case.id)), &job.raw).ok();
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
    v.raw_same = job.raw == want_raw;
    if !v.raw_same {
        v.problems.push(format!("{what}: raw differs"));
    }

    // The written job reads as the same data under YAML 1.1 (LAVA) as under 1.2.
    let v12 = testplan_core::render::parse_job(&job.yaml).ok();
    match lava_job::yaml::from_str(&job.yaml) {
        Ok(v11) if v12.as_ref() == Some(&v11) => {}
        _ => v
            .problems
            .push(format!("{what}: final reads differently under YAML 1.1")),
    }

    let want_final = golden
        .fin
        .get(&case.id)
        .map(String::as_str)
        .unwrap_or_default();
    match (yaml_data(&job.yaml), yaml_data(want_final)) {
        (Ok(a), Ok(b)) if a.len() == 1 && b.len() == 1 => {
            let m = compare(&a[0], &b[0]);
            if m == DataMatch::Different {
                v.problems.push(format!("{what}: final data differs"));
            }
            v.data = Some(m);
        }
        (a, b) => v.problems.push(format!(
            "{what}: final does not parse (kir: {}, reference: {})",
            a.is_ok(),
            b.is_ok()
        )),
    }
    v
}

#[test]
fn golden_matrix_raw_identical_and_final_data_equal() {
    let Some(corpus) = common::corpus_dir("golden matrix") else {
        return;
    };
    let golden = read_golden(&corpus.join("lava-golden/golden-matrix-ltp-HEAD.tgz"));
    assert_eq!(golden.cases.len(), 4630, "manifest has every case");

    let requests = golden_requests(&corpus, &golden.cases);

    let outcomes = render_matrix(&requests);
    let verdicts: Vec<Verdict> = golden
        .cases
        .par_iter()
        .zip(outcomes.par_iter())
        .map(|(case, outcome)| judge(&golden, case, outcome))
        .collect();

    let (mut raw_same, mut final_same, mut final_fold, mut fail_same) =
        (0usize, 0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for verdict in verdicts {
        raw_same += usize::from(verdict.raw_same);
        fail_same += usize::from(verdict.same_failure);
        match verdict.data {
            Some(DataMatch::Equal) => final_same += 1,
            Some(DataMatch::EqualModuloRuamelFold) => final_fold += 1,
            _ => {}
        }
        problems.extend(verdict.problems);
    }
    eprintln!(
        "golden: {raw_same} raw identical, {final_same} final data-equal, {final_fold} final data-equal \
         except spaces ruamel's line folding lost, {fail_same} same failures, of {}",
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
