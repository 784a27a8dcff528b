//! Activity series: the per-day "steps" of an account (active users, activity events, logins),
//! the input of steps charts and activity goals.

use serde::{Deserialize, Serialize};

mod goal;
pub use goal::{
    goal_progress, goal_progress_all, Celebration, CelebrationKind, Goal, GoalMetric, GoalPeriod, GoalProgress, PeriodResult,
    PersonalBest, GOAL_VERSION, MAX_GOAL_ACCOUNT_DAYS, MAX_GOAL_DAYS,
};

use crate::data::{event_name, Dataset};
use crate::error::{Error, Result};
use crate::metrics::ActivityRules;
use crate::time::Timestamp;

/// One UTC calendar day of an account's activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DailyActivity {
    /// Midnight UTC starting the day.
    pub day: Timestamp,
    /// Distinct users with product activity that day.
    pub active_users: u32,
    /// Product-activity events that day.
    pub events: u32,
    /// Login events that day.
    pub logins: u32,
}

/// The last `days` UTC calendar days of `account_id`'s activity, ending with the day that contains
/// `end` (events after `end` are ignored), oldest first. Days without activity are included.
pub fn daily_activity(ds: &Dataset, account_id: &str, end: Timestamp, days: u32) -> Result<Vec<DailyActivity>> {
    daily_activity_with(ds, account_id, end, days, &ActivityRules::default())
}

/// [`daily_activity`] with explicit activity rules.
pub fn daily_activity_with(
    ds: &Dataset,
    account_id: &str,
    end: Timestamp,
    days: u32,
    rules: &ActivityRules,
) -> Result<Vec<DailyActivity>> {
    if days == 0 || days > 36_600 {
        return Err(Error::argument("days", "must be between 1 and 36600"));
    }
    let a = ds.account_position(account_id)?;
    let last_day = end.floor_day();
    let first = last_day.add_days(-(i64::from(days) - 1));
    let mut out: Vec<DailyActivity> =
        (0..days).map(|d| DailyActivity { day: first.add_days(i64::from(d)), active_users: 0, events: 0, logins: 0 }).collect();
    let non_activity: Vec<Option<u32>> = rules.non_activity_events.iter().map(|n| ds.name_id(n)).collect();
    let login = ds.name_id(event_name::LOGIN);
    let mut users: Vec<(usize, u32)> = Vec::new();
    for e in ds.scan(a, first.millis(), end.millis()).iter() {
        let d = e.days_after(first.millis());
        let name = e.name;
        if Some(name) == login {
            out[d].logins += 1;
        }
        if non_activity.contains(&Some(name)) {
            continue;
        }
        out[d].events += 1;
        if let Some(u) = e.user {
            users.push((d, u));
        }
    }
    users.sort_unstable();
    users.dedup();
    for (d, _) in users {
        out[d].active_users += 1;
    }
    Ok(out)
}
