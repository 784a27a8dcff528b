//! The effectiveness (maturity) model (`custfit::effectiveness`): each account placed in the
//! highest phase whose behaviours it (and every earlier phase) meets, each behaviour benchmarked
//! against its peers, and an improvement plan for the next phase.
//!
//! The model is the core's `MaturityModel` document (a dict or JSON text). The assessment comes
//! back as an object (`MaturityAssessment`), because its per-account results are columns a
//! snapshot takes (`snapshot.with_columns(assessment, "maturity")`); its `to_dict()` is the core's
//! serde form, as in the golden cases.
//!
//! `PlanTracker` is the ledger of improvement plans kept from check to check (like `PlayState`,
//! a mutable object saved as the same versioned JSON in Rust and Node); each check returns a
//! `PlanCheck`, whose per-account results are columns too (`snapshot.with_columns(check,
//! "plan")`).

use custfit::document::Document;
use custfit::effectiveness::{self, MaturityAssessment, MaturityModel, PlanCheck, PlanTracker, TrackingPolicy};
use pyo3::prelude::*;

use crate::document::{document, optional_part};
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::health::{to_py, to_py_list};
use crate::metrics::PySnapshot;
use crate::time::to_datetime;

/// The maturity of every account of a frame: ``phases`` (names, lowest first), ``counts``
/// (accounts per level: index 0 below the first phase, then one per phase) and ``accounts`` (per
/// account, in the frame's order). ``snapshot.with_columns(assessment, "maturity")`` adds the
/// columns ``maturity`` (the phase), ``maturity_level`` (0 to the number of phases),
/// ``maturity_next`` (the next phase) and ``maturity_gaps`` (behaviours missing for it; default
/// name ``maturity``); ``custfit.to_arrow(assessment)`` is that table.
#[pyclass(name = "MaturityAssessment", module = "custfit", frozen)]
pub struct PyMaturityAssessment {
    pub inner: MaturityAssessment,
}

#[pymethods]
impl PyMaturityAssessment {
    /// The phases' names, lowest first.
    #[getter]
    fn phases(&self) -> Vec<String> {
        self.inner.phases.clone()
    }

    /// Accounts per level (index 0: below the first phase, then one per phase).
    #[getter]
    fn counts(&self) -> Vec<u64> {
        self.inner.counts.clone()
    }

    /// Per account, in the frame's order (dicts of ``account_id``, ``segment``, ``phase``,
    /// ``level``, ``behaviours``, ``next_phase``, ``plan``).
    #[getter]
    fn accounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::health::to_py_list(py, &self.inner.accounts)
    }

    /// The result in its serde form (the ``assess_maturity`` golden cases' shape).
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
        format!("MaturityAssessment(phases={:?}, counts={:?})", self.inner.phases, self.inner.counts)
    }
}

/// Assesses every account of ``frame`` (a snapshot, with any added columns) against ``model``, a
/// MaturityModel (dict or JSON text): ``{"version": 1, "phases": [{"name", "behaviours":
/// [{"name", "metric", "at_least" | "at_most"}]}], "segment_by"?, "best_in_class"? (default
/// 0.9)}`` with 3 to 5 phases, lowest first. Raises UnsupportedVersionError, ParseError or
/// InvalidInputError (``invalid_config`` naming the field, e.g. ``phases[2].behaviours[0]``;
/// ``unknown_metric``). Releases the GIL.
#[pyfunction]
pub fn assess_maturity(py: Python<'_>, frame: &PySnapshot, model: &Bound<'_, PyAny>) -> PyResult<PyMaturityAssessment> {
    let model: MaturityModel = document(py, model, "model")?;
    let frame = &frame.inner;
    Ok(PyMaturityAssessment { inner: detach(py, || effectiveness::assess(frame, &model))? })
}

/// Every assessed account after a check of a ``PlanTracker``: ``at`` (the check's instant),
/// ``accounts`` (per account, in the frame's order: its level, its open plan's revision, target
/// phase, due date, progress and elapsed share, ``status`` ``"on_track"`` / ``"behind"`` /
/// ``"top"`` and how the plan open before ended, ``closed``) and the counts of plans made and
/// closed (``achieved``, ``regressed``, ``expired``, ``model_changed``).
/// ``snapshot.with_columns(check, "plan")`` adds the columns ``plan_status``, ``plan_progress``,
/// ``plan_elapsed``, ``plan_target``, ``plan_due`` and ``plan_revision`` (default name ``plan``);
/// ``custfit.to_arrow(check)`` is that table.
#[pyclass(name = "PlanCheck", module = "custfit", frozen)]
pub struct PyPlanCheck {
    pub inner: PlanCheck,
}

#[pymethods]
impl PyPlanCheck {
    /// The check's as-of instant (aware datetime, UTC).
    #[getter]
    fn at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.at)?.into_any())
    }

    /// Per assessed account, in the frame's order (dicts of ``account_id``, ``level``,
    /// ``revision``, ``target_phase``, ``due``, ``progress``, ``elapsed``, ``steps_met``,
    /// ``steps``, ``status``, ``closed``).
    #[getter]
    fn accounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.accounts)
    }

    /// Plans made at this check (first plans and re-plans).
    #[getter]
    fn plans_made(&self) -> u64 {
        self.inner.plans_made
    }

    /// Plans closed at this check because the account reached their phase.
    #[getter]
    fn achieved(&self) -> u64 {
        self.inner.achieved
    }

    /// Plans closed at this check because the account fell below the level they started from.
    #[getter]
    fn regressed(&self) -> u64 {
        self.inner.regressed
    }

    /// Plans closed at this check because their due date passed.
    #[getter]
    fn expired(&self) -> u64 {
        self.inner.expired
    }

    /// Plans closed at this check because the maturity model changed.
    #[getter]
    fn model_changed(&self) -> u64 {
        self.inner.model_changed
    }

    /// The result in its serde form (the ``track_plans`` golden cases' shape).
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
        let c = &self.inner;
        format!(
            "PlanCheck(at={}, accounts={}, plans_made={}, achieved={}, regressed={}, expired={}, model_changed={})",
            c.at,
            c.accounts.len(),
            c.plans_made,
            c.achieved,
            c.regressed,
            c.expired,
            c.model_changed
        )
    }
}

/// Every improvement plan of a set of accounts — the original and each re-plan, with why it was
/// made and how it ended — and the actuals seen at every check: the ledger ``track`` carries from
/// check to check. ``policy`` (dict or JSON text, default ``{"horizon": {"amount": 90, "unit":
/// "days"}}``) says how long plans run. Save it with ``to_json`` and read it back with
/// ``PlanTracker.from_json`` (the same document in Rust and Node).
#[pyclass(name = "PlanTracker", module = "custfit", eq)]
#[derive(PartialEq)]
pub struct PyPlanTracker {
    pub inner: PlanTracker,
}

#[pymethods]
impl PyPlanTracker {
    /// An empty tracker (no check yet). A bad policy raises ParseError (``parse_error``: an
    /// unknown key, a wrong type) or InvalidInputError (``invalid_config`` naming
    /// ``policy.horizon``).
    #[new]
    #[pyo3(signature = (policy = None))]
    fn new(py: Python<'_>, policy: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let policy: TrackingPolicy = optional_part(py, policy, "policy")?;
        let inner = PlanTracker::new(policy);
        guard(py, || inner.validate())?;
        Ok(PyPlanTracker { inner })
    }

    /// Reads a tracker from its document (a dict or JSON text, as ``to_json`` writes it),
    /// checked: a newer version is UnsupportedVersionError (``unsupported_version``), a corrupt
    /// one ParseError (``parse_error``) or InvalidInputError (``invalid_config`` naming the part,
    /// e.g. ``plans[1]``).
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyPlanTracker { inner: crate::document::document(py, document, "document")? })
    }

    /// The tracker as versioned JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json_string()
    }

    /// The tracker as a dict (its JSON form).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The checks' as-of instants, ascending (aware datetimes, UTC).
    #[getter]
    fn checks<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.inner.checks.iter().map(|t| Ok(to_datetime(py, *t)?.into_any())).collect()
    }

    /// Every plan, in the order made (dicts in the core's serde form; ``closed_at`` and
    /// ``outcome`` missing while open).
    #[getter]
    fn plans<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.plans)
    }

    /// Every actual (an open plan's metrics, met steps and progress at a check), in check then
    /// account order.
    #[getter]
    fn actuals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.actuals)
    }

    /// How long plans run (``{"horizon": {"amount", "unit"}}``).
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.policy)
    }

    /// Every plan of one account, oldest first (empty for an account never planned).
    fn plans_of<'py>(&self, py: Python<'py>, account_id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.plans_of(account_id))
    }

    /// Every actual of one account, oldest first.
    fn actuals_of<'py>(&self, py: Python<'py>, account_id: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.actuals_of(account_id))
    }

    /// Assesses ``frame`` (a snapshot, with any added columns) against ``model`` (a
    /// MaturityModel, dict or JSON text, as ``assess_maturity`` takes it) and records the result
    /// as a check at the frame's as-of instant: each assessed account's open plan gets an actual
    /// and is kept or closed (achieved, regressed, model changed, expired), and accounts below
    /// the top without an open plan get one, due ``policy.horizon`` later. Checks are recorded in
    /// time order: the same check again changes nothing and returns the same result; an earlier
    /// one, or a different one at the same instant, is InvalidInputError (``invalid_argument``).
    /// A refused check leaves the tracker unchanged. Releases the GIL (meanwhile another thread
    /// using this tracker gets ``invalid_argument``).
    fn track(slf: &Bound<'_, Self>, py: Python<'_>, frame: &PySnapshot, model: &Bound<'_, PyAny>) -> PyResult<PyPlanCheck> {
        let model: MaturityModel = document(py, model, "model")?;
        let reason = "it is being used by another thread (a check); use it when that call returns";
        let Ok(mut this) = slf.try_borrow_mut() else { return Err(invalid_argument("tracker", reason)).py(py) };
        let (tracker, frame) = (&mut this.inner, &frame.inner);
        Ok(PyPlanCheck { inner: detach(py, move || tracker.track(frame, &model))? })
    }

    fn __repr__(&self) -> String {
        let open = self.inner.plans.iter().filter(|p| p.closed_at.is_none()).count();
        format!(
            "PlanTracker(checks={}, plans={}, open={open}, last_check={:?})",
            self.inner.checks.len(),
            self.inner.plans.len(),
            self.inner.last_check().map(|t| t.to_string())
        )
    }
}

/// Adds the effectiveness classes and function to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMaturityAssessment>()?;
    m.add_class::<PyPlanTracker>()?;
    m.add_class::<PyPlanCheck>()?;
    m.add_function(wrap_pyfunction!(assess_maturity, m)?)?;
    Ok(())
}
