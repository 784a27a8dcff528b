//! `custfit._native`: the Python binding of custfit. One file per core module; each only
//! converts, calls the core and maps errors (through `error.rs`). The public package is
//! `custfit` (python/custfit), which re-exports this module.

mod activity;
mod churn;
mod convert;
mod data;
mod document;
mod effectiveness;
mod error;
mod experiment;
mod expr;
mod frame;
mod health;
mod io;
mod lifecycle;
mod metrics;
mod outcome;
mod play;
mod segment;
mod sim;
mod stats;
mod time;

use pyo3::prelude::*;

/// The compiled core of the `custfit` package; import `custfit` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<data::PyDataset>()?;
    m.add_class::<metrics::PySnapshot>()?;
    m.add_class::<sim::PySimulation>()?;
    m.add_function(wrap_pyfunction!(metrics::metric_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::snapshot_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(frame::to_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(sim::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_codes, m)?)?;
    m.add_class::<churn::PyTrainingSet>()?;
    m.add_class::<churn::PyChurnModel>()?;
    m.add_function(wrap_pyfunction!(churn::build_training_set, m)?)?;
    m.add_function(wrap_pyfunction!(churn::churn_backtest, m)?)?;
    m.add_function(wrap_pyfunction!(churn::fit_logistic, m)?)?;
    m.add_function(wrap_pyfunction!(churn::evaluate_churn, m)?)?;
    m.add_function(wrap_pyfunction!(churn::learn_scorecard_weights, m)?)?;
    m.add_function(wrap_pyfunction!(churn::learn_weights, m)?)?;
    m.add_class::<expr::PyExpr>()?;
    m.add_function(wrap_pyfunction!(segment::segment_rules, m)?)?;
    m.add_function(wrap_pyfunction!(segment::pareto_tiers, m)?)?;
    m.add_function(wrap_pyfunction!(segment::quantile_buckets, m)?)?;
    m.add_function(wrap_pyfunction!(segment::rfm_scores, m)?)?;
    m.add_function(wrap_pyfunction!(segment::fit_clusters, m)?)?;
    m.add_function(wrap_pyfunction!(segment::assign_clusters, m)?)?;
    m.add_function(wrap_pyfunction!(segment::capacity_plan, m)?)?;
    health::register(m)?;
    outcome::register(m)?;
    stats::register(m)?;
    activity::register(m)?;
    play::register(m)?;
    experiment::register(m)?;
    lifecycle::register(m)?;
    effectiveness::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
