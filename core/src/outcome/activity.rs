//! Outcomes beyond subscription churn: activity churn (with a data-driven inactivity window), MRR
//! churn, and conversion of churn rates between monthly and annual periods.

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::ActivityRules;
use crate::time::{Timestamp, Window, MS_PER_DAY};

use super::in_force;

/// Activity churn: an account that shows no activity for `inactivity` has churned, at the instant
/// of its last activity plus the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ActivityChurn {
    /// How long without activity counts as churn.
    pub inactivity: Window,
    /// Which events count as activity.
    pub activity: ActivityRules,
}

impl Default for ActivityChurn {
    fn default() -> Self {
        ActivityChurn { inactivity: Window::days(60), activity: ActivityRules::default() }
    }
}

impl ActivityChurn {
    /// Sets the inactivity window.
    pub fn with_inactivity(mut self, inactivity: Window) -> Self {
        self.inactivity = inactivity;
        self
    }

    /// Checks the window.
    pub fn validate(&self) -> Result<()> {
        self.inactivity.validate("inactivity")
    }
}

/// Days spanned by a window ending at `at` (calendar months vary).
pub(crate) fn window_millis(w: Window, at: Timestamp) -> i64 {
    if w.amount == 0 {
        return 0;
    }
    at.millis() - w.start(at).millis()
}

/// Timestamps of activity events of account `a`, ascending, up to `known_at`.
fn activity_times(ds: &Dataset, a: usize, rules: &ActivityRules, known_at: i64) -> Vec<i64> {
    let non_activity: Vec<u32> = rules.non_activity_events.iter().filter_map(|n| ds.name_id(n)).collect();
    ds.scan(a, i64::MIN, known_at).iter().filter(|e| !non_activity.contains(&e.name)).map(|e| e.ts).collect()
}

/// Distinct 24-hour days (counted back from `as_of`) with product activity of account `a` in the
/// `days` days up to `as_of` — `active_days_{days}d` of a snapshot, for one account, without
/// computing the snapshot.
pub fn active_days(ds: &Dataset, a: usize, rules: &ActivityRules, as_of: Timestamp, days: u32) -> u32 {
    let non_activity: Vec<u32> = rules.non_activity_events.iter().filter_map(|n| ds.name_id(n)).collect();
    let to = as_of.millis();
    let from = to - i64::from(days) * MS_PER_DAY + 1;
    let mut seen = vec![false; days as usize];
    for e in ds.scan(a, from, to).iter().filter(|e| !non_activity.contains(&e.name)) {
        if let Some(slot) = seen.get_mut(((to - e.ts) / MS_PER_DAY) as usize) {
            *slot = true;
        }
    }
    seen.iter().filter(|s| **s).count() as u32
}

/// Activity-churn instants of every account (dataset order): each silence of at least the window
/// yields one churn at `last activity + window`, reported only when that instant is `<= known_at`
/// (a silence still running at `known_at` but shorter than the window is not yet churn). A
/// `known_at` after the data's end is refused ([`super::known_at`]).
pub fn activity_churn_dates(ds: &Dataset, def: &ActivityChurn, known_at: Timestamp) -> Result<Vec<Vec<Timestamp>>> {
    def.validate()?;
    let known = super::known_at(ds, Some(known_at))?.millis();
    let mut out = Vec::with_capacity(ds.account_count());
    for a in 0..ds.account_count() {
        let times = activity_times(ds, a, &def.activity, known);
        let mut dates = Vec::new();
        for (k, &t) in times.iter().enumerate() {
            let churn_at = def.inactivity.end(Timestamp::from_millis(t)?).millis();
            let next = times.get(k + 1).copied().unwrap_or(i64::MAX);
            if next > churn_at && churn_at <= known {
                dates.push(Timestamp::from_millis(churn_at)?);
            }
        }
        out.push(dates);
    }
    Ok(out)
}

/// What [`choose_inactivity_window`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InactivityWindowChoice {
    /// The chosen window (whole days).
    pub window: Window,
    /// Share of observed returns that happened within the window (at least the asked share).
    pub share_covered: f64,
    /// How many returns after a gap were observed.
    pub returns_observed: usize,
}

/// Chooses the activity-churn window from data: the shortest number of days within which at least
/// `share` (e.g. 0.9) of observed returns happened. A *return* is activity after a gap of at least
/// `min_gap` without activity; its length is the gap in whole days (rounded up).
pub fn choose_inactivity_window(
    ds: &Dataset,
    rules: &ActivityRules,
    share: f64,
    min_gap: Window,
    known_at: Timestamp,
) -> Result<InactivityWindowChoice> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(Error::argument("share", format!("must lie in (0, 1], got {share}")));
    }
    min_gap.validate("min_gap")?;
    let known_at = super::known_at(ds, Some(known_at))?;
    let min_gap_ms = window_millis(min_gap, known_at);
    let mut gaps: Vec<i64> = Vec::new();
    for a in 0..ds.account_count() {
        let times = activity_times(ds, a, rules, known_at.millis());
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            if gap >= min_gap_ms {
                gaps.push((gap + MS_PER_DAY - 1) / MS_PER_DAY);
            }
        }
    }
    if gaps.is_empty() {
        return Err(Error::Argument {
            kind: ErrorKind::InsufficientData,
            name: "dataset".into(),
            reason: format!("no return after a gap of at least {min_gap} was observed"),
        });
    }
    gaps.sort_unstable();
    let k = ((share * gaps.len() as f64).ceil() as usize).clamp(1, gaps.len());
    let days = gaps[k - 1];
    let covered = gaps.partition_point(|&g| g <= days);
    Ok(InactivityWindowChoice {
        window: Window::days(u32::try_from(days).unwrap_or(u32::MAX)),
        share_covered: covered as f64 / gaps.len() as f64,
        returns_observed: gaps.len(),
    })
}

/// MRR churn over a period: MRR lost by accounts that left plus MRR lost to downgrades.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MrrChurn {
    /// MRR in force at the start of the period (minor units).
    pub starting_mrr_minor: i64,
    /// MRR of accounts with MRR at the start and none at the end (minor units).
    pub churned_mrr_minor: i64,
    /// MRR lost by accounts that still pay, but less (minor units).
    pub downgraded_mrr_minor: i64,
    /// Accounts paying at the start.
    pub starting_accounts: usize,
    /// Of those, accounts paying nothing at the end.
    pub churned_accounts: usize,
    /// `(churned + downgraded) / starting`, 0 when nothing was in force.
    pub mrr_churn_rate: f64,
    /// `churned_accounts / starting_accounts`, 0 when no account paid.
    pub logo_churn_rate: f64,
}

/// MRR churn between `from` and `to` (MRR in force at each instant, per account).
pub fn mrr_churn(ds: &Dataset, from: Timestamp, to: Timestamp) -> Result<MrrChurn> {
    if to <= from {
        return Err(Error::argument("to", "must be after `from`"));
    }
    let mut m = MrrChurn {
        starting_mrr_minor: 0,
        churned_mrr_minor: 0,
        downgraded_mrr_minor: 0,
        starting_accounts: 0,
        churned_accounts: 0,
        mrr_churn_rate: 0.0,
        logo_churn_rate: 0.0,
    };
    for a in 0..ds.account_count() {
        let before = in_force(ds, a, from)?.mrr_minor;
        if before <= 0 {
            continue;
        }
        let after = in_force(ds, a, to)?.mrr_minor;
        let overflow = || crate::Error::Argument {
            kind: crate::ErrorKind::InvalidSubscription,
            name: "mrr.minor".into(),
            reason: "the total MRR exceeds 64-bit minor units".into(),
        };
        m.starting_accounts += 1;
        m.starting_mrr_minor = m.starting_mrr_minor.checked_add(before).ok_or_else(overflow)?;
        if after <= 0 {
            m.churned_accounts += 1;
            m.churned_mrr_minor = m.churned_mrr_minor.checked_add(before).ok_or_else(overflow)?;
        } else if after < before {
            m.downgraded_mrr_minor = m.downgraded_mrr_minor.checked_add(before - after).ok_or_else(overflow)?;
        }
    }
    if m.starting_mrr_minor > 0 {
        m.mrr_churn_rate = (m.churned_mrr_minor + m.downgraded_mrr_minor) as f64 / m.starting_mrr_minor as f64;
    }
    if m.starting_accounts > 0 {
        m.logo_churn_rate = m.churned_accounts as f64 / m.starting_accounts as f64;
    }
    Ok(m)
}

fn check_rate(rate: f64) -> Result<()> {
    if !rate.is_finite() {
        return Err(Error::Argument { kind: ErrorKind::NonFinite, name: "rate".into(), reason: format!("got {rate}") });
    }
    if !(0.0..=1.0).contains(&rate) {
        return Err(Error::argument("rate", format!("a churn rate lies in [0, 1], got {rate}")));
    }
    Ok(())
}

/// Annual churn rate equivalent to a constant monthly rate: `1 - (1 - monthly)^12`.
pub fn monthly_to_annual(monthly: f64) -> Result<f64> {
    check_rate(monthly)?;
    Ok(1.0 - (1.0 - monthly).powi(12))
}

/// Monthly churn rate equivalent to an annual rate: `1 - (1 - annual)^(1/12)`.
pub fn annual_to_monthly(annual: f64) -> Result<f64> {
    check_rate(annual)?;
    Ok(1.0 - (1.0 - annual).powf(1.0 / 12.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Account, Event, IngestOptions, Money, Subscription, SubscriptionStatus};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap_or_else(|_| Timestamp::now())
    }

    #[test]
    fn rate_conversion_round_trips() -> Result<()> {
        let a = monthly_to_annual(0.02)?;
        assert!((a - 0.215_283_276).abs() < 1e-8);
        assert!((annual_to_monthly(a)? - 0.02).abs() < 1e-12);
        assert_eq!(monthly_to_annual(1.5).map_err(|e| e.code()), Err("invalid_argument"));
        assert_eq!(monthly_to_annual(f64::NAN).map_err(|e| e.code()), Err("non_finite"));
        Ok(())
    }

    fn dataset() -> Result<Dataset> {
        let mut ds = Dataset::new();
        let o = IngestOptions { allow_future: true, ..IngestOptions::default() };
        ds.add_accounts(&[Account::new("a", "A", ts("2024-01-01")), Account::new("b", "B", ts("2024-01-01"))], &o)?;
        let sub = |acc: &str, s: &str, e: &str, m: i64| Subscription {
            account_id: acc.into(),
            plan: "pro".into(),
            start: ts(s),
            end: Some(ts(e)),
            mrr: Money::new(m, "USD"),
            quantity: 1,
            status: SubscriptionStatus::Active,
        };
        ds.add_subscriptions(
            &[
                sub("a", "2024-01-01", "2024-02-01", 1000),
                sub("a", "2024-02-01", "2024-03-01", 600),
                sub("b", "2024-01-01", "2024-02-01", 500),
            ],
            &o,
        )?;
        let days = ["2024-01-01", "2024-01-03", "2024-01-20", "2024-01-22", "2024-03-10"];
        let ev: Vec<Event> = days.iter().map(|d| Event::new("a", None, ts(d), "login")).collect();
        ds.add_events(&ev, &o)?;
        Ok(ds)
    }

    #[test]
    fn mrr_churn_counts_churn_and_downgrades() -> Result<()> {
        let ds = dataset()?;
        let m = mrr_churn(&ds, ts("2024-01-15"), ts("2024-02-15"))?;
        assert_eq!((m.starting_mrr_minor, m.churned_mrr_minor, m.downgraded_mrr_minor), (1500, 500, 400));
        assert!((m.mrr_churn_rate - 0.6).abs() < 1e-12);
        assert!((m.logo_churn_rate - 0.5).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn activity_churn_and_window_choice() -> Result<()> {
        let ds = dataset()?;
        let def = ActivityChurn::default().with_inactivity(Window::days(30));
        // The data ends with the login of 2024-03-10: the silence after it is not observed.
        let dates = activity_churn_dates(&ds, &def, ts("2024-03-11"))?;
        assert_eq!(dates[0], vec![ts("2024-02-21")]);
        assert!(dates[1].is_empty());
        let err = activity_churn_dates(&ds, &def, ts("2024-06-01")).expect_err("past the data");
        assert!(err.to_string().contains("after the data's last recorded instant 2024-03-10"), "{err}");
        // Before the window elapsed the silence is not churn yet.
        assert_eq!(activity_churn_dates(&ds, &def, ts("2024-02-10"))?[0], vec![]);
        let c = choose_inactivity_window(&ds, &ActivityRules::default(), 0.5, Window::days(2), ts("2024-03-10"))?;
        // Gaps of 2, 17, 2 and 48 days: half of the returns happened within 2 days.
        assert_eq!(c.returns_observed, 4);
        assert_eq!(c.window, Window::days(2));
        let c = choose_inactivity_window(&ds, &ActivityRules::default(), 0.9, Window::days(2), ts("2024-03-10"))?;
        assert_eq!(c.window, Window::days(48));
        Ok(())
    }
}
