//! Rows handed over in their JSON (serde) form — the one entry point the Python and Node
//! bindings use for lists of dicts / arrays of objects. The core owns the rules: how a row that
//! cannot be read is reported (strict mode: an error naming its position; lenient mode: a
//! rejected row), which code it gets (`invalid_timestamp` for a bad value in a timestamp field,
//! else the entity's `invalid_*` code), and that every position in errors and reports is the
//! caller's, however many rows were set aside before the core's own validation.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Entity, Error, ErrorKind, Result};

use super::{Dataset, IngestMode, IngestOptions, IngestReport, RejectedRow};

/// A row as a binding read it: its serde JSON form, or why it could not be read (a value the
/// host language could not express in JSON, a row that is not an object …).
#[derive(Debug, Clone, PartialEq)]
pub enum RowInput {
    /// The row's serde form (`Account`, `User`, `Subscription` or `Event`).
    Json(Value),
    /// The row could not be turned into JSON.
    Unreadable {
        /// The field (dotted path; empty for the whole row).
        field: String,
        /// What was wrong.
        reason: String,
        /// The value was meant as an instant (a host date or datetime that is out of range):
        /// `invalid_timestamp` wherever it stands.
        timestamp: bool,
    },
}

impl Entity {
    /// The fields of this table that hold instants. Bindings read them with the timestamp rules
    /// (dates, datetimes, RFC 3339 text, epoch milliseconds); a bad value in one is
    /// `invalid_timestamp`.
    pub fn timestamp_fields(self) -> &'static [&'static str] {
        match self {
            Entity::Account => &["created_at"],
            Entity::User => &["created_at", "deactivated_at"],
            Entity::Subscription => &["start", "end"],
            Entity::Event => &["timestamp"],
        }
    }

    /// The code of an unreadable row of this table (`invalid_account`, …).
    pub fn row_kind(self) -> ErrorKind {
        match self {
            Entity::Account => ErrorKind::InvalidAccount,
            Entity::User => ErrorKind::InvalidUser,
            Entity::Subscription => ErrorKind::InvalidSubscription,
            Entity::Event => ErrorKind::InvalidEvent,
        }
    }

    /// The code of a problem at `field` (a dotted path) of a row of this table: a timestamp
    /// field, or the `date` of a date attribute (`attributes.renewal.date`), is
    /// `invalid_timestamp`.
    fn field_kind(self, field: &str) -> ErrorKind {
        let top = field.split(['.', '[']).next().unwrap_or("");
        let date_attribute = top == "attributes" && field.ends_with(".date");
        if self.timestamp_fields().contains(&top) || date_attribute {
            ErrorKind::InvalidTimestamp
        } else {
            self.row_kind()
        }
    }
}

/// Rows that read, their positions in the caller's batch, and the rows that did not.
struct Read<T> {
    rows: Vec<T>,
    positions: Vec<usize>,
    rejected: Vec<RejectedRow>,
}

fn read<T: DeserializeOwned>(entity: Entity, input: Vec<RowInput>, mode: IngestMode) -> Result<Read<T>> {
    let mut out =
        Read { rows: Vec::with_capacity(input.len()), positions: Vec::with_capacity(input.len()), rejected: Vec::new() };
    for (i, row) in input.into_iter().enumerate() {
        let (field, reason, kind) = match row {
            RowInput::Unreadable { field, reason, timestamp: true } => (field, reason, ErrorKind::InvalidTimestamp),
            RowInput::Unreadable { field, reason, timestamp: false } => {
                let kind = entity.field_kind(&field);
                (field, reason, kind)
            }
            RowInput::Json(value) => match serde_path_to_error::deserialize::<_, T>(value) {
                Ok(row) => {
                    out.rows.push(row);
                    out.positions.push(i);
                    continue;
                }
                Err(e) => {
                    let reason = crate::document::plain_serde_message(&e.inner().to_string());
                    match e.path().to_string() {
                        // A missing or unknown field (the message names it): the row's shape is
                        // wrong, whatever the field.
                        p if p == "." => (reason.split('`').nth(1).unwrap_or("").to_string(), reason, entity.row_kind()),
                        path => {
                            let kind = entity.field_kind(&path);
                            (path, reason, kind)
                        }
                    }
                }
            },
        };
        if mode == IngestMode::Strict {
            return Err(Error::Row { kind, entity, row: i, field, reason, location: None });
        }
        out.rejected.push(RejectedRow { row: i, field, code: kind.code().to_string(), reason, location: None });
    }
    Ok(out)
}

impl Dataset {
    /// Adds rows given in their serde JSON form (see the module docs): one batch, all or nothing
    /// in strict mode, with every position in errors and the report counted in `rows`.
    pub fn add_json_rows(&mut self, entity: Entity, rows: Vec<RowInput>, options: &IngestOptions) -> Result<IngestReport> {
        match entity {
            Entity::Account => self.add_read(entity, rows, options, Dataset::add_accounts),
            Entity::User => self.add_read(entity, rows, options, Dataset::add_users),
            Entity::Subscription => self.add_read(entity, rows, options, Dataset::add_subscriptions),
            Entity::Event => self.add_read(entity, rows, options, Dataset::add_events),
        }
    }

    fn add_read<T: DeserializeOwned>(
        &mut self,
        entity: Entity,
        rows: Vec<RowInput>,
        options: &IngestOptions,
        add: fn(&mut Dataset, &[T], &IngestOptions) -> Result<IngestReport>,
    ) -> Result<IngestReport> {
        let read = read::<T>(entity, rows, options.mode)?;
        let at = |r: usize| read.positions.get(r).copied().unwrap_or(r);
        let mut report = add(self, &read.rows, options).map_err(|e| match e {
            Error::Row { kind, entity, row, field, reason, location } => {
                Error::Row { kind, entity, row: at(row), field, reason, location }
            }
            other => other,
        })?;
        for r in &mut report.rejected {
            r.row = at(r.row);
        }
        report.rejected.extend(read.rejected);
        report.rejected.sort_by_key(|r| r.row);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positions_are_the_callers_in_both_modes() -> Result<()> {
        let mut ds = Dataset::new();
        let opts = IngestOptions { mode: IngestMode::Lenient, ..IngestOptions::default() };
        let rows = vec![
            RowInput::Unreadable { field: "seats".into(), reason: "NaN is not a number".into(), timestamp: false },
            RowInput::Json(json!({"id": "a", "name": "A", "created_at": "2024-01-01T00:00:00Z"})),
            RowInput::Json(json!({"id": "b", "created_at": 1_704_067_200_000_i64, "seats": "many"})),
            RowInput::Json(json!({"id": "c", "name": "C", "created_at": true})),
            RowInput::Json(json!({"id": "a", "name": "again", "created_at": "2024-01-01T00:00:00Z"})),
        ];
        let report = ds.add_json_rows(Entity::Account, rows.clone(), &opts)?;
        assert_eq!(report.accepted, 1);
        let got: Vec<(usize, &str)> = report.rejected.iter().map(|r| (r.row, r.code.as_str())).collect();
        assert_eq!(got, [(0, "invalid_account"), (2, "invalid_account"), (3, "invalid_timestamp"), (4, "duplicate_id")]);
        let mut strict = Dataset::new();
        let err = strict.add_json_rows(Entity::Account, rows[1..].to_vec(), &IngestOptions::default()).err();
        assert!(matches!(err, Some(Error::Row { row: 1, .. })), "{err:?}");
        assert_eq!(strict.account_count(), 0);
        Ok(())
    }
}
