//! The simulator: `simulate(options, treatments?)` and `simulateAsync(options, treatments?)`
//! generate a seeded, realistic customer base with its hidden ground truth — with treatments, as
//! it would be had those accounts been treated.

use chrono::{DateTime, Utc};
use custfit::sim::Treatment;
use custfit::{Simulation, SimulationConfig};
use napi::bindgen_prelude::{AsyncTask, Env, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;

use crate::data::{options_object, Dataset};
use crate::error::{guard, invalid_argument, throw, IntoCore, Result, Throw};
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

/// The settings and, when given (`null`/`undefined`: none), the treatments.
type SimulateJob = (SimulationConfig, Option<Vec<Treatment>>);

fn job(options: Option<&Unknown<'_>>, treatments: Option<&Unknown<'_>>) -> Result<SimulateJob> {
    let config = options_object(options, "options")?;
    let treatments = match treatments {
        Some(t) if !matches!(t.get_type().core()?, ValueType::Undefined | ValueType::Null) => {
            if !t.is_array().core()? {
                let reason = format!("expected an array of treatments, got {}", crate::arg::describe(t));
                return Err(invalid_argument("treatments", reason));
            }
            Some(crate::experiment::serde_arg(t, "treatments", "an array")?)
        }
        _ => None,
    };
    Ok((config, treatments))
}

fn generate((config, treatments): &SimulateJob) -> custfit::Result<Simulation> {
    match treatments {
        None => Simulation::generate(config),
        Some(t) => Simulation::generate_treated(config, t),
    }
}

/// Generates a customer base (deterministic for a given seed). With `treatments` (`[{account_id,
/// start, engagement?, churn_odds?}]`), the base as it would be had those accounts been treated
/// from `start` on: each account's randomness is split into independent streams, so an account
/// is the same before its first treatment as in the untreated base `simulate(options, [])`
/// (which differs from `simulate(options)`, the plain base) and the difference is the
/// treatment's effect. Throws `invalid_config` for out-of-range settings, `invalid_argument` for
/// unknown keys or wrong types.
#[napi(catch_unwind, ts_args_type = "options?: SimulationOptions, treatments?: Array<Treatment> | undefined | null")]
pub fn simulate(env: &Env, options: Option<Unknown<'_>>, treatments: Option<Unknown<'_>>) -> napi::Result<SimulationJs> {
    let run = || to_js_simulation(generate(&job(options.as_ref(), treatments.as_ref())?)?);
    run().throw(env)
}

/// Generates a customer base on libuv's thread pool.
pub struct SimulateTask {
    job: Option<Result<SimulateJob>>,
}

impl Task for SimulateTask {
    /// `None` when the options were bad (nothing to compute).
    type Output = Option<custfit::Result<Simulation>>;
    type JsValue = SimulationJs;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok(job)) => guard(|| Some(generate(job))),
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<SimulationJs> {
        if let Some(Err(e)) = self.job.take() {
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
#[napi(
    catch_unwind,
    ts_args_type = "options?: SimulationOptions, treatments?: Array<Treatment> | undefined | null",
    ts_return_type = "Promise<Simulation>"
)]
pub fn simulate_async(options: Option<Unknown<'_>>, treatments: Option<Unknown<'_>>) -> AsyncTask<SimulateTask> {
    AsyncTask::new(SimulateTask { job: Some(job(options.as_ref(), treatments.as_ref())) })
}
