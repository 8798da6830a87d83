//! Checks beyond LAVA's schema: each job here passes the schema in strict
//! mode, and a LAVA dispatcher or server would still refuse it.

mod common;

use lava_job::validate::{IssueKind, Options, Report, validate_str};

const HEAD: &str = "job_name: probe\ndevice_type: qemu\nvisibility: public\n\
                    timeouts: {job: {minutes: 30}}\n";

fn strict() -> Options {
    Options {
        strict: true,
        ..Options::default()
    }
}

/// Validates `HEAD + actions`, asserting LAVA's schema accepts it.
fn check(actions: &str) -> Report {
    let text = format!("{HEAD}{actions}");
    let report = validate_str(&text, &strict());
    assert!(
        report.lava_accepts(),
        "schema should accept:\n{text}\n{:?}",
        report.issues
    );
    report
}

fn kinds(report: &Report) -> Vec<IssueKind> {
    report.errors().map(|i| i.kind).collect()
}

const DEPLOY: &str = "- deploy: {to: tmpfs, images: {rootfs: {url: 'https://h/r.img'}}}\n";
const BOOT: &str = "- boot: {method: qemu, media: tmpfs, prompts: ['# ']}\n";

fn test_action(definitions: &str) -> String {
    format!("- test:\n    definitions:\n{definitions}")
}

fn git_def(name: &str, extra: &str) -> String {
    format!(
        "    - {{from: git, repository: 'https://h/t.git', path: t.yaml, name: {name}{extra}}}\n"
    )
}

#[test]
fn well_formed_job_passes_every_check() {
    let report = check(&format!(
        "actions:\n{DEPLOY}{BOOT}{}",
        test_action(&git_def("smoke", ""))
    ));
    assert!(report.is_valid(), "{:?}", report.issues);
}

#[test]
fn test_definition_name_with_a_dot_is_refused_by_the_dispatcher() {
    let report = check(&format!(
        "actions:\n{DEPLOY}{BOOT}{}",
        test_action(&git_def("ltp.syscalls", ""))
    ));
    assert_eq!(kinds(&report), [IssueKind::TestDefinitionName]);
    let issue = report.errors().next().expect("one error");
    assert_eq!(issue.path, "actions[2].test.definitions[0].name");
    assert_eq!(issue.line, 10);
}

#[test]
fn repeated_test_definition_name_in_one_namespace_is_refused() {
    let defs = format!("{}{}", git_def("smoke", ""), git_def("other", ""));
    let again = git_def("smoke", "");
    let report = check(&format!(
        "actions:\n{DEPLOY}{BOOT}{}{}",
        test_action(&defs),
        test_action(&again)
    ));
    assert_eq!(kinds(&report), [IssueKind::DuplicateTestName]);
    assert_eq!(
        report.errors().next().map(|i| i.path.as_str()),
        Some("actions[3].test.definitions[0].name")
    );
}

#[test]
fn same_test_name_in_two_namespaces_is_fine() {
    let ns = |a: &str, n: &str| a.replacen('{', &format!("{{namespace: {n}, "), 1);
    let report = check(&format!(
        "actions:\n{}{}{}{}{}{}",
        ns(DEPLOY, "a"),
        ns(BOOT, "a"),
        "- test: {namespace: a, definitions: [{from: git, repository: 'https://h/t.git', path: t.yaml, name: smoke}]}\n",
        ns(DEPLOY, "b"),
        ns(BOOT, "b"),
        "- test: {namespace: b, definitions: [{from: git, repository: 'https://h/t.git', path: t.yaml, name: smoke}]}\n",
    ));
    assert!(report.is_valid(), "{:?}", report.issues);
}

#[test]
fn test_before_any_boot_cannot_run() {
    let report = check(&format!(
        "actions:\n{DEPLOY}{}{BOOT}",
        test_action(&git_def("smoke", ""))
    ));
    assert_eq!(kinds(&report), [IssueKind::ActionOrder]);
    assert_eq!(
        report.errors().next().map(|i| i.path.as_str()),
        Some("actions[1].test")
    );
}

#[test]
fn qemu_boot_without_a_deploy_cannot_run() {
    let report = check(&format!(
        "actions:\n{BOOT}{}",
        test_action(&git_def("smoke", ""))
    ));
    assert_eq!(kinds(&report), [IssueKind::ActionOrder]);
    assert_eq!(
        report.errors().next().map(|i| i.path.as_str()),
        Some("actions[0].boot")
    );
}

#[test]
fn download_url_without_a_scheme_is_refused() {
    let deploy = "- deploy: {to: tmpfs, images: {rootfs: {url: images.example.com/r.img}}}\n";
    let report = check(&format!("actions:\n{deploy}{BOOT}"));
    assert_eq!(kinds(&report), [IssueKind::UrlWithoutScheme]);
    let issue = report.errors().next().expect("one error");
    assert_eq!(
        issue.to_string().split(':').next(),
        Some("actions[0].deploy.images.rootfs.url, line 6")
    );
}

#[test]
fn download_url_with_an_unknown_scheme_is_refused() {
    let deploy = "- deploy: {to: tmpfs, images: {rootfs: {url: 'ftp://h/r.img'}}}\n";
    let report = check(&format!("actions:\n{deploy}{BOOT}"));
    assert_eq!(kinds(&report), [IssueKind::UnsupportedUrlScheme]);
}

#[test]
fn shallow_clone_with_a_revision_is_refused_by_the_server() {
    let text = format!(
        "{HEAD}actions:\n{DEPLOY}{BOOT}{}",
        test_action(&git_def("smoke", ", revision: abc123, shallow: true"))
    );
    // `shallow` is not in LAVA's schema: only the non-strict schema accepts it.
    let report = validate_str(&text, &Options::default());
    assert!(report.lava_accepts(), "{:?}", report.issues);
    assert_eq!(kinds(&report), [IssueKind::ShallowCloneWithRevision]);
    let without_revision = text.replace("revision: abc123, ", "");
    assert!(validate_str(&without_revision, &Options::default()).is_valid());
}

#[test]
fn fastboot_boot_without_a_fastboot_deploy_is_refused() {
    let report = check(&format!(
        "actions:\n{DEPLOY}- boot: {{method: fastboot, prompts: ['# ']}}\n"
    ));
    assert_eq!(kinds(&report), [IssueKind::FastbootWithoutFastbootDeploy]);

    let fastboot = "- deploy: {to: fastboot, images: {boot: {url: 'https://h/boot.img'}}}\n";
    let report = check(&format!(
        "actions:\n{fastboot}- boot: {{method: fastboot, prompts: ['# ']}}\n"
    ));
    assert!(report.is_valid(), "{:?}", report.issues);
}

#[test]
fn fastboot_reboot_option_on_another_deploy_is_refused() {
    let text = format!(
        "{HEAD}actions:\n- deploy: {{to: tmpfs, images: {{rootfs: {{url: 'https://h/r', reboot: hard-reset}}}}}}\n{BOOT}"
    );
    let report = validate_str(&text, &Options::default());
    assert!(report.lava_accepts(), "{:?}", report.issues);
    assert_eq!(kinds(&report), [IssueKind::FastbootWithoutFastbootDeploy]);
}

/// The corpus jobs the dispatcher-level checks refuse, and why: template
/// placeholders instead of URLs, a repeated test name, a role that never
/// boots. Every other corpus job LAVA accepts passes them.
#[test]
fn dispatcher_checks_on_the_corpus_flag_only_jobs_that_cannot_run() {
    let Some(dir) = common::lava_jobs() else {
        common::missing("the lava-jobs corpus (set KIR_CORPUS)");
        return;
    };
    let tsv = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut flagged = Vec::new();
    for line in tsv.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some("valid")) = (cols.next(), cols.next()) else {
            continue;
        };
        let text = std::fs::read_to_string(dir.join("files").join(path)).expect("job reads");
        let report = validate_str(&text, &Options::default());
        let mut job_kinds: Vec<&str> = report.errors().map(|i| i.kind.name()).collect();
        job_kinds.dedup();
        if !job_kinds.is_empty() {
            flagged.push(format!("{path}: {}", job_kinds.join(",")));
        }
    }
    assert_eq!(
        flagged,
        [
            "doc/v2/examples/test-jobs/qemu-cubieboard.yaml: url_without_scheme",
            "doc/v2/examples/test-jobs/qemu-ppc-bamboo.yaml: url_without_scheme",
            "doc/v2/examples/test-jobs/qemu-vexpress-a9.yaml: url_without_scheme",
            "tests/lava_dispatcher/sample_jobs/kvm-multi.yaml: duplicate_test_name",
            "tests/lava_scheduler_app/sample_jobs/qemu-ssh-guest.yaml: action_order",
        ]
    );
}
