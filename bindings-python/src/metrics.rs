//! `Snapshot` and the metric catalog (`custfit::metrics`). Columns leave as Arrow without a copy
//! (`to_arrow`, `__arrow_c_stream__`), or as Python lists for small uses.

use custfit::metrics::BUILTIN_METRICS;
use custfit::{ColumnData, Dataset, Snapshot, SnapshotConfig, Value};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList};
use pyo3_arrow::PyTable;

use crate::document::{document_json, optional_document};
use crate::error::{detach, guard, IntoPyResult};
use crate::time::{timestamp_arg, to_datetime};

/// Reads the `config` argument (dict, JSON text or None) as a validated `SnapshotConfig`.
pub fn snapshot_config(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<SnapshotConfig> {
    optional_document(py, config, "snapshot config")
}

/// `Dataset.snapshot`: GIL released while the core computes.
pub fn snapshot(
    py: Python<'_>,
    ds: &Dataset,
    as_of: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySnapshot> {
    let as_of = timestamp_arg(as_of, "as_of")?;
    let config = snapshot_config(py, config)?;
    let inner = detach(py, || ds.snapshot_with(as_of, &config))?;
    Ok(PySnapshot { inner })
}

fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(x) => x.into_pyobject(py)?.into_any(),
        Value::Timestamp(t) => to_datetime(py, *t)?.into_any(),
        Value::Str(s) => s.into_pyobject(py)?.into_any(),
    })
}

fn column_to_py<'py>(py: Python<'py>, c: &ColumnData) -> PyResult<Bound<'py, PyList>> {
    match c {
        ColumnData::Int(v) => PyList::new(py, v),
        ColumnData::Float(v) => PyList::new(py, v),
        ColumnData::Bool(v) => PyList::new(py, v),
        ColumnData::Str(v) => PyList::new(py, v),
        ColumnData::Timestamp(v) => {
            let items = v.iter().map(|t| t.map(|t| to_datetime(py, t)).transpose()).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)
        }
    }
}

/// One row per account, one column per metric, as of an instant.
///
/// The first column is ``account_id``. Convert with ``to_arrow()`` (pyarrow, zero copy),
/// ``to_polars()``, ``to_pandas()`` or ``to_dict()``; any Arrow consumer can also read the
/// snapshot directly through ``__arrow_c_stream__`` (e.g. ``polars.DataFrame(snap)``).
#[pyclass(name = "Snapshot", module = "custfit", frozen)]
pub struct PySnapshot {
    pub inner: Snapshot,
}

impl PySnapshot {
    fn table(&self, py: Python<'_>) -> PyResult<PyTable> {
        let batch = guard(py, || self.inner.to_arrow())?;
        let schema = batch.schema();
        PyTable::try_new(vec![batch], schema)
    }

    /// The Arrow PyCapsule stream of the snapshot (shared with tables built from a snapshot).
    pub(crate) fn arrow_c_stream<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Bound::new(py, self.table(py)?)?.call_method1("__arrow_c_stream__", (requested_schema,))
    }
}

#[pymethods]
impl PySnapshot {
    /// The as-of instant (aware datetime, UTC).
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.inner.as_of())?.into_any())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Account ids, one per row.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids().to_vec()
    }

    /// Column names, ``account_id`` excluded.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.inner.column_names().into_iter().map(str::to_string).collect()
    }

    /// ``{name: type}`` for every column including ``account_id``; types are ``int``,
    /// ``float``, ``bool``, ``str`` and ``timestamp``.
    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, ty) in self.inner.schema() {
            d.set_item(name, ty.as_str())?;
        }
        Ok(d)
    }

    /// The named column as a list (None for missing values). Raises UnknownMetricError.
    fn column<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        if name == "account_id" {
            return PyList::new(py, self.inner.account_ids());
        }
        let col = guard(py, || self.inner.column(name))?;
        column_to_py(py, col)
    }

    /// One cell (None when missing). Raises UnknownMetricError or InvalidInputError
    /// (``unknown_account``).
    fn value<'py>(&self, py: Python<'py>, account_id: &str, column: &str) -> PyResult<Bound<'py, PyAny>> {
        let v = guard(py, || self.inner.value(account_id, column))?;
        value_to_py(py, &v)
    }

    /// ``{"account_id": [...], column: [...], ...}``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("account_id", PyList::new(py, self.inner.account_ids())?)?;
        for c in self.inner.columns() {
            d.set_item(&c.name, column_to_py(py, &c.data)?)?;
        }
        Ok(d)
    }

    /// The snapshot as a ``pyarrow.Table`` (zero copy).
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py)?.into_pyarrow(py)
    }

    /// The snapshot as a ``polars.DataFrame`` (through Arrow).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        py.import("polars")?.call_method1("from_arrow", (table,))
    }

    /// The snapshot as a ``pandas.DataFrame`` (through pyarrow; timestamps are UTC-aware).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_arrow(py)?.call_method0("to_pandas")
    }

    /// The Arrow PyCapsule stream interface: any Arrow consumer can read the snapshot.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.arrow_c_stream(py, requested_schema)
    }

    /// A new snapshot with columns added, for conditions, scorecard sets and plays to read.
    ///
    /// ``source`` is a per-account result — ``HealthScores`` (``{name}_score``,
    /// ``{name}_band``; name ``health``), ``GrowthAccounting`` (``{name}``, the bucket, and
    /// ``{name}_first_active``; name ``lifecycle``), ``EngagementMoments`` (``{name}_current``,
    /// ``{name}_status``, ``{name}_stuck`` …; name ``moments``), ``MaturityAssessment``
    /// (``{name}``, the phase, ``{name}_level``, ``{name}_next``, ``{name}_gaps``; name
    /// ``maturity``), ``PlanCheck`` (``{name}_status``, ``{name}_progress``, ``{name}_elapsed``,
    /// ``{name}_target``, ``{name}_due``, ``{name}_revision``; name ``plan``), the dicts of
    /// ``pareto_tiers`` (``tier``), ``segment_rules`` (``segment`` and ``segment_<name>``),
    /// ``fit_clusters`` (``cluster``), ``quantile_buckets`` (``bucket``), ``rfm_scores``
    /// (``rfm_r`` …) or the list of ``ChurnModel.forecast`` (``churn_probability``, ``churn_rank``, ``churn_top_driver``,
    /// ``churn_opportunity_at``) —, another ``Snapshot``, a dict of column name to list, or any
    /// Arrow table (pyarrow, polars, pandas). ``name`` renames a result's columns. Rows match
    /// by an ``account_id`` column when there is one, else by position.
    #[pyo3(signature = (source, name=None))]
    fn with_columns(&self, py: Python<'_>, source: &Bound<'_, PyAny>, name: Option<&str>) -> PyResult<PySnapshot> {
        let add = crate::frame::account_columns(py, source, name)?;
        let inner = detach(py, || self.inner.with_columns(add))?;
        Ok(PySnapshot { inner })
    }

    /// The snapshot's JSON form as text — ``{"as_of", "columns", "types"}``, the same in every
    /// language; ``snapshot_from_json`` reads it back.
    fn to_json(&self) -> String {
        self.inner.to_json_value().to_string()
    }

    /// A new snapshot with only ``columns`` (in that order; ``account_id`` is always kept):
    /// with ``with_columns``, the way to a table of per-account results, e.g.
    /// ``snap.with_columns(tiers).select(["mrr", "tier"]).to_pandas()``.
    fn select(&self, py: Python<'_>, columns: Vec<String>) -> PyResult<PySnapshot> {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        Ok(PySnapshot { inner: guard(py, || self.inner.select(&names))? })
    }

    fn __repr__(&self) -> String {
        format!("Snapshot(as_of={}, rows={}, columns={})", self.inner.as_of(), self.inner.len(), self.inner.columns().len() + 1)
    }
}

/// The built-in metrics: dicts of ``name``, ``data_type`` and ``description``, in column order.
#[pyfunction]
pub fn metric_catalog(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for m in BUILTIN_METRICS {
        let d = PyDict::new(py);
        d.set_item("name", m.name)?;
        d.set_item("data_type", m.data_type.as_str())?;
        d.set_item("description", m.description)?;
        out.append(d)?;
    }
    Ok(out)
}

/// A Snapshot from its JSON form (a dict or JSON text), the one written by ``to_json()`` in
/// every language: ``{"as_of", "columns": {"account_id": [...], name: [...]}, "types": {name:
/// "int" | "float" | "bool" | "str" | "timestamp"}}``. ``types`` may be partial or absent (types
/// are then inferred from the values; timestamps need theirs); None is a missing value.
#[pyfunction]
pub fn snapshot_from_json(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<PySnapshot> {
    let text = document_json(value, "snapshot")?.py(py)?;
    let inner = guard(py, || {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| custfit::Error::Parse { what: "snapshot JSON".into(), reason: e.to_string() })?;
        Snapshot::from_json_value(&v)
    })?;
    Ok(PySnapshot { inner })
}
