//! The one mapping point from Rust failures to Python exceptions, and the helpers every call
//! into the core goes through (panic guard, GIL release).
//!
//! The exception tree (classes live in `custfit._native`, re-exported by `custfit`):
//!
//! ```text
//! CustfitError(Exception)                           .code .row .field .entity
//! ├── InvalidInputError(CustfitError, ValueError)   rows, configs, arguments
//! ├── UnknownMetricError(CustfitError, KeyError)    unknown_metric, unknown_name
//! ├── ParseError(CustfitError, ValueError)          parse_error, expr_syntax
//! ├── CustfitIOError(CustfitError, OSError)         io_error
//! └── UnsupportedVersionError(CustfitError, ValueError)
//! ```
//!
//! `.code` is the stable `custfit::Error::code()`. A Rust panic never escapes as pyo3's
//! `PanicException` (which `except Exception` does not catch): [`guard`] and [`detach`] turn it
//! into a `CustfitError` with code `"internal"`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use custfit::{Error, ErrorKind};
use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Code of a caught Rust panic (a bug in custfit, not bad input).
pub const INTERNAL: &str = "internal";

struct Classes {
    base: Py<PyType>,
    invalid_input: Py<PyType>,
    unknown_metric: Py<PyType>,
    parse: Py<PyType>,
    io: Py<PyType>,
    unsupported_version: Py<PyType>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn make_class(py: Python<'_>, name: &str, bases: &[Bound<'_, PyType>], doc: &str, attrs: bool) -> PyResult<Py<PyType>> {
    let ns = PyDict::new(py);
    ns.set_item("__module__", "custfit")?;
    ns.set_item("__doc__", doc)?;
    if attrs {
        for a in ["code", "row", "field", "entity", "location"] {
            ns.set_item(a, py.None())?;
        }
    }
    if bases.iter().any(|b| b.is(py.get_type::<PyKeyError>())) {
        // KeyError quotes its message in str(); keep the plain message.
        ns.set_item("__str__", py.get_type::<PyException>().getattr("__str__")?)?;
    }
    let t = py.get_type::<PyType>().call1((name, PyTuple::new(py, bases)?, ns))?;
    Ok(t.cast_into::<PyType>()?.unbind())
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASSES.get_or_try_init(py, || {
        let base = make_class(
            py,
            "CustfitError",
            &[py.get_type::<PyException>()],
            "Base of every custfit error. `.code` is a stable string (see `error_codes()`); row \
             errors also carry `.row` (0-based row of the batch), `.field` and `.entity`.",
            true,
        )?;
        let b = base.bind(py).clone();
        let value = py.get_type::<PyValueError>();
        Ok::<_, PyErr>(Classes {
            invalid_input: make_class(
                py,
                "InvalidInputError",
                &[b.clone(), value.clone()],
                "A row, configuration value or argument is invalid.",
                false,
            )?,
            unknown_metric: make_class(
                py,
                "UnknownMetricError",
                &[b.clone(), py.get_type::<PyKeyError>()],
                "A metric or column name is not known.",
                false,
            )?,
            parse: make_class(py, "ParseError", &[b.clone(), value.clone()], "Text or a file could not be parsed.", false)?,
            io: make_class(
                py,
                "CustfitIOError",
                &[b.clone(), py.get_type::<PyOSError>()],
                "Reading or writing a file failed.",
                false,
            )?,
            unsupported_version: make_class(
                py,
                "UnsupportedVersionError",
                &[b, value],
                "A saved document has a version this build cannot read.",
                false,
            )?,
            base,
        })
    })
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py)?;
    m.add("CustfitError", c.base.bind(py))?;
    m.add("InvalidInputError", c.invalid_input.bind(py))?;
    m.add("UnknownMetricError", c.unknown_metric.bind(py))?;
    m.add("ParseError", c.parse.bind(py))?;
    m.add("CustfitIOError", c.io.bind(py))?;
    m.add("UnsupportedVersionError", c.unsupported_version.bind(py))?;
    Ok(())
}

fn class_of(c: &Classes, kind: ErrorKind) -> &Py<PyType> {
    match kind {
        ErrorKind::UnknownMetric | ErrorKind::UnknownName => &c.unknown_metric,
        ErrorKind::Parse | ErrorKind::ExprSyntax => &c.parse,
        ErrorKind::Io => &c.io,
        ErrorKind::UnsupportedVersion => &c.unsupported_version,
        _ => &c.invalid_input,
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let c = classes(py)?;
    let inst = class_of(c, e.kind()).bind(py).call1((e.to_string(),))?;
    inst.setattr("code", e.code())?;
    match e {
        Error::Row { entity, row, field, location, .. } => {
            inst.setattr("row", *row)?;
            inst.setattr("field", field)?;
            inst.setattr("entity", entity.as_str())?;
            inst.setattr("location", location.as_deref())?;
        }
        Error::Argument { name, .. } => inst.setattr("field", name)?,
        Error::Config { path, .. } => inst.setattr("field", path)?,
        Error::UnknownMetric { name, .. } => inst.setattr("field", name)?,
        Error::Expr { position, suggestion, .. } => {
            inst.setattr("position", *position)?;
            inst.setattr("suggestion", suggestion.as_deref())?;
        }
        _ => {}
    }
    Ok(PyErr::from_value(inst))
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    build(py, e).unwrap_or_else(|err| err)
}

/// A `CustfitError` for a caught panic.
fn internal(py: Python<'_>, payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let made = (|| {
        let inst = classes(py)?.base.bind(py).call1((format!("internal error in custfit (please report): {msg}"),))?;
        inst.setattr("code", INTERNAL)?;
        Ok::<_, PyErr>(PyErr::from_value(inst))
    })();
    made.unwrap_or_else(|err| err)
}

/// `invalid_argument` naming the argument.
pub fn invalid_argument(name: &str, reason: impl Into<String>) -> Error {
    Error::Argument { kind: ErrorKind::InvalidArgument, name: name.to_string(), reason: reason.into() }
}

/// Maps core results to Python results.
pub trait IntoPyResult<T> {
    /// The value, or the mapped exception.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for custfit::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}

/// Runs `f` (a call into the core) with the GIL held, turning errors and panics into exceptions.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> custfit::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.py(py),
        Err(payload) => Err(internal(py, payload)),
    }
}

/// Runs `f` (a long call into the core) with the GIL released, turning errors and panics into
/// exceptions. Every heavy call goes through here: snapshot, simulate, add_events, from_files.
pub fn detach<T: Send>(py: Python<'_>, f: impl FnOnce() -> custfit::Result<T> + Send) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(r) => r.py(py),
        Err(payload) => Err(internal(py, payload)),
    }
}

/// Every stable error code, in the core's order (`ErrorKind::ALL`).
#[pyfunction]
pub fn error_codes() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.code()).collect()
}
