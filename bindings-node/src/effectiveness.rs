//! The effectiveness (maturity) model (`custfit::effectiveness`): `assessMaturity` places each
//! account in the highest phase whose behaviours it (and every earlier phase) meets, benchmarks
//! each behaviour against its peers and plans the next phase, with an `…Async` variant on
//! libuv's pool.
//!
//! The model is the core's `MaturityModel` document (an object with serde keys, or its JSON
//! text). The assessment comes back as an object (`MaturityAssessment`), because its per-account
//! results are columns a snapshot takes (`snapshot.withColumns(assessment, 'maturity')`); its
//! `toJSON()` is the core's serde form (snake_case keys), as in Rust and Python.

use std::sync::Arc;

use custfit::effectiveness::{self, MaturityAssessment as CoreAssessment, MaturityModel};
use custfit::Snapshot as CoreSnapshot;
use napi::bindgen_prelude::{Env, PromiseRaw, Unknown};
use napi::Task;
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::document::document;
use crate::error::{guard, invalid_argument, throw, Result, Throw};
use crate::health::json;
use crate::metrics::Snapshot;

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
