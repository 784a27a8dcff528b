//! Statistics (`custfit::stats`): the rank AUC and the Wilson interval the backtests use.

use custfit::{health, stats};
use napi::bindgen_prelude::{Env, Unknown};
use napi_derive::napi;

use crate::arg;
use crate::error::{invalid_argument, Throw};

/// ROC AUC of `risk` (higher = more likely positive; any finite scale) for `labels`, ties
/// counted half; `null` when either class is empty. Throws `invalid_argument` when the lengths
/// differ and `non_finite` for NaN or infinite risk.
#[napi(catch_unwind, ts_args_type = "risk: Array<number>, labels: Array<boolean>")]
pub fn roc_auc(env: &Env, risk: Unknown<'_>, labels: Unknown<'_>) -> napi::Result<Option<f64>> {
    let run = || health::roc_auc(&arg::numbers(&risk, "risk")?, &arg::booleans(&labels, "labels")?);
    run().throw(env)
}

/// Wilson 95% score interval `[low, high]` for `k` successes in `n` trials; `null` when `n` is 0.
/// Throws `invalid_argument` when `k` exceeds `n`.
#[napi(catch_unwind, ts_args_type = "k: number, n: number", ts_return_type = "[number, number] | null")]
pub fn wilson_interval(env: &Env, k: Unknown<'_>, n: Unknown<'_>) -> napi::Result<Option<Vec<f64>>> {
    let run = || {
        let (k, n) = (arg::number(&k, "k")?, arg::number(&n, "n")?);
        let count = |x: f64, name: &str| {
            if x.fract() == 0.0 && (0.0..=9.0e15).contains(&x) {
                Ok(x as u64)
            } else {
                Err(invalid_argument(name, format!("must be a whole non-negative number, got {x}")))
            }
        };
        Ok(stats::wilson_interval(count(k, "k")?, count(n, "n")?)?.map(|(lo, hi)| vec![lo, hi]))
    };
    run().throw(env)
}
