//! Conformance with TuxSuite 1.46.1: the corpus plan expands to exactly the
//! items and tuxmake/tuxrun command lines TuxSuite's own code produced.

mod common;

use build_plan::tuxsuite::{LocalOptions, parse_plan};

#[test]
fn example_plan_expands_like_tuxsuite() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let plans = dir.join("tuxsuite-plans");
    let text = std::fs::read_to_string(plans.join("example-plan.yaml")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(plans.join("example-plan.expanded.json")).unwrap(),
    )
    .unwrap();
    let plan = parse_plan(&text, "example-plan.yaml").unwrap();
    let opts = LocalOptions {
        tree: "/tmp/bp/linux".into(),
        output_dir: "/tmp/bp/plan-out".into(),
        runtime: "podman".into(),
        wrapper: "none".into(),
        ..LocalOptions::default()
    };
    let ours = plan.expand(&opts).unwrap().to_tuxsuite_json();
    for key in ["expanded_items", "builds", "standalone_tests"] {
        assert_eq!(ours[key], expected[key], "{key} differs");
    }
    assert_eq!(ours, expected);
}

#[test]
fn job_name_globs_filter_jobs() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("tuxsuite-plans/example-plan.yaml")).unwrap();
    let plan = parse_plan(&text, "example-plan.yaml").unwrap();
    let opts = LocalOptions {
        job_names: vec!["x86-*".into()],
        ..LocalOptions::default()
    };
    let expansion = plan.expand(&opts).unwrap();
    assert_eq!(expansion.builds.len(), 2);
    assert!(expansion.standalone_tests.is_empty());
    // 2 builds + 2 x (1 test + 3 shards)
    assert_eq!(expansion.job_count(), 10);
}

#[test]
fn emitted_tuxsuite_plan_reads_back_to_the_same_expansion() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("tuxsuite-plans/example-plan.yaml")).unwrap();
    let plan = parse_plan(&text, "example-plan.yaml").unwrap();
    let emitted = build_plan::emit::tuxsuite_plan(&plan);
    let again = parse_plan(&emitted, "emitted.yaml").unwrap();
    let opts = LocalOptions::default();
    assert_eq!(
        again.expand(&opts).unwrap().to_tuxsuite_json(),
        plan.expand(&opts).unwrap().to_tuxsuite_json(),
        "{emitted}"
    );
}

#[test]
fn gitlab_pipeline_has_a_job_per_build_and_test_needing_its_build() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("tuxsuite-plans/example-plan.yaml")).unwrap();
    let plan = parse_plan(&text, "example-plan.yaml").unwrap();
    let expansion = plan.expand(&LocalOptions::default()).unwrap();
    let yaml = build_plan::emit::gitlab_pipeline(&plan, &expansion);
    let doc = build_plan::yaml::load(&yaml, "gitlab.yml")
        .unwrap()
        .unwrap();
    let jobs = doc.as_map().unwrap();
    let builds: Vec<_> = jobs.keys().filter(|k| k.starts_with("build-")).collect();
    let tests: Vec<_> = jobs.keys().filter(|k| k.starts_with("test-")).collect();
    assert_eq!(builds.len(), 4);
    assert_eq!(tests.len(), 1 + 4 + 4 + 1);
    let needs = jobs["test-2-2-x86-clang"].as_map().unwrap()["needs"]
        .as_seq()
        .unwrap()[0]
        .py_str();
    assert_eq!(needs, "build-2-x86-clang-x86_64-clang-17");
}
