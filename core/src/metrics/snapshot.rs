//! The [`Snapshot`]: one row per account, one typed column per metric or attribute.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use crate::data::DataType;
use crate::error::{Error, ErrorKind, Result};
use crate::time::Timestamp;

/// One cell value.
///
/// From JSON: null, a bool, an integer within 64 bits (`Int`; a larger one is `Float`), any
/// other number (`Float`), and text — an instant when it reads as one (RFC 3339, a date),
/// otherwise `Str`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Value {
    /// Missing.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Instant.
    Timestamp(Timestamp),
    /// Text.
    Str(String),
}

// Written out rather than derived (`untagged` buffers every value before trying each form):
// the same forms in the same order, without the buffering — ledgers hold millions of values.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("null, a bool, a number, an instant or text")
            }
            fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> std::result::Result<Value, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Value, E> {
                Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Value, E> {
                Ok(Timestamp::parse(v).map_or_else(|_| Value::Str(v.to_string()), Value::Timestamp))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Value, E> {
                Ok(Timestamp::parse(&v).map_or(Value::Str(v), Value::Timestamp))
            }
        }
        d.deserialize_any(V)
    }
}

impl Value {
    /// The value as a float, if numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// The values of a column; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Integers.
    Int(Vec<Option<i64>>),
    /// Floats (never NaN: missing is `None`).
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Text.
    Str(Vec<Option<String>>),
    /// Instants.
    Timestamp(Vec<Option<Timestamp>>),
}

impl ColumnData {
    /// A column of `n` missing values of type `ty`.
    pub fn nulls(ty: DataType, n: usize) -> Self {
        match ty {
            DataType::Int => ColumnData::Int(vec![None; n]),
            DataType::Float => ColumnData::Float(vec![None; n]),
            DataType::Bool => ColumnData::Bool(vec![None; n]),
            DataType::Str => ColumnData::Str(vec![None; n]),
            DataType::Timestamp => ColumnData::Timestamp(vec![None; n]),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Int(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::Timestamp(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's type.
    pub fn data_type(&self) -> DataType {
        match self {
            ColumnData::Int(_) => DataType::Int,
            ColumnData::Float(_) => DataType::Float,
            ColumnData::Bool(_) => DataType::Bool,
            ColumnData::Str(_) => DataType::Str,
            ColumnData::Timestamp(_) => DataType::Timestamp,
        }
    }

    /// Row `i` as a float (numeric columns only; `None` when missing or not numeric).
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        match self {
            ColumnData::Int(v) => v.get(i).copied().flatten().map(|x| x as f64),
            ColumnData::Float(v) => v.get(i).copied().flatten(),
            _ => None,
        }
    }

    /// Row `i` as a [`Value`].
    pub fn value(&self, i: usize) -> Value {
        let v = match self {
            ColumnData::Int(v) => v.get(i).copied().flatten().map(Value::Int),
            ColumnData::Float(v) => v.get(i).copied().flatten().map(Value::Float),
            ColumnData::Bool(v) => v.get(i).copied().flatten().map(Value::Bool),
            ColumnData::Str(v) => v.get(i).cloned().flatten().map(Value::Str),
            ColumnData::Timestamp(v) => v.get(i).copied().flatten().map(Value::Timestamp),
        };
        v.unwrap_or(Value::Null)
    }

    /// The whole column as floats (numeric columns only).
    pub fn to_f64(&self) -> Option<Vec<Option<f64>>> {
        match self {
            ColumnData::Int(v) => Some(v.iter().map(|x| x.map(|x| x as f64)).collect()),
            ColumnData::Float(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn take(&self, rows: &[usize]) -> ColumnData {
        fn pick<T: Clone>(v: &[Option<T>], rows: &[usize]) -> Vec<Option<T>> {
            rows.iter().map(|&r| v.get(r).cloned().flatten()).collect()
        }
        match self {
            ColumnData::Int(v) => ColumnData::Int(pick(v, rows)),
            ColumnData::Float(v) => ColumnData::Float(pick(v, rows)),
            ColumnData::Bool(v) => ColumnData::Bool(pick(v, rows)),
            ColumnData::Str(v) => ColumnData::Str(pick(v, rows)),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(pick(v, rows)),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Values.
    pub data: ColumnData,
}

impl Column {
    /// A new column.
    pub fn new(name: impl Into<String>, data: ColumnData) -> Self {
        Column { name: name.into(), data }
    }
}

/// One row per account, one column per metric, computed as of an instant.
///
/// The first logical column is `account_id` ([`Snapshot::account_ids`]); the rest are in
/// [`Snapshot::columns`]. Downstream modules (health, segments, churn) add columns with
/// [`Snapshot::add_column`].
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    as_of: Timestamp,
    account_ids: Vec<String>,
    columns: Vec<Column>,
    index: HashMap<String, usize>,
}

impl Snapshot {
    /// A snapshot from parts; errors on duplicate names or ragged columns.
    pub fn from_columns(as_of: Timestamp, account_ids: Vec<String>, columns: Vec<Column>) -> Result<Self> {
        let mut snap = Snapshot { as_of, account_ids, columns: Vec::with_capacity(columns.len()), index: HashMap::new() };
        for c in columns {
            snap.add_column(c)?;
        }
        Ok(snap)
    }

    /// The as-of instant.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Number of rows (accounts).
    pub fn len(&self) -> usize {
        self.account_ids.len()
    }

    /// True when no account existed at the as-of instant.
    pub fn is_empty(&self) -> bool {
        self.account_ids.is_empty()
    }

    /// Account ids, one per row.
    pub fn account_ids(&self) -> &[String] {
        &self.account_ids
    }

    /// All columns except `account_id`, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Column names (without `account_id`).
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The named column, or `unknown_metric` with a suggestion.
    pub fn column(&self, name: &str) -> Result<&ColumnData> {
        match self.index.get(name) {
            Some(&i) => Ok(&self.columns[i].data),
            None => Err(Error::unknown_metric(name, self.columns.iter().map(|c| c.name.as_str()))),
        }
    }

    /// True if the column exists.
    pub fn has_column(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The row of an account.
    pub fn row_of(&self, account_id: &str) -> Option<usize> {
        self.account_ids.iter().position(|a| a == account_id)
    }

    /// One cell.
    pub fn value(&self, account_id: &str, column: &str) -> Result<Value> {
        let col = self.column(column)?;
        let row = self.row_of(account_id).ok_or_else(|| Error::Argument {
            kind: ErrorKind::UnknownAccount,
            name: "account_id".into(),
            reason: format!("no account `{account_id}` in the snapshot"),
        })?;
        Ok(col.value(row))
    }

    /// Adds a column (same length, new name).
    pub fn add_column(&mut self, column: Column) -> Result<()> {
        if column.data.len() != self.account_ids.len() {
            return Err(Error::argument(
                "column",
                format!("column `{}` has {} rows, the snapshot {}", column.name, column.data.len(), self.account_ids.len()),
            ));
        }
        if column.name == "account_id" || self.index.contains_key(&column.name) {
            return Err(Error::Config {
                kind: ErrorKind::DuplicateMetric,
                path: column.name.clone(),
                reason: format!("the snapshot already has a column `{}`", column.name),
            });
        }
        self.index.insert(column.name.clone(), self.columns.len());
        self.columns.push(column);
        Ok(())
    }

    /// Only the named columns, in the given order.
    /// `account_id` is always kept (naming it is allowed); an unknown name is `unknown_metric`,
    /// a repeated one `duplicate_metric`.
    pub fn select(&self, names: &[&str]) -> Result<Snapshot> {
        let mut cols = Vec::with_capacity(names.len());
        for n in names.iter().filter(|n| **n != "account_id") {
            cols.push(Column::new(*n, self.column(n)?.clone()));
        }
        Snapshot::from_columns(self.as_of, self.account_ids.clone(), cols)
    }

    /// Only the given rows, in the given order.
    pub fn take_rows(&self, rows: &[usize]) -> Snapshot {
        let ids = rows.iter().filter_map(|&r| self.account_ids.get(r).cloned()).collect();
        let cols = self.columns.iter().map(|c| Column::new(c.name.clone(), c.data.take(rows))).collect();
        Snapshot { as_of: self.as_of, account_ids: ids, columns: cols, index: self.index.clone() }
    }

    /// The schema: `(name, type)` for every column including `account_id`.
    pub fn schema(&self) -> Vec<(String, DataType)> {
        let mut out = vec![("account_id".to_string(), DataType::Str)];
        out.extend(self.columns.iter().map(|c| (c.name.clone(), c.data.data_type())));
        out
    }
}
