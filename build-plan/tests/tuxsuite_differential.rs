//! Differential test against the real tuxsuite 1.46.1 (PyPI): plans beyond
//! the corpus's one example (YAML anchors and merge keys, sharding on `test`
//! and in `tests`, sanity tests with tests, build keys such as targets,
//! make_variables, kernel_image, environment, build_name, kconfig lists with
//! URLs and inline options, test keys such as dtb, boot_args, parameters,
//! timeouts, standalone tests with modules and rootfs, `--job-name` globs) are
//! expanded by tuxsuite's own code through the corpus's oracle script and by
//! us; the expansions (plan items, tuxmake and tuxrun argv) must be equal.
//! Plans tuxsuite refuses (it raises) must be refused by us too, and the few
//! it accepts but we refuse on purpose are pinned (build-plan/README.md,
//! "Where we differ"). The plain plans kir writes (`--format tuxsuite`, the
//! README's matrix example among them) must expand in tuxsuite as the
//! originals do in kir.
//!
//! Needs a Python with tuxsuite 1.46.1: `KIR_PYTHON`, else the repository's
//! `.venv` (scripts/test installs it from requirements.txt).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use build_plan::tuxsuite::{LocalOptions, parse_plan};

fn python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("KIR_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    };
    let ok = Command::new(&candidate)
        .args([
            "-c",
            "import tuxsuite; assert tuxsuite.__version__ == '1.46.1'",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(candidate);
    }
    let msg = format!(
        "tuxsuite 1.46.1 not importable by {} (set KIR_PYTHON)",
        candidate.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipping: {msg}");
    None
}

const SHAPES: &str = r#"version: 1
name: shapes
description: sharding, sanity tests, anchors
common: &common {toolchain: gcc-13, kconfig: defconfig}
jobs:
- name: arm64-shards
  build: {<<: *common, target_arch: arm64}
  sanity_test: {device: qemu-arm64, tests: [ltp-smoke]}
  tests:
  - {device: qemu-arm64, tests: [ltp-fs], sharding: 2}
  - {device: qemu-armv7, tests: [kselftest-timers], timeouts: {deploy: 10, boot: 5}}
- name: riscv
  builds:
  - {<<: *common, target_arch: riscv, targets: [config, kernel, modules, dtbs], make_variables: {W: 1, LLVM: 1}}
  - {target_arch: riscv, toolchain: clang-18, kconfig: [defconfig, "CONFIG_DEBUG_INFO=y"], kernel_image: Image.gz, build_name: rv-clang}
  test: {device: qemu-riscv64, boot_args: "console=ttyS0", parameters: {A: 1, B: two}, sharding: 4}
- builds:
  - {target_arch: x86_64, toolchain: clang-nightly, kconfig: tinyconfig, targets: [kernel], environment: {KCFLAGS: -Werror}}
- name: standalone
  tests:
  - {kernel: "https://example.org/Image.gz", modules: "https://example.org/modules.tar.xz", device: qemu-arm64, tests: [ltp-smoke, kunit]}
  - {kernel: "https://example.org/bzImage", device: qemu-x86_64, rootfs: "https://example.org/rootfs.ext4.zst", sharding: 2, tests: [ltp-syscalls]}
"#;

const GLOBS: &str = r#"version: 1
jobs:
- name: a-one
  builds:
  - {target_arch: arm64, toolchain: gcc-12, kconfig: defconfig}
  - {target_arch: arm, toolchain: gcc-12, kconfig: multi_v7_defconfig, targets: [kernel, dtbs, modules]}
  tests:
  - {device: qemu-arm64, tests: [ltp-smoke]}
  - {device: qemu-armv7, dtb: am57xx-beagle-x15.dtb, tests: [ltp-smoke], sharding: 3}
- name: b-two
  build: {target_arch: i386, toolchain: clang-17, kconfig: [i386_defconfig, "https://example.org/x.config"], make_variables: {LLVM: "1", LLVM_IAS: 1}}
  test: {device: qemu-i386}
- name: a-three
  build: {target_arch: s390, toolchain: gcc-13, kconfig: defconfig, targets: [default]}
  sanity_test: {device: qemu-s390, sharding: 2}
"#;

/// (plan, --job-name globs)
const ACCEPTED: &[(&str, &[&str])] = &[
    (SHAPES, &[]),
    (SHAPES, &["standalone"]),
    (GLOBS, &[]),
    (GLOBS, &["a-*"]),
    (GLOBS, &["b-two", "a-thr?e"]),
];

/// Plans tuxsuite's own code refuses (it raises before expanding).
const REFUSED: &[&str] = &[
    "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig, bogus: 1}\n",
    "version: 2\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig}\n",
    "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig}\n  test: {tests: [ltp-smoke]}\n",
    "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig}\n  test: {device: qemu-arm64, sharding: \"3\"}\n",
    "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc}\n",
    "version: 1\njobs: []\n",
    "version: 1\n",
    "version: 1\njobs:\n- name: x\n",
    "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig, make_variables: [1, 2]}\n",
];

/// Plans tuxsuite 1.46.1 expands but we refuse, with the reason we give.
const STRICTER: &[(&str, &str)] = &[
    // tuxsuite drops the test silently.
    (
        "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig}\n  test: {device: qemu-arm64, sharding: 0}\n",
        "shard count",
    ),
    // tuxsuite runs the device's default kernel; a TuxSuite test needs one.
    (
        "version: 1\njobs:\n- tests: [{device: qemu-arm64}]\n",
        "needs a kernel",
    ),
    // tuxsuite leaves --kconfig out.
    (
        "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: 7}\n",
        "kconfig",
    ),
    // tuxsuite passes the targets k e r n e l.
    (
        "version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc, kconfig: defconfig, targets: kernel}\n",
        "list of target names",
    ),
];

/// tuxsuite's expansion of `plan` (None when it raises), written into a fresh
/// output directory so that its plan number is 1.
fn tuxsuite(
    py: &Path,
    oracle: &Path,
    work: &Path,
    n: usize,
    plan: &str,
    globs: &[&str],
) -> (Option<serde_json::Value>, String) {
    let file = work.join(format!("plan-{n}.yaml"));
    std::fs::write(&file, plan).unwrap();
    let out_dir = work.join(format!("out-{n}"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut cmd = Command::new(py);
    cmd.arg(oracle)
        .arg(&file)
        .arg("--output-dir")
        .arg(&out_dir)
        .args(["--tree", "/tmp/bp/linux"]);
    for g in globs {
        cmd.args(["--job-name", g]);
    }
    let result = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    if !result.status.success() {
        return (None, stderr);
    }
    let value: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert!(value["schema_error"].is_null(), "{plan}: {value}");
    (Some(value), out_dir.display().to_string())
}

fn ours(plan: &str, out_dir: &str, globs: &[&str]) -> Result<serde_json::Value, String> {
    let parsed = parse_plan(plan, "plan.yaml").map_err(|e| e.to_string())?;
    let opts = LocalOptions {
        tree: "/tmp/bp/linux".into(),
        output_dir: out_dir.into(),
        job_names: globs.iter().map(|g| g.to_string()).collect(),
        ..LocalOptions::default()
    };
    Ok(parsed
        .expand(&opts)
        .map_err(|e| e.to_string())?
        .to_tuxsuite_json())
}

#[test]
fn expansions_equal_real_tuxsuite_beyond_the_corpus_plan() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let Some(py) = python() else { return };
    let oracle = dir.join("oracle/tuxsuite_plan_expand.py");
    let work = std::env::temp_dir().join(format!("kir-ts-diff-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;

    for (plan, globs) in ACCEPTED {
        n += 1;
        let (theirs, out_dir) = tuxsuite(&py, &oracle, &work, n, plan, globs);
        let Some(theirs) = theirs else {
            failures.push(format!("case {n}: tuxsuite refused: {out_dir}"));
            continue;
        };
        match ours(plan, &out_dir, globs) {
            Ok(mine) if mine == theirs => {}
            Ok(mine) => {
                for key in ["expanded_items", "builds", "standalone_tests"] {
                    if mine[key] != theirs[key] {
                        failures.push(format!(
                            "case {n} {globs:?}: {key}\n  tuxsuite: {}\n  ours:     {}",
                            theirs[key], mine[key]
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!("case {n}: tuxsuite expands it, we refuse: {e}")),
        }
    }
    for plan in REFUSED {
        n += 1;
        let (theirs, _) = tuxsuite(&py, &oracle, &work, n, plan, &[]);
        if theirs.is_some() {
            failures.push(format!("case {n}: tuxsuite now expands {plan:?}"));
        }
        if ours(plan, "/tmp/bp/out", &[]).is_ok() {
            failures.push(format!("case {n}: tuxsuite refuses, we expand {plan:?}"));
        }
    }
    for (plan, reason) in STRICTER {
        n += 1;
        let (theirs, _) = tuxsuite(&py, &oracle, &work, n, plan, &[]);
        if theirs.is_none() {
            failures.push(format!(
                "case {n}: tuxsuite now refuses {plan:?} too (update the README)"
            ));
        }
        match ours(plan, "/tmp/bp/out", &[]) {
            Err(e) if e.contains(reason) => {}
            other => failures.push(format!(
                "case {n}: expected a refusal with {reason:?}, got {other:?}"
            )),
        }
    }
    // The plain plans kir writes (a matrix expanded) are plans tuxsuite
    // itself expands to what we expand the original to.
    let readme = include_str!("../README.md");
    let matrix_example = readme
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    assert!(matrix_example.contains("matrix:"));
    let catalog = build_plan::Catalog::tuxmake().unwrap();
    for plan in [SHAPES, GLOBS, matrix_example] {
        n += 1;
        let parsed = build_plan::matrix::parse_plan_with_matrix(&catalog, plan, "p.yaml").unwrap();
        let emitted = build_plan::emit::tuxsuite_plan(&parsed);
        let (theirs, out_dir) = tuxsuite(&py, &oracle, &work, n, &emitted, &[]);
        let Some(theirs) = theirs else {
            failures.push(format!(
                "case {n}: tuxsuite refuses the plan kir wrote: {out_dir}\n{emitted}"
            ));
            continue;
        };
        let opts = LocalOptions {
            tree: "/tmp/bp/linux".into(),
            output_dir: out_dir,
            ..LocalOptions::default()
        };
        let mine = parsed.expand(&opts).unwrap().to_tuxsuite_json();
        for key in ["builds", "standalone_tests"] {
            if mine[key] != theirs[key] {
                failures.push(format!(
                    "case {n}: written plan, {key}\n  tuxsuite: {}\n  ours:     {}",
                    theirs[key], mine[key]
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
