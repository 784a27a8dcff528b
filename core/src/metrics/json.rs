//! The snapshot's one JSON form, read and written here for every language, the golden cases and
//! the tests:
//!
//! ```json
//! {"as_of": "2024-06-01T00:00:00Z",
//!  "columns": {"account_id": ["a", "b"], "mrr": [120.5, null], "plan": ["pro", "free"]},
//!  "types": {"mrr": "float", "plan": "str"}}
//! ```
//!
//! `account_id` is required; `null` is a missing value. `types` (`int`, `float`, `bool`, `str`,
//! `timestamp`) is written for every column; on input it may name only some columns (or be
//! left out), the others are inferred from their values: all integers → int, all numbers →
//! float, all booleans → bool, all text → str, nothing but nulls → float. Timestamps are RFC
//! 3339 text and need their type. Columns keep the order of the document.

use serde_json::{Map, Value as Json};

use crate::data::DataType;
use crate::error::{Error, Result};
use crate::time::Timestamp;

use super::snapshot::{Column, ColumnData, Snapshot};

fn bad(reason: impl Into<String>) -> Error {
    Error::parse("snapshot JSON", reason.into())
}

fn data_type(name: &str) -> Option<DataType> {
    Some(match name {
        "int" => DataType::Int,
        "float" => DataType::Float,
        "bool" => DataType::Bool,
        "str" => DataType::Str,
        "timestamp" => DataType::Timestamp,
        _ => return None,
    })
}

fn infer(values: &[Json]) -> Option<DataType> {
    let present = || values.iter().filter(|v| !v.is_null());
    if present().all(Json::is_i64) && present().next().is_some() {
        Some(DataType::Int)
    } else if present().all(Json::is_number) {
        Some(DataType::Float)
    } else if present().all(Json::is_boolean) {
        Some(DataType::Bool)
    } else if present().all(Json::is_string) {
        Some(DataType::Str)
    } else {
        None
    }
}

fn cells<T>(
    values: &[Json],
    name: &str,
    ty: DataType,
    read: impl Fn(&Json) -> Option<T>,
) -> std::result::Result<Vec<Option<T>>, String> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_null() {
                return Ok(None);
            }
            read(v).map(Some).ok_or_else(|| format!("column `{name}` row {i}: {v} is not a {}", ty.as_str()))
        })
        .collect()
}

/// One column from its JSON values: of type `ty`, or of the type inferred from the values (see
/// the [module docs](self)). The reason of a failure names the column; callers choose the code
/// (`parse_error` for a snapshot document, `invalid_argument` for columns handed to a frame).
pub(crate) fn column_data(name: &str, values: &[Json], ty: Option<DataType>) -> std::result::Result<ColumnData, String> {
    let ty = match ty {
        Some(t) => t,
        None => {
            infer(values).ok_or_else(|| format!("column `{name}` mixes value types (booleans, numbers or text, and nulls)"))?
        }
    };
    Ok(match ty {
        DataType::Int => ColumnData::Int(cells(values, name, ty, Json::as_i64)?),
        DataType::Float => ColumnData::Float(cells(values, name, ty, |v| v.as_f64().filter(|x| x.is_finite()))?),
        DataType::Bool => ColumnData::Bool(cells(values, name, ty, Json::as_bool)?),
        DataType::Str => ColumnData::Str(cells(values, name, ty, |v| v.as_str().map(String::from))?),
        DataType::Timestamp => {
            ColumnData::Timestamp(cells(values, name, ty, |v| v.as_str().and_then(|s| Timestamp::parse(s).ok()))?)
        }
    })
}

impl Snapshot {
    /// Reads the snapshot's JSON form (see the [module docs](self)).
    ///
    /// # Errors
    /// `parse_error` naming the part that is wrong; `invalid_argument` / `duplicate_metric` for
    /// ragged or repeated columns.
    pub fn from_json_value(value: &Json) -> Result<Snapshot> {
        let as_of = value.get("as_of").and_then(Json::as_str).ok_or_else(|| bad("`as_of` (text) is required"))?;
        let as_of = Timestamp::parse(as_of)?;
        let Some(Json::Object(cols)) = value.get("columns") else {
            return Err(bad("`columns` (an object of name to values) is required"));
        };
        let empty = Map::new();
        let types = match value.get("types") {
            None | Some(Json::Null) => &empty,
            Some(Json::Object(t)) => t,
            Some(_) => return Err(bad("`types` must be an object of column name to type")),
        };
        let ids = match cols.get("account_id") {
            Some(Json::Array(v)) => v
                .iter()
                .enumerate()
                .map(|(i, x)| x.as_str().map(String::from).ok_or_else(|| bad(format!("account_id[{i}] is not text"))))
                .collect::<Result<Vec<_>>>()?,
            _ => return Err(bad("`columns.account_id` (a list of text) is required")),
        };
        let mut columns = Vec::with_capacity(cols.len());
        for (name, values) in cols {
            if name == "account_id" {
                continue;
            }
            let Json::Array(values) = values else { return Err(bad(format!("column `{name}` must be a list"))) };
            let ty = match types.get(name) {
                Some(t) => Some(
                    t.as_str()
                        .and_then(data_type)
                        .ok_or_else(|| bad(format!("column `{name}`: unknown type {t} (int, float, bool, str, timestamp)")))?,
                ),
                None => None,
            };
            let data = column_data(name, values, ty).map_err(|reason| bad(format!("{reason}; give its type in `types`")))?;
            columns.push(Column::new(name.clone(), data));
        }
        if let Some(unknown) = types.keys().find(|k| !cols.contains_key(*k)) {
            return Err(bad(format!("`types` names `{unknown}`, which is not a column")));
        }
        Snapshot::from_columns(as_of, ids, columns)
    }

    /// The snapshot's JSON form (see the [module docs](self)): `as_of`, `columns` (with
    /// `account_id` first; `null` for missing values) and `types`.
    pub fn to_json_value(&self) -> Json {
        let mut cols = Map::new();
        let mut types = Map::new();
        cols.insert("account_id".into(), serde_json::json!(self.account_ids()));
        for c in self.columns() {
            let vals: Vec<Json> = (0..self.len()).map(|i| serde_json::to_value(c.data.value(i)).unwrap_or(Json::Null)).collect();
            cols.insert(c.name.clone(), Json::Array(vals));
            types.insert(c.name.clone(), Json::String(c.data.data_type().as_str().into()));
        }
        serde_json::json!({ "as_of": self.as_of(), "columns": cols, "types": types })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() -> Result<()> {
        let doc = serde_json::json!({
            "as_of": "2024-06-01T00:00:00Z",
            "columns": {"account_id": ["a", "b"], "n": [1, null], "x": [1.5, 2], "ok": [true, null],
                        "plan": ["pro", null], "seen": ["2024-01-01T00:00:00Z", null], "none": [null, null]},
            "types": {"seen": "timestamp"}
        });
        let s = Snapshot::from_json_value(&doc)?;
        let types: Vec<&str> = s.columns().iter().map(|c| c.data.data_type().as_str()).collect();
        assert_eq!(types, ["int", "float", "bool", "str", "timestamp", "float"]);
        assert_eq!(Snapshot::from_json_value(&s.to_json_value())?, s);
        let code = |v: Json| Snapshot::from_json_value(&v).err().map(|e| e.code());
        assert_eq!(code(serde_json::json!({"as_of": "2024-06-01", "columns": {}})), Some("parse_error"));
        let mixed = serde_json::json!({"as_of": "2024-06-01", "columns": {"account_id": ["a"], "m": [1]}, "types": {"q": "int"}});
        assert_eq!(code(mixed), Some("parse_error"));
        Ok(())
    }
}
