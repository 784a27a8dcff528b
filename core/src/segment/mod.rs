//! Segmentation: rule segments, Pareto revenue tiers, quantile buckets, RFM scores, behavioural
//! clusters and CSM capacity planning.
//!
//! Every segmentation reads a [`Snapshot`](crate::Snapshot) and returns per-row labels plus a
//! summary; each result can be turned into columns and added back to the snapshot, so later
//! steps (plays, health scorecards, capacity planning) can use it by name.
//!
//! ```
//! use custfit::segment::{ParetoConfig, RuleSegmentation};
//! use custfit::{Simulation, SimulationConfig};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(200).with_seed(3))?;
//! let mut snapshot = sim.dataset.snapshot(sim.end)?;
//!
//! // Pareto tiers: top 10% of customers, next 20%, the long tail.
//! let tiers = ParetoConfig::default().apply(&snapshot)?;
//! assert_eq!(tiers.tiers.iter().map(|t| t.count).sum::<usize>(), snapshot.len());
//! snapshot.add_column(tiers.to_column("tier"))?;
//!
//! // Rule segments may use the new column.
//! let rules = RuleSegmentation::default()
//!     .with_segment("high_touch_at_risk", r#"tier == "tier_1" && days_since_last_activity > 14"#)
//!     .with_segment("quiet", "logins_30d == 0")
//!     .with_default_segment("other");
//! let assignment = rules.apply(&snapshot)?;
//! assert_eq!(assignment.label.len(), snapshot.len());
//! # Ok::<(), custfit::Error>(())
//! ```

mod capacity;
mod cluster;
mod quantile;
mod rfm;
mod rule;
mod tier;

pub use capacity::{Book, CapacityConfig, CapacityPlan, TierCapacity, HOURS_PER_YEAR, MAX_ACCOUNT_HOURS};
pub use cluster::{
    ClusterConfig, ClusterCount, ClusterModel, ClusterProfile, Clustering, KScore, MAX_ITERATIONS, MAX_LLOYD_ITERATIONS,
    MAX_RESTARTS, MAX_SILHOUETTE_SAMPLE,
};
pub use quantile::{QuantileBuckets, QuantileConfig};
pub use rfm::{RfmConfig, RfmScores, RFM_SEGMENTS};
pub use rule::{RuleSegment, RuleSegmentation, SegmentAssignment, SegmentMode};
pub use tier::{ParetoChart, ParetoConfig, ParetoTiers, TierCuts, TierSummary};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Snapshot;
pub(crate) use crate::stats::quantile_sorted;

/// Version of every segmentation config and fitted model document.
pub const SEGMENT_VERSION: u32 = 1;

/// Members of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SegmentCount {
    /// Segment name.
    pub name: String,
    /// Number of accounts.
    pub count: usize,
    /// Share of all accounts (0–1; 0 for an empty base).
    pub share: f64,
}

impl SegmentCount {
    pub(crate) fn new(name: &str, count: usize, total: usize) -> Self {
        SegmentCount { name: name.to_string(), count, share: if total == 0 { 0.0 } else { count as f64 / total as f64 } }
    }
}

pub(crate) fn check_version(version: u32, what: &str) -> Result<()> {
    if version != SEGMENT_VERSION {
        return Err(Error::UnsupportedVersion { what: what.into(), found: version, supported: SEGMENT_VERSION });
    }
    Ok(())
}

/// A numeric column as floats; a clear error for other types.
pub(crate) fn numeric(snapshot: &Snapshot, name: &str) -> Result<Vec<Option<f64>>> {
    let col = snapshot.column(name)?;
    col.to_f64().ok_or_else(|| Error::Argument {
        kind: ErrorKind::InvalidArgument,
        name: name.to_string(),
        reason: format!("column `{name}` is {}; a numeric column is needed", col.data_type().as_str()),
    })
}

/// Scores 1..=k by rank: the lowest values get 1 (or the highest when `descending`); missing
/// values get `None`. A value's score is the bucket holding the *middle* of its rank range: with
/// `before` values placed ahead of it and `tied` values equal to it (itself included) among `m`,
/// `floor(k × (before + tied / 2) / m) + 1` (at most k). A middle exactly on a bucket boundary
/// goes to the bucket on the side of the nearer end (the earlier one in the first half, the later
/// one from the middle on). Without ties that is the usual equal-count split; tied values share the
/// bucket their rank range deserves, whatever the input order — a third of accounts active
/// today all get the best recency score, and a block of zeros at the end fills the end bucket.
pub(crate) fn rank_buckets(values: &[Option<f64>], k: usize, descending: bool) -> Vec<Option<usize>> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let m = sorted.len();
    values
        .iter()
        .map(|v| {
            v.map(|x| {
                let lower = sorted.partition_point(|y| y.total_cmp(&x).is_lt());
                let upper = sorted.partition_point(|y| y.total_cmp(&x).is_le());
                let before = if descending { m - upper } else { lower };
                let tied = upper - lower;
                // k·(before + tied/2) / m as (2·k·before + k·tied) / (2·m), in integers.
                let (mid2, den) = (2 * before + tied, 2 * m.max(1));
                let (q, r) = ((k * mid2) / den, (k * mid2) % den);
                let bucket = if r == 0 && q > 0 && mid2 < m { q } else { q + 1 };
                bucket.min(k)
            })
        })
        .collect()
}

crate::document::document! {
    RuleSegmentation => "rule segmentation", SEGMENT_VERSION;
    ParetoConfig => "pareto config", SEGMENT_VERSION;
    QuantileConfig => "quantile config", SEGMENT_VERSION;
    RfmConfig => "rfm config", SEGMENT_VERSION;
    ClusterConfig => "cluster config", SEGMENT_VERSION;
    ClusterModel => "cluster model", SEGMENT_VERSION;
    CapacityConfig => "capacity config", SEGMENT_VERSION;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_buckets_share_ties() {
        let v = [Some(1.0), Some(2.0), Some(2.0), Some(3.0), None];
        // The tie spans ranks 1..3 of 4: its middle (2) is the boundary of halves: the later one.
        assert_eq!(rank_buckets(&v, 2, false), vec![Some(1), Some(2), Some(2), Some(2), None]);
        assert_eq!(rank_buckets(&v, 4, true), vec![Some(4), Some(3), Some(3), Some(1), None]);
        // Heavy ties at the good end of a descending score take the best bucket (recency).
        let days: Vec<Option<f64>> = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7].iter().map(|&d| Some(f64::from(d))).collect();
        let r: Vec<usize> = rank_buckets(&days, 5, true).into_iter().flatten().collect();
        assert_eq!(r, vec![5, 5, 5, 4, 3, 3, 2, 2, 1, 1]);
        // A block of zeros at the end fills the end bucket, in either direction.
        let mrr: Vec<Option<f64>> = (0..100).map(|i| Some(if i < 20 { 0.0 } else { f64::from(i) })).collect();
        let desc = rank_buckets(&mrr, 10, true);
        assert!(desc[..20].iter().all(|b| *b == Some(10)), "{desc:?}");
        assert_eq!(desc.iter().filter(|b| **b == Some(10)).count(), 20);
        let asc = rank_buckets(&mrr, 10, false);
        assert!(asc[..20].iter().all(|b| *b == Some(1)));
        // Order-free: shuffling the input moves the scores with the values.
        let mut rev = days.clone();
        rev.reverse();
        let mut back = rank_buckets(&rev, 5, true);
        back.reverse();
        assert_eq!(back, rank_buckets(&days, 5, true));
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 0.25), Some(1.5));
    }
}
