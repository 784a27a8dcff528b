//! Outcomes (`custfit::outcome`): churn dates and definitions (subscription, activity, MRR
//! churn) and churn-rate conversion. Configs cross as dicts; instants as aware datetimes.

use custfit::outcome::{self, ActivityChurn, SubscriptionChurn};
use custfit::Timestamp;
use pyo3::prelude::*;

use crate::convert::Whole;
use crate::data::PyDataset;
use crate::document::optional_part;
use crate::error::{detach, guard, IntoPyResult};
use crate::health::to_py as out;
use crate::time::timestamp_arg;

/// Annual churn rate equivalent to a monthly one.
#[pyfunction]
pub fn monthly_to_annual(py: Python<'_>, monthly: f64) -> PyResult<f64> {
    guard(py, || outcome::monthly_to_annual(monthly))
}

/// Monthly churn rate equivalent to an annual one.
#[pyfunction]
pub fn annual_to_monthly(py: Python<'_>, annual: f64) -> PyResult<f64> {
    guard(py, || outcome::annual_to_monthly(annual))
}

/// MRR churn between two instants: churned and downgraded MRR, rates.
#[pyfunction]
pub fn mrr_churn<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let (a, b) = (timestamp_arg(start, "start")?, timestamp_arg(end, "end")?);
    let m = guard(py, || outcome::mrr_churn(&dataset.inner, a, b))?;
    out(py, &m)
}

fn dates_dict<'py>(py: Python<'py>, ds: &custfit::Dataset, dates: Vec<Vec<Timestamp>>) -> PyResult<Bound<'py, PyAny>> {
    let d = pyo3::types::PyDict::new(py);
    for (a, list) in ds.accounts().iter().zip(dates) {
        let items: Vec<String> = list.into_iter().map(|t| t.to_rfc3339()).collect();
        d.set_item(&a.id, items)?;
    }
    Ok(d.into_any())
}

/// Subscription-churn instants per account id (``config``: ``{"gap_tolerance": {...}}``), known by
/// ``known_at``.
#[pyfunction]
#[pyo3(signature = (dataset, known_at, config=None))]
pub fn churn_dates<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    known_at: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let def: SubscriptionChurn = optional_part(py, config, "subscription churn")?;
    guard(py, || def.validate())?;
    let dates = outcome::churn_dates(&dataset.inner, &def, timestamp_arg(known_at, "known_at")?).py(py)?;
    dates_dict(py, &dataset.inner, dates)
}

/// Activity-churn instants per account id (``config``: ``{"inactivity": {...}, "activity": {...}}``).
#[pyfunction]
#[pyo3(signature = (dataset, known_at, config=None))]
pub fn activity_churn_dates<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    known_at: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let def: ActivityChurn = optional_part(py, config, "activity churn")?;
    let k = timestamp_arg(known_at, "known_at")?;
    let ds = &dataset.inner;
    let dates = detach(py, || outcome::activity_churn_dates(ds, &def, k))?;
    dates_dict(py, ds, dates)
}

/// The shortest inactivity window within which ``share`` of observed returns after a gap of at
/// least ``min_gap_days`` happened.
#[pyfunction]
#[pyo3(signature = (dataset, known_at, share=0.9, min_gap_days=Whole::of(7)), text_signature = "(dataset, known_at, share=0.9, min_gap_days=7)")]
pub fn choose_inactivity_window<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    known_at: &Bound<'py, PyAny>,
    share: f64,
    min_gap_days: Whole,
) -> PyResult<Bound<'py, PyAny>> {
    let k = timestamp_arg(known_at, "known_at")?;
    let min_gap_days = min_gap_days.to_u32("min_gap_days").py(py)?;
    let ds = &dataset.inner;
    let rules = custfit::metrics::ActivityRules::default();
    let c = detach(py, || outcome::choose_inactivity_window(ds, &rules, share, custfit::Window::days(min_gap_days), k))?;
    out(py, &c)
}

/// Adds the outcome functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(monthly_to_annual, m)?)?;
    m.add_function(wrap_pyfunction!(annual_to_monthly, m)?)?;
    m.add_function(wrap_pyfunction!(mrr_churn, m)?)?;
    m.add_function(wrap_pyfunction!(churn_dates, m)?)?;
    m.add_function(wrap_pyfunction!(activity_churn_dates, m)?)?;
    m.add_function(wrap_pyfunction!(choose_inactivity_window, m)?)?;
    Ok(())
}
