//! Frames (`custfit::frame`): what `Snapshot.withColumns` accepts, turned into the core's
//! `AccountColumns` — `HealthScores` and `Snapshot` objects, result objects and arrays, and
//! objects of column arrays (through their JSON form).

use custfit::{AccountColumns, ToColumns};
use napi::bindgen_prelude::{ClassInstance, Env, JavaScriptClassExt, Unknown, ValueType};

use crate::data::{string_arg, to_json};
use crate::error::{invalid_argument, IntoCore, Result};
use crate::health::HealthScores;
use crate::metrics::Snapshot;

/// The columns `source` adds, named after `name` when given (see `Snapshot.withColumns`).
pub fn account_columns(env: &Env, source: &Unknown<'_>, name: Option<&Unknown<'_>>) -> Result<AccountColumns> {
    let name = match name {
        Some(n) if !matches!(n.get_type().core()?, ValueType::Undefined | ValueType::Null) => Some(string_arg(n, "name")?),
        _ => None,
    };
    if source.get_type().core()? == ValueType::Object {
        if Snapshot::instance_of(env, source).core()? {
            // SAFETY: `instance_of` just confirmed the class.
            let other: ClassInstance<'_, Snapshot> = unsafe { source.cast() }.core()?;
            return Ok(other.inner.account_columns(""));
        }
        if HealthScores::instance_of(env, source).core()? {
            // SAFETY: `instance_of` just confirmed the class.
            let scores: ClassInstance<'_, HealthScores> = unsafe { source.cast() }.core()?;
            return Ok(scores.inner.account_columns(name.as_deref().unwrap_or("health")));
        }
    }
    let json = to_json(source, "", 0)
        .map_err(|u| invalid_argument("source", format!("at `{}`: {}", u.path, u.reason)))?
        .unwrap_or(serde_json::Value::Null);
    custfit::frame::columns_from_json(&json, name.as_deref())
}
