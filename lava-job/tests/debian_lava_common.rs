//! Cross-check against the validator of Debian's `lava-common` package
//! (2023.01, an older schema than the corpus verdicts). The two LAVA schemas
//! differ on newer features, so jobs are compared only where they agree:
//! corpus files on which Debian's verdict equals LAVA HEAD's, and mutations
//! of those files that touch rules both versions share.

mod common;

use std::fs;
use std::process::{Command, Stdio};

use lava_job::validate::{Options, validate_str};
use lava_job::yaml::{from_str, to_yaml_string};
use lava_job::{Mapping, Value};

/// Reads `name<TAB>path` lines from the file named first and prints `name<TAB>non-strict<TAB>strict`
/// verdicts of Debian's `lava_common.schemas.validate`.
const DEBIAN_VALIDATE: &str = r#"
import sys, yaml
from lava_common.schemas import validate
for line in open(sys.argv[1]):
    name, path = line.rstrip("\n").split("\t")
    with open(path) as f:
        data = yaml.safe_load(f)
    verdicts = []
    for strict in (False, True):
        try:
            validate(data, strict=strict)
            verdicts.append("valid")
        except Exception:
            verdicts.append("invalid")
    print(name + "\t" + "\t".join(verdicts))
"#;

fn set(job: &mut Value, key: &str, value: Value) {
    if let Value::Mapping(m) = job {
        m.insert(key, value);
    }
}

fn map(entries: &[(&str, Value)]) -> Value {
    let mut m = Mapping::new();
    for (k, v) in entries {
        m.insert(*k, v.clone());
    }
    Value::Mapping(m)
}

/// Changes to a job that both schema versions judge the same way.
/// A named change to a job.
type Mutation = (&'static str, fn(&mut Value));

/// A job to compare: name, YAML text, LAVA HEAD's verdicts when known.
type Case = (String, String, Option<(bool, bool)>);

fn mutations() -> Vec<Mutation> {
    vec![
        ("long-name", |j| {
            set(j, "job_name", Value::from("x".repeat(201)))
        }),
        ("zero-timeout", |j| {
            let t = map(&[("job", map(&[("minutes", Value::Int(0))]))]);
            set(j, "timeouts", t)
        }),
        ("two-units", |j| {
            let unit = map(&[("minutes", Value::Int(50)), ("seconds", Value::Int(5))]);
            set(j, "timeouts", map(&[("job", unit)]))
        }),
        ("bool-timeout", |j| {
            set(
                j,
                "timeouts",
                map(&[("job", map(&[("hours", Value::Bool(true))]))]),
            )
        }),
        ("private", |j| set(j, "visibility", Value::from("private"))),
        ("groups", |j| {
            set(
                j,
                "visibility",
                map(&[("group", Value::Sequence(vec![Value::from("qa")]))]),
            )
        }),
        ("priority-101", |j| set(j, "priority", Value::Int(101))),
        ("priority-low", |j| set(j, "priority", Value::from("low"))),
        ("bogus-context", |j| {
            set(j, "context", map(&[("bogus", Value::Int(1))]))
        }),
        ("unknown-top-key", |j| set(j, "lab_note", Value::from("x"))),
        ("no-visibility", |j| {
            if let Value::Mapping(m) = j {
                m.remove("visibility");
            }
        }),
        ("int-metadata-key", |j| {
            let mut m = Mapping::new();
            m.insert(Value::Int(1), Value::from("a"));
            set(j, "metadata", Value::Mapping(m))
        }),
        ("null-metadata", |j| set(j, "metadata", Value::Null)),
        ("tags-not-list", |j| set(j, "tags", Value::from("kvm"))),
        ("huge-action-timeout", |j| {
            if let Some(Value::Mapping(action)) = first_action_body(j) {
                action.insert("timeout", map(&[("days", Value::Int(400))]));
            }
        }),
        ("unknown-action-key", |j| {
            if let Some(Value::Mapping(action)) = first_action_body(j) {
                action.insert("flavour", Value::from("vanilla"));
            }
        }),
    ]
}

fn first_action_body(job: &mut Value) -> Option<&mut Value> {
    let Value::Mapping(m) = job else { return None };
    let Value::Sequence(actions) = m.get_mut("actions")? else {
        return None;
    };
    let Value::Mapping(action) = actions.first_mut()? else {
        return None;
    };
    action.values_mut().next()
}

#[test]
fn verdicts_agree_with_debian_lava_common_where_its_schema_agrees_with_head() {
    let Some(dir) = common::lava_jobs() else {
        common::missing("the lava-jobs corpus (set KIR_CORPUS)");
        return;
    };
    let Some(python) = common::python_with(&["lava_common.schemas", "yaml"]) else {
        common::missing("Debian's lava-common (apt-get install lava-common)");
        return;
    };
    let work = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debian-lava-common");
    fs::create_dir_all(&work).expect("work dir");

    // Every corpus file, and every mutation of it, as (name, text, HEAD verdicts if known).
    let tsv = fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut cases: Vec<Case> = Vec::new();
    // Mutations go to every fifth accepted job: enough variety, and the
    // Python validator stays quick.
    let mut accepted = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, non_strict, strict] = cols[..] else {
            continue;
        };
        let text = fs::read_to_string(dir.join("files").join(path)).expect("job reads");
        let head = (non_strict == "valid", strict == "valid");
        cases.push((path.to_string(), text.clone(), Some(head)));
        if !head.0 {
            continue;
        }
        accepted += 1;
        if accepted % 5 != 1 {
            continue;
        }
        let original = from_str(&text).expect("corpus job is YAML");
        for (label, mutate) in mutations() {
            let mut job = original.clone();
            mutate(&mut job);
            cases.push((format!("{path}#{label}"), to_yaml_string(&job), None));
        }
    }

    let mut listing = String::new();
    for (i, (name, text, _)) in cases.iter().enumerate() {
        let file = work.join(format!("{i}.yaml"));
        fs::write(&file, text).expect("write case");
        listing.push_str(&format!("{name}\t{}\n", file.display()));
    }
    let list = work.join("cases.tsv");
    fs::write(&list, listing).expect("write case list");
    let out = Command::new(python)
        .args(["-c", DEBIAN_VALIDATE])
        .arg(&list)
        .stderr(Stdio::inherit())
        .output()
        .expect("python runs");
    assert!(out.status.success(), "Debian validator failed");
    let debian: std::collections::HashMap<String, (bool, bool)> =
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c.len() == 3).then(|| (c[0].to_string(), (c[1] == "valid", c[2] == "valid")))
            })
            .collect();

    // Corpus files: compare where Debian agrees with HEAD. Mutations: compare
    // when Debian agreed with HEAD on the unmutated file in both modes.
    let mut compared = 0;
    let mut differ = Vec::new();
    for (name, text, head) in &cases {
        let deb = debian[name.as_str()];
        let base = name.split('#').next().unwrap_or(name);
        let base_head = cases.iter().find(|(n, _, _)| n == base).and_then(|c| c.2);
        let trusted = match head {
            Some(h) => [deb.0 == h.0, deb.1 == h.1],
            None => {
                let ok = base_head.is_some_and(|h| h == debian[base]);
                [ok, ok]
            }
        };
        for (mode, strict) in [(0, false), (1, true)] {
            if !trusted[mode] {
                continue;
            }
            let ours = validate_str(
                text,
                &Options {
                    strict,
                    ..Options::default()
                },
            )
            .lava_accepts();
            let theirs = if strict { deb.1 } else { deb.0 };
            compared += 1;
            if ours != theirs {
                differ.push(format!(
                    "{name} (strict={strict}): Debian {theirs}, kir {ours}"
                ));
            }
        }
    }
    assert!(compared > 1000, "only {compared} comparisons");
    eprintln!("{compared} verdicts compared with Debian lava-common");
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
