//! `kir build-plan` as a command: `tuxmake` usage errors exit 2 as
//! tuxmake's do, --help names tuxmake's options, `--json` prints the corpus's
//! plan.json; `expand` writes every format from one plan (TuxSuite's own
//! expansion of the corpus plan, the JSON command lines, a GitLab child
//! pipeline, a plain plan that reads back to the same expansion).
//!
//! The corpus tests read ../shared/corpus/tuxmake (KIR_CORPUS); missing, they
//! fail when CI=true and are skipped with a message otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let base = match std::env::var_os("KIR_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    let dir = base.join("tuxmake");
    if dir.join("tuxsuite-plans/example-plan.yaml").exists() {
        return Some(dir);
    }
    let msg = format!(
        "tuxmake corpus not found at {} (set KIR_CORPUS)",
        dir.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipping: {msg}");
    None
}

fn kir(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kir"))
        .args(args)
        .output()
        .expect("run kir")
}

fn ok(args: &[&str]) -> String {
    let out = kir(args);
    assert!(
        out.status.success(),
        "kir {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn tuxmake(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kir"))
        .arg("build-plan")
        .arg("tuxmake")
        .args(args)
        .output()
        .expect("run kir")
}

#[test]
fn unknown_option_and_bad_timestamp_are_usage_errors_with_exit_2() {
    for args in [&["--bogus"][..], &["--timestamp", "abc"][..]] {
        let out = tuxmake(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

#[test]
fn help_names_tuxmakes_options_and_kirs_own() {
    let out = tuxmake(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for option in [
        "--target-arch",
        "--toolchain",
        "--kconfig-add",
        "--runtime",
        "--json",
        "--timestamp",
    ] {
        assert!(text.contains(option), "help lacks {option}");
    }
}

#[test]
fn json_plan_of_a_corpus_case_is_its_plan_json() {
    let Some(dir) = corpus() else { return };
    let expected = std::fs::read_to_string(dir.join("01-arm64-gcc13-defconfig.plan.json")).unwrap();
    let inputs: Value = serde_json::from_str::<Value>(&expected).unwrap()["inputs"].clone();
    assert_eq!(
        inputs["tree"], "/tmp/bp/linux",
        "the case this test rebuilds"
    );
    let json = ok(&[
        "build-plan",
        "tuxmake",
        "--json",
        "-C",
        "/tmp/bp/linux",
        "-b",
        "/tmp/bp/build",
        "-o",
        "/tmp/bp/out",
        "-j",
        "8",
        "--timestamp",
        "1700000000",
        "--dynamic",
        "CROSS_COMPILE_COMPAT=arm-linux-gnueabihf-",
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc-13",
        "-k",
        "defconfig",
    ]);
    assert!(
        json == expected,
        "kir build-plan tuxmake --json differs from the corpus plan.json"
    );
    // Without --json: the same plan as text, targets in order.
    let text = ok(&[
        "build-plan",
        "tuxmake",
        "-C",
        "/tmp/bp/linux",
        "-b",
        "/tmp/bp/build",
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc-13",
        "--timestamp",
        "1",
        "kernel",
        "modules",
    ]);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    assert!(
        at("config") < at("kernel") && at("kernel") < at("modules"),
        "{text}"
    );
}

fn expand(dir: &Path, format: &str) -> String {
    let plan = dir.join("tuxsuite-plans/example-plan.yaml");
    ok(&[
        "build-plan",
        "expand",
        plan.to_str().unwrap(),
        "--format",
        format,
        "--tree",
        "/tmp/bp/linux",
        "--output-dir",
        "/tmp/bp/plan-out",
        "--runtime",
        "podman",
        "--wrapper",
        "none",
    ])
}

#[test]
fn expand_prints_tuxsuites_own_expansion_of_the_corpus_plan() {
    let Some(dir) = corpus() else { return };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tuxsuite-plans/example-plan.expanded.json")).unwrap(),
    )
    .unwrap();
    let ours: Value = serde_json::from_str(&expand(&dir, "expansion")).unwrap();
    assert_eq!(ours, expected);
}

#[test]
fn expand_json_lists_each_build_with_its_tests_and_each_standalone_test() {
    let Some(dir) = corpus() else { return };
    let expansion: Value = serde_json::from_str(&expand(&dir, "expansion")).unwrap();
    let lines: Value = serde_json::from_str(&expand(&dir, "json")).unwrap();
    let lines = lines.as_array().unwrap();
    let builds: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "build").collect();
    let tests: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "test").collect();
    assert_eq!(builds.len() + tests.len(), lines.len());
    let want_builds = expansion["builds"].as_array().unwrap();
    assert_eq!(builds.len(), want_builds.len());
    for (ours, want) in builds.iter().zip(want_builds) {
        assert_eq!(ours["tuxmake"], want["tuxmake"]);
        assert_eq!(ours["tests"], want["tests"]);
        let out_dir = &want["tuxmake"][want["tuxmake"]
            .as_array()
            .unwrap()
            .iter()
            .position(|w| w == "--output-dir")
            .unwrap()
            + 1];
        assert_eq!(&ours["output_dir"], out_dir);
    }
    let want_tests = expansion["standalone_tests"].as_array().unwrap();
    assert_eq!(
        tests
            .iter()
            .map(|t| t["tuxrun"].clone())
            .collect::<Vec<_>>(),
        *want_tests
    );
    // Job names from the plan.
    assert_eq!(builds[0]["job"], "arm64-gcc");
    assert_eq!(tests[0]["job"], "standalone-tests");
}

#[test]
fn expand_writes_a_gitlab_pipeline_and_a_plain_plan_that_reads_back() {
    let Some(dir) = corpus() else { return };
    let gitlab = expand(&dir, "gitlab");
    let expansion: Value = serde_json::from_str(&expand(&dir, "expansion")).unwrap();
    let doc = build_plan::yaml::load(&gitlab, "gitlab.yml")
        .unwrap()
        .unwrap();
    let jobs = doc.as_map().unwrap();
    let script = |job: &str| -> Vec<String> {
        jobs[job].as_map().unwrap()["script"]
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.py_str())
            .collect()
    };
    let shell = |argv: &Value| -> String {
        argv.as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // One build job per build, in order, running that build's tuxmake line.
    let builds: Vec<&String> = jobs.keys().filter(|k| k.starts_with("build-")).collect();
    let want = expansion["builds"].as_array().unwrap();
    assert_eq!(builds.len(), want.len(), "{gitlab}");
    let mut tests_seen = 0;
    for (job, build) in builds.iter().zip(want) {
        assert_eq!(script(job), [shell(&build["tuxmake"])], "{job}");
        // Its tests: jobs that need exactly this build and run its tuxrun lines.
        let mine: Vec<Vec<String>> = jobs
            .iter()
            .filter(|(k, v)| {
                k.starts_with("test-")
                    && v.as_map().unwrap()["needs"]
                        .as_seq()
                        .unwrap()
                        .iter()
                        .map(|n| n.py_str())
                        .collect::<Vec<_>>()
                        == [job.to_string()]
            })
            .map(|(k, _)| script(k))
            .collect();
        let want_tests: Vec<Vec<String>> = build["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| vec![shell(t)])
            .collect();
        assert_eq!(mine, want_tests, "{job}");
        tests_seen += mine.len();
    }
    // Standalone tests need nothing.
    let standalone: Vec<Vec<String>> = jobs
        .iter()
        .filter(|(k, v)| {
            k.starts_with("test-") && v.as_map().unwrap()["needs"].as_seq().unwrap().is_empty()
        })
        .map(|(k, _)| script(k))
        .collect();
    let want_standalone: Vec<Vec<String>> = expansion["standalone_tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| vec![shell(t)])
        .collect();
    assert_eq!(standalone, want_standalone);
    assert_eq!(
        jobs.keys().filter(|k| k.starts_with("test-")).count(),
        tests_seen + standalone.len()
    );

    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain.yaml");
    let plan = dir.join("tuxsuite-plans/example-plan.yaml");
    ok(&[
        "build-plan",
        "expand",
        plan.to_str().unwrap(),
        "--format",
        "tuxsuite",
        "-O",
        plain.to_str().unwrap(),
    ]);
    let again = ok(&[
        "build-plan",
        "expand",
        plain.to_str().unwrap(),
        "--format",
        "expansion",
        "--tree",
        "/tmp/bp/linux",
        "--output-dir",
        "/tmp/bp/plan-out",
        "--runtime",
        "podman",
        "--wrapper",
        "none",
    ]);
    assert_eq!(
        serde_json::from_str::<Value>(&again).unwrap()["builds"],
        serde_json::from_str::<Value>(&expand(&dir, "expansion")).unwrap()["builds"]
    );
}

#[test]
fn expand_refuses_an_unsupported_matrix_pair_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("m.yaml");
    std::fs::write(
        &plan,
        "version: 1\nname: m\ndescription: d\njobs:\n- name: mx\n  matrix: {target_arch: [arm64, sparc], toolchain: [clang-android]}\n  build: {kconfig: defconfig}\n",
    )
    .unwrap();
    let out = kir(&[
        "build-plan",
        "expand",
        plan.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sparc/clang-android"), "{stderr}");
    assert!(out.stdout.is_empty());
}
