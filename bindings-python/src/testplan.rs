//! testplan-core: `kir.testplan_render` (one lava-test-plans job) and
//! `kir.testplan_render_matrix` (device types × tests × variable sets, rendered
//! in parallel, one outcome per job). Without `template_path` the project's own
//! templates, compiled into the module, are used.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString, PyTuple};
use testplan_core::render::{Job, MatrixSpec, Overlay};

use crate::errors::{KirError, with_attrs};

create_exception!(
    kir,
    TestplanError,
    KirError,
    "A lava-test-plans job or matrix could not be rendered (attributes: kind, variable, template, file, line, column, reason)."
);

fn testplan_error(py: Python<'_>, err: &testplan_core::Error) -> PyErr {
    let d = err.detail();
    let text = |v: &Option<String>| match v {
        Some(s) => PyString::new(py, s).into_any(),
        None => py.None().into_bound(py),
    };
    let number = |v: Option<usize>| match v {
        Some(n) => PyInt::new(py, n).into_any(),
        None => py.None().into_bound(py),
    };
    with_attrs::<TestplanError>(
        py,
        err.to_string(),
        &[
            ("kind", PyString::new(py, d.kind).into_any()),
            ("variable", text(&d.variable)),
            ("template", text(&d.template)),
            ("file", text(&d.file)),
            ("line", number(d.line)),
            ("column", number(d.column)),
            ("reason", PyString::new(py, &d.reason).into_any()),
        ],
    )
}

/// A rendered job.
#[pyclass(module = "kir", frozen, get_all)]
pub struct TestplanJob {
    device_type: String,
    test: String,
    /// What the templates printed.
    raw: String,
    /// The job as lava-test-plans writes it (checked as YAML, blank lines dropped).
    yaml: String,
    /// Where the Python tool writes it: `<device_type>/<test file name>`.
    output_path: String,
}

impl From<Job> for TestplanJob {
    fn from(job: Job) -> Self {
        TestplanJob {
            output_path: job.output_path().display().to_string(),
            device_type: job.device_type,
            test: job.test,
            raw: job.raw,
            yaml: job.yaml,
        }
    }
}

#[pymethods]
impl TestplanJob {
    fn __repr__(&self) -> String {
        format!("<TestplanJob {}>", self.output_path)
    }
}

/// One job of a matrix: the job, or the error (a `TestplanError`) that stopped it.
#[pyclass(module = "kir", frozen, get_all)]
pub struct TestplanOutcome {
    device_type: String,
    test: String,
    job: Option<Py<TestplanJob>>,
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl TestplanOutcome {
    /// Whether the job rendered.
    #[getter]
    fn ok(&self) -> bool {
        self.job.is_some()
    }
}

/// An overlay given as a URL (unpacked at `/`) or a `(url, path)` pair.
fn overlay(item: &Bound<'_, PyAny>) -> PyResult<Overlay> {
    if let Ok(url) = item.extract::<String>() {
        return Ok(Overlay {
            url,
            path: "/".into(),
        });
    }
    let pair = item.cast::<PyTuple>()?;
    let (url, path): (String, String) = pair.extract()?;
    Ok(Overlay { url, path })
}

/// The options both functions share, gathered into the core's matrix description.
struct Options {
    template_path: Option<PathBuf>,
    testplan_path: Option<PathBuf>,
    testcase_path: Option<PathBuf>,
    testplan_device_path: Option<PathBuf>,
    overwrite_variables: Vec<String>,
    overlays: Vec<Overlay>,
    cwd: Option<PathBuf>,
}

impl Options {
    fn spec(&self) -> MatrixSpec {
        MatrixSpec {
            template_path: self.template_path.clone(),
            testplan_path: self.testplan_path.clone(),
            testcase_path: self.testcase_path.clone(),
            testplan_device_path: self.testplan_device_path.clone(),
            overwrite_variables: self.overwrite_variables.clone(),
            overlays: self.overlays.clone(),
            ..MatrixSpec::default()
        }
    }

    /// The directory relative paths are resolved against (default: the process's).
    fn cwd(&self) -> PyResult<PathBuf> {
        match &self.cwd {
            Some(dir) => Ok(dir.clone()),
            None => Ok(std::env::current_dir()?),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn options(
    template_path: Option<PathBuf>,
    testplan_path: Option<PathBuf>,
    testcase_path: Option<PathBuf>,
    testplan_device_path: Option<PathBuf>,
    overwrite_variables: Option<Vec<String>>,
    overlays: Option<Vec<Bound<'_, PyAny>>>,
    cwd: Option<PathBuf>,
) -> PyResult<Options> {
    Ok(Options {
        template_path,
        testplan_path,
        testcase_path,
        testplan_device_path,
        overwrite_variables: overwrite_variables.unwrap_or_default(),
        overlays: overlays
            .unwrap_or_default()
            .iter()
            .map(overlay)
            .collect::<PyResult<_>>()?,
        cwd,
    })
}

/// Renders one test for one device type, as `lava-test-plans --dry-run` would
/// write it. Raises `TestplanError` naming the variable, template and line.
#[pyfunction]
#[pyo3(signature = (
    device_type, test, variables=None, overwrite_variables=None, template_path=None,
    testplan_path=None, testcase_path=None, testplan_device_path=None, overlays=None, cwd=None,
))]
#[allow(clippy::too_many_arguments)]
fn testplan_render(
    py: Python<'_>,
    device_type: String,
    test: String,
    variables: Option<Vec<PathBuf>>,
    overwrite_variables: Option<Vec<String>>,
    template_path: Option<PathBuf>,
    testplan_path: Option<PathBuf>,
    testcase_path: Option<PathBuf>,
    testplan_device_path: Option<PathBuf>,
    overlays: Option<Vec<Bound<'_, PyAny>>>,
    cwd: Option<PathBuf>,
) -> PyResult<TestplanJob> {
    let opts = options(
        template_path,
        testplan_path,
        testcase_path,
        testplan_device_path,
        overwrite_variables,
        overlays,
        cwd,
    )?;
    let cwd = opts.cwd()?;
    let spec = MatrixSpec {
        device_types: vec![device_type],
        tests: vec![test],
        variable_sets: vec![variables.unwrap_or_default()],
        ..opts.spec()
    };
    let outcome = py
        .detach(|| spec.render(&cwd, None))
        .map_err(|e| testplan_error(py, &e))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            testplan_error(
                py,
                &testplan_core::Error::InvalidArgument("nothing to render".into()),
            )
        })?;
    outcome
        .result
        .map(TestplanJob::from)
        .map_err(|e| testplan_error(py, &e))
}

/// Renders every device type × test × variable set in parallel. Tests are the
/// test cases plus every test of the test plans, each once, sorted; each
/// variable set is a list of files merged left to right. Returns one outcome
/// per job, device-major; a job that fails does not stop the others. Raises
/// `TestplanError` only when the matrix itself is unusable (no device type or
/// test, an unreadable variables file or test plan).
#[pyfunction]
#[pyo3(signature = (
    device_types, tests=None, test_plans=None, variable_sets=None, overwrite_variables=None,
    template_path=None, testplan_path=None, testcase_path=None, testplan_device_path=None,
    overlays=None, cwd=None,
))]
#[allow(clippy::too_many_arguments)]
fn testplan_render_matrix(
    py: Python<'_>,
    device_types: Vec<String>,
    tests: Option<Vec<String>>,
    test_plans: Option<Vec<String>>,
    variable_sets: Option<Vec<Vec<PathBuf>>>,
    overwrite_variables: Option<Vec<String>>,
    template_path: Option<PathBuf>,
    testplan_path: Option<PathBuf>,
    testcase_path: Option<PathBuf>,
    testplan_device_path: Option<PathBuf>,
    overlays: Option<Vec<Bound<'_, PyAny>>>,
    cwd: Option<PathBuf>,
) -> PyResult<Vec<TestplanOutcome>> {
    let opts = options(
        template_path,
        testplan_path,
        testcase_path,
        testplan_device_path,
        overwrite_variables,
        overlays,
        cwd,
    )?;
    let cwd = opts.cwd()?;
    let spec = MatrixSpec {
        device_types,
        tests: tests.unwrap_or_default(),
        test_plans: test_plans.unwrap_or_default(),
        variable_sets: variable_sets.unwrap_or_default(),
        ..opts.spec()
    };
    let outcomes = py
        .detach(|| spec.render(&cwd, None))
        .map_err(|e| testplan_error(py, &e))?;
    outcomes
        .into_iter()
        .map(|o| {
            let (job, error) = match o.result {
                Ok(job) => (Some(Py::new(py, TestplanJob::from(job))?), None),
                Err(e) => (None, Some(testplan_error(py, &e).into_value(py).into_any())),
            };
            Ok(TestplanOutcome {
                device_type: o.device_type,
                test: o.test,
                job,
                error,
            })
        })
        .collect()
}

/// The files of the compiled-in template tree, as `{relative path: text}`.
#[pyfunction]
fn testplan_bundled_files() -> std::collections::BTreeMap<&'static str, &'static str> {
    testplan_core::bundled::files().collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("TestplanError", m.py().get_type::<TestplanError>())?;
    m.add_class::<TestplanJob>()?;
    m.add_class::<TestplanOutcome>()?;
    m.add_function(wrap_pyfunction!(testplan_render, m)?)?;
    m.add_function(wrap_pyfunction!(testplan_render_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(testplan_bundled_files, m)?)?;
    Ok(())
}
