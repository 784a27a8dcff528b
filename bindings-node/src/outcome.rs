//! Outcomes (`custfit::outcome`): churn dates and definitions (subscription, activity, MRR
//! churn) and churn-rate conversion. Definitions cross as objects (snake_case keys) or JSON text;
//! dates come back per account id as ISO strings.

use custfit::outcome::{self, ActivityChurn, SubscriptionChurn};
use custfit::Timestamp;
use napi::bindgen_prelude::{Env, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::data::Dataset;
use crate::document::part;
use crate::error::{whole_u32, Throw};
use crate::health::json;
use crate::time::timestamp_arg;

/// Annual churn rate equivalent to a monthly one.
#[napi(catch_unwind, ts_args_type = "monthly: number")]
pub fn monthly_to_annual(env: &Env, monthly: Unknown<'_>) -> napi::Result<f64> {
    let run = || outcome::monthly_to_annual(arg::number(&monthly, "monthly")?);
    run().throw(env)
}

/// Monthly churn rate equivalent to an annual one.
#[napi(catch_unwind, ts_args_type = "annual: number")]
pub fn annual_to_monthly(env: &Env, annual: Unknown<'_>) -> napi::Result<f64> {
    let run = || outcome::annual_to_monthly(arg::number(&annual, "annual")?);
    run().throw(env)
}

/// MRR churn between two instants: churned and downgraded MRR, rates.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, start: Date | string | number, end: Date | string | number",
    ts_return_type = "MrrChurn"
)]
pub fn mrr_churn(env: &Env, dataset: Unknown<'_>, start: Unknown<'_>, end: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        json(&outcome::mrr_churn(&dataset.inner, timestamp_arg(&start, "start")?, timestamp_arg(&end, "end")?)?)
    };
    run().throw(env)
}

fn dates_object(ds: &custfit::Dataset, dates: Vec<Vec<Timestamp>>) -> Value {
    let map = ds
        .accounts()
        .iter()
        .zip(dates)
        .map(|(a, list)| (a.id.clone(), Value::from(list.into_iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>())))
        .collect();
    Value::Object(map)
}

/// Subscription-churn instants (ISO strings) per account id, known by `knownAt`.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, knownAt: Date | string | number, config?: object | string",
    ts_return_type = "Record<string, Array<string>>"
)]
pub fn churn_dates(env: &Env, dataset: Unknown<'_>, known_at: Unknown<'_>, config: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let def: SubscriptionChurn = part(config.as_ref(), "config")?;
        def.validate()?;
        Ok(dates_object(&dataset.inner, outcome::churn_dates(&dataset.inner, &def, timestamp_arg(&known_at, "knownAt")?)?))
    };
    run().throw(env)
}

/// Activity-churn instants (ISO strings) per account id.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, knownAt: Date | string | number, config?: object | string",
    ts_return_type = "Record<string, Array<string>>"
)]
pub fn activity_churn_dates(
    env: &Env,
    dataset: Unknown<'_>,
    known_at: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let def: ActivityChurn = part(config.as_ref(), "config")?;
        Ok(dates_object(
            &dataset.inner,
            outcome::activity_churn_dates(&dataset.inner, &def, timestamp_arg(&known_at, "knownAt")?)?,
        ))
    };
    run().throw(env)
}

/// The shortest inactivity window within which `share` (default 0.9) of observed returns after
/// a gap of at least `minGapDays` (default 7) happened.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, knownAt: Date | string | number, share?: number, minGapDays?: number",
    ts_return_type = "InactivityWindowChoice"
)]
pub fn choose_inactivity_window(
    env: &Env,
    dataset: Unknown<'_>,
    known_at: Unknown<'_>,
    share: Option<Unknown<'_>>,
    min_gap_days: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let k = timestamp_arg(&known_at, "knownAt")?;
        let share = arg::optional_number(share.as_ref(), "share")?;
        let min_gap_days = whole_u32(arg::optional_number(min_gap_days.as_ref(), "minGapDays")?.unwrap_or(7.0), "minGapDays")?;
        let rules = custfit::metrics::ActivityRules::default();
        json(&outcome::choose_inactivity_window(
            &dataset.inner,
            &rules,
            share.unwrap_or(0.9),
            custfit::Window::days(min_gap_days),
            k,
        )?)
    };
    run().throw(env)
}
