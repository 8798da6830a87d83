//! The typed model: corpus jobs read into it and write back as the same
//! data, and jobs written from code pass LAVA's schema.

mod common;

use std::fs;

use lava_job::builder::JobBuilder;
use lava_job::model::{Action, Boot, Deploy, Image, Job, Role, Test, TestDefinition, Timeout};
use lava_job::validate::{Options, validate_str};
use lava_job::yaml::{from_str, to_yaml_string};
use lava_job::{Mapping, Value};

/// Python-style equality of YAML data: mappings compare without order.
fn same_data(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get_value(k).is_some_and(|w| same_data(v, w)))
        }
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_data(v, w))
        }
        _ => a == b,
    }
}

/// Drops mapping entries whose value is null: an absent optional field and
/// an explicit null are the same to the typed model.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(_, v)| **v != Value::Null)
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect::<Mapping>(),
        ),
        Value::Sequence(s) => Value::Sequence(s.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Jobs LAVA accepts in strict mode have every modelled key in the type the
/// model gives it, so all of them must read into the model and write back.
#[test]
fn corpus_jobs_lava_accepts_strictly_round_trip_through_the_model() {
    let Some(dir) = common::lava_jobs() else {
        common::missing("the lava-jobs corpus (set KIR_CORPUS)");
        return;
    };
    let tsv = fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in tsv.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(_), Some(strict)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if strict != "valid" {
            continue;
        }
        let text = fs::read_to_string(dir.join("files").join(path)).expect("job reads");
        let original = from_str(&text).expect("corpus job is YAML");
        let result = Job::from_value(original.clone()).and_then(|job| job.to_yaml());
        match result {
            Ok(yaml) => {
                let back = from_str(&yaml).expect("written job is YAML");
                if !same_data(&without_nulls(&back), &without_nulls(&original)) {
                    failures.push(format!("{path}: data differs after the round trip"));
                }
            }
            Err(err) => failures.push(format!("{path}: {err}")),
        }
        checked += 1;
    }
    assert_eq!(
        checked, 182,
        "every job LAVA accepts in strict mode is checked"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_keys_survive_the_model_and_strict_mode_reports_them() {
    let text = "job_name: x\ndevice_type: qemu\nvisibility: public\n\
                timeouts: {job: {minutes: 5}}\nlab_note: keep me\n\
                actions:\n- deploy: {to: tmpfs, images: {rootfs: {url: 'http://h/r', mirror: m2}}}\n";
    let job = Job::from_yaml(text).expect("reads");
    assert_eq!(
        job.extra.get("lab_note").and_then(Value::as_str),
        Some("keep me")
    );
    let Action::Deploy(deploy) = &job.actions[0] else {
        panic!("first action is a deploy");
    };
    let rootfs = &deploy.images.as_ref().expect("images")["rootfs"];
    assert_eq!(
        rootfs.extra.get("mirror").and_then(Value::as_str),
        Some("m2")
    );

    let written = job.to_yaml().expect("writes");
    assert!(written.contains("lab_note: keep me") && written.contains("mirror: m2"));

    let strict = validate_str(
        &written,
        &Options {
            strict: true,
            ..Options::default()
        },
    );
    let unknown: Vec<&str> = strict
        .errors()
        .filter(|i| i.kind == lava_job::validate::IssueKind::UnknownKey)
        .map(|i| i.path.as_str())
        .collect();
    assert_eq!(
        unknown,
        ["lab_note", "actions[0].deploy.images.rootfs.mirror"]
    );
    assert!(validate_str(&written, &Options::default()).lava_accepts());
}

#[test]
fn built_job_passes_strict_validation_and_writes_lava_yaml() {
    let job = JobBuilder::new("kernel smoke", "beaglebone-black", Timeout::minutes(45))
        .priority_name("medium")
        .action_timeout(Timeout::minutes(10))
        .metadata("build", "1234")
        .action(
            Deploy::to("tftp")
                .kernel(Image::url("https://example.com/zImage"))
                .dtb(Image::url("https://example.com/am335x-boneblack.dtb"))
                .nfsrootfs(Image::url("https://example.com/rootfs.tar.xz").compression("xz"))
                .os("debian")
                .timeout(Timeout::minutes(10)),
        )
        .action(
            Boot::method("u-boot")
                .commands("nfs")
                .prompts(["root@bbb:~#"])
                .auto_login("login:", "root")
                .timeout(Timeout::minutes(5)),
        )
        .action(Test::definitions([TestDefinition::git(
            "https://github.com/Linaro/test-definitions.git",
            "automated/linux/smoke/smoke.yaml",
            "smoke",
        )
        .parameter("SKIP_INSTALL", "yes")]))
        .build();
    let yaml = job.to_yaml().expect("writes");
    // `yes` stays a string for LAVA's YAML 1.1 reader.
    assert!(yaml.contains("SKIP_INSTALL: 'yes'"), "{yaml}");
    let report = job
        .validate(&Options {
            strict: true,
            ..Options::default()
        })
        .expect("validates");
    assert!(report.is_valid(), "{:?}", report.issues);
    assert_eq!(Job::from_yaml(&yaml).expect("reads back"), job);
}

#[test]
fn built_multinode_job_needs_roles_on_every_action() {
    let job = JobBuilder::multinode("pair", Timeout::minutes(30))
        .role("server", Role::devices("qemu", 1))
        .role("client", Role::devices("qemu", 1))
        .action(
            Deploy::to("tmpfs")
                .image("rootfs", Image::url("https://example.com/r.img"))
                .roles(["server", "client"]),
        )
        .action(Boot::method("qemu").media("tmpfs"))
        .build();
    let report = job.validate(&Options::default()).expect("validates");
    let messages: Vec<String> = report
        .errors()
        .filter(|i| i.kind == lava_job::validate::IssueKind::Multinode)
        .map(|i| i.to_string())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("actions[1].boot, line "),
        "{messages:?}"
    );
    assert!(messages[0].contains("needs a role"));
}

#[test]
fn writer_output_of_a_built_job_is_stable() {
    let job = JobBuilder::new("j", "qemu", Timeout::seconds(90))
        .context("arch", "amd64")
        .action(Boot::method("qemu").media("tmpfs"))
        .build();
    let expected = "job_name: j\ndevice_type: qemu\ntimeouts:\n  job:\n    seconds: 90\n\
                    visibility: public\ncontext:\n  arch: amd64\nactions:\n\
                    - boot:\n    method: qemu\n    media: tmpfs\n";
    assert_eq!(job.to_yaml().expect("writes"), expected);
    assert_eq!(to_yaml_string(&job.to_value().expect("value")), expected);
}
