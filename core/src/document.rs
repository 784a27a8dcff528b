//! Versioned documents: every config and fitted model is a JSON document with a `version` field,
//! read the same way in Rust, Python and Node, so the same bad file gets the same error code in
//! all three.
//!
//! Reading a document goes through three steps, each with its own code:
//! 1. the text is JSON with an object at the top, at most [`MAX_DOCUMENT_BYTES`] long and nested
//!    at most 128 deep (`parse_error`);
//! 2. its `version`, when given, is one this build reads (`unsupported_version`) — checked before
//!    the fields, so a newer file with new fields says so instead of naming a field;
//! 3. the fields deserialise (`parse_error` naming the field: unknown keys, wrong types, bad
//!    enum tags) and the document is valid (`invalid_config` or the check's own code).
//!
//! ```
//! use custfit::document::Document;
//! use custfit::Scorecard;
//!
//! let card = Scorecard::from_json_str(r#"{"version": 1, "measures": [{"name": "active",
//!     "metric": "active_days_30d", "scoring": {"type": "ramp", "low": 0, "high": 20}}]}"#)?;
//! assert_eq!(Scorecard::from_json_str(&card.to_json_string())?, card);
//! let newer = Scorecard::from_json_str(r#"{"version": 9, "wholly_new": true}"#).unwrap_err();
//! assert_eq!(newer.code(), "unsupported_version");
//! let camel = custfit::health::BacktestConfig::from_json_str(r#"{"dates": [], "knownAt": null}"#).unwrap_err();
//! assert!(camel.to_string().contains("documents use snake_case keys: `known_at`"));
//! # Ok::<(), custfit::Error>(())
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The longest document text read (64 MiB): far above any config or fitted model, and a bound
/// on the work a caller can ask for before anything is checked.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// The deepest nesting of objects and arrays a binding converts from its own values (a dict,
/// a JS object) into a document, a row or a column map: 64 levels, far above any real document
/// (a scorecard set is about 8 deep) and far below what would exhaust a native stack. A deeper
/// value is an `invalid_argument` error naming where it was met.
pub const MAX_DEPTH: usize = 64;

/// A versioned JSON document: a config or a fitted model.
pub trait Document: Serialize + DeserializeOwned {
    /// The document's name in errors (`"scorecard"`, `"snapshot config"` …).
    const KIND: &'static str;
    /// The version this build reads and writes.
    const VERSION: u32;

    /// Checks the document beyond its shape.
    fn check(&self) -> Result<()>;

    /// Reads, version-checks, deserialises and checks a document given as JSON.
    fn from_json_value(value: Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::parse(Self::KIND, "a document is a JSON object"));
        }
        check_depth(&value, Self::KIND)?;
        if let Some(v) = value.get("version") {
            check_version(v, Self::KIND, Self::VERSION)?;
        }
        let doc: Self =
            serde_json::from_value(value).map_err(|e| Error::parse(format!("{} JSON", Self::KIND), hint(&e.to_string())))?;
        doc.check()?;
        Ok(doc)
    }

    /// Reads a document from JSON text (see [`Document::from_json_value`]).
    fn from_json_str(text: &str) -> Result<Self> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::parse(Self::KIND, format!("longer than {MAX_DOCUMENT_BYTES} bytes")));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| Error::parse(format!("{} JSON", Self::KIND), e))?;
        Self::from_json_value(value)
    }

    /// Pretty JSON text.
    fn to_json_string(&self) -> String {
        // Documents are plain data (string keys, finite numbers): serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A document's `version` value against the one this build reads: not a whole number is
/// `parse_error`, another number `unsupported_version`.
pub(crate) fn check_version(v: &Value, kind: &str, supported: u32) -> Result<()> {
    let found = v
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| Error::parse(kind, format!("`version` must be a whole number, got {v}")))?;
    if found != supported {
        return Err(Error::UnsupportedVersion { what: kind.into(), found, supported });
    }
    Ok(())
}

/// Reads a *part*: a settings object without a version of its own (`ExprLimits`,
/// `IngestOptions`, a churn definition …), given as JSON text, with the rules documents follow:
/// at most [`MAX_DOCUMENT_BYTES`], and a `parse_error` naming `what` with a plain message
/// (no Rust type names; a camelCase key gets its snake_case spelling).
pub fn part_from_json_str<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::parse(what, format!("longer than {MAX_DOCUMENT_BYTES} bytes")));
    }
    serde_json::from_str(text).map_err(|e| Error::parse(what, hint(&e.to_string())))
}

/// Deepest nesting of a JSON value read as a document or part: 128, the limit serde_json puts
/// on text, so a value built in Rust meets the rule text does (and cannot exhaust the stack).
pub const MAX_JSON_DEPTH: usize = 128;

/// Refuses a value nested deeper than [`MAX_JSON_DEPTH`] (checked without recursion).
pub(crate) fn check_depth(value: &Value, what: &str) -> Result<()> {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 1)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > MAX_JSON_DEPTH {
            return Err(Error::parse(what, format!("nested deeper than {MAX_JSON_DEPTH} levels")));
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    Ok(())
}

/// [`part_from_json_str`] for a JSON value already parsed.
pub fn part_from_json_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    check_depth(&value, what)?;
    serde_json::from_value(value).map_err(|e| Error::parse(what, hint(&e.to_string())))
}

/// `futureToleranceHours` → `future_tolerance_hours`; a snake_case key stays as it is.
pub fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Documents use snake_case keys in every language; a camelCase key (as a JavaScript caller may
/// write) gets the key it should have been.
pub(crate) fn hint(message: &str) -> String {
    let message = plain_serde_message(message);
    let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    match unknown {
        Some(key) if key.chars().any(|c| c.is_ascii_uppercase()) => {
            format!("{message} (documents use snake_case keys: `{}`)", snake_case(key))
        }
        _ => message,
    }
}

/// A serde error message without the Rust type names it may carry ("expected internally tagged
/// enum Penalty", "data did not match any variant of untagged enum AttributeValue"), which mean
/// nothing to a user of the JSON.
pub(crate) fn plain_serde_message(message: &str) -> String {
    let mut out = message.to_string();
    for (phrase, plain) in [
        ("data did not match any variant of untagged enum ", "the value has none of the accepted forms"),
        ("internally tagged enum ", "an object with a `type` key"),
    ] {
        while let Some(at) = out.find(phrase) {
            let rest = &out[at + phrase.len()..];
            let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out = format!("{}{plain}{}", &out[..at], &rest[name_len..]);
        }
    }
    out
}

/// FNV-1a, 64 bits: the checksum of saved models and the digest naming a model in a record.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Implements [`Document`] for a type whose inherent `validate()` is the check.
macro_rules! document {
    ($($ty:ty => $kind:literal, $version:expr;)*) => {
        $(impl $crate::document::Document for $ty {
            const KIND: &'static str = $kind;
            const VERSION: u32 = $version;
            fn check(&self) -> $crate::error::Result<()> {
                <$ty>::validate(self)
            }
        })*
    };
}
pub(crate) use document;
