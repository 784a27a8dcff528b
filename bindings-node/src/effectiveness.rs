//! The effectiveness (maturity) model (`custfit::effectiveness`): `assessMaturity` places each
//! account in the highest phase whose behaviours it (and every earlier phase) meets, benchmarks
//! each behaviour against its peers and plans the next phase, with an `…Async` variant on
//! libuv's pool.
//!
//! The model is the core's `MaturityModel` document (an object with serde keys, or its JSON
//! text). The assessment comes back as an object (`MaturityAssessment`), because its per-account
//! results are columns a snapshot takes (`snapshot.withColumns(assessment, 'maturity')`); its
//! `toJSON()` is the core's serde form (snake_case keys), as in Rust and Python.
//!
//! `PlanTracker` is the ledger of improvement plans kept from check to check (like `PlayState`,
//! a mutable object saved as the same versioned JSON in Rust and Python); each check returns a
//! `PlanCheck`, whose per-account results are columns too (`snapshot.withColumns(check,
//! 'plan')`). `track` has no `…Async` variant: it changes the tracker, and an off-thread task
//! cannot write back to the object it was called on (the house's async calls compute from
//! copies and return new objects).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::effectiveness::{
    self, MaturityAssessment as CoreAssessment, MaturityModel, PlanCheck as CoreCheck, PlanTracker as CoreTracker, TrackingPolicy,
};
use custfit::Snapshot as CoreSnapshot;
use napi::bindgen_prelude::{Env, PromiseRaw, Unknown};
use napi::Task;
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::document::{document, part};
use crate::error::{guard, invalid_argument, throw, Result, Throw};
use crate::health::json;
use crate::metrics::Snapshot;
use crate::time::date;

/// The maturity of every account of a frame: `phases` (names, lowest first), `counts` (accounts
/// per level: index 0 below the first phase, then one per phase) and `accounts` (per account, in
/// the frame's order). `snapshot.withColumns(assessment, 'maturity')` adds the columns `maturity`
/// (the phase), `maturity_level` (0 to the number of phases), `maturity_next` (the next phase)
/// and `maturity_gaps` (behaviours missing for it; default name `maturity`);
/// `toArrow(assessment)` is that table.
#[napi]
pub struct MaturityAssessment {
    pub(crate) inner: Arc<CoreAssessment>,
}

impl MaturityAssessment {
    fn new(inner: CoreAssessment) -> Self {
        MaturityAssessment { inner: Arc::new(inner) }
    }
}

#[napi]
impl MaturityAssessment {
    /// Not made with `new`: `assessMaturity` and `assessMaturityAsync` make them.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "MaturityAssessment", "`assessMaturity` and `assessMaturityAsync`"))
    }

    /// The phases' names, lowest first.
    #[napi(getter, catch_unwind)]
    pub fn phases(&self) -> Vec<String> {
        self.inner.phases.clone()
    }

    /// Accounts per level (index 0: below the first phase, then one per phase).
    #[napi(getter, catch_unwind)]
    pub fn counts(&self) -> Vec<u32> {
        // (a frame holds fewer than 2^32 accounts)
        self.inner.counts.iter().map(|c| u32::try_from(*c).unwrap_or(u32::MAX)).collect()
    }

    /// Per account, in the frame's order (`{account_id, segment, phase, level, behaviours,
    /// next_phase, plan}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<AccountMaturity>")]
    pub fn accounts(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.accounts).throw(env)
    }

    /// The result in its serde form (`JSON.stringify(assessment)` is the same JSON in Rust and
    /// Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "MaturityAssessmentDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }
}

/// The frame (shared) and the model, read on the JS thread.
type Job = (Arc<CoreSnapshot>, MaturityModel);

fn job(frame: &Unknown<'_>, model: &Unknown<'_>) -> Result<Job> {
    let frame = Arc::clone(&arg::instance::<Snapshot>(frame, "frame")?.inner);
    Ok((frame, document(model, "model")?))
}

/// Assesses every account of `frame` (a snapshot, with any added columns) against `model`, a
/// maturity model (`{version: 1, phases: [{name, behaviours: [{name, metric, at_least | at_most}]}],
/// segment_by?, best_in_class? (default 0.9)}` with 3 to 5 phases, lowest first; or its JSON
/// text). Throws `unsupported_version`, `parse_error`, `invalid_config` naming the field (e.g.
/// `phases[2].behaviours[0]`) or `unknown_metric`.
#[napi(catch_unwind, ts_args_type = "frame: Snapshot, model: MaturityModel | object | string")]
pub fn assess_maturity(env: &Env, frame: Unknown<'_>, model: Unknown<'_>) -> napi::Result<MaturityAssessment> {
    let run = || {
        let (frame, model) = job(&frame, &model)?;
        Ok(MaturityAssessment::new(effectiveness::assess(&frame, &model)?))
    };
    run().throw(env)
}

/// Runs an assessment on libuv's thread pool.
pub struct AssessMaturityTask {
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<Job>>,
}

impl Task for AssessMaturityTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<CoreAssessment>>;
    type JsValue = MaturityAssessment;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((frame, model))) => guard(|| Some(effectiveness::assess(frame, model))),
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<MaturityAssessment> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(assessment)) => Ok(MaturityAssessment::new(assessment)),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("model", "maturity assessment task started twice"))),
        }
    }
}

/// `assessMaturity` off the event loop: computed on libuv's thread pool from the frame as it is
/// now. Every error rejects the promise.
#[napi(
    catch_unwind,
    ts_args_type = "frame: Snapshot, model: MaturityModel | object | string",
    ts_return_type = "Promise<MaturityAssessment>"
)]
pub fn assess_maturity_async<'env>(
    env: &'env Env,
    frame: Unknown<'_>,
    model: Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, MaturityAssessment>> {
    let job = job(&frame, &model);
    Ok(env.spawn(AssessMaturityTask { job: Some(job) })?.promise_object())
}

/// Every assessed account after a check of a `PlanTracker`: `at` (the check's instant),
/// `accounts` (per account, in the frame's order: its level, its open plan's revision, target
/// phase, due date, progress and elapsed share, `status` `'on_track'` / `'behind'` / `'top'` and
/// how the plan open before ended, `closed`) and the counts of plans made and closed
/// (`achieved`, `regressed`, `expired`, `modelChanged`). `snapshot.withColumns(check, 'plan')`
/// adds the columns `plan_status`, `plan_progress`, `plan_elapsed`, `plan_target`, `plan_due`
/// and `plan_revision` (default name `plan`); `toArrow(check)` is that table.
#[napi]
pub struct PlanCheck {
    pub(crate) inner: Arc<CoreCheck>,
}

#[napi]
impl PlanCheck {
    /// Not made with `new`: `PlanTracker.track` makes them.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "PlanCheck", "`PlanTracker.track`"))
    }

    /// The check's as-of instant.
    #[napi(getter, catch_unwind)]
    pub fn at(&self) -> DateTime<Utc> {
        date(self.inner.at)
    }

    /// Per assessed account, in the frame's order (`{account_id, level, revision, target_phase,
    /// due, progress, elapsed, steps_met, steps, status, closed}`).
    #[napi(getter, catch_unwind, ts_return_type = "Array<PlanProgress>")]
    pub fn accounts(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.accounts).throw(env)
    }

    /// Plans made at this check (first plans and re-plans).
    #[napi(getter, catch_unwind)]
    pub fn plans_made(&self) -> u32 {
        count(self.inner.plans_made)
    }

    /// Plans closed at this check because the account reached their phase.
    #[napi(getter, catch_unwind)]
    pub fn achieved(&self) -> u32 {
        count(self.inner.achieved)
    }

    /// Plans closed at this check because the account fell below the level they started from.
    #[napi(getter, catch_unwind)]
    pub fn regressed(&self) -> u32 {
        count(self.inner.regressed)
    }

    /// Plans closed at this check because their due date passed.
    #[napi(getter, catch_unwind)]
    pub fn expired(&self) -> u32 {
        count(self.inner.expired)
    }

    /// Plans closed at this check because the maturity model changed.
    #[napi(getter, catch_unwind)]
    pub fn model_changed(&self) -> u32 {
        count(self.inner.model_changed)
    }

    /// The result in its serde form (`JSON.stringify(check)` is the same JSON in Rust and
    /// Python).
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "PlanCheckDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&*self.inner).throw(env)
    }
}

/// A count of accounts (a frame holds fewer than 2^32 accounts).
fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every improvement plan of a set of accounts — the original and each re-plan, with why it was
/// made and how it ended — and the actuals seen at every check: the ledger `track` carries from
/// check to check. Save it with `JSON.stringify(tracker)` and read it back with
/// `PlanTracker.fromJson` (the same document in Rust and Python).
#[napi]
pub struct PlanTracker {
    pub(crate) inner: CoreTracker,
}

#[napi]
impl PlanTracker {
    /// An empty tracker (no check yet). `policy` (default `{horizon: {amount: 90, unit: 'days'}}`,
    /// or its JSON text) says how long plans run; a bad one throws `parse_error` (an unknown key,
    /// a wrong type) or `invalid_config` naming `policy.horizon`.
    #[napi(constructor, catch_unwind, ts_args_type = "policy?: TrackingPolicy | object | string | null")]
    pub fn new(env: Env, policy: Option<Unknown<'_>>) -> napi::Result<Self> {
        let run = || {
            let policy: TrackingPolicy = part(policy.as_ref(), "policy")?;
            let inner = CoreTracker::new(policy);
            inner.validate()?;
            Ok(PlanTracker { inner })
        };
        run().throw(&env)
    }

    /// Reads a tracker from its document (an object or its JSON text, as `toJSON()` writes it),
    /// checked: `unsupported_version` when it is newer than this build, `parse_error` when it is
    /// corrupt, `invalid_config` naming the part (e.g. `plans[1]`) when it is inconsistent.
    #[napi(factory, catch_unwind, ts_args_type = "document: PlanTrackerDocument | object | string")]
    pub fn from_json(env: &Env, document: Unknown<'_>) -> napi::Result<PlanTracker> {
        let run = || crate::document::document::<CoreTracker>(&document, "document");
        Ok(PlanTracker { inner: run().throw(env)? })
    }

    /// The tracker's versioned JSON form, so `JSON.stringify(tracker)` writes the text that
    /// `PlanTracker.fromJson` (and Rust and Python) read back.
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "PlanTrackerDocument")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner).throw(env)
    }

    /// The checks' as-of instants, ascending.
    #[napi(getter, catch_unwind)]
    pub fn checks(&self) -> Vec<DateTime<Utc>> {
        self.inner.checks.iter().map(|t| date(*t)).collect()
    }

    /// Every plan, in the order made (`closed_at` and `outcome` missing while open).
    #[napi(getter, catch_unwind, ts_return_type = "Array<ImprovementPlan>")]
    pub fn plans(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.plans).throw(env)
    }

    /// Every actual (an open plan's metrics, met steps and progress at a check), in check then
    /// account order.
    #[napi(getter, catch_unwind, ts_return_type = "Array<PlanActual>")]
    pub fn actuals(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.actuals).throw(env)
    }

    /// How long plans run (`{horizon: {amount, unit}}`).
    #[napi(getter, catch_unwind, ts_return_type = "TrackingPolicy")]
    pub fn policy(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.policy).throw(env)
    }

    /// Every plan of one account, oldest first (empty for an account never planned).
    #[napi(catch_unwind, ts_args_type = "accountId: string", ts_return_type = "Array<ImprovementPlan>")]
    pub fn plans_of(&self, env: &Env, account_id: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&self.inner.plans_of(&arg::string(&account_id, "accountId")?));
        run().throw(env)
    }

    /// Every actual of one account, oldest first.
    #[napi(catch_unwind, ts_args_type = "accountId: string", ts_return_type = "Array<PlanActual>")]
    pub fn actuals_of(&self, env: &Env, account_id: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&self.inner.actuals_of(&arg::string(&account_id, "accountId")?));
        run().throw(env)
    }

    /// Assesses `frame` (a snapshot, with any added columns) against `model` (a maturity model,
    /// as `assessMaturity` takes it) and records the result as a check at the frame's as-of
    /// instant: each assessed account's open plan gets an actual and is kept or closed (achieved,
    /// regressed, model changed, expired), and accounts below the top without an open plan get
    /// one, due `policy.horizon` later. Checks are recorded in time order: the same check again
    /// changes nothing and returns the same result; an earlier one, or a different one at the
    /// same instant, throws `invalid_argument`. A refused check leaves the tracker unchanged.
    #[napi(catch_unwind, ts_args_type = "frame: Snapshot, model: MaturityModel | object | string")]
    pub fn track(&mut self, env: &Env, frame: Unknown<'_>, model: Unknown<'_>) -> napi::Result<PlanCheck> {
        let mut run = || {
            let frame = arg::instance::<Snapshot>(&frame, "frame")?;
            let model: MaturityModel = document(&model, "model")?;
            self.inner.track(&frame.inner, &model)
        };
        Ok(PlanCheck { inner: Arc::new(run().throw(env)?) })
    }

    /// Whether `other` holds the same tracker.
    #[napi(catch_unwind, ts_args_type = "other: PlanTracker")]
    pub fn equals(&self, env: &Env, other: Unknown<'_>) -> napi::Result<bool> {
        let run = || Ok(self.inner == arg::instance::<PlanTracker>(&other, "other")?.inner);
        run().throw(env)
    }
}
