//! Metrics and the [`Snapshot`]: one row per account, one column per metric, using only data
//! known at the as-of instant (no look-ahead). The built-in catalog is listed in
//! [`BUILTIN_METRICS`]; user-defined metrics are [`MetricDef`] values in a [`SnapshotConfig`].

mod columns;
mod compute;
mod config;
mod json;
mod snapshot;

pub use crate::data::{builtin_names, MetricInfo, BUILTIN_METRICS};
pub use columns::{AccountColumns, ToColumns};
pub(crate) use compute::set_matches;
pub use config::{ActivityRules, MetricDef, PropertyFilter, SnapshotConfig, SNAPSHOT_CONFIG_VERSION};
pub(crate) use json::column_data;
pub use snapshot::{Column, ColumnData, DataType, Snapshot, Value};

use crate::data::Dataset;
use crate::error::Result;
use crate::time::Timestamp;

impl Dataset {
    /// The snapshot as of `as_of` with the built-in metrics only.
    pub fn snapshot(&self, as_of: Timestamp) -> Result<Snapshot> {
        compute::compute(self, as_of, &SnapshotConfig::default())
    }

    /// The snapshot as of `as_of` with the built-ins plus `config`'s metrics.
    pub fn snapshot_with(&self, as_of: Timestamp, config: &SnapshotConfig) -> Result<Snapshot> {
        compute::compute(self, as_of, config)
    }
}
