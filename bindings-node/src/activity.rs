//! Activity series: `ds.dailyActivity(accountId, end, days)`, the per-day "steps" of an account.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{Env, Unknown, ValueType};
use napi_derive::napi;

use crate::data::{string_arg, Dataset};
use crate::error::{invalid_argument, IntoCore, Throw};
use crate::time::{date, timestamp_arg, type_name};

/// One UTC calendar day of an account's activity.
#[napi(object, object_from_js = false)]
pub struct DailyActivity {
    /// Midnight UTC starting the day.
    pub day: DateTime<Utc>,
    /// Distinct users with product activity that day.
    pub active_users: u32,
    /// Product-activity events that day.
    pub events: u32,
    /// Login events that day.
    pub logins: u32,
}

#[napi]
impl Dataset {
    /// The last `days` UTC calendar days (1..=36600) of the account's activity, oldest first,
    /// ending with the day that contains `end` (later events are ignored). Days without
    /// activity are included. Throws `unknown_account` / `invalid_argument`.
    #[napi(catch_unwind, ts_args_type = "accountId: string, end: Date | string | number, days: number")]
    pub fn daily_activity(
        &self,
        env: &Env,
        account_id: Unknown<'_>,
        end: Unknown<'_>,
        days: Unknown<'_>,
    ) -> napi::Result<Vec<DailyActivity>> {
        let run = || {
            let account_id = string_arg(&account_id, "accountId")?;
            let end = timestamp_arg(&end, "end")?;
            let days = match days.get_type().core()? {
                // SAFETY: the type was just checked.
                ValueType::Number => unsafe { days.cast::<f64>() }.core()?,
                other => return Err(invalid_argument("days", format!("expected a number, got {}", type_name(other)))),
            };
            if !(days.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&days)) {
                return Err(invalid_argument("days", format!("{days} is not a whole number of days")));
            }
            let series = custfit::daily_activity(&self.inner, &account_id, end, days as u32)?;
            Ok(series
                .into_iter()
                .map(|d| DailyActivity { day: date(d.day), active_users: d.active_users, events: d.events, logins: d.logins })
                .collect())
        };
        run().throw(env)
    }
}
