//! Plays and playbooks (`custfit::play`): the playbook document, the ledger a run carries from
//! run to run (`PlayState`), and one run of a playbook over a frame.
//!
//! The playbook is the core's JSON document (a dict or JSON text), read by the one document
//! reader; the ledger saves to and loads from the same versioned JSON in Rust and Node. Results
//! are plain dicts in the core's serde form (instants as RFC 3339 text, as in the golden cases).
//! `dry_run` replays a playbook over history with frames built by a frame recipe. Holdouts: a
//! run lists the held-out accounts in `held_out` (actions with `arm` and status `held_out`).

use std::path::PathBuf;

use custfit::document::Document;
use custfit::play::{self, ActionStatus, DryRunConfig, FrameRecipe, PlayState, Playbook};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString};

use crate::churn::PyChurnModel;
use crate::convert::type_name;
use crate::data::PyDataset;
use crate::document::document as read_document;
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::health::{to_py, to_py_list};
use crate::metrics::PySnapshot;
use crate::time::{timestamp_arg, to_datetime};

/// A playbook: plays (a trigger condition + a tactic + a customer cohort), how each fires, and
/// the limits that arbitrate between them. Built from its JSON document (a dict or JSON text)
/// and validated; raises InvalidInputError (``invalid_config``), ParseError (``parse_error``) or
/// UnsupportedVersionError (``unsupported_version``). Expressions are compiled against the
/// frame when the playbook runs.
#[pyclass(name = "Playbook", module = "custfit", frozen, eq)]
#[derive(PartialEq)]
pub struct PyPlaybook {
    pub inner: Playbook,
}

#[pymethods]
impl PyPlaybook {
    #[new]
    fn new(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyPlaybook { inner: read_document(py, document, "document")? })
    }

    /// The starter playbook shipped with custfit: 25 plays (the lifecycle, segment and event
    /// plays of the seeds, and the SPEC's worked example). It reads the built-in metrics and
    /// ``starter_columns()``: a frame built by a recipe with the starter scorecard, Pareto tiers
    /// and a churn model (see ``dry_run``).
    #[staticmethod]
    fn starter() -> Self {
        PyPlaybook { inner: Playbook::starter() }
    }

    /// The playbook's name (recorded in the state of its runs).
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The ids of the plays, in playbook order.
    #[getter]
    fn play_ids(&self) -> Vec<String> {
        self.inner.plays.iter().map(|p| p.id.clone()).collect()
    }

    /// The versioned JSON document (the same file works in Rust and Node).
    fn to_json(&self) -> String {
        self.inner.to_json_string()
    }

    /// The document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("Playbook(name={:?}, plays={})", self.inner.name, self.inner.plays.len())
    }
}

/// The ledger of a playbook: every action (open and closed), what each play's trigger looked
/// like at the last run, and the column values ``prev_<column>`` reads. ``run_playbook`` returns
/// the next one; save it between runs (``save`` writes atomically) and pass it to the next run.
#[pyclass(name = "PlayState", module = "custfit", eq)]
#[derive(PartialEq)]
pub struct PyPlayState {
    pub inner: PlayState,
}

/// `"done"` or `"cancelled"` (the other statuses parse too, and the core refuses them).
fn status_arg(py: Python<'_>, status: &str) -> PyResult<ActionStatus> {
    serde_json::from_value(serde_json::Value::String(status.to_string()))
        .map_err(|_| invalid_argument("status", format!("expected \"done\" or \"cancelled\", got {status:?}")))
        .py(py)
}

#[pymethods]
impl PyPlayState {
    /// An empty ledger (no run yet).
    #[new]
    fn new() -> Self {
        PyPlayState { inner: PlayState::new() }
    }

    /// Reads a ledger from its JSON text: a newer version is UnsupportedVersionError
    /// (``unsupported_version``), a corrupt one ParseError (``parse_error``).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PyPlayState { inner: guard(py, || PlayState::from_json(text))? })
    }

    /// Loads a ledger saved with ``save``.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Ok(PyPlayState { inner: guard(py, || PlayState::load(&path))? })
    }

    /// The ledger as versioned JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The ledger as two ``pyarrow.Table`` objects ``(actions, memory)``: one row per action
    /// (``payload`` and ``reasons`` as JSON text), and one row per account of the last run
    /// (``held.<play>`` bool columns, ``prev.<column>`` typed columns); the ledger's version,
    /// playbook and last run ride in both schemas' metadata. For dataframes, Arrow files and
    /// ledgers too large for JSON; read back with ``PlayState.from_arrow``.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (actions, memory) = guard(py, || self.inner.to_arrow())?;
        let table = |batch: arrow_array::RecordBatch| -> PyResult<Bound<'py, PyAny>> {
            let schema = batch.schema();
            pyo3_arrow::PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
        };
        Ok((table(actions)?, table(memory)?))
    }

    /// Reads a ledger written by ``to_arrow`` (any objects with ``__arrow_c_stream__``: pyarrow
    /// tables, …), checked as a ledger read from JSON is: ParseError (``parse_error``) when
    /// malformed, UnsupportedVersionError (``unsupported_version``) when newer.
    #[staticmethod]
    fn from_arrow(py: Python<'_>, actions: &Bound<'_, PyAny>, memory: &Bound<'_, PyAny>) -> PyResult<Self> {
        let actions = actions.extract::<pyo3_arrow::PyTable>()?.into_inner().0;
        let memory = memory.extract::<pyo3_arrow::PyTable>()?.into_inner().0;
        Ok(PyPlayState { inner: guard(py, || PlayState::from_arrow(&actions, &memory))? })
    }

    /// The ledger as a dict (its JSON form).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// Saves atomically: a temporary file beside ``path``, flushed to disk, renamed over it.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        guard(py, || self.inner.save(&path))
    }

    /// Closes the open action ``key`` as ``"done"`` or ``"cancelled"`` at ``at`` (the caller's
    /// report that it was carried out or dropped). An unknown key is ``invalid_argument``;
    /// closing a closed action again with the same status changes nothing, with another status
    /// is an error.
    fn close(&mut self, py: Python<'_>, key: &str, status: &str, at: &Bound<'_, PyAny>) -> PyResult<()> {
        let status = status_arg(py, status)?;
        let at = timestamp_arg(at, "at")?;
        guard(py, || self.inner.close(key, status, at))
    }

    /// Every action, in the order they fired (dicts in the core's serde form).
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_list(py, &self.inner.actions)
    }

    /// The open actions, in the order they fired.
    fn open_actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let open: Vec<_> = self.inner.open_actions().collect();
        to_py_list(py, &open)
    }

    /// The as-of instant of the last run (aware datetime, UTC), or None before the first run.
    #[getter]
    fn last_run<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.last_run.map(|t| Ok(to_datetime(py, t)?.into_any())).transpose()
    }

    /// The name of the playbook the ledger belongs to (set by the first run), or None.
    #[getter]
    fn playbook(&self) -> Option<String> {
        self.inner.playbook.clone()
    }

    fn __repr__(&self) -> String {
        let open = self.inner.open_actions().count();
        format!(
            "PlayState(actions={}, open={open}, last_run={:?})",
            self.inner.actions.len(),
            self.inner.last_run.map(|t| t.to_string())
        )
    }
}

/// Runs ``playbook`` (a Playbook, or its document as a dict or JSON text) over ``frame`` (a
/// Snapshot plus any added columns: health band, churn probability, segment, tier …) as of the
/// frame's instant, carrying ``state`` (default: an empty ledger) forward. Returns the run
/// (``{"as_of", "fired", "updated", "held_out", "closed", "skipped"}``; held-out accounts are
/// recorded with ``arm`` and status ``held_out``, not acted on) and the next ledger; ``state`` is not
/// changed. Running again on the same frame and the returned ledger fires nothing new. Releases
/// the GIL.
#[pyfunction]
#[pyo3(signature = (playbook, frame, state = None))]
pub fn run_playbook<'py>(
    py: Python<'py>,
    playbook: &Bound<'py, PyAny>,
    frame: &PySnapshot,
    state: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, PyPlayState)> {
    let mut owned = None;
    let book = playbook_arg(py, playbook, &mut owned)?;
    let state = state_arg(py, state)?;
    let snap = &frame.inner;
    let (run, next) = detach(py, || play::run(book, snap, &state))?;
    Ok((to_py(py, &run)?, PyPlayState { inner: next }))
}

/// A Playbook, or a playbook document (dict or JSON text) read into `owned`.
pub(crate) fn playbook_arg<'a>(
    py: Python<'_>,
    playbook: &'a Bound<'_, PyAny>,
    owned: &'a mut Option<Playbook>,
) -> PyResult<&'a Playbook> {
    if let Ok(b) = playbook.cast::<PyPlaybook>() {
        return Ok(&b.get().inner);
    }
    if !(playbook.is_instance_of::<PyString>() || playbook.is_instance_of::<PyDict>() || playbook.cast::<PyMapping>().is_ok()) {
        let reason = format!("expected a Playbook or a playbook document (dict or JSON text), got {}", type_name(playbook));
        return Err(invalid_argument("playbook", reason)).py(py);
    }
    Ok(owned.insert(read_document::<Playbook>(py, playbook, "playbook")?))
}

/// A copy of the ledger (default: empty): the run does not hold a borrow of the caller's object
/// while the GIL is released (a `close` from another thread meanwhile stays possible).
fn state_arg(py: Python<'_>, state: Option<&Bound<'_, PyAny>>) -> PyResult<PlayState> {
    match state.filter(|s| !s.is_none()) {
        None => Ok(PlayState::new()),
        Some(s) => match s.cast::<PyPlayState>() {
            Ok(s) => Ok(s.try_borrow().map_err(|e| invalid_argument("state", e.to_string())).py(py)?.inner.clone()),
            Err(_) => Err(invalid_argument("state", format!("expected a PlayState or None, got {}", type_name(s)))).py(py),
        },
    }
}

/// Names of the columns the starter playbook reads besides the built-in metrics
/// (``health_band``, ``churn_probability``, ``tier``).
#[pyfunction]
pub fn starter_columns() -> Vec<&'static str> {
    play::STARTER_COLUMNS.to_vec()
}

/// Replays ``playbook`` (a Playbook or its document) over ``dataset`` — at every date of
/// ``config`` (a dry run config: ``{"from", "to", "step", "horizon"?, "churn"?}``) builds the
/// frame as of that date with ``recipe`` (a frame recipe: ``snapshot``, ``flags``, ``scorecard``,
/// ``tiers``, ``churn_model``), runs the playbook and carries the ledger forward from ``state``
/// (default: empty). ``churn_model`` (a fitted ChurnModel) is put into the recipe, which must then
/// have none. Returns the dry run (``{"runs", "state", "plays"}``: every run, the last ledger and,
/// per play, how the accounts it acted on fared) and that ledger as a PlayState. Releases the
/// GIL.
#[pyfunction]
#[pyo3(signature = (playbook, dataset, recipe, config, state = None, *, churn_model = None))]
pub fn dry_run<'py>(
    py: Python<'py>,
    playbook: &Bound<'py, PyAny>,
    dataset: PyRef<'_, PyDataset>,
    recipe: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
    state: Option<&Bound<'py, PyAny>>,
    churn_model: Option<PyRef<'_, PyChurnModel>>,
) -> PyResult<(Bound<'py, PyAny>, PyPlayState)> {
    let mut owned = None;
    let book = playbook_arg(py, playbook, &mut owned)?;
    let mut recipe: FrameRecipe = read_document(py, recipe, "recipe")?;
    if let Some(model) = churn_model {
        if recipe.churn_model.is_some() {
            return Err(invalid_argument("churn_model", "the recipe has a churn_model already")).py(py);
        }
        recipe.churn_model = Some(model.inner.clone());
    }
    let config: DryRunConfig = read_document(py, config, "config")?;
    let state = state_arg(py, state)?;
    let ds = &dataset.inner;
    let result = detach(py, || play::dry_run(book, ds, &recipe, &config, &state))?;
    Ok((to_py(py, &result)?, PyPlayState { inner: result.state }))
}

/// Adds the play classes and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlaybook>()?;
    m.add_class::<PyPlayState>()?;
    m.add_function(wrap_pyfunction!(run_playbook, m)?)?;
    m.add_function(wrap_pyfunction!(starter_columns, m)?)?;
    m.add_function(wrap_pyfunction!(dry_run, m)?)?;
    Ok(())
}
