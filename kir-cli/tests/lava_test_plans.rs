//! `kir lava-test-plans` end to end: files written, exit statuses, errors that
//! name the variable and template, and SQUAD submission to a loopback mock.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn templates() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testplan-core/templates")
}

fn kir(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kir"))
        .arg("lava-test-plans")
        .args(args)
        .current_dir(cwd)
        .env_remove("QA_REPORTS_TOKEN")
        .output()
        .expect("run kir")
}

fn vars() -> String {
    templates().join("variables.ini").display().to_string()
}

#[test]
fn dry_run_writes_each_plan_job_under_output_dir() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--test-plan",
            "smoke",
        ],
        out.path(),
    );
    assert_eq!(
        run.status.code(),
        Some(1),
        "without --dry-run and tokens the tool refuses"
    );

    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--test-plan",
            "smoke",
            "--dry-run",
            "--test-lava-validity",
            "--output",
            &dir,
        ],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for test in ["boot.yaml", "ltp-syscalls.yaml"] {
        let job = std::fs::read_to_string(out.path().join("qemu-arm64").join(test)).unwrap();
        let report = lava_job::validate::validate_str(&job, &Default::default());
        assert!(report.lava_accepts(), "{test}: {:?}", report.issues);
        assert!(job.contains("device_type: qemu\n"));
    }
}

#[test]
fn overwrite_variables_reach_the_job() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--overwrite-variables",
            "BUILD_NUMBER=7",
            "ROOTFS_URL=https://example.org/r.img?a=b",
            "--device-type",
            "dragonboard-845c",
            "--test-case",
            "boot.yaml",
            "--dry-run",
            "--output",
            &dir,
        ],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let job = std::fs::read_to_string(out.path().join("dragonboard-845c/boot.yaml")).unwrap();
    assert!(job.contains("job_name: kir-example-7-boot"), "{job}");
    assert!(job.contains("url: https://example.org/r.img?a=b"), "{job}");
    assert!(job.contains("to: fastboot"), "{job}");
}

#[test]
fn missing_variable_names_variable_template_and_line_and_exits_1() {
    let out = tempfile::tempdir().unwrap();
    let ini = out.path().join("v.ini");
    std::fs::write(&ini, "PROJECT_NAME=p\nBUILD_NUMBER=1\nKERNEL_URL=k\n").unwrap();
    let dir = out.path().join("jobs").display().to_string();
    let run = kir(
        &[
            "--variables",
            &ini.display().to_string(),
            "--device-type",
            "qemu-arm64",
            "--test-case",
            "boot.yaml",
            "--dry-run",
            "--output",
            &dir,
        ],
        out.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("'ROOTFS_URL' is undefined (in qemu.jinja2, line"),
        "{err}"
    );
    assert!(!out.path().join("jobs/qemu-arm64/boot.yaml").exists());
}

#[test]
fn no_matching_test_and_unknown_test_exit_1() {
    let cwd = tempfile::tempdir().unwrap();
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--dry-run",
        ],
        cwd.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("No tests matched"));

    let dir = cwd.path().display().to_string();
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--test-case",
            "nope.yaml",
            "boot.yaml",
            "--dry-run",
            "--output",
            &dir,
        ],
        cwd.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("\"nope.yaml\" not found"));
    assert!(
        cwd.path().join("qemu-arm64/boot.yaml").exists(),
        "the other job is still written"
    );
}

#[test]
fn validate_variables_reports_missing_names() {
    let cwd = tempfile::tempdir().unwrap();
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--validate-variables",
        ],
        cwd.path(),
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let ini = cwd.path().join("v.ini");
    std::fs::write(&ini, "PROJECT_NAME=p\n").unwrap();
    let ini = ini.display().to_string();
    let run = kir(
        &[
            "--variables",
            &ini,
            "--device-type",
            "qemu-arm64",
            "--validate-variables",
        ],
        cwd.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("BUILD_NUMBER"));
}

#[test]
fn slash_in_qa_project_and_three_overlay_values_are_refused() {
    let cwd = tempfile::tempdir().unwrap();
    let base = [
        "--variables",
        &vars(),
        "--device-type",
        "qemu-arm64",
        "--test-case",
        "boot.yaml",
    ];
    let mut args = base.to_vec();
    args.extend(["--qa-server-project", "a/b", "--qa-token", "t"]);
    assert_eq!(kir(&args, cwd.path()).status.code(), Some(1));

    let mut args = base.to_vec();
    args.extend(["--dry-run", "--overlay", "u", "p", "extra"]);
    assert_eq!(
        kir(&args, cwd.path()).status.code(),
        Some(2),
        "argument error as argparse"
    );
}

/// One request as the mock server saw it.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Serves `count` requests on 127.0.0.1, answering each with a job id.
fn mock_squad(count: usize) -> (u16, std::thread::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (n, stream) in listener.incoming().take(count).enumerate() {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            let reply = format!("{}", 1000 + n);
            write!(
                stream,
                "HTTP/1.1 201 Created\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .unwrap();
            seen.push(Seen {
                request_line: request_line.trim_end().to_string(),
                headers,
                body: String::from_utf8(body).unwrap(),
            });
        }
        seen
    });
    (port, handle)
}

fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn jobs_are_submitted_to_squad_with_token_and_backend() {
    let (port, server) = mock_squad(2);
    let cwd = tempfile::tempdir().unwrap();
    let qa = format!("http://127.0.0.1:{port}");
    let run = kir(
        &[
            "--variables",
            &vars(),
            "--device-type",
            "qemu-arm64",
            "--test-plan",
            "smoke",
            "--qa-server",
            &qa,
            "--qa-token",
            "secret-token",
            "--qa-server-team",
            "lkft",
            "--qa-server-project",
            "linux-next",
            "--build-id",
            "v6.9-rc1",
            "--env-prefix",
            "lab-",
            "--lava-server",
            "https://lava.example.org/RPC2/",
        ],
        cwd.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 2);
    let mut names = Vec::new();
    for req in &seen {
        assert_eq!(
            req.request_line,
            "POST /api/submitjob/lkft/linux-next/v6.9-rc1/lab-qemu-arm64 HTTP/1.1"
        );
        assert!(
            req.headers
                .contains(&("auth-token".into(), "secret-token".into()))
        );
        assert_eq!(
            form_field(&req.body, "backend").as_deref(),
            Some("lava.example.org")
        );
        let definition = form_field(&req.body, "definition").unwrap();
        let job = lava_job::yaml::from_str(&definition).unwrap();
        names.push(
            job.get("job_name")
                .and_then(|n| n.as_str())
                .unwrap()
                .to_string(),
        );
    }
    names.sort();
    assert_eq!(
        names,
        ["kir-example-42-boot", "kir-example-42-ltp-syscalls"]
    );
}

#[test]
fn compiled_in_templates_work_from_any_directory_without_template_path() {
    let cwd = tempfile::tempdir().unwrap();
    // variables.ini is not in the working directory: it is read from the
    // compiled-in tree, as the Python tool reads it from its package.
    let run = kir(
        &[
            "--variables",
            "variables.ini",
            "--device-type",
            "dragonboard-845c",
            "--test-plan",
            "smoke",
            "--dry-run",
        ],
        cwd.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for test in ["boot.yaml", "ltp-syscalls.yaml"] {
        let job =
            std::fs::read_to_string(cwd.path().join("tmp/dragonboard-845c").join(test)).unwrap();
        assert!(job.contains("to: fastboot"), "{job}");
    }
    let run = kir(
        &[
            "--variables",
            "variables.ini",
            "--device-type",
            "qemu-arm64",
            "--validate-variables",
        ],
        cwd.path(),
    );
    assert_eq!(run.status.code(), Some(0));
}

#[test]
fn batch_renders_every_line_and_reports_a_failing_one() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("groups.txt"),
        "# one group per line\n\
         --device-type qemu-arm64 --test-plan smoke\n\
         \n\
         --device-type dragonboard-845c --test-case boot.yaml missing.yaml\n\
         --device-type dragonboard-845c --test-case ltp-syscalls.yaml --overwrite-variables BUILD_NUMBER=4242\n\
         --device-type qemu-arm64 --test-case boot.yaml --overwrite-variables BUILD_NUMBER=9191\n",
    )
    .unwrap();
    let run = kir(
        &[
            "--variables",
            "variables.ini",
            "--dry-run",
            "--output",
            "jobs",
            "--batch",
            "groups.txt",
        ],
        cwd.path(),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("dragonboard-845c/missing.yaml: template \"missing.yaml\" not found"),
        "{err}"
    );
    let jobs = cwd.path().join("jobs");
    for job in [
        "qemu-arm64/boot.yaml",
        "qemu-arm64/ltp-syscalls.yaml",
        "dragonboard-845c/boot.yaml",
        "dragonboard-845c/ltp-syscalls.yaml",
    ] {
        assert!(jobs.join(job).is_file(), "{job} not written; {err}");
    }
    let tagged = std::fs::read_to_string(jobs.join("dragonboard-845c/ltp-syscalls.yaml")).unwrap();
    assert!(tagged.contains("4242"), "{tagged}");
    // The same file from two lines: the later line's job, as two runs would leave it.
    let twice = std::fs::read_to_string(jobs.join("qemu-arm64/boot.yaml")).unwrap();
    assert!(twice.contains("9191"), "{twice}");

    std::fs::write(
        cwd.path().join("bad.txt"),
        "--device-type qemu-arm64 --bogus\n",
    )
    .unwrap();
    let run = kir(
        &[
            "--variables",
            "variables.ini",
            "--dry-run",
            "--batch",
            "bad.txt",
        ],
        cwd.path(),
    );
    assert_ne!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stderr).contains("bad.txt, line 1"));
}
