//! Frames: one table per account that holds the snapshot's metrics plus whatever was worked out
//! about each account since — tier, segment, cluster, health score and band, churn risk — so
//! that a condition, a scorecard set keyed on a segment, or a play trigger reads them all by
//! name. The mechanics are [`Snapshot::add_columns`] / [`Snapshot::with_columns`] and the
//! [`ToColumns`] implementations of each result; this module reads the same results in their
//! JSON (serde) form, which is how the Python and Node bindings hand them around, and plain
//! column maps.
//!
//! ```
//! use custfit::frame::columns_from_json;
//! use custfit::segment::ParetoConfig;
//! use custfit::{Simulation, SimulationConfig};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(80).with_seed(4))?;
//! let snapshot = sim.dataset.snapshot(sim.end)?;
//! let tiers = serde_json::to_value(ParetoConfig::default().apply(&snapshot)?).expect("serialises");
//! let frame = snapshot.with_columns(columns_from_json(&tiers, None)?)?;
//! assert!(frame.has_column("tier"));
//! let more = serde_json::json!({"account_id": [snapshot.account_ids()[0].clone()], "vip": [true]});
//! let frame = frame.with_columns(columns_from_json(&more, None)?)?;
//! assert_eq!(frame.column("vip")?.value(0), custfit::Value::Bool(true));
//! # Ok::<(), custfit::Error>(())
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::churn::RiskEntry;
use crate::error::{Error, Result};
use crate::metrics::{column_data, AccountColumns, Column, DataType, ToColumns};
use crate::segment::{Clustering, ParetoTiers, QuantileBuckets, RfmScores, SegmentAssignment};

#[cfg(doc)]
use crate::metrics::Snapshot;

/// The per-account results [`columns_from_json`] recognises: the result, the keys that tell it
/// apart, and the default column name.
pub const RESULT_KINDS: &[(&str, &[&str], &str)] = &[
    ("pareto_tiers", &["assignment", "tiers", "chart"], "tier"),
    ("segment_rules", &["membership", "label", "segments"], "segment"),
    ("fit_clusters", &["labels", "model", "profiles"], "cluster"),
    ("quantile_buckets", &["bucket", "edges"], "bucket"),
    ("rfm_scores", &["recency", "frequency", "monetary"], "rfm"),
    ("churn forecast", &["account_id", "probability", "rank", "drivers"], "churn"),
];

fn read<T: DeserializeOwned>(value: &Json, kind: &str) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| Error::Parse { what: format!("{kind} result"), reason: e.to_string() })
}

fn has_all(value: &Json, keys: &[&str]) -> bool {
    value.as_object().is_some_and(|o| keys.iter().all(|k| o.contains_key(*k)))
}

/// Columns from a result in its JSON form, or from a column map.
///
/// - A per-account result of [`RESULT_KINDS`] (recognised by its keys; a risk list by the keys
///   of its first entry) becomes that result's columns (see each [`ToColumns`] implementation),
///   named after `name` or the kind's default name. An empty list is an empty forecast (no
///   account had a contract in force): its columns are added, all missing.
/// - An object whose values are all arrays is a column map: each key a column (`name` is not
///   used); an `account_id` array, if present, keys the rows, otherwise they are in snapshot row
///   order. Types are inferred from the non-null values: all booleans → bool, all integers that
///   fit 64 bits → int, all numbers → float, all text → str, none → float; a mix is
///   `invalid_argument` naming the column.
///
/// # Errors
/// `invalid_argument` for anything else; `parse_error` when a recognised result does not read
/// back (an edited dict).
pub fn columns_from_json(value: &Json, name: Option<&str>) -> Result<AccountColumns> {
    columns_from_json_typed(value, name, &BTreeMap::new())
}

/// [`columns_from_json`] with the types of some columns of a column map given rather than
/// inferred: what a binding passes when a column holds its language's dates (converted to RFC
/// 3339 text, which inference would read as `str`).
pub fn columns_from_json_typed(value: &Json, name: Option<&str>, types: &BTreeMap<String, DataType>) -> Result<AccountColumns> {
    let first = value.as_array().and_then(|a| a.first());
    let kind = RESULT_KINDS.iter().find(|(kind, keys, _)| match *kind {
        "churn forecast" => first.is_some_and(|f| has_all(f, keys)),
        _ => has_all(value, keys),
    });
    if let Some(&(kind, _, default)) = kind {
        let name = name.unwrap_or(default);
        return Ok(match kind {
            "pareto_tiers" => read::<ParetoTiers>(value, kind)?.account_columns(name),
            "segment_rules" => read::<SegmentAssignment>(value, kind)?.account_columns(name),
            "fit_clusters" => read::<Clustering>(value, kind)?.account_columns(name),
            "quantile_buckets" => read::<QuantileBuckets>(value, kind)?.account_columns(name),
            "rfm_scores" => read::<RfmScores>(value, kind)?.account_columns(name),
            _ => read::<Vec<RiskEntry>>(value, kind)?.account_columns(name),
        });
    }
    if value.as_array().is_some_and(Vec::is_empty) {
        return Ok(Vec::<RiskEntry>::new().account_columns(name.unwrap_or("churn")));
    }
    match value.as_object() {
        Some(map) if !map.is_empty() && map.values().all(Json::is_array) => column_map(map, types),
        _ => Err(Error::argument(
            "columns",
            format!(
                "expected a per-account result ({}) or an object of column name to values",
                RESULT_KINDS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn column_map(map: &serde_json::Map<String, Json>, types: &BTreeMap<String, DataType>) -> Result<AccountColumns> {
    let mut ids = None;
    let mut columns = Vec::with_capacity(map.len());
    for (key, values) in map {
        let values = values.as_array().map(Vec::as_slice).unwrap_or_default();
        if key == "account_id" {
            let read: Option<Vec<String>> = values.iter().map(|v| v.as_str().map(str::to_string)).collect();
            ids = Some(read.ok_or_else(|| Error::argument("account_id", "every account id must be text"))?);
            continue;
        }
        let data = column_data(key, values, types.get(key).copied()).map_err(|reason| Error::argument(key, reason))?;
        columns.push(Column::new(key.clone(), data));
    }
    Ok(AccountColumns { account_ids: ids, columns })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn column_maps_infer_types_and_refuse_mixes() -> Result<()> {
        let c = columns_from_json(
            &json!({"a": [1, null], "b": [1.5, 2], "c": ["x", null], "d": [null, null], "e": [true, false]}),
            None,
        )?;
        let types: Vec<&str> = c.columns.iter().map(|c| c.data.data_type().as_str()).collect();
        assert_eq!(types, ["int", "float", "str", "float", "bool"]);
        assert!(c.account_ids.is_none());
        let code = |v: Json| columns_from_json(&v, None).err().map(|e| e.code());
        assert_eq!(code(json!({"a": [1, "x"]})), Some("invalid_argument"));
        assert_eq!(code(json!({"account_id": [1], "a": [1]})), Some("invalid_argument"));
        assert_eq!(code(json!(42)), Some("invalid_argument"));
        assert_eq!(code(json!({})), Some("invalid_argument"));
        assert_eq!(code(json!({"assignment": 1, "tiers": [], "chart": {}})), Some("parse_error"));
        Ok(())
    }
}
