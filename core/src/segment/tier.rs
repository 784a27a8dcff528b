//! Pareto revenue tiers: sort accounts by revenue, cut where the cumulative customer share or
//! revenue share reaches chosen marks.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};

use super::{check_version, numeric, SEGMENT_VERSION};

/// Where the tiers are cut. Marks are cumulative shares in (0, 1), strictly increasing; `n`
/// marks make `n + 1` tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TierCuts {
    /// Cut at the first customer where the cumulative customer share reaches `mark`, i.e. after
    /// `ceil(mark × n)` customers (e.g. `[0.1, 0.3]`: top 10%, next 20%, rest; with 2,784
    /// accounts the first tier holds 279, 10.02%).
    CustomerShare {
        /// Cumulative customer shares.
        marks: Vec<f64>,
    },
    /// Cut at the first customer where the cumulative revenue share reaches `mark`
    /// (e.g. `[0.45, 0.75]`).
    RevenueShare {
        /// Cumulative revenue shares.
        marks: Vec<f64>,
    },
}

impl TierCuts {
    fn marks(&self) -> &[f64] {
        match self {
            TierCuts::CustomerShare { marks } | TierCuts::RevenueShare { marks } => marks,
        }
    }
}

/// Configuration of [`ParetoTiers`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ParetoConfig {
    /// Document version (1).
    pub version: u32,
    /// The revenue column (default `mrr`); missing values count as 0, negative values are an error.
    pub metric: String,
    /// Where to cut (default: customer shares 10% and 30%).
    pub cuts: TierCuts,
    /// Tier names, best first (default `tier_1`, `tier_2`, …); one more than there are marks.
    pub names: Vec<String>,
}

impl Default for ParetoConfig {
    fn default() -> Self {
        ParetoConfig {
            version: SEGMENT_VERSION,
            metric: "mrr".into(),
            cuts: TierCuts::CustomerShare { marks: vec![0.1, 0.3] },
            names: Vec::new(),
        }
    }
}

/// One tier's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TierSummary {
    /// Tier name.
    pub name: String,
    /// Accounts in the tier.
    pub count: usize,
    /// Share of all accounts.
    pub customer_share: f64,
    /// Sum of the metric over the tier.
    pub revenue: f64,
    /// Share of total revenue (0 when the total is 0).
    pub revenue_share: f64,
    /// Smallest metric value in the tier (missing for an empty tier).
    pub mrr_floor: Option<f64>,
    /// Largest metric value in the tier (missing for an empty tier).
    pub mrr_ceiling: Option<f64>,
    /// Customer share of this tier and all better ones.
    pub cumulative_customer_share: f64,
    /// Revenue share of this tier and all better ones.
    pub cumulative_revenue_share: f64,
}

/// The data of a Pareto chart: accounts sorted by revenue, descending, with cumulative shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ParetoChart {
    /// Account ids, highest revenue first (ties by account id).
    pub account_ids: Vec<String>,
    /// Their revenue.
    pub values: Vec<f64>,
    /// Share of customers up to and including this one.
    pub cumulative_customer_share: Vec<f64>,
    /// Share of revenue up to and including this one.
    pub cumulative_revenue_share: Vec<f64>,
}

/// The result of [`ParetoConfig::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ParetoTiers {
    /// The revenue column used.
    pub metric: String,
    /// Total revenue.
    pub total_revenue: f64,
    /// Tiers, best first.
    pub tiers: Vec<TierSummary>,
    /// Per snapshot row: the index of its tier in `tiers`.
    pub assignment: Vec<usize>,
    /// Pareto chart data.
    pub chart: ParetoChart,
}

impl ParetoTiers {
    /// Per snapshot row: the tier name.
    pub fn labels(&self) -> Vec<String> {
        self.assignment.iter().map(|&t| self.tiers.get(t).map(|s| s.name.clone()).unwrap_or_default()).collect()
    }

    /// The tier names as a text column named `name`.
    pub fn to_column(&self, name: &str) -> Column {
        Column::new(name, ColumnData::Str(self.labels().into_iter().map(Some).collect()))
    }
}

impl ParetoConfig {
    /// Cuts by customer share.
    pub fn by_customer_share(marks: Vec<f64>) -> Self {
        ParetoConfig { cuts: TierCuts::CustomerShare { marks }, ..Default::default() }
    }

    /// Cuts by revenue share.
    pub fn by_revenue_share(marks: Vec<f64>) -> Self {
        ParetoConfig { cuts: TierCuts::RevenueShare { marks }, ..Default::default() }
    }

    /// Sets the revenue column.
    pub fn with_metric(mut self, metric: impl Into<String>) -> Self {
        self.metric = metric.into();
        self
    }

    /// Sets the tier names.
    pub fn with_names(mut self, names: Vec<String>) -> Self {
        self.names = names;
        self
    }

    /// Checks version, marks and names.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "pareto tiers")?;
        let marks = self.cuts.marks();
        if marks.is_empty() {
            return Err(Error::config("cuts.marks", "at least one mark is needed"));
        }
        for (i, m) in marks.iter().enumerate() {
            if !(m.is_finite() && *m > 0.0 && *m < 1.0) {
                return Err(Error::config(format!("cuts.marks[{i}]"), format!("{m} is not a share strictly between 0 and 1")));
            }
            if i > 0 && *m <= marks[i - 1] {
                return Err(Error::config(format!("cuts.marks[{i}]"), "marks must be strictly increasing"));
            }
        }
        if !self.names.is_empty() && self.names.len() != marks.len() + 1 {
            return Err(Error::config(
                "names",
                format!("{} names given for {} tiers ({} marks)", self.names.len(), marks.len() + 1, marks.len()),
            ));
        }
        Ok(())
    }

    fn tier_names(&self) -> Vec<String> {
        if self.names.is_empty() {
            (1..=self.cuts.marks().len() + 1).map(|i| format!("tier_{i}")).collect()
        } else {
            self.names.clone()
        }
    }

    /// Tiers the accounts of `snapshot`. Every account lands in exactly one tier.
    pub fn apply(&self, snapshot: &Snapshot) -> Result<ParetoTiers> {
        self.validate()?;
        let values = numeric(snapshot, &self.metric)?;
        if let Some(i) = values.iter().position(|v| v.is_some_and(|x| x < 0.0)) {
            return Err(Error::Argument {
                kind: ErrorKind::InvalidArgument,
                name: self.metric.clone(),
                reason: format!("account `{}` has a negative value; revenue tiers need values >= 0", snapshot.account_ids()[i]),
            });
        }
        let n = values.len();
        let ids = snapshot.account_ids();
        let mut order: Vec<usize> = (0..n).collect();
        let v = |i: usize| values[i].unwrap_or(0.0);
        order.sort_by(|&a, &b| v(b).total_cmp(&v(a)).then_with(|| ids[a].cmp(&ids[b])));
        let sorted: Vec<f64> = order.iter().map(|&i| v(i)).collect();
        let total: f64 = sorted.iter().sum();
        let mut cum = Vec::with_capacity(n);
        let mut run = 0.0;
        for x in &sorted {
            run += x;
            cum.push(if total > 0.0 { run / total } else { 0.0 });
        }
        let marks = self.cuts.marks();
        // `ends[t]`: one past the last sorted position of tier t.
        let mut ends = Vec::with_capacity(marks.len() + 1);
        for &m in marks {
            let end = match &self.cuts {
                TierCuts::CustomerShare { .. } => {
                    // The first account at which the cumulative customer share reaches the mark:
                    // ceil(mark × n), with a hair of tolerance so an exact product is not pushed up.
                    let x = m * n as f64;
                    ((x - 1e-9 * x.max(1.0)).ceil().max(0.0) as usize).min(n)
                }
                TierCuts::RevenueShare { .. } => {
                    if total <= 0.0 {
                        return Err(Error::Argument {
                            kind: ErrorKind::InsufficientData,
                            name: self.metric.clone(),
                            reason: "total revenue is 0, so revenue-share tiers are undefined".into(),
                        });
                    }
                    // Small tolerance so that a mark equal to a share reached exactly is honoured
                    // despite rounding in the running sum.
                    cum.iter().position(|c| *c >= m - 1e-12).map_or(n, |p| p + 1)
                }
            };
            let prev = ends.last().copied().unwrap_or(0);
            ends.push(end.max(prev));
        }
        ends.push(n);
        let names = self.tier_names();
        let mut tiers = Vec::with_capacity(ends.len());
        let mut assignment = vec![0; n];
        let mut start = 0;
        for (t, &end) in ends.iter().enumerate() {
            let slice = &sorted[start..end];
            for &row in &order[start..end] {
                assignment[row] = t;
            }
            let revenue: f64 = slice.iter().sum();
            let share = |x: f64, of: f64| if of > 0.0 { x / of } else { 0.0 };
            tiers.push(TierSummary {
                name: names.get(t).cloned().unwrap_or_default(),
                count: slice.len(),
                customer_share: share(slice.len() as f64, n as f64),
                revenue,
                revenue_share: share(revenue, total),
                mrr_floor: slice.last().copied(),
                mrr_ceiling: slice.first().copied(),
                cumulative_customer_share: share(end as f64, n as f64),
                cumulative_revenue_share: if end == 0 { 0.0 } else { cum[end - 1] },
            });
            start = end;
        }
        let chart = ParetoChart {
            account_ids: order.iter().map(|&i| ids[i].clone()).collect(),
            values: sorted,
            cumulative_customer_share: (1..=n).map(|i| i as f64 / n as f64).collect(),
            cumulative_revenue_share: cum,
        };
        Ok(ParetoTiers { metric: self.metric.clone(), total_revenue: total, tiers, assignment, chart })
    }
}

impl ToColumns for ParetoTiers {
    /// One text column `name` with each account's tier, in snapshot row order.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_row(vec![self.to_column(name)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn snap(mrr: &[Option<f64>]) -> Snapshot {
        Snapshot::from_columns(
            Timestamp::from_ymd(2024, 1, 1).expect("ts"),
            (0..mrr.len()).map(|i| format!("a{i:02}")).collect(),
            vec![Column::new("mrr", ColumnData::Float(mrr.to_vec()))],
        )
        .expect("snapshot")
    }

    #[test]
    fn customer_and_revenue_cuts() {
        let mrr: Vec<Option<f64>> = [50.0, 20.0, 10.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0].iter().map(|x| Some(*x)).collect();
        let s = snap(&mrr);
        let t = ParetoConfig::default().apply(&s).expect("tiers");
        assert_eq!(t.tiers.iter().map(|x| x.count).collect::<Vec<_>>(), vec![1, 2, 7]);
        assert_eq!(t.tiers[0].revenue_share, 0.5);
        assert_eq!(t.tiers[1].mrr_floor, Some(10.0));
        let r = ParetoConfig::by_revenue_share(vec![0.5, 0.8]).apply(&s).expect("tiers");
        assert_eq!(r.tiers.iter().map(|x| x.count).collect::<Vec<_>>(), vec![1, 2, 7]);
        assert_eq!(r.labels()[0], "tier_1");
        assert_eq!(r.chart.cumulative_revenue_share[1], 0.7);
    }

    #[test]
    fn bad_input() {
        assert_eq!(ParetoConfig::by_customer_share(vec![0.5, 0.3]).validate().expect_err("order").code(), "invalid_config");
        assert_eq!(ParetoConfig::default().apply(&snap(&[Some(-1.0)])).expect_err("neg").code(), "invalid_argument");
        let zero = snap(&[Some(0.0), None]);
        assert_eq!(ParetoConfig::by_revenue_share(vec![0.5]).apply(&zero).expect_err("zero").code(), "insufficient_data");
        assert_eq!(ParetoConfig::default().apply(&zero).expect("customer cut ok").tiers.len(), 3);
    }
}
