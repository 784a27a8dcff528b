//! Columns added to a snapshot from outside: any per-account result (tiers, segments, clusters,
//! health scores, churn risk …) or a table the caller brings, so that conditions, scorecard sets
//! and play triggers can read everything about an account in one frame.
//!
//! Rows are matched by account id when the added columns carry ids, otherwise by position (the
//! columns must then have one value per snapshot row, in snapshot order — as every result
//! computed from the snapshot has). Adding is all-or-nothing: on any error the snapshot is
//! unchanged.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, ErrorKind, Result};

use super::snapshot::{Column, ColumnData, Snapshot};

/// Columns to add to a snapshot: per account id (joined) or in snapshot row order.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountColumns {
    /// The account of each value, or `None` for snapshot row order.
    pub account_ids: Option<Vec<String>>,
    /// The columns (each as long as `account_ids`, or as the snapshot).
    pub columns: Vec<Column>,
}

impl AccountColumns {
    /// Columns in snapshot row order.
    pub fn by_row(columns: Vec<Column>) -> Self {
        AccountColumns { account_ids: None, columns }
    }

    /// Columns keyed by account id.
    pub fn by_account(account_ids: Vec<String>, columns: Vec<Column>) -> Self {
        AccountColumns { account_ids: Some(account_ids), columns }
    }
}

/// A per-account result that can become snapshot columns. `name` is the column name (or the
/// prefix, for results of several columns); each implementation documents its columns.
pub trait ToColumns {
    /// The result as columns named after `name`.
    fn account_columns(&self, name: &str) -> AccountColumns;
}

impl ToColumns for Snapshot {
    /// Every column of another snapshot (or frame), keyed by its account ids; `name` is unused.
    fn account_columns(&self, _name: &str) -> AccountColumns {
        AccountColumns::by_account(self.account_ids().to_vec(), self.columns().to_vec())
    }
}

/// Spreads `data` (one value per key row) over the snapshot rows given by `rows`.
fn spread(data: &ColumnData, rows: &[usize], n: usize) -> ColumnData {
    fn place<T: Clone>(v: &[Option<T>], rows: &[usize], n: usize) -> Vec<Option<T>> {
        let mut out = vec![None; n];
        for (value, &r) in v.iter().zip(rows) {
            out[r] = value.clone();
        }
        out
    }
    match data {
        ColumnData::Int(v) => ColumnData::Int(place(v, rows, n)),
        ColumnData::Float(v) => ColumnData::Float(place(v, rows, n)),
        ColumnData::Bool(v) => ColumnData::Bool(place(v, rows, n)),
        ColumnData::Str(v) => ColumnData::Str(place(v, rows, n)),
        ColumnData::Timestamp(v) => ColumnData::Timestamp(place(v, rows, n)),
    }
}

impl Snapshot {
    /// A copy of the snapshot with `add`'s columns appended (see [`Snapshot::add_columns`]).
    pub fn with_columns(&self, add: AccountColumns) -> Result<Snapshot> {
        let mut out = self.clone();
        out.add_columns(add)?;
        Ok(out)
    }

    /// Appends `add`'s columns, all or nothing.
    ///
    /// With account ids: every id must be a snapshot row (`unknown_account`) and appear once
    /// (`duplicate_id`); snapshot rows without a value are missing. Without ids: each column must
    /// have one value per row (`invalid_argument`). A name that is `account_id`, already a
    /// column, or repeated in `add` is `duplicate_metric`. NaN floats become missing values.
    pub fn add_columns(&mut self, add: AccountColumns) -> Result<()> {
        let n = self.len();
        let expected = add.account_ids.as_ref().map_or(n, Vec::len);
        let mut names: HashSet<&str> = HashSet::new();
        for c in &add.columns {
            if c.data.len() != expected {
                let of = if add.account_ids.is_some() { "account ids" } else { "snapshot rows" };
                return Err(Error::argument(
                    "columns",
                    format!("column `{}` has {} values for {expected} {of}", c.name, c.data.len()),
                ));
            }
            if c.name == "account_id" || self.has_column(&c.name) || !names.insert(c.name.as_str()) {
                return Err(Error::Config {
                    kind: ErrorKind::DuplicateMetric,
                    path: c.name.clone(),
                    reason: format!("the snapshot already has a column `{}` (or it is given twice)", c.name),
                });
            }
        }
        let rows: Option<Vec<usize>> = match &add.account_ids {
            None => None,
            Some(ids) => {
                let index: HashMap<&str, usize> = self.account_ids().iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
                let mut seen = vec![false; n];
                let mut rows = Vec::with_capacity(ids.len());
                for id in ids {
                    let Some(&r) = index.get(id.as_str()) else {
                        return Err(Error::Argument {
                            kind: ErrorKind::UnknownAccount,
                            name: "account_id".into(),
                            reason: format!("no account `{id}` in the snapshot"),
                        });
                    };
                    if std::mem::replace(&mut seen[r], true) {
                        return Err(Error::Argument {
                            kind: ErrorKind::DuplicateId,
                            name: "account_id".into(),
                            reason: format!("account `{id}` appears twice"),
                        });
                    }
                    rows.push(r);
                }
                Some(rows)
            }
        };
        for c in add.columns {
            let data = match &rows {
                Some(rows) => spread(&c.data, rows, n),
                None => c.data,
            };
            let data = match data {
                ColumnData::Float(v) => ColumnData::Float(v.into_iter().map(|x| x.filter(|f| !f.is_nan())).collect()),
                other => other,
            };
            self.add_column(Column::new(c.name, data))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn snap() -> Result<Snapshot> {
        let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        Snapshot::from_columns(
            Timestamp::from_millis(0)?,
            ids,
            vec![Column::new("x", ColumnData::Int(vec![Some(1), None, Some(3)]))],
        )
    }

    #[test]
    fn joins_by_id_and_by_row_all_or_nothing() -> Result<()> {
        let s = snap()?;
        let by_id = AccountColumns::by_account(
            vec!["c".into(), "a".into()],
            vec![Column::new("risk", ColumnData::Float(vec![Some(0.9), Some(f64::NAN)]))],
        );
        let t = s.with_columns(by_id)?;
        assert_eq!(t.column("risk")?, &ColumnData::Float(vec![None, None, Some(0.9)]));
        let by_row = AccountColumns::by_row(vec![Column::new("tier", ColumnData::Str(vec![Some("t1".into()), None, None]))]);
        assert_eq!(t.with_columns(by_row)?.column("tier")?.value(0), crate::metrics::Value::Str("t1".into()));
        let code = |r: Result<Snapshot>| r.err().map(|e| e.code());
        let unknown = AccountColumns::by_account(vec!["zz".into()], vec![Column::new("y", ColumnData::Int(vec![Some(1)]))]);
        assert_eq!(code(s.with_columns(unknown)), Some("unknown_account"));
        let twice =
            AccountColumns::by_account(vec!["a".into(), "a".into()], vec![Column::new("y", ColumnData::Int(vec![None, None]))]);
        assert_eq!(code(s.with_columns(twice)), Some("duplicate_id"));
        let short = AccountColumns::by_row(vec![Column::new("y", ColumnData::Int(vec![None]))]);
        assert_eq!(code(s.with_columns(short)), Some("invalid_argument"));
        // The second column clashes: neither is added.
        let mut m = s.clone();
        let clash = AccountColumns::by_row(vec![
            Column::new("y", ColumnData::Int(vec![None, None, None])),
            Column::new("x", ColumnData::Int(vec![None, None, None])),
        ]);
        assert_eq!(m.add_columns(clash).err().map(|e| e.code()), Some("duplicate_metric"));
        assert_eq!(m, s);
        Ok(())
    }
}
