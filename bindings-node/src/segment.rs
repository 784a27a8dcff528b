//! Segmentation (`custfit::segment`): each function takes a Snapshot and a config document
//! (object or JSON text, snake_case keys: the same JSON as in Rust and Python) and returns the
//! result as a plain object.

use custfit::segment::{CapacityConfig, ClusterConfig, ClusterModel, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation};
use napi::bindgen_prelude::{Env, Unknown};
use napi_derive::napi;

use crate::arg;
use crate::document::{document, optional_document};
use crate::error::{Result, Throw};
use crate::metrics::Snapshot;

fn json<T: serde::Serialize>(v: Result<T>) -> Result<serde_json::Value> {
    v.and_then(|x| crate::health::json(&x))
}

/// Rule segments (`{segments: [{name, condition}], mode: 'first_match' | 'multi_label', default_segment}`).
#[napi(catch_unwind, ts_return_type = "SegmentAssignment")]
pub fn segment_rules(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Unknown<'_>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        json(document::<RuleSegmentation>(&config, "config")?.apply(&snapshot.inner))
    };
    run().throw(&env)
}

/// Pareto revenue tiers (default: top 10% of customers, next 20%, the rest, by `mrr`).
#[napi(catch_unwind, ts_return_type = "ParetoTiers")]
pub fn pareto_tiers(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Option<Unknown<'_>>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        json(optional_document::<ParetoConfig>(config.as_ref(), "config")?.apply(&snapshot.inner))
    };
    run().throw(&env)
}

/// Equal-count buckets of one metric (default: quartiles of `mrr`).
#[napi(catch_unwind, ts_return_type = "QuantileBuckets")]
pub fn quantile_buckets(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Option<Unknown<'_>>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        json(optional_document::<QuantileConfig>(config.as_ref(), "config")?.apply(&snapshot.inner))
    };
    run().throw(&env)
}

/// RFM scores (1–5) and named RFM segments.
#[napi(catch_unwind, ts_return_type = "RfmScores")]
pub fn rfm_scores(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Option<Unknown<'_>>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        json(optional_document::<RfmConfig>(config.as_ref(), "config")?.apply(&snapshot.inner))
    };
    run().throw(&env)
}

/// k-means clusters (k-means++, seeded) on standardised metrics, k chosen by silhouette.
#[napi(catch_unwind, ts_return_type = "Clustering")]
pub fn fit_clusters(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Option<Unknown<'_>>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        json(optional_document::<ClusterConfig>(config.as_ref(), "config")?.fit(&snapshot.inner))
    };
    run().throw(&env)
}

/// Cluster numbers of every row for a fitted model.
#[napi(catch_unwind)]
pub fn assign_clusters(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] model: Unknown<'_>,
) -> napi::Result<Vec<u32>> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        let model: ClusterModel = document(&model, "model")?;
        Ok(model.predict(&snapshot.inner)?.into_iter().map(|c| c as u32).collect())
    };
    run().throw(&env)
}

/// CSM capacity plan; tiers from `tiers` (one name per row) when given, else the config's `tier_column`.
#[napi(catch_unwind, ts_return_type = "CapacityPlan")]
pub fn capacity_plan(
    env: Env,
    #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
    #[napi(ts_arg_type = "object | string")] config: Option<Unknown<'_>>,
    #[napi(ts_arg_type = "Array<string | undefined | null> | undefined | null")] tiers: Option<Unknown<'_>>,
) -> napi::Result<serde_json::Value> {
    let run = || {
        let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
        let c = optional_document::<CapacityConfig>(config.as_ref(), "config")?;
        json(match arg::optional(tiers.as_ref(), |t| arg::optional_strings(t, "tiers"))? {
            Some(t) => c.plan_with_tiers(&snapshot.inner, &t),
            None => c.plan(&snapshot.inner),
        })
    };
    run().throw(&env)
}
