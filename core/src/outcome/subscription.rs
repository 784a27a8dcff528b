//! Subscription churn and outcome labels.
//!
//! An account's coverage is the union of its non-trial subscription rows. Rows separated by a gap
//! no longer than `gap_tolerance` count as continuous (a late renewal is not churn). Each end of
//! coverage that is not followed by a new row within the tolerance is a churn instant.

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, SubscriptionStatus};
use crate::error::Result;
use crate::time::{Timestamp, Window};

use super::forward;

/// Subscription churn: coverage ended and was not renewed within `gap_tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct SubscriptionChurn {
    /// Longest gap between contracts that still counts as a renewal.
    pub gap_tolerance: Window,
}

impl Default for SubscriptionChurn {
    fn default() -> Self {
        SubscriptionChurn { gap_tolerance: Window::days(30) }
    }
}

impl SubscriptionChurn {
    /// Checks the window.
    pub fn validate(&self) -> Result<()> {
        if self.gap_tolerance.amount == 0 {
            return Ok(());
        }
        self.gap_tolerance.validate("gap_tolerance")
    }
}

/// The last instant a new contract can start after coverage ending at `end` and still count as
/// a renewal.
pub(crate) fn gap_end(def: &SubscriptionChurn, end: i64) -> i64 {
    let end_ts = Timestamp::from_millis(end).unwrap_or_else(|_| Timestamp::now());
    if def.gap_tolerance.amount == 0 {
        return end;
    }
    // `start(t)` walks back; walk forward by the same amount of days/months.
    let back = def.gap_tolerance.start(end_ts).millis();
    end + (end - back)
}

/// Churn instants of every account (dataset order). Only ends of coverage whose tolerance has
/// elapsed by `known_at` are reported: later ones are not yet known to be churn. A `known_at`
/// after the data's end is refused ([`super::known_at`]).
pub fn churn_dates(ds: &Dataset, def: &SubscriptionChurn, known_at: Timestamp) -> Result<Vec<Vec<Timestamp>>> {
    def.validate()?;
    let known = super::known_at(ds, Some(known_at))?.millis();
    Ok((0..ds.account_count())
        .map(|a| {
            let mut rows: Vec<(i64, Option<i64>)> = ds
                .subscription_rows(a)
                .iter()
                .filter(|r| r.status != SubscriptionStatus::Trial)
                .map(|r| (r.start, r.end))
                .collect();
            rows.sort_by_key(|r| r.0);
            let mut out = Vec::new();
            let mut cur_end: Option<Option<i64>> = None;
            for (start, end) in rows {
                match cur_end {
                    None => cur_end = Some(end),
                    Some(None) => {}
                    Some(Some(e)) => {
                        if start <= gap_end(def, e) {
                            cur_end = Some(end.map(|x| x.max(e)).or(None));
                        } else {
                            out.push(e);
                            cur_end = Some(end);
                        }
                    }
                }
            }
            if let Some(Some(e)) = cur_end {
                if gap_end(def, e) <= known {
                    out.push(e);
                }
            }
            out.into_iter().filter_map(|ms| Timestamp::from_millis(ms).ok()).collect()
        })
        .collect())
}

/// Whether account `a` (dataset position) has a non-trial subscription in force at `as_of`.
pub fn is_active(ds: &Dataset, a: usize, as_of: Timestamp) -> bool {
    let t = as_of.millis();
    ds.subscription_rows(a).iter().any(|r| r.status != SubscriptionStatus::Trial && r.start <= t && r.end.is_none_or(|e| t < e))
}

/// What account `a` has in force at an instant: its non-trial subscription rows with
/// `start <= t < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InForce {
    /// Rows in force.
    pub subscriptions: usize,
    /// Their MRR summed (minor units, exact: a sum beyond 64 bits is an error).
    pub mrr_minor: i64,
    /// The next renewal: the earliest end among them (`None` when none ends or none is in force).
    pub renewal: Option<Timestamp>,
}

/// The subscriptions account `a` (dataset position) has in force at `at`, and its next renewal.
pub fn in_force(ds: &Dataset, a: usize, at: Timestamp) -> Result<InForce> {
    let t = at.millis();
    let mut out = InForce { subscriptions: 0, mrr_minor: 0, renewal: None };
    let mut renewal: Option<i64> = None;
    for r in ds.subscription_rows(a) {
        if r.status != SubscriptionStatus::Trial && r.start <= t && r.end.is_none_or(|e| t < e) {
            out.subscriptions += 1;
            out.mrr_minor = out.mrr_minor.checked_add(r.mrr_minor).ok_or_else(|| ds.mrr_overflow(a))?;
            renewal = match (renewal, r.end) {
                (Some(x), Some(e)) => Some(x.min(e)),
                (x, e) => x.or(e),
            };
        }
    }
    out.renewal = renewal.and_then(|ms| Timestamp::from_millis(ms).ok());
    Ok(out)
}

/// Outcome labels at `as_of` (dataset order): `None` for accounts not active at `as_of`;
/// `Some(true)` when the account churns in `(as_of + lead, as_of + lead + horizon]`.
/// `churn_dates` must come from [`churn_dates`] with a `known_at` covering the horizon.
pub fn churn_labels(
    ds: &Dataset,
    churn_dates: &[Vec<Timestamp>],
    as_of: Timestamp,
    lead: Window,
    horizon: Window,
) -> Vec<Option<bool>> {
    let from = forward(as_of, lead);
    let to = forward(from, horizon);
    (0..ds.account_count())
        .map(|a| {
            if !is_active(ds, a, as_of) {
                return None;
            }
            let dates = churn_dates.get(a).map(Vec::as_slice).unwrap_or(&[]);
            Some(dates.iter().any(|d| *d > from && *d <= to))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Account, IngestOptions, Money, Subscription};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap_or_else(|_| Timestamp::now())
    }

    #[test]
    fn renewals_within_gap_are_not_churn() -> Result<()> {
        let mut ds = Dataset::new();
        let opts = IngestOptions::default();
        // `c`, created on 2024-06-01, is the data's last observation.
        let accounts = [
            Account::new("a", "A", ts("2023-01-01")),
            Account::new("b", "B", ts("2023-01-01")),
            Account::new("c", "C", ts("2024-06-01")),
        ];
        ds.add_accounts(&accounts, &opts)?;
        let sub = |acc: &str, s: &str, e: &str| Subscription {
            account_id: acc.into(),
            plan: "pro".into(),
            start: ts(s),
            end: Some(ts(e)),
            mrr: Money::new(100, "USD"),
            quantity: 1,
            status: SubscriptionStatus::Active,
        };
        ds.add_subscriptions(
            &[sub("a", "2023-01-01", "2024-01-01"), sub("a", "2024-01-10", "2025-01-10"), sub("b", "2023-01-01", "2024-01-01")],
            &opts,
        )?;
        let dates = churn_dates(&ds, &SubscriptionChurn::default(), ts("2024-06-01"))?;
        assert!(dates[0].is_empty());
        assert_eq!(dates[1], vec![ts("2024-01-01")]);
        let labels = churn_labels(&ds, &dates, ts("2023-11-01"), Window::days(0), Window::days(90));
        assert_eq!(labels, vec![Some(false), Some(true), None]);
        let later = churn_labels(&ds, &dates, ts("2024-02-01"), Window::days(0), Window::days(90));
        assert_eq!(later, vec![Some(false), None, None]);
        // Past the data's end, `a`'s contract end of 2025-01-10 would count as churn unobserved.
        let err = churn_dates(&ds, &SubscriptionChurn::default(), ts("2025-06-01")).expect_err("past the data");
        assert_eq!(err.code(), "invalid_argument");
        assert!(err.to_string().contains("after the data's last recorded instant 2024-06-01"), "{err}");
        Ok(())
    }
}
