//! The ledger as two Arrow tables — its actions (one row per action) and its memory (one row per
//! account of the last run) — for dataframes, Arrow files and ledgers too large for JSON.
//!
//! `actions`: `account_id`, `key`, `play`, `play_version`, `kind`, `owner`, `owner_role`,
//! `priority`, `effort_hours`, `payload` (JSON text), `created_at`, `updated_at`, `due_at`,
//! `status`, `closed_at`, `reasons` (a JSON object as text), `arm` (`treatment`, `holdout`,
//! `global_holdout`; absent in tables written before experiments). `memory`: `account_id`, then per
//! edge-triggered play a bool column `held.<play>`, then per remembered column `prev.<column>`
//! with its type. Both schemas carry the ledger's `custfit.play_state.version`, `.playbook` and
//! `.last_run` in their metadata.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{DataType as ArrowType, Field, Schema, TimeUnit as ArrowUnit};

use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData};

use crate::time::Timestamp;

use super::state::{Action, ActionStatus, Arm, PlayMemory, PlayState, PreviousValues, Reasons, SharedStr, PLAY_STATE_VERSION};

const VERSION: &str = "custfit.play_state.version";
const PLAYBOOK: &str = "custfit.play_state.playbook";
const LAST_RUN: &str = "custfit.play_state.last_run";
const HELD: &str = "held.";
const PREV: &str = "prev.";

fn bad(reason: impl std::fmt::Display) -> Error {
    Error::parse("play state Arrow tables", reason.to_string())
}

fn with_metadata(batch: RecordBatch, state: &PlayState) -> Result<RecordBatch> {
    let mut meta: HashMap<String, String> = HashMap::new();
    meta.insert(VERSION.into(), state.version.to_string());
    if let Some(p) = &state.playbook {
        meta.insert(PLAYBOOK.into(), p.clone());
    }
    if let Some(t) = state.last_run {
        meta.insert(LAST_RUN.into(), t.to_rfc3339());
    }
    let schema = Arc::new(batch.schema().as_ref().clone().with_metadata(meta));
    batch.with_schema(schema).map_err(|e| Error::argument("state", e.to_string()))
}

impl PlayState {
    /// The ledger as `(actions, memory)` record batches (see the module docs); read back with
    /// [`PlayState::from_arrow`].
    pub fn to_arrow(&self) -> Result<(RecordBatch, RecordBatch)> {
        let a = &self.actions;
        let texts = |f: &dyn Fn(&Action) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(a.iter().map(|x| f(x)))) };
        let ints = |f: &dyn Fn(&Action) -> i64| -> ArrayRef { Arc::new(Int64Array::from_iter_values(a.iter().map(|x| f(x)))) };
        let times = |f: &dyn Fn(&Action) -> Option<Timestamp>| -> ArrayRef {
            Arc::new(
                TimestampMillisecondArray::from(a.iter().map(|x| f(x).map(Timestamp::millis)).collect::<Vec<_>>())
                    .with_timezone("UTC"),
            )
        };
        // JSON text of the payloads (shared by reference: written once each) and the reasons.
        let mut payloads: HashMap<usize, String> = HashMap::new();
        let mut payload = StringBuilder::with_capacity(a.len(), 16 * a.len());
        let mut reasons = StringBuilder::with_capacity(a.len(), 64 * a.len());
        let mut buffer = Vec::new();
        for x in a.iter() {
            let text = payloads.entry(Arc::as_ptr(&x.payload) as usize).or_insert_with(|| x.payload.to_string());
            payload.append_value(text.as_str());
            buffer.clear();
            serde_json::to_writer(&mut buffer, &x.reasons).map_err(|e| Error::argument("state", e.to_string()))?;
            reasons.append_value(String::from_utf8_lossy(&buffer));
        }
        let utc = || ArrowType::Timestamp(ArrowUnit::Millisecond, Some("UTC".into()));
        let fields = vec![
            Field::new("account_id", ArrowType::Utf8, false),
            Field::new("key", ArrowType::Utf8, false),
            Field::new("play", ArrowType::Utf8, false),
            Field::new("play_version", ArrowType::Int64, false),
            Field::new("kind", ArrowType::Utf8, false),
            Field::new("owner", ArrowType::Utf8, true),
            Field::new("owner_role", ArrowType::Utf8, false),
            Field::new("priority", ArrowType::Int64, false),
            Field::new("effort_hours", ArrowType::Float64, false),
            Field::new("payload", ArrowType::Utf8, false),
            Field::new("created_at", utc(), false),
            Field::new("updated_at", utc(), false),
            Field::new("due_at", utc(), false),
            Field::new("status", ArrowType::Utf8, false),
            Field::new("closed_at", utc(), true),
            Field::new("reasons", ArrowType::Utf8, false),
            Field::new("arm", ArrowType::Utf8, false),
        ];
        let arrays: Vec<ArrayRef> = vec![
            texts(&|x| &x.account_id),
            texts(&|x| &x.key),
            texts(&|x| &x.play),
            ints(&|x| i64::from(x.play_version)),
            texts(&|x| &x.kind),
            Arc::new(a.iter().map(|x| x.owner.as_deref()).collect::<StringArray>()),
            texts(&|x| &x.owner_role),
            ints(&|x| i64::from(x.priority)),
            Arc::new(Float64Array::from_iter_values(a.iter().map(|x| x.effort_hours))),
            Arc::new(payload.finish()),
            times(&|x| Some(x.created_at)),
            times(&|x| Some(x.updated_at)),
            times(&|x| Some(x.due_at)),
            texts(&|x| x.status.as_str()),
            times(&|x| x.closed_at),
            Arc::new(reasons.finish()),
            texts(&|x| x.arm.as_str()),
        ];
        let actions =
            RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| Error::argument("state", e.to_string()))?;

        let m = &self.memory;
        let n = m.accounts.len();
        let mut columns = Vec::new();
        for (play, rows) in &m.held {
            let mut held = vec![Some(false); n];
            for &r in rows {
                if let Some(x) = held.get_mut(r as usize) {
                    *x = Some(true);
                }
            }
            columns.push(Column::new(format!("{HELD}{play}"), ColumnData::Bool(held)));
        }
        for (name, values) in &m.columns {
            columns.push(Column::new(format!("{PREV}{name}"), values.to_column()));
        }
        let ids = m.accounts.iter().map(SharedStr::to_string).collect();
        let memory = AccountColumns::by_account(ids, columns).to_arrow()?;
        Ok((with_metadata(actions, self)?, with_metadata(memory, self)?))
    }

    /// Reads a ledger written by [`PlayState::to_arrow`] (the batches of each table, in order),
    /// checked as a ledger read from JSON is: a newer version is `unsupported_version`, anything
    /// malformed `parse_error`.
    pub fn from_arrow(actions: &[RecordBatch], memory: &[RecordBatch]) -> Result<PlayState> {
        let meta = actions
            .iter()
            .chain(memory)
            .map(|b| b.schema().metadata().clone())
            .find(|m| m.contains_key(VERSION))
            .ok_or_else(|| bad(format!("no `{VERSION}` in either table's schema metadata")))?;
        let version: u32 = meta[VERSION].parse().map_err(|_| bad(format!("`{VERSION}` is not a whole number")))?;
        if version != PLAY_STATE_VERSION {
            return Err(Error::UnsupportedVersion { what: "play state".into(), found: version, supported: PLAY_STATE_VERSION });
        }
        let last_run =
            meta.get(LAST_RUN).map(|t| Timestamp::parse(t)).transpose().map_err(|e| bad(format!("`{LAST_RUN}`: {e}")))?;

        let table = crate::io::arrow::columns_from_arrow(actions)?;
        let ids = table.account_ids.unwrap_or_default();
        let n = ids.len();
        let mut cols: BTreeMap<String, ColumnData> = table.columns.into_iter().map(|c| (c.name, c.data)).collect();
        let mut take = |name: &str| cols.remove(name).ok_or_else(|| bad(format!("actions: no column `{name}`")));
        let texts = |data: ColumnData, name: &str| match data {
            ColumnData::Str(v) => Ok(v),
            _ => Err(bad(format!("actions: `{name}` must be text"))),
        };
        let times = |data: ColumnData, name: &str| match data {
            ColumnData::Timestamp(v) => Ok(v),
            _ => Err(bad(format!("actions: `{name}` must be a timestamp"))),
        };
        let wholes = |data: ColumnData, name: &str| match data {
            ColumnData::Int(v) => Ok(v),
            _ => Err(bad(format!("actions: `{name}` must be whole numbers"))),
        };
        let mut key = texts(take("key")?, "key")?;
        let mut play = texts(take("play")?, "play")?;
        let play_version = wholes(take("play_version")?, "play_version")?;
        let mut kind = texts(take("kind")?, "kind")?;
        let mut owner = texts(take("owner")?, "owner")?;
        let mut owner_role = texts(take("owner_role")?, "owner_role")?;
        let priority = wholes(take("priority")?, "priority")?;
        let effort = match take("effort_hours")? {
            ColumnData::Float(v) => v,
            ColumnData::Int(v) => v.into_iter().map(|x| x.map(|x| x as f64)).collect(),
            _ => return Err(bad("actions: `effort_hours` must be numbers")),
        };
        let mut payload = texts(take("payload")?, "payload")?;
        let created_at = times(take("created_at")?, "created_at")?;
        let updated_at = times(take("updated_at")?, "updated_at")?;
        let due_at = times(take("due_at")?, "due_at")?;
        let mut status = texts(take("status")?, "status")?;
        let closed_at = times(take("closed_at")?, "closed_at")?;
        let reasons = texts(take("reasons")?, "reasons")?;
        // Tables written before experiments have no `arm`: every action was treated.
        let mut arm = match cols.remove("arm") {
            Some(c) => texts(c, "arm")?,
            None => vec![Some("treatment".to_string()); n],
        };
        if let Some(extra) = cols.keys().next() {
            return Err(bad(format!("actions: unknown column `{extra}`")));
        }
        let mut payloads: HashMap<String, Arc<serde_json::Value>> = HashMap::new();
        let mut out = Vec::with_capacity(n);
        for (i, id) in ids.into_iter().enumerate() {
            let need = |v: &mut [Option<String>], name: &str| {
                v.get_mut(i).and_then(Option::take).ok_or_else(|| bad(format!("actions row {i}: `{name}` is missing")))
            };
            let when = |v: &[Option<Timestamp>], name: &str| {
                v.get(i).copied().flatten().ok_or_else(|| bad(format!("actions row {i}: `{name}` is missing")))
            };
            let whole = |v: &[Option<i64>], name: &str| {
                v.get(i)
                    .copied()
                    .flatten()
                    .and_then(|x| u32::try_from(x).ok())
                    .ok_or_else(|| bad(format!("actions row {i}: `{name}` must be a whole number 0..2^32")))
            };
            let status: ActionStatus = serde_json::from_value(serde_json::Value::String(need(&mut status, "status")?))
                .map_err(|_| bad(format!("actions row {i}: unknown status")))?;
            let arm: Arm = serde_json::from_value(serde_json::Value::String(need(&mut arm, "arm")?))
                .map_err(|_| bad(format!("actions row {i}: unknown arm")))?;
            let text = need(&mut payload, "payload")?;
            let payload = match payloads.get(&text) {
                Some(p) => p.clone(),
                None => {
                    let p: serde_json::Value =
                        serde_json::from_str(&text).map_err(|e| bad(format!("actions row {i}: payload: {e}")))?;
                    let p = Arc::new(p);
                    payloads.insert(text, p.clone());
                    p
                }
            };
            let reasons: Reasons = serde_json::from_str(reasons.get(i).and_then(Option::as_deref).unwrap_or("{}"))
                .map_err(|e| bad(format!("actions row {i}: reasons: {e}")))?;
            out.push(Arc::new(Action {
                key: SharedStr::from(need(&mut key, "key")?),
                play: SharedStr::from(need(&mut play, "play")?),
                play_version: whole(&play_version, "play_version")?,
                account_id: SharedStr::from(id),
                kind: SharedStr::from(need(&mut kind, "kind")?),
                owner: owner.get_mut(i).and_then(Option::take).map(SharedStr::from),
                owner_role: SharedStr::from(need(&mut owner_role, "owner_role")?),
                priority: whole(&priority, "priority")?,
                effort_hours: effort
                    .get(i)
                    .copied()
                    .flatten()
                    .ok_or_else(|| bad(format!("actions row {i}: `effort_hours` is missing")))?,
                payload,
                created_at: when(&created_at, "created_at")?,
                updated_at: when(&updated_at, "updated_at")?,
                due_at: when(&due_at, "due_at")?,
                status,
                closed_at: closed_at.get(i).copied().flatten(),
                reasons,
                arm,
            }));
        }

        let table = crate::io::arrow::columns_from_arrow(memory)?;
        let accounts: Vec<SharedStr> = table.account_ids.unwrap_or_default().into_iter().map(SharedStr::from).collect();
        let mut mem = PlayMemory { accounts, ..PlayMemory::default() };
        for c in table.columns {
            if let Some(play) = c.name.strip_prefix(HELD) {
                let ColumnData::Bool(v) = &c.data else { return Err(bad(format!("memory: `{}` must be bool", c.name))) };
                let rows = v.iter().enumerate().filter(|(_, x)| **x == Some(true)).map(|(r, _)| r as u32).collect();
                mem.held.insert(play.to_string(), rows);
            } else if let Some(column) = c.name.strip_prefix(PREV) {
                mem.columns.insert(column.to_string(), PreviousValues::from_column(c.data));
            } else {
                return Err(bad(format!("memory: unknown column `{}` (expected `{HELD}<play>` or `{PREV}<column>`)", c.name)));
            }
        }
        PlayState { version, playbook: meta.get(PLAYBOOK).cloned(), last_run, actions: out, memory: mem }.settle()
    }
}
