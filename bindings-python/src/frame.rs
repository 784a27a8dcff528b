//! Frames (`custfit::frame`): what `Snapshot.with_columns` accepts, turned into the core's
//! `AccountColumns` — `HealthScores`, `GrowthAccounting`, `EngagementMoments`,
//! `MaturityAssessment`, `PlanCheck` and `Snapshot` objects, result dicts and lists, column dicts
//! (through their JSON form) and Arrow tables (read in place).

use std::collections::BTreeMap;

use custfit::{AccountColumns, DataType, ToColumns};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict, PyList};

use crate::convert::to_json;
use crate::effectiveness::{PyMaturityAssessment, PyPlanCheck};
use crate::error::{detach, guard};
use crate::health::PyHealthScores;
use crate::io::{read_input, Input};
use crate::lifecycle::{PyEngagementMoments, PyGrowthAccounting};
use crate::metrics::PySnapshot;

/// The columns `source` adds (see `Snapshot.with_columns`).
pub fn account_columns(py: Python<'_>, source: &Bound<'_, PyAny>, name: Option<&str>) -> PyResult<AccountColumns> {
    if let Ok(other) = source.cast::<PySnapshot>() {
        return Ok(other.get().inner.account_columns(""));
    }
    if let Ok(scores) = source.cast::<PyHealthScores>() {
        return Ok(scores.get().inner.account_columns(name.unwrap_or("health")));
    }
    if let Ok(growth) = source.cast::<PyGrowthAccounting>() {
        return Ok(growth.get().inner.account_columns(name.unwrap_or("lifecycle")));
    }
    if let Ok(moments) = source.cast::<PyEngagementMoments>() {
        return Ok(moments.get().inner.account_columns(name.unwrap_or("moments")));
    }
    if let Ok(maturity) = source.cast::<PyMaturityAssessment>() {
        return Ok(maturity.get().inner.account_columns(name.unwrap_or("maturity")));
    }
    if let Ok(check) = source.cast::<PyPlanCheck>() {
        return Ok(check.get().inner.account_columns(name.unwrap_or("plan")));
    }
    if source.is_instance_of::<PyDict>() {
        return columns_from_py(py, source, name);
    }
    match read_input(source)? {
        Input::Arrow(batches) => detach(py, || custfit::io::arrow::columns_from_arrow(&batches)),
        Input::Rows(rows) => columns_from_py(py, &rows, name),
    }
}

/// A result dict or list (or a dict of columns) through its JSON form. A column of a dict of
/// columns whose values are all `datetime`/`date` (or None) is a timestamp column.
fn columns_from_py(py: Python<'_>, source: &Bound<'_, PyAny>, name: Option<&str>) -> PyResult<AccountColumns> {
    let mut types = BTreeMap::new();
    if let Ok(d) = source.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let (Ok(key), Ok(list)) = (k.extract::<String>(), v.cast::<PyList>()) else { continue };
            let mut any = false;
            let all = list.iter().all(|x| {
                let date = x.is_instance_of::<PyDate>();
                any |= date;
                date || x.is_none()
            });
            if any && all {
                types.insert(key, DataType::Timestamp);
            }
        }
    }
    let json =
        to_json(source, "")?.map_err(|b| crate::error::invalid_argument("source", format!("at `{}`: {}", b.path, b.reason)));
    guard(py, || custfit::frame::columns_from_json_typed(&json?, name, &types))
}

/// A per-account result as a ``pyarrow.Table``: ``account_id`` first (when the result carries
/// ids), then the columns ``Snapshot.with_columns`` would add from it — e.g.
/// ``custfit.to_arrow(tiers).to_pandas()`` or ``polars.from_arrow(custfit.to_arrow(scores))``.
/// Takes what ``with_columns`` takes; ``name`` renames the columns as there.
#[pyfunction]
#[pyo3(signature = (source, name=None))]
pub fn to_arrow<'py>(py: Python<'py>, source: &Bound<'py, PyAny>, name: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    let columns = account_columns(py, source, name)?;
    let batch = guard(py, || columns.to_arrow())?;
    let schema = batch.schema();
    pyo3_arrow::PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}
