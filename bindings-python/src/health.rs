//! Health scoring (`custfit::health`): scorecards, scores with exact per-measure contributions,
//! why-changed breakdowns, roll-ups, edge-case flags, health history and backtests.
//!
//! Configs are the core's JSON documents (a dict or JSON text). Results are plain dicts and lists
//! in the core's serde form (instants as RFC 3339 text, as in the golden cases), or a `Snapshot`
//! table. Snapshots are immutable in Python: the core's "add columns to this snapshot" calls
//! (`add_to_snapshot`, `add_flag_columns`) return a new `Snapshot` and leave the argument as it was.

use custfit::health::{self, AccountFlags, BacktestConfig, FlagConfig, HealthScores, Scorecard, ScorecardSet, Scorer};
use custfit::{Error, SnapshotConfig, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyMapping, PyString};
use serde::Serialize;

use crate::convert::{from_json, to_json, Whole};
use crate::data::PyDataset;
use crate::document::{document, document_json, optional_document};
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::metrics::PySnapshot;
use crate::time::{timestamp_arg, to_datetime};

fn parse_error(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Parse { what: what.into(), reason: reason.to_string() }
}

/// A result in its serde (JSON) form as Python objects.
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value).map_err(|e| parse_error("result", e)).py(py)?;
    from_json(py, &v)
}

/// A list of results (dataset rows, one per event …) in their serde form, converted one item at a
/// time: the JSON form of one item is alive at a time, not of the whole list. Python's cyclic
/// garbage collector is paused meanwhile (the new dicts hold no cycles; without the pause it
/// re-scans them every few hundred allocations and takes about half the time of a large list).
pub fn to_py_list<'py, T: Serialize>(py: Python<'py>, items: &[T]) -> PyResult<Bound<'py, PyAny>> {
    let gc = py.import("gc")?;
    let was_enabled: bool = gc.call_method0("isenabled")?.extract()?;
    if was_enabled {
        gc.call_method0("disable")?;
    }
    let build = || -> PyResult<Bound<'py, PyAny>> {
        let list = pyo3::types::PyList::empty(py);
        for item in items {
            list.append(to_py(py, item)?)?;
        }
        Ok(list.into_any())
    };
    let out = build();
    if was_enabled {
        gc.call_method0("enable")?;
    }
    out
}

/// A required document argument (dict or JSON text) as JSON text.
pub fn doc(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    document_json(obj, name)?.py(py)
}

fn flag_config(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<FlagConfig> {
    optional_document(py, obj, "flag_config")
}

/// A list of timestamps (a str is refused rather than read as its characters).
pub(crate) fn timestamps(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Timestamp>> {
    if obj.is_instance_of::<PyString>() {
        return Err(crate::error::to_py(obj.py(), &invalid_argument(name, "expected a list of instants, got str")));
    }
    let Ok(items) = obj.try_iter() else {
        return Err(crate::error::to_py(obj.py(), &invalid_argument(name, "expected a list of instants")));
    };
    items.map(|d| timestamp_arg(&d?, name)).collect()
}

/// A health scorecard: measures (tiers, ramp or percentile among peers), optional groups,
/// bands, flag penalties and CSM overrides. Built from its JSON document (a dict or JSON text)
/// and validated; raises InvalidInputError (``invalid_config``), ParseError (``parse_error``) or
/// UnsupportedVersionError (``unsupported_version``).
#[pyclass(name = "Scorecard", module = "custfit", frozen, eq)]
#[derive(PartialEq)]
pub struct PyScorecard {
    pub inner: Scorecard,
}

#[pymethods]
impl PyScorecard {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyScorecard { inner: document(py, config, "scorecard")? })
    }

    /// The starter scorecard shipped with custfit (ordinary config: engagement, breadth, trend,
    /// recency, sentiment and risk signals, with penalties for the burst and confusion flags).
    #[staticmethod]
    fn starter() -> Self {
        PyScorecard { inner: Scorecard::starter() }
    }

    /// The scorecard's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The bands (dicts of ``name``, ``color``, ``min``, ``max``).
    #[getter]
    fn bands<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.bands)
    }

    /// Index (into ``bands``) of the band holding ``score``, or None.
    fn band_of(&self, score: f64) -> Option<usize> {
        self.inner.band_of(score)
    }

    /// Scores every account of ``snapshot``. Raises UnknownMetricError for a measure naming no
    /// column. Releases the GIL.
    fn score(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<PyHealthScores> {
        let (card, snap) = (&self.inner, &snapshot.inner);
        Ok(PyHealthScores { inner: detach(py, || card.score(snap))? })
    }

    /// The versioned JSON document (the same file works in Rust and Node).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || self.inner.to_json())
    }

    /// The document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("Scorecard(name={:?}, measures={})", self.inner.name, self.inner.measures.len())
    }
}

/// A scorecard per value of a segment or lifecycle-phase column (first matching case wins),
/// with a default for every other account. All scorecards of a set share the same bands.
#[pyclass(name = "ScorecardSet", module = "custfit", frozen, eq)]
#[derive(PartialEq)]
pub struct PyScorecardSet {
    pub inner: ScorecardSet,
}

#[pymethods]
impl PyScorecardSet {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyScorecardSet { inner: document(py, config, "scorecard_set")? })
    }

    /// The column whose value selects the scorecard.
    #[getter]
    fn column(&self) -> String {
        self.inner.column.clone()
    }

    /// Scores every account of ``snapshot`` with the scorecard its column value selects.
    /// Releases the GIL.
    fn score(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<PyHealthScores> {
        let (set, snap) = (&self.inner, &snapshot.inner);
        Ok(PyHealthScores { inner: detach(py, || set.score(snap))? })
    }

    /// The versioned JSON document.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || self.inner.to_json())
    }

    /// The document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("ScorecardSet(column={:?}, cases={})", self.inner.column, self.inner.cases.len())
    }
}

/// Health scores of every account of a snapshot: score 0–100, band, and per measure (and flag
/// penalty) the points, effective weight and contribution. Contributions are held in
/// millionths of a point and sum exactly to the score (``score_micros``,
/// ``contribution_micros``). Any Arrow consumer reads it as the ``to_snapshot()`` table
/// (``polars.DataFrame(scores)``).
#[pyclass(name = "HealthScores", module = "custfit", frozen)]
pub struct PyHealthScores {
    pub inner: HealthScores,
}

#[pymethods]
impl PyHealthScores {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The as-of instant of the scored snapshot (aware datetime, UTC).
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.as_of())?.into_any())
    }

    /// Account ids, one per row.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids().to_vec()
    }

    /// The bands used (dicts of ``name``, ``color``, ``min``, ``max``).
    #[getter]
    fn bands<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.bands())
    }

    /// Measure names, then ``penalty:<column>`` parts, in column order.
    #[getter]
    fn parts(&self) -> Vec<String> {
        self.inner.parts().to_vec()
    }

    /// Final scores (0–100, override applied; None when no measure had a value), one per row.
    fn scores(&self) -> Vec<Option<f64>> {
        self.inner.scores()
    }

    /// Band index (into ``bands``) of every row.
    fn band_indices(&self) -> Vec<Option<usize>> {
        self.inner.band_indices()
    }

    /// Band names, one per row.
    fn band_names(&self) -> Vec<Option<String>> {
        self.inner.band_names()
    }

    /// Final score of row ``i`` in millionths of a point (override applied), or None.
    fn score_micros(&self, i: Whole) -> Option<i64> {
        i.index().and_then(|i| self.inner.score_micros(i))
    }

    /// Score of row ``i`` computed by the scorecard (before any override), in millionths of a
    /// point, or None.
    fn computed_micros(&self, i: Whole) -> Option<i64> {
        i.index().and_then(|i| self.inner.computed_micros(i))
    }

    /// Contribution of part ``part`` (index into ``parts``) to row ``i``, in millionths of a
    /// point (0 out of range). The parts of a row sum exactly to ``computed_micros(i)``.
    fn contribution_micros(&self, part: Whole, i: Whole) -> i64 {
        match (part.index(), i.index()) {
            (Some(p), Some(i)) => self.inner.contribution_micros(p, i),
            _ => 0,
        }
    }

    /// The row of an account, or None.
    fn row_of(&self, account_id: &str) -> Option<usize> {
        self.inner.row_of(account_id)
    }

    /// Row ``i`` with its breakdown (``account_id``, ``score``, ``band``, ``color``,
    /// ``scorecard``, ``measures``, ``override``), or None.
    fn row<'py>(&self, py: Python<'py>, i: Whole) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &i.index().and_then(|i| self.inner.row(i)))
    }

    /// One account's health with its breakdown, or None.
    fn account<'py>(&self, py: Python<'py>, account_id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.account(account_id))
    }

    /// Every row with its breakdown (list of dicts, as ``row``).
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.rows())
    }

    /// Trend and why-changed versus an earlier scoring, for every account scored at both dates:
    /// dicts of ``account_id``, ``before``, ``after``, ``delta``, ``band_before``,
    /// ``band_after`` and ``by_measure`` (largest change first; the deltas sum to ``delta``).
    fn changes_since<'py>(&self, py: Python<'py>, earlier: &PyHealthScores) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.changes_since(&earlier.inner))
    }

    /// Every parent (through ``parent_id``) rolled up from itself and its descendants, weighted
    /// by ``weight_column``: dicts of ``account_id``, ``descendants``, ``scored``, ``weight``,
    /// ``score``, ``band``.
    #[pyo3(signature = (snapshot, weight_column = "mrr"))]
    fn rollup<'py>(&self, py: Python<'py>, snapshot: &PySnapshot, weight_column: &str) -> PyResult<Bound<'py, PyAny>> {
        let r = guard(py, || self.inner.rollup(&snapshot.inner, weight_column))?;
        to_py(py, &r)
    }

    /// A table: ``account_id``, ``health_score``, ``health_band``, and for every part
    /// ``points:<name>`` and ``contribution:<name>``. Convert it with ``to_arrow()``,
    /// ``to_polars()`` or ``to_pandas()``.
    fn to_snapshot(&self, py: Python<'_>) -> PyResult<PySnapshot> {
        Ok(PySnapshot { inner: guard(py, || self.inner.to_snapshot())? })
    }

    /// A copy of ``snapshot`` with ``health_score`` and ``health_band`` columns added (rows
    /// matched by account id). The argument is not changed.
    fn add_to_snapshot(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<PySnapshot> {
        let mut inner = snapshot.inner.clone();
        guard(py, || self.inner.add_to_snapshot(&mut inner))?;
        Ok(PySnapshot { inner })
    }

    /// The Arrow PyCapsule stream of the ``to_snapshot()`` table.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.to_snapshot(py)?.arrow_c_stream(py, requested_schema)
    }

    fn __repr__(&self) -> String {
        format!("HealthScores(as_of={}, rows={})", self.inner.as_of(), self.inner.len())
    }
}

/// A Scorecard, a ScorecardSet, or a scorecard document (dict or JSON text).
enum Card {
    One(Scorecard),
    Set(ScorecardSet),
}

impl Card {
    fn scorer(&self) -> &(dyn Scorer + Sync) {
        match self {
            Card::One(c) => c,
            Card::Set(s) => s,
        }
    }
}

fn card_arg(py: Python<'_>, scorecard: &Bound<'_, PyAny>) -> PyResult<Card> {
    if let Ok(c) = scorecard.cast::<PyScorecard>() {
        return Ok(Card::One(c.get().inner.clone()));
    }
    if let Ok(c) = scorecard.cast::<PyScorecardSet>() {
        return Ok(Card::Set(c.get().inner.clone()));
    }
    if !(scorecard.is_instance_of::<PyString>() || scorecard.is_instance_of::<PyDict>() || scorecard.cast::<PyMapping>().is_ok())
    {
        let e = invalid_argument("scorecard", "expected a Scorecard, a ScorecardSet or a scorecard document");
        return Err(e).py(py);
    }
    Ok(Card::One(document(py, scorecard, "scorecard")?))
}

/// The metric snapshot as of ``as_of`` plus the edge-case flag columns (``flag_columns()``):
/// the input of health scoring. ``snapshot_config`` is a SnapshotConfig, ``flag_config`` a
/// FlagConfig (dicts or JSON text). Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, snapshot_config = None, flag_config = None))]
pub fn health_snapshot(
    py: Python<'_>,
    dataset: PyRef<'_, PyDataset>,
    as_of: &Bound<'_, PyAny>,
    snapshot_config: Option<&Bound<'_, PyAny>>,
    flag_config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySnapshot> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let sc: SnapshotConfig = crate::metrics::snapshot_config(py, snapshot_config)?;
    let fc = self::flag_config(py, flag_config)?;
    let ds = &dataset.inner;
    Ok(PySnapshot { inner: detach(py, || health::health_snapshot(ds, as_of, &sc, &fc))? })
}

/// The edge-case flags (extraction burst, confusion, pricing interest, cadence inactivity) of
/// every account existing at ``as_of``, each with the numbers behind it and ``fired`` (the
/// names of the flags that fired). ``config`` is a FlagConfig. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, config = None))]
pub fn detect_flags<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    as_of: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let fc = flag_config(py, config)?;
    let ds = &dataset.inner;
    let flags = detach(py, || health::detect_flags(ds, as_of, &fc))?;
    to_py(py, &flags)
}

/// A copy of ``snapshot`` with the flag columns (``flag_columns()``) of ``flags`` (as returned
/// by ``detect_flags``) added, rows matched by account id. The argument is not changed.
#[pyfunction]
pub fn add_flag_columns(py: Python<'_>, snapshot: &PySnapshot, flags: &Bound<'_, PyAny>) -> PyResult<PySnapshot> {
    let value = match to_json(flags, "flags")? {
        Ok(v) => v,
        Err(b) => return Err(crate::error::to_py(py, &invalid_argument("flags", format!("at `{}`: {}", b.path, b.reason)))),
    };
    let mut inner = snapshot.inner.clone();
    guard(py, || {
        let flags: Vec<AccountFlags> = serde_json::from_value(value).map_err(|e| parse_error("flags", e))?;
        health::add_flag_columns(&mut inner, &flags)
    })?;
    Ok(PySnapshot { inner })
}

/// Names of the columns ``health_snapshot`` and ``add_flag_columns`` add.
#[pyfunction]
pub fn flag_columns() -> Vec<&'static str> {
    health::FLAG_COLUMNS.to_vec()
}

/// The default bands: green ≥ 75, yellow ≥ 50, orange ≥ 25, red (dicts of ``name``, ``color``,
/// ``min``, ``max``).
#[pyfunction]
pub fn default_bands(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &health::default_bands())
}

/// Backtests a Scorecard, ScorecardSet or scorecard document on ``dataset``: scores the base as
/// of each of ``config["dates"]`` (a BacktestConfig: ``dates``, ``horizon``, ``lead``,
/// ``churn``, ``known_at``, ``snapshot``, ``flags``) and joins churn within the horizon. Returns
/// ``{"observations", "churned", "roc_auc", "bands", "dates", "transitions", "skipped_dates"}``.
/// Releases the GIL.
#[pyfunction]
pub fn backtest<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    scorecard: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let card = card_arg(py, scorecard)?;
    let cfg: BacktestConfig = document(py, config, "backtest config")?;
    let (ds, scorer) = (&dataset.inner, card.scorer());
    let report = detach(py, || health::backtest(ds, scorer, &cfg))?;
    to_py(py, &report)
}

/// Observation dates every ``step_days`` days from ``first`` up to ``last`` inclusive (UTC
/// datetimes), for a backtest's ``dates``.
#[pyfunction]
pub fn backtest_grid<'py>(
    py: Python<'py>,
    first: &Bound<'py, PyAny>,
    last: &Bound<'py, PyAny>,
    step_days: Whole,
) -> PyResult<Bound<'py, PyList>> {
    let (first, last) = (timestamp_arg(first, "first")?, timestamp_arg(last, "last")?);
    let step = step_days.to_u32("step_days").py(py)?;
    let dates = guard(py, || BacktestConfig::grid(first, last, step))?;
    PyList::new(py, dates.into_iter().map(|t| to_datetime(py, t)).collect::<PyResult<Vec<_>>>()?)
}

/// Scores as of every date of ``dates``: one HealthScores per date (health history).
/// Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, scorecard, dates, snapshot_config = None, flag_config = None))]
pub fn health_history(
    py: Python<'_>,
    dataset: PyRef<'_, PyDataset>,
    scorecard: &Bound<'_, PyAny>,
    dates: &Bound<'_, PyAny>,
    snapshot_config: Option<&Bound<'_, PyAny>>,
    flag_config: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyHealthScores>> {
    let card = card_arg(py, scorecard)?;
    let dates = timestamps(dates, "dates")?;
    let sc = crate::metrics::snapshot_config(py, snapshot_config)?;
    let fc = self::flag_config(py, flag_config)?;
    let (ds, scorer) = (&dataset.inner, card.scorer());
    let hist = detach(py, || health::health_history(ds, scorer, &dates, &sc, &fc))?;
    Ok(hist.into_iter().map(|inner| PyHealthScores { inner }).collect())
}

/// One account's series out of a health history: dicts of ``as_of``, ``score``, ``band``
/// (None where the account was not scored).
#[pyfunction]
pub fn account_history<'py>(
    py: Python<'py>,
    history: Vec<PyRef<'py, PyHealthScores>>,
    account_id: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let hist: Vec<HealthScores> = history.iter().map(|h| h.inner.clone()).collect();
    to_py(py, &health::account_history(&hist, account_id))
}

/// Adds the health classes and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyScorecard>()?;
    m.add_class::<PyScorecardSet>()?;
    m.add_class::<PyHealthScores>()?;
    m.add_function(wrap_pyfunction!(health_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(detect_flags, m)?)?;
    m.add_function(wrap_pyfunction!(add_flag_columns, m)?)?;
    m.add_function(wrap_pyfunction!(flag_columns, m)?)?;
    m.add_function(wrap_pyfunction!(default_bands, m)?)?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(backtest_grid, m)?)?;
    m.add_function(wrap_pyfunction!(health_history, m)?)?;
    m.add_function(wrap_pyfunction!(account_history, m)?)?;
    Ok(())
}
