//! `kir lava-test-plans`: lava-test-plans' command line on testplan-core.
//!
//! Same options, meaning and exit statuses as the Python tool, plus
//! `--template-path` (which the Python tool parses and ignores) pointing at a
//! template tree (default: the project's templates, compiled in), `--output
//! DIR` for where jobs are written, and `--batch FILE` to render many command
//! lines' jobs in one process.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{ArgAction, Args, Parser, Subcommand};
use rayon::prelude::*;
use testplan_core::bundled::is_bundled;
use testplan_core::render::{Job, JobOutcome, JobRequest, MatrixSpec, Overlay, render_matrix_with};
use testplan_core::squad::SquadOptions;
use testplan_core::vars::missing_variables;

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
    #[arg(long, required_unless_present_any = ["version", "batch"], num_args = 1..)]
    variables: Vec<PathBuf>,
    /// KEY=VALUE pairs applied after the variable files.
    #[arg(long, num_args = 1..)]
    overwrite_variables: Vec<String>,
    /// Check that the variables the device needs are all set.
    #[arg(long)]
    validate_variables: bool,
    /// Device type (template name in the device directory).
    #[arg(long, required_unless_present_any = ["version", "batch"])]
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
    /// Run many command lines in one process: each non-empty line of FILE (not
    /// starting with #) holds options, split at whitespace (no quoting), that
    /// follow this command line's own. All jobs render in one parallel pass;
    /// the exit status is 1 if any line fails.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::LavaTestPlans(args) => {
            let argv: Vec<String> = std::env::args().skip(1).collect();
            lava_test_plans(*args, &argv)
        }
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

/// One command line's jobs, ready to render, and what to do with them after.
struct Group {
    log: Log,
    requests: Vec<JobRequest>,
    out_dir: Option<PathBuf>,
    dry_run: bool,
    squad: SquadOptions,
    qa_token: Option<String>,
}

/// A command line either ends before rendering (version, validation, refused
/// options) or yields a group of jobs.
enum Prepared {
    Exit(ExitCode),
    Run(Box<Group>),
}

/// The command-line options of one `--batch` line, read as `kir lava-test-plans`
/// reads its own.
#[derive(Parser)]
#[command(no_binary_name = true, args_override_self = true)]
struct BatchLine {
    #[command(flatten)]
    args: LavaTestPlans,
}

fn lava_test_plans(args: LavaTestPlans, argv: &[String]) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("current directory")?;
    let Some(batch) = &args.batch else {
        let groups = match prepare(&args, &argv_overlays(argv), &cwd)? {
            Prepared::Exit(code) => return Ok(code),
            Prepared::Run(group) => vec![*group],
        };
        return Ok(render_groups(groups, args.test_lava_validity));
    };

    // Batch: each line's options follow the command line's own (without --batch),
    // so a later value replaces an earlier one and lists are the line's.
    let text = std::fs::read_to_string(cwd.join(batch))
        .with_context(|| format!("reading {}", batch.display()))?;
    let common = argv_without_batch(argv);
    let mut groups = Vec::new();
    let mut status = ExitCode::SUCCESS;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut tokens = common.clone();
        tokens.extend(line.split_whitespace().map(str::to_string));
        let parsed = BatchLine::try_parse_from(&tokens)
            .with_context(|| format!("{}, line {}", batch.display(), n + 1))?;
        match prepare(&parsed.args, &argv_overlays(&tokens), &cwd)? {
            Prepared::Exit(code) if code == ExitCode::SUCCESS => {}
            Prepared::Exit(code) => status = code,
            Prepared::Run(group) => groups.push(*group),
        }
    }
    let rendered = render_groups(groups, args.test_lava_validity);
    Ok(if status == ExitCode::SUCCESS {
        rendered
    } else {
        status
    })
}

/// The `lava-test-plans` options of the command line without `--batch FILE`.
fn argv_without_batch(argv: &[String]) -> Vec<String> {
    let start = argv
        .iter()
        .position(|a| a == "lava-test-plans")
        .map_or(0, |i| i + 1);
    let mut out = Vec::new();
    let mut rest = argv[start.min(argv.len())..].iter();
    while let Some(arg) = rest.next() {
        if arg == "--batch" {
            rest.next();
        } else if !arg.starts_with("--batch=") {
            out.push(arg.clone());
        }
    }
    out
}

fn argv_overlays(argv: &[String]) -> Vec<Overlay> {
    overlay_groups(argv.iter().cloned())
}

/// Everything the Python tool does before rendering: paths, variables,
/// `--validate-variables`, option checks, the test list.
fn prepare(args: &LavaTestPlans, overlays: &[Overlay], cwd: &Path) -> anyhow::Result<Prepared> {
    if args.version {
        println!("lava-test-plans, {LAVA_TEST_PLANS_VERSION}");
        return Ok(Prepared::Exit(ExitCode::SUCCESS));
    }
    let log = Log {
        level: args.verbose,
    };
    let Some(device_type) = args.device_type.clone() else {
        log.error("the following arguments are required: --device-type");
        return Ok(Prepared::Exit(ExitCode::from(2)));
    };
    if args.variables.is_empty() {
        log.error("the following arguments are required: --variables");
        return Ok(Prepared::Exit(ExitCode::from(2)));
    }
    let spec = MatrixSpec {
        template_path: args.template_path.clone(),
        testplan_path: args.testplan_path.clone(),
        testcase_path: args.testcase_path.clone(),
        testplan_device_path: args.testplan_device_path.clone(),
        device_types: vec![device_type.clone()],
        tests: args.test_case.clone(),
        test_plans: args.test_plan.clone(),
        variable_sets: vec![args.variables.clone()],
        overwrite_variables: args.overwrite_variables.clone(),
        overlays: overlays.to_vec(),
    };
    let paths = spec.tree(cwd);
    let variables = spec.variables(cwd, &paths)?.into_iter().next();
    let variables = variables.unwrap_or_default();

    if args.validate_variables {
        let missing = missing_variables(&paths.devices, &device_type, &variables)?;
        if !missing.is_empty() {
            log.error(&format!(
                "Mandatory variables missing: {}",
                missing.join(", ")
            ));
            return Ok(Prepared::Exit(ExitCode::from(1)));
        }
        if args.lava_token.is_none() && args.qa_token.is_none() {
            return Ok(Prepared::Exit(ExitCode::SUCCESS));
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
        return Ok(Prepared::Exit(ExitCode::from(1)));
    }
    if args.qa_token.is_none() && args.lava_token.is_none() && !args.dry_run {
        log.error("QA_REPORTS_TOKEN and LAVA_TOKEN are missing");
        return Ok(Prepared::Exit(ExitCode::from(1)));
    }

    let tests = spec.test_names(&paths)?;
    if tests.is_empty() {
        log.error("No tests matched the given criteria.");
        return Ok(Prepared::Exit(ExitCode::from(1)));
    }

    let requests: Vec<JobRequest> = tests
        .iter()
        .map(|test| JobRequest {
            device_type: device_type.clone(),
            test: test.clone(),
            variables: Arc::clone(&variables),
            overlays: overlays.to_vec(),
            paths: paths.clone(),
        })
        .collect();
    // The Python tool writes to tmp/ beside its package directory; for the
    // compiled-in templates that is tmp/ in the working directory.
    let out_dir = match (&args.output, args.dry_run) {
        (Some(dir), _) => Some(cwd.join(dir)),
        (None, true) if is_bundled(&paths.package) => Some(cwd.join("tmp")),
        (None, true) => Some(paths.package.join("..").join("tmp")),
        (None, false) => None,
    };
    Ok(Prepared::Run(Box::new(Group {
        log,
        requests,
        out_dir,
        dry_run: args.dry_run,
        squad,
        qa_token: args.qa_token.clone(),
    })))
}

/// Renders the jobs of all groups in one parallel call, then checks, writes and
/// submits each group's jobs. The status is 1 if any group failed.
fn render_groups(mut groups: Vec<Group>, validate: bool) -> ExitCode {
    let sizes: Vec<usize> = groups.iter().map(|g| g.requests.len()).collect();
    let requests: Vec<JobRequest> = groups
        .iter_mut()
        .flat_map(|g| std::mem::take(&mut g.requests))
        .collect();
    let validate = validate.then(lava_job::validate::Options::default);
    let mut outcomes = render_matrix_with(&requests, validate.as_ref()).into_iter();
    let mut failed = false;
    let checked: Vec<(&Group, bool, Vec<Job>)> = groups
        .iter()
        .zip(sizes)
        .map(|(group, size)| {
            let (ok, jobs) = check(group, outcomes.by_ref().take(size));
            failed |= !ok;
            (group, ok, jobs)
        })
        .collect();

    let files: Vec<(PathBuf, &str)> = checked
        .iter()
        .filter_map(|(g, _, jobs)| g.out_dir.as_ref().map(|dir| (dir, jobs)))
        .flat_map(|(dir, jobs)| {
            jobs.iter()
                .map(move |job| (dir.join(job.output_path()), job.yaml.as_str()))
        })
        .collect();
    if let Err(err) = write_all(&files) {
        eprintln!("{err:#}");
        return ExitCode::from(1);
    }

    for (group, ok, jobs) in &checked {
        if let Some(dir) = &group.out_dir {
            for job in jobs {
                group
                    .log
                    .info(&dir.join(job.output_path()).display().to_string());
            }
        }
        if group.dry_run {
            continue;
        }
        // A group with a failed job submits nothing.
        if !*ok || !submit_group(group, jobs) {
            failed = true;
        }
    }
    ExitCode::from(u8::from(failed))
}

/// Reports a group's failed jobs and validation issues; returns whether all
/// went well, and the rendered jobs.
fn check(group: &Group, outcomes: impl Iterator<Item = JobOutcome>) -> (bool, Vec<Job>) {
    let log = &group.log;
    let mut ok = true;
    let mut jobs = Vec::new();
    for outcome in outcomes {
        let job = match outcome.result {
            Ok(job) => job,
            Err(err) => {
                log.error(&format!("{}/{}: {err}", outcome.device_type, outcome.test));
                ok = false;
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
                ok = false;
            }
        }
        jobs.push(job);
    }
    (ok, jobs)
}

/// Writes every file, each through a temporary file renamed into place. A path
/// given twice (the same device and test in two batch lines) is written once,
/// with the later text, as successive runs would leave it. Directories are
/// made first, then the files are written in parallel.
fn write_all(files: &[(PathBuf, &str)]) -> anyhow::Result<()> {
    let mut last: HashMap<&Path, usize> = HashMap::with_capacity(files.len());
    for (i, (path, _)) in files.iter().enumerate() {
        last.insert(path, i);
    }
    let dirs: BTreeSet<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    for dir in dirs {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    files
        .par_iter()
        .enumerate()
        .filter(|(i, (path, _))| last.get(path.as_path()) == Some(i))
        .try_for_each(|(_, (path, text))| crate::output::write_bytes(path, text.as_bytes()))
}

/// Submits a group's jobs to SQUAD. Returns false when the submission options
/// are refused.
fn submit_group(group: &Group, jobs: &[Job]) -> bool {
    if let Err(e) = group.squad.check() {
        group.log.error(&e.to_string());
        return false;
    }
    if let Some(token) = &group.qa_token {
        for job in jobs {
            submit(&group.squad, token, &job.device_type, &job.yaml, &group.log);
        }
    }
    // Direct submission to LAVA with --lava-token is a no-op in the Python tool too.
    true
}

/// `--overlay URL [PATH]` occurrences from the command line. clap checks the
/// arity (1 or 2 values, as the Python tool does); the grouping of values into
/// occurrences is read back from the arguments, each occurrence taking the
/// values up to the next option.
fn overlay_groups(argv: impl Iterator<Item = String>) -> Vec<Overlay> {
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
        let path = values.next().unwrap_or_else(|| "/".into());
        out.push(Overlay { url, path });
    }
    out
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
