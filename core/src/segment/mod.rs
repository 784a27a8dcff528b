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

/// Scores 1..=k by rank: the lowest values get 1 (or the highest when `descending`). Tied values
/// share a score; missing values get `None`.
pub(crate) fn rank_buckets(values: &[Option<f64>], k: usize, descending: bool) -> Vec<Option<usize>> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let m = sorted.len();
    values
        .iter()
        .map(|v| {
            v.map(|x| {
                // Number of values strictly better placed than x.
                let below = sorted.partition_point(|y| y.total_cmp(&x).is_lt());
                let above = m - sorted.partition_point(|y| y.total_cmp(&x).is_le());
                let rank = if descending { above } else { below };
                (rank * k / m.max(1)).min(k - 1) + 1
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
    CapacityConfig => "capacity config", SEGMENT_VERSION;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_buckets_share_ties() {
        let v = [Some(1.0), Some(2.0), Some(2.0), Some(3.0), None];
        assert_eq!(rank_buckets(&v, 2, false), vec![Some(1), Some(1), Some(1), Some(2), None]);
        assert_eq!(rank_buckets(&v, 4, true), vec![Some(4), Some(2), Some(2), Some(1), None]);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 0.25), Some(1.5));
    }
}
