//! `Dataset` (`custfit::data`): ingestion from lists of dicts or Arrow tables, counts, the rows
//! back out. Snapshot, activity and file methods delegate to their modules' files.

use std::path::PathBuf;

use custfit::io::DataFiles;
use custfit::{Dataset, Entity, IngestOptions};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::convert::{rows_from_py, Whole};
use crate::document::document_json;
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::health::{to_py, to_py_list};
use crate::io::{read_input, Input};
use crate::metrics::PySnapshot;
use crate::time::to_datetime;

/// Validated customer data, held columnar (accounts, users, subscriptions, events).
///
/// Every ``add_*`` call is all-or-nothing in strict mode (the default): on error the dataset
/// is exactly as it was. Add accounts before the users, subscriptions and events that refer
/// to them.
#[pyclass(name = "Dataset", module = "custfit")]
pub struct PyDataset {
    pub inner: Dataset,
}

/// Reads the `options` argument (dict, JSON text or None) as `IngestOptions`.
pub fn ingest_options(py: Python<'_>, options: Option<&Bound<'_, PyAny>>) -> PyResult<IngestOptions> {
    let Some(obj) = options.filter(|o| !o.is_none()) else {
        return Ok(IngestOptions::default());
    };
    let text = document_json(obj, "options")?.py(py)?;
    serde_json::from_str::<IngestOptions>(&text).map_err(|e| invalid_argument("options", e.to_string())).py(py)
}

/// Arrow batches or converted rows, ingested through the matching core call.
/// Writing while another thread reads: a dataset that a running call (a snapshot on another
/// thread, which releases the GIL) is reading cannot be written to at the same moment; the write
/// fails at once with `invalid_argument` and changes nothing. Add rows when the read is done, or
/// read a `ds.copy()`.
fn writable<'py>(slf: &Bound<'py, PyDataset>) -> PyResult<PyRefMut<'py, PyDataset>> {
    slf.try_borrow_mut().map_err(|_| {
        let e = invalid_argument(
            "dataset",
            "it is being read by another thread (e.g. a snapshot); add rows when that call returns, or read a copy (ds.copy())",
        );
        crate::error::to_py(slf.py(), &e)
    })
}

macro_rules! ingest {
    ($self:ident, $py:ident, $data:ident, $options:ident, $entity:expr, $arrow:ident, $run:path) => {{
        let options = ingest_options($py, $options)?;
        let mut this = writable($self)?;
        let ds = &mut this.inner;
        let report = match read_input($data)? {
            Input::Arrow(batches) => $run($py, move || ds.$arrow(&batches, &options))?,
            Input::Rows(list) => {
                let rows = rows_from_py(&list, $entity)?;
                $run($py, move || ds.add_json_rows($entity, rows, &options))?
            }
        };
        to_py($py, &report)
    }};
}

#[pymethods]
impl PyDataset {
    /// An empty dataset.
    #[new]
    fn new() -> Self {
        PyDataset { inner: Dataset::new() }
    }

    /// Adds accounts. ``data`` is a list of dicts (the serde form: ``id``, ``name``,
    /// ``created_at``, ``owner``, ``parent_id``, ``seats``, ``attributes``) or an Arrow table
    /// with those columns, every other column being an attribute. Returns the ingest report.
    #[pyo3(signature = (data, options=None))]
    fn add_accounts<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        ingest!(slf, py, data, options, Entity::Account, add_accounts_arrow, guard)
    }

    /// Adds users (``id``, ``account_id``, ``role``, ``created_at``, ``deactivated_at``).
    #[pyo3(signature = (data, options=None))]
    fn add_users<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        ingest!(slf, py, data, options, Entity::User, add_users_arrow, guard)
    }

    /// Adds subscriptions. Dicts use the serde form (``mrr: {"minor", "currency"}``); Arrow
    /// tables the flat CSV layout (``mrr_minor``, ``currency``).
    #[pyo3(signature = (data, options=None))]
    fn add_subscriptions<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        ingest!(slf, py, data, options, Entity::Subscription, add_subscriptions_arrow, guard)
    }

    /// Adds events (``account_id``, ``user_id``, ``timestamp``, ``name``, ``properties``). Arrow
    /// tables are read in place (every column other than those four is a property). Releases
    /// the GIL.
    #[pyo3(signature = (data, options=None))]
    fn add_events<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        ingest!(slf, py, data, options, Entity::Event, add_events_arrow, detach)
    }

    /// Number of accounts.
    #[getter]
    fn account_count(&self) -> usize {
        self.inner.account_count()
    }

    /// Number of users.
    #[getter]
    fn user_count(&self) -> usize {
        self.inner.user_count()
    }

    /// Number of subscription rows.
    #[getter]
    fn subscription_count(&self) -> usize {
        self.inner.subscription_count()
    }

    /// Number of events.
    #[getter]
    fn event_count(&self) -> usize {
        self.inner.event_count()
    }

    /// The dataset's currency (set by the first subscription), or None.
    #[getter]
    fn currency(&self) -> Option<&str> {
        self.inner.currency()
    }

    /// The latest instant the data records (last event, account or user creation, user
    /// deactivation; subscriptions, written ahead, do not count), or None when empty. Outcomes
    /// are known up to the end of its day: a later ``known_at`` is refused.
    #[getter]
    fn data_end<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.data_end().map(|t| Ok(to_datetime(py, t)?.into_any())).transpose()
    }

    /// Bytes held, by part: ``event_bytes``, ``dictionary_bytes``, ``entity_bytes``, ``events``,
    /// ``bytes_per_event``.
    fn memory_usage<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.memory_usage())
    }

    /// Accounts in insertion order, as dicts (valid input for ``add_accounts``).
    fn accounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, self.inner.accounts())
    }

    /// Users in insertion order, as dicts.
    fn users<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.users())
    }

    /// Subscriptions sorted by account and start, as dicts.
    fn subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.subscriptions())
    }

    /// Events sorted by account and time, as dicts.
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = guard(py, || Ok(self.inner.events()))?;
        to_py_list(py, &events)
    }

    /// Loads a dataset from files (CSV, or JSON Lines for ``.jsonl``/``.ndjson``/``.json``),
    /// one table per file, in the order accounts, users, subscriptions, events. Returns
    /// ``(dataset, report)`` where ``report`` maps each table to its ingest report. Releases
    /// the GIL.
    #[staticmethod]
    #[pyo3(signature = (accounts=None, users=None, subscriptions=None, events=None, options=None))]
    fn from_files<'py>(
        py: Python<'py>,
        accounts: Option<PathBuf>,
        users: Option<PathBuf>,
        subscriptions: Option<PathBuf>,
        events: Option<PathBuf>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let options = ingest_options(py, options)?;
        let files = DataFiles { accounts, users, subscriptions, events };
        let (ds, report) = crate::io::from_files(py, files, &options)?;
        let report = to_py(py, &report)?;
        PyTuple::new(py, [Bound::new(py, PyDataset { inner: ds })?.into_any(), report.into_any()])
    }

    /// Writes ``accounts.csv``, ``users.csv``, ``subscriptions.csv`` and ``events.csv`` into
    /// ``dir`` (created if needed): all four or none. An existing file is refused
    /// (``InvalidInputError``, ``invalid_argument``) unless ``overwrite``. Text cells a
    /// spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) get a ``'`` in front,
    /// which the readers take off again.
    #[pyo3(signature = (dir, overwrite=false))]
    fn write_csv(&self, py: Python<'_>, dir: PathBuf, overwrite: bool) -> PyResult<()> {
        crate::io::write_csv(py, &self.inner, dir, overwrite)
    }

    /// Writes the four tables as JSON Lines (``accounts.jsonl`` …) into ``dir``: all four or
    /// none; an existing file is refused unless ``overwrite``.
    #[pyo3(signature = (dir, overwrite=false))]
    fn write_jsonl(&self, py: Python<'_>, dir: PathBuf, overwrite: bool) -> PyResult<()> {
        crate::io::write_jsonl(py, &self.inner, dir, overwrite)
    }

    /// The snapshot as of ``as_of`` (datetime, date, str or int ms): one row per account
    /// existing then, one column per metric. ``config`` is a SnapshotConfig as a dict or JSON
    /// text. Releases the GIL.
    #[pyo3(signature = (as_of, config=None))]
    fn snapshot(&self, py: Python<'_>, as_of: &Bound<'_, PyAny>, config: Option<&Bound<'_, PyAny>>) -> PyResult<PySnapshot> {
        crate::metrics::snapshot(py, &self.inner, as_of, config)
    }

    /// The last ``days`` UTC days of an account's activity ending with the day containing
    /// ``end``, oldest first: dicts of ``day``, ``active_users``, ``events``, ``logins``.
    fn daily_activity<'py>(
        &self,
        py: Python<'py>,
        account_id: &str,
        end: &Bound<'py, PyAny>,
        days: Whole,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::activity::daily_activity(py, &self.inner, account_id, end, days)
    }

    /// A deep copy.
    fn copy(&self) -> Self {
        PyDataset { inner: self.inner.clone() }
    }

    fn __copy__(&self) -> Self {
        self.copy()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.copy()
    }

    fn __repr__(&self) -> String {
        format!(
            "Dataset(accounts={}, users={}, subscriptions={}, events={})",
            self.inner.account_count(),
            self.inner.user_count(),
            self.inner.subscription_count(),
            self.inner.event_count()
        )
    }
}
