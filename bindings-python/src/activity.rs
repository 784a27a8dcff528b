//! Activity series (`custfit::activity`).

use custfit::Dataset;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::guard;
use crate::time::{timestamp_arg, to_datetime};

/// `Dataset.daily_activity`: one dict per UTC day, oldest first.
pub fn daily_activity<'py>(
    py: Python<'py>,
    ds: &Dataset,
    account_id: &str,
    end: &Bound<'py, PyAny>,
    days: u32,
) -> PyResult<Bound<'py, PyList>> {
    let end = timestamp_arg(end, "end")?;
    let series = guard(py, || custfit::daily_activity(ds, account_id, end, days))?;
    let out = PyList::empty(py);
    for d in series {
        let row = PyDict::new(py);
        row.set_item("day", to_datetime(py, d.day)?)?;
        row.set_item("active_users", d.active_users)?;
        row.set_item("events", d.events)?;
        row.set_item("logins", d.logins)?;
        out.append(row)?;
    }
    Ok(out)
}
