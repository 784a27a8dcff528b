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

/// Hidden state of a simulated account (ground truth).
#[napi(object, object_from_js = false)]
pub struct AccountTruth {
    /// Account id.
    pub account_id: String,
    /// Whether the account churned within the simulated period.
    pub churned: bool,
    /// When its last subscription ended without renewal.
    pub churned_at: Option<DateTime<Utc>>,
    /// When its engagement began to decline, if it did.
    pub decline_started_at: Option<DateTime<Utc>>,
    /// When its champion left, if they did.
    pub champion_left_at: Option<DateTime<Utc>>,
    /// Usage rhythm.
    #[napi(ts_type = "'daily' | 'weekly' | 'monthly'")]
    pub cadence: String,
    /// Baseline latent engagement (0 = typical; ±1 = one standard deviation).
    pub base_engagement: f64,
    /// New account that never reached first value.
    pub onboarding_stuck: bool,
    /// Had a data-extraction burst before leaving.
    pub extraction_burst: bool,
    /// Clicks a lot without reaching value (confusion).
    pub confused: bool,
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
    pub truth: Vec<AccountTruth>,
}

fn to_js_simulation(sim: Simulation) -> SimulationJs {
    let truth = sim
        .truth
        .into_iter()
        .map(|t| AccountTruth {
            account_id: t.account_id,
            churned: t.churned,
            churned_at: t.churned_at.map(date),
            decline_started_at: t.decline_started_at.map(date),
            champion_left_at: t.champion_left_at.map(date),
            cadence: serde_json::to_value(t.cadence).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            base_engagement: t.base_engagement,
            onboarding_stuck: t.onboarding_stuck,
            extraction_burst: t.extraction_burst,
            confused: t.confused,
        })
        .collect();
    SimulationJs { dataset: Dataset::wrap(sim.dataset), start: date(sim.start), end: date(sim.end), truth }
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
        Simulation::generate(&config).map(to_js_simulation)
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
            Some(Ok(sim)) => Ok(to_js_simulation(sim)),
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
