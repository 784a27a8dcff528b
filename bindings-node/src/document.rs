//! The one reader of document arguments (configs and fitted models): an object or its JSON
//! text, read by the core's `Document` rules — version first, then fields, then checks — so that
//! a bad document gets the same error code here as in Rust and Python.
//!
//! Documents use the serde (snake_case) keys at every depth, as the JSON files shared with Rust
//! and Python do; a camelCase key is an unknown field whose error names the snake_case key.
//! Options objects (`IngestOptions`, `simulate`'s options, `files`) are JavaScript-native and
//! accept camelCase keys (see `data::options_object`).

use custfit::document::Document;
use custfit::Error;
use napi::bindgen_prelude::{Unknown, ValueType};
use napi::JsValue;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::data::{string_of, to_json};
use crate::error::{invalid_argument, IntoCore, Result};
use crate::time::type_name;

/// A document argument as JSON: `None` when absent (`undefined` or `null`), text parsed later by
/// the core, an object converted. Anything else is `invalid_argument`.
enum Arg {
    Absent,
    Text(String),
    Json(Value),
}

fn arg(value: Option<&Unknown<'_>>, name: &str) -> Result<Arg> {
    let Some(value) = value else { return Ok(Arg::Absent) };
    match value.get_type().core()? {
        ValueType::Undefined | ValueType::Null => Ok(Arg::Absent),
        ValueType::String => string_of(value).map(Arg::Text),
        ValueType::Object if !value.is_array().core()? && !value.is_date().core()? => {
            let v = to_json(value, "", 0)
                .map_err(|u| Error::Parse { what: name.into(), reason: format!("at `{}`: {}", u.path, u.reason) })?;
            Ok(v.map_or(Arg::Absent, Arg::Json))
        }
        other => Err(invalid_argument(name, format!("expected an object or its JSON text, got {}", type_name(other)))),
    }
}

/// A required document argument.
pub fn document<T: Document>(value: &Unknown<'_>, name: &str) -> Result<T> {
    match arg(Some(value), name)? {
        Arg::Absent => Err(invalid_argument(name, "expected an object or its JSON text, got nothing")),
        Arg::Text(text) => T::from_json_str(&text),
        Arg::Json(v) => T::from_json_value(v),
    }
}

/// An optional document argument: its default when absent.
pub fn optional_document<T: Document + Default>(value: Option<&Unknown<'_>>, name: &str) -> Result<T> {
    match arg(value, name)? {
        Arg::Absent => Ok(T::default()),
        Arg::Text(text) => T::from_json_str(&text),
        Arg::Json(v) => T::from_json_value(v),
    }
}

/// An unversioned part of a document (features, a logistic or churn-definition config, a
/// window), read with the codes of a document's fields: `parse_error` for the shape.
pub fn part<T: DeserializeOwned + Default>(value: Option<&Unknown<'_>>, name: &str) -> Result<T> {
    match arg(value, name)? {
        Arg::Absent => Ok(T::default()),
        Arg::Text(text) => custfit::document::part_from_json_str(&text, name),
        Arg::Json(v) => custfit::document::part_from_json_value(v, name),
    }
}
