//! `kir build-plan tuxmake` as a command: usage errors exit 2 as tuxmake's
//! do, and --help names tuxmake's options.

use std::process::Command;

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
