//! LAVA's own verdicts on the 207 job files of the shared corpus
//! (`lava-jobs/expected.tsv`, produced by LAVA's schema at the corpus's
//! revision), in both modes.

mod common;

use std::fs;

use lava_job::validate::{Options, validate_str};

struct Case {
    path: String,
    non_strict: bool,
    strict: bool,
}

fn cases() -> Option<(std::path::PathBuf, Vec<Case>)> {
    let Some(dir) = common::lava_jobs() else {
        common::missing("the lava-jobs corpus (set KIR_CORPUS)");
        return None;
    };
    let tsv = fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv reads");
    let cases = tsv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut cols = line.split('\t');
            let path = cols.next().unwrap_or_default().to_string();
            let non_strict = cols.next().unwrap_or_default() == "valid";
            let strict = cols.next().unwrap_or_default() == "valid";
            Case {
                path,
                non_strict,
                strict,
            }
        })
        .collect();
    Some((dir, cases))
}

fn verdicts_match(strict: bool) {
    let Some((dir, cases)) = cases() else {
        return;
    };
    assert_eq!(cases.len(), 207, "expected.tsv lists every corpus job");
    let options = Options {
        strict,
        ..Options::default()
    };
    let mut wrong = Vec::new();
    for case in &cases {
        let text = fs::read_to_string(dir.join("files").join(&case.path)).expect("job reads");
        let report = validate_str(&text, &options);
        let expected = if strict { case.strict } else { case.non_strict };
        if report.lava_accepts() != expected {
            let issues: Vec<String> = report.issues.iter().map(|i| format!("    {i}")).collect();
            wrong.push(format!(
                "{}: LAVA says {}, we say {}\n{}",
                case.path,
                if expected { "valid" } else { "invalid" },
                if expected { "invalid" } else { "valid" },
                issues.join("\n")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} verdicts differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn non_strict_verdicts_equal_lavas_on_the_corpus() {
    verdicts_match(false);
}

#[test]
fn strict_verdicts_equal_lavas_on_the_corpus() {
    verdicts_match(true);
}
