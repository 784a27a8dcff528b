//! `Dataset`: ingestion of rows and event columns, counts, and the rows back out.
//!
//! Rows cross the boundary in the core's serde JSON form (snake_case keys, e.g. `account_id`),
//! so the same JSON files work in Rust, Python and Node. Each JS row is converted to a
//! `serde_json::Value` (a `Date` becomes milliseconds since the epoch) and deserialised into the
//! core's row type on its own, so a malformed row is reported with its position and field —
//! as an error in strict mode, in `rejected` in lenient mode — exactly like the rows the core
//! itself rejects.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::{FileReader, StreamReader};
use custfit::data::RowInput;
use custfit::{Dataset as CoreDataset, Entity, Error, Event, IngestOptions, PropertyValue};
use napi::bindgen_prelude::{Array, BigInt, Env, Float64Array, Object, Uint8Array, Unknown, ValueType};
use napi::JsDate;
use napi::JsValue;
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::error::{invalid_argument, IntoCore, Result, Throw};
use crate::time::type_name;

/// Deepest nesting accepted in a row or config (rows are two levels deep).
use custfit::document::MAX_DEPTH;

// ------------------------------------------------------------------ JS values -> serde_json

/// A value that cannot be represented, with the path to it (`properties.score`).
#[derive(Debug)]
pub struct Unrepresentable {
    /// Dotted path inside the converted value.
    pub path: String,
    /// What was wrong.
    pub reason: String,
}

/// The string of a JS string value; `invalid_argument` for any other type.
pub fn string_of(value: &Unknown<'_>) -> Result<String> {
    crate::arg::string(value, "value")
}

/// Converts a JS value to JSON. `undefined` (and a missing key) is `None`, like `JSON.stringify`;
/// a `Date` is its milliseconds since the epoch; NaN and infinities are errors (JSON has none).
pub fn to_json(value: &Unknown<'_>, path: &str, depth: usize) -> Result<Option<Value>, Unrepresentable> {
    let bad = |reason: String| Unrepresentable { path: path.to_string(), reason };
    let napi_bad = |e: napi::Error| Unrepresentable { path: path.to_string(), reason: e.reason.clone() };
    if depth > MAX_DEPTH {
        return Err(bad(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let ty = value.get_type().map_err(napi_bad)?;
    // SAFETY (every `cast` below): the value's type was checked first.
    Ok(Some(match ty {
        ValueType::Undefined => return Ok(None),
        ValueType::Null => Value::Null,
        ValueType::Boolean => Value::Bool(unsafe { value.cast::<bool>() }.map_err(napi_bad)?),
        ValueType::Number => number(unsafe { value.cast::<f64>() }.map_err(napi_bad)?).map_err(bad)?,
        ValueType::String => {
            Value::String(crate::arg::js_text(value).map_err(napi_bad)?.ok_or_else(|| bad(crate::arg::LONE_SURROGATE.into()))?)
        }
        ValueType::BigInt => {
            let b = unsafe { value.cast::<BigInt>() }.map_err(napi_bad)?;
            match b.get_i64() {
                (v, true) => Value::from(v),
                _ => return Err(bad("bigint outside the 64-bit range".into())),
            }
        }
        ValueType::Object if value.is_date().map_err(napi_bad)? => {
            let ms = unsafe { value.cast::<JsDate<'_>>() }.map_err(napi_bad)?.value_of().map_err(napi_bad)?;
            if ms.is_nan() {
                return Err(bad("Invalid Date".into()));
            }
            // As RFC 3339 text: a Date is an explicit instant, never mistaken for seconds.
            let t = crate::time::millis(ms, path).map_err(|e| bad(e.to_string()))?;
            Value::String(t.to_rfc3339())
        }
        ValueType::Object if value.is_array().map_err(napi_bad)? => {
            let arr = unsafe { value.cast::<Array<'_>>() }.map_err(napi_bad)?;
            let mut out = Vec::with_capacity(arr.len() as usize);
            for i in 0..arr.len() {
                let item = arr.get::<Unknown<'_>>(i).map_err(napi_bad)?;
                let item_path = format!("{path}[{i}]");
                let v = match item {
                    Some(item) => to_json(&item, &item_path, depth + 1)?.unwrap_or(Value::Null),
                    None => Value::Null,
                };
                out.push(v);
            }
            Value::Array(out)
        }
        ValueType::Object => {
            let obj = unsafe { value.cast::<Object<'_>>() }.map_err(napi_bad)?;
            let mut out = Map::new();
            for key in Object::keys(&obj).map_err(napi_bad)? {
                let key_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if let Some(item) = obj.get::<Unknown<'_>>(&key).map_err(napi_bad)? {
                    if let Some(v) = to_json(&item, &key_path, depth + 1)? {
                        out.insert(key, v);
                    }
                }
            }
            Value::Object(out)
        }
        other => return Err(bad(format!("{} cannot be converted to data", type_name(other)))),
    }))
}

/// A JSON number: whole numbers become integers so they fit integer fields (`seats`, `minor`).
fn number(x: f64) -> Result<Value, String> {
    if !x.is_finite() {
        return Err(format!("{x} is not a finite number"));
    }
    // A whole number within 64 bits crosses as an integer, so the core applies its integer rules
    // (an attribute or property beyond ±2^53 is refused: JS has already rounded it).
    if x.fract() == 0.0 && x.abs() < i64::MAX as f64 {
        return Ok(Value::from(x as i64));
    }
    if x.fract() == 0.0 && (0.0..u64::MAX as f64).contains(&x) {
        return Ok(Value::from(x as u64));
    }
    Number::from_f64(x).map(Value::Number).ok_or_else(|| format!("{x} is not a finite number"))
}

/// An options object (a JS-native argument): camelCase keys (`futureToleranceHours`) are
/// accepted as well as the serde names (`future_tolerance_hours`), then deserialised with the
/// core's serde rules (unknown keys and bad enum strings error, listing the valid values).
pub fn options_object<T: DeserializeOwned + Default>(value: Option<&Unknown<'_>>, name: &str) -> Result<T> {
    let Some(value) = value else { return Ok(T::default()) };
    let json = match value.get_type().core()? {
        ValueType::Undefined | ValueType::Null => return Ok(T::default()),
        ValueType::Object if !value.is_array().core()? && !value.is_date().core()? => {
            to_json(value, "", 0).map_err(|u| invalid_argument(name, format!("{}: {}", u.path, u.reason)))?
        }
        other => return Err(invalid_argument(name, format!("expected an options object, got {}", type_name(other)))),
    };
    let json = match json {
        Some(Value::Object(map)) => Value::Object(map.into_iter().map(|(k, v)| (custfit::document::snake_case(&k), v)).collect()),
        other => other.unwrap_or(Value::Null),
    };
    serde_json::from_value(json).map_err(|e| invalid_argument(name, e.to_string()))
}

// ------------------------------------------------------------------ rows

/// A JS array of row objects in the serde form the core reads (`Dataset::add_json_rows`, which
/// owns strict/lenient handling, codes and positions); a row that is not an object, or holds a
/// value JSON cannot express, is handed over as unreadable.
fn parse_rows(rows: &Unknown<'_>, entity: Entity) -> Result<Vec<RowInput>> {
    if !rows.is_array().core()? {
        let t = rows.get_type().core()?;
        return Err(invalid_argument("rows", format!("expected an array of {entity} objects, got {}", type_name(t))));
    }
    // SAFETY: `is_array` was checked.
    let arr = unsafe { rows.cast::<Array<'_>>() }.core()?;
    let mut out = Vec::with_capacity(arr.len() as usize);
    for i in 0..arr.len() {
        let item = arr.get::<Unknown<'_>>(i).core()?;
        let is_object = match &item {
            Some(item) => item.get_type().core()? == ValueType::Object && !item.is_array().core()? && !item.is_date().core()?,
            None => false,
        };
        let (Some(item), true) = (item, is_object) else {
            let t = item.map(|v| v.get_type()).transpose().core()?.unwrap_or(ValueType::Undefined);
            let reason = format!("expected an object, got {}", type_name(t));
            out.push(RowInput::Unreadable { field: String::new(), reason, timestamp: false });
            continue;
        };
        out.push(match to_json(&item, "", 0) {
            Ok(v) => RowInput::Json(v.unwrap_or(Value::Null)),
            Err(u) => RowInput::Unreadable { field: u.path, reason: u.reason, timestamp: false },
        });
    }
    Ok(out)
}

/// Runs the core's row ingestion on the dataset (copy-on-write: a snapshot still computing on
/// another thread keeps the old data).
fn ingest(dataset: &mut Arc<CoreDataset>, entity: Entity, rows: Vec<RowInput>, options: &IngestOptions) -> Result<Value> {
    json_out(&Arc::make_mut(dataset).add_json_rows(entity, rows, options)?)
}

/// Arrow IPC bytes (a `Uint8Array` or `Buffer` in the stream or file format, e.g.
/// `tableToIPC(table)` of apache-arrow) as record batches; `None` when `value` is not bytes.
pub(crate) fn arrow_ipc(value: &Unknown<'_>) -> Result<Option<Vec<RecordBatch>>> {
    if !value.is_typedarray().core()? {
        return Ok(None);
    }
    // SAFETY: a typed array; `Uint8Array` checks the element type and errors otherwise.
    let bytes = unsafe { value.cast::<Uint8Array>() }
        .map_err(|_| invalid_argument("rows", "Arrow IPC data must be a Uint8Array or Buffer"))?;
    let bad = |e: arrow_schema::ArrowError| Error::Parse { what: "Arrow IPC".into(), reason: e.to_string() };
    let data: &[u8] = &bytes;
    let batches = if data.starts_with(b"ARROW1") {
        FileReader::try_new(std::io::Cursor::new(data), None).map_err(bad)?.collect::<std::result::Result<Vec<_>, _>>()
    } else {
        StreamReader::try_new(data, None).map_err(bad)?.collect::<std::result::Result<Vec<_>, _>>()
    };
    batches.map(Some).map_err(bad)
}

/// One `add*` call: Arrow IPC bytes go to the core's Arrow readers (no JS value per cell), an
/// array of row objects to its row rules.
fn add_table(dataset: &mut Arc<CoreDataset>, entity: Entity, rows: &Unknown<'_>, options: Option<&Unknown<'_>>) -> Result<Value> {
    let options: IngestOptions = options_object(options, "options")?;
    let Some(batches) = arrow_ipc(rows)? else {
        let rows = parse_rows(rows, entity)?;
        return ingest(dataset, entity, rows, &options);
    };
    let ds = Arc::make_mut(dataset);
    let report = match entity {
        Entity::Account => ds.add_accounts_arrow(&batches, &options)?,
        Entity::User => ds.add_users_arrow(&batches, &options)?,
        Entity::Subscription => ds.add_subscriptions_arrow(&batches, &options)?,
        Entity::Event => ds.add_events_arrow(&batches, &options)?,
    };
    json_out(&report)
}

// ------------------------------------------------------------------ event columns

/// An optional column of the `addEventColumns` input (absent or `null` = `None`).
fn optional_column<'a>(columns: &Object<'a>, name: &str, len: u32) -> Result<Option<Array<'a>>> {
    match columns.get::<Unknown<'_>>(name).core()? {
        None => Ok(None),
        Some(v) if v.get_type().core()? == ValueType::Null => Ok(None),
        Some(v) => array_column(&v, name, Some(len)).map(Some),
    }
}

/// A required column of the `addEventColumns` input.
fn required_column<'a>(columns: &Object<'a>, name: &str, len: Option<u32>) -> Result<Array<'a>> {
    match columns.get::<Unknown<'_>>(name).core()? {
        None => Err(invalid_argument(name, "is required (an array)")),
        Some(v) => array_column(&v, name, len),
    }
}

fn array_column<'a>(value: &Unknown<'_>, name: &str, len: Option<u32>) -> Result<Array<'a>> {
    if !value.is_array().core()? {
        return Err(invalid_argument(name, format!("expected an array, got {}", type_name(value.get_type().core()?))));
    }
    // SAFETY: `is_array` was checked.
    let arr = unsafe { value.cast::<Array<'a>>() }.core()?;
    if let Some(n) = len {
        if arr.len() != n {
            return Err(invalid_argument(name, format!("has {} values, accountId has {n}", arr.len())));
        }
    }
    Ok(arr)
}

fn text_cell(arr: &Array<'_>, i: u32, field: &str, optional: bool) -> Result<Option<String>, (String, String)> {
    let v = arr.get::<Unknown<'_>>(i).map_err(|e| (field.to_string(), e.reason.clone()))?;
    let Some(v) = v else {
        return if optional { Ok(None) } else { Err((field.to_string(), "is required".into())) };
    };
    match v.get_type().map_err(|e| (field.to_string(), e.reason.clone()))? {
        ValueType::Null if optional => Ok(None),
        // SAFETY: the type was just checked.
        ValueType::String => match crate::arg::js_text(&v).map_err(|e| (field.to_string(), e.reason.clone()))? {
            Some(text) => Ok(Some(text)),
            None => Err((field.to_string(), crate::arg::LONE_SURROGATE.into())),
        },
        other => Err((field.to_string(), format!("expected a string, got {}", type_name(other)))),
    }
}

/// The reason part of a core error (without the "invalid argument `x`:" prefix).
fn reason_of(e: &Error) -> String {
    match e {
        Error::Argument { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Builds events from column arrays (no JS object per row).
fn parse_event_columns(columns: &Unknown<'_>) -> Result<Vec<RowInput>> {
    if columns.get_type().core()? != ValueType::Object || columns.is_array().core()? {
        return Err(invalid_argument("columns", "expected an object of column arrays {accountId, timestamp, name, …}"));
    }
    // SAFETY: the type was just checked.
    let obj = unsafe { columns.cast::<Object<'_>>() }.core()?;
    let keys = Object::keys(&obj).core()?;
    let pick = |camel: &str, snake: &str| if keys.iter().any(|k| k == snake) { snake.to_string() } else { camel.to_string() };
    for k in &keys {
        if !["accountId", "account_id", "userId", "user_id", "timestamp", "name", "properties"].contains(&k.as_str()) {
            return Err(invalid_argument(
                "columns",
                format!("unknown column `{k}` (expected accountId, userId, timestamp, name, properties)"),
            ));
        }
    }
    let account = required_column(&obj, &pick("accountId", "account_id"), None)?;
    let n = account.len();
    let user = optional_column(&obj, &pick("userId", "user_id"), n)?;
    let name = required_column(&obj, "name", Some(n))?;
    // Timestamps: a Float64Array of milliseconds (fast path) or an array of Date | string | number.
    let ts_value = obj.get::<Unknown<'_>>("timestamp").core()?.ok_or_else(|| invalid_argument("timestamp", "is required"))?;
    let ts_typed: Option<Vec<f64>> = if ts_value.is_typedarray().core()? {
        // SAFETY: a typed array; `Float64Array` validates the element type and errors otherwise.
        let typed = unsafe { ts_value.cast::<Float64Array>() }
            .map_err(|_| invalid_argument("timestamp", "a typed array of timestamps must be a Float64Array"))?;
        if typed.len() != n as usize {
            return Err(invalid_argument("timestamp", format!("has {} values, accountId has {n}", typed.len())));
        }
        Some(typed.to_vec())
    } else {
        None
    };
    let ts_array = if ts_typed.is_none() { Some(required_column(&obj, "timestamp", Some(n))?) } else { None };
    // Properties: {key: array}, null/undefined = absent.
    let mut props: Vec<(String, Array<'_>)> = Vec::new();
    if let Some(p) = obj.get::<Unknown<'_>>("properties").core()? {
        match p.get_type().core()? {
            ValueType::Null => {}
            ValueType::Object if !p.is_array().core()? => {
                // SAFETY: the type was just checked.
                let pobj = unsafe { p.cast::<Object<'_>>() }.core()?;
                for key in Object::keys(&pobj).core()? {
                    let arr = required_column(&pobj, &key, Some(n)).map_err(|_| {
                        invalid_argument("properties", format!("`{key}` must be an array with one value per event ({n})"))
                    })?;
                    props.push((key, arr));
                }
            }
            other => {
                return Err(invalid_argument("properties", format!("expected an object of arrays, got {}", type_name(other))))
            }
        }
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let row = (|| -> Result<Event, (String, String)> {
            let account_id = text_cell(&account, i, "account_id", false)?.unwrap_or_default();
            let user_id = match &user {
                Some(u) => text_cell(u, i, "user_id", true)?,
                None => None,
            };
            let name = text_cell(&name, i, "name", false)?.unwrap_or_default();
            let timestamp = match (&ts_typed, &ts_array) {
                (Some(v), _) => crate::time::millis(v[i as usize], "timestamp"),
                (None, Some(arr)) => match arr.get::<Unknown<'_>>(i).map_err(|e| ("timestamp".to_string(), e.reason.clone()))? {
                    Some(v) => crate::time::timestamp_arg(&v, "timestamp"),
                    None => return Err(("timestamp".into(), "is required".into())),
                },
                (None, None) => return Err(("timestamp".into(), "is required".into())),
            }
            .map_err(|e| ("timestamp".to_string(), reason_of(&e)))?;
            let mut event = Event::new(account_id, user_id.as_deref(), timestamp, name);
            for (key, arr) in &props {
                let field = format!("properties.{key}");
                let Some(v) = arr.get::<Unknown<'_>>(i).map_err(|e| (field.clone(), e.reason.clone()))? else { continue };
                let value = match to_json(&v, &field, 1).map_err(|u| (u.path, u.reason))? {
                    None | Some(Value::Null) => continue,
                    Some(Value::Bool(b)) => PropertyValue::Bool(b),
                    Some(Value::String(s)) => PropertyValue::String(s),
                    Some(Value::Number(x)) => PropertyValue::Number(x.as_f64().unwrap_or(f64::NAN)),
                    Some(_) => return Err((field, "expected a string, number, boolean or null".into())),
                };
                event.properties.insert(key.clone(), value);
            }
            Ok(event)
        })();
        out.push(match row.and_then(|e| serde_json::to_value(e).map_err(|e| (String::new(), e.to_string()))) {
            Ok(json) => RowInput::Json(json),
            Err((field, reason)) => RowInput::Unreadable { field, reason, timestamp: false },
        });
    }
    Ok(out)
}

// ------------------------------------------------------------------ JS-facing types

/// Options of one ingestion call. camelCase or the serde names (`future_tolerance_hours`).
#[napi(object, object_to_js = false, js_name = "IngestOptions")]
pub struct IngestOptionsJs {
    /// `'strict'` (default: the first bad row throws, the dataset is unchanged) or `'lenient'`
    /// (good rows are added, bad rows come back in `rejected`).
    #[napi(ts_type = "'strict' | 'lenient'")]
    pub mode: Option<String>,
    /// Identical events: `'drop'` (default, counted in `duplicatesDropped`), `'keep'`, or
    /// `'reject'` (`duplicate_event`).
    #[napi(ts_type = "'drop' | 'keep' | 'reject'")]
    pub duplicates: Option<String>,
    /// The instant treated as "now" for the future check (default: the wall clock).
    #[napi(ts_type = "Date | string | number")]
    pub now: Option<serde_json::Value>,
    /// Events later than now plus this many hours are `future_timestamp` (default 24).
    pub future_tolerance_hours: Option<u32>,
    /// Skip the future check (e.g. for simulated futures).
    pub allow_future: Option<bool>,
}

/// An account row as `addAccounts` reads it: `AccountRow`, with instants also as `Date` or ms.
#[napi(object, object_to_js = false, js_name = "AccountInput")]
pub struct AccountRow {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// When the account was created.
    #[napi(js_name = "created_at", ts_type = "Date | string | number")]
    pub created_at: serde_json::Value,
    /// The owning CSM.
    pub owner: Option<String>,
    /// Parent account id (must be added first).
    #[napi(js_name = "parent_id")]
    pub parent_id: Option<String>,
    /// Licensed seats (0..=4294967295).
    pub seats: Option<u32>,
    /// Typed attributes; a date is `{date: …}`.
    #[napi(ts_type = "Record<string, string | number | boolean | { date: Date | string | number }>")]
    pub attributes: Option<serde_json::Value>,
}

/// A user row as `addUsers` reads it: `UserRow`, with instants also as `Date` or ms.
#[napi(object, object_to_js = false, js_name = "UserInput")]
pub struct UserRow {
    /// Unique id.
    pub id: String,
    /// The account the user belongs to.
    #[napi(js_name = "account_id")]
    pub account_id: String,
    /// Role within the account (default `'member'`).
    #[napi(ts_type = "'admin' | 'champion' | 'executive' | 'member'")]
    pub role: Option<String>,
    /// When the user was created.
    #[napi(js_name = "created_at", ts_type = "Date | string | number")]
    pub created_at: serde_json::Value,
    /// When the user was deactivated, if ever.
    #[napi(js_name = "deactivated_at", ts_type = "Date | string | number")]
    pub deactivated_at: Option<serde_json::Value>,
}

/// A subscription row as `addSubscriptions` reads it: `SubscriptionRow`, with instants also as `Date` or ms.
#[napi(object, object_to_js = false, js_name = "SubscriptionInput")]
pub struct SubscriptionRow {
    /// The subscribing account.
    #[napi(js_name = "account_id")]
    pub account_id: String,
    /// Plan name.
    pub plan: String,
    /// First instant in force.
    #[napi(ts_type = "Date | string | number")]
    pub start: serde_json::Value,
    /// Renewal date: first instant no longer in force.
    #[napi(ts_type = "Date | string | number")]
    pub end: Option<serde_json::Value>,
    /// Monthly recurring revenue in minor units (0..=10^15) and its ISO 4217 currency.
    #[napi(ts_type = "{ minor: number; currency: string }")]
    pub mrr: serde_json::Value,
    /// Quantity (default 1).
    pub quantity: Option<u32>,
    /// Row status (default `'active'`).
    #[napi(ts_type = "'active' | 'trial' | 'canceled' | 'past_due'")]
    pub status: Option<String>,
}

/// An event row as `addEvents` reads it: `EventRow`, with instants also as `Date` or ms.
#[napi(object, object_to_js = false, js_name = "EventInput")]
pub struct EventRow {
    /// The account.
    #[napi(js_name = "account_id")]
    pub account_id: String,
    /// The acting user, if known.
    #[napi(js_name = "user_id", ts_type = "string | null")]
    pub user_id: Option<String>,
    /// When it happened.
    #[napi(ts_type = "Date | string | number")]
    pub timestamp: serde_json::Value,
    /// Event name, e.g. `login`.
    pub name: String,
    /// Properties (finite numbers, strings, booleans).
    #[napi(ts_type = "Record<string, string | number | boolean>")]
    pub properties: Option<serde_json::Value>,
}

/// Events as column arrays, one value per event (no JS object per row).
#[napi(object, object_to_js = false)]
pub struct EventColumns {
    /// Account ids.
    pub account_id: Vec<String>,
    /// Acting users (`null` = none).
    #[napi(ts_type = "Array<string | null>")]
    pub user_id: Option<serde_json::Value>,
    /// Instants: a `Float64Array` of milliseconds since the epoch, or an array of Date | string | number.
    #[napi(ts_type = "Float64Array | Array<Date | string | number>")]
    pub timestamp: serde_json::Value,
    /// Event names.
    pub name: Vec<String>,
    /// Property columns: `{key: values}`, `null`/`undefined` = absent.
    #[napi(ts_type = "Record<string, Array<string | number | boolean | null | undefined>>")]
    pub properties: Option<serde_json::Value>,
}

// ------------------------------------------------------------------ Dataset

/// Validated customer data: accounts, users, subscriptions and events, held columnar.
///
/// Every `add…` call is one batch. In strict mode (the default) it is all-or-nothing: on error
/// it throws (`err.code`, e.g. `'unknown_account'`) and the dataset is exactly as before. Add
/// accounts before the users, subscriptions and events that refer to them.
#[napi]
pub struct Dataset {
    pub(crate) inner: Arc<CoreDataset>,
}

impl Dataset {
    /// Wraps a core dataset.
    pub fn wrap(ds: CoreDataset) -> Self {
        Dataset { inner: Arc::new(ds) }
    }
}

fn json_out<T: serde::Serialize>(value: &T) -> Result<Value> {
    crate::health::json(value)
}

#[napi]
impl Dataset {
    /// An empty dataset.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Dataset::wrap(CoreDataset::new())
    }

    /// Adds accounts (rows in the serde form: `{id, name, created_at, …}`). Parents may be
    /// earlier in the same batch or already held.
    #[napi(
        catch_unwind,
        ts_args_type = "rows: Array<AccountInput> | Uint8Array, options?: IngestOptions",
        ts_return_type = "IngestReport"
    )]
    pub fn add_accounts(&mut self, env: &Env, rows: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Value> {
        add_table(&mut self.inner, Entity::Account, &rows, options.as_ref()).throw(env)
    }

    /// Adds users of accounts already held.
    #[napi(
        catch_unwind,
        ts_args_type = "rows: Array<UserInput> | Uint8Array, options?: IngestOptions",
        ts_return_type = "IngestReport"
    )]
    pub fn add_users(&mut self, env: &Env, rows: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Value> {
        add_table(&mut self.inner, Entity::User, &rows, options.as_ref()).throw(env)
    }

    /// Adds subscription rows. All money shares one currency (the first row's sets it).
    #[napi(
        catch_unwind,
        ts_args_type = "rows: Array<SubscriptionInput> | Uint8Array, options?: IngestOptions",
        ts_return_type = "IngestReport"
    )]
    pub fn add_subscriptions(&mut self, env: &Env, rows: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Value> {
        add_table(&mut self.inner, Entity::Subscription, &rows, options.as_ref()).throw(env)
    }

    /// Adds events of accounts (and users) already held. Order within the batch does not matter.
    #[napi(
        catch_unwind,
        ts_args_type = "rows: Array<EventInput> | Uint8Array, options?: IngestOptions",
        ts_return_type = "IngestReport"
    )]
    pub fn add_events(&mut self, env: &Env, rows: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Value> {
        add_table(&mut self.inner, Entity::Event, &rows, options.as_ref()).throw(env)
    }

    /// Adds events given as columns: `{accountId, userId?, timestamp, name, properties?}`, one
    /// value per event in each array. Same validation and report as `addEvents`.
    #[napi(catch_unwind, ts_args_type = "columns: EventColumns, options?: IngestOptions", ts_return_type = "IngestReport")]
    pub fn add_event_columns(&mut self, env: &Env, columns: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Value> {
        let mut run = || {
            let options: IngestOptions = options_object(options.as_ref(), "options")?;
            let rows = parse_event_columns(&columns)?;
            ingest(&mut self.inner, Entity::Event, rows, &options)
        };
        run().throw(env)
    }

    /// Number of accounts.
    #[napi(getter, catch_unwind)]
    pub fn account_count(&self) -> f64 {
        self.inner.account_count() as f64
    }

    /// Number of users.
    #[napi(getter, catch_unwind)]
    pub fn user_count(&self) -> f64 {
        self.inner.user_count() as f64
    }

    /// Number of subscription rows.
    #[napi(getter, catch_unwind)]
    pub fn subscription_count(&self) -> f64 {
        self.inner.subscription_count() as f64
    }

    /// Number of events.
    #[napi(getter, catch_unwind)]
    pub fn event_count(&self) -> f64 {
        self.inner.event_count() as f64
    }

    /// The dataset's currency (set by the first subscription), or `null`.
    #[napi(getter, catch_unwind)]
    pub fn currency(&self) -> Option<String> {
        self.inner.currency().map(str::to_string)
    }

    /// The latest instant the data records (last event, account or user creation, user
    /// deactivation; subscriptions, written ahead, do not count), or `null` when empty. Outcomes
    /// are known up to the end of its day: a later `knownAt` is refused.
    #[napi(getter, catch_unwind)]
    pub fn data_end(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.inner.data_end().map(crate::time::date)
    }

    /// Bytes held, by part.
    #[napi(catch_unwind, ts_return_type = "MemoryUsage")]
    pub fn memory_usage(&self, env: &Env) -> napi::Result<Value> {
        json_out(&self.inner.memory_usage()).throw(env)
    }

    /// Accounts in insertion order, in the serde form (timestamps as ISO strings), so
    /// `other.addAccounts(ds.accounts())` round-trips.
    #[napi(catch_unwind, ts_return_type = "Array<AccountRow>")]
    pub fn accounts(&self, env: &Env) -> napi::Result<Value> {
        json_out(&self.inner.accounts()).throw(env)
    }

    /// Users in insertion order, in the serde form.
    #[napi(catch_unwind, ts_return_type = "Array<UserRow>")]
    pub fn users(&self, env: &Env) -> napi::Result<Value> {
        json_out(&self.inner.users()).throw(env)
    }

    /// Subscriptions sorted by account and start, in the serde form.
    #[napi(catch_unwind, ts_return_type = "Array<SubscriptionRow>")]
    pub fn subscriptions(&self, env: &Env) -> napi::Result<Value> {
        json_out(&self.inner.subscriptions()).throw(env)
    }

    /// Events sorted by account and time, in the serde form.
    #[napi(catch_unwind, ts_return_type = "Array<EventRow>")]
    pub fn events(&self, env: &Env) -> napi::Result<Value> {
        json_out(&self.inner.events()).throw(env)
    }
}
