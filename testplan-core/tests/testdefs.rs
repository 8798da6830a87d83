//! Every YAML file of Linaro test-definitions reads into typed data, and every
//! test definition passes the rules of that repository's validator.

mod common;

use std::path::{Path, PathBuf};

use testplan_core::testdef::{TestDefinitionFile, parse_file};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_test_definition_file_parses_and_validates() {
    let Some(corpus) = common::corpus_dir("test-definitions") else {
        return;
    };
    let root = corpus.join("test-definitions");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= 370,
        "expected the whole test-definitions tree, found {} files",
        files.len()
    );

    let (mut defs, mut plans, mut skiplists, mut other) = (0, 0, 0, 0);
    let (mut plan_entries, mut unresolved) = (0, Vec::new());
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("UTF-8 file");
        match parse_file(&text, &name) {
            Ok(TestDefinitionFile::Definition(def)) => {
                defs += 1;
                if let Err(e) = def.check(&name) {
                    failures.push(e.to_string());
                }
                assert!(
                    !def.steps.is_empty() || def.metadata.format.starts_with("Manual"),
                    "{name}: no steps"
                );
            }
            Ok(TestDefinitionFile::Plan(plan)) => {
                plans += 1;
                plan_entries += plan.entries().count();
                for test in plan.unresolved(&root) {
                    assert!(!root.join(&test.path).exists());
                    unresolved.push(format!("{name}: {}", test.path));
                }
            }
            Ok(TestDefinitionFile::Skiplist(entries)) => {
                skiplists += 1;
                assert!(!entries.is_empty(), "{name}: empty skip list");
            }
            Ok(TestDefinitionFile::Other) => other += 1,
            Err(e) => failures.push(e.to_string()),
        }
    }
    eprintln!(
        "test-definitions: {} files: {defs} definitions, {plans} plans ({plan_entries} entries, {} \
         not in this checkout), {skiplists} skip lists, {other} other YAML; {} failures",
        files.len(),
        unresolved.len(),
        failures.len()
    );
    for u in &unresolved {
        eprintln!("  unresolved: {u}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(defs, 349, "test definitions found");
    assert_eq!(plans, 17, "test plans found");
}
