//! `kir lava-test-plans`: lava-test-plans' command line on testplan-core.
//!
//! Same options, meaning and exit statuses as the Python tool, plus
//! `--template-path` (which the Python tool parses and ignores) pointing at a
//! template tree, and `--output DIR` for where jobs are written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{ArgAction, Args, Subcommand};
use testplan_core::render::{
    JobRequest, Overlay, TreePaths, render_matrix_with, resolve_dir, test_plan_tests,
};
use testplan_core::squad::SquadOptions;
use testplan_core::vars::{merge_files, missing_variables, resolve_variables_path};

/// lava-test-plans' version this command follows.
const LAVA_TEST_PLANS_VERSION: &str = "3.2.0";

#[derive(Subcommand)]
pub enum Cmd {
    /// Render LAVA jobs from lava-test-plans templates (drop-in for lava-test-plans).
    ///
    /// Exit status: 0 on success; 1 when a job fails to render, no test matched,
    /// variables are missing (--validate-variables) or a required option is absent.
    #[command(name = "lava-test-plans", args_override_self = true)]
    LavaTestPlans(Box<LavaTestPlans>),
}

#[derive(Args)]
pub struct LavaTestPlans {
    /// Print lava-test-plans' version and exit.
    #[arg(long = "version")]
    version: bool,

    /// SQUAD environment name (overrides prefix/suffix).
    #[arg(long, default_value = "")]
    environment: String,
    /// Prefix of the environment name.
    #[arg(long, default_value = "")]
    env_prefix: String,
    /// Suffix of the environment name.
    #[arg(long, default_value = "")]
    env_suffix: String,
    /// SQUAD build id.
    #[arg(long = "build-id", alias = "build-number")]
    build_id: Option<String>,
    /// Team in the QA Reports (SQUAD) service.
    #[arg(long)]
    qa_server_team: Option<String>,
    /// Project in the QA Reports service.
    #[arg(long)]
    qa_server_project: Option<String>,
    /// QA Reports server.
    #[arg(long, default_value = "https://qa-reports.linaro.org")]
    qa_server: String,
    /// QA Reports token.
    #[arg(long, env = "QA_REPORTS_TOKEN", hide_env_values = true)]
    qa_token: Option<String>,
    /// LAVA server URL.
    #[arg(long)]
    lava_server: Option<String>,
    /// LAVA user name.
    #[arg(long)]
    lava_username: Option<String>,
    /// LAVA authentication token.
    #[arg(long)]
    lava_token: Option<String>,

    /// Variable files (ConfigObj ini or YAML), merged left to right.
    #[arg(long, required_unless_present = "version", num_args = 1..)]
    variables: Vec<PathBuf>,
    /// KEY=VALUE pairs applied after the variable files.
    #[arg(long, num_args = 1..)]
    overwrite_variables: Vec<String>,
    /// Check that the variables the device needs are all set.
    #[arg(long)]
    validate_variables: bool,
    /// Device type (template name in the device directory).
    #[arg(long, required_unless_present = "version")]
    device_type: Option<String>,
    /// Root of a lava-test-plans template tree (the folder holding
    /// master.jinja2, devices/, testcases/, testplans/); default: the bundled tree.
    #[arg(long)]
    template_path: Option<PathBuf>,
    /// Directory holding the test plans.
    #[arg(long)]
    testplan_path: Option<PathBuf>,
    /// Directory holding the test cases.
    #[arg(long)]
    testcase_path: Option<PathBuf>,
    /// Directory holding the device templates (e.g. projects/lkft/devices).
    #[arg(long)]
    testplan_device_path: Option<PathBuf>,
    /// Test plan directories; every *.yaml name in them is rendered.
    #[arg(long, num_args = 0..)]
    test_plan: Vec<String>,
    /// Test case templates; may be given several times.
    #[arg(long, num_args = 0.., action = ArgAction::Append)]
    test_case: Vec<String>,
    /// Write jobs to files (tmp/ beside the template tree, or --output) instead of submitting.
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// Validate every job with kir's LAVA schema checks.
    #[arg(long)]
    test_lava_validity: bool,
    /// Logging level as in Python's logging (10 debug, 20 info, 30 warning, 40 error).
    #[arg(long, default_value_t = 20)]
    verbose: i32,
    /// Overlay tarball URL and optional PATH to unpack it to (default /); repeatable.
    #[arg(long = "overlay", num_args = 1..=2, value_names = ["URL", "PATH"], action = ArgAction::Append)]
    overlays: Vec<String>,
    /// Write jobs to DIR/<device_type>/<test file name>.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::LavaTestPlans(args) => lava_test_plans(*args),
    }
}

/// Messages at or above the `--verbose` level go to stderr, as Python's logging does.
struct Log {
    level: i32,
}

impl Log {
    fn info(&self, msg: &str) {
        if self.level <= 20 {
            eprintln!("{msg}");
        }
    }
    fn error(&self, msg: &str) {
        if self.level <= 40 {
            eprintln!("{msg}");
        }
    }
}

fn lava_test_plans(args: LavaTestPlans) -> anyhow::Result<ExitCode> {
    if args.version {
        println!("lava-test-plans, {LAVA_TEST_PLANS_VERSION}");
        return Ok(ExitCode::SUCCESS);
    }
    let log = Log {
        level: args.verbose,
    };
    let device_type = args.device_type.clone().unwrap_or_default();
    let cwd = std::env::current_dir().context("current directory")?;
    let package = args
        .template_path
        .clone()
        .map(|p| cwd.join(p))
        .unwrap_or_else(|| PathBuf::from(testplan_core::BUNDLED_TEMPLATES));
    let dir = |given: &Option<PathBuf>, default: &str| match given {
        Some(p) => resolve_dir(&cwd, &package, p),
        None => package.join(default),
    };
    let mut paths = TreePaths::new(&package);
    paths.testplans = dir(&args.testplan_path, "testplans");
    paths.testcases = dir(&args.testcase_path, "testcases");
    paths.devices = dir(&args.testplan_device_path, "devices");

    let var_files: Vec<PathBuf> = args
        .variables
        .iter()
        .map(|v| resolve_variables_path(&cwd, &package, v))
        .collect();
    let variables = merge_files(&var_files, &args.overwrite_variables)?;

    if args.validate_variables {
        let missing = missing_variables(&paths.devices, &device_type, &variables)?;
        if !missing.is_empty() {
            log.error(&format!(
                "Mandatory variables missing: {}",
                missing.join(", ")
            ));
            return Ok(ExitCode::from(1));
        }
        if args.lava_token.is_none() && args.qa_token.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
    }

    let squad = SquadOptions {
        server: args.qa_server.clone(),
        team: args.qa_server_team.clone().unwrap_or_default(),
        project: args.qa_server_project.clone().unwrap_or_default(),
        build: args.build_id.clone().unwrap_or_default(),
        environment: args.environment.clone(),
        env_prefix: args.env_prefix.clone(),
        env_suffix: args.env_suffix.clone(),
        lava_server: args.lava_server.clone().unwrap_or_default(),
    };
    if squad.project.contains('/') {
        log.error("--qa-server-project can not contain a slash in the name");
        return Ok(ExitCode::from(1));
    }
    if args.qa_token.is_none() && args.lava_token.is_none() && !args.dry_run {
        log.error("QA_REPORTS_TOKEN and LAVA_TOKEN are missing");
        return Ok(ExitCode::from(1));
    }

    let tests = collect_tests(&args, &paths)?;
    if tests.is_empty() {
        log.error("No tests matched the given criteria.");
        return Ok(ExitCode::from(1));
    }

    let overlays = overlay_groups(std::env::args().skip(1));
    debug_assert_eq!(
        overlays
            .iter()
            .map(|o| 1 + usize::from(o.path_given))
            .sum::<usize>(),
        args.overlays.len()
    );
    let overlays: Vec<Overlay> = overlays.into_iter().map(|o| o.overlay).collect();
    let variables = Arc::new(variables);
    let requests: Vec<JobRequest> = tests
        .iter()
        .map(|test| JobRequest {
            device_type: device_type.clone(),
            test: test.clone(),
            variables: Arc::clone(&variables),
            overlays: overlays.clone(),
            paths: paths.clone(),
        })
        .collect();
    let validate = args
        .test_lava_validity
        .then(lava_job::validate::Options::default);
    let outcomes = render_matrix_with(&requests, validate.as_ref());

    let out_dir = match (&args.output, args.dry_run) {
        (Some(dir), _) => Some(cwd.join(dir)),
        (None, true) => Some(package.join("..").join("tmp")),
        (None, false) => None,
    };
    let mut failed = false;
    let mut jobs = Vec::new();
    for outcome in outcomes {
        let job = match outcome.result {
            Ok(job) => job,
            Err(err) => {
                log.error(&format!("{}/{}: {err}", outcome.device_type, outcome.test));
                failed = true;
                continue;
            }
        };
        if let Some(report) = &outcome.validation {
            for issue in report.errors() {
                log.error(&format!(
                    "LAVA validation of {}: {issue}",
                    job.output_path().display()
                ));
            }
            if !report.lava_accepts() {
                failed = true;
            }
        }
        if let Some(dir) = &out_dir {
            let path = dir.join(job.output_path());
            write_atomically(&path, job.yaml.as_bytes())?;
            log.info(&path.display().to_string());
        }
        jobs.push(job);
    }

    if args.dry_run {
        return Ok(ExitCode::from(u8::from(failed)));
    }
    if let Err(e) = squad.check() {
        log.error(&e.to_string());
        failed = true;
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    if let Some(token) = &args.qa_token {
        for job in &jobs {
            submit(&squad, token, &job.device_type, &job.yaml, &log);
        }
    }
    // Direct submission to LAVA with --lava-token is a no-op in the Python tool too.
    Ok(ExitCode::SUCCESS)
}

struct OverlayArg {
    overlay: Overlay,
    path_given: bool,
}

/// `--overlay URL [PATH]` occurrences from the command line. clap checks the
/// arity (1 or 2 values, as the Python tool does); the grouping of values into
/// occurrences is read back from the arguments, each occurrence taking the
/// values up to the next option.
fn overlay_groups(argv: impl Iterator<Item = String>) -> Vec<OverlayArg> {
    let argv: Vec<String> = argv.collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        let mut values = Vec::new();
        if let Some(v) = arg.strip_prefix("--overlay=") {
            values.push(v.to_string());
        } else if arg != "--overlay" {
            continue;
        }
        while values.len() < 2 && i < argv.len() && !argv[i].starts_with("--") {
            values.push(argv[i].clone());
            i += 1;
        }
        let mut values = values.into_iter();
        let url = values.next().unwrap_or_default();
        let path = values.next();
        out.push(OverlayArg {
            path_given: path.is_some(),
            overlay: Overlay {
                url,
                path: path.unwrap_or_else(|| "/".into()),
            },
        });
    }
    out
}

/// Test names from the plans, then the test cases; each name once, sorted.
fn collect_tests(args: &LavaTestPlans, paths: &TreePaths) -> anyhow::Result<Vec<String>> {
    let mut tests = BTreeSet::new();
    for plan in &args.test_plan {
        tests.extend(test_plan_tests(&paths.testplans.join(plan))?);
    }
    tests.extend(args.test_case.iter().cloned());
    Ok(tests.into_iter().collect())
}

/// Writes through a temporary file in the target directory, then renames it into place.
fn write_atomically(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.kir-tmp-{}", std::process::id()));
    std::fs::write(&tmp, data).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Posts one job to SQUAD. A failed submission is logged, not fatal (as in the Python tool).
fn submit(squad: &SquadOptions, token: &str, device_type: &str, yaml: &str, log: &Log) {
    let submission = squad.submission(device_type, yaml);
    log.info(&format!("Submit to: {}", submission.url));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(31)))
        .build()
        .into();
    let form: Vec<(&str, &str)> = submission
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match agent
        .post(&submission.url)
        .header("Auth-Token", token)
        .send_form(form)
    {
        Ok(mut response) => {
            let status = response.status();
            let body = response.body_mut().read_to_string().unwrap_or_default();
            log.info(&format!(
                "{}/testjob/{}",
                submission.server_base,
                body.trim()
            ));
            log.info(&status.to_string());
        }
        Err(err) => {
            log.error("QA Reports submission failed");
            log.error(&err.to_string());
            log.info("offending job definition:");
            log.info(yaml);
        }
    }
}
