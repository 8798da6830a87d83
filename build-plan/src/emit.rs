//! Outputs for an expanded plan: a plain TuxSuite plan file, a JSON list of
//! tuxmake/tuxrun command lines, and a GitLab CI child pipeline (one job per
//! build, tests needing their build) for runs that outgrow one machine.

use serde_json::json;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::text::shell_join;
use crate::tuxsuite::{Expansion, LocalOptions, TuxsuitePlan, parse_build_set};
use crate::yaml::{Node, Value};

/// A YAML scalar for any string: JSON's double-quoted form is valid YAML.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A node in YAML flow style: JSON, except floats, which are written so
/// that a YAML 1.1 reader (PyYAML) reads them back as floats.
fn flow(node: &Node) -> String {
    match &node.value {
        Value::Float(f) => yaml_float(*f),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", q(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => node.to_json().to_string(),
    }
}

fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    let exp = if exp.starts_with('-') {
        exp.to_string()
    } else {
        format!("+{exp}")
    };
    format!("{mantissa}e{exp}")
}

/// The plan as a TuxSuite plan file (matrix already expanded), which
/// TuxSuite reads back to the same builds and tests.
pub fn tuxsuite_plan(plan: &TuxsuitePlan) -> String {
    let mut out = String::from("version: 1\n");
    if let Some(name) = &plan.name {
        out.push_str(&format!("name: {}\n", q(name)));
    }
    if let Some(desc) = &plan.description {
        out.push_str(&format!("description: {}\n", q(desc)));
    }
    out.push_str("jobs:\n");
    for job in &plan.jobs {
        let mut first = true;
        let mut line = |key: &str, value: String| {
            out.push_str(if first { "- " } else { "  " });
            first = false;
            let sep = if value.starts_with('\n') { ":" } else { ": " };
            out.push_str(&format!("{key}{sep}{value}\n"));
        };
        if let Some(name) = &job.name {
            line("name", q(name));
        }
        if job.single_build && job.builds.len() == 1 {
            line("build", flow(&job.builds[0]));
        } else if !job.builds.is_empty() {
            let items: Vec<String> = job
                .builds
                .iter()
                .map(|b| format!("\n  - {}", flow(b)))
                .collect();
            line("builds", items.concat());
        }
        if let Some(s) = &job.sanity_test {
            line("sanity_test", flow(s));
        }
        if job.single_test && job.tests.len() == 1 {
            line("test", flow(&job.tests[0]));
        } else if !job.tests.is_empty() {
            let items: Vec<String> = job
                .tests
                .iter()
                .map(|t| format!("\n  - {}", flow(t)))
                .collect();
            line("tests", items.concat());
        }
    }
    out
}

/// The command lines as JSON: one object per build (with its tests) and per
/// standalone test.
pub fn command_lines_json(plan: &TuxsuitePlan, expansion: &Expansion) -> serde_json::Value {
    let job_name = |item: usize| {
        expansion
            .items
            .get(item)
            .and_then(|i| plan.jobs.get(i.job))
            .and_then(|j| j.name.clone())
    };
    let mut out: Vec<serde_json::Value> = expansion
        .builds
        .iter()
        .map(|b| {
            json!({
                "job": job_name(b.item),
                "kind": "build",
                "output_dir": b.output_dir,
                "tuxmake": b.tuxmake,
                "tests": b.tests,
            })
        })
        .collect();
    out.extend(
        expansion
            .standalone_tests
            .iter()
            .map(|t| json!({"job": job_name(t.item), "kind": "test", "tuxrun": t.tuxrun})),
    );
    serde_json::Value::Array(out)
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(60);
    out
}

/// A GitLab CI child pipeline: a `build` stage with one job per build
/// (artifacts = its output directory) and a `test` stage whose jobs `need`
/// their build; standalone tests need nothing.
pub fn gitlab_pipeline(plan: &TuxsuitePlan, expansion: &Expansion) -> String {
    let mut out = String::new();
    out.push_str("# Generated by `kir build-plan expand --format gitlab`");
    if let Some(name) = &plan.name {
        out.push_str(&format!(" from plan {name:?}"));
    }
    out.push_str(".\n");
    out.push_str("stages: [\"build\", \"test\"]\n");
    for b in &expansion.builds {
        let item = &expansion.items[b.item];
        let job = item
            .job_name
            .clone()
            .unwrap_or_else(|| format!("job{}", item.job));
        let build = item.build.as_ref().and_then(Node::as_map);
        let field = |k: &str| {
            build
                .and_then(|m| m.get(k))
                .map(Node::py_str)
                .unwrap_or_default()
        };
        let name = slug(&format!(
            "build-{}-{}-{}-{}",
            b.item + 1,
            job,
            field("target_arch"),
            field("toolchain")
        ));
        out.push_str(&format!(
            "\n{}:\n  stage: build\n  script:\n    - {}\n",
            q(&name),
            q(&shell_join(&b.tuxmake))
        ));
        out.push_str(&format!(
            "  artifacts:\n    when: always\n    paths:\n      - {}\n",
            q(&format!("{}/", b.output_dir))
        ));
        for (t, test) in b.tests.iter().enumerate() {
            let tname = slug(&format!("test-{}-{}-{}", b.item + 1, t + 1, job));
            out.push_str(&format!(
                "\n{}:\n  stage: test\n  needs: [{}]\n  script:\n    - {}\n",
                q(&tname),
                q(&name),
                q(&shell_join(test))
            ));
        }
    }
    for (i, t) in expansion.standalone_tests.iter().enumerate() {
        let item = &expansion.items[t.item];
        let job = item
            .job_name
            .clone()
            .unwrap_or_else(|| format!("job{}", item.job));
        let tname = slug(&format!("test-{}-{}-{}", t.item + 1, i + 1, job));
        out.push_str(&format!(
            "\n{}:\n  stage: test\n  needs: []\n  script:\n    - {}\n",
            q(&tname),
            q(&shell_join(&t.tuxrun))
        ));
    }
    out
}

/// What an expanded plan is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A plain TuxSuite plan (matrix expanded).
    Tuxsuite,
    /// A JSON list of tuxmake/tuxrun command lines.
    Json,
    /// A GitLab CI child pipeline.
    Gitlab,
    /// TuxSuite's own expansion (plan items and local command lines) as JSON.
    Expansion,
}

impl Format {
    /// Every format name.
    pub const NAMES: [&'static str; 4] = ["tuxsuite", "json", "gitlab", "expansion"];

    /// The format called `name`.
    pub fn from_name(name: &str) -> Result<Format> {
        match name {
            "tuxsuite" => Ok(Format::Tuxsuite),
            "json" => Ok(Format::Json),
            "gitlab" => Ok(Format::Gitlab),
            "expansion" => Ok(Format::Expansion),
            _ => Err(Error::Arguments {
                argument: format!("format {name}"),
                reason: format!("unknown format (known: {})", Format::NAMES.join(", ")),
            }),
        }
    }
}

/// An expanded plan, rendered, with the lint warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The output text.
    pub text: String,
    /// Problems that would surface only when a build runs.
    pub warnings: Vec<String>,
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a plan (matrix syntax allowed) or, with `set_name`, a build-set
/// file; expands it with `opts`; renders it as `format`. `host` is the build
/// host whose container images decide support (`x86_64` or `arm64`).
pub fn expand_plan_text(
    catalog: &Catalog,
    text: &str,
    source_name: &str,
    set_name: Option<&str>,
    opts: &LocalOptions,
    host: &str,
    format: Format,
) -> Result<Rendered> {
    let plan = match set_name {
        Some(set) => parse_build_set(text, source_name, set)?,
        None => crate::matrix::parse_plan_with_matrix(catalog, text, source_name)?,
    };
    let warnings = crate::matrix::lint(catalog, &plan, host);
    let expansion = plan.expand(opts)?;
    let text = match format {
        Format::Tuxsuite => tuxsuite_plan(&plan),
        Format::Json => pretty(&command_lines_json(&plan, &expansion)),
        Format::Gitlab => gitlab_pipeline(&plan, &expansion),
        Format::Expansion => pretty(&expansion.to_tuxsuite_json()),
    };
    Ok(Rendered { text, warnings })
}
