//! Plays and playbooks (`custfit::play`): `Playbook` (the document), `PlayState` (the ledger a
//! run carries from run to run) and `runPlaybook` (one run of a playbook over a frame).
//!
//! The playbook is the core's JSON document (an object with the serde, snake_case, keys, or its
//! JSON text), read by the one document reader; the ledger saves to and loads from the same
//! versioned JSON in Rust and Python. Results are plain objects in the core's serde form
//! (instants as ISO strings), the shapes of the golden cases.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::play::{self, ActionStatus, PlayState as CoreState, Playbook as CoreBook};
use napi::bindgen_prelude::{Env, JavaScriptClassExt, Unknown, ValueType};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::document::document as read_document;
use crate::error::{invalid_argument, IntoCore, Result, Throw};
use crate::health::json;
use crate::metrics::Snapshot;
use crate::time::{date, timestamp_arg};

/// A playbook: plays (a trigger condition + a tactic + a customer cohort), how each fires, and
/// the limits that arbitrate between them. Built from its JSON document (an object or its text)
/// and validated: throws `invalid_config`, `parse_error` or `unsupported_version`. Expressions
/// are compiled against the frame when the playbook runs.
#[napi]
pub struct Playbook {
    pub(crate) inner: Arc<CoreBook>,
}

#[napi]
impl Playbook {
    /// A playbook from its document, e.g. `{version: 1, name: 'retention', plays: [{id:
    /// 'check_in_call', cohort: 'mrr > 5000', trigger: {type: 'condition', when:
    /// 'days_since_last_activity > 30'}, firing: {type: 'edge'}, tactic: {kind: 'call'}}]}`.
    #[napi(constructor, catch_unwind, ts_args_type = "document: object | string")]
    pub fn new(env: Env, document: Unknown<'_>) -> napi::Result<Self> {
        let run = || Ok(Playbook { inner: Arc::new(read_document(&document, "document")?) });
        run().throw(&env)
    }

    /// The playbook's name (recorded in the state of its runs).
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The ids of the plays, in playbook order.
    #[napi(getter, catch_unwind)]
    pub fn play_ids(&self) -> Vec<String> {
        self.inner.plays.iter().map(|p| p.id.clone()).collect()
    }

    /// The versioned document (`JSON.stringify(playbook)` is the file that works in Rust and
    /// Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "PlaybookDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }

    /// Whether `other` is the same playbook (same document).
    #[napi(catch_unwind, ts_args_type = "other: Playbook")]
    pub fn equals(&self, env: &Env, other: Unknown<'_>) -> napi::Result<bool> {
        let run = || Ok(self.inner == arg::instance::<Playbook>(&other, "other")?.inner);
        run().throw(env)
    }
}

/// The ledger of a playbook: every action (open and closed), what each play's trigger looked
/// like at the last run, and the column values `prev_<column>` reads. `runPlaybook` returns the
/// next one; save it between runs (`save` writes atomically) and pass it to the next run.
#[napi]
pub struct PlayState {
    pub(crate) inner: CoreState,
}

/// `'done'` or `'cancelled'` (the other statuses read too, and the core refuses them).
fn status_arg(value: &Unknown<'_>) -> Result<ActionStatus> {
    let text = arg::string(value, "status")?;
    serde_json::from_value(Value::String(text.clone()))
        .map_err(|_| invalid_argument("status", format!("expected 'done' or 'cancelled', got '{text}'")))
}

#[napi]
impl PlayState {
    /// An empty ledger (no run yet).
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        PlayState { inner: CoreState::new() }
    }

    /// Reads a ledger from its JSON text: `unsupported_version` when it is newer than this
    /// build, `parse_error` when it is corrupt.
    #[napi(factory, catch_unwind, ts_args_type = "text: string")]
    pub fn from_json(env: &Env, text: Unknown<'_>) -> napi::Result<PlayState> {
        let run = || CoreState::from_json(&arg::string(&text, "text")?);
        Ok(PlayState { inner: run().throw(env)? })
    }

    /// Loads a ledger saved with `save`.
    #[napi(factory, catch_unwind, ts_args_type = "path: string")]
    pub fn load(env: &Env, path: Unknown<'_>) -> napi::Result<PlayState> {
        let run = || CoreState::load(arg::string(&path, "path")?);
        Ok(PlayState { inner: run().throw(env)? })
    }

    /// The ledger's versioned JSON form, so `JSON.stringify(state)` writes the text that
    /// `PlayState.fromJson` (and Rust and Python) read back.
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "PlayStateDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner).throw(env)
    }

    /// Saves atomically: a temporary file beside `path`, flushed to disk, renamed over it.
    #[napi(catch_unwind, ts_args_type = "path: string")]
    pub fn save(&self, env: &Env, path: Unknown<'_>) -> napi::Result<()> {
        let run = || self.inner.save(arg::string(&path, "path")?);
        run().throw(env)
    }

    /// Closes the open action `key` as `'done'` or `'cancelled'` at `at` (the caller's report
    /// that it was carried out or dropped). An unknown key is `invalid_argument`; closing a
    /// closed action again with the same status changes nothing, with another status throws.
    #[napi(catch_unwind, ts_args_type = "key: string, status: 'done' | 'cancelled', at: Date | string | number")]
    pub fn close(&mut self, env: &Env, key: Unknown<'_>, status: Unknown<'_>, at: Unknown<'_>) -> napi::Result<()> {
        let mut run = || {
            let key = arg::string(&key, "key")?;
            let status = status_arg(&status)?;
            let at = timestamp_arg(&at, "at")?;
            self.inner.close(&key, status, at)
        };
        run().throw(env)
    }

    /// Every action, in the order they fired.
    #[napi(catch_unwind, ts_return_type = "Array<Action>")]
    pub fn actions(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.actions).throw(env)
    }

    /// The open actions, in the order they fired.
    #[napi(catch_unwind, ts_return_type = "Array<Action>")]
    pub fn open_actions(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.open_actions().collect::<Vec<_>>()).throw(env)
    }

    /// The as-of instant of the last run, or `null` before the first run.
    #[napi(getter, catch_unwind)]
    pub fn last_run(&self) -> Option<DateTime<Utc>> {
        self.inner.last_run.map(date)
    }

    /// The name of the playbook the ledger belongs to (set by the first run), or `null`.
    #[napi(getter, catch_unwind)]
    pub fn playbook(&self) -> Option<String> {
        self.inner.playbook.clone()
    }

    /// Whether `other` holds the same ledger.
    #[napi(catch_unwind, ts_args_type = "other: PlayState")]
    pub fn equals(&self, env: &Env, other: Unknown<'_>) -> napi::Result<bool> {
        let run = || Ok(self.inner == arg::instance::<PlayState>(&other, "other")?.inner);
        run().throw(env)
    }
}

/// What `runPlaybook` returns: the run and the next ledger.
#[napi(object, object_from_js = false)]
pub struct PlaybookRunResult {
    /// What the run did: `{as_of, fired, updated, closed, skipped}`.
    #[napi(ts_type = "PlayRun")]
    pub run: Value,
    /// The ledger to save and pass to the next run.
    pub state: PlayState,
}

/// A `Playbook` instance, or a playbook document (object or JSON text).
fn playbook_arg(env: &Env, value: &Unknown<'_>) -> Result<Arc<CoreBook>> {
    if value.get_type().core()? == ValueType::Object && Playbook::instance_of(env, value).core()? {
        return Ok(Arc::clone(&arg::instance::<Playbook>(value, "playbook")?.inner));
    }
    read_document(value, "playbook").map(Arc::new)
}

/// Runs `playbook` (a `Playbook`, or its document) over `frame` (a `Snapshot` plus any added
/// columns: health band, churn probability, segment, tier …) as of the frame's instant,
/// carrying `state` (default: an empty ledger) forward. Returns `{run, state}`: what the run did
/// and the next ledger (`state` itself is not changed). Running again on the same frame and the
/// returned ledger fires nothing new.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, frame: Snapshot, state?: PlayState | undefined | null"
)]
pub fn run_playbook(
    env: &Env,
    playbook: Unknown<'_>,
    frame: Unknown<'_>,
    state: Option<Unknown<'_>>,
) -> napi::Result<PlaybookRunResult> {
    let run = || {
        let book = playbook_arg(env, &playbook)?;
        let frame = arg::instance::<Snapshot>(&frame, "frame")?;
        let state = match &state {
            Some(s) if !matches!(s.get_type().core()?, ValueType::Undefined | ValueType::Null) => {
                Some(arg::instance::<PlayState>(s, "state")?)
            }
            _ => None,
        };
        let empty = CoreState::new();
        let (run, next) = play::run(&book, &frame.inner, state.as_deref().map_or(&empty, |s| &s.inner))?;
        Ok((json(&run)?, next))
    };
    let (run, next) = run().throw(env)?;
    Ok(PlaybookRunResult { run, state: PlayState { inner: next } })
}
