//! The account lifecycle (`custfit::lifecycle`): `growthAccounting` (new, returning,
//! resurrecting, dormant and churned accounts per period, each account's bucket),
//! `retentionCohorts`, `engagementMoments` (each account's journey through its milestones) and
//! `phaseHistory`, with `…Async` variants on libuv's pool.
//!
//! Configs are the core's `LifecycleConfig` / `CohortConfig` / `MomentsConfig` documents (an
//! object with serde keys, or its JSON text; absent: the defaults, monthly); phases are a
//! `RuleSegmentation` document, as `segmentRules` takes it. Growth accounting and engagement
//! moments come back as objects (`GrowthAccounting`, `EngagementMoments`), because their
//! per-account results are columns a snapshot takes (`snapshot.withColumns(growth,
//! 'lifecycle')`, `snapshot.withColumns(moments, 'onboarding')`); their `toJSON()`, the cohorts
//! and the phase history are the core's serde form (snake_case keys, instants as ISO strings), as
//! in Rust and Python.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::document::Document;
use custfit::lifecycle::{
    self, CohortConfig, EngagementMoments as CoreMoments, GrowthAccounting as CoreGrowth, LifecycleConfig, MomentsConfig,
};
use custfit::segment::RuleSegmentation;
use custfit::{Dataset as CoreDataset, SnapshotConfig, Timestamp};
use napi::bindgen_prelude::{Env, PromiseRaw, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::data::Dataset;
use crate::document::document;
use crate::error::{guard, invalid_argument, throw, IntoCore, Result, Throw};
use crate::health::{instants, json, Report};
use crate::time::{date, timestamp_arg};

/// A config argument: its document (an object or its JSON text), or `default()` when absent
/// (`undefined` or `null`).
fn config<T: Document>(value: Option<&Unknown<'_>>, default: impl FnOnce() -> T) -> Result<T> {
    match value {
        Some(v) if !matches!(v.get_type().core()?, ValueType::Undefined | ValueType::Null) => document(v, "config"),
        _ => Ok(default()),
    }
}

fn lifecycle_config(value: Option<&Unknown<'_>>) -> Result<LifecycleConfig> {
    config(value, || LifecycleConfig::new(Default::default()))
}

fn cohort_config(value: Option<&Unknown<'_>>) -> Result<CohortConfig> {
    config(value, || CohortConfig::new(Default::default(), Default::default(), Default::default()))
}

/// The data (shared, copy-on-write), `asOf` and the config, read on the JS thread.
type Job<C> = (Arc<CoreDataset>, Timestamp, C);

fn job<C>(
    dataset: &Unknown<'_>,
    as_of: &Unknown<'_>,
    config: Option<&Unknown<'_>>,
    read: impl FnOnce(Option<&Unknown<'_>>) -> Result<C>,
) -> Result<Job<C>> {
    let ds = Arc::clone(&arg::instance::<Dataset>(dataset, "dataset")?.inner);
    let t = timestamp_arg(as_of, "asOf")?;
    Ok((ds, t, read(config)?))
}

/// Growth accounting of a dataset: per period the accounts that are new, returning,
/// resurrecting, dormant and just churned, and each account's bucket in the period of `asOf`.
/// `snapshot.withColumns(growth, 'lifecycle')` adds the buckets as the columns `lifecycle` and
/// `lifecycle_first_active`; `toArrow(growth)` is that table.
#[napi]
pub struct GrowthAccounting {
    pub(crate) inner: Arc<CoreGrowth>,
}

impl GrowthAccounting {
    fn new(inner: CoreGrowth) -> Self {
        GrowthAccounting { inner: Arc::new(inner) }
    }
}

#[napi]
impl GrowthAccounting {
    /// Not made with `new`: `growthAccounting` and `growthAccountingAsync` make them.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "GrowthAccounting", "`growthAccounting` and `growthAccountingAsync`"))
    }

    /// The period: `'day'`, `'week'` (ISO, Monday to Sunday) or `'month'`.
    #[napi(getter, catch_unwind, ts_return_type = "Period")]
    pub fn period(&self) -> String {
        self.inner.period.as_str().to_string()
    }

    /// The instant the accounting is as of.
    #[napi(getter, catch_unwind)]
    pub fn as_of(&self) -> DateTime<Utc> {
        date(self.inner.as_of)
    }

    /// The periods, oldest first, up to the one holding `asOf` (`{start, end, complete, active,
    /// new, returning, resurrecting, dormant, churned, quick_ratio}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<GrowthPeriod>")]
    pub fn periods(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.periods).throw(env)
    }

    /// Every account of the dataset, in dataset order.
    #[napi(getter, catch_unwind)]
    pub fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids.clone()
    }

    /// Each account's bucket in the period of `asOf` (`'new'`, `'returning'`, `'resurrecting'`,
    /// `'dormant'`; `null`: never active), in `accountIds` order.
    #[napi(getter, catch_unwind, ts_return_type = "Array<Bucket | null>")]
    pub fn buckets(&self) -> Vec<Option<&'static str>> {
        self.inner.buckets.iter().map(|b| b.map(|b| b.as_str())).collect()
    }

    /// The start of each account's first active period (`null`: never active).
    #[napi(getter, catch_unwind, ts_return_type = "Array<Date | null>")]
    pub fn first_active(&self) -> Vec<Option<DateTime<Utc>>> {
        self.inner.first_active.iter().map(|t| t.map(date)).collect()
    }

    /// The result in its serde form (`JSON.stringify(growth)` is the same JSON in Rust and
    /// Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "GrowthAccountingDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }
}

/// Growth accounting of `dataset` up to `asOf` by `config`'s period (a lifecycle config:
/// `{period: 'day' | 'week' | 'month', from?, activity?}`; default monthly). An account is active
/// in a period when it has a product event in it. Throws `unsupported_version`, `parse_error` or
/// `invalid_config` (`from` after `asOf`, more than 10,000 periods).
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config?: LifecycleConfig | object | string | null"
)]
pub fn growth_accounting(
    env: &Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<GrowthAccounting> {
    let run = || {
        let (ds, t, config) = job(&dataset, &as_of, config.as_ref(), lifecycle_config)?;
        Ok(GrowthAccounting::new(lifecycle::growth_accounting(&ds, t, &config)?))
    };
    run().throw(env)
}

/// Runs growth accounting on libuv's thread pool.
pub struct GrowthAccountingTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<Job<LifecycleConfig>>>,
}

impl Task for GrowthAccountingTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<CoreGrowth>>;
    type JsValue = GrowthAccounting;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((ds, t, config))) => guard(|| Some(lifecycle::growth_accounting(ds, *t, config))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<GrowthAccounting> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(growth)) => Ok(GrowthAccounting::new(growth)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "growth accounting task started twice"))),
        }
    }
}

/// `growthAccounting` off the event loop: computed on libuv's thread pool from the data as it is
/// now (later `add…` calls do not affect it). Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config?: LifecycleConfig | object | string | null",
    ts_return_type = "Promise<GrowthAccounting>"
)]
pub fn growth_accounting_async<'env>(
    env: &'env Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'env, GrowthAccounting>> {
    let job = job(&dataset, &as_of, config.as_ref(), lifecycle_config);
    Ok(env.spawn(GrowthAccountingTask { job: Some(job) })?.promise_object())
}

/// Retention cohorts of `dataset` as of `asOf`: accounts grouped by the period they started in,
/// and per later period the share still there (`logo`) and the share of their starting MRR
/// (`gross_revenue`, `net_revenue`); periods not over by `asOf` are `null`. `config` is a cohort
/// config (`{period?, start?: 'first_subscription' | 'first_activity' | 'created', measure?:
/// 'subscribed' | 'active', periods? (default 12, at most 240), from?, activity?}`). Returns
/// `{period, measure, start, rows}`.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config?: CohortConfig | object | string | null",
    ts_return_type = "RetentionCohorts"
)]
pub fn retention_cohorts(
    env: &Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (ds, t, config) = job(&dataset, &as_of, config.as_ref(), cohort_config)?;
        json(&lifecycle::retention_cohorts(&ds, t, &config)?)
    };
    run().throw(env)
}

/// Runs retention cohorts on libuv's thread pool.
pub struct RetentionCohortsTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<Job<CohortConfig>>>,
}

impl Task for RetentionCohortsTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<Value>>;
    type JsValue = Report;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((ds, t, config))) => guard(|| Some(lifecycle::retention_cohorts(ds, *t, config).and_then(|r| json(&r)))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Report> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(cohorts)) => Ok(Report(cohorts)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "retention cohorts task started twice"))),
        }
    }
}

/// `retentionCohorts` off the event loop; every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config?: CohortConfig | object | string | null",
    ts_return_type = "Promise<RetentionCohorts>"
)]
pub fn retention_cohorts_async<'env>(
    env: &'env Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    let job = job(&dataset, &as_of, config.as_ref(), cohort_config);
    Ok(env.spawn(RetentionCohortsTask { job: Some(job) })?.promise_object())
}

fn moments_config(value: Option<&Unknown<'_>>) -> Result<MomentsConfig> {
    match value {
        Some(v) => document(v, "config"),
        None => Err(invalid_argument("config", "expected a moments config (an object or its JSON text), got nothing")),
    }
}

/// Engagement moments of the accounts whose journey started by `asOf`: per account (`journeys`)
/// each moment's status (`'done'`, `'on_track'`, `'behind'`, `'stuck'`, `'waiting'`), when it
/// happened and how long it took, the current moment, the time to first value, the overdue days
/// and the stuck flag, and each cadence's next due date; per moment (`summary`) how many reached
/// and did it, the median / p75 / p90 days, the share on time and how many are behind or stuck.
/// `snapshot.withColumns(moments, 'onboarding')` adds `onboarding_current`, `onboarding_status`,
/// `onboarding_overdue_days`, `onboarding_stuck`, `onboarding_ttfv_days`, one
/// `onboarding_{moment}` per moment and `onboarding_{cadence}_next_due` / `_overdue` per cadence
/// (default name `moments`); `toArrow(moments)` is that table.
#[napi]
pub struct EngagementMoments {
    pub(crate) inner: Arc<CoreMoments>,
}

impl EngagementMoments {
    fn new(inner: CoreMoments) -> Self {
        EngagementMoments { inner: Arc::new(inner) }
    }
}

#[napi]
impl EngagementMoments {
    /// Not made with `new`: `engagementMoments` and `engagementMomentsAsync` make them.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "EngagementMoments", "`engagementMoments` and `engagementMomentsAsync`"))
    }

    /// The instant the moments are as of.
    #[napi(getter, catch_unwind)]
    pub fn as_of(&self) -> DateTime<Utc> {
        date(self.inner.as_of)
    }

    /// The moments' names, in config order.
    #[napi(getter, catch_unwind)]
    pub fn moments(&self) -> Vec<String> {
        self.inner.moments.clone()
    }

    /// The cadences' names, in config order.
    #[napi(getter, catch_unwind)]
    pub fn cadences(&self) -> Vec<String> {
        self.inner.cadences.clone()
    }

    /// The accounts on a journey, in dataset order (`{account_id, start, moments, current,
    /// time_to_first_value_days, overdue_days, stuck, cadences}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<Journey>")]
    pub fn journeys(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.journeys).throw(env)
    }

    /// Per moment, across accounts (`{name, owner_role, reached, done, median_days, p75_days,
    /// p90_days, on_time_share, behind, stuck}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<MomentSummary>")]
    pub fn summary(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.summary).throw(env)
    }

    /// The result in its serde form (`JSON.stringify(moments)` is the same JSON in Rust and
    /// Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "EngagementMomentsDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }
}

/// Engagement moments of `dataset` as of `asOf`. `config` is a moments config: `moments` in
/// order, each `{name, event, filter?, expected, after?: 'start' | 'previous', tolerance? (default
/// 7 days), owner_role?}`; `start?: 'created' | 'first_subscription'`; `from?` (only journeys
/// starting then or later); `first_value?` (default: the moment named `first_value`);
/// `cadences?: [{name, event, filter?, every, owner_role?}]`. Throws `unsupported_version`,
/// `parse_error` or `invalid_config` naming the field (e.g. `moments[0].name`).
#[napi(catch_unwind, ts_args_type = "dataset: Dataset, asOf: Date | string | number, config: MomentsConfig | object | string")]
pub fn engagement_moments(
    env: &Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<EngagementMoments> {
    let run = || {
        let (ds, t, config) = job(&dataset, &as_of, Some(&config), moments_config)?;
        Ok(EngagementMoments::new(lifecycle::engagement_moments(&ds, t, &config)?))
    };
    run().throw(env)
}

/// Runs engagement moments on libuv's thread pool.
pub struct EngagementMomentsTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<Job<MomentsConfig>>>,
}

impl Task for EngagementMomentsTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<CoreMoments>>;
    type JsValue = EngagementMoments;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((ds, t, config))) => guard(|| Some(lifecycle::engagement_moments(ds, *t, config))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<EngagementMoments> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(moments)) => Ok(EngagementMoments::new(moments)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "engagement moments task started twice"))),
        }
    }
}

/// `engagementMoments` off the event loop: computed on libuv's thread pool from the data as it is
/// now. Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, asOf: Date | string | number, config: MomentsConfig | object | string",
    ts_return_type = "Promise<EngagementMoments>"
)]
pub fn engagement_moments_async<'env>(
    env: &'env Env,
    dataset: Unknown<'_>,
    as_of: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, EngagementMoments>> {
    let job = job(&dataset, &as_of, Some(&config), moments_config);
    Ok(env.spawn(EngagementMomentsTask { job: Some(job) })?.promise_object())
}

/// The data (shared), the dates, the snapshot config and the phases, read on the JS thread.
type PhaseJob = (Arc<CoreDataset>, Vec<Timestamp>, SnapshotConfig, RuleSegmentation);

fn phase_job(
    dataset: &Unknown<'_>,
    dates: &Unknown<'_>,
    phases: &Unknown<'_>,
    snapshot_config: Option<&Unknown<'_>>,
) -> Result<PhaseJob> {
    let ds = Arc::clone(&arg::instance::<Dataset>(dataset, "dataset")?.inner);
    if !dates.is_array().core()? {
        return Err(invalid_argument("dates", format!("expected an array of instants, got {}", arg::describe(dates))));
    }
    // SAFETY: the value was just checked to be an array.
    let items: Vec<Unknown<'_>> = unsafe { dates.cast() }.core()?;
    let dates = instants(items, "dates")?;
    let phases: RuleSegmentation = document(phases, "phases")?;
    let snapshot_config = crate::metrics::config_arg(snapshot_config, "snapshotConfig")?;
    Ok((ds, dates, snapshot_config, phases))
}

/// Each account's phase over `dates` (ascending and distinct, at most 1,000): `phases` is a
/// first-match rule segmentation (`{segments: [{name, condition}], default_segment?}`, as
/// `segmentRules` takes it) applied to the snapshot of each date, built with `snapshotConfig`
/// (default: the built-in metrics). Returns `{dates, account_ids, current, transitions}`: each
/// account's phase at the last date (`null`: no rule held) and every change `{account_id, at,
/// from, to}` in date then account order (an account's first phase is a change from `null`).
/// Throws `invalid_argument` naming `dates`, or `invalid_config` for multi-label phases.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, dates: Array<Date | string | number>, phases: RuleSegmentation | object | string, snapshotConfig?: SnapshotConfig | string | null",
    ts_return_type = "PhaseHistory"
)]
pub fn phase_history(
    env: &Env,
    dataset: Unknown<'_>,
    dates: Unknown<'_>,
    phases: Unknown<'_>,
    snapshot_config: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (ds, dates, sc, phases) = phase_job(&dataset, &dates, &phases, snapshot_config.as_ref())?;
        json(&lifecycle::phase_history(&ds, &dates, &sc, &phases)?)
    };
    run().throw(env)
}

/// Runs a phase history on libuv's thread pool.
pub struct PhaseHistoryTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<PhaseJob>>,
}

impl Task for PhaseHistoryTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<Value>>;
    type JsValue = Report;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((ds, dates, sc, phases))) => {
                guard(|| Some(lifecycle::phase_history(ds, dates, sc, phases).and_then(|h| json(&h))))
            }
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Report> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(history)) => Ok(Report(history)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("phases", "phase history task started twice"))),
        }
    }
}

/// `phaseHistory` off the event loop; every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, dates: Array<Date | string | number>, phases: RuleSegmentation | object | string, snapshotConfig?: SnapshotConfig | string | null",
    ts_return_type = "Promise<PhaseHistory>"
)]
pub fn phase_history_async<'env>(
    env: &'env Env,
    dataset: Unknown<'_>,
    dates: Unknown<'_>,
    phases: Unknown<'_>,
    snapshot_config: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    let job = phase_job(&dataset, &dates, &phases, snapshot_config.as_ref());
    Ok(env.spawn(PhaseHistoryTask { job: Some(job) })?.promise_object())
}
