//! Arrow interchange (feature `arrow`): snapshots out as a `RecordBatch`, events in from
//! record batches without building one Rust value per row.
