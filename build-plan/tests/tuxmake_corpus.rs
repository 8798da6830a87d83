//! Conformance with TuxMake 1.45.0: the five full plans and the 701-pair
//! matrix in the corpus (generated from the real tuxmake by its oracle
//! scripts) must come out of our planner identical.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use build_plan::catalog::VarMap;
use build_plan::text::shell_join;
use build_plan::{Catalog, Request, StaticHost, plan};
use serde_json::Value;

/// The machine the corpus was generated on, as run_samples.sh sets it up.
fn corpus_host() -> StaticHost {
    let mut host = StaticHost::x86_64("/tmp/bp/home");
    host.existing_paths.insert("/tmp/bp/kasan.config".into());
    host
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

fn map(v: &Value) -> VarMap {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().map(String::from)
}

/// The request a corpus plan was made from (its `inputs` block).
fn request_from_inputs(inputs: &Value) -> Request {
    let dynamic = map(&inputs["dynamic_resolution"]);
    let mut make_variables = map(&inputs["make_variables"]);
    // The oracle records make_variables after TuxMake appended the probed
    // dynamic variables; the user did not pass those.
    for k in dynamic.keys() {
        if make_variables.get(k) == dynamic.get(k)
            && make_variables.last().map(|(l, _)| l) == Some(k)
        {
            make_variables.shift_remove(k);
        }
    }
    Request {
        tree: inputs["tree"].as_str().unwrap_or_default().into(),
        build_dir: opt(&inputs["build_dir"]),
        output_dir: opt(&inputs["output_dir"]),
        jobs: inputs["jobs"].as_u64().map(|j| j as u32),
        timestamp: opt(&inputs["timestamp"]),
        target_arch: opt(&inputs["target_arch"]),
        toolchain: opt(&inputs["toolchain"]),
        wrapper: opt(&inputs["wrapper"]),
        environment: map(&inputs["environment"]),
        kconfig: opt(&inputs["kconfig"]),
        kconfig_add: strings(&inputs["kconfig_add"]),
        make_variables,
        targets: strings(&inputs["targets"]),
        make_targets: strings(&inputs["make_target"]),
        kernel_image: opt(&inputs["kernel_image"]),
        compression_type: opt(&inputs["compression_type"]),
        runtime: opt(&inputs["runtime"]),
        dynamic,
        ..Request::default()
    }
}

#[test]
fn five_corpus_plans_are_identical_to_tuxmake() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let catalog = Catalog::tuxmake().unwrap();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".plan.json"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 5, "expected 5 cases in {}", dir.display());
    let mut identical_bytes = 0;
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let expected: Value = serde_json::from_str(&text).unwrap();
        let request = request_from_inputs(&expected["inputs"]);
        let ours = plan(&catalog, &request, &corpus_host())
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let ours_json: Value = serde_json::to_value(&ours).unwrap();
        for key in [
            "inputs",
            "resolved",
            "targets",
            "reproducer_cmdline",
            "tuxmake_version",
        ] {
            assert_eq!(
                ours_json[key],
                expected[key],
                "{}: {key} differs",
                case.display()
            );
        }
        assert_eq!(ours_json, expected, "{}", case.display());
        if ours.to_json() == text {
            identical_bytes += 1;
        }
    }
    assert_eq!(
        identical_bytes, 5,
        "plan.json text should match byte for byte"
    );
}

fn matrix_lines(dir: &std::path::Path) -> Vec<Value> {
    let file = std::fs::File::open(dir.join("matrix-defconfig.jsonl.xz")).unwrap();
    let mut text = String::new();
    lzma_rust2::XzReader::new(file, true)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn compact(plan: &build_plan::Plan) -> Value {
    serde_json::json!({
        "arch": plan.resolved.target_arch,
        "toolchain": plan.resolved.toolchain,
        "image": plan.resolved.image,
        "targets": plan.targets.iter().map(|t| serde_json::json!({
            "name": t.name,
            "pre": t.preconditions.iter().map(|c| shell_join(c)).collect::<Vec<_>>(),
            "cmds": t.commands.iter().map(|c| shell_join(&c.argv)).collect::<Vec<_>>(),
            "artifacts": t.artifacts,
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn all_701_matrix_pairs_are_identical_to_tuxmake() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let catalog = Catalog::tuxmake().unwrap();
    let lines = matrix_lines(&dir);
    assert_eq!(lines.len(), 701);
    let mut identical = 0;
    let mut failures = Vec::new();
    for line in &lines {
        let arch = line["arch"].as_str().unwrap();
        let toolchain = line["toolchain"].as_str().unwrap();
        let request = Request {
            tree: "/tmp/bp/linux".into(),
            build_dir: Some("/tmp/bp/build".into()),
            output_dir: Some("/tmp/bp/out".into()),
            jobs: Some(8),
            timestamp: Some("1700000000".into()),
            target_arch: Some(arch.into()),
            toolchain: Some(toolchain.into()),
            kconfig: Some("defconfig".into()),
            runtime: Some("docker".into()),
            dynamic: VarMap::from([("CROSS_COMPILE_COMPAT".into(), "arm-linux-gnueabihf-".into())]),
            ..Request::default()
        };
        match plan(&catalog, &request, &corpus_host()) {
            Ok(p) if compact(&p) == *line => identical += 1,
            Ok(p) => failures.push(format!(
                "{arch}/{toolchain}: ours {} expected {line}",
                compact(&p)
            )),
            Err(e) => failures.push(format!("{arch}/{toolchain}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ, first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(identical, 701);
}

#[test]
fn support_matrix_from_image_data_matches_the_corpus_catalogue() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let catalog = Catalog::tuxmake().unwrap();
    let text = std::fs::read_to_string(dir.join("tuxmake-catalog.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    let matrix = |host: &str| -> BTreeMap<String, Vec<String>> {
        catalog
            .toolchains
            .container_toolchains
            .iter()
            .map(|t| {
                (
                    t.clone(),
                    catalog
                        .supported_arches(t, host)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                )
            })
            .collect()
    };
    let want: BTreeMap<String, Vec<String>> =
        serde_json::from_value(expected["docker_support_matrix"]["x86_64_host"].clone()).unwrap();
    assert_eq!(matrix("x86_64"), want);
    assert_eq!(matrix("x86_64").values().map(Vec::len).sum::<usize>(), 701);
    // The corpus's arm64_host table repeats the x86_64 one (its generator
    // swaps the native architecture inside one process and TuxMake caches
    // support answers per runtime name); a fresh tuxmake 1.45.0 process on
    // an arm64 host supports 636 pairs, e.g. gcc only for these seven.
    let arm = matrix("aarch64");
    assert_eq!(arm.values().map(Vec::len).sum::<usize>(), 636);
    assert_eq!(
        arm["gcc"],
        ["arm64", "armel", "armhf", "i386", "riscv", "um", "x86_64"]
    );
    assert!(arm["clang-10"].is_empty() && arm["clang-android"].is_empty());
}
