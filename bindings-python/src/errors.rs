//! kir-core's errors as Python exceptions.
//!
//! `kir.KirError` is the base of everything kir raises; each family of
//! `kir_core::Error` has its own subclass, and the fields of the Rust error
//! become attributes of the exception (`offset`, `field`, `path`, ...), so a
//! script can react to the detail without parsing the message.

use pyo3::PyTypeInfo;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};

create_exception!(
    kir,
    KirError,
    PyException,
    "Base class of every error raised by kir."
);
create_exception!(
    kir,
    MalformedError,
    KirError,
    "Input does not follow its format (attributes: format, offset, field, reason)."
);
create_exception!(
    kir,
    UnsupportedError,
    KirError,
    "Input uses something kir does not implement (attributes: format, reason)."
);
create_exception!(
    kir,
    InvalidArgumentError,
    KirError,
    "An argument was refused (attributes: name, reason)."
);
create_exception!(
    kir,
    CheckError,
    KirError,
    "An input check failed (attributes: input, reason)."
);
create_exception!(
    kir,
    RecipeError,
    KirError,
    "A recipe is missing or invalid (attributes: recipe, reason)."
);
create_exception!(
    kir,
    UnsafePathError,
    KirError,
    "An archive entry would land outside its destination (attributes: archive, entry, reason)."
);
create_exception!(
    kir,
    FetchError,
    KirError,
    "Fetching a URL failed (attributes: url, reason)."
);
create_exception!(
    kir,
    IoError,
    KirError,
    "Reading or writing a file failed (attributes: path, errno)."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KirError", py.get_type::<KirError>())?;
    m.add("MalformedError", py.get_type::<MalformedError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<InvalidArgumentError>(),
    )?;
    m.add("CheckError", py.get_type::<CheckError>())?;
    m.add("RecipeError", py.get_type::<RecipeError>())?;
    m.add("UnsafePathError", py.get_type::<UnsafePathError>())?;
    m.add("FetchError", py.get_type::<FetchError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    Ok(())
}

/// An exception of class `T` with `message`, carrying `attrs` as attributes.
pub fn with_attrs<T: PyTypeInfo>(
    py: Python<'_>,
    message: String,
    attrs: &[(&str, Bound<'_, PyAny>)],
) -> PyErr {
    let err = PyErr::new::<T, _>(message);
    let value = err.value(py);
    for (name, attr) in attrs {
        if let Err(failed) = value.setattr(*name, attr) {
            return failed;
        }
    }
    err
}

/// Turns a kir-core error into the matching `kir` exception.
///
/// Use as `kir_core::thing(..).map_err(core_error)?` in a function that
/// returns `PyResult`.
pub fn core_error(err: kir_core::Error) -> PyErr {
    Python::attach(|py| core_error_in(py, err))
}

fn core_error_in(py: Python<'_>, err: kir_core::Error) -> PyErr {
    use kir_core::Error as E;

    let message = err.to_string();
    let s = |text: &str| PyString::new(py, text).into_any();
    let n = |value: u64| PyInt::new(py, value).into_any();
    match err {
        E::Malformed {
            format,
            offset,
            field,
            reason,
        } => with_attrs::<MalformedError>(
            py,
            message,
            &[
                ("format", s(format)),
                ("offset", n(offset)),
                ("field", s(field)),
                ("reason", s(&reason)),
            ],
        ),
        E::Unsupported { format, reason } => with_attrs::<UnsupportedError>(
            py,
            message,
            &[("format", s(format)), ("reason", s(&reason))],
        ),
        E::InvalidArgument { name, reason } => with_attrs::<InvalidArgumentError>(
            py,
            message,
            &[("name", s(&name)), ("reason", s(&reason))],
        ),
        E::Check { input, reason } => {
            with_attrs::<CheckError>(py, message, &[("input", s(&input)), ("reason", s(&reason))])
        }
        E::Recipe { recipe, reason } => with_attrs::<RecipeError>(
            py,
            message,
            &[("recipe", s(&recipe)), ("reason", s(&reason))],
        ),
        E::UnsafePath {
            archive,
            entry,
            reason,
        } => with_attrs::<UnsafePathError>(
            py,
            message,
            &[
                ("archive", s(&archive)),
                ("entry", s(&entry)),
                ("reason", s(&reason)),
            ],
        ),
        E::Fetch { url, reason } => {
            with_attrs::<FetchError>(py, message, &[("url", s(&url)), ("reason", s(&reason))])
        }
        E::Io { path, source } => {
            let errno = match source.raw_os_error() {
                Some(code) => n(code as u64),
                None => py.None().into_bound(py),
            };
            with_attrs::<IoError>(
                py,
                message,
                &[("path", s(&path.to_string_lossy())), ("errno", errno)],
            )
        }
        _ => PyErr::new::<KirError, _>(message),
    }
}
