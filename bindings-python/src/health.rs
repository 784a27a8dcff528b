//! Health scoring, edge-case flags, backtests and activity goals (`custfit::health`,
//! `custfit::activity::goal`). Configs are the core's JSON documents (dict or JSON text); results
//! come back as plain dicts and lists (instants as RFC 3339 text) or as a `Snapshot` table.

use custfit::activity::{goal_progress as core_goal_progress, goal_progress_all as core_goal_progress_all, Goal};
use custfit::health::{self, BacktestConfig, FlagConfig, HealthScores, Scorecard, ScorecardSet};
use custfit::{SnapshotConfig, Window};
use pyo3::prelude::*;

use crate::convert::{document_json, from_json};
use crate::data::PyDataset;
use crate::error::{detach, guard, IntoPyResult};
use crate::metrics::PySnapshot;
use crate::time::{timestamp_arg, to_datetime};

fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value).map_err(|e| custfit::Error::Parse { what: "result".into(), reason: e.to_string() }).py(py)?;
    from_json(py, &v)
}

fn doc(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    document_json(obj, name)?.py(py)
}

fn flag_config(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<FlagConfig> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(FlagConfig::default()),
        Some(o) => {
            let text = doc(py, o, "flag_config")?;
            guard(py, || FlagConfig::from_json(&text))
        }
    }
}

fn window(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Window> {
    let text = doc(py, obj, name)?;
    guard(py, || {
        let w: Window = serde_json::from_str(&text).map_err(|e| custfit::Error::Parse { what: name.into(), reason: e.to_string() })?;
        w.validate(name)?;
        Ok(w)
    })
}

/// A health scorecard (measures, groups, bands, penalties, overrides), built from its JSON
/// document (a dict or JSON text) and validated.
#[pyclass(name = "Scorecard", module = "custfit", frozen)]
pub struct PyScorecard {
    pub inner: Scorecard,
}

#[pymethods]
impl PyScorecard {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = doc(py, config, "config")?;
        Ok(PyScorecard { inner: guard(py, || Scorecard::from_json(&text))? })
    }

    /// The starter scorecard shipped with custfit.
    #[staticmethod]
    fn starter() -> Self {
        PyScorecard { inner: Scorecard::starter() }
    }

    /// The scorecard's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The JSON document.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || self.inner.to_json())
    }

    /// The document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// Scores every account of `snapshot`.
    fn score(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<PyHealthScores> {
        Ok(PyHealthScores { inner: detach(py, || self.inner.score(&snapshot.inner))? })
    }

    fn __repr__(&self) -> String {
        format!("Scorecard(name={:?}, measures={})", self.inner.name, self.inner.measures.len())
    }
}

/// A scorecard per value of a segment or lifecycle column, with a default.
#[pyclass(name = "ScorecardSet", module = "custfit", frozen)]
pub struct PyScorecardSet {
    pub inner: ScorecardSet,
}

#[pymethods]
impl PyScorecardSet {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = doc(py, config, "config")?;
        Ok(PyScorecardSet { inner: guard(py, || ScorecardSet::from_json(&text))? })
    }

    /// The JSON document.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || self.inner.to_json())
    }

    /// The document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// Scores every account of `snapshot` with the scorecard its column value selects.
    fn score(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<PyHealthScores> {
        Ok(PyHealthScores { inner: detach(py, || self.inner.score(&snapshot.inner))? })
    }

    fn __repr__(&self) -> String {
        format!("ScorecardSet(column={:?}, cases={})", self.inner.column, self.inner.cases.len())
    }
}

/// Health scores of every account of a snapshot, with per-measure contributions.
#[pyclass(name = "HealthScores", module = "custfit", frozen)]
pub struct PyHealthScores {
    pub inner: HealthScores,
}

#[pymethods]
impl PyHealthScores {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The as-of instant.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.as_of())?.into_any())
    }

    /// Account ids, one per row.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids().to_vec()
    }

    /// Scores (0–100, None when no measure had a value), one per row.
    fn scores(&self) -> Vec<Option<f64>> {
        self.inner.scores()
    }

    /// Band names, one per row.
    fn band_names(&self) -> Vec<Option<String>> {
        self.inner.band_names()
    }

    /// Every row with its breakdown (list of dicts).
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.rows())
    }

    /// One account's health with its breakdown, or None.
    fn account<'py>(&self, py: Python<'py>, account_id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.account(account_id))
    }

    /// Trend and why-changed versus an earlier scoring (list of dicts).
    fn changes_since<'py>(&self, py: Python<'py>, earlier: &PyHealthScores) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.changes_since(&earlier.inner))
    }

    /// Parents rolled up from their descendants, weighted by `weight_column` (list of dicts).
    #[pyo3(signature = (snapshot, weight_column = "mrr"))]
    fn rollup<'py>(&self, py: Python<'py>, snapshot: &PySnapshot, weight_column: &str) -> PyResult<Bound<'py, PyAny>> {
        let r = guard(py, || self.inner.rollup(&snapshot.inner, weight_column))?;
        to_py(py, &r)
    }

    /// A table: health_score, health_band, points:<measure>, contribution:<measure>.
    fn to_snapshot(&self, py: Python<'_>) -> PyResult<PySnapshot> {
        Ok(PySnapshot { inner: guard(py, || self.inner.to_snapshot())? })
    }

    fn __repr__(&self) -> String {
        format!("HealthScores(as_of={}, rows={})", self.inner.as_of(), self.inner.len())
    }
}

enum AnyCard<'a> {
    One(&'a Scorecard),
    Set(&'a ScorecardSet),
}

fn card_arg<'a>(py: Python<'_>, scorecard: &'a Bound<'_, PyAny>) -> PyResult<AnyCard<'a>> {
    if let Ok(c) = scorecard.cast::<PyScorecard>() {
        return Ok(AnyCard::One(&c.get().inner));
    }
    if let Ok(c) = scorecard.cast::<PyScorecardSet>() {
        return Ok(AnyCard::Set(&c.get().inner));
    }
    Err(crate::error::to_py(py, &crate::error::invalid_argument("scorecard", "expected a Scorecard or a ScorecardSet")))
}

impl AnyCard<'_> {
    fn scorer(&self) -> &(dyn health::Scorer + Sync) {
        match self {
            AnyCard::One(c) => *c,
            AnyCard::Set(s) => *s,
        }
    }
}

/// The metric snapshot as of `as_of` plus the edge-case flag columns.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, snapshot_config = None, flag_config = None))]
pub fn health_snapshot(
    py: Python<'_>,
    dataset: &PyDataset,
    as_of: &Bound<'_, PyAny>,
    snapshot_config: Option<&Bound<'_, PyAny>>,
    flag_config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySnapshot> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let sc: SnapshotConfig = crate::metrics::snapshot_config(py, snapshot_config)?;
    let fc = self::flag_config(py, flag_config)?;
    Ok(PySnapshot { inner: detach(py, || health::health_snapshot(&dataset.inner, as_of, &sc, &fc))? })
}

/// The edge-case flags of every account as of `as_of`, each with the numbers behind it.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, config = None))]
pub fn detect_flags<'py>(
    py: Python<'py>,
    dataset: &PyDataset,
    as_of: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let fc = flag_config(py, config)?;
    let flags = detach(py, || health::detect_flags(&dataset.inner, as_of, &fc))?;
    to_py(py, &flags)
}

/// Backtests a Scorecard or ScorecardSet: churn per band with Wilson intervals, AUC, transitions.
#[pyfunction]
pub fn backtest<'py>(py: Python<'py>, dataset: &PyDataset, scorecard: &Bound<'py, PyAny>, config: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let card = card_arg(py, scorecard)?;
    let text = doc(py, config, "config")?;
    let cfg = guard(py, || BacktestConfig::from_json(&text))?;
    let scorer = card.scorer();
    let report = detach(py, || health::backtest(&dataset.inner, scorer, &cfg))?;
    to_py(py, &report)
}

/// Scores as of every date: one HealthScores per date.
#[pyfunction]
#[pyo3(signature = (dataset, scorecard, dates, snapshot_config = None, flag_config = None))]
pub fn health_history(
    py: Python<'_>,
    dataset: &PyDataset,
    scorecard: &Bound<'_, PyAny>,
    dates: Vec<Bound<'_, PyAny>>,
    snapshot_config: Option<&Bound<'_, PyAny>>,
    flag_config: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyHealthScores>> {
    let card = card_arg(py, scorecard)?;
    let dates = dates.iter().map(|d| timestamp_arg(d, "dates")).collect::<PyResult<Vec<_>>>()?;
    let sc = crate::metrics::snapshot_config(py, snapshot_config)?;
    let fc = self::flag_config(py, flag_config)?;
    let scorer = card.scorer();
    let hist = detach(py, || health::health_history(&dataset.inner, scorer, &dates, &sc, &fc))?;
    Ok(hist.into_iter().map(|inner| PyHealthScores { inner }).collect())
}

/// A snapshot from `{"as_of": ..., "columns": {"account_id": [...], ...}}` (types inferred).
#[pyfunction]
pub fn health_snapshot_from_json(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<PySnapshot> {
    let text = doc(py, value, "value")?;
    let inner = guard(py, || {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| custfit::Error::Parse { what: "snapshot JSON".into(), reason: e.to_string() })?;
        health::snapshot_from_json(&v)
    })?;
    Ok(PySnapshot { inner })
}

/// Progress of one account towards an activity goal (dict).
#[pyfunction]
pub fn goal_progress<'py>(
    py: Python<'py>,
    dataset: &PyDataset,
    account_id: &str,
    goal: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    lookback: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = doc(py, goal, "goal")?;
    let goal = guard(py, || Goal::from_json(&text))?;
    let as_of = timestamp_arg(as_of, "as_of")?;
    let lookback = window(py, lookback, "lookback")?;
    let p = guard(py, || core_goal_progress(&dataset.inner, account_id, &goal, as_of, lookback))?;
    to_py(py, &p)
}

/// Progress of every account towards an activity goal (list of dicts).
#[pyfunction]
pub fn goal_progress_all<'py>(
    py: Python<'py>,
    dataset: &PyDataset,
    goal: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    lookback: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = doc(py, goal, "goal")?;
    let goal = guard(py, || Goal::from_json(&text))?;
    let as_of = timestamp_arg(as_of, "as_of")?;
    let lookback = window(py, lookback, "lookback")?;
    let p = detach(py, || core_goal_progress_all(&dataset.inner, &goal, as_of, lookback))?;
    to_py(py, &p)
}

/// Adds the health classes and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyScorecard>()?;
    m.add_class::<PyScorecardSet>()?;
    m.add_class::<PyHealthScores>()?;
    m.add_function(wrap_pyfunction!(health_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(detect_flags, m)?)?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(health_history, m)?)?;
    m.add_function(wrap_pyfunction!(health_snapshot_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(goal_progress, m)?)?;
    m.add_function(wrap_pyfunction!(goal_progress_all, m)?)?;
    Ok(())
}
