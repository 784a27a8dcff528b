//! The account lifecycle (`custfit::lifecycle`): growth accounting (new, returning, resurrecting,
//! dormant and churned accounts per period, each account's bucket), retention cohorts,
//! engagement moments (each account's journey through its milestones) and phase history.
//!
//! Configs are the core's `LifecycleConfig` / `CohortConfig` / `MomentsConfig` documents (a dict
//! or JSON text; absent: the defaults, monthly); phases are a `RuleSegmentation` document, as
//! `segment_rules` takes it. Growth accounting and engagement moments come back as objects
//! (`GrowthAccounting`, `EngagementMoments`), because their per-account results are columns a
//! snapshot takes (`snapshot.with_columns(growth, "lifecycle")`, `snapshot.with_columns(moments,
//! "onboarding")`); their `to_dict()`, the cohorts and the phase history are the core's serde
//! form (instants as RFC 3339 text, as in the golden cases).

use custfit::document::Document;
use custfit::lifecycle::{self, CohortConfig, EngagementMoments, GrowthAccounting, LifecycleConfig, MomentsConfig};
use custfit::segment::RuleSegmentation;
use pyo3::prelude::*;

use crate::data::PyDataset;
use crate::document::document;
use crate::error::{detach, guard};
use crate::health::{timestamps, to_py};
use crate::time::{timestamp_arg, to_datetime};

/// A config argument: its document (dict or JSON text), or `default()` when absent or None.
fn config<T: Document>(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>, default: impl FnOnce() -> T) -> PyResult<T> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(default()),
        Some(o) => document(py, o, "config"),
    }
}

/// Growth accounting of a dataset: per period (``periods``, oldest first, up to the one holding
/// ``as_of``) the accounts that are new, returning, resurrecting, dormant and just churned, and
/// the quick ratio; and each account's bucket in the period of ``as_of`` (``buckets``,
/// ``first_active``). ``snapshot.with_columns(growth, "lifecycle")`` adds the buckets as the
/// columns ``lifecycle`` and ``lifecycle_first_active``; ``custfit.to_arrow(growth)`` is that
/// table.
#[pyclass(name = "GrowthAccounting", module = "custfit", frozen)]
pub struct PyGrowthAccounting {
    pub inner: GrowthAccounting,
}

#[pymethods]
impl PyGrowthAccounting {
    /// The period: ``"day"``, ``"week"`` (ISO, Monday to Sunday) or ``"month"``.
    #[getter]
    fn period(&self) -> &'static str {
        self.inner.period.as_str()
    }

    /// The instant the accounting is as of (aware datetime, UTC).
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.as_of)?.into_any())
    }

    /// The periods, oldest first (dicts of ``start``, ``end``, ``complete``, ``active``, ``new``,
    /// ``returning``, ``resurrecting``, ``dormant``, ``churned``, ``quick_ratio``).
    #[getter]
    fn periods<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.periods)
    }

    /// Every account of the dataset, in dataset order.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids.clone()
    }

    /// Each account's bucket in the period of ``as_of`` (``"new"``, ``"returning"``,
    /// ``"resurrecting"``, ``"dormant"``; None: never active), in ``account_ids`` order.
    #[getter]
    fn buckets(&self) -> Vec<Option<&'static str>> {
        self.inner.buckets.iter().map(|b| b.map(|b| b.as_str())).collect()
    }

    /// The start of each account's first active period (aware datetimes; None: never active).
    #[getter]
    fn first_active<'py>(&self, py: Python<'py>) -> PyResult<Vec<Option<Bound<'py, PyAny>>>> {
        let date = |t| Ok(to_datetime(py, t)?.into_any());
        self.inner.first_active.iter().map(|t| t.map(date).transpose()).collect()
    }

    /// The result in its serde form (the ``growth_accounting`` golden cases' shape).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The result as JSON text (the same in Rust and Node).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            serde_json::to_string(&self.inner).map_err(|e| custfit::Error::Parse { what: "result".into(), reason: e.to_string() })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "GrowthAccounting(period={:?}, as_of={}, periods={}, accounts={})",
            self.inner.period.as_str(),
            self.inner.as_of,
            self.inner.periods.len(),
            self.inner.account_ids.len()
        )
    }
}

/// Growth accounting of ``dataset`` up to ``as_of``. ``config`` is a LifecycleConfig (dict or
/// JSON text: ``period`` ``"day"`` | ``"week"`` | ``"month"`` (default), ``from``, ``activity``);
/// an account is active in a period when it has a product event in it. Raises
/// UnsupportedVersionError, ParseError or InvalidInputError (``invalid_config``: ``from`` after
/// ``as_of``, more than 10,000 periods). Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, config = None))]
pub fn growth_accounting(
    py: Python<'_>,
    dataset: PyRef<'_, PyDataset>,
    as_of: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGrowthAccounting> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let config: LifecycleConfig = self::config(py, config, || LifecycleConfig::new(Default::default()))?;
    let ds = &dataset.inner;
    Ok(PyGrowthAccounting { inner: detach(py, || lifecycle::growth_accounting(ds, as_of, &config))? })
}

/// Retention cohorts of ``dataset`` as of ``as_of``: accounts grouped by the period they started
/// in, and per later period the share still there (``logo``) and the share of their starting MRR
/// (``gross_revenue``, ``net_revenue``); periods not over by ``as_of`` are None. ``config`` is a
/// CohortConfig (``period``, ``start``: ``"first_subscription"`` (default) | ``"first_activity"``
/// | ``"created"``, ``measure``: ``"subscribed"`` (default) | ``"active"``, ``periods`` (default
/// 12, at most 240), ``from``, ``activity``). Returns ``{"period", "measure", "start", "rows"}``.
/// Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, config = None))]
pub fn retention_cohorts<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    as_of: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let config: CohortConfig =
        self::config(py, config, || CohortConfig::new(Default::default(), Default::default(), Default::default()))?;
    let ds = &dataset.inner;
    let cohorts = detach(py, || lifecycle::retention_cohorts(ds, as_of, &config))?;
    to_py(py, &cohorts)
}

/// Engagement moments of the accounts whose journey started by ``as_of``: per account
/// (``journeys``) each moment's status (``"done"``, ``"on_track"``, ``"behind"``, ``"stuck"``,
/// ``"waiting"``), when it happened and how long it took, the current moment, the time to first
/// value, the overdue days and the stuck flag, and each cadence's next due date; per moment
/// (``summary``) how many reached and did it, the median / p75 / p90 days, the share on time and
/// how many are behind or stuck. ``snapshot.with_columns(moments, "onboarding")`` adds
/// ``onboarding_current``, ``onboarding_status``, ``onboarding_overdue_days``,
/// ``onboarding_stuck``, ``onboarding_ttfv_days``, one ``onboarding_{moment}`` per moment and
/// ``onboarding_{cadence}_next_due`` / ``_overdue`` per cadence (default name ``moments``);
/// ``custfit.to_arrow(moments)`` is that table.
#[pyclass(name = "EngagementMoments", module = "custfit", frozen)]
pub struct PyEngagementMoments {
    pub inner: EngagementMoments,
}

#[pymethods]
impl PyEngagementMoments {
    /// The instant the moments are as of (aware datetime, UTC).
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.as_of)?.into_any())
    }

    /// The moments' names, in config order.
    #[getter]
    fn moments(&self) -> Vec<String> {
        self.inner.moments.clone()
    }

    /// The cadences' names, in config order.
    #[getter]
    fn cadences(&self) -> Vec<String> {
        self.inner.cadences.clone()
    }

    /// The accounts on a journey, in dataset order (dicts of ``account_id``, ``start``,
    /// ``moments``, ``current``, ``time_to_first_value_days``, ``overdue_days``, ``stuck``,
    /// ``cadences``).
    #[getter]
    fn journeys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::health::to_py_list(py, &self.inner.journeys)
    }

    /// Per moment, across accounts (dicts of ``name``, ``owner_role``, ``reached``, ``done``,
    /// ``median_days``, ``p75_days``, ``p90_days``, ``on_time_share``, ``behind``, ``stuck``).
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.summary)
    }

    /// The result in its serde form (the ``engagement_moments`` golden cases' shape).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The result as JSON text (the same in Rust and Node).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            serde_json::to_string(&self.inner).map_err(|e| custfit::Error::Parse { what: "result".into(), reason: e.to_string() })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "EngagementMoments(as_of={}, moments={:?}, cadences={:?}, journeys={})",
            self.inner.as_of,
            self.inner.moments,
            self.inner.cadences,
            self.inner.journeys.len()
        )
    }
}

/// Engagement moments of ``dataset`` as of ``as_of``. ``config`` is a MomentsConfig (dict or JSON
/// text): ``moments`` in order, each ``{"name", "event", "filter"?, "expected", "after"?:
/// "start" | "previous", "tolerance"? (default 7 days), "owner_role"?}``; ``start``:
/// ``"created"`` (default) | ``"first_subscription"``; ``from`` (only journeys starting then or
/// later); ``first_value`` (default: the moment named ``first_value``); ``cadences``: ``{"name",
/// "event", "filter"?, "every", "owner_role"?}``. Raises UnsupportedVersionError, ParseError or
/// InvalidInputError (``invalid_config`` naming the field, e.g. ``moments[0].name``). Releases
/// the GIL.
#[pyfunction]
pub fn engagement_moments(
    py: Python<'_>,
    dataset: PyRef<'_, PyDataset>,
    as_of: &Bound<'_, PyAny>,
    config: &Bound<'_, PyAny>,
) -> PyResult<PyEngagementMoments> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let config: MomentsConfig = document(py, config, "config")?;
    let ds = &dataset.inner;
    Ok(PyEngagementMoments { inner: detach(py, || lifecycle::engagement_moments(ds, as_of, &config))? })
}

/// Each account's phase over ``dates`` (ascending and distinct, at most 1,000): ``phases`` is a
/// first-match RuleSegmentation (dict or JSON text, as ``segment_rules`` takes it: ``{"segments":
/// [{"name", "condition"}], "default_segment"?}``) applied to the snapshot of each date, built
/// with ``snapshot_config`` (default: the built-in metrics). Returns ``{"dates", "account_ids",
/// "current", "transitions"}``: each account's phase at the last date (None: no rule held) and
/// every change ``{"account_id", "at", "from", "to"}`` in date then account order (an account's
/// first phase is a change from None). Raises InvalidInputError (``invalid_argument`` naming
/// ``dates``; ``invalid_config`` for multi-label phases). Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, dates, phases, snapshot_config = None))]
pub fn phase_history<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    dates: &Bound<'py, PyAny>,
    phases: &Bound<'py, PyAny>,
    snapshot_config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let dates = timestamps(dates, "dates")?;
    let phases: RuleSegmentation = document(py, phases, "phases")?;
    let snapshot_config = crate::metrics::snapshot_config(py, snapshot_config)?;
    let ds = &dataset.inner;
    let history = detach(py, || lifecycle::phase_history(ds, &dates, &snapshot_config, &phases))?;
    to_py(py, &history)
}

/// Adds the lifecycle classes and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGrowthAccounting>()?;
    m.add_class::<PyEngagementMoments>()?;
    m.add_function(wrap_pyfunction!(growth_accounting, m)?)?;
    m.add_function(wrap_pyfunction!(retention_cohorts, m)?)?;
    m.add_function(wrap_pyfunction!(engagement_moments, m)?)?;
    m.add_function(wrap_pyfunction!(phase_history, m)?)?;
    Ok(())
}
