//! Segmentation (`custfit::segment`): each function takes a Snapshot and a config document
//! (dict or JSON text, the same JSON as in Rust and Node) and returns the result as a dict.

use custfit::document::Document;
use custfit::segment::{CapacityConfig, ClusterConfig, ClusterModel, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation};
use pyo3::prelude::*;

use crate::document::{document, optional_document};
use crate::error::detach;
use crate::metrics::PySnapshot;
// results go back in their serde (JSON) form, the same way in every module
use crate::health::to_py as out;

fn config<T: Document + Default>(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<T> {
    optional_document(py, obj, what)
}

/// Rule segments: ``config`` is a RuleSegmentation document
/// (``{"segments": [{"name", "condition"}], "mode": "first_match" | "multi_label", "default_segment"}``).
#[pyfunction]
pub fn segment_rules<'py>(py: Python<'py>, snapshot: &PySnapshot, config: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let c: RuleSegmentation = self::config(py, Some(config), "rule segmentation")?;
    let r = detach(py, || c.apply(&snapshot.inner))?;
    out(py, &r)
}

/// Pareto revenue tiers (default: top 10% of customers, next 20%, the rest, by ``mrr``).
#[pyfunction]
#[pyo3(signature = (snapshot, config=None))]
pub fn pareto_tiers<'py>(
    py: Python<'py>,
    snapshot: &PySnapshot,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let c: ParetoConfig = self::config(py, config, "pareto config")?;
    let r = detach(py, || c.apply(&snapshot.inner))?;
    out(py, &r)
}

/// Equal-count buckets of one metric (default: quartiles of ``mrr``).
#[pyfunction]
#[pyo3(signature = (snapshot, config=None))]
pub fn quantile_buckets<'py>(
    py: Python<'py>,
    snapshot: &PySnapshot,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let c: QuantileConfig = self::config(py, config, "quantile config")?;
    let r = detach(py, || c.apply(&snapshot.inner))?;
    out(py, &r)
}

/// RFM scores (1–5) and named RFM segments.
#[pyfunction]
#[pyo3(signature = (snapshot, config=None))]
pub fn rfm_scores<'py>(
    py: Python<'py>,
    snapshot: &PySnapshot,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let c: RfmConfig = self::config(py, config, "rfm config")?;
    let r = detach(py, || c.apply(&snapshot.inner))?;
    out(py, &r)
}

/// k-means clusters on standardised metrics; the result's ``model`` can assign new snapshots
/// with ``assign_clusters``.
#[pyfunction]
#[pyo3(signature = (snapshot, config=None))]
pub fn fit_clusters<'py>(
    py: Python<'py>,
    snapshot: &PySnapshot,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let c: ClusterConfig = self::config(py, config, "cluster config")?;
    let r = detach(py, || c.fit(&snapshot.inner))?;
    out(py, &r)
}

/// Cluster numbers of every row for a fitted ``model`` (dict or JSON).
#[pyfunction]
pub fn assign_clusters(py: Python<'_>, snapshot: &PySnapshot, model: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let m: ClusterModel = document(py, model, "cluster model")?;
    detach(py, || m.predict(&snapshot.inner))
}

/// CSM capacity plan. Tiers come from ``tiers`` (one name per row) when given, else from the
/// config's ``tier_column``.
#[pyfunction]
#[pyo3(signature = (snapshot, config=None, tiers=None))]
pub fn capacity_plan<'py>(
    py: Python<'py>,
    snapshot: &PySnapshot,
    config: Option<&Bound<'py, PyAny>>,
    tiers: Option<Vec<Option<String>>>,
) -> PyResult<Bound<'py, PyAny>> {
    let c: CapacityConfig = self::config(py, config, "capacity config")?;
    let r = detach(py, || match &tiers {
        Some(t) => c.plan_with_tiers(&snapshot.inner, t),
        None => c.plan(&snapshot.inner),
    })?;
    out(py, &r)
}
