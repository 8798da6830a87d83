//! The typed model: corpus jobs read into it and write back as the same
//! data, and jobs written from code pass LAVA's schema.

mod common;

use std::fs;

use lava_job::builder::JobBuilder;
use lava_job::model::{
    Action, Boot, Deploy, Image, Job, Priority, Role, Test, TestDefinition, Timeout,
};
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

/// Every corpus job the YAML writer writes back as the same data; the model
/// reads every job LAVA accepts (in non-strict mode, so unknown keys and keys
/// of another shape than the model's included) and writes it back with
/// nothing lost or added, explicit nulls included. A job LAVA rejects may
/// lack a key the model needs, which is written back with its default, so of
/// those the model only has to read its own output the same way.
#[test]
fn corpus_jobs_round_trip_through_the_writer_and_the_model() {
    let Some(dir) = common::lava_jobs() else {
        common::missing("the lava-jobs corpus (set KIR_CORPUS)");
        return;
    };
    let tsv = fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let (mut jobs, mut modelled, mut accepted) = (0, 0, 0);
    let mut failures = Vec::new();
    for line in tsv.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(non_strict)) = (cols.next(), cols.next()) else {
            continue;
        };
        jobs += 1;
        let text = fs::read_to_string(dir.join("files").join(path)).expect("job reads");
        let original = from_str(&text).expect("corpus job is YAML");
        let written = from_str(&to_yaml_string(&original)).expect("written YAML reads");
        if !same_data(&written, &original) {
            failures.push(format!("{path}: the YAML writer changed the data"));
        }
        let job = match Job::from_value(original.clone()) {
            Ok(job) => job,
            Err(err) if non_strict == "valid" => {
                failures.push(format!("{path}: LAVA accepts it, the model: {err}"));
                continue;
            }
            Err(_) => continue,
        };
        modelled += 1;
        accepted += usize::from(non_strict == "valid");
        let back = job
            .to_yaml()
            .and_then(|yaml| Job::from_yaml(&yaml).map(|again| (yaml, again)));
        match back {
            Ok((yaml, again)) => {
                let lossless = same_data(&from_str(&yaml).expect("model YAML reads"), &original);
                if non_strict == "valid" && !lossless {
                    failures.push(format!("{path}: data differs after the model"));
                }
                if again != job {
                    failures.push(format!(
                        "{path}: the model reads its own output differently"
                    ));
                }
            }
            Err(err) => failures.push(format!("{path}: {err}")),
        }
    }
    assert_eq!(jobs, 207, "every corpus job is checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let lava_accepts = tsv
        .lines()
        .skip(1)
        .filter(|line| line.split('\t').nth(1) == Some("valid"))
        .count();
    assert_eq!(accepted, lava_accepts, "every job LAVA accepts is modelled");
    eprintln!("{modelled} of {jobs} corpus jobs read into the model");
}

/// A job like the corpus's, with explicit nulls in every spelling, at the top
/// level, in actions, in nested modelled structs, on modelled and unknown
/// keys, and inside free mappings.
const JOB_WITH_NULLS: &str = "\
device_type: qemu
job_name: nulls kept
device: null
worker: ~
tags:
timeouts:
  job:
    minutes: 10
  action: null
  queue: ~
priority: medium
visibility: public
metadata:
  source: ~
  build:
lab_note:
actions:
- deploy:
    to: tmpfs
    namespace: ~
    os: null
    images:
      rootfs:
        url: https://example.com/rootfs.img
        compression:
        sha256sum: ~
        mirror: null
- boot:
    method: qemu
    media: tmpfs
    prompts: null
    auto_login:
      login_prompt: 'login:'
      username: root
      password: ~
    timeout:
      minutes: 5
      seconds:
- test:
    timeout: {minutes: 5}
    definitions:
    - repository: https://git.example.com/defs.git
      from: git
      path: smoke.yaml
      name: smoke
      branch: null
      parameters: {SKIP: ~}
    - repository: ~
      from: inline
      path: inline/smoke.yaml
      name: inline-smoke
- deploy:
    to: usb
    image:
      url: https://example.com/disk.img
      compression: ~
";

#[test]
fn explicit_nulls_survive_the_model_in_every_spelling() {
    let original = from_str(JOB_WITH_NULLS).expect("YAML");
    let job = Job::from_value(original.clone()).expect("the model reads it");
    assert_eq!(job.device, None, "a null reads as an absent field");
    assert_eq!(job.tags, None);
    assert_eq!(job.extra.get("device"), Some(&Value::Null));
    assert_eq!(job.extra.get("lab_note"), Some(&Value::Null));

    let yaml = job.to_yaml().expect("writes");
    let back = from_str(&yaml).expect("written YAML reads");
    assert!(
        same_data(&back, &original),
        "nulls lost or changed:\n{yaml}"
    );
    for needle in [
        "device: null",
        "worker: null",
        "tags: null",
        "  action: null",
        "  queue: null",
        "  source: null",
        "  build: null",
        "lab_note: null",
        "    namespace: null",
        "    os: null",
        "        compression: null",
        "        sha256sum: null",
        "        mirror: null",
        "    prompts: null",
        "      password: null",
        "      seconds: null",
        "      branch: null",
        "        SKIP: null",
        "      repository: null",
        "      url: https://example.com/disk.img\n      compression: null\n",
    ] {
        assert!(yaml.contains(needle), "{needle:?} missing from:\n{yaml}");
    }
    assert_eq!(Job::from_yaml(&yaml).expect("reads back"), job);
}

#[test]
fn an_absent_value_field_is_not_written_as_null() {
    let text = "job_name: j\nprotocols:\n  lava-xnbd: {timeout: {minutes: 2}}\nactions:\n\
                - test:\n    definitions:\n    - {from: git, path: a.yaml, name: a}\n";
    let yaml = Job::from_yaml(text)
        .expect("reads")
        .to_yaml()
        .expect("writes");
    assert!(
        !yaml.contains("repository") && !yaml.contains("port"),
        "{yaml}"
    );
}

#[test]
fn a_field_set_after_reading_a_null_writes_its_value() {
    let mut job = Job::from_yaml(JOB_WITH_NULLS).expect("the model reads it");
    job.device = Some("qemu-01".into());
    let Action::Deploy(deploy) = &mut job.actions[0] else {
        panic!("first action is a deploy");
    };
    deploy.os = Some("debian".into());
    let yaml = job.to_yaml().expect("writes");
    let back = from_str(&yaml).expect("written YAML reads");
    assert_eq!(back.get("device").and_then(Value::as_str), Some("qemu-01"));
    let actions = back
        .get("actions")
        .and_then(Value::as_sequence)
        .expect("actions");
    let deploy = actions[0].get("deploy").expect("deploy");
    assert_eq!(deploy.get("os").and_then(Value::as_str), Some("debian"));
    assert_eq!(yaml.matches("device:").count(), 1, "{yaml}");
}

#[test]
fn plain_mappings_hold_exactly_the_keys_written() {
    let value = from_str("job_name: j\ncontext: {a: null, b: ~, c: 1}\n").expect("YAML");
    let plain: Mapping = lava_job::value::from_value(value.clone()).expect("mapping");
    assert_eq!(plain.len(), 2);
    let context = Job::from_value(value)
        .expect("model")
        .context
        .expect("context");
    let keys: Vec<_> = context.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, [Value::from("a"), Value::from("b"), Value::from("c")]);
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

/// A tmpfs deploy whose `dtb` is a URL string (LAVA's tmpfs schema does not
/// know the key, so non-strict mode lets it pass), and other modelled keys in
/// shapes LAVA lets through where they are.
const JOB_WITH_MISFITS: &str = "\
job_name: misfits kept
device_type: qemu
visibility: public
priority: true
timeouts: {job: {minutes: 10}}
notify: {criteria: {status: complete, type: 7}}
actions:
- deploy:
    to: tmpfs
    images:
      rootfs: {url: 'https://example.com/rootfs.img', image_arg: '-drive file={rootfs}', format: 5}
    dtb: https://example.com/am335x-bone.dtb
    os: debian
- boot:
    method: qemu
    media: tmpfs
    prompts: ['root@debian:']
    kernel: {url: https://example.com/vmlinuz}
- test:
    timeout: {minutes: 5}
    definitions:
    - {repository: https://git.example.com/defs.git, from: git, path: smoke.yaml, name: smoke,
       headers: none}
";

#[test]
fn a_modelled_key_of_another_shape_is_kept_as_written() {
    let original = from_str(JOB_WITH_MISFITS).expect("YAML");
    let report = validate_str(JOB_WITH_MISFITS, &Options::default());
    assert!(
        report.lava_accepts(),
        "LAVA accepts it: {:?}",
        report.issues
    );
    let job = Job::from_value(original.clone()).expect("the model reads it");

    assert_eq!(job.priority, Some(Priority::Other(Value::Bool(true))));
    let criteria = &job.notify.as_ref().expect("notify").criteria;
    assert_eq!(criteria.kind, None);
    assert_eq!(criteria.extra.get("type"), Some(&Value::Int(7)));
    let Action::Deploy(deploy) = &job.actions[0] else {
        panic!("first action is a deploy");
    };
    assert_eq!(deploy.dtb, None, "a URL string is not an image mapping");
    assert_eq!(
        deploy.extra.get("dtb").and_then(Value::as_str),
        Some("https://example.com/am335x-bone.dtb")
    );
    assert_eq!(deploy.os.as_deref(), Some("debian"), "its other keys read");
    let rootfs = &deploy.images.as_ref().expect("images")["rootfs"];
    assert_eq!(rootfs.format, None);
    assert_eq!(rootfs.extra.get("format"), Some(&Value::Int(5)));
    assert_eq!(rootfs.image_arg.as_deref(), Some("-drive file={rootfs}"));
    let Action::Boot(boot) = &job.actions[1] else {
        panic!("second action is a boot");
    };
    assert_eq!(boot.kernel, None);
    assert!(
        boot.extra
            .get("kernel")
            .and_then(Value::as_mapping)
            .is_some()
    );
    let Action::Test(test) = &job.actions[2] else {
        panic!("third action is a test");
    };
    let definition = &test.definitions.as_ref().expect("definitions")[0];
    assert_eq!(definition.headers, None);
    assert_eq!(
        definition.extra.get("headers").and_then(Value::as_str),
        Some("none")
    );

    let yaml = job.to_yaml().expect("writes");
    assert!(
        yaml.contains("    dtb: https://example.com/am335x-bone.dtb\n"),
        "{yaml}"
    );
    assert!(
        same_data(&from_str(&yaml).expect("written YAML reads"), &original),
        "data changed:\n{yaml}"
    );
    assert_eq!(Job::from_yaml(&yaml).expect("reads back"), job);
}

#[test]
fn a_top_level_key_of_another_shape_still_refuses_the_job() {
    let text = "job_name: [a, list]\nactions: []\n";
    assert!(!validate_str(text, &Options::default()).lava_accepts());
    assert!(Job::from_yaml(text).is_err());
}
