//! Activity goals, like a fitness tracker's step goal: a daily or weekly target on an activity
//! metric, attainment per period, current and longest streaks, personal bests, celebrations worth
//! telling the customer, and the per-day series for a "steps" chart.
//!
//! Days are UTC calendar days; weeks are ISO weeks (Monday 00:00 UTC to the next Monday). The
//! period containing the as-of instant is included as `complete: false`; it extends a streak
//! once it meets the goal and never breaks one before it ends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::ActivityRules;
use crate::time::{Timestamp, Window, MS_PER_DAY};

use super::DailyActivity;

/// Version of the goal document.
pub const GOAL_VERSION: u32 = 1;

fn version_one() -> u32 {
    GOAL_VERSION
}

/// What a goal counts in each period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GoalMetric {
    /// Distinct users with product activity in the period.
    ActiveUsers,
    /// Product-activity events.
    Events,
    /// Login events.
    Logins,
    /// Days with product activity (useful for weekly goals).
    ActiveDays,
    /// Events with a given name (any event, product activity or not).
    EventCount {
        /// The event name.
        name: String,
    },
}

/// The period of a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GoalPeriod {
    /// UTC calendar days.
    Daily,
    /// ISO weeks starting Monday 00:00 UTC.
    Weekly,
}

/// An activity goal: `metric` per `period` should reach `target` (per-account targets allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// Name shown with progress.
    #[serde(default)]
    pub name: String,
    /// What is counted.
    pub metric: GoalMetric,
    /// Per day or per week.
    pub period: GoalPeriod,
    /// Target per period (positive) for accounts without their own.
    pub target: f64,
    /// Per-account targets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub account_targets: BTreeMap<String, f64>,
    /// Streak length from which a new longest streak is celebrated.
    #[serde(default = "two")]
    pub celebrate_streak_from: u32,
}

fn two() -> u32 {
    2
}

impl Goal {
    /// A goal of `target` `metric` per `period`.
    pub fn new(name: impl Into<String>, metric: GoalMetric, period: GoalPeriod, target: f64) -> Self {
        Goal {
            version: GOAL_VERSION,
            name: name.into(),
            metric,
            period,
            target,
            account_targets: BTreeMap::new(),
            celebrate_streak_from: 2,
        }
    }

    /// Sets one account's own target.
    pub fn with_account_target(mut self, account_id: impl Into<String>, target: f64) -> Self {
        self.account_targets.insert(account_id.into(), target);
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Goal> {
        <Goal as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("goal JSON", e))
    }

    /// Checks targets and the version.
    pub fn validate(&self) -> Result<()> {
        if self.version != GOAL_VERSION {
            return Err(Error::UnsupportedVersion { what: "goal".into(), found: self.version, supported: GOAL_VERSION });
        }
        let ok = |x: f64| x.is_finite() && x > 0.0;
        if !ok(self.target) {
            return Err(Error::config("target", format!("must be a positive number, got {}", self.target)));
        }
        for (a, t) in &self.account_targets {
            if !ok(*t) {
                return Err(Error::config(format!("account_targets.{a}"), format!("must be a positive number, got {t}")));
            }
        }
        if let GoalMetric::EventCount { name } = &self.metric {
            if name.is_empty() {
                return Err(Error::config("metric.name", "must name an event"));
            }
        }
        if self.period == GoalPeriod::Daily && self.metric == GoalMetric::ActiveDays {
            return Err(Error::config("metric", "active_days per day is 0 or 1: use a weekly period"));
        }
        Ok(())
    }

    /// The target of `account_id`.
    pub fn target_for(&self, account_id: &str) -> f64 {
        self.account_targets.get(account_id).copied().unwrap_or(self.target)
    }
}

/// One period's attainment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PeriodResult {
    /// Period start (inclusive).
    pub start: Timestamp,
    /// Period end (exclusive).
    pub end: Timestamp,
    /// The counted value.
    pub value: f64,
    /// `value / target`.
    pub attainment: f64,
    /// `value >= target`.
    pub met: bool,
    /// False for the period still running at the as-of instant.
    pub complete: bool,
}

/// Kinds of celebration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CelebrationKind {
    /// First week at goal (weekly goal met, or a daily goal met every day of an ISO week).
    FirstWeekAtGoal,
    /// A streak longer than any before (and at least `celebrate_streak_from`).
    NewLongestStreak,
    /// A period better than every earlier one.
    NewPersonalBest,
}

/// Something worth telling the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Celebration {
    /// What happened.
    pub kind: CelebrationKind,
    /// Start of the period in which it happened.
    pub period_start: Timestamp,
    /// The period's value.
    pub value: f64,
    /// The streak at that period.
    pub streak: u32,
}

/// A personal best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PersonalBest {
    /// The best value.
    pub value: f64,
    /// Start of the (first) period that reached it.
    pub period_start: Timestamp,
}

/// An account's progress towards a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GoalProgress {
    /// The account.
    pub account_id: String,
    /// The goal's name.
    pub goal: String,
    /// The account's target.
    pub target: f64,
    /// Every period, oldest first.
    pub periods: Vec<PeriodResult>,
    /// Consecutive periods at goal ending now.
    pub current_streak: u32,
    /// Longest run of periods at goal.
    pub longest_streak: u32,
    /// The best period.
    pub personal_best: Option<PersonalBest>,
    /// Celebrations, in order.
    pub celebrations: Vec<Celebration>,
    /// The daily series for a steps chart (every day of the range, oldest first).
    pub days: Vec<DailyActivity>,
}

/// Monday = 0 for an epoch day.
fn weekday(epoch_day: i64) -> i64 {
    (epoch_day + 3).rem_euclid(7)
}

/// The most UTC days a goal's lookback may cover: ten years.
pub const MAX_GOAL_DAYS: usize = 3_660;

/// The most account-days [`goal_progress_all`] returns (accounts × lookback days, each with its
/// daily activity and period): 2 million, e.g. 10 000 accounts over 200 days. The result grows
/// with both, so the product is checked before any work.
pub const MAX_GOAL_ACCOUNT_DAYS: usize = 2_000_000;

/// The first UTC day of the lookback and the number of days, checked against [`MAX_GOAL_DAYS`].
fn goal_days(as_of: Timestamp, lookback: Window) -> Result<(Timestamp, usize)> {
    lookback.validate("lookback")?;
    let first_day = lookback.start(as_of).floor_day();
    let n_days = ((as_of.floor_day().millis() - first_day.millis()) / MS_PER_DAY + 1) as usize;
    if n_days > MAX_GOAL_DAYS {
        return Err(Error::argument("lookback", format!("covers {n_days} days, more than {MAX_GOAL_DAYS} (ten years)")));
    }
    Ok((first_day, n_days))
}

/// Progress of `account_id` towards `goal` over the `lookback` before `as_of` (days from the UTC
/// day containing `as_of - lookback`, at most [`MAX_GOAL_DAYS`]; weekly goals start on the first
/// Monday in range).
pub fn goal_progress(ds: &Dataset, account_id: &str, goal: &Goal, as_of: Timestamp, lookback: Window) -> Result<GoalProgress> {
    goal.validate()?;
    let (first_day, n_days) = goal_days(as_of, lookback)?;
    let a = ds.account_position(account_id)?;
    progress_of(ds, a, goal, as_of, first_day, n_days)
}

/// [`goal_progress`] for every account that exists at `as_of` (dataset order). Accounts × lookback
/// days must not exceed [`MAX_GOAL_ACCOUNT_DAYS`] (checked first; use [`goal_progress`] per
/// account, or a shorter lookback, beyond it).
pub fn goal_progress_all(ds: &Dataset, goal: &Goal, as_of: Timestamp, lookback: Window) -> Result<Vec<GoalProgress>> {
    goal.validate()?;
    let (first_day, n_days) = goal_days(as_of, lookback)?;
    let accounts: Vec<usize> = (0..ds.account_count()).filter(|&a| ds.accounts[a].created_at <= as_of).collect();
    if accounts.len().saturating_mul(n_days) > MAX_GOAL_ACCOUNT_DAYS {
        return Err(Error::argument(
            "lookback",
            format!(
                "{} accounts × {n_days} days is more than {MAX_GOAL_ACCOUNT_DAYS} account-days; use a shorter lookback or goal_progress per account",
                accounts.len()
            ),
        ));
    }
    accounts.into_iter().map(|a| progress_of(ds, a, goal, as_of, first_day, n_days)).collect()
}

fn progress_of(
    ds: &Dataset,
    a: usize,
    goal: &Goal,
    as_of: Timestamp,
    first_day: Timestamp,
    n_days: usize,
) -> Result<GoalProgress> {
    let account_id = ds.accounts[a].id.clone();
    let target = goal.target_for(&account_id);
    let rules = ActivityRules::default();
    let non_activity: Vec<u32> = rules.non_activity_events.iter().filter_map(|n| ds.name_id(n)).collect();
    let login = ds.name_id(crate::data::event_name::LOGIN);
    let counted = match &goal.metric {
        GoalMetric::EventCount { name } => ds.name_id(name),
        _ => None,
    };
    let mut days: Vec<DailyActivity> =
        (0..n_days).map(|d| DailyActivity { day: first_day.add_days(d as i64), active_users: 0, events: 0, logins: 0 }).collect();
    let mut named = vec![0u32; n_days];
    let mut user_days: Vec<(u32, u32)> = Vec::new();
    for e in ds.scan(a, first_day.millis(), as_of.millis()).iter() {
        let d = e.days_after(first_day.millis());
        if d >= n_days {
            continue;
        }
        let name = e.name;
        if Some(name) == counted {
            named[d] += 1;
        }
        if Some(name) == login {
            days[d].logins += 1;
        }
        if non_activity.contains(&name) {
            continue;
        }
        days[d].events += 1;
        if let Some(u) = e.user {
            user_days.push((d as u32, u));
        }
    }
    user_days.sort_unstable();
    user_days.dedup();
    for &(d, _) in &user_days {
        days[d as usize].active_users += 1;
    }
    // Periods as day ranges [from, to).
    let first_epoch_day = first_day.millis().div_euclid(MS_PER_DAY);
    let ranges: Vec<(usize, usize)> = match goal.period {
        GoalPeriod::Daily => (0..n_days).map(|d| (d, d + 1)).collect(),
        GoalPeriod::Weekly => {
            let offset = ((7 - weekday(first_epoch_day)) % 7) as usize;
            (offset..n_days).step_by(7).map(|s| (s, s + 7)).collect()
        }
    };
    let mut periods = Vec::with_capacity(ranges.len());
    for &(from, to) in &ranges {
        let span = from..to.min(n_days);
        let value = match &goal.metric {
            GoalMetric::ActiveUsers => {
                // `user_days` is sorted by day: the period's slice by two binary searches.
                let lo = user_days.partition_point(|&(d, _)| (d as usize) < span.start);
                let hi = user_days.partition_point(|&(d, _)| (d as usize) < span.end);
                let mut users: Vec<u32> = user_days[lo..hi].iter().map(|x| x.1).collect();
                users.sort_unstable();
                users.dedup();
                users.len() as f64
            }
            GoalMetric::Events => days[span.clone()].iter().map(|d| f64::from(d.events)).sum(),
            GoalMetric::Logins => days[span.clone()].iter().map(|d| f64::from(d.logins)).sum(),
            GoalMetric::ActiveDays => days[span.clone()].iter().filter(|d| d.events > 0).count() as f64,
            GoalMetric::EventCount { .. } => named[span.clone()].iter().map(|&x| f64::from(x)).sum(),
        };
        let start = first_day.add_days(from as i64);
        let end = first_day.add_days(to as i64);
        periods.push(PeriodResult {
            start,
            end,
            value,
            attainment: value / target,
            met: value >= target,
            complete: end <= as_of,
        });
    }
    // Streaks, personal bests and celebrations, walking forward.
    let mut celebrations = Vec::new();
    let (mut streak, mut longest, mut celebrated_this_streak) = (0u32, 0u32, false);
    let mut best: Option<PersonalBest> = None;
    let mut first_week_done = false;
    for (k, p) in periods.iter().enumerate() {
        if !p.complete && !p.met {
            // Running period not yet at goal: decides nothing yet, except a personal best.
        } else if p.met {
            streak += 1;
            if streak > longest {
                if longest > 0 && streak >= goal.celebrate_streak_from.max(1) && !celebrated_this_streak {
                    celebrations.push(Celebration {
                        kind: CelebrationKind::NewLongestStreak,
                        period_start: p.start,
                        value: p.value,
                        streak,
                    });
                    celebrated_this_streak = true;
                }
                longest = streak;
            }
        } else {
            streak = 0;
            celebrated_this_streak = false;
        }
        let first_week = match goal.period {
            GoalPeriod::Weekly => p.met,
            GoalPeriod::Daily => {
                let ed = first_epoch_day + k as i64;
                weekday(ed) == 6 && k >= 6 && periods[k - 6..=k].iter().all(|q| q.met)
            }
        };
        if first_week && !first_week_done {
            first_week_done = true;
            celebrations.push(Celebration {
                kind: CelebrationKind::FirstWeekAtGoal,
                period_start: p.start,
                value: p.value,
                streak,
            });
        }
        match &best {
            Some(b) if p.value > b.value => {
                celebrations.push(Celebration {
                    kind: CelebrationKind::NewPersonalBest,
                    period_start: p.start,
                    value: p.value,
                    streak,
                });
                best = Some(PersonalBest { value: p.value, period_start: p.start });
            }
            None if p.value > 0.0 => best = Some(PersonalBest { value: p.value, period_start: p.start }),
            _ => {}
        }
    }
    // The current streak: walk back, skipping a running period not yet at goal.
    let mut current = 0;
    for (k, p) in periods.iter().enumerate().rev() {
        if k + 1 == periods.len() && !p.complete && !p.met {
            continue;
        }
        if !p.met {
            break;
        }
        current += 1;
    }
    Ok(GoalProgress {
        account_id,
        goal: goal.name.clone(),
        target,
        periods,
        current_streak: current,
        longest_streak: longest,
        personal_best: best,
        celebrations,
        days,
    })
}

crate::document::document! {
    Goal => "goal", GOAL_VERSION;
}
