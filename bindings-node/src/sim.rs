//! The simulator: `simulate(options)` and `simulateAsync(options)` generate a seeded, realistic
//! customer base with its hidden ground truth.

use chrono::{DateTime, Utc};
use custfit::{Simulation, SimulationConfig};
use napi::bindgen_prelude::{AsyncTask, Env, Unknown};
use napi::Task;
use napi_derive::napi;

use crate::data::{options_object, Dataset};
use crate::error::{guard, invalid_argument, throw, Result, Throw};
use crate::time::date;

/// Settings of a simulation (all optional). camelCase or the serde names.
#[napi(object, object_to_js = false)]
pub struct SimulationOptions {
    /// Number of accounts (default 2000).
    pub accounts: Option<u32>,
    /// Random seed; the same seed gives the same customer base (default 42).
    pub seed: Option<f64>,
    /// Number of simulated days (default 365).
    pub days: Option<u32>,
    /// First simulated day (default 2024-01-01).
    #[napi(ts_type = "Date | string | number")]
    pub start: Option<serde_json::Value>,
    /// Multiplies every user's activity rate (default 1; use < 1 for lighter data).
    pub activity_scale: Option<f64>,
    /// Cap on users per account (default 60).
    pub max_users_per_account: Option<u32>,
    /// Currency of all money (default `'USD'`).
    pub currency: Option<String>,
}

/// A simulated customer base.
#[napi(object, object_from_js = false, js_name = "Simulation")]
pub struct SimulationJs {
    /// The generated data.
    pub dataset: Dataset,
    /// First simulated instant.
    pub start: DateTime<Utc>,
    /// End of the simulated period (the last simulated day's end); a natural `asOf`.
    pub end: DateTime<Utc>,
    /// Ground truth per account, in account order.
    #[napi(ts_type = "Array<AccountTruth>")]
    pub truth: serde_json::Value,
}

fn to_js_simulation(sim: Simulation) -> Result<SimulationJs> {
    let truth = crate::health::json(&sim.truth)?;
    Ok(SimulationJs { dataset: Dataset::wrap(sim.dataset), start: date(sim.start), end: date(sim.end), truth })
}

fn config_arg(options: Option<&Unknown<'_>>) -> Result<SimulationConfig> {
    options_object(options, "options")
}

/// Generates a customer base (deterministic for a given seed). Throws `invalid_config` for
/// out-of-range settings, `invalid_argument` for unknown keys or wrong types.
#[napi(catch_unwind, ts_args_type = "options?: SimulationOptions")]
pub fn simulate(env: &Env, options: Option<Unknown<'_>>) -> napi::Result<SimulationJs> {
    let run = || {
        let config = config_arg(options.as_ref())?;
        to_js_simulation(Simulation::generate(&config)?)
    };
    run().throw(env)
}

/// Generates a customer base on libuv's thread pool.
pub struct SimulateTask {
    config: Option<Result<SimulationConfig>>,
}

impl Task for SimulateTask {
    /// `None` when the options were bad (nothing to compute).
    type Output = Option<custfit::Result<Simulation>>;
    type JsValue = SimulationJs;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.config {
            Some(Ok(config)) => guard(|| Some(Simulation::generate(config))),
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<SimulationJs> {
        if let Some(Err(e)) = self.config.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(sim)) => to_js_simulation(sim).map_err(|e| throw(&env, &e)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("options", "simulation task started twice"))),
        }
    }
}

/// `simulate` off the event loop; every error rejects the promise.
#[napi(catch_unwind, ts_args_type = "options?: SimulationOptions", ts_return_type = "Promise<Simulation>")]
pub fn simulate_async(options: Option<Unknown<'_>>) -> AsyncTask<SimulateTask> {
    AsyncTask::new(SimulateTask { config: Some(config_arg(options.as_ref())) })
}
