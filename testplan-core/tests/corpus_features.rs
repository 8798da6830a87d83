//! Features of the upstream template tree the golden matrix does not reach:
//! overlays, errors for missing variables, unknown devices.

mod common;

use std::path::Path;
use std::sync::Arc;

use testplan_core::render::{Overlay, Renderer, TreePaths};
use testplan_core::vars::load_variables;
use testplan_core::{Error, Variables};

fn setup(corpus: &Path) -> (Renderer, Arc<Variables>) {
    let cwd = corpus.join("lava-test-plans");
    let renderer = Renderer::new(&TreePaths::new(cwd.join("lava_test_plans")));
    let vars = load_variables(&cwd.join("variables.ini")).expect("variables.ini");
    (renderer, Arc::new(vars))
}

#[test]
fn overlays_become_named_entries_with_format_from_suffix() {
    let Some(corpus) = common::corpus_dir("overlays") else {
        return;
    };
    let (renderer, vars) = setup(&corpus);
    let overlays = [
        Overlay {
            url: "https://x.org/a/modules.tar.xz".into(),
            path: "/".into(),
        },
        Overlay {
            url: "https://x.org/b/run.sh".into(),
            path: "/usr/bin/".into(),
        },
    ];
    let job = renderer
        .render("qemu_arm64", "boot.yaml", &vars, &overlays)
        .expect("renders");
    assert!(job.yaml.contains("overlay-00:\n            url: https://x.org/a/modules.tar.xz\n            format: tar\n            compression: xz\n            path: /\n"), "{}", job.yaml);
    assert!(job.yaml.contains("overlay-01:\n            url: https://x.org/b/run.sh\n            format: file\n            path: /usr/bin/run.sh\n"), "{}", job.yaml);
}

#[test]
fn missing_variable_error_names_variable_template_and_line() {
    let Some(corpus) = common::corpus_dir("missing variable") else {
        return;
    };
    let (renderer, vars) = setup(&corpus);
    let mut vars = (*vars).clone();
    vars.shift_remove("ROOTFS_URL");
    let err = renderer
        .render("qemu_arm64", "boot.yaml", &vars, &[])
        .unwrap_err();
    match err {
        Error::Undefined {
            variable,
            template,
            line,
        } => {
            assert_eq!(variable, "ROOTFS_URL");
            assert_eq!(template, "qemu.jinja2");
            let source =
                std::fs::read_to_string(corpus.join("lava-test-plans/lava_test_plans/qemu.jinja2"))
                    .unwrap();
            let text = source.lines().nth(line - 1).unwrap_or_default();
            assert!(text.contains("ROOTFS_URL"), "line {line}: {text}");
        }
        other => panic!("expected an undefined-variable error, got {other}"),
    }
}

#[test]
fn unknown_device_is_template_not_found() {
    let Some(corpus) = common::corpus_dir("unknown device") else {
        return;
    };
    let (renderer, vars) = setup(&corpus);
    let err = renderer
        .render("no-such-board", "boot.yaml", &vars, &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::TemplateNotFound { name, .. } if name == "no-such-board"),
        "{err}"
    );
}
