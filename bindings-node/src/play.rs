//! Plays and playbooks (`custfit::play`): `Playbook` (the document), `PlayState` (the ledger a
//! run carries from run to run), `runPlaybook` (one run of a playbook over a frame) and `dryRun`
//! (a playbook replayed over history, frames built by a frame recipe); `…Async` variants run on
//! libuv's thread pool.
//!
//! The playbook is the core's JSON document (an object with the serde, snake_case, keys, or its
//! JSON text), read by the one document reader; the ledger saves to and loads from the same
//! versioned JSON in Rust and Python. Results are plain objects in the core's serde form
//! (instants as ISO strings), the shapes of the golden cases.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::play::{self, ActionStatus, DryRunConfig, FrameRecipe, PlayState as CoreState, Playbook as CoreBook};
use custfit::{Dataset as CoreDataset, Snapshot as CoreSnapshot};
use napi::bindgen_prelude::{Env, JavaScriptClassExt, Object, PromiseRaw, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::churn::ChurnModel;
use crate::data::Dataset;
use crate::document::document as read_document;
use crate::error::{guard, invalid_argument, throw, IntoCore, Result, Throw};
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

    /// The starter playbook shipped with custfit: 25 plays (the lifecycle, segment and event
    /// plays of the seeds, and the SPEC's worked example). It reads the built-in metrics and
    /// `starterColumns()`: a frame built by a recipe with the starter scorecard, Pareto tiers and
    /// a churn model (see `dryRun`).
    #[napi(factory, catch_unwind)]
    pub fn starter() -> Playbook {
        Playbook { inner: Arc::new(CoreBook::starter()) }
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

    /// The ledger as two Arrow IPC streams `{ actions, memory }`: one row per action (`payload`
    /// and `reasons` as JSON text), and one row per account of the last run (`held.<play>` bool
    /// columns, `prev.<column>` typed columns); the ledger's version, playbook and last run ride
    /// in both schemas' metadata. Read them with apache-arrow's `tableFromIPC(bytes)`, and back
    /// with `PlayState.fromArrow`.
    #[napi(js_name = "toArrow", catch_unwind, ts_return_type = "{ actions: Uint8Array; memory: Uint8Array }")]
    pub fn to_arrow(&self, env: &Env) -> napi::Result<Object<'_>> {
        let run = || -> Result<(Vec<u8>, Vec<u8>)> {
            let (actions, memory) = self.inner.to_arrow()?;
            Ok((crate::frame::ipc_bytes(&actions)?, crate::frame::ipc_bytes(&memory)?))
        };
        let (actions, memory) = run().throw(env)?;
        let mut out = Object::new(env)?;
        out.set("actions", napi::bindgen_prelude::Uint8Array::from(actions))?;
        out.set("memory", napi::bindgen_prelude::Uint8Array::from(memory))?;
        Ok(out)
    }

    /// Reads a ledger written by `toArrow` (Arrow IPC stream or file bytes), checked as a
    /// ledger read from JSON is: `parse_error` when malformed, `unsupported_version` when newer.
    #[napi(factory, js_name = "fromArrow", catch_unwind, ts_args_type = "actions: Uint8Array, memory: Uint8Array")]
    pub fn from_arrow(env: &Env, actions: Unknown<'_>, memory: Unknown<'_>) -> napi::Result<PlayState> {
        let run = || -> Result<CoreState> {
            // Both arguments' types first, then their bytes.
            for (value, name) in [(&actions, "actions"), (&memory, "memory")] {
                if value.get_type().core()? != ValueType::Object || !value.is_typedarray().core()? {
                    return Err(invalid_argument(name, "expected Arrow IPC bytes (a Uint8Array)"));
                }
            }
            let read = |value: &Unknown<'_>, name: &str| -> Result<Vec<arrow_array::RecordBatch>> {
                crate::data::arrow_ipc(value)
                    .map_err(|e| crate::error::rename_argument(e, "rows", name))?
                    .ok_or_else(|| invalid_argument(name, "expected Arrow IPC bytes (a Uint8Array)"))
            };
            let (actions, memory) = (read(&actions, "actions"), read(&memory, "memory"));
            // A wrong argument is reported before unreadable bytes.
            let wrong = |r: &Result<Vec<arrow_array::RecordBatch>>| matches!(r, Err(custfit::Error::Argument { .. }));
            if wrong(&memory) && !wrong(&actions) {
                memory?;
                return Err(invalid_argument("memory", "expected Arrow IPC bytes (a Uint8Array)"));
            }
            CoreState::from_arrow(&actions?, &memory?)
        };
        Ok(PlayState { inner: run().throw(env)? })
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
    /// What the run did: `{as_of, fired, updated, held_out, closed, skipped}` (held-out accounts
    /// are recorded with `arm` and status `held_out`, not acted on).
    #[napi(ts_type = "PlayRun")]
    pub run: Value,
    /// The ledger to save and pass to the next run.
    pub state: PlayState,
}

/// A `Playbook` instance, or a playbook document (object or JSON text).
pub(crate) fn playbook_arg(env: &Env, value: &Unknown<'_>) -> Result<Arc<CoreBook>> {
    if value.get_type().core()? == ValueType::Object && Playbook::instance_of(env, value).core()? {
        return Ok(Arc::clone(&arg::instance::<Playbook>(value, "playbook")?.inner));
    }
    read_document(value, "playbook").map(Arc::new)
}

/// A `PlayState` instance, `undefined` or `null` (an empty ledger): a copy.
fn state_arg(state: Option<&Unknown<'_>>) -> Result<CoreState> {
    match state {
        Some(s) if !matches!(s.get_type().core()?, ValueType::Undefined | ValueType::Null) => {
            Ok(arg::instance::<PlayState>(s, "state")?.inner.clone())
        }
        _ => Ok(CoreState::new()),
    }
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
        let state = state_arg(state.as_ref())?;
        let (run, next) = play::run(&book, &frame.inner, &state)?;
        Ok((json(&run)?, next))
    };
    let (run, next) = run().throw(env)?;
    Ok(PlaybookRunResult { run, state: PlayState { inner: next } })
}

/// The arguments of a run, read on the JS thread.
type RunJob = (Arc<CoreBook>, Arc<CoreSnapshot>, CoreState);

/// Runs a playbook on libuv's thread pool.
pub struct RunPlaybookTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<RunJob>>,
}

impl Task for RunPlaybookTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<(Value, CoreState)>>;
    type JsValue = PlaybookRunResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((book, frame, state))) => {
                guard(|| Some(play::run(book, frame, state).and_then(|(run, next)| Ok((json(&run)?, next)))))
            }
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<PlaybookRunResult> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok((run, next))) => Ok(PlaybookRunResult { run, state: PlayState { inner: next } }),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("playbook", "run task started twice"))),
        }
    }
}

/// `runPlaybook` off the event loop: computed on libuv's thread pool (the arguments are read, and
/// the ledger copied, before it starts). Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, frame: Snapshot, state?: PlayState | undefined | null",
    ts_return_type = "Promise<PlaybookRunResult>"
)]
pub fn run_playbook_async<'env>(
    env: &'env Env,
    playbook: Unknown<'_>,
    frame: Unknown<'_>,
    state: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'env, PlaybookRunResult>> {
    let job = (|| {
        let book = playbook_arg(env, &playbook)?;
        let frame = Arc::clone(&arg::instance::<Snapshot>(&frame, "frame")?.inner);
        Ok((book, frame, state_arg(state.as_ref())?))
    })();
    Ok(env.spawn(RunPlaybookTask { job: Some(job) })?.promise_object())
}

/// Names of the columns the starter playbook reads besides the built-in metrics (`health_band`,
/// `churn_probability`, `tier`).
#[napi(catch_unwind)]
pub fn starter_columns() -> Vec<String> {
    play::STARTER_COLUMNS.iter().map(|c| c.to_string()).collect()
}

/// What `dryRun` returns: every run, the ledger after the last one and, per play, how the
/// accounts it acted on fared. `JSON.stringify` of it is the core's `DryRun` document.
#[napi(object, object_from_js = false)]
pub struct DryRunResult {
    /// Each run, in date order (the same as calling `runPlaybook` step by step).
    #[napi(ts_type = "Array<PlayRun>")]
    pub runs: Value,
    /// The ledger after the last run.
    pub state: PlayState,
    /// Per play (playbook order): `{play, fired, accounts, observed, churned, churn_rate,
    /// mean_active_days_change}`.
    #[napi(ts_type = "Array<PlayOutcome>")]
    pub plays: Value,
}

/// The arguments of a dry run, read on the JS thread.
type DryRunJob = (Arc<CoreBook>, Arc<CoreDataset>, FrameRecipe, DryRunConfig, CoreState);

/// `options.churnModel`: a `ChurnModel` put into the recipe (which must have none).
fn churn_model_option(options: Option<&Unknown<'_>>, recipe: &mut FrameRecipe) -> Result<()> {
    let Some(options) = options else { return Ok(()) };
    match options.get_type().core()? {
        ValueType::Undefined | ValueType::Null => return Ok(()),
        ValueType::Object if !options.is_array().core()? && !options.is_date().core()? => {}
        _ => return Err(invalid_argument("options", format!("expected an options object, got {}", arg::describe(options)))),
    }
    // SAFETY: the type was just checked.
    let obj = unsafe { options.cast::<Object<'_>>() }.core()?;
    for key in Object::keys(&obj).core()? {
        if key != "churnModel" {
            return Err(invalid_argument("options", format!("unknown option `{key}` (expected churnModel)")));
        }
    }
    let Some(model) = obj.get::<Unknown<'_>>("churnModel").core()? else { return Ok(()) };
    if matches!(model.get_type().core()?, ValueType::Undefined | ValueType::Null) {
        return Ok(());
    }
    let model = arg::instance::<ChurnModel>(&model, "churnModel")?;
    if recipe.churn_model.is_some() {
        return Err(invalid_argument("churnModel", "the recipe has a churn_model already"));
    }
    recipe.churn_model = Some(model.inner.clone());
    Ok(())
}

fn dry_run_job(
    env: &Env,
    playbook: &Unknown<'_>,
    dataset: &Unknown<'_>,
    recipe: &Unknown<'_>,
    config: &Unknown<'_>,
    state: Option<&Unknown<'_>>,
    options: Option<&Unknown<'_>>,
) -> Result<DryRunJob> {
    let book = playbook_arg(env, playbook)?;
    let ds = Arc::clone(&arg::instance::<Dataset>(dataset, "dataset")?.inner);
    let mut recipe: FrameRecipe = read_document(recipe, "recipe")?;
    churn_model_option(options, &mut recipe)?;
    let config: DryRunConfig = read_document(config, "config")?;
    Ok((book, ds, recipe, config, state_arg(state)?))
}

fn dry_run_result(dry: custfit::play::DryRun) -> Result<DryRunResult> {
    Ok(DryRunResult { runs: json(&dry.runs)?, plays: json(&dry.plays)?, state: PlayState { inner: dry.state } })
}

/// Replays `playbook` (a `Playbook` or its document) over `dataset`: at every date of `config`
/// (a dry run config: `{from, to, step: {amount: 7, unit: 'days'}, horizon?, churn?}`) builds the
/// frame as of that date with `recipe` (a frame recipe: `snapshot`, `flags`, `scorecard`, `tiers`,
/// `churn_model`), runs the playbook and carries the ledger forward from `state` (default:
/// empty). `options.churnModel` (a fitted `ChurnModel`) is put into the recipe, which must then
/// have none. Returns `{runs, state, plays}`.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, dataset: Dataset, recipe: FrameRecipe | object | string, config: DryRunConfig | object | string, state?: PlayState | undefined | null, options?: { churnModel?: ChurnModel | null } | null"
)]
pub fn dry_run(
    env: &Env,
    playbook: Unknown<'_>,
    dataset: Unknown<'_>,
    recipe: Unknown<'_>,
    config: Unknown<'_>,
    state: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
) -> napi::Result<DryRunResult> {
    let run = || {
        let (book, ds, recipe, config, state) =
            dry_run_job(env, &playbook, &dataset, &recipe, &config, state.as_ref(), options.as_ref())?;
        dry_run_result(play::dry_run(&book, &ds, &recipe, &config, &state)?)
    };
    run().throw(env)
}

/// Runs a dry run on libuv's thread pool.
pub struct DryRunTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<DryRunJob>>,
}

impl Task for DryRunTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<custfit::play::DryRun>>;
    type JsValue = DryRunResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((book, ds, recipe, config, state))) => guard(|| Some(play::dry_run(book, ds, recipe, config, state))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<DryRunResult> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(dry)) => dry_run_result(dry).map_err(|e| throw(&env, &e)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "dry run task started twice"))),
        }
    }
}

/// `dryRun` off the event loop: computed on libuv's thread pool from the data as it is now (later
/// `add…` calls do not affect it). Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, dataset: Dataset, recipe: FrameRecipe | object | string, config: DryRunConfig | object | string, state?: PlayState | undefined | null, options?: { churnModel?: ChurnModel | null } | null",
    ts_return_type = "Promise<DryRunResult>"
)]
pub fn dry_run_async<'env>(
    env: &'env Env,
    playbook: Unknown<'_>,
    dataset: Unknown<'_>,
    recipe: Unknown<'_>,
    config: Unknown<'_>,
    state: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'env, DryRunResult>> {
    // Read on the JS thread; every argument error (a wrong `dataset` too) rejects the promise.
    let job = dry_run_job(env, &playbook, &dataset, &recipe, &config, state.as_ref(), options.as_ref());
    Ok(env.spawn(DryRunTask { job: Some(job) })?.promise_object())
}
