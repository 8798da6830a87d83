//! build-plan: `kir.tuxmake_plan` (what tuxmake would run) and
//! `kir.tuxsuite_expand` (a TuxSuite plan expanded and rendered).

use std::collections::{BTreeMap, BTreeSet};

use build_plan::emit::{Format, expand_plan_text};
use build_plan::tuxsuite::LocalOptions;
use build_plan::{Catalog, Host, StaticHost, SystemHost, plan_args};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{KirError, with_attrs};

create_exception!(
    kir,
    BuildPlanError,
    KirError,
    "A build plan was refused or a plan file is invalid (attributes: kind, what, reason)."
);

fn buildplan_error(err: build_plan::Error) -> PyErr {
    use build_plan::Error as E;
    let message = err.to_string();
    let (kind, what, reason) = match err {
        E::Unsupported { what, reason } => ("unsupported", what, reason),
        E::Rejected { what, reason } => ("rejected", what, reason),
        E::Arguments { argument, reason } => ("arguments", argument, reason),
        E::Yaml {
            source_name,
            line,
            column,
            reason,
        } => ("yaml", format!("{source_name}:{line}:{column}"), reason),
        E::Plan { location, reason } => ("plan", location, reason),
        E::Catalog { file, reason } => ("catalog", file, reason),
        E::Template { template, reason } => ("template", template, reason),
        other => ("other", String::new(), other.to_string()),
    };
    Python::attach(|py| {
        with_attrs::<BuildPlanError>(
            py,
            message,
            &[
                ("kind", PyString::new(py, kind).into_any()),
                ("what", PyString::new(py, &what).into_any()),
                ("reason", PyString::new(py, &reason).into_any()),
            ],
        )
    })
}

fn catalog() -> PyResult<&'static Catalog> {
    static CATALOG: std::sync::OnceLock<Result<Catalog, build_plan::Error>> =
        std::sync::OnceLock::new();
    CATALOG
        .get_or_init(Catalog::tuxmake)
        .as_ref()
        .map_err(|e| buildplan_error(e.clone()))
}

/// The plan.json text of what tuxmake 1.45.0 would run for `args` (tuxmake's
/// command-line options, plus --timestamp and --dynamic). Host facts default
/// to this machine; pass `machine` (and optionally the others) to plan for
/// a described host instead.
#[pyfunction]
#[pyo3(signature = (args, *, machine=None, env=None, existing_paths=None, programs=None, cwd=None, cpus=None))]
#[allow(clippy::too_many_arguments)]
fn tuxmake_plan(
    py: Python<'_>,
    args: Vec<String>,
    machine: Option<String>,
    env: Option<BTreeMap<String, String>>,
    existing_paths: Option<Vec<String>>,
    programs: Option<Vec<String>>,
    cwd: Option<String>,
    cpus: Option<u32>,
) -> PyResult<String> {
    let catalog = catalog()?;
    let host: Box<dyn Host + Send + Sync> = match machine {
        None => Box::new(SystemHost),
        Some(machine) => Box::new(StaticHost {
            machine,
            env: env.unwrap_or_default(),
            existing_paths: existing_paths
                .unwrap_or_default()
                .into_iter()
                .collect::<BTreeSet<_>>(),
            programs: programs.unwrap_or_default().into_iter().collect(),
            cwd: cwd.unwrap_or_else(|| "/".into()),
            cpus: cpus.unwrap_or(1),
            ..StaticHost::default()
        }),
    };
    let planned = py
        .detach(|| plan_args(catalog, &args, host.as_ref()))
        .map_err(buildplan_error)?;
    Ok(planned.to_json())
}

/// A TuxSuite plan (matrix syntax allowed; a build-set file with `set_name`)
/// expanded the way TuxSuite does it and rendered as `format`: "tuxsuite",
/// "json", "gitlab" or "expansion". Returns (text, warnings).
#[pyfunction]
#[pyo3(signature = (text, *, format="expansion", source_name="plan.yaml", set_name=None, job_names=None, tree=".", output_dir="output", runtime="podman", wrapper="none", host="x86_64"))]
#[allow(clippy::too_many_arguments)]
fn tuxsuite_expand(
    py: Python<'_>,
    text: String,
    format: &str,
    source_name: &str,
    set_name: Option<String>,
    job_names: Option<Vec<String>>,
    tree: &str,
    output_dir: &str,
    runtime: &str,
    wrapper: &str,
    host: &str,
) -> PyResult<(String, Vec<String>)> {
    let catalog = catalog()?;
    let format = Format::from_name(format).map_err(buildplan_error)?;
    let opts = LocalOptions {
        tree: tree.into(),
        output_dir: output_dir.into(),
        runtime: runtime.into(),
        wrapper: wrapper.into(),
        job_names: job_names.unwrap_or_default(),
        plan_number: 1,
    };
    let rendered = py
        .detach(|| {
            expand_plan_text(
                catalog,
                &text,
                source_name,
                set_name.as_deref(),
                &opts,
                host,
                format,
            )
        })
        .map_err(buildplan_error)?;
    Ok((rendered.text, rendered.warnings))
}

/// Adds the build-plan functions and exception to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BuildPlanError", m.py().get_type::<BuildPlanError>())?;
    m.add_function(wrap_pyfunction!(tuxmake_plan, m)?)?;
    m.add_function(wrap_pyfunction!(tuxsuite_expand, m)?)?;
    Ok(())
}
