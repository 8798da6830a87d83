//! LAVA's schema rules on small jobs: what each mode accepts, what it
//! refuses, where it says the problem is, and the warnings for what LAVA
//! only lets through because its schema is lax.

use lava_job::validate::{IssueKind, Options, Report, Severity, validate_str};

fn job(top: &str, actions: &str) -> String {
    format!(
        "job_name: rules\nvisibility: public\ntimeouts:\n  job:\n    minutes: 30\n{top}actions:\n{actions}"
    )
}

const QEMU: &str = "device_type: qemu\n";
const BOOT: &str = "- boot:\n    method: qemu\n    media: tmpfs\n";

fn run(text: &str, strict: bool) -> Report {
    validate_str(
        text,
        &Options {
            strict,
            ..Options::default()
        },
    )
}

fn first_error(report: &Report) -> String {
    report
        .errors()
        .next()
        .map(|i| i.to_string())
        .unwrap_or_default()
}

#[test]
fn minimal_job_is_valid_in_both_modes() {
    let text = job(QEMU, BOOT);
    assert!(run(&text, false).lava_accepts());
    assert!(run(&text, true).lava_accepts());
}

#[test]
fn missing_required_keys_are_named() {
    let report = run("device_type: qemu\nactions: []\n", false);
    let paths: Vec<&str> = report.errors().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["job_name", "timeouts", "visibility"]);
}

#[test]
fn job_name_longer_than_200_characters_is_refused() {
    let text =
        job(QEMU, BOOT).replace("job_name: rules", &format!("job_name: {}", "x".repeat(201)));
    assert_eq!(
        first_error(&run(&text, false)),
        "job_name, line 1: length of value must be at most 200"
    );
}

#[test]
fn zero_minute_action_timeout_names_its_path_and_line() {
    let actions = format!("{BOOT}    timeouts:\n      auto-login-action:\n        minutes: 0\n");
    let report = run(&job(QEMU, &actions), false);
    assert_eq!(
        first_error(&report),
        "actions[0].boot.timeouts.auto-login-action.minutes, line 13: expected an integer of at least 1, found 0"
    );
}

#[test]
fn two_time_units_pass_only_outside_strict_mode_with_a_warning() {
    let text = job(QEMU, BOOT).replace("    minutes: 30\n", "    minutes: 30\n    seconds: 5\n");
    let lax = run(&text, false);
    assert!(lax.lava_accepts());
    let warning = lax.warnings().next().expect("a warning");
    assert_eq!(warning.kind, IssueKind::Lax);
    assert_eq!(warning.path, "timeouts.job");
    assert!(!run(&text, true).lava_accepts());
}

#[test]
fn boolean_and_float_timeouts_pass_with_a_warning() {
    for value in ["true", "2.5"] {
        let text = job(QEMU, BOOT).replace("minutes: 30", &format!("minutes: {value}"));
        for strict in [false, true] {
            let report = run(&text, strict);
            assert!(report.lava_accepts(), "{value}: {:?}", report.issues);
            assert_eq!(report.warnings().count(), 1, "{value}");
        }
    }
}

#[test]
fn action_timeout_above_the_job_timeout_is_refused() {
    let actions = format!("{BOOT}    timeout:\n      hours: 1\n");
    let report = run(&job(QEMU, &actions), false);
    let issue = report.errors().next().expect("an error");
    assert_eq!(issue.kind, IssueKind::TimeoutAboveJob);
    assert_eq!(issue.path, "actions[0].boot.timeout");
}

#[test]
fn context_names_are_checked_even_outside_strict_mode() {
    let text = job(
        "device_type: qemu\ncontext:\n  arch: arm64\n  bogus: 1\n",
        BOOT,
    );
    let report = run(&text, false);
    assert_eq!(
        first_error(&report),
        "context.bogus, line 9: \"bogus\" is not a known variable"
    );
    let allowed = validate_str(
        &text,
        &Options {
            extra_context_variables: vec!["bogus".into()],
            ..Options::default()
        },
    );
    assert!(allowed.lava_accepts());
}

#[test]
fn metadata_must_be_a_mapping_and_integer_keys_pass_only_non_strict() {
    let null = run(&job("device_type: qemu\nmetadata:\n", BOOT), false);
    assert_eq!(
        first_error(&null),
        "metadata, line 7: expected a dictionary, found None"
    );

    let int_key = job("device_type: qemu\nmetadata:\n  42: answer\n", BOOT);
    let lax = run(&int_key, false);
    assert!(lax.lava_accepts());
    assert_eq!(
        lax.warnings().map(|w| w.path.as_str()).collect::<Vec<_>>(),
        ["metadata.42"]
    );
    assert!(!run(&int_key, true).lava_accepts());
}

#[test]
fn priority_is_a_name_or_a_number_up_to_100() {
    for (value, ok) in [
        ("high", true),
        ("0", true),
        ("100", true),
        ("101", false),
        ("urgent", false),
    ] {
        let text = job(&format!("device_type: qemu\npriority: {value}\n"), BOOT);
        assert_eq!(run(&text, false).lava_accepts(), ok, "priority {value}");
    }
}

#[test]
fn visibility_is_public_personal_or_groups() {
    for (value, ok) in [
        ("personal", true),
        ("{group: [lkft, qa]}", true),
        ("{group: lkft}", false),
        ("private", false),
    ] {
        let text = job(QEMU, BOOT).replace("visibility: public", &format!("visibility: {value}"));
        assert_eq!(run(&text, false).lava_accepts(), ok, "visibility {value}");
    }
}

#[test]
fn yaml_11_booleans_are_not_strings() {
    // `on` is a boolean to LAVA's reader, so it is no valid device type.
    let text = job("device_type: on\n", BOOT);
    assert_eq!(
        first_error(&run(&text, false)),
        "device_type, line 6: expected a string, found bool"
    );
}

#[test]
fn multinode_rules() {
    let roles =
        "protocols:\n  lava-multinode:\n    roles:\n      server: {device_type: qemu, count: 1}\n";
    let with_role = format!("{BOOT}    role: [server]\n");
    assert!(run(&job(roles, &with_role), true).lava_accepts());

    let without_role = run(&job(roles, BOOT), false);
    assert_eq!(
        without_role.errors().next().map(|i| i.kind),
        Some(IssueKind::Multinode)
    );

    let with_device_type = run(&job(&format!("{QEMU}{roles}"), &with_role), false);
    assert_eq!(
        first_error(&with_device_type),
        "device_type, line 6: \"device_type\" is not allowed in a multinode job; set it per role"
    );

    let split_fragment = "protocols:\n  lava-multinode:\n    roles:\n      server: server-device\n";
    assert!(!run(&job(split_fragment, &with_role), false).lava_accepts());

    assert!(
        !run(&job("", BOOT), false).lava_accepts(),
        "no device_type and no multinode"
    );
}

#[test]
fn namespaces_on_some_actions_need_them_on_all() {
    let actions = format!("{BOOT}    namespace: target\n{BOOT}");
    let report = run(&job(QEMU, &actions), false);
    assert_eq!(
        report.errors().next().map(|i| (i.kind, i.path.as_str())),
        Some((IssueKind::Namespace, "actions[1].boot"))
    );

    let reserved = format!("{BOOT}    namespace: common\n");
    assert!(!run(&job(QEMU, &reserved), false).lava_accepts());
}

#[test]
fn unknown_boot_method_and_deploy_target_are_refused() {
    let text = job(QEMU, "- boot:\n    method: teleport\n");
    assert_eq!(
        run(&text, false).errors().next().map(|i| i.kind),
        Some(IssueKind::UnknownAction)
    );
    let text = job(QEMU, "- deploy:\n    to: cloud\n");
    let report = run(&text, false);
    let issue = report.errors().next().expect("an error");
    assert_eq!(issue.kind, IssueKind::UnknownAction);
    // The message shows the value that was not recognised.
    assert!(issue.message.contains("\"cloud\""), "{}", issue.message);
}

#[test]
fn per_action_schema_required_keys_and_unknown_keys() {
    let uboot = job(QEMU, "- boot:\n    method: u-boot\n    prompts: ['# ']\n");
    assert_eq!(
        first_error(&run(&uboot, false)),
        "actions[0].boot.commands, line 9: required key not provided"
    );

    let extra = job(QEMU, &format!("{BOOT}    flavour: vanilla\n"));
    assert!(run(&extra, false).lava_accepts());
    let strict = run(&extra, true);
    let issue = strict.errors().next().expect("strict error");
    assert_eq!(
        (issue.kind, issue.severity),
        (IssueKind::UnknownKey, Severity::Error)
    );
    assert_eq!(
        issue.to_string(),
        "actions[0].boot.flavour, line 11: extra keys not allowed"
    );
}

#[test]
fn tftp_nfsrootfs_and_persistent_nfs_exclude_each_other() {
    let deploy = "- deploy:\n    to: tftp\n    nfsrootfs: {url: 'http://h/r.tgz'}\n    persistent_nfs: {address: 'h:/srv'}\n";
    assert!(!run(&job(QEMU, deploy), false).lava_accepts());
}

#[test]
fn test_names_follow_the_schema_pattern() {
    let test =
        "- test:\n    definitions:\n    - {from: git, repository: r, path: p, name: 'has space'}\n";
    let report = run(&job(QEMU, &format!("{BOOT}{test}")), false);
    assert_eq!(
        report.errors().next().map(|i| i.path.as_str()),
        Some("actions[1].test.definitions[0].name")
    );
}

#[test]
fn malformed_yaml_is_one_yaml_issue_with_a_position() {
    let report = run("job_name: [unclosed\n", false);
    let issue = report.errors().next().expect("an error");
    assert_eq!(issue.kind, IssueKind::Yaml);
    assert!(issue.line >= 1);
    assert_eq!(report.issues.len(), 1);
}
