//! Activity series and goals (`custfit::activity`): `ds.dailyActivity(accountId, end, days)`, the
//! per-day "steps" of an account, and `goalProgress` / `goalProgressAll` towards an activity goal.
//! Goals are the core's `Goal` documents (an object or its JSON text); progress comes back in the
//! core's serde form (snake_case keys, instants as ISO strings), as in Rust and Python.

use custfit::activity::{self, Goal};
use custfit::Window;
use napi::bindgen_prelude::{Env, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::data::Dataset;
use crate::document::{document, part};
use crate::error::{invalid_argument, whole_u32, Result, Throw};
use crate::health::json;
use crate::time::timestamp_arg;

#[napi]
impl Dataset {
    /// The last `days` UTC calendar days (1..=36600) of the account's activity, oldest first,
    /// ending with the day that contains `end` (later events are ignored). Days without
    /// activity are included. Throws `unknown_account` / `invalid_argument`.
    #[napi(
        catch_unwind,
        ts_args_type = "accountId: string, end: Date | string | number, days: number",
        ts_return_type = "Array<DailyActivity>"
    )]
    pub fn daily_activity(&self, env: &Env, account_id: Unknown<'_>, end: Unknown<'_>, days: Unknown<'_>) -> napi::Result<Value> {
        let run = || {
            let account_id = arg::string(&account_id, "accountId")?;
            let end = timestamp_arg(&end, "end")?;
            let days = arg::number(&days, "days")?;
            json(&custfit::daily_activity(&self.inner, &account_id, end, whole_u32(days, "days")?)?)
        };
        run().throw(env)
    }
}

fn goal_arg(value: &Unknown<'_>) -> Result<Goal> {
    document(value, "goal")
}

/// A window document (`{amount: 12, unit: 'weeks'}`), validated.
fn window_arg(value: &Unknown<'_>, name: &str) -> Result<Window> {
    let w: Option<Window> = part(Some(value), name)?;
    let w = w.ok_or_else(|| invalid_argument(name, "expected a window such as {amount: 12, unit: 'weeks'}"))?;
    w.validate(name)?;
    Ok(w)
}

/// Progress of `accountId` towards an activity goal over the `lookback` window before `asOf`:
/// `{account_id, goal, target, periods, current_streak, longest_streak, personal_best,
/// celebrations, days}`. `goal` is a Goal document (`{metric: {type: 'logins'}, period: 'daily',
/// target: 2}`), `lookback` a window such as `{amount: 12, unit: 'weeks'}`.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, accountId: string, goal: object | string, asOf: Date | string | number, lookback: { amount: number; unit: 'days' | 'weeks' | 'months' } | string",
    ts_return_type = "GoalProgress"
)]
pub fn goal_progress(
    env: &Env,
    dataset: Unknown<'_>,
    account_id: Unknown<'_>,
    goal: Unknown<'_>,
    as_of: Unknown<'_>,
    lookback: Unknown<'_>,
) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let account_id = arg::string(&account_id, "accountId")?;
        let goal = goal_arg(&goal)?;
        let t = timestamp_arg(&as_of, "asOf")?;
        let lookback = window_arg(&lookback, "lookback")?;
        json(&activity::goal_progress(&dataset.inner, &account_id, &goal, t, lookback)?)
    };
    run().throw(env)
}

/// `goalProgress` for every account existing at `asOf` (dataset order).
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, goal: object | string, asOf: Date | string | number, lookback: { amount: number; unit: 'days' | 'weeks' | 'months' } | string",
    ts_return_type = "Array<GoalProgress>"
)]
pub fn goal_progress_all(
    env: &Env,
    dataset: Unknown<'_>,
    goal: Unknown<'_>,
    as_of: Unknown<'_>,
    lookback: Unknown<'_>,
) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let goal = goal_arg(&goal)?;
        let t = timestamp_arg(&as_of, "asOf")?;
        let lookback = window_arg(&lookback, "lookback")?;
        json(&activity::goal_progress_all(&dataset.inner, &goal, t, lookback)?)
    };
    run().throw(env)
}
