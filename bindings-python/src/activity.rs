//! Activity series and activity goals (`custfit::activity`). Goals are the core's `Goal` JSON
//! documents (a dict or JSON text); progress comes back in the core's serde form (instants as
//! RFC 3339 text, as in the golden cases).

use custfit::activity::{self, Goal};
use custfit::{Dataset, Error, Window};
use pyo3::prelude::*;

use crate::convert::Whole;
use crate::data::PyDataset;
use crate::document::document;
use crate::error::{detach, guard, IntoPyResult};
use crate::health::{doc, to_py};
use crate::time::timestamp_arg;

/// `Dataset.daily_activity`: one dict per UTC day, oldest first.
pub fn daily_activity<'py>(
    py: Python<'py>,
    ds: &Dataset,
    account_id: &str,
    end: &Bound<'py, PyAny>,
    days: Whole,
) -> PyResult<Bound<'py, PyAny>> {
    let end = timestamp_arg(end, "end")?;
    let days = days.to_u32("days").py(py)?;
    let series = guard(py, || custfit::daily_activity(ds, account_id, end, days))?;
    to_py(py, &series)
}

fn goal_arg(py: Python<'_>, goal: &Bound<'_, PyAny>) -> PyResult<Goal> {
    document(py, goal, "goal")
}

/// A window document (``{"amount": 12, "unit": "weeks"}``), validated.
fn window_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Window> {
    let text = doc(py, obj, name)?;
    guard(py, || {
        let w: Window = serde_json::from_str(&text).map_err(|e| Error::Parse { what: name.into(), reason: e.to_string() })?;
        w.validate(name)?;
        Ok(w)
    })
}

/// Progress of ``account_id`` towards an activity goal over the ``lookback`` window before
/// ``as_of``: ``{"account_id", "goal", "target", "periods", "current_streak",
/// "longest_streak", "personal_best", "celebrations", "days"}``. ``goal`` is a Goal document,
/// ``lookback`` a window such as ``{"amount": 12, "unit": "weeks"}``.
#[pyfunction]
pub fn goal_progress<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    account_id: &str,
    goal: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    lookback: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let goal = goal_arg(py, goal)?;
    let as_of = timestamp_arg(as_of, "as_of")?;
    let lookback = window_arg(py, lookback, "lookback")?;
    let p = guard(py, || activity::goal_progress(&dataset.inner, account_id, &goal, as_of, lookback))?;
    to_py(py, &p)
}

/// ``goal_progress`` for every account existing at ``as_of`` (dataset order). Releases the GIL.
#[pyfunction]
pub fn goal_progress_all<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    goal: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    lookback: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let goal = goal_arg(py, goal)?;
    let as_of = timestamp_arg(as_of, "as_of")?;
    let lookback = window_arg(py, lookback, "lookback")?;
    let ds = &dataset.inner;
    let p = detach(py, || activity::goal_progress_all(ds, &goal, as_of, lookback))?;
    to_py(py, &p)
}

/// Adds the activity-goal functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(goal_progress, m)?)?;
    m.add_function(wrap_pyfunction!(goal_progress_all, m)?)?;
    Ok(())
}
