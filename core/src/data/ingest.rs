//! Ingestion options and reports, and the row-source abstraction that lets Rust values, CSV,
//! JSON Lines and Arrow columns share one validation path.

use serde::{Deserialize, Serialize};

use crate::error::{Entity, Error, ErrorKind};
use crate::time::Timestamp;

use super::entity::{Event, PropertyValue};

/// All-or-nothing (strict) or keep-the-good-rows (lenient) ingestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum IngestMode {
    /// The first bad row rejects the whole batch; the dataset is unchanged.
    #[default]
    Strict,
    /// Good rows are ingested; bad rows come back in [`IngestReport::rejected`].
    Lenient,
}

/// What to do with a row identical in every field to one already held (or earlier in the batch):
/// an event, a subscription, or an account or user re-sent with the same id and fields. Under the
/// default `drop`, sending a batch twice changes nothing. An account or user with a held id but
/// different fields is always `duplicate_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DuplicatePolicy {
    /// Drop it and count it in [`IngestReport::duplicates_dropped`] (re-ingesting a batch is harmless).
    #[default]
    Drop,
    /// Keep it (the source really emits identical events or subscription rows); an account or
    /// user id can only be held once, so a re-sent one is `duplicate_id`.
    Keep,
    /// Treat it as a bad row: `duplicate_event` for an event, `invalid_subscription` for a
    /// subscription, `duplicate_id` for an account or user.
    Reject,
}

/// Options for one ingestion call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct IngestOptions {
    /// Strict (default) or lenient.
    pub mode: IngestMode,
    /// Handling of identical events.
    pub duplicates: DuplicatePolicy,
    /// The instant treated as "now" for the future-timestamp check; the wall clock when absent.
    pub now: Option<Timestamp>,
    /// Events later than `now` plus this many hours are rejected (`future_timestamp`).
    pub future_tolerance_hours: u32,
    /// Skip the future-timestamp check (e.g. for simulated futures).
    pub allow_future: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            mode: IngestMode::Strict,
            duplicates: DuplicatePolicy::Drop,
            now: None,
            future_tolerance_hours: 24,
            allow_future: false,
        }
    }
}

impl IngestOptions {
    /// Lenient options.
    pub fn lenient() -> Self {
        IngestOptions { mode: IngestMode::Lenient, ..Self::default() }
    }

    /// Sets the mode.
    pub fn with_mode(mut self, mode: IngestMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the duplicate policy.
    pub fn with_duplicates(mut self, duplicates: DuplicatePolicy) -> Self {
        self.duplicates = duplicates;
        self
    }

    /// Sets the reference "now".
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    pub(crate) fn latest_allowed(&self) -> Option<i64> {
        if self.allow_future {
            return None;
        }
        let now = self.now.unwrap_or_else(Timestamp::now);
        Some(now.millis().saturating_add(i64::from(self.future_tolerance_hours) * 3_600_000))
    }
}

/// A row that lenient ingestion set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectedRow {
    /// 0-based position in the batch.
    pub row: usize,
    /// The offending field.
    pub field: String,
    /// Stable error code.
    pub code: String,
    /// What was wrong.
    pub reason: String,
    /// Where the row was read from (`events.csv line 7`), when it came from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// The outcome of an ingestion call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IngestReport {
    /// Rows added.
    pub accepted: usize,
    /// Rows set aside (lenient mode only; strict mode errors instead).
    pub rejected: Vec<RejectedRow>,
    /// Identical rows dropped under [`DuplicatePolicy::Drop`].
    pub duplicates_dropped: usize,
    /// Accepted rows dated before their account was created (a user's `created_at`, a
    /// subscription's `start`, an event's `timestamp`): kept — a CRM's creation date often
    /// trails the first product use — but counted, so a data problem does not pass unseen.
    /// Left out of the JSON form when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub before_account_created: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A field-level problem found while reading a row, before it is tied to an entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub(crate) kind: ErrorKind,
    pub(crate) field: String,
    pub(crate) reason: String,
}

impl FieldError {
    pub(crate) fn new(kind: ErrorKind, field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError { kind, field: field.into(), reason: reason.into() }
    }

    pub(crate) fn into_error(self, entity: Entity, row: usize) -> Error {
        Error::Row { kind: self.kind, entity, row, field: self.field, reason: self.reason, location: None }
    }

    pub(crate) fn into_rejected(self, row: usize) -> RejectedRow {
        RejectedRow { row, field: self.field, code: self.kind.code().to_string(), reason: self.reason, location: None }
    }
}

/// A borrowed property value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PropRef<'a> {
    Bool(bool),
    Number(f64),
    Str(&'a str),
}

/// Columnar or row-wise event input. Implementations return borrowed fields so that large
/// inputs (Arrow tables) are validated without building one Rust value per row.
pub(crate) trait EventSource {
    fn len(&self) -> usize;
    fn account_id(&self, i: usize) -> Result<&str, FieldError>;
    fn user_id(&self, i: usize) -> Result<Option<&str>, FieldError>;
    fn timestamp_ms(&self, i: usize) -> Result<i64, FieldError>;
    fn name(&self, i: usize) -> Result<&str, FieldError>;
    fn properties(&self, i: usize, out: &mut dyn FnMut(&str, PropRef<'_>)) -> Result<(), FieldError>;
}

impl EventSource for [Event] {
    fn len(&self) -> usize {
        <[Event]>::len(self)
    }
    fn account_id(&self, i: usize) -> Result<&str, FieldError> {
        Ok(&self[i].account_id)
    }
    fn user_id(&self, i: usize) -> Result<Option<&str>, FieldError> {
        Ok(self[i].user_id.as_deref())
    }
    fn timestamp_ms(&self, i: usize) -> Result<i64, FieldError> {
        Ok(self[i].timestamp.millis())
    }
    fn name(&self, i: usize) -> Result<&str, FieldError> {
        Ok(&self[i].name)
    }
    fn properties(&self, i: usize, out: &mut dyn FnMut(&str, PropRef<'_>)) -> Result<(), FieldError> {
        for (k, v) in &self[i].properties {
            let r = match v {
                PropertyValue::Bool(b) => PropRef::Bool(*b),
                PropertyValue::Number(n) => PropRef::Number(*n),
                PropertyValue::String(s) => PropRef::Str(s),
            };
            out(k, r);
        }
        Ok(())
    }
}
