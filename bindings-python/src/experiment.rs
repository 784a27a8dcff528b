//! Experiments (`custfit::experiment`): holdout draws, the sample-ratio check, power and sample
//! size, effect estimates (Welch, the always-valid interval, CUPED), retention curves
//! (Kaplan–Meier, log-rank), the analysis of a play ledger and the simulated experiment.
//!
//! Numbers cross as Python numbers; samples as NumPy arrays (a float64 C-contiguous array is read
//! in place, any other array converted once) or sequences of numbers. Configs are the core's
//! documents (dicts or JSON text); results are dicts in the core's serde form, instants as RFC
//! 3339 text (as in the golden cases). The analysis and the simulated experiment release the GIL.
//! `power_plan` reads a dry run as `dry_run` returned it (its dict, or the `(dict, PlayState)`
//! pair itself).

use custfit::document::{part_from_json_str, part_from_json_value};
use custfit::experiment::{
    self, AnalysisConfig, ArmSummary, Effect, KaplanMeier, Observation, PowerPlanConfig, SimulatedExperiment,
};
use custfit::play::{self, DryRun, PlayState};
use custfit::Error;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{to_json, type_name, Whole};
use crate::data::PyDataset;
use crate::document::document as read_document;
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::health::{to_py, to_py_list};
use crate::play::{playbook_arg, PyPlayState};

// ------------------------------------------------------------------ arguments

/// A sample: a 1-D NumPy array (float64 C-contiguous: read in place; other dtypes converted
/// once) or any sequence of numbers.
pub enum Floats<'py> {
    Array(PyReadonlyArray1<'py, f64>),
    List(Vec<f64>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Floats<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let obj = obj.to_owned();
        if obj.is_instance_of::<PyString>() {
            return Err(pyo3::exceptions::PyTypeError::new_err("expected a sequence of numbers or a 1-D NumPy array, got str"));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() || !obj.hasattr("__array__")? {
            return Ok(Floats::List(obj.extract()?));
        }
        let array = obj.py().import("numpy")?.call_method1("ascontiguousarray", (&obj, "float64"))?;
        Ok(Floats::Array(array.extract()?))
    }
}

impl Floats<'_> {
    /// The values (an array is contiguous: `ascontiguousarray` made it so).
    fn values(&self, name: &str) -> custfit::Result<&[f64]> {
        match self {
            Floats::Array(a) => a.as_slice().map_err(|e| invalid_argument(name, e.to_string())),
            Floats::List(v) => Ok(v),
        }
    }
}

/// A dict argument `name` with the keys of one arm of a sample (`y` and `x`, `durations` and
/// `events`); anything else is `invalid_argument` naming it.
fn arm_dict<'b, 'py>(obj: &'b Bound<'py, PyAny>, name: &str, keys: [&str; 2]) -> PyResult<&'b Bound<'py, PyAny>> {
    if obj.cast::<PyDict>().is_err() && obj.cast::<PyMapping>().is_err() {
        let reason = format!("expected a dict with keys {:?} and {:?}, got {}", keys[0], keys[1], type_name(obj));
        return Err(invalid_argument(name, reason)).py(obj.py());
    }
    Ok(obj)
}

/// The value of `key` in the dict argument `name`, extracted as `T`: a missing key or a value of
/// the wrong type is `invalid_argument` naming `name.key`.
fn item<'py, T: for<'a> FromPyObject<'a, 'py, Error = PyErr>>(obj: &Bound<'py, PyAny>, name: &str, key: &str) -> PyResult<T> {
    let py = obj.py();
    let path = format!("{name}.{key}");
    let value = obj.get_item(key).map_err(|_| crate::error::to_py(py, &invalid_argument(&path, "is missing")))?;
    value.extract().map_err(|e: PyErr| crate::error::to_py(py, &invalid_argument(&path, e.to_string())))
}

/// A value of the core's serde form (a list or a dict, or JSON text) named `name`: `parse_error`
/// for the shape, as a document's fields.
pub(crate) fn serde_arg<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str, what: &str) -> PyResult<T> {
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return part_from_json_str(&text, name).py(py);
    }
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() || obj.cast::<PyMapping>().is_ok()) {
        return Err(invalid_argument(name, format!("expected {what}, got {}", type_name(obj)))).py(py);
    }
    let value = to_json(obj, "")?
        .map_err(|b| Error::Parse { what: name.to_string(), reason: format!("at `{}`: {}", b.path, b.reason) })
        .py(py)?;
    part_from_json_value(value, name).py(py)
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
fn arm_summary(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<ArmSummary> {
    let value: Value = serde_arg(py, obj, name, "a dict {n, mean, variance} or {n, sum, sum_squares}")?;
    if value.get("sum").is_some() || value.get("sum_squares").is_some() {
        let s: Sums = part_from_json_value(value, name).py(py)?;
        return guard(py, || ArmSummary::from_sums(name, s.n, s.sum, s.sum_squares));
    }
    part_from_json_value(value, name).py(py)
}

/// A ledger argument: a copy, so the call holds no borrow of the caller's object while the GIL
/// is released.
fn state_arg(py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<PlayState> {
    match state.cast::<PyPlayState>() {
        Ok(s) => Ok(s.try_borrow().map_err(|e| invalid_argument("state", e.to_string())).py(py)?.inner.clone()),
        Err(_) => Err(invalid_argument("state", format!("expected a PlayState, got {}", type_name(state)))).py(py),
    }
}

/// A dry run as `dry_run` returned it: its dict (or that dict's JSON text), or the `(dict,
/// PlayState)` pair itself. The dict's shape is `parse_error`, as a document's fields.
fn dry_run_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<DryRun> {
    let obj = match obj.cast::<PyTuple>() {
        Ok(pair) if pair.len() == 2 && pair.get_item(1)?.is_instance_of::<PyPlayState>() => pair.get_item(0)?,
        _ => obj.clone(),
    };
    if !(obj.is_instance_of::<PyString>() || obj.cast::<PyMapping>().is_ok()) {
        let reason = format!("expected a dry run (what dry_run returns, or its dict), got {}", type_name(&obj));
        return Err(invalid_argument("dry_run", reason)).py(py);
    }
    serde_arg(py, &obj, "dry_run", "a dry run dict")
}

// ------------------------------------------------------------------ assignment

/// The holdout draw of ``account`` for ``play`` under ``salt``, in [0, 1): the 64-bit FNV-1a
/// hash of the UTF-8 bytes of salt, 0x1F, play, 0x1F and account, through the splitmix64
/// finaliser, top 53 bits / 2^53 — the same number in Rust, Python and Node. The global holdout
/// draws with the play ``""``.
#[pyfunction]
pub fn holdout_draw(account: &str, play: &str, salt: &str) -> f64 {
    play::holdout_draw(account, play, salt)
}

/// True when ``account`` is in the holdout of ``play`` under ``salt`` at ``share`` (0 to 1,
/// clamped): its draw is below the share, so growing the share keeps every earlier holdout
/// account in it.
#[pyfunction]
pub fn is_held_out(account: &str, play: &str, salt: &str, share: f64) -> bool {
    play::is_held_out(account, play, salt, share)
}

// ------------------------------------------------------------------ checks and power

/// The sample-ratio check: ``observed`` accounts per arm against the expected ``shares`` (any
/// positive weights), a mismatch when the p-value is below ``threshold`` (chi-square; exact
/// binomial for two arms up to 100,000 accounts).
#[pyfunction]
#[pyo3(signature = (observed, shares, threshold = 0.001))]
pub fn sample_ratio_mismatch<'py>(
    py: Python<'py>,
    observed: Vec<Whole>,
    shares: Vec<f64>,
    threshold: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let observed = observed.iter().map(|w| w.to_u64("observed")).collect::<custfit::Result<Vec<_>>>().py(py)?;
    to_py(py, &guard(py, || experiment::sample_ratio_mismatch(&observed, &shares, threshold))?)
}

/// Accounts per arm to detect a change of a rate from ``baseline`` by ``mde`` (absolute, e.g.
/// 0.05 for five points) at level ``alpha`` with ``power``, ``ratio`` treated accounts per control
/// account (R's ``power.prop.test``).
#[pyfunction]
#[pyo3(signature = (baseline, mde, alpha = 0.05, power = 0.8, ratio = 1.0))]
pub fn sample_size_proportions<'py>(
    py: Python<'py>,
    baseline: f64,
    mde: f64,
    alpha: f64,
    power: f64,
    ratio: f64,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &guard(py, || experiment::sample_size_proportions(baseline, mde, alpha, power, ratio))?)
}

/// Accounts per arm to detect a change of a mean by ``mde`` given the outcome's standard
/// deviation ``sd``.
#[pyfunction]
#[pyo3(signature = (sd, mde, alpha = 0.05, power = 0.8, ratio = 1.0))]
pub fn sample_size_means<'py>(
    py: Python<'py>,
    sd: f64,
    mde: f64,
    alpha: f64,
    power: f64,
    ratio: f64,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &guard(py, || experiment::sample_size_means(sd, mde, alpha, power, ratio))?)
}

/// The smallest rise of a rate from ``baseline`` that ``control`` and ``treatment`` accounts
/// detect at ``alpha`` with ``power``; None when no rise up to 100 % is detectable.
#[pyfunction]
#[pyo3(signature = (baseline, control, treatment, alpha = 0.05, power = 0.8))]
pub fn mde_proportions(
    py: Python<'_>,
    baseline: f64,
    control: Whole,
    treatment: Whole,
    alpha: f64,
    power: f64,
) -> PyResult<Option<f64>> {
    let (c, t) = (control.to_u64("control").py(py)?, treatment.to_u64("treatment").py(py)?);
    guard(py, || experiment::mde_proportions(baseline, c, t, alpha, power))
}

/// The smallest difference of means (standard deviation ``sd``) that ``control`` and
/// ``treatment`` accounts detect at ``alpha`` with ``power``.
#[pyfunction]
#[pyo3(signature = (sd, control, treatment, alpha = 0.05, power = 0.8))]
pub fn mde_means(py: Python<'_>, sd: f64, control: Whole, treatment: Whole, alpha: f64, power: f64) -> PyResult<f64> {
    let (c, t) = (control.to_u64("control").py(py)?, treatment.to_u64("treatment").py(py)?);
    guard(py, || experiment::mde_means(sd, c, t, alpha, power))
}

/// The power plan of the experiments of ``playbook`` (a Playbook or its document) from a dry
/// run of it, as ``custfit.dry_run`` returned it (the pair, or its dict): per play, the accounts
/// a month it enrolls (first records, either arm), the accounts each arm gathers over
/// ``config``'s months with the play's holdout share (or the global one), and the smallest effect
/// they detect. ``config`` is a power plan config: ``{"outcome": {"type": "rate", "baseline"} |
/// {"type": "mean", "sd"}, "months"?, "alpha"?, "power"?}`` (defaults 3, 0.05, 0.8).
#[pyfunction]
pub fn power_plan<'py>(
    py: Python<'py>,
    playbook: &Bound<'py, PyAny>,
    dry_run: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut owned = None;
    let book = playbook_arg(py, playbook, &mut owned)?;
    let dry = dry_run_arg(py, dry_run)?;
    let config: PowerPlanConfig = read_document(py, config, "config")?;
    to_py_list(py, &guard(py, || experiment::power_plan(book, &dry, &config))?)
}

// ------------------------------------------------------------------ estimates

/// The difference of the means of ``treatment`` and ``control`` (arrays or sequences of finite
/// numbers, at least 2 each) with Welch's interval and test at ``confidence``, and the relative
/// lift with its delta-method interval. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (control, treatment, confidence = 0.95))]
pub fn welch<'py>(py: Python<'py>, control: Floats<'py>, treatment: Floats<'py>, confidence: f64) -> PyResult<Bound<'py, PyAny>> {
    let (c, t) = (control.values("control").py(py)?, treatment.values("treatment").py(py)?);
    to_py(py, &detach(py, || experiment::welch(c, t, confidence))?)
}

/// ``welch`` from each arm's summary: a dict ``{"n", "mean", "variance"}`` (sample variance) or
/// ``{"n", "sum", "sum_squares"}`` (as a warehouse keeps them).
#[pyfunction]
#[pyo3(signature = (control, treatment, confidence = 0.95))]
pub fn welch_summary<'py>(
    py: Python<'py>,
    control: &Bound<'py, PyAny>,
    treatment: &Bound<'py, PyAny>,
    confidence: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let (c, t) = (arm_summary(py, control, "control")?, arm_summary(py, treatment, "treatment")?);
    to_py(py, &guard(py, || experiment::welch_summary(&c, &t, confidence))?)
}

/// The always-valid interval of ``effect`` (a result of ``welch``, ``welch_summary`` or
/// ``cuped``'s ``effect``): it may be looked at after every run and stopped on. ``tuning`` is the
/// total accounts at which it is tightest.
#[pyfunction]
#[pyo3(signature = (effect, tuning = 5000.0))]
pub fn sequential<'py>(py: Python<'py>, effect: &Bound<'py, PyAny>, tuning: f64) -> PyResult<Bound<'py, PyAny>> {
    let effect: Effect = serde_arg(py, effect, "effect", "an effect dict (a result of welch)")?;
    to_py(py, &guard(py, || experiment::sequential(&effect, tuning))?)
}

/// CUPED: ``control`` and ``treatment`` are dicts ``{"y": outcomes, "x": pre-period values}``
/// (arrays or sequences, one pair per account); the outcome adjusted by the pre-period value,
/// then estimated as ``welch`` does, with θ and the variance reduction. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (control, treatment, confidence = 0.95))]
pub fn cuped<'py>(
    py: Python<'py>,
    control: &Bound<'py, PyAny>,
    treatment: &Bound<'py, PyAny>,
    confidence: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let (control, treatment) = (arm_dict(control, "control", ["y", "x"])?, arm_dict(treatment, "treatment", ["y", "x"])?);
    let (yc, xc): (Floats<'py>, Floats<'py>) = (item(control, "control", "y")?, item(control, "control", "x")?);
    let (yt, xt): (Floats<'py>, Floats<'py>) = (item(treatment, "treatment", "y")?, item(treatment, "treatment", "x")?);
    let (yc, xc) = (yc.values("control").py(py)?, xc.values("control").py(py)?);
    let (yt, xt) = (yt.values("treatment").py(py)?, xt.values("treatment").py(py)?);
    to_py(py, &detach(py, || experiment::cuped((yc, xc), (yt, xt), confidence))?)
}

// ------------------------------------------------------------------ retention

/// The Kaplan–Meier curve of accounts observed for ``durations`` each (e.g. days since they
/// entered), ``events[i]`` true when account ``i`` churned then and false when it was still a
/// customer (censored): one step per event time, with Greenwood's error and a log(−log)
/// interval at ``confidence``. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (durations, events, confidence = 0.95))]
pub fn kaplan_meier<'py>(
    py: Python<'py>,
    durations: Floats<'py>,
    events: Vec<bool>,
    confidence: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let d = durations.values("durations").py(py)?;
    to_py(py, &detach(py, || KaplanMeier::fit(d, &events, confidence))?)
}

/// Survival at ``time`` on ``curve`` (a result of ``kaplan_meier``) with its interval: ``(survival,
/// low, high)`` of the last step at or before ``time`` (1 before the first).
#[pyfunction]
pub fn survival_at(py: Python<'_>, curve: &Bound<'_, PyAny>, time: f64) -> PyResult<(f64, f64, f64)> {
    let curve: KaplanMeier = serde_arg(py, curve, "curve", "a Kaplan-Meier dict (a result of kaplan_meier)")?;
    Ok(curve.at(time))
}

/// The log-rank test of arm ``a`` against arm ``b``, each a dict ``{"durations", "events"}`` as
/// ``kaplan_meier`` takes them. Releases the GIL.
#[pyfunction]
pub fn log_rank<'py>(py: Python<'py>, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let (a, b) = (arm_dict(a, "a", ["durations", "events"])?, arm_dict(b, "b", ["durations", "events"])?);
    let (da, ea): (Floats<'py>, Vec<bool>) = (item(a, "a", "durations")?, item(a, "a", "events")?);
    let (db, eb): (Floats<'py>, Vec<bool>) = (item(b, "b", "durations")?, item(b, "b", "events")?);
    let (da, db) = (da.values("a").py(py)?, db.values("b").py(py)?);
    to_py(py, &detach(py, || experiment::log_rank((da, &ea), (db, &eb)))?)
}

// ------------------------------------------------------------------ the ledger's experiments

/// The experiments of ``state`` (a PlayState: the ledger of ``playbook``, a Playbook or its
/// document) against ``dataset``: each account enters a play's experiment at its first record,
/// in that record's arm, and ``config`` (an analysis config: ``{"outcome", "plays"?, "groups"?,
/// "control"?, "confidence"?, "cuped"?, "sequential"? …}``) says what is measured and how. One
/// result per play (or group) with its effect, interval, sample-ratio check and verdict
/// (``works``, ``harmful``, ``not_enough_data``, ``sample_ratio_mismatch``). Releases the GIL.
#[pyfunction]
pub fn analyse<'py>(
    py: Python<'py>,
    playbook: &Bound<'py, PyAny>,
    state: &Bound<'py, PyAny>,
    dataset: PyRef<'_, PyDataset>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut owned = None;
    let book = playbook_arg(py, playbook, &mut owned)?;
    let state = state_arg(py, state)?;
    let config: AnalysisConfig = read_document(py, config, "config")?;
    let ds = &dataset.inner;
    to_py(py, &detach(py, || experiment::analyse(book, &state, ds, &config))?)
}

/// The per-account table behind ``analyse``: per play (or group) of ``config``, each account's
/// arm, when it entered, and its outcome (``value`` and ``pre`` for metric and revenue outcomes,
/// ``duration_days`` and ``churned`` for retention). Edit or join it, then pass it to
/// ``analyse_observations``. Releases the GIL.
#[pyfunction]
pub fn experiment_observations<'py>(
    py: Python<'py>,
    playbook: &Bound<'py, PyAny>,
    state: &Bound<'py, PyAny>,
    dataset: PyRef<'_, PyDataset>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut owned = None;
    let book = playbook_arg(py, playbook, &mut owned)?;
    let state = state_arg(py, state)?;
    let config: AnalysisConfig = read_document(py, config, "config")?;
    let ds = &dataset.inner;
    to_py_list(py, &detach(py, || experiment::observations(book, &state, ds, &config))?)
}

/// The statistics of experiments whose outcomes the caller measured: ``observations`` (a list
/// of dicts ``{"group", "account_id", "arm", "entered", "value"?, "pre"?, "duration_days"?,
/// "churned"?}``, as ``experiment_observations`` returns them) analysed by ``config`` as
/// ``analyse`` does (the expected control shares come from ``config`` only). Releases the GIL.
#[pyfunction]
pub fn analyse_observations<'py>(
    py: Python<'py>,
    observations: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let observations: Vec<Observation> =
        serde_arg(py, observations, "observations", "a list of observation dicts (as experiment_observations returns)")?;
    let config: AnalysisConfig = read_document(py, config, "config")?;
    to_py(py, &detach(py, || experiment::analyse_observations(&observations, &config))?)
}

/// The whole loop on simulated data with a known effect: ``config`` (a simulated experiment
/// document: ``{"version"?, "simulation", "playbook", "recipe"?, "dry_run", "effects",
/// "analysis"}``, a dict or JSON text) replays the playbook with its holdouts over a simulated
/// base, lets each play's treated accounts change by its effect (``{"play", "engagement"?,
/// "churn_odds"?}``) from the day they were treated, analyses the ledger, and computes the true
/// effect of each play. Returns the result (``report``, ``truth``, ``state``) and the replay's
/// ledger as a PlayState. Releases the GIL.
#[pyfunction]
pub fn simulate_experiment<'py>(py: Python<'py>, config: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, PyPlayState)> {
    if !(config.is_instance_of::<PyString>() || config.cast::<PyMapping>().is_ok()) {
        let reason = format!("expected a simulated experiment (a dict or JSON text), got {}", type_name(config));
        return Err(invalid_argument("config", reason)).py(py);
    }
    let config: SimulatedExperiment = read_document(py, config, "config")?;
    let result = detach(py, || experiment::simulate_experiment(&config))?;
    Ok((to_py(py, &result)?, PyPlayState { inner: result.state }))
}

/// Adds the experiment functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(holdout_draw, m)?)?;
    m.add_function(wrap_pyfunction!(is_held_out, m)?)?;
    m.add_function(wrap_pyfunction!(sample_ratio_mismatch, m)?)?;
    m.add_function(wrap_pyfunction!(sample_size_proportions, m)?)?;
    m.add_function(wrap_pyfunction!(sample_size_means, m)?)?;
    m.add_function(wrap_pyfunction!(mde_proportions, m)?)?;
    m.add_function(wrap_pyfunction!(mde_means, m)?)?;
    m.add_function(wrap_pyfunction!(power_plan, m)?)?;
    m.add_function(wrap_pyfunction!(welch, m)?)?;
    m.add_function(wrap_pyfunction!(welch_summary, m)?)?;
    m.add_function(wrap_pyfunction!(sequential, m)?)?;
    m.add_function(wrap_pyfunction!(cuped, m)?)?;
    m.add_function(wrap_pyfunction!(kaplan_meier, m)?)?;
    m.add_function(wrap_pyfunction!(survival_at, m)?)?;
    m.add_function(wrap_pyfunction!(log_rank, m)?)?;
    m.add_function(wrap_pyfunction!(analyse, m)?)?;
    m.add_function(wrap_pyfunction!(experiment_observations, m)?)?;
    m.add_function(wrap_pyfunction!(analyse_observations, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_experiment, m)?)?;
    Ok(())
}
