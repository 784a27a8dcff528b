//! CSM capacity planning: how many CSMs each tier needs, and a balanced book of business for
//! each CSM.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::Snapshot;

use super::{check_version, numeric, SEGMENT_VERSION};

/// Configuration of [`CapacityPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct CapacityConfig {
    /// Document version (1).
    pub version: u32,
    /// Text column holding each account's tier (default `tier`, e.g. from
    /// [`ParetoTiers::to_column`](super::ParetoTiers::to_column)).
    pub tier_column: String,
    /// Numeric column with each account's ARR (default `arr`).
    pub arr_column: String,
    /// CSM hours each account of a tier needs per year, 0 to [`MAX_ACCOUNT_HOURS`]. A tier with
    /// 0 hours is served without a CSM (tech touch); every tier present in the data must be
    /// listed.
    pub account_hours_per_year: BTreeMap<String, f64>,
    /// Hours one CSM can give to accounts per year, 1 to [`HOURS_PER_YEAR`] (default 1 500).
    pub csm_hours_per_year: f64,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            version: SEGMENT_VERSION,
            tier_column: "tier".into(),
            arr_column: "arr".into(),
            account_hours_per_year: [("tier_1".to_string(), 60.0), ("tier_2".to_string(), 15.0), ("tier_3".to_string(), 0.0)]
                .into_iter()
                .collect(),
            csm_hours_per_year: 1500.0,
        }
    }
}

/// One tier's staffing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TierCapacity {
    /// Tier name.
    pub tier: String,
    /// Accounts in the tier.
    pub accounts: usize,
    /// Hours per account per year.
    pub account_hours_per_year: f64,
    /// Hours the tier needs per year.
    pub hours_per_year: f64,
    /// Exact CSM need (hours / CSM hours).
    pub csms_exact: f64,
    /// CSMs to staff (rounded up; 0 for tech-touch tiers).
    pub csms: usize,
    /// Sum of ARR in the tier.
    pub arr: f64,
}

/// The hours in a (leap) year: the most one CSM can give.
pub const HOURS_PER_YEAR: f64 = 8784.0;

/// The most hours one account can need per year: ten full-time CSMs.
pub const MAX_ACCOUNT_HOURS: f64 = 10.0 * HOURS_PER_YEAR;

/// One CSM's book of business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Book {
    /// Generated CSM id, `{tier}_csm_{n}` (1-based).
    pub csm: String,
    /// The tier the CSM serves.
    pub tier: String,
    /// Accounts in the book, highest ARR first.
    pub account_ids: Vec<String>,
    /// Number of accounts.
    pub accounts: usize,
    /// Sum of their ARR.
    pub arr: f64,
    /// Hours per year the book needs.
    pub hours_per_year: f64,
}

/// The result of [`CapacityConfig::plan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CapacityPlan {
    /// Per tier, in the config's (sorted) tier order; tiers without accounts are included.
    pub tiers: Vec<TierCapacity>,
    /// Total CSMs.
    pub total_csms: usize,
    /// Books of business, by tier then CSM number; at most one per account of the tier.
    pub books: Vec<Book>,
    /// Accounts of tiers served without a CSM.
    pub unassigned: Vec<String>,
}

#[derive(PartialEq)]
struct Load(f64);
impl Eq for Load {}
impl PartialOrd for Load {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Load {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl CapacityConfig {
    /// A plan with the given hours.
    pub fn new(account_hours_per_year: BTreeMap<String, f64>, csm_hours_per_year: f64) -> Self {
        CapacityConfig { account_hours_per_year, csm_hours_per_year, ..Default::default() }
    }

    /// Sets the tier column.
    pub fn with_tier_column(mut self, name: impl Into<String>) -> Self {
        self.tier_column = name.into();
        self
    }

    /// Sets the ARR column.
    pub fn with_arr_column(mut self, name: impl Into<String>) -> Self {
        self.arr_column = name.into();
        self
    }

    /// Checks version and hours.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "capacity plan")?;
        if !(1.0..=HOURS_PER_YEAR).contains(&self.csm_hours_per_year) {
            return Err(Error::config("csm_hours_per_year", format!("must be between 1 and {HOURS_PER_YEAR} (hours in a year)")));
        }
        if self.account_hours_per_year.is_empty() {
            return Err(Error::config("account_hours_per_year", "list the hours of at least one tier"));
        }
        for (t, h) in &self.account_hours_per_year {
            if !(0.0..=MAX_ACCOUNT_HOURS).contains(h) {
                return Err(Error::config(
                    format!("account_hours_per_year.{t}"),
                    format!("must be between 0 and {MAX_ACCOUNT_HOURS} (ten full-time CSMs)"),
                ));
            }
        }
        Ok(())
    }

    /// Staffs each tier and balances accounts over its CSMs: accounts go, highest ARR first, to
    /// the CSM with the least ARR among those below the even account count, so account counts
    /// differ by at most one and ARR is spread evenly.
    pub fn plan(&self, snapshot: &Snapshot) -> Result<CapacityPlan> {
        let tiers = match snapshot.column(&self.tier_column)? {
            crate::metrics::ColumnData::Str(v) => v.clone(),
            other => {
                return Err(Error::argument(
                    "tier_column",
                    format!(
                        "column `{}` is {}; a text column of tier names is needed",
                        self.tier_column,
                        other.data_type().as_str()
                    ),
                ))
            }
        };
        self.plan_with_tiers(snapshot, &tiers)
    }

    /// [`Self::plan`] with the tiers given per snapshot row instead of read from `tier_column`.
    pub fn plan_with_tiers(&self, snapshot: &Snapshot, tiers: &[Option<String>]) -> Result<CapacityPlan> {
        self.validate()?;
        if tiers.len() != snapshot.len() {
            return Err(Error::argument("tiers", format!("{} tiers for {} accounts", tiers.len(), snapshot.len())));
        }
        let arr = numeric(snapshot, &self.arr_column)?;
        let ids = snapshot.account_ids();
        let mut members: BTreeMap<&str, Vec<usize>> =
            self.account_hours_per_year.keys().map(|k| (k.as_str(), Vec::new())).collect();
        for (i, t) in tiers.iter().enumerate() {
            let Some(t) = t else {
                return Err(Error::argument("tier_column", format!("account `{}` has no tier", ids[i])));
            };
            match members.get_mut(t.as_str()) {
                Some(m) => m.push(i),
                None => {
                    let known: Vec<&str> = self.account_hours_per_year.keys().map(String::as_str).collect();
                    return Err(Error::argument(
                        "account_hours_per_year",
                        format!("tier `{t}` (account `{}`) has no hours; known tiers: {}", ids[i], known.join(", ")),
                    ));
                }
            }
        }
        let arr_of = |i: usize| arr[i].unwrap_or(0.0);
        let mut out = CapacityPlan { tiers: Vec::new(), total_csms: 0, books: Vec::new(), unassigned: Vec::new() };
        for (tier, rows) in members {
            let h = self.account_hours_per_year.get(tier).copied().unwrap_or(0.0);
            let hours = h * rows.len() as f64;
            let exact = hours / self.csm_hours_per_year;
            let csms = if rows.is_empty() || h == 0.0 { 0 } else { (exact.ceil() as usize).max(1) };
            out.tiers.push(TierCapacity {
                tier: tier.to_string(),
                accounts: rows.len(),
                account_hours_per_year: h,
                hours_per_year: hours,
                csms_exact: exact,
                csms,
                arr: rows.iter().map(|&i| arr_of(i)).sum(),
            });
            out.total_csms += csms;
            let mut sorted = rows;
            sorted.sort_by(|&a, &b| arr_of(b).total_cmp(&arr_of(a)).then_with(|| ids[a].cmp(&ids[b])));
            if csms == 0 {
                out.unassigned.extend(sorted.iter().map(|&i| ids[i].clone()));
                continue;
            }
            // One book per CSM, but never more books than accounts: a tier whose accounts need
            // more CSMs than it has accounts gets one book per account (`csms` still reports the
            // need), so the plan's size follows the data, not the hours.
            let n_books = csms.min(sorted.len());
            let cap = sorted.len().div_ceil(n_books);
            let mut books: Vec<Book> = (1..=n_books)
                .map(|c| Book {
                    csm: format!("{tier}_csm_{c}"),
                    tier: tier.to_string(),
                    account_ids: Vec::new(),
                    accounts: 0,
                    arr: 0.0,
                    hours_per_year: 0.0,
                })
                .collect();
            let mut heap: BinaryHeap<Reverse<(Load, usize)>> = (0..n_books).map(|c| Reverse((Load(0.0), c))).collect();
            for &i in &sorted {
                while let Some(Reverse((_, c))) = heap.pop() {
                    let book = &mut books[c];
                    if book.accounts >= cap {
                        continue;
                    }
                    book.account_ids.push(ids[i].clone());
                    book.accounts += 1;
                    book.arr += arr_of(i);
                    book.hours_per_year += h;
                    heap.push(Reverse((Load(book.arr), c)));
                    break;
                }
            }
            out.books.extend(books);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Column, ColumnData};
    use crate::time::Timestamp;

    #[test]
    fn staffs_and_balances() {
        let n = 10;
        let tiers: Vec<Option<String>> = (0..n).map(|i| Some(if i < 7 { "tier_1".into() } else { "tier_3".into() })).collect();
        let arr: Vec<Option<f64>> = (0..n).map(|i| Some(1000.0 * (i + 1) as f64)).collect();
        let s = Snapshot::from_columns(
            Timestamp::from_ymd(2024, 1, 1).expect("ts"),
            (0..n).map(|i| format!("a{i}")).collect(),
            vec![Column::new("tier", ColumnData::Str(tiers)), Column::new("arr", ColumnData::Float(arr))],
        )
        .expect("snapshot");
        let cfg = CapacityConfig::new([("tier_1".into(), 100.0), ("tier_3".into(), 0.0)].into_iter().collect(), 300.0);
        let plan = cfg.plan(&s).expect("plan");
        assert_eq!(plan.total_csms, 3);
        assert_eq!(plan.books.len(), 3);
        assert_eq!(plan.books.iter().map(|b| b.accounts).sum::<usize>(), 7);
        assert!(plan.books.iter().all(|b| b.accounts <= 3 && b.accounts >= 2));
        assert_eq!(plan.unassigned.len(), 3);
        let missing = CapacityConfig::new([("tier_1".into(), 1.0)].into_iter().collect(), 300.0);
        assert_eq!(missing.plan(&s).expect_err("tier_3 unknown").code(), "invalid_argument");
    }
}
