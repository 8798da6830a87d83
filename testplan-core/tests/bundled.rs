//! The compiled-in templates: rendered through the library from a working
//! directory that has nothing to do with the source tree, as a whole matrix.

use std::path::{Path, PathBuf};

use testplan_core::render::{MatrixSpec, Renderer, TreePaths};
use testplan_core::{Error, bundled};

fn spec(device_types: &[&str]) -> MatrixSpec {
    MatrixSpec {
        device_types: device_types.iter().map(|d| d.to_string()).collect(),
        test_plans: vec!["smoke".into()],
        variable_sets: vec![vec![PathBuf::from("variables.ini")]],
        ..MatrixSpec::default()
    }
}

#[test]
fn matrix_of_both_boards_renders_from_an_unrelated_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let outcomes = spec(&["qemu-arm64", "dragonboard-845c"])
        .render(cwd.path(), Some(&Default::default()))
        .unwrap();
    let names: Vec<(String, String)> = outcomes
        .iter()
        .map(|o| (o.device_type.clone(), o.test.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("qemu-arm64".into(), "boot.yaml".into()),
            ("qemu-arm64".into(), "ltp-syscalls.yaml".into()),
            ("dragonboard-845c".into(), "boot.yaml".into()),
            ("dragonboard-845c".into(), "ltp-syscalls.yaml".into()),
        ]
    );
    for o in &outcomes {
        let job = o.result.as_ref().unwrap();
        let report = o.validation.as_ref().unwrap();
        assert!(report.lava_accepts(), "{}: {:?}", o.test, report.issues);
        assert!(job.yaml.contains("job_name:"), "{}", job.yaml);
    }
    let fastboot = outcomes[3].result.as_ref().unwrap();
    assert!(fastboot.yaml.contains("to: fastboot"), "{}", fastboot.yaml);
    assert!(fastboot.yaml.contains("userdata:"), "{}", fastboot.yaml);
}

#[test]
fn variable_sets_multiply_the_matrix_and_overrides_apply_to_each() {
    let cwd = tempfile::tempdir().unwrap();
    let extra = cwd.path().join("extra.yaml");
    std::fs::write(&extra, "BUILD_NUMBER: '77'\n").unwrap();
    let mut spec = spec(&["qemu-arm64"]);
    spec.variable_sets
        .push(vec![PathBuf::from("variables.ini"), extra.clone()]);
    spec.overwrite_variables = vec!["PROJECT_NAME=renamed".into()];
    let outcomes = spec.render(cwd.path(), None).unwrap();
    assert_eq!(outcomes.len(), 4);
    let yaml: Vec<&str> = outcomes
        .iter()
        .map(|o| o.result.as_ref().unwrap().yaml.as_str())
        .collect();
    assert!(yaml.iter().all(|y| y.contains("renamed")));
    assert!(
        !yaml[0].contains("77") && yaml[1].contains("77"),
        "{}",
        yaml[1]
    );
}

#[test]
fn a_job_error_names_variable_template_and_line_and_others_still_render() {
    let cwd = tempfile::tempdir().unwrap();
    let partial = cwd.path().join("partial.ini");
    std::fs::write(&partial, "PROJECT_NAME=p\nBUILD_NUMBER=1\nKERNEL_URL=k\n").unwrap();
    let mut spec = spec(&["qemu-arm64"]);
    spec.test_plans.clear();
    spec.tests = vec!["boot.yaml".into(), "no-such-test.yaml".into()];
    spec.variable_sets = vec![vec![partial], vec![PathBuf::from("variables.ini")]];
    let outcomes = spec.render(cwd.path(), None).unwrap();
    match &outcomes[0].result {
        Err(Error::Undefined {
            variable,
            template,
            line,
        }) => {
            assert_eq!(variable, "ROOTFS_URL");
            assert_eq!(template, "qemu.jinja2");
            assert!(*line > 0);
        }
        other => panic!("expected an undefined variable, got {other:?}"),
    }
    let detail = outcomes[0].result.as_ref().unwrap_err().detail();
    assert_eq!(
        (
            detail.kind,
            detail.variable.as_deref(),
            detail.template.as_deref()
        ),
        ("undefined", Some("ROOTFS_URL"), Some("qemu.jinja2"))
    );
    assert!(detail.line.is_some_and(|l| l > 0) && detail.file.is_none());
    assert!(outcomes[1].result.is_ok());
    assert!(matches!(
        &outcomes[2].result,
        Err(Error::TemplateNotFound { name, .. }) if name == "no-such-test.yaml"
    ));
}

#[test]
fn spec_without_device_or_tests_or_with_unreadable_variables_fails_whole() {
    let cwd = tempfile::tempdir().unwrap();
    assert!(matches!(
        spec(&[]).requests(cwd.path()),
        Err(Error::InvalidArgument(_))
    ));
    let mut no_tests = spec(&["qemu-arm64"]);
    no_tests.test_plans.clear();
    assert!(matches!(
        no_tests.requests(cwd.path()),
        Err(Error::InvalidArgument(_))
    ));
    let mut missing = spec(&["qemu-arm64"]);
    missing.variable_sets = vec![vec![PathBuf::from("absent.ini")]];
    assert!(matches!(
        missing.requests(cwd.path()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn own_device_directory_combines_with_the_bundled_tree() {
    let cwd = tempfile::tempdir().unwrap();
    let devices = cwd.path().join("my-devices");
    std::fs::create_dir(&devices).unwrap();
    std::fs::write(
        devices.join("qemu-arm64-slow"),
        "{% set qemu_arch = 'arm64' %}{% set qemu_cpu = 'cortex-a57' %}\n\
         {% set qemu_machine = 'virt' %}{% extends 'qemu.jinja2' %}",
    )
    .unwrap();
    let tree = TreePaths::resolve(cwd.path(), None, None, None, Some(Path::new("my-devices")));
    assert_eq!(tree.package, Path::new(bundled::ROOT));
    assert_eq!(tree.devices, devices);
    let vars =
        testplan_core::vars::merge_files(&[Path::new(bundled::ROOT).join("variables.ini")], &[])
            .unwrap();
    let job = Renderer::new(&tree)
        .render("qemu-arm64-slow", "boot.yaml", &vars, &[])
        .unwrap();
    assert!(job.yaml.contains("cortex-a57"), "{}", job.yaml);
}
