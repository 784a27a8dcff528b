//! Instants across the boundary. In: a `Date`, an ISO 8601 / RFC 3339 string (or `YYYY-MM-DD`),
//! or a number of milliseconds since the epoch; out: always a `Date` (UTC, millisecond precision,
//! like `custfit::Timestamp`).

use chrono::{DateTime, Utc};
use custfit::{ErrorKind, Timestamp};
use napi::bindgen_prelude::{Unknown, ValueType};
use napi::JsDate;
use napi::JsValue;

use crate::error::{argument, invalid_argument, IntoCore, Result};

/// Reads an instant argument named `name`.
pub fn timestamp_arg(value: &Unknown<'_>, name: &str) -> Result<Timestamp> {
    match value.get_type().core()? {
        ValueType::String => {
            let text: String = crate::data::string_of(value)?;
            Timestamp::parse(&text).map_err(|e| rename(e, name))
        }
        // A plain number is an integer input: refused when it looks like seconds.
        ValueType::Number => millis(value.coerce_to_number().core()?.get_double().core()?, name)
            .and_then(|t| Timestamp::from_input_millis(t.millis()).map_err(|e| rename(e, name))),
        ValueType::Object if value.is_date().core()? => {
            // SAFETY: `is_date` just confirmed the value is a Date.
            let date: JsDate<'_> = unsafe { value.cast() }.core()?;
            millis(date.value_of().core()?, name)
        }
        other => Err(invalid_argument(
            name,
            format!("expected a Date, an ISO 8601 string or milliseconds since the epoch, got {}", type_name(other)),
        )),
    }
}

/// An instant from a number of milliseconds (must be a whole number within 1900-2199).
pub fn millis(ms: f64, name: &str) -> Result<Timestamp> {
    if !ms.is_finite() || ms.fract() != 0.0 || ms.abs() > 9.0e15 {
        let shown = if ms.is_nan() { "an invalid Date (NaN)".to_string() } else { ms.to_string() };
        return Err(argument(
            ErrorKind::InvalidTimestamp,
            name,
            format!("{shown} is not a whole number of milliseconds since the epoch"),
        ));
    }
    Timestamp::from_millis(ms as i64).map_err(|e| rename(e, name))
}

/// The `Date` of an instant.
pub fn date(t: Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(t.millis()).unwrap_or_default()
}

/// The core names timestamp errors `timestamp`; say which argument it was.
fn rename(e: custfit::Error, name: &str) -> custfit::Error {
    match e {
        custfit::Error::Argument { kind, reason, .. } => argument(kind, name, reason),
        other => other,
    }
}

/// The JS `typeof`-style name of a value type, for messages.
pub fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}
