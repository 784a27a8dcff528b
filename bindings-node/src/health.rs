//! Health scoring (`custfit::health`): `Scorecard`, `ScorecardSet`, `HealthScores` (scores with
//! exact per-measure contributions, why-changed, roll-ups, tables), edge-case flags, health
//! history and backtests (`backtestAsync` on libuv's pool).
//!
//! Configs are the core's JSON documents: an object (serde names; top-level camelCase accepted,
//! as for the other configs) or its JSON text. Results are plain objects with the core's serde
//! (snake_case) keys and instants as ISO strings — the shapes of the golden cases, the same in
//! Rust and Python. Snapshots do not change: `addToSnapshot` and `addFlagColumns` return a new
//! `Snapshot`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::health::{
    self, AccountFlags, BacktestConfig, FlagConfig, HealthScores as CoreScores, Scorecard as CoreCard, ScorecardSet as CoreSet,
    Scorer,
};
use custfit::{Dataset as CoreDataset, Error, SnapshotConfig, Timestamp};
use napi::bindgen_prelude::{Env, JavaScriptClassExt, PromiseRaw, ToNapiValue, TypeName, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::arg;
use crate::data::{to_json, Dataset};
use crate::document::{document, optional_document};
use crate::error::{guard, invalid_argument, rename_argument, throw, whole_u32, IntoCore, Result, Throw};
use crate::metrics::{config_arg, Snapshot};
use crate::time::{date, timestamp_arg};

fn parse_error(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Parse { what: what.into(), reason: reason.to_string() }
}

/// A result in its serde (JSON) form.
pub(crate) fn json<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| parse_error("result", e))
}

fn flag_config(value: Option<&Unknown<'_>>, name: &str) -> Result<FlagConfig> {
    optional_document(value, name)
}

/// A row index: negative, fractional or past the end is `None` (as the core's `Option`).
fn index(i: f64) -> Option<usize> {
    (i.fract() == 0.0 && i >= 0.0 && i <= u32::MAX as f64).then_some(i as usize)
}

pub(crate) fn instants(values: Vec<Unknown<'_>>, name: &str) -> Result<Vec<Timestamp>> {
    values.iter().map(|d| timestamp_arg(d, name)).collect()
}

/// A health scorecard: measures (tiers, ramp or percentile among peers), optional groups,
/// bands, flag penalties and CSM overrides. Built from its JSON document (an object or its
/// text) and validated: throws `invalid_config`, `parse_error` or `unsupported_version`.
#[napi]
pub struct Scorecard {
    pub(crate) inner: Arc<CoreCard>,
}

#[napi]
impl Scorecard {
    /// A scorecard from its document, e.g. `{name: 'smb', measures: [{name: 'active', metric:
    /// 'active_days_30d', scoring: {type: 'ramp', low: 2, high: 20}}]}`.
    #[napi(constructor, catch_unwind, ts_args_type = "config: object | string")]
    pub fn new(env: Env, config: Unknown<'_>) -> napi::Result<Self> {
        let run = || {
            let card = document(&config, "scorecard").map_err(|e| rename_argument(e, "scorecard", "config"))?;
            Ok(Scorecard { inner: Arc::new(card) })
        };
        run().throw(&env)
    }

    /// The starter scorecard shipped with custfit (ordinary config: engagement, breadth, trend,
    /// recency, sentiment and risk signals, with penalties for the burst and confusion flags).
    #[napi(factory, catch_unwind)]
    pub fn starter() -> Self {
        Scorecard { inner: Arc::new(CoreCard::starter()) }
    }

    /// The scorecard's name.
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The bands (`{name, color, min, max}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<Band>")]
    pub fn bands(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.bands).throw(env)
    }

    /// Index (into `bands`) of the band holding `score`, or `null`.
    #[napi(catch_unwind, ts_args_type = "score: number")]
    pub fn band_of(&self, env: &Env, score: Unknown<'_>) -> napi::Result<Option<u32>> {
        let run = || Ok(self.inner.band_of(arg::number(&score, "score")?).map(|b| b as u32));
        run().throw(env)
    }

    /// Scores every account of `snapshot`; throws `unknown_metric` for a measure naming no column.
    #[napi(catch_unwind, ts_args_type = "snapshot: Snapshot")]
    pub fn score(&self, env: &Env, snapshot: Unknown<'_>) -> napi::Result<HealthScores> {
        let run = || self.inner.score(&arg::instance::<Snapshot>(&snapshot, "snapshot")?.inner).map(HealthScores::new);
        run().throw(env)
    }

    /// The versioned document (`JSON.stringify(card)` is the file that works in Rust and Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "ScorecardDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }

    /// Whether `other` is the same scorecard (same document).
    #[napi(catch_unwind, ts_args_type = "other: Scorecard")]
    pub fn equals(&self, env: &Env, other: Unknown<'_>) -> napi::Result<bool> {
        let run = || Ok(self.inner == arg::instance::<Scorecard>(&other, "other")?.inner);
        run().throw(env)
    }
}

/// A scorecard per value of a segment or lifecycle-phase column (first matching case wins),
/// with a default for every other account. All scorecards of a set share the same bands.
#[napi]
pub struct ScorecardSet {
    pub(crate) inner: Arc<CoreSet>,
}

#[napi]
impl ScorecardSet {
    /// A set from its document (`{column, cases: [{values, scorecard}], default}`).
    #[napi(constructor, catch_unwind, ts_args_type = "config: object | string")]
    pub fn new(env: Env, config: Unknown<'_>) -> napi::Result<Self> {
        let run = || {
            let set = document(&config, "scorecardSet").map_err(|e| rename_argument(e, "scorecardSet", "config"))?;
            Ok(ScorecardSet { inner: Arc::new(set) })
        };
        run().throw(&env)
    }

    /// The column whose value selects the scorecard.
    #[napi(getter, catch_unwind)]
    pub fn column(&self) -> String {
        self.inner.column.clone()
    }

    /// Scores every account of `snapshot` with the scorecard its column value selects.
    #[napi(catch_unwind, ts_args_type = "snapshot: Snapshot")]
    pub fn score(&self, env: &Env, snapshot: Unknown<'_>) -> napi::Result<HealthScores> {
        let run = || self.inner.score(&arg::instance::<Snapshot>(&snapshot, "snapshot")?.inner).map(HealthScores::new);
        run().throw(env)
    }

    /// The versioned document.
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "ScorecardSetDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }

    /// Whether `other` is the same set (same document).
    #[napi(catch_unwind, ts_args_type = "other: ScorecardSet")]
    pub fn equals(&self, env: &Env, other: Unknown<'_>) -> napi::Result<bool> {
        let run = || Ok(self.inner == arg::instance::<ScorecardSet>(&other, "other")?.inner);
        run().throw(env)
    }
}

/// Health scores of every account of a snapshot: score 0–100, band, and per measure (and flag
/// penalty) the points, effective weight and contribution. Contributions are held in
/// millionths of a point and sum exactly to the score (`scoreMicros`, `contributionMicros`).
#[napi]
pub struct HealthScores {
    pub(crate) inner: Arc<CoreScores>,
}

impl HealthScores {
    fn new(inner: CoreScores) -> Self {
        HealthScores { inner: Arc::new(inner) }
    }
}

#[napi]
impl HealthScores {
    /// Not made with `new` (no typing): `Scorecard.score`, `ScorecardSet.score` and `healthHistory`
    /// make them. Throws `invalid_argument` instead of napi-rs's uncoded "Class contains no
    /// `constructor`" error.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "HealthScores", "`Scorecard.score`, `ScorecardSet.score` and `healthHistory`"))
    }

    /// The as-of instant of the scored snapshot.
    #[napi(getter, catch_unwind)]
    pub fn as_of(&self) -> DateTime<Utc> {
        date(self.inner.as_of())
    }

    /// Number of rows (accounts).
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Account ids, one per row.
    #[napi(getter, catch_unwind)]
    pub fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids().to_vec()
    }

    /// The bands used (`{name, color, min, max}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<Band>")]
    pub fn bands(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.bands()).throw(env)
    }

    /// Measure names, then `penalty:<column>` parts, in column order.
    #[napi(getter, catch_unwind)]
    pub fn parts(&self) -> Vec<String> {
        self.inner.parts().to_vec()
    }

    /// Final scores (0–100, override applied; `null` when no measure had a value), one per row.
    #[napi(catch_unwind)]
    pub fn scores(&self) -> Vec<Option<f64>> {
        self.inner.scores()
    }

    /// Band index (into `bands`) of every row.
    #[napi(catch_unwind)]
    pub fn band_indices(&self) -> Vec<Option<u32>> {
        self.inner.band_indices().into_iter().map(|b| b.map(|b| b as u32)).collect()
    }

    /// Band names, one per row.
    #[napi(catch_unwind)]
    pub fn band_names(&self) -> Vec<Option<String>> {
        self.inner.band_names()
    }

    /// Final score of row `i` in millionths of a point (override applied), or `null`.
    #[napi(catch_unwind, ts_args_type = "i: number")]
    pub fn score_micros(&self, env: &Env, i: Unknown<'_>) -> napi::Result<Option<i64>> {
        let run = || Ok(index(arg::number(&i, "i")?).and_then(|i| self.inner.score_micros(i)));
        run().throw(env)
    }

    /// Score of row `i` computed by the scorecard (before any override), in millionths of a
    /// point, or `null`.
    #[napi(catch_unwind, ts_args_type = "i: number")]
    pub fn computed_micros(&self, env: &Env, i: Unknown<'_>) -> napi::Result<Option<i64>> {
        let run = || Ok(index(arg::number(&i, "i")?).and_then(|i| self.inner.computed_micros(i)));
        run().throw(env)
    }

    /// Contribution of part `part` (index into `parts`) to row `i` in millionths of a point
    /// (0 out of range). The parts of a row sum exactly to `computedMicros(i)`.
    #[napi(catch_unwind, ts_args_type = "part: number, i: number")]
    pub fn contribution_micros(&self, env: &Env, part: Unknown<'_>, i: Unknown<'_>) -> napi::Result<i64> {
        let run = || {
            Ok(match (index(arg::number(&part, "part")?), index(arg::number(&i, "i")?)) {
                (Some(p), Some(i)) => self.inner.contribution_micros(p, i),
                _ => 0,
            })
        };
        run().throw(env)
    }

    /// The row of an account, or `null`.
    #[napi(catch_unwind, ts_args_type = "accountId: string")]
    pub fn row_of(&self, env: &Env, account_id: Unknown<'_>) -> napi::Result<Option<u32>> {
        let run = || Ok(self.inner.row_of(&arg::string(&account_id, "accountId")?).map(|r| r as u32));
        run().throw(env)
    }

    /// Row `i` with its breakdown (`{account_id, score, band, color, scorecard, measures,
    /// override}`), or `null`.
    #[napi(catch_unwind, ts_args_type = "i: number", ts_return_type = "AccountHealth | null")]
    pub fn row(&self, env: &Env, i: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&index(arg::number(&i, "i")?).and_then(|i| self.inner.row(i)));
        run().throw(env)
    }

    /// One account's health with its breakdown, or `null`.
    #[napi(catch_unwind, ts_args_type = "accountId: string", ts_return_type = "AccountHealth | null")]
    pub fn account(&self, env: &Env, account_id: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&self.inner.account(&arg::string(&account_id, "accountId")?));
        run().throw(env)
    }

    /// Every row with its breakdown.
    #[napi(catch_unwind, ts_return_type = "Array<AccountHealth>")]
    pub fn rows(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.rows()).throw(env)
    }

    /// Trend and why-changed versus an earlier scoring, for every account scored at both dates:
    /// `{account_id, before, after, delta, band_before, band_after, by_measure}` (largest change
    /// first; the `by_measure` deltas sum to `delta`).
    #[napi(catch_unwind, ts_args_type = "earlier: HealthScores", ts_return_type = "Array<ScoreChange>")]
    pub fn changes_since(&self, env: &Env, earlier: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&self.inner.changes_since(&arg::instance::<HealthScores>(&earlier, "earlier")?.inner));
        run().throw(env)
    }

    /// Every parent (through `parent_id`) rolled up from itself and its descendants, weighted by
    /// `weightColumn` (default `'mrr'`): `{account_id, descendants, scored, weight, score, band}`.
    #[napi(
        catch_unwind,
        ts_args_type = "snapshot: Snapshot, weightColumn?: string | undefined | null",
        ts_return_type = "Array<Rollup>"
    )]
    pub fn rollup(&self, env: &Env, snapshot: Unknown<'_>, weight_column: Option<Unknown<'_>>) -> napi::Result<Value> {
        let run = || {
            let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
            let weight_column = arg::optional_string(weight_column.as_ref(), "weightColumn")?;
            json(&self.inner.rollup(&snapshot.inner, weight_column.as_deref().unwrap_or("mrr"))?)
        };
        run().throw(env)
    }

    /// A table as a `Snapshot`: `account_id`, `health_score`, `health_band`, and for every part
    /// `points:<name>` and `contribution:<name>`.
    #[napi(catch_unwind)]
    pub fn to_snapshot(&self, env: &Env) -> napi::Result<Snapshot> {
        self.inner.to_snapshot().map(|s| Snapshot { inner: Arc::new(s) }).throw(env)
    }

    /// A new snapshot: `snapshot` plus `health_score` and `health_band` columns (rows matched by
    /// account id). `snapshot` itself is not changed.
    #[napi(catch_unwind, ts_args_type = "snapshot: Snapshot")]
    pub fn add_to_snapshot(&self, env: &Env, snapshot: Unknown<'_>) -> napi::Result<Snapshot> {
        let run = || {
            let mut inner = (*arg::instance::<Snapshot>(&snapshot, "snapshot")?.inner).clone();
            self.inner.add_to_snapshot(&mut inner)?;
            Ok(Snapshot { inner: Arc::new(inner) })
        };
        run().throw(env)
    }
}

/// A Scorecard, a ScorecardSet, or a scorecard document.
enum Card {
    One(CoreCard),
    Set(CoreSet),
}

impl Card {
    fn scorer(&self) -> &(dyn Scorer + Sync) {
        match self {
            Card::One(c) => c,
            Card::Set(s) => s,
        }
    }
}

fn card_arg(env: &Env, value: &Unknown<'_>) -> Result<Card> {
    if value.get_type().core()? == ValueType::Object {
        if Scorecard::instance_of(env, value).core()? {
            return Ok(Card::One((*arg::instance::<Scorecard>(value, "scorecard")?.inner).clone()));
        }
        if ScorecardSet::instance_of(env, value).core()? {
            return Ok(Card::Set((*arg::instance::<ScorecardSet>(value, "scorecard")?.inner).clone()));
        }
    }
    Ok(Card::One(document(value, "scorecard")?))
}

/// A `Scorecard` instance or a scorecard document (object or JSON text); a `ScorecardSet` is
/// refused (it has no single set of weights).
pub fn single_card_arg(env: &Env, value: &Unknown<'_>) -> Result<CoreCard> {
    match card_arg(env, value)? {
        Card::One(card) => Ok(card),
        Card::Set(_) => Err(invalid_argument("scorecard", "expected a Scorecard or a scorecard document, got a ScorecardSet")),
    }
}

/// The metric snapshot as of `asOf` plus the edge-case flag columns (`flagColumns()`): the input
/// of health scoring. `snapshotConfig` is a `SnapshotConfig`, `flagConfig` a flag config.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, snapshotConfig?: SnapshotConfig | string | null, flagConfig?: object | string | null"
)]
pub fn health_snapshot(
    env: &Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    snapshot_config: Option<Unknown<'_>>,
    flag_config: Option<Unknown<'_>>,
) -> napi::Result<Snapshot> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let t = timestamp_arg(&as_of, "asOf")?;
        let sc: SnapshotConfig = config_arg(snapshot_config.as_ref(), "snapshotConfig")?;
        let fc = self::flag_config(flag_config.as_ref(), "flagConfig")?;
        Ok(Snapshot { inner: Arc::new(health::health_snapshot(&dataset.inner, t, &sc, &fc)?) })
    };
    run().throw(env)
}

/// The edge-case flags (extraction burst, confusion, pricing interest, cadence inactivity) of
/// every account existing at `asOf`, each with the numbers behind it and `fired` (the names of
/// the flags that fired).
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config?: object | string | null",
    ts_return_type = "Array<AccountFlags>"
)]
pub fn detect_flags(env: &Env, dataset: Unknown<'_>, as_of: Unknown<'_>, config: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let t = timestamp_arg(&as_of, "asOf")?;
        let fc = flag_config(config.as_ref(), "config")?;
        json(&health::detect_flags(&dataset.inner, t, &fc)?)
    };
    run().throw(env)
}

/// A new snapshot: `snapshot` plus the flag columns of `flags` (as `detectFlags` returns them),
/// rows matched by account id. `snapshot` itself is not changed.
#[napi(catch_unwind, ts_args_type = "snapshot: Snapshot, flags: Array<Record<string, any>>")]
pub fn add_flag_columns(env: &Env, snapshot: Unknown<'_>, flags: Unknown<'_>) -> napi::Result<Snapshot> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        if !flags.is_array().core()? {
            let got = arg::describe(&flags);
            return Err(invalid_argument(
                "flags",
                format!("expected an array of account flags (as detectFlags returns them), got {got}"),
            ));
        }
        let value =
            to_json(&flags, "flags", 0).map_err(|u| invalid_argument("flags", format!("at `{}`: {}", u.path, u.reason)))?;
        let flags: Vec<AccountFlags> =
            serde_json::from_value(value.unwrap_or(Value::Null)).map_err(|e| parse_error("flags", e))?;
        let mut inner = (*snapshot.inner).clone();
        health::add_flag_columns(&mut inner, &flags)?;
        Ok(Snapshot { inner: Arc::new(inner) })
    };
    run().throw(env)
}

/// Names of the columns `healthSnapshot` and `addFlagColumns` add.
#[napi(catch_unwind)]
pub fn flag_columns() -> Vec<String> {
    health::FLAG_COLUMNS.iter().map(|c| c.to_string()).collect()
}

/// The default bands: green ≥ 75, yellow ≥ 50, orange ≥ 25, red.
#[napi(catch_unwind, ts_return_type = "Array<Band>")]
pub fn default_bands(env: &Env) -> napi::Result<Value> {
    json(&health::default_bands()).throw(env)
}

fn backtest_job(env: &Env, scorecard: &Unknown<'_>, config: &Unknown<'_>) -> Result<(Card, BacktestConfig)> {
    let card = card_arg(env, scorecard)?;
    let cfg: BacktestConfig = document(config, "config")?;
    Ok((card, cfg))
}

/// Backtests a Scorecard, ScorecardSet or scorecard document on `dataset`: scores the base as of
/// each of `config.dates` (a backtest config: `dates`, `horizon`, `lead`, `churn`, `known_at`,
/// `snapshot`, `flags`) and joins churn within the horizon. Returns `{observations, churned,
/// roc_auc, bands, dates, transitions, skipped_dates}`.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, scorecard: Scorecard | ScorecardSet | object | string, config: object | string",
    ts_return_type = "BacktestReport"
)]
pub fn backtest(env: &Env, dataset: Unknown<'_>, scorecard: Unknown<'_>, config: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let (card, cfg) = backtest_job(env, &scorecard, &config)?;
        json(&health::backtest(&dataset.inner, card.scorer(), &cfg)?)
    };
    run().throw(env)
}

/// A result as a plain object (the JS value of a task: the backtest report, the experiment
/// report).
pub struct Report(pub(crate) Value);

impl TypeName for Report {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Report {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: the caller passes a live env, as for any `ToNapiValue`.
        unsafe { Value::to_napi_value(env, val.0) }
    }
}

/// Runs a backtest on libuv's thread pool.
pub struct BacktestTask {
    /// The data (shared, copy-on-write) and the parsed arguments, or the error to reject with.
    job: Option<Result<(Arc<CoreDataset>, Card, BacktestConfig)>>,
}

impl Task for BacktestTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<Value>>;
    type JsValue = Report;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((ds, card, cfg))) => guard(|| Some(health::backtest(ds, card.scorer(), cfg).and_then(|r| json(&r)))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Report> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(report)) => Ok(Report(report)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "backtest task started twice"))),
        }
    }
}

/// `backtest` off the event loop: computed on libuv's thread pool from the data as it is now
/// (later `add…` calls do not affect it). Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, scorecard: Scorecard | ScorecardSet | object | string, config: object | string",
    ts_return_type = "Promise<BacktestReport>"
)]
pub fn backtest_async<'env>(
    env: &'env Env,
    dataset: Unknown<'_>,
    scorecard: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    // Read on the JS thread; every argument error (a wrong `dataset` too) rejects the promise.
    let job = arg::instance::<Dataset>(&dataset, "dataset").and_then(|ds| {
        let (card, cfg) = backtest_job(env, &scorecard, &config)?;
        Ok((Arc::clone(&ds.inner), card, cfg))
    });
    let task = BacktestTask { job: Some(job) };
    Ok(env.spawn(task)?.promise_object())
}

/// Observation dates every `stepDays` days from `first` up to `last` inclusive, for a
/// backtest's `dates`.
#[napi(catch_unwind, ts_args_type = "first: Date | string | number, last: Date | string | number, stepDays: number")]
pub fn backtest_grid(
    env: &Env,
    first: Unknown<'_>,
    last: Unknown<'_>,
    step_days: Unknown<'_>,
) -> napi::Result<Vec<DateTime<Utc>>> {
    let run = || {
        let (a, b) = (timestamp_arg(&first, "first")?, timestamp_arg(&last, "last")?);
        Ok(BacktestConfig::grid(a, b, whole_u32(arg::number(&step_days, "stepDays")?, "stepDays")?)?
            .into_iter()
            .map(date)
            .collect())
    };
    run().throw(env)
}

/// Scores as of every date of `dates`: one `HealthScores` per date (health history).
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, scorecard: Scorecard | ScorecardSet | object | string, dates: Array<Date | string | number>, snapshotConfig?: SnapshotConfig | string | null, flagConfig?: object | string | null"
)]
pub fn health_history(
    env: &Env,
    dataset: Unknown<'_>,
    scorecard: Unknown<'_>,
    dates: Unknown<'_>,
    snapshot_config: Option<Unknown<'_>>,
    flag_config: Option<Unknown<'_>>,
) -> napi::Result<Vec<HealthScores>> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let card = card_arg(env, &scorecard)?;
        if !dates.is_array().core()? {
            return Err(invalid_argument("dates", "expected an array of instants"));
        }
        // SAFETY: the value was just checked to be an array.
        let items: Vec<Unknown<'_>> = unsafe { dates.cast() }.core()?;
        let dates = instants(items, "dates")?;
        let sc = config_arg(snapshot_config.as_ref(), "snapshotConfig")?;
        let fc = self::flag_config(flag_config.as_ref(), "flagConfig")?;
        let hist = health::health_history(&dataset.inner, card.scorer(), &dates, &sc, &fc)?;
        Ok(hist.into_iter().map(HealthScores::new).collect())
    };
    run().throw(env)
}

/// One account's series out of a health history: `{as_of, score, band}` per date (`null` where
/// the account was not scored).
#[napi(catch_unwind, ts_args_type = "history: Array<HealthScores>, accountId: string", ts_return_type = "Array<HistoryPoint>")]
pub fn account_history(env: &Env, history: Unknown<'_>, account_id: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        let hist: Vec<CoreScores> =
            arg::instances::<HealthScores>(&history, "history")?.iter().map(|h| (*h.inner).clone()).collect();
        json(&health::account_history(&hist, &arg::string(&account_id, "accountId")?))
    };
    run().throw(env)
}
