//! The simulator (`custfit::sim`).

use custfit::sim::{AccountTruth, Treatment};
use custfit::{Error, ErrorKind, Simulation, SimulationConfig, Timestamp};
use pyo3::prelude::*;

use crate::convert::Whole;
use crate::data::PyDataset;
use crate::document::document_json;
use crate::error::{detach, IntoPyResult};
use crate::time::{timestamp_arg, to_datetime};

/// A simulated customer base with its hidden ground truth.
#[pyclass(name = "Simulation", module = "custfit", frozen)]
pub struct PySimulation {
    dataset: Py<PyDataset>,
    start: Timestamp,
    end: Timestamp,
    truth: Vec<AccountTruth>,
    config: SimulationConfig,
}

#[pymethods]
impl PySimulation {
    /// The generated data (the same Dataset object on every access).
    #[getter]
    fn dataset(&self, py: Python<'_>) -> Py<PyDataset> {
        self.dataset.clone_ref(py)
    }

    /// First simulated instant (UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.start)?.into_any())
    }

    /// End of the simulated period (UTC): a natural ``as_of`` for snapshots.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_datetime(py, self.end)?.into_any())
    }

    /// Ground truth per account, in account order: ``account_id``, ``churned``,
    /// ``churned_at``, ``decline_started_at``, ``champion_left_at``, ``cadence``,
    /// ``base_engagement``, ``onboarding_stuck``, ``kickoff_at``, ``training_done_at``,
    /// ``first_value_at`` (new accounts' onboarding moments within the simulated period, else
    /// None), ``extraction_burst``, ``confused``.
    #[getter]
    fn truth<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::health::to_py(py, &self.truth)
    }

    /// The settings used, as a dict (valid input for ``simulate``).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::health::to_py(py, &self.config)
    }

    fn __repr__(&self) -> String {
        format!(
            "Simulation(accounts={}, seed={}, start={}, end={})",
            self.config.accounts, self.config.seed, self.start, self.end
        )
    }
}

fn config_error(reason: impl Into<String>) -> Error {
    Error::Config { kind: ErrorKind::InvalidConfig, path: "simulation".into(), reason: reason.into() }
}

/// Generates a seeded, deterministic customer base. ``config`` (a dict or JSON text of
/// SimulationConfig) sets the starting values; keyword arguments override them. With
/// ``treatments`` (a list of ``{"account_id", "start", "engagement"?, "churn_odds"?}``), the base
/// as it would be had those accounts been treated from ``start`` on: each account's randomness
/// is split into independent streams, so an account is the same before its first treatment as
/// in the untreated base ``treatments=[]`` (which differs from ``treatments=None``, the plain
/// base) and the difference is the treatment's effect. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (config=None, *, accounts=None, seed=None, days=None, start=None, activity_scale=None, max_users_per_account=None, currency=None, treatments=None))]
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    accounts: Option<Whole>,
    seed: Option<Whole>,
    days: Option<Whole>,
    start: Option<&Bound<'_, PyAny>>,
    activity_scale: Option<f64>,
    max_users_per_account: Option<Whole>,
    currency: Option<String>,
    treatments: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySimulation> {
    let mut cfg = match config.filter(|c| !c.is_none()) {
        None => SimulationConfig::default(),
        Some(obj) => {
            let text = document_json(obj, "simulation config")?.py(py)?;
            serde_json::from_str::<SimulationConfig>(&text).map_err(|e| config_error(e.to_string())).py(py)?
        }
    };
    if let Some(v) = accounts {
        cfg.accounts = v.to_usize("accounts").py(py)?;
    }
    if let Some(v) = seed {
        cfg.seed = v.to_u64("seed").py(py)?;
    }
    if let Some(v) = days {
        cfg.days = v.to_u32("days").py(py)?;
    }
    if let Some(v) = start {
        cfg.start = timestamp_arg(v, "start")?;
    }
    if let Some(v) = activity_scale {
        cfg.activity_scale = v;
    }
    if let Some(v) = max_users_per_account {
        cfg.max_users_per_account = v.to_u32("max_users_per_account").py(py)?;
    }
    if let Some(v) = currency {
        cfg.currency = v;
    }
    let treatments: Option<Vec<Treatment>> = match treatments.filter(|t| !t.is_none()) {
        None => None,
        Some(t) => Some(crate::experiment::serde_arg(py, t, "treatments", "a list of treatment dicts")?),
    };
    let sim = detach(py, || match &treatments {
        None => Simulation::generate(&cfg),
        Some(t) => Simulation::generate_treated(&cfg, t),
    })?;
    Ok(PySimulation {
        dataset: Py::new(py, PyDataset { inner: sim.dataset })?,
        start: sim.start,
        end: sim.end,
        truth: sim.truth,
        config: sim.config,
    })
}
