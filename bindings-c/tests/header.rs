//! The checked-in header must be exactly what cbindgen generates from the
//! sources, so any ABI change shows up as a diff of include/kir.h.
//! Regenerate with `KIR_BLESS=1 cargo test -p kir-c --test header`.

use std::path::Path;

fn generated_header() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::generate_with_config(dir, config).expect("cbindgen runs on src/");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn checked_in_header_matches_the_sources() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/kir.h");
    let generated = generated_header();
    if std::env::var_os("KIR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write include/kir.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/kir.h is out of date with bindings-c/src; regenerate it with \
         `KIR_BLESS=1 cargo test -p kir-c --test header` and commit the result"
    );
}

#[test]
fn header_version_macros_match_the_crate_version() {
    let header = generated_header();
    for (name, value) in [
        ("KIR_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("KIR_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("KIR_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define {name} {value}\n");
        assert!(
            header.contains(&line),
            "cbindgen.toml after_includes lacks `{}`",
            line.trim()
        );
    }
}

#[test]
fn every_exported_function_has_the_kir_prefix() {
    let header = generated_header();
    let names: Vec<&str> = header
        .lines()
        .filter(|l| !l.starts_with([' ', '*', '/', '#', '}', '\t']) && l.contains('('))
        .filter_map(|l| l.split('(').next()?.split_whitespace().last())
        .map(|n| n.trim_start_matches('*'))
        .collect();
    assert!(
        names.contains(&"kir_version"),
        "no functions found in {names:?}"
    );
    for name in names {
        assert!(
            name.starts_with("kir_"),
            "exported function `{name}` lacks the kir_ prefix"
        );
    }
}
