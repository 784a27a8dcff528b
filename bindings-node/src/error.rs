//! The one mapping point from Rust failures to JS errors.
//!
//! Inside the binding every fallible step returns `custfit::Result` (napi failures while reading
//! an argument become `invalid_argument`); exports turn the error into a JS value here, with
//! [`throw`]. What JS sees is a plain `Error` whose `.code` is the stable custfit code
//! (`custfit::Error::code()`, e.g. `"unknown_account"`) and whose `.message` is the core's
//! message; a rejected row also carries `.entity`, `.row` (0-based position in the batch passed
//! in), `.field` and, when read from a file, `.location` (`"events.csv line 7"`). napi-rs sets `.code` itself when an error's status is a string
//! (`napi_create_error(code, msg)`); the error object is built on the JS thread and handed back
//! to napi by reference, which napi then throws (or rejects a promise with) as it is.

use custfit::{Error, ErrorKind};
use napi::bindgen_prelude::{Env, JsError, JsObjectValue, Object};
use napi_derive::napi;

/// Result of the binding's internal steps.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The JS error for a core error, as a napi error that throws that exact object.
pub fn throw(env: &Env, e: &Error) -> napi::Error {
    let value = JsError::from(napi::Error::new(e.code(), e.to_string())).into_unknown(*env);
    if let Error::Row { entity, row, field, location, .. } = e {
        // SAFETY: `napi_create_error` returns an object.
        if let Ok(mut obj) = unsafe { value.cast::<Object<'_>>() } {
            // Best effort: the code and message are already on the error.
            let _ = obj.set_named_property("entity", entity.as_str());
            let _ = obj.set_named_property("row", *row as f64);
            let _ = obj.set_named_property("field", field.as_str());
            let _ = obj.set_named_property("location", location.clone());
        }
    }
    if let Error::Expr { position, suggestion, .. } = e {
        // SAFETY: `napi_create_error` returns an object.
        if let Ok(mut obj) = unsafe { value.cast::<Object<'_>>() } {
            let _ = obj.set_named_property("position", *position as f64);
            let _ = obj.set_named_property("suggestion", suggestion.clone());
        }
    }
    napi::Error::from(value)
}

/// Maps a `custfit::Result` to the `napi::Result` an export returns.
pub trait Throw<T> {
    /// See [`throw`].
    fn throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> Throw<T> for Result<T> {
    fn throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| throw(env, &e))
    }
}

/// `invalid_argument` naming the argument.
pub fn invalid_argument(name: &str, reason: impl Into<String>) -> Error {
    argument(ErrorKind::InvalidArgument, name, reason)
}

/// The same error, with an argument named `from` (a document's or the core's name for it)
/// renamed `to` (the JS parameter's name); any other error unchanged.
pub fn rename_argument(e: Error, from: &str, to: &str) -> Error {
    match e {
        Error::Argument { kind, name, reason } if name == from => argument(kind, to, reason),
        other => other,
    }
}

/// A JS number that must be a whole number from 0 to `u32::MAX` (a count of days, folds, ...):
/// anything else (negative, fractional, NaN, huge) is `invalid_argument` naming `name`, never a
/// silent wrap or truncation.
pub fn whole_u32(value: f64, name: &str) -> Result<u32> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(invalid_argument(name, format!("must be a whole number from 0 to {}, got {value}", u32::MAX)))
    }
}

/// A core `Error::Argument` of any kind (e.g. `invalid_timestamp` for an `asOf`).
pub fn argument(kind: ErrorKind, name: &str, reason: impl Into<String>) -> Error {
    Error::Argument { kind, name: name.to_string(), reason: reason.into() }
}

/// Converts napi failures (a value napi could not read) to `invalid_argument`.
pub trait IntoCore<T> {
    /// `invalid_argument` with napi's reason.
    fn core(self) -> Result<T>;
}

impl<T> IntoCore<T> for napi::Result<T> {
    fn core(self) -> Result<T> {
        self.map_err(|e| invalid_argument("value", e.reason.clone()))
    }
}

/// Runs `f`, turning a Rust panic into an error instead of unwinding across the FFI boundary.
/// Used inside `AsyncTask::compute`, which runs off the JS thread where `catch_unwind` on the
/// export does not reach.
pub fn guard<T>(f: impl FnOnce() -> T) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(napi::bindgen_prelude::panic_to_error)
}

/// Every stable error code, in the core's order (`ErrorKind::ALL`). The Rust, Python and Node
/// suites check this list against `tests/cases/error_codes.json`.
#[napi(catch_unwind)]
pub fn error_codes() -> Vec<String> {
    ErrorKind::ALL.iter().map(|k| k.code().to_string()).collect()
}
