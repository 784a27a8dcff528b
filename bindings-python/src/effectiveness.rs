//! The effectiveness (maturity) model (`custfit::effectiveness`): each account placed in the
//! highest phase whose behaviours it (and every earlier phase) meets, each behaviour benchmarked
//! against its peers, and an improvement plan for the next phase.
//!
//! The model is the core's `MaturityModel` document (a dict or JSON text). The assessment comes
//! back as an object (`MaturityAssessment`), because its per-account results are columns a
//! snapshot takes (`snapshot.with_columns(assessment, "maturity")`); its `to_dict()` is the core's
//! serde form, as in the golden cases.

use custfit::effectiveness::{self, MaturityAssessment, MaturityModel};
use pyo3::prelude::*;

use crate::document::document;
use crate::error::{detach, guard};
use crate::health::to_py;
use crate::metrics::PySnapshot;

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

/// Adds the effectiveness class and function to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMaturityAssessment>()?;
    m.add_function(wrap_pyfunction!(assess_maturity, m)?)?;
    Ok(())
}
