//! `kir lava …`: LAVA job definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use lava_job::validate::{Issue, Options, Report, Severity, validate_str};

#[derive(Subcommand)]
pub enum Cmd {
    /// LAVA job definitions.
    #[command(subcommand)]
    Lava(LavaCmd),
}

#[derive(Subcommand)]
pub enum LavaCmd {
    /// Check job files as a LAVA server would before accepting them.
    ///
    /// Exit status: 0 when every job is valid; 1 when any job is invalid (a
    /// file that is not YAML is an invalid job); 2 on a usage error; 3 when
    /// a file cannot be read or is not UTF-8 (the other files are still
    /// checked). The highest status applies.
    Validate {
        /// Job files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse keys LAVA's schema does not know (LAVA's strict mode).
        #[arg(long)]
        strict: bool,
        /// Only LAVA's schema verdict: skip the dispatcher-level checks.
        #[arg(long)]
        schema_only: bool,
        /// A context variable the server allows beyond LAVA's standard ones.
        #[arg(long = "extra-context-variable", value_name = "NAME")]
        extra_context_variables: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Lava(LavaCmd::Validate {
            files,
            strict,
            schema_only,
            extra_context_variables,
            format,
        }) => {
            let options = Options {
                strict,
                extra_context_variables,
            };
            validate(&files, &options, schema_only, format)
        }
    }
}

fn validate(
    files: &[PathBuf],
    options: &Options,
    schema_only: bool,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let mut any_invalid = false;
    let mut unreadable = false;
    let mut json = Vec::new();
    for file in files {
        let text = match std::fs::read(file)
            .with_context(|| format!("cannot read {}", file.display()))
            .and_then(|b| {
                String::from_utf8(b).with_context(|| format!("{} is not UTF-8", file.display()))
            }) {
            Ok(t) => t,
            Err(err) => {
                eprintln!("kir: error: {err:#}");
                unreadable = true;
                if let Format::Json = format {
                    json.push(serde_json::json!({
                        "file": file.display().to_string(),
                        "error": format!("{err:#}"),
                    }));
                }
                continue;
            }
        };
        let mut report = validate_str(&text, options);
        if schema_only {
            report.issues.retain(|i| i.kind.is_schema());
        }
        let valid = report.is_valid();
        any_invalid |= !valid;
        match format {
            Format::Text => print_text(file, &report),
            Format::Json => json.push(json_report(file, &report)),
        }
    }
    if let Format::Json = format {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(if unreadable {
        ExitCode::from(EXIT_UNREADABLE)
    } else if any_invalid {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// Exit status when a job is invalid.
const EXIT_INVALID: u8 = 1;

/// Exit status when a file cannot be read; 2 is clap's, for usage errors.
const EXIT_UNREADABLE: u8 = 3;

fn print_text(file: &std::path::Path, report: &Report) {
    let verdict = if report.is_valid() {
        "valid"
    } else {
        "invalid"
    };
    println!("{}: {verdict}", file.display());
    for issue in &report.issues {
        let severity = match issue.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        println!("  {severity}[{}]: {issue}", issue.kind.name());
    }
}

fn json_issue(issue: &Issue) -> serde_json::Value {
    serde_json::json!({
        "kind": issue.kind.name(),
        "severity": match issue.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "path": issue.path,
        "line": issue.line,
        "column": issue.column,
        "message": issue.message,
    })
}

fn json_report(file: &std::path::Path, report: &Report) -> serde_json::Value {
    serde_json::json!({
        "file": file.display().to_string(),
        "valid": report.is_valid(),
        "lava_accepts": report.lava_accepts(),
        "issues": report.issues.iter().map(json_issue).collect::<Vec<_>>(),
    })
}
