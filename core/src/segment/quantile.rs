//! Quantile buckets: equal-count buckets of one metric.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};

use super::{check_version, numeric, quantile_sorted, rank_buckets, SegmentCount, SEGMENT_VERSION};

/// Configuration of [`QuantileBuckets`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct QuantileConfig {
    /// Document version (1).
    pub version: u32,
    /// The numeric column to bucket (default `mrr`).
    pub metric: String,
    /// Number of buckets (default 4: quartiles).
    pub buckets: usize,
    /// When true, bucket 1 holds the highest values (default false: the lowest).
    pub descending: bool,
}

impl Default for QuantileConfig {
    fn default() -> Self {
        QuantileConfig { version: SEGMENT_VERSION, metric: "mrr".into(), buckets: 4, descending: false }
    }
}

/// The result of [`QuantileConfig::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuantileBuckets {
    /// The column bucketed.
    pub metric: String,
    /// Per row: bucket 1..=k, missing when the value is missing. Tied values share a bucket.
    pub bucket: Vec<Option<usize>>,
    /// The k + 1 quantiles at 0, 1/k, …, 1 of the non-missing values (interpolated); empty when
    /// every value is missing.
    pub edges: Vec<f64>,
    /// Accounts per bucket (`q1`, `q2`, …), then `missing`.
    pub counts: Vec<SegmentCount>,
}

impl QuantileBuckets {
    /// The bucket numbers as an int column named `name`.
    pub fn to_column(&self, name: &str) -> Column {
        Column::new(name, ColumnData::Int(self.bucket.iter().map(|b| b.map(|x| x as i64)).collect()))
    }
}

impl QuantileConfig {
    /// `buckets` buckets of `metric`.
    pub fn new(metric: impl Into<String>, buckets: usize) -> Self {
        QuantileConfig { metric: metric.into(), buckets, ..Default::default() }
    }

    /// Sets the direction.
    pub fn with_descending(mut self, descending: bool) -> Self {
        self.descending = descending;
        self
    }

    /// Checks version and bucket count.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "quantile buckets")?;
        if !(2..=1000).contains(&self.buckets) {
            return Err(Error::config("buckets", format!("{} buckets; between 2 and 1000 are allowed", self.buckets)));
        }
        Ok(())
    }

    /// Buckets every row of `snapshot`.
    pub fn apply(&self, snapshot: &Snapshot) -> Result<QuantileBuckets> {
        self.validate()?;
        let values = numeric(snapshot, &self.metric)?;
        let k = self.buckets;
        let bucket = rank_buckets(&values, k, self.descending);
        let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let edges = if sorted.is_empty() {
            Vec::new()
        } else {
            (0..=k).filter_map(|j| quantile_sorted(&sorted, j as f64 / k as f64)).collect()
        };
        let n = values.len();
        let mut counts: Vec<SegmentCount> =
            (1..=k).map(|b| SegmentCount::new(&format!("q{b}"), bucket.iter().filter(|x| **x == Some(b)).count(), n)).collect();
        counts.push(SegmentCount::new("missing", bucket.iter().filter(|x| x.is_none()).count(), n));
        Ok(QuantileBuckets { metric: self.metric.clone(), bucket, edges, counts })
    }
}

impl ToColumns for QuantileBuckets {
    /// One integer column `name` with each account's bucket (missing when its value is), in
    /// snapshot row order.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_row(vec![self.to_column(name)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    #[test]
    fn quartiles() {
        let vals: Vec<Option<f64>> = (1..=8).map(|x| Some(x as f64)).chain([None]).collect();
        let s = Snapshot::from_columns(
            Timestamp::from_ymd(2024, 1, 1).expect("ts"),
            (0..9).map(|i| i.to_string()).collect(),
            vec![Column::new("x", ColumnData::Float(vals))],
        )
        .expect("snapshot");
        let q = QuantileConfig::new("x", 4).apply(&s).expect("buckets");
        assert_eq!(q.bucket, vec![Some(1), Some(1), Some(2), Some(2), Some(3), Some(3), Some(4), Some(4), None]);
        assert_eq!(q.edges, vec![1.0, 2.75, 4.5, 6.25, 8.0]);
        assert_eq!(q.counts[4].count, 1);
        let d = QuantileConfig::new("x", 4).with_descending(true).apply(&s).expect("buckets");
        assert_eq!(d.bucket[7], Some(1));
    }
}
