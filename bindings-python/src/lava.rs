//! lava-job: `kir.lava_validate` (LAVA's schema and the dispatcher's checks),
//! `kir.lava_job_load` / `kir.lava_job_dump` (the typed job model, with
//! Python dicts as the job), `kir.yaml_dump` (YAML LAVA reads back as the
//! same data).

use lava_job::model::Job;
use lava_job::validate::{Options, Severity, validate_str};
use lava_job::{Mapping, Value};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::errors::{KirError, with_attrs};

create_exception!(
    kir,
    LavaJobError,
    KirError,
    "A LAVA job could not be read (attributes: kind, line, column, reason)."
);

fn lava_error(err: &lava_job::Error) -> PyErr {
    let (kind, line, column, reason) = match err {
        lava_job::Error::Yaml {
            line,
            column,
            reason,
        } => ("yaml", *line, *column, reason.clone()),
        lava_job::Error::Model { reason } => ("model", 0, 0, reason.clone()),
        other => ("other", 0, 0, other.to_string()),
    };
    Python::attach(|py| {
        with_attrs::<LavaJobError>(
            py,
            err.to_string(),
            &[
                ("kind", PyString::new(py, kind).into_any()),
                ("line", PyInt::new(py, line).into_any()),
                ("column", PyInt::new(py, column).into_any()),
                ("reason", PyString::new(py, &reason).into_any()),
            ],
        )
    })
}

/// One finding of `lava_validate`.
#[pyclass(module = "kir", frozen, get_all)]
pub struct LavaIssue {
    kind: String,
    severity: String,
    path: String,
    line: usize,
    column: usize,
    message: String,
}

#[pymethods]
impl LavaIssue {
    fn __str__(&self) -> String {
        format!("{}, line {}: {}", self.path, self.line, self.message)
    }
}

/// The result of `lava_validate`: LAVA's verdict, kir's verdict, the issues.
#[pyclass(module = "kir", frozen, get_all)]
pub struct LavaReport {
    valid: bool,
    lava_accepts: bool,
    issues: Vec<Py<LavaIssue>>,
}

/// Validates a LAVA job given as YAML text.
#[pyfunction]
#[pyo3(signature = (job, strict=false, extra_context_variables=None))]
fn lava_validate(
    py: Python<'_>,
    job: &str,
    strict: bool,
    extra_context_variables: Option<Vec<String>>,
) -> PyResult<LavaReport> {
    let options = Options {
        strict,
        extra_context_variables: extra_context_variables.unwrap_or_default(),
    };
    let report = py.detach(|| validate_str(job, &options));
    let issues = report
        .issues
        .iter()
        .map(|i| {
            Py::new(
                py,
                LavaIssue {
                    kind: i.kind.name().to_string(),
                    severity: match i.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                    .to_string(),
                    path: i.path.clone(),
                    line: i.line,
                    column: i.column,
                    message: i.message.clone(),
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(LavaReport {
        valid: report.is_valid(),
        lava_accepts: report.lava_accepts(),
        issues,
    })
}

fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => PyInt::new(py, *i).into_any(),
        Value::Float(x) => PyFloat::new(py, *x).into_any(),
        Value::String(s) | Value::Timestamp(s) => PyString::new(py, s).into_any(),
        Value::Sequence(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Mapping(m) => {
            let dict = PyDict::new(py);
            for (k, v) in m.iter() {
                dict.set_item(to_python(py, k)?, to_python(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

fn from_python(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return Ok(Value::Int(i.extract()?));
    }
    if let Ok(x) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(x.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.extract::<String>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Mapping::new();
        for (k, v) in d.iter() {
            m.insert(from_python(&k)?, from_python(&v)?);
        }
        return Ok(Value::Mapping(m));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|i| from_python(&i))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Sequence);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|i| from_python(&i))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Sequence);
    }
    if obj.hasattr("isoformat")? {
        let text: String = obj.call_method0("isoformat")?.extract()?;
        return Ok(Value::Timestamp(text));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "cannot write a {} as YAML",
        obj.get_type().name()?
    )))
}

/// Reads a LAVA job (YAML text) through kir's typed model: the job as a
/// dict, unknown keys kept. Raises LavaJobError when the text is not YAML or
/// a top-level key of the job has the wrong type (deeper down, such a key is
/// kept as written, as LAVA's non-strict mode lets it pass).
#[pyfunction]
fn lava_job_load<'py>(py: Python<'py>, job: &str) -> PyResult<Bound<'py, PyAny>> {
    let value = py
        .detach(|| Job::from_yaml(job).and_then(|j| j.to_value()))
        .map_err(|e| lava_error(&e))?;
    to_python(py, &value)
}

/// Writes a job (a dict with LAVA's keys) through kir's typed model as YAML
/// that LAVA's YAML 1.1 reader reads back as the same data.
#[pyfunction]
fn lava_job_dump(job: &Bound<'_, PyAny>) -> PyResult<String> {
    let value = from_python(job)?;
    Job::from_value(value)
        .and_then(|j| j.to_yaml())
        .map_err(|e| lava_error(&e))
}

/// Writes any YAML-shaped data (dicts, lists, str, int, float, bool, None,
/// dates) as YAML that YAML 1.1 and 1.2 readers read back as the same data.
#[pyfunction]
fn yaml_dump(data: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(lava_job::yaml::to_yaml_string(&from_python(data)?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LavaJobError", m.py().get_type::<LavaJobError>())?;
    m.add_class::<LavaIssue>()?;
    m.add_class::<LavaReport>()?;
    m.add_function(wrap_pyfunction!(lava_validate, m)?)?;
    m.add_function(wrap_pyfunction!(lava_job_load, m)?)?;
    m.add_function(wrap_pyfunction!(lava_job_dump, m)?)?;
    m.add_function(wrap_pyfunction!(yaml_dump, m)?)?;
    Ok(())
}
