//! A snapshot from a small JSON table: the format of the expression and segment golden cases,
//! also handy in the bindings for building test snapshots without a dataset.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::metrics::{Column, ColumnData, Snapshot};
use crate::time::Timestamp;

fn bad(reason: impl Into<String>) -> Error {
    Error::parse("snapshot table", reason.into())
}

/// Builds a snapshot from
/// `{"as_of": "2024-06-01T00:00:00Z", "account_ids": [...], "columns": [{"name", "type", "values"}]}`
/// where `type` is `int`, `float`, `bool`, `str` or `timestamp` (RFC 3339 text) and `null` is a
/// missing value.
pub fn snapshot_from_table(doc: &Json) -> Result<Snapshot> {
    let as_of = Timestamp::parse(doc.get("as_of").and_then(Json::as_str).ok_or_else(|| bad("`as_of` (text) is required"))?)?;
    let ids = doc
        .get("account_ids")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("`account_ids` (a list) is required"))?
        .iter()
        .enumerate()
        .map(|(i, v)| v.as_str().map(String::from).ok_or_else(|| bad(format!("account_ids[{i}] is not text"))))
        .collect::<Result<Vec<_>>>()?;
    let mut columns = Vec::new();
    let empty = Vec::new();
    for (c, col) in doc.get("columns").and_then(Json::as_array).unwrap_or(&empty).iter().enumerate() {
        let name = col.get("name").and_then(Json::as_str).ok_or_else(|| bad(format!("columns[{c}].name is required")))?;
        let ty = col.get("type").and_then(Json::as_str).unwrap_or("");
        let vals = col.get("values").and_then(Json::as_array).ok_or_else(|| bad(format!("columns[{c}].values is required")))?;
        fn each<T>(vals: &[Json], name: &str, ty: &str, f: impl Fn(&Json) -> Option<T>) -> Result<Vec<Option<T>>> {
            vals.iter()
                .enumerate()
                .map(|(i, v)| {
                    if v.is_null() {
                        return Ok(None);
                    }
                    f(v).map(Some).ok_or_else(|| bad(format!("column `{name}` row {i}: {v} is not a {ty}")))
                })
                .collect()
        }
        let data = match ty {
            "int" => ColumnData::Int(each(vals, name, ty, Json::as_i64)?),
            "float" => ColumnData::Float(each(vals, name, ty, |v| v.as_f64().filter(|x| x.is_finite()))?),
            "bool" => ColumnData::Bool(each(vals, name, ty, Json::as_bool)?),
            "str" => ColumnData::Str(each(vals, name, ty, |v| v.as_str().map(String::from))?),
            "timestamp" => ColumnData::Timestamp(each(vals, name, ty, |v| v.as_str().and_then(|s| Timestamp::parse(s).ok()))?),
            other => return Err(bad(format!("column `{name}`: unknown type `{other}` (int, float, bool, str, timestamp)"))),
        };
        columns.push(Column::new(name, data));
    }
    Snapshot::from_columns(as_of, ids, columns)
}
