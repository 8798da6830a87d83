//! Differential test against the real tuxmake 1.45.0 (PyPI): requests the
//! corpus does not cover (wrappers, kernel.org toolchains, kselftest-bpf,
//! pass-through targets, inline and file fragments, image overrides, every
//! special target) are planned by tuxmake itself through the corpus's oracle
//! script and by us; the plan.json documents must be equal. Refusals must
//! agree too. Needs a Python with tuxmake 1.45.0: `KIR_PYTHON`, else the
//! repository's `.venv` (scripts/test installs it from requirements.txt).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use build_plan::args::parse_tuxmake_args;
use build_plan::{Catalog, StaticHost, plan};

fn python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("KIR_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    };
    let ok = Command::new(&candidate)
        .args([
            "-c",
            "import tuxmake; assert tuxmake.__version__ == '1.45.0'",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(candidate);
    }
    let msg = format!(
        "tuxmake 1.45.0 not importable by {} (set KIR_PYTHON)",
        candidate.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

const CASES: &[&str] = &[
    "-a arm64 -t gcc-13 -w sccache kernel modules",
    "-a x86_64 -t korg-gcc-12 default",
    "-a armel -t korg-gcc kernel",
    "-a alpha -t korg-gcc-8 kernel",
    "-a hexagon -t clang-17 LLVM=1 kernel",
    "-a um -t clang-nightly kernel",
    "-a loongarch -t korg-clang-20 kernel",
    "-a arm64 -t rustclang kselftest-bpf",
    "-a x86_64 -t clang-19 -K CONFIG_X=y -K make:kvm_guest.config -K imake:menuconfig kernel",
    "-a arm64 -t gcc -I Image -z none kernel perf cpupower",
    "-a riscv -t gcc-14 -M drivers/mmc/ -M kernel/foo.o",
    "-a riscv -t gcc-14 drivers/mmc/ kernel/foo.o config",
    "-a s390 -t gcc-12 -e FOO=bar -e KCFLAGS=-O2 headers",
    "-a arm -t gcc-8 bindeb-pkg binrpm-pkg",
    "-a arc -t gcc-9 dtbs_check clang-analyzer",
    "-a x86_64 -t gcc -F -v kernel",
    "-a i386 -t clang-android LLVM=1 LLVM_IAS=1 CROSS_COMPILE_COMPAT=foo- kselftest",
    "-a arm64 -t clang-18 -w ccache LLVM=-18 kernel kselftest",
    "-a arm64 -t gcc-13 -w /opt/bin/ccache CC=x kernel",
    "-a powerpc -t gcc-13 -k tinyconfig -K FRAGMENT -K kvm_guest.config xipkernel",
    "-a sparc -t clang-21 -k allnoconfig decode-stacktrace",
    "-a mips -t gcc-10 -I vmlinux debugkernel kernel",
    "-a x86_64 -t rust kernel",
    "-a arm64 -t gcc-13 -k FRAGMENT config",
    "-a armhf -t gcc CROSS_COMPILE=arm-none-eabi- kernel targz-pkg",
    "-a amd64 -t gcc-16 -k https://example.org/x.config -K https://example.org/y.config",
    // Refusals
    "-a alpha -t gcc-13",
    "-a arm64 -t gcc ARCH=arm kernel",
    "-a arm64 -t gcc bogus",
    "-a vax -t gcc",
    "-a arm64 -t gcc -K not-a-fragment",
];

struct Dirs {
    root: PathBuf,
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn words(case: &str, fragment: &Path) -> Vec<String> {
    case.split_whitespace()
        .map(|w| {
            if w == "FRAGMENT" {
                fragment.display().to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

#[test]
fn plans_equal_real_tuxmake_on_cases_beyond_the_corpus() {
    let Some(dir) = common::tuxmake_corpus() else {
        return;
    };
    let Some(py) = python() else { return };
    let oracle = dir.join("oracle/tuxmake_plan_dump.py");
    let root = std::env::temp_dir().join(format!("kir-bp-diff-{}", std::process::id()));
    let dirs = Dirs { root: root.clone() };
    for sub in ["linux", "home", "cwd"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let fragment = root.join("extra.config");
    std::fs::write(&fragment, "CONFIG_FOO=y\n").unwrap();
    let tree = root.join("linux").display().to_string();
    let build = root.join("build").display().to_string();
    let out = root.join("out").display().to_string();
    let home = root.join("home").display().to_string();

    let catalog = Catalog::tuxmake().unwrap();
    let mut host = StaticHost::x86_64(&home);
    host.existing_paths.insert(fragment.display().to_string());
    host.existing_paths.insert(tree.clone());

    let mut agreed = 0;
    let mut failures = Vec::new();
    for case in CASES {
        let args = words(case, &fragment);
        let fixed = [
            "--tree",
            &tree,
            "--build-dir",
            &build,
            "--output-dir",
            &out,
            "--jobs",
            "8",
            "--timestamp",
            "1700000000",
            "--dynamic",
            "CROSS_COMPILE_COMPAT=arm-linux-gnueabihf-",
        ];
        let result = Command::new(&py)
            .arg(&oracle)
            .args(fixed)
            .args(&args)
            .current_dir(root.join("cwd"))
            .env("HOME", &home)
            .env_remove("CCACHE_DIR")
            .env_remove("SCCACHE_DIR")
            .env_remove("TUXMAKE_IMAGE")
            .env_remove("TUXMAKE_IMAGE_REGISTRY")
            .env_remove("TUXMAKE_IMAGE_TAG")
            .output()
            .unwrap();

        let mut ours_args: Vec<String> = vec![
            "-C".into(),
            tree.clone(),
            "-b".into(),
            build.clone(),
            "-o".into(),
            out.clone(),
            "-j".into(),
            "8".into(),
            "--timestamp".into(),
            "1700000000".into(),
            "--dynamic".into(),
            "CROSS_COMPILE_COMPAT=arm-linux-gnueabihf-".into(),
        ];
        ours_args.extend(args.iter().cloned());
        let mut request = parse_tuxmake_args(&ours_args).unwrap();
        // The oracle's own defaults: docker runtime, defconfig written out.
        request.runtime.get_or_insert_with(|| "docker".into());
        request.kconfig.get_or_insert_with(|| "defconfig".into());
        let ours = plan(&catalog, &request, &host);

        match (result.status.success(), ours) {
            (true, Ok(p)) => {
                let theirs: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
                let mine = serde_json::to_value(&p).unwrap();
                if theirs == mine {
                    agreed += 1;
                } else {
                    for key in ["inputs", "resolved", "targets", "reproducer_cmdline"] {
                        if theirs[key] != mine[key] {
                            failures.push(format!(
                                "{case}: {key}\n  tuxmake: {}\n  ours:    {}",
                                theirs[key], mine[key]
                            ));
                        }
                    }
                }
            }
            (false, Err(_)) => agreed += 1,
            (true, Err(e)) => failures.push(format!("{case}: tuxmake plans it, we refuse: {e}")),
            (false, Ok(_)) => failures.push(format!(
                "{case}: tuxmake refuses ({}), we plan it",
                String::from_utf8_lossy(&result.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
        }
    }
    drop(dirs);
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert_eq!(agreed, CASES.len());
}
