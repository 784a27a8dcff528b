//! Experiments (`custfit::experiment`): holdout draws, the sample-ratio check, power and sample
//! size, effect estimates (Welch, the always-valid interval, CUPED), retention curves
//! (Kaplan–Meier, log-rank), the analysis of a play ledger (`analyse`, `analyseAsync`) and the
//! simulated experiment (`simulateExperiment`, `simulateExperimentAsync`). `powerPlan` reads a
//! dry run as `dryRun` returned it (`{runs, state, plays}`, or its JSON text).
//!
//! Samples cross as arrays of numbers or `Float64Array`s (read without a JS value per item);
//! configs are the core's documents (objects with snake_case keys, or JSON text); results are
//! plain objects in the core's serde form (instants as ISO strings), the shapes of the golden
//! cases. Optional numeric arguments default as in Python: `threshold` 0.001, `alpha` 0.05,
//! `power` 0.8, `ratio` 1, `confidence` 0.95, `tuning` 5000.

use std::sync::Arc;

use custfit::document::{part_from_json_str, part_from_json_value};
use custfit::experiment::{
    self, AnalysisConfig, ArmSummary, Effect, ExperimentReport, KaplanMeier, Observation, PowerPlanConfig, SimulatedExperiment,
    SimulatedExperimentResult,
};
use custfit::play::{self as core_play, DryRun, PlayState as CoreState, Playbook as CoreBook};
use custfit::{Dataset as CoreDataset, Error};
use napi::bindgen_prelude::{Env, JavaScriptClassExt, Object, PromiseRaw, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::arg;
use crate::data::{to_json, Dataset};
use crate::document::document as read_document;
use crate::error::{guard, invalid_argument, throw, IntoCore, Result, Throw};
use crate::health::{json, Report};
use crate::play::{playbook_arg, PlayState};
use crate::time::type_name;

// ------------------------------------------------------------------ arguments

/// A value in the core's serde form named `name`: an object or an array (converted), or JSON
/// text; `parse_error` for the shape (as a document's fields), `invalid_argument` for a value of
/// another type.
pub(crate) fn serde_arg<T: DeserializeOwned>(value: &Unknown<'_>, name: &str, expected: &str) -> Result<T> {
    match value.get_type().core()? {
        ValueType::String => part_from_json_str(&arg::string(value, name)?, name),
        ValueType::Object if !value.is_date().core()? => {
            let v = to_json(value, "", 0)
                .map_err(|u| Error::Parse { what: name.into(), reason: format!("at `{}`: {}", u.path, u.reason) })?
                .unwrap_or(Value::Null);
            part_from_json_value(v, name)
        }
        _ => Err(invalid_argument(name, format!("expected {expected}, got {}", arg::describe(value)))),
    }
}

/// An object argument `name` (not an array, a Date or null), described as `expected`.
fn object<'a>(value: &'a Unknown<'_>, name: &str, expected: &str) -> Result<Object<'a>> {
    if value.get_type().core()? != ValueType::Object || value.is_array().core()? || value.is_date().core()? {
        return Err(invalid_argument(name, format!("expected {expected}, got {}", arg::describe(value))));
    }
    // SAFETY: the type was just checked.
    unsafe { value.cast::<Object<'_>>() }.core()
}

/// The property `key` of the object argument `name` (`undefined` when absent), read by `read`
/// under the name `name.key`.
fn property<T>(obj: &Object<'_>, name: &str, key: &str, read: impl FnOnce(&Unknown<'_>, &str) -> Result<T>) -> Result<T> {
    let path = format!("{name}.{key}");
    match obj.get::<Unknown<'_>>(key).core()? {
        Some(v) if !matches!(v.get_type().core()?, ValueType::Undefined) => read(&v, &path),
        _ => Err(invalid_argument(&path, "is missing")),
    }
}

/// An arm in summary given as `{n, sum, sum_squares}` (as warehouses keep them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sums {
    n: u64,
    sum: f64,
    sum_squares: f64,
}

/// An arm's summary: `{n, mean, variance}` or `{n, sum, sum_squares}`.
fn arm_summary(value: &Unknown<'_>, name: &str) -> Result<ArmSummary> {
    object(value, name, "an object {n, mean, variance} or {n, sum, sum_squares}")?;
    let v: Value = serde_arg(value, name, "an object")?;
    if v.get("sum").is_some() || v.get("sum_squares").is_some() {
        let s: Sums = part_from_json_value(v, name)?;
        return ArmSummary::from_sums(name, s.n, s.sum, s.sum_squares);
    }
    part_from_json_value(v, name)
}

/// A whole number of accounts named `name`.
fn count(value: &Unknown<'_>, name: &str) -> Result<u64> {
    let x = arg::number(value, name)?;
    if x.fract() == 0.0 && (0.0..=9.0e15).contains(&x) {
        Ok(x as u64)
    } else {
        Err(invalid_argument(name, format!("must be a whole non-negative number, got {x}")))
    }
}

/// An optional number named `name`, `default` when absent.
fn number_or(value: Option<&Unknown<'_>>, name: &str, default: f64) -> Result<f64> {
    Ok(arg::optional_number(value, name)?.unwrap_or(default))
}

/// A `PlayState` argument (required): a copy.
fn state_arg(value: &Unknown<'_>) -> Result<CoreState> {
    Ok(arg::instance::<PlayState>(value, "state")?.inner.clone())
}

/// A dry run as `dryRun` returned it: `{runs, state, plays}` (`state` a `PlayState` or its
/// document), or its JSON text (`JSON.stringify` of the result). Its shape is `parse_error`, as a
/// document's fields (and as in Python, which reads the same dict).
fn dry_run_arg(env: &Env, value: &Unknown<'_>) -> Result<DryRun> {
    const EXPECTED: &str = "a dry run ({runs, state, plays} as dryRun returns it, or its JSON text)";
    if value.get_type().core()? == ValueType::String {
        return serde_arg(value, "dryRun", EXPECTED);
    }
    let obj = object(value, "dryRun", EXPECTED)?;
    let field = |key: &str| -> Result<Unknown<'_>> {
        match obj.get::<Unknown<'_>>(key).core()? {
            Some(v) if v.get_type().core()? != ValueType::Undefined => Ok(v),
            _ => Err(Error::Parse { what: "dryRun".into(), reason: format!("missing field `{key}`") }),
        }
    };
    let part = |key: &str, v: &Unknown<'_>| -> Result<Value> {
        let json = to_json(v, "", 0)
            .map_err(|u| Error::Parse { what: format!("dryRun.{key}"), reason: format!("at `{}`: {}", u.path, u.reason) })?;
        Ok(json.unwrap_or(Value::Null))
    };
    let runs = part_from_json_value(part("runs", &field("runs")?)?, "dryRun.runs")?;
    let plays = part_from_json_value(part("plays", &field("plays")?)?, "dryRun.plays")?;
    let state = field("state")?;
    let state = if state.get_type().core()? == ValueType::Object && PlayState::instance_of(env, &state).core()? {
        arg::instance::<PlayState>(&state, "dryRun.state")?.inner.clone()
    } else {
        part_from_json_value(part("state", &state)?, "dryRun.state")?
    };
    Ok(DryRun { runs, state, plays })
}

// ------------------------------------------------------------------ assignment

/// The holdout draw of `account` for `play` under `salt`, in [0, 1): the 64-bit FNV-1a hash of
/// the UTF-8 bytes of salt, 0x1F, play, 0x1F and account, through the splitmix64 finaliser, top
/// 53 bits / 2^53 — the same number in Rust, Python and Node. The global holdout draws with the
/// play `''`.
#[napi(catch_unwind, ts_args_type = "account: string, play: string, salt: string")]
pub fn holdout_draw(env: &Env, account: Unknown<'_>, play: Unknown<'_>, salt: Unknown<'_>) -> napi::Result<f64> {
    let run = || {
        let (account, play, salt) = (arg::string(&account, "account")?, arg::string(&play, "play")?, arg::string(&salt, "salt")?);
        Ok(core_play::holdout_draw(&account, &play, &salt))
    };
    run().throw(env)
}

/// Whether `account` is in the holdout of `play` under `salt` at `share` (0 to 1, clamped): its
/// draw is below the share, so growing the share keeps every earlier holdout account in it.
#[napi(catch_unwind, ts_args_type = "account: string, play: string, salt: string, share: number")]
pub fn is_held_out(
    env: &Env,
    account: Unknown<'_>,
    play: Unknown<'_>,
    salt: Unknown<'_>,
    share: Unknown<'_>,
) -> napi::Result<bool> {
    let run = || {
        let (account, play, salt) = (arg::string(&account, "account")?, arg::string(&play, "play")?, arg::string(&salt, "salt")?);
        Ok(core_play::is_held_out(&account, &play, &salt, arg::number(&share, "share")?))
    };
    run().throw(env)
}

// ------------------------------------------------------------------ checks and power

/// The sample-ratio check: `observed` accounts per arm against the expected `shares` (any
/// positive weights), a mismatch when the p-value is below `threshold` (default 0.001;
/// chi-square, exact binomial for two arms up to 100,000 accounts).
#[napi(
    catch_unwind,
    ts_args_type = "observed: Array<number>, shares: Array<number>, threshold?: number | undefined | null",
    ts_return_type = "SampleRatioCheck"
)]
pub fn sample_ratio_mismatch(
    env: &Env,
    observed: Unknown<'_>,
    shares: Unknown<'_>,
    threshold: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let observed = arg::numbers(&observed, "observed")?;
        let observed = observed
            .iter()
            .map(|&x| {
                if x.fract() == 0.0 && (0.0..=9.0e15).contains(&x) {
                    Ok(x as u64)
                } else {
                    Err(invalid_argument("observed", format!("counts must be whole non-negative numbers, got {x}")))
                }
            })
            .collect::<Result<Vec<u64>>>()?;
        let shares = arg::numbers(&shares, "shares")?;
        let threshold = number_or(threshold.as_ref(), "threshold", 0.001)?;
        json(&experiment::sample_ratio_mismatch(&observed, &shares, threshold)?)
    };
    run().throw(env)
}

/// Accounts per arm to detect a change of a rate from `baseline` by `mde` (absolute, e.g. 0.05
/// for five points) at level `alpha` (default 0.05) with `power` (default 0.8), `ratio` treated
/// accounts per control account (default 1; R's `power.prop.test`).
#[napi(
    catch_unwind,
    ts_args_type = "baseline: number, mde: number, alpha?: number | undefined | null, power?: number | undefined | null, ratio?: number | undefined | null",
    ts_return_type = "SampleSize"
)]
pub fn sample_size_proportions(
    env: &Env,
    baseline: Unknown<'_>,
    mde: Unknown<'_>,
    alpha: Option<Unknown<'_>>,
    power: Option<Unknown<'_>>,
    ratio: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (baseline, mde) = (arg::number(&baseline, "baseline")?, arg::number(&mde, "mde")?);
        let alpha = number_or(alpha.as_ref(), "alpha", 0.05)?;
        let power = number_or(power.as_ref(), "power", 0.8)?;
        let ratio = number_or(ratio.as_ref(), "ratio", 1.0)?;
        json(&experiment::sample_size_proportions(baseline, mde, alpha, power, ratio)?)
    };
    run().throw(env)
}

/// Accounts per arm to detect a change of a mean by `mde` given the outcome's standard deviation
/// `sd`.
#[napi(
    catch_unwind,
    ts_args_type = "sd: number, mde: number, alpha?: number | undefined | null, power?: number | undefined | null, ratio?: number | undefined | null",
    ts_return_type = "SampleSize"
)]
pub fn sample_size_means(
    env: &Env,
    sd: Unknown<'_>,
    mde: Unknown<'_>,
    alpha: Option<Unknown<'_>>,
    power: Option<Unknown<'_>>,
    ratio: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (sd, mde) = (arg::number(&sd, "sd")?, arg::number(&mde, "mde")?);
        let alpha = number_or(alpha.as_ref(), "alpha", 0.05)?;
        let power = number_or(power.as_ref(), "power", 0.8)?;
        let ratio = number_or(ratio.as_ref(), "ratio", 1.0)?;
        json(&experiment::sample_size_means(sd, mde, alpha, power, ratio)?)
    };
    run().throw(env)
}

/// The smallest rise of a rate from `baseline` that `control` and `treatment` accounts detect
/// at `alpha` with `power`; `null` when no rise up to 100 % is detectable.
#[napi(
    catch_unwind,
    ts_args_type = "baseline: number, control: number, treatment: number, alpha?: number | undefined | null, power?: number | undefined | null"
)]
pub fn mde_proportions(
    env: &Env,
    baseline: Unknown<'_>,
    control: Unknown<'_>,
    treatment: Unknown<'_>,
    alpha: Option<Unknown<'_>>,
    power: Option<Unknown<'_>>,
) -> napi::Result<Option<f64>> {
    let run = || {
        let baseline = arg::number(&baseline, "baseline")?;
        let (control, treatment) = (count(&control, "control")?, count(&treatment, "treatment")?);
        let alpha = number_or(alpha.as_ref(), "alpha", 0.05)?;
        let power = number_or(power.as_ref(), "power", 0.8)?;
        experiment::mde_proportions(baseline, control, treatment, alpha, power)
    };
    run().throw(env)
}

/// The smallest difference of means (standard deviation `sd`) that `control` and `treatment`
/// accounts detect at `alpha` with `power`.
#[napi(
    catch_unwind,
    ts_args_type = "sd: number, control: number, treatment: number, alpha?: number | undefined | null, power?: number | undefined | null"
)]
pub fn mde_means(
    env: &Env,
    sd: Unknown<'_>,
    control: Unknown<'_>,
    treatment: Unknown<'_>,
    alpha: Option<Unknown<'_>>,
    power: Option<Unknown<'_>>,
) -> napi::Result<f64> {
    let run = || {
        let sd = arg::number(&sd, "sd")?;
        let (control, treatment) = (count(&control, "control")?, count(&treatment, "treatment")?);
        let alpha = number_or(alpha.as_ref(), "alpha", 0.05)?;
        let power = number_or(power.as_ref(), "power", 0.8)?;
        experiment::mde_means(sd, control, treatment, alpha, power)
    };
    run().throw(env)
}

/// The power plan of the experiments of `playbook` (a `Playbook` or its document) from a dry run
/// of it, as `dryRun` returned it (`{runs, state, plays}`): per play, the accounts a month it
/// enrolls (first records, either arm), the accounts each arm gathers over `config`'s months with
/// the play's holdout share (or the global one), and the smallest effect they detect. `config` is
/// a power plan config: `{outcome: {type: 'rate', baseline} | {type: 'mean', sd}, months?,
/// alpha?, power?}` (defaults 3, 0.05, 0.8).
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, dryRun: DryRunResult | string, config: PowerPlanConfig | object | string",
    ts_return_type = "Array<PlayPower>"
)]
pub fn power_plan(env: &Env, playbook: Unknown<'_>, dry_run: Unknown<'_>, config: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        let book = playbook_arg(env, &playbook)?;
        let dry = dry_run_arg(env, &dry_run)?;
        let config: PowerPlanConfig = read_document(&config, "config")?;
        json(&experiment::power_plan(&book, &dry, &config)?)
    };
    run().throw(env)
}

// ------------------------------------------------------------------ estimates

/// The difference of the means of `treatment` and `control` (at least 2 finite numbers each)
/// with Welch's interval and test at `confidence` (default 0.95), and the relative lift with its
/// delta-method interval.
#[napi(
    catch_unwind,
    ts_args_type = "control: Array<number> | Float64Array, treatment: Array<number> | Float64Array, confidence?: number | undefined | null",
    ts_return_type = "Effect"
)]
pub fn welch(env: &Env, control: Unknown<'_>, treatment: Unknown<'_>, confidence: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        let (control, treatment) = (arg::floats(&control, "control")?, arg::floats(&treatment, "treatment")?);
        let confidence = number_or(confidence.as_ref(), "confidence", 0.95)?;
        json(&experiment::welch(&control, &treatment, confidence)?)
    };
    run().throw(env)
}

/// `welch` from each arm's summary: `{n, mean, variance}` (sample variance) or `{n, sum,
/// sum_squares}` (as a warehouse keeps them).
#[napi(
    catch_unwind,
    ts_args_type = "control: ArmSummary | { n: number; sum: number; sum_squares: number }, treatment: ArmSummary | { n: number; sum: number; sum_squares: number }, confidence?: number | undefined | null",
    ts_return_type = "Effect"
)]
pub fn welch_summary(
    env: &Env,
    control: Unknown<'_>,
    treatment: Unknown<'_>,
    confidence: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (control, treatment) = (arm_summary(&control, "control")?, arm_summary(&treatment, "treatment")?);
        let confidence = number_or(confidence.as_ref(), "confidence", 0.95)?;
        json(&experiment::welch_summary(&control, &treatment, confidence)?)
    };
    run().throw(env)
}

/// The always-valid interval of `effect` (a result of `welch`, `welchSummary` or `cuped`'s
/// `effect`): it may be looked at after every run and stopped on. `tuning` (default 5000) is the
/// total accounts at which it is tightest.
#[napi(catch_unwind, ts_args_type = "effect: Effect, tuning?: number | undefined | null", ts_return_type = "SequentialInterval")]
pub fn sequential(env: &Env, effect: Unknown<'_>, tuning: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        object(&effect, "effect", "an effect (a result of welch)")?;
        let effect: Effect = serde_arg(&effect, "effect", "an object")?;
        let tuning = number_or(tuning.as_ref(), "tuning", 5000.0)?;
        json(&experiment::sequential(&effect, tuning)?)
    };
    run().throw(env)
}

/// CUPED: `control` and `treatment` are `{y, x}` (outcomes and pre-period values, one pair per
/// account); the outcome adjusted by the pre-period value, then estimated as `welch` does, with θ
/// and the variance reduction.
#[napi(
    catch_unwind,
    ts_args_type = "control: { y: Array<number> | Float64Array; x: Array<number> | Float64Array }, treatment: { y: Array<number> | Float64Array; x: Array<number> | Float64Array }, confidence?: number | undefined | null",
    ts_return_type = "CupedEffect"
)]
pub fn cuped(env: &Env, control: Unknown<'_>, treatment: Unknown<'_>, confidence: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        const EXPECTED: &str = "an object {y, x}";
        let c = object(&control, "control", EXPECTED)?;
        let (yc, xc) = (property(&c, "control", "y", arg::floats)?, property(&c, "control", "x", arg::floats)?);
        let t = object(&treatment, "treatment", EXPECTED)?;
        let (yt, xt) = (property(&t, "treatment", "y", arg::floats)?, property(&t, "treatment", "x", arg::floats)?);
        let confidence = number_or(confidence.as_ref(), "confidence", 0.95)?;
        json(&experiment::cuped((&yc, &xc), (&yt, &xt), confidence)?)
    };
    run().throw(env)
}

// ------------------------------------------------------------------ retention

/// The Kaplan–Meier curve of accounts observed for `durations` each (e.g. days since they
/// entered), `events[i]` true when account `i` churned then and false when it was still a
/// customer (censored): one step per event time, with Greenwood's error and a log(−log)
/// interval at `confidence` (default 0.95).
#[napi(
    catch_unwind,
    ts_args_type = "durations: Array<number> | Float64Array, events: Array<boolean>, confidence?: number | undefined | null",
    ts_return_type = "KaplanMeier"
)]
pub fn kaplan_meier(
    env: &Env,
    durations: Unknown<'_>,
    events: Unknown<'_>,
    confidence: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let (durations, events) = (arg::floats(&durations, "durations")?, arg::booleans(&events, "events")?);
        let confidence = number_or(confidence.as_ref(), "confidence", 0.95)?;
        json(&KaplanMeier::fit(&durations, &events, confidence)?)
    };
    run().throw(env)
}

/// Survival at `time` on `curve` (a result of `kaplanMeier`) with its interval: `[survival,
/// low, high]` of the last step at or before `time` (1 before the first).
#[napi(catch_unwind, ts_args_type = "curve: KaplanMeier, time: number", ts_return_type = "[number, number, number]")]
pub fn survival_at(env: &Env, curve: Unknown<'_>, time: Unknown<'_>) -> napi::Result<Vec<f64>> {
    let run = || {
        object(&curve, "curve", "a Kaplan-Meier curve (a result of kaplanMeier)")?;
        let curve: KaplanMeier = serde_arg(&curve, "curve", "an object")?;
        let (s, lo, hi) = curve.at(arg::number(&time, "time")?);
        Ok(vec![s, lo, hi])
    };
    run().throw(env)
}

/// The log-rank test of arm `a` against arm `b`, each `{durations, events}` as `kaplanMeier`
/// takes them.
#[napi(
    catch_unwind,
    ts_args_type = "a: { durations: Array<number> | Float64Array; events: Array<boolean> }, b: { durations: Array<number> | Float64Array; events: Array<boolean> }",
    ts_return_type = "LogRank"
)]
pub fn log_rank(env: &Env, a: Unknown<'_>, b: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        const EXPECTED: &str = "an object {durations, events}";
        let oa = object(&a, "a", EXPECTED)?;
        let (da, ea) = (property(&oa, "a", "durations", arg::floats)?, property(&oa, "a", "events", arg::booleans)?);
        let ob = object(&b, "b", EXPECTED)?;
        let (db, eb) = (property(&ob, "b", "durations", arg::floats)?, property(&ob, "b", "events", arg::booleans)?);
        json(&experiment::log_rank((&da, &ea), (&db, &eb))?)
    };
    run().throw(env)
}

// ------------------------------------------------------------------ the ledger's experiments

/// The arguments of an analysis, read on the JS thread.
type AnalyseJob = (Arc<CoreBook>, CoreState, Arc<CoreDataset>, AnalysisConfig);

fn analyse_job(
    env: &Env,
    playbook: &Unknown<'_>,
    state: &Unknown<'_>,
    dataset: &Unknown<'_>,
    config: &Unknown<'_>,
) -> Result<AnalyseJob> {
    let book = playbook_arg(env, playbook)?;
    let state = state_arg(state)?;
    let ds = Arc::clone(&arg::instance::<Dataset>(dataset, "dataset")?.inner);
    let config: AnalysisConfig = read_document(config, "config")?;
    Ok((book, state, ds, config))
}

/// The experiments of `state` (the ledger of `playbook`, a `Playbook` or its document) against
/// `dataset`: each account enters a play's experiment at its first record, in that record's arm,
/// and `config` (an analysis config: `{outcome, plays?, groups?, control?, confidence?, cuped?,
/// sequential? …}`) says what is measured and how. One result per play (or group) with its
/// effect, interval, sample-ratio check and verdict (`works`, `harmful`, `not_enough_data`,
/// `sample_ratio_mismatch`).
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, state: PlayState, dataset: Dataset, config: AnalysisConfig | object | string",
    ts_return_type = "ExperimentReport"
)]
pub fn analyse(
    env: &Env,
    playbook: Unknown<'_>,
    state: Unknown<'_>,
    dataset: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<Value> {
    let run = || {
        let (book, state, ds, config) = analyse_job(env, &playbook, &state, &dataset, &config)?;
        json(&experiment::analyse(&book, &state, &ds, &config)?)
    };
    run().throw(env)
}

/// Runs an analysis on libuv's thread pool.
pub struct AnalyseTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<AnalyseJob>>,
}

impl Task for AnalyseTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<ExperimentReport>>;
    type JsValue = Report;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((book, state, ds, config))) => guard(|| Some(experiment::analyse(book, state, ds, config))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Report> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(report)) => json(&report).map(Report).map_err(|e| throw(&env, &e)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "analysis task started twice"))),
        }
    }
}

/// `analyse` off the event loop: computed on libuv's thread pool (the arguments are read, and
/// the ledger copied, before it starts). Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, state: PlayState, dataset: Dataset, config: AnalysisConfig | object | string",
    ts_return_type = "Promise<ExperimentReport>"
)]
pub fn analyse_async<'env>(
    env: &'env Env,
    playbook: Unknown<'_>,
    state: Unknown<'_>,
    dataset: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    let job = analyse_job(env, &playbook, &state, &dataset, &config);
    Ok(env.spawn(AnalyseTask { job: Some(job) })?.promise_object())
}

/// The per-account table behind `analyse`: per play (or group) of `config`, each account's arm,
/// when it entered, and its outcome (`value` and `pre` for metric and revenue outcomes,
/// `duration_days` and `churned` for retention). Edit or join it, then pass it to
/// `analyseObservations`.
#[napi(
    catch_unwind,
    ts_args_type = "playbook: Playbook | object | string, state: PlayState, dataset: Dataset, config: AnalysisConfig | object | string",
    ts_return_type = "Array<Observation>"
)]
pub fn experiment_observations(
    env: &Env,
    playbook: Unknown<'_>,
    state: Unknown<'_>,
    dataset: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<Value> {
    let run = || {
        let (book, state, ds, config) = analyse_job(env, &playbook, &state, &dataset, &config)?;
        json(&experiment::observations(&book, &state, &ds, &config)?)
    };
    run().throw(env)
}

/// The statistics of experiments whose outcomes the caller measured: `observations` (`{group,
/// account_id, arm, entered, value?, pre?, duration_days?, churned?}`, as
/// `experimentObservations` returns them) analysed by `config` as `analyse` does (the expected
/// control shares come from `config` only).
#[napi(
    catch_unwind,
    ts_args_type = "observations: Array<Observation>, config: AnalysisConfig | object | string",
    ts_return_type = "ExperimentReport"
)]
pub fn analyse_observations(env: &Env, observations: Unknown<'_>, config: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        if !observations.is_array().core()? {
            let reason = format!("expected an array of observations, got {}", arg::describe(&observations));
            return Err(invalid_argument("observations", reason));
        }
        let observations: Vec<Observation> = serde_arg(&observations, "observations", "an array")?;
        let config: AnalysisConfig = read_document(&config, "config")?;
        json(&experiment::analyse_observations(&observations, &config)?)
    };
    run().throw(env)
}

// ------------------------------------------------------------------ the simulated experiment

/// What `simulateExperiment` returns: the report, the truth and the replay's ledger.
/// `JSON.stringify` of it is the core's `SimulatedExperimentResult`.
#[napi(object, object_from_js = false)]
pub struct SimulatedExperimentRun {
    /// The analysis of the treated base, as a user would see it.
    #[napi(ts_type = "ExperimentReport")]
    pub report: Value,
    /// The true effect per play or group, in the report's order (`{group, effect, covered}`).
    #[napi(ts_type = "Array<TrueEffect>")]
    pub truth: Value,
    /// The ledger of the replay.
    pub state: PlayState,
}

fn simulated_run(result: SimulatedExperimentResult) -> Result<SimulatedExperimentRun> {
    Ok(SimulatedExperimentRun {
        report: json(&result.report)?,
        truth: json(&result.truth)?,
        state: PlayState { inner: result.state },
    })
}

fn simulated_config(config: &Unknown<'_>) -> Result<SimulatedExperiment> {
    match config.get_type().core()? {
        ValueType::String => {}
        ValueType::Object if !config.is_array().core()? && !config.is_date().core()? => {}
        _ => {
            let reason = format!(
                "expected a simulated experiment (an object or its JSON text), got {}",
                type_name(config.get_type().core()?)
            );
            return Err(invalid_argument("config", reason));
        }
    }
    read_document(config, "config")
}

/// The whole loop on simulated data with a known effect: `config` (a simulated experiment
/// document: `{version?, simulation, playbook, recipe?, dry_run, effects, analysis}`) replays
/// the playbook with its holdouts over a simulated base, lets each play's treated accounts change
/// by its effect (`{play, engagement?, churn_odds?}`) from the day they were treated, analyses
/// the ledger, and computes the true effect of each play. Returns `{report, truth, state}`.
#[napi(catch_unwind, ts_args_type = "config: SimulatedExperiment | object | string", ts_return_type = "SimulatedExperimentRun")]
pub fn simulate_experiment(env: &Env, config: Unknown<'_>) -> napi::Result<SimulatedExperimentRun> {
    let run = || simulated_run(experiment::simulate_experiment(&simulated_config(&config)?)?);
    run().throw(env)
}

/// Runs a simulated experiment on libuv's thread pool.
pub struct SimulateExperimentTask {
    /// The parsed config, or the error to reject with.
    config: Option<Result<SimulatedExperiment>>,
}

impl Task for SimulateExperimentTask {
    /// `None` when the config was bad (nothing to compute).
    type Output = Option<custfit::Result<SimulatedExperimentResult>>;
    type JsValue = SimulatedExperimentRun;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.config {
            Some(Ok(config)) => guard(|| Some(experiment::simulate_experiment(config))),
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<SimulatedExperimentRun> {
        if let Some(Err(e)) = self.config.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(result)) => simulated_run(result).map_err(|e| throw(&env, &e)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("config", "simulated experiment task started twice"))),
        }
    }
}

/// `simulateExperiment` off the event loop; every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "config: SimulatedExperiment | object | string",
    ts_return_type = "Promise<SimulatedExperimentRun>"
)]
pub fn simulate_experiment_async<'env>(
    env: &'env Env,
    config: Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, SimulatedExperimentRun>> {
    let config = simulated_config(&config);
    Ok(env.spawn(SimulateExperimentTask { config: Some(config) })?.promise_object())
}
