//! RFM: recency, frequency and monetary scores (1–5 each, by quintile) and the named RFM
//! segments of the classic recency × frequency grid.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};

use super::{check_version, numeric, rank_buckets, SegmentCount, SEGMENT_VERSION};

/// The named RFM segments, in display order. Each covers part of the recency (R) × frequency (F)
/// score grid; together they cover all 25 cells exactly once:
///
/// | segment | R | F |
/// |---|---|---|
/// | champions | 5 | 4–5 |
/// | loyal_customers | 3–4 | 4–5 |
/// | potential_loyalists | 4–5 | 2–3 |
/// | new_customers | 5 | 1 |
/// | promising | 4 | 1 |
/// | need_attention | 3 | 3 |
/// | about_to_sleep | 3 | 1–2 |
/// | cant_lose_them | 1–2 | 5 |
/// | at_risk | 1–2 | 3–4 |
/// | hibernating | 1–2 | 1–2 |
pub const RFM_SEGMENTS: &[&str] = &[
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "cant_lose_them",
    "at_risk",
    "hibernating",
];

/// The named segment of a recency and frequency score (1–5 each).
pub fn rfm_segment(r: u8, f: u8) -> &'static str {
    match (r, f) {
        (5, 4 | 5) => "champions",
        (3 | 4, 4 | 5) => "loyal_customers",
        (4 | 5, 2 | 3) => "potential_loyalists",
        (5, _) => "new_customers",
        (4, _) => "promising",
        (3, 3) => "need_attention",
        (3, _) => "about_to_sleep",
        (_, 5) => "cant_lose_them",
        (_, 3 | 4) => "at_risk",
        _ => "hibernating",
    }
}

/// Configuration of [`RfmScores`]: which snapshot columns measure each dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RfmConfig {
    /// Document version (1).
    pub version: u32,
    /// Recency: days since the last activity (lower is better; default `days_since_last_activity`).
    pub recency: String,
    /// Frequency: activity count (higher is better; default `events_30d`).
    pub frequency: String,
    /// Monetary: revenue (higher is better; default `mrr`).
    pub monetary: String,
}

impl Default for RfmConfig {
    fn default() -> Self {
        RfmConfig {
            version: SEGMENT_VERSION,
            recency: "days_since_last_activity".into(),
            frequency: "events_30d".into(),
            monetary: "mrr".into(),
        }
    }
}

/// The result of [`RfmConfig::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RfmScores {
    /// Per row: recency score 1–5 (5 = most recent). A missing value scores 1.
    pub recency: Vec<u8>,
    /// Per row: frequency score 1–5 (5 = most frequent). A missing value scores 1.
    pub frequency: Vec<u8>,
    /// Per row: monetary score 1–5 (5 = highest revenue). A missing value scores 1.
    pub monetary: Vec<u8>,
    /// Per row: the three digits, e.g. `"545"`.
    pub code: Vec<String>,
    /// Per row: the named segment (see [`RFM_SEGMENTS`]).
    pub segment: Vec<String>,
    /// Accounts per named segment, in [`RFM_SEGMENTS`] order.
    pub counts: Vec<SegmentCount>,
}

impl RfmScores {
    /// Columns `{prefix}r`, `{prefix}f`, `{prefix}m` (int), `{prefix}code` and `{prefix}segment` (text).
    pub fn to_columns(&self, prefix: &str) -> Vec<Column> {
        let int = |v: &[u8]| ColumnData::Int(v.iter().map(|x| Some(i64::from(*x))).collect());
        vec![
            Column::new(format!("{prefix}r"), int(&self.recency)),
            Column::new(format!("{prefix}f"), int(&self.frequency)),
            Column::new(format!("{prefix}m"), int(&self.monetary)),
            Column::new(format!("{prefix}code"), ColumnData::Str(self.code.iter().cloned().map(Some).collect())),
            Column::new(format!("{prefix}segment"), ColumnData::Str(self.segment.iter().cloned().map(Some).collect())),
        ]
    }
}

impl RfmConfig {
    /// RFM over the given columns.
    pub fn new(recency: impl Into<String>, frequency: impl Into<String>, monetary: impl Into<String>) -> Self {
        RfmConfig { recency: recency.into(), frequency: frequency.into(), monetary: monetary.into(), ..Default::default() }
    }

    /// Checks the version.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "rfm")
    }

    /// Scores every row of `snapshot`.
    pub fn apply(&self, snapshot: &Snapshot) -> Result<RfmScores> {
        self.validate()?;
        let score = |name: &str, descending: bool| -> Result<Vec<u8>> {
            let v = numeric(snapshot, name)?;
            Ok(rank_buckets(&v, 5, descending).into_iter().map(|b| b.map_or(1, |x| x as u8)).collect())
        };
        // Recency: fewer days is better, so the lowest values get 5.
        let recency: Vec<u8> = score(&self.recency, true)?;
        let frequency = score(&self.frequency, false)?;
        let monetary = score(&self.monetary, false)?;
        let n = recency.len();
        let code = (0..n).map(|i| format!("{}{}{}", recency[i], frequency[i], monetary[i])).collect();
        let segment: Vec<String> = (0..n).map(|i| rfm_segment(recency[i], frequency[i]).to_string()).collect();
        let counts = RFM_SEGMENTS.iter().map(|s| SegmentCount::new(s, segment.iter().filter(|x| x == s).count(), n)).collect();
        Ok(RfmScores { recency, frequency, monetary, code, segment, counts })
    }
}

impl ToColumns for RfmScores {
    /// `{name}_r`, `{name}_f`, `{name}_m` (1–5), `{name}_code` and `{name}_segment`, in snapshot
    /// row order.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_row(self.to_columns(&format!("{name}_")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_covered_once_and_names_are_listed() {
        for r in 1..=5 {
            for f in 1..=5 {
                assert!(RFM_SEGMENTS.contains(&rfm_segment(r, f)));
            }
        }
        assert_eq!(rfm_segment(5, 5), "champions");
        assert_eq!(rfm_segment(1, 1), "hibernating");
        assert_eq!(rfm_segment(1, 5), "cant_lose_them");
        assert_eq!(rfm_segment(3, 3), "need_attention");
        assert_eq!(rfm_segment(5, 1), "new_customers");
    }
}
