//! The one reader of document arguments (configs and fitted models): a dict (any mapping) or
//! its JSON text, read by the core's `Document` rules — version first, then fields, then
//! checks — so that a bad document gets the same error code here as in Rust and Node.

use custfit::document::Document;
use custfit::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::convert::{to_json, type_name};
use crate::error::{guard, IntoPyResult};

/// A document argument (dict or JSON text) as JSON text. `name` is the argument's name in errors.
pub fn document_json(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Result<String, Error>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Ok(s.to_cow()?.into_owned()));
    }
    Ok(document_value(obj, name)?.map(|v| v.to_string()))
}

/// A dict (or any mapping) argument as JSON; anything else is `invalid_argument`.
fn document_value(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Result<Value, Error>> {
    if obj.cast::<PyDict>().is_err() && obj.cast::<PyMapping>().is_err() {
        return Ok(Err(crate::error::invalid_argument(
            name,
            format!("expected a dict or a JSON string, got {}", type_name(obj)),
        )));
    }
    Ok(to_json(obj, "")?.map_err(|b| Error::Parse { what: name.to_string(), reason: format!("at `{}`: {}", b.path, b.reason) }))
}

/// The one reader of document arguments (configs and fitted models): a dict (any mapping) or its
/// JSON text, read by the core's [`Document`] rules — version first, then fields, then checks —
/// so that a bad document gets the same error code here as in Rust and Node.
pub fn document<T: Document>(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<T> {
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return guard(py, || T::from_json_str(&text));
    }
    let value = document_value(obj, name)?.py(py)?;
    guard(py, || T::from_json_value(value))
}

/// [`document`], or the default when the argument is absent or None.
pub fn optional_document<T: Document + Default>(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<T> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(T::default()),
        Some(o) => document(py, o, name),
    }
}

/// An unversioned part of a document (a window, a churn definition, features …), read with the
/// same error codes as a document's fields: `parse_error` for the shape, then its own checks.
pub fn part<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<T> {
    let text = document_json(obj, name)?.py(py)?;
    custfit::document::part_from_json_str(&text, name).py(py)
}

/// [`part`], or its default when the argument is absent or None.
pub fn optional_part<T: DeserializeOwned + Default>(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<T> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(T::default()),
        Some(o) => part(py, o, name),
    }
}
