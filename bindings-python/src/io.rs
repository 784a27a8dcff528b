//! Tables in (a list of dicts, or any Arrow-capable object through the PyCapsule stream
//! interface) and files in and out (`custfit::io`).

use std::path::PathBuf;

use arrow_array::RecordBatch;
use custfit::io::{DataFiles, LoadReport};
use custfit::{Dataset, IngestOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3_arrow::{PyRecordBatch, PyTable};

use crate::error::detach;

/// A table argument, classified.
pub enum Input<'py> {
    /// A list (or tuple) of row dicts.
    Rows(Bound<'py, PyAny>),
    /// Arrow record batches, imported without copying the buffers.
    Arrow(Vec<RecordBatch>),
}

/// Classifies a table argument: list/tuple of dicts, pandas DataFrame (through
/// `pyarrow.Table.from_pandas(preserve_index=False)`, so the index never becomes a column), or
/// any object with `__arrow_c_stream__` / `__arrow_c_array__` (pyarrow, polars, DuckDB, …).
pub fn read_input<'py>(data: &Bound<'py, PyAny>) -> PyResult<Input<'py>> {
    let py = data.py();
    if data.is_instance_of::<PyList>() || data.is_instance_of::<PyTuple>() {
        return Ok(Input::Rows(data.clone()));
    }
    let module = data.get_type().module().map(|m| m.to_string()).unwrap_or_default();
    if module.starts_with("pandas") && data.hasattr("columns")? {
        let kwargs = PyDict::new(py);
        kwargs.set_item("preserve_index", false)?;
        let table = py.import("pyarrow")?.getattr("Table")?.call_method("from_pandas", (data,), Some(&kwargs))?;
        return Ok(Input::Arrow(table.extract::<PyTable>()?.into_inner().0));
    }
    if data.hasattr("__arrow_c_stream__")? {
        return Ok(Input::Arrow(data.extract::<PyTable>()?.into_inner().0));
    }
    if data.hasattr("__arrow_c_array__")? {
        return Ok(Input::Arrow(vec![data.extract::<PyRecordBatch>()?.into_inner()]));
    }
    Err(PyTypeError::new_err(format!(
        "expected a list of dicts or an Arrow table (pyarrow, polars, pandas, or any object with __arrow_c_stream__), got {}",
        data.get_type().name()?
    )))
}

/// Loads a dataset from files (GIL released).
pub fn from_files(py: Python<'_>, files: DataFiles, options: &IngestOptions) -> PyResult<(Dataset, LoadReport)> {
    detach(py, || Dataset::from_files(&files, options))
}

/// Writes the four tables as CSV into `dir` (GIL released).
pub fn write_csv(py: Python<'_>, ds: &Dataset, dir: PathBuf, overwrite: bool) -> PyResult<()> {
    detach(py, || ds.write_csv_dir(&dir, overwrite))
}

/// Writes the four tables as JSON Lines into `dir` (GIL released).
pub fn write_jsonl(py: Python<'_>, ds: &Dataset, dir: PathBuf, overwrite: bool) -> PyResult<()> {
    detach(py, || ds.write_jsonl_dir(&dir, overwrite))
}
