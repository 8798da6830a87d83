//! TuxMake behaviours pinned one by one, and the refusals that say why.

use build_plan::args::parse_tuxmake_args;
use build_plan::{Catalog, Error, Plan, Request, StaticHost, plan};

fn host() -> StaticHost {
    StaticHost::x86_64("/home/u")
}

fn run(args: &[&str]) -> Result<Plan, Error> {
    let mut all = vec![
        "-C",
        "/src",
        "-b",
        "/b",
        "-o",
        "/o",
        "-j",
        "4",
        "--timestamp",
        "1",
    ];
    all.extend_from_slice(args);
    let request = parse_tuxmake_args(&all).unwrap();
    plan(&Catalog::tuxmake().unwrap(), &request, &host())
}

fn err(args: &[&str]) -> String {
    run(args).unwrap_err().to_string()
}

fn argv(plan: &Plan, target: &str) -> Vec<Vec<String>> {
    plan.targets
        .iter()
        .find(|t| t.name == target)
        .unwrap()
        .commands
        .iter()
        .map(|c| c.argv.clone())
        .collect()
}

#[test]
fn llvm_zero_is_refused_because_it_enables_llvm() {
    let e = err(&["-r", "docker", "-a", "arm64", "-t", "clang-17", "LLVM=0"]);
    assert!(e.starts_with("LLVM=0:") && e.contains("enables"), "{e}");
}

#[test]
fn i386_defconfig_on_x86_64_is_refused() {
    let e = err(&[
        "-r",
        "docker",
        "-a",
        "x86_64",
        "-t",
        "gcc",
        "-k",
        "i386_defconfig",
    ]);
    assert!(
        e.contains("i386_defconfig") && e.contains("--target-arch=i386"),
        "{e}"
    );
    assert!(
        run(&[
            "-r",
            "docker",
            "-a",
            "i386",
            "-t",
            "gcc",
            "-k",
            "i386_defconfig"
        ])
        .is_ok()
    );
}

#[test]
fn rejected_make_variable_is_named() {
    let e = err(&[
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc",
        "INSTALL_MOD_PATH=/x",
    ]);
    assert!(e.starts_with("make variable INSTALL_MOD_PATH"), "{e}");
}

#[test]
fn unsupported_combination_names_pair_and_alternatives() {
    let e = err(&["-r", "docker", "-a", "alpha", "-t", "gcc-13"]);
    assert!(e.starts_with("alpha/gcc-13:") && e.contains("arm64"), "{e}");
}

#[test]
fn null_runtime_checks_the_user_cross_compile() {
    let mut h = host();
    h.programs.insert("aarch64-linux-gnu-gcc".into());
    let catalog = Catalog::tuxmake().unwrap();
    let mut req = parse_tuxmake_args(&[
        "-C",
        "/s",
        "-b",
        "/b",
        "--timestamp",
        "1",
        "-a",
        "arm64",
        "-t",
        "gcc",
    ])
    .unwrap();
    assert!(plan(&catalog, &req, &h).is_ok());
    req.make_variables
        .insert("CROSS_COMPILE".into(), "aarch64-none-elf-".into());
    let e = plan(&catalog, &req, &h).unwrap_err().to_string();
    assert!(
        e.contains("aarch64-none-elf-gcc") && e.contains("your CROSS_COMPILE"),
        "{e}"
    );
    h.programs.insert("aarch64-none-elf-gcc".into());
    let p = plan(&catalog, &req, &h).unwrap();
    assert_eq!(p.resolved.makevars["CROSS_COMPILE"], "aarch64-none-elf-");
}

#[test]
fn unknown_names_are_refused_with_the_known_ones() {
    assert!(err(&["-a", "vax"]).contains("unknown architecture"));
    assert!(
        err(&["-r", "docker", "-a", "arm64", "-t", "llvm-17"]).starts_with("--toolchain=llvm-17")
    );
    assert!(
        err(&["-r", "docker", "-a", "arm64", "-t", "gcc", "bogus"]).starts_with("target bogus")
    );
    assert!(
        err(&["-r", "docker", "-a", "arm64", "-t", "gcc", "-z", "bz2"]).contains("compression")
    );
    assert!(
        err(&["-r", "docker", "-a", "arm64", "-t", "gcc", "-K", "nonsense"])
            .starts_with("--kconfig-add=nonsense")
    );
}

#[test]
fn requested_perf_runs_before_config_and_unrequested_perf_is_dropped() {
    let p = run(&[
        "-r", "docker", "-a", "x86_64", "-t", "gcc", "config", "perf",
    ])
    .unwrap();
    assert_eq!(p.resolved.target_order, ["perf", "config"]);
    let p = run(&["-r", "docker", "-a", "x86_64", "-t", "gcc", "kernel"]).unwrap();
    assert_eq!(p.resolved.target_order, ["config", "default", "kernel"]);
}

#[test]
fn kbuild_targets_pass_through_after_config() {
    let p = run(&[
        "-r",
        "docker",
        "-a",
        "x86_64",
        "-t",
        "gcc",
        "drivers/mmc/",
        "-M",
        "kernel/foo.o",
    ])
    .unwrap();
    assert_eq!(
        p.resolved.target_order,
        ["config", "make:drivers/mmc/", "make:kernel/foo.o"]
    );
    assert_eq!(
        argv(&p, "make:drivers/mmc/")[0].last().unwrap(),
        "drivers/mmc/"
    );
    assert!(
        !p.reproducer_cmdline
            .iter()
            .any(|a| a == "make:drivers/mmc/")
    );
    assert!(
        p.reproducer_cmdline
            .contains(&"--make-target=kernel/foo.o".to_string())
    );
}

#[test]
fn korg_gcc_uses_the_tarball_cross_prefix() {
    let p = run(&["-r", "docker", "-a", "armel", "-t", "korg-gcc-13", "kernel"]).unwrap();
    assert_eq!(p.resolved.image, "docker.io/tuxmake/korg-gcc");
    let prefix = p.resolved.korg_gcc_cross_prefix.clone().unwrap();
    assert!(
        prefix.starts_with("/b/gcc-13.") && prefix.ends_with("/bin/arm-linux-gnueabi-"),
        "{prefix}"
    );
    assert_eq!(p.resolved.makevars["CROSS_COMPILE"], prefix);
    assert_eq!(p.resolved.makevars["HOSTCC"], "gcc");
}

#[test]
fn kselftest_with_clang_drops_cc_and_sets_llvm() {
    let p = run(&[
        "-r",
        "docker",
        "-a",
        "x86_64",
        "-t",
        "clang-19",
        "kselftest",
    ])
    .unwrap();
    let ks = p.targets.iter().find(|t| t.name == "kselftest").unwrap();
    assert_eq!(ks.excluded_build_makevars, ["CC", "HOSTCC"]);
    assert!(ks.commands[0].argv.contains(&"LLVM=1".to_string()));
    assert!(!ks.commands[0].argv.iter().any(|a| a.starts_with("CC=")));
    let p = run(&["-r", "docker", "-a", "x86_64", "-t", "gcc-13", "kselftest"]).unwrap();
    let ks = p.targets.iter().find(|t| t.name == "kselftest").unwrap();
    assert!(ks.excluded_build_makevars.is_empty());
}

#[test]
fn sccache_wraps_cross_gcc_and_keeps_existing_env() {
    let p = run(&[
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc-13",
        "-w",
        "sccache",
        "--dynamic",
        "CROSS_COMPILE_COMPAT=x-",
        "kernel",
    ])
    .unwrap();
    assert_eq!(p.resolved.makevars["CC"], "sccache aarch64-linux-gnu-gcc");
    assert_eq!(p.resolved.makevars["HOSTCC"], "sccache gcc");
    assert_eq!(
        p.resolved.environment["SCCACHE_DIR"],
        "/home/u/.cache/sccache"
    );
    assert_eq!(p.resolved.makevars["CROSS_COMPILE_COMPAT"], "x-");
}

#[test]
fn fail_fast_and_verbose_change_make_flags_and_reproducer() {
    let p = run(&[
        "-r", "docker", "-a", "x86_64", "-t", "gcc", "-F", "-v", "default",
    ])
    .unwrap();
    assert_eq!(&argv(&p, "default")[0][..2], ["make", "--jobs=4"]);
    assert!(p.reproducer_cmdline.contains(&"--fail-fast".to_string()));
    assert!(p.reproducer_cmdline.contains(&"--verbose".to_string()));
}

#[test]
fn kconfig_file_without_fragments_is_copied_without_olddefconfig() {
    let mut h = host();
    h.existing_paths.insert("/cfg/my.config".into());
    let req = parse_tuxmake_args(&[
        "-C",
        "/s",
        "-b",
        "/b",
        "--timestamp",
        "1",
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc",
        "-k",
        "/cfg/my.config",
        "config",
    ])
    .unwrap();
    let p = plan(&Catalog::tuxmake().unwrap(), &req, &h).unwrap();
    assert!(p.targets[0].commands.is_empty());
    assert_eq!(p.resolved.kconfig_files.len(), 1);
}

#[test]
fn existing_config_skips_kconfig_steps() {
    let mut h = host();
    h.existing_paths.insert("/b/.config".into());
    let req = parse_tuxmake_args(&[
        "-C",
        "/s",
        "-b",
        "/b",
        "--timestamp",
        "1",
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        "gcc",
        "config",
    ])
    .unwrap();
    let p = plan(&Catalog::tuxmake().unwrap(), &req, &h).unwrap();
    assert!(p.targets[0].commands.is_empty());
}

#[test]
fn native_arch_build_has_no_arch_make_variables() {
    let mut h = host();
    h.programs.insert("gcc".into());
    let req = Request {
        tree: "/s".into(),
        build_dir: Some("/b".into()),
        timestamp: Some("1".into()),
        targets: vec!["default".into()],
        ..Request::default()
    };
    let p = plan(&Catalog::tuxmake().unwrap(), &req, &h).unwrap();
    assert_eq!(p.resolved.target_arch, "x86_64");
    assert!(p.resolved.makevars.is_empty());
    assert!(p.reproducer_cmdline.contains(&"--runtime=null".to_string()));
    assert!(
        p.reproducer_cmdline
            .iter()
            .any(|a| a.starts_with("--image=docker.io/tuxmake/x86_64_gcc"))
    );
}

#[test]
fn text_rendering_lists_targets_and_reproducer() {
    let p = run(&["-r", "docker", "-a", "arm64", "-t", "gcc-13", "kernel"]).unwrap();
    let text = p.to_text();
    assert!(
        text.contains("[kernel] Kernel image (needs default)"),
        "{text}"
    );
    assert!(
        text.contains("  only if: '!' grep -q CONFIG_XIP_KERNEL=y /b/.config"),
        "{text}"
    );
    assert!(
        text.contains("reproducer: tuxmake --target-arch=arm64"),
        "{text}"
    );
}
