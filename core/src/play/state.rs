//! The ledger a playbook run reads and writes: every action (open and closed), what each play's
//! trigger looked like at the last run, and the column values `prev_<column>` reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{ColumnData, DataType, Value};
use crate::time::Timestamp;
use std::sync::Arc;

/// Version of the state document this build reads and writes.
pub const PLAY_STATE_VERSION: u32 = 1;

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting to be carried out.
    Open,
    /// Marked done by the caller.
    Done,
    /// Cancelled by the caller.
    Cancelled,
    /// Closed by the engine: the play's goal was met.
    GoalMet,
    /// Closed by the engine: the trigger no longer held (`exit_when_trigger_clears`).
    TriggerCleared,
    /// Recorded, not acted on: the account is in the play's holdout or the global holdout
    /// (closed when recorded: its cooldown and re-entry window run from the record).
    HeldOut,
}

impl ActionStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
            ActionStatus::GoalMet => "goal_met",
            ActionStatus::TriggerCleared => "trigger_cleared",
            ActionStatus::HeldOut => "held_out",
        }
    }
}

/// The experiment arm of an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// Acted on.
    #[default]
    Treatment,
    /// In the play's holdout: recorded, not acted on.
    Holdout,
    /// In the playbook's global holdout: recorded, not acted on.
    GlobalHoldout,
}

impl Arm {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Treatment => "treatment",
            Arm::Holdout => "holdout",
            Arm::GlobalHoldout => "global_holdout",
        }
    }

    /// True for the treated arm.
    pub fn is_treatment(&self) -> bool {
        *self == Arm::Treatment
    }
}

/// Text shared by reference: the ids, names and keys a ledger repeats on every action (a play
/// id, an owner, an account) are held once. Reads as a `str`; serialises as a JSON string.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text lives: equal for clones of one value.
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }
}

impl std::ops::Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr(Arc::from(s))
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(Arc::from(s))
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        SharedStr(Arc::from(s.as_str()))
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl std::fmt::Display for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SharedStr;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<SharedStr, E> {
                Ok(SharedStr::from(v))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for SharedStr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
    fn inline_schema() -> bool {
        true
    }
}

/// The values that made an action's trigger and cohort true: column → value, sorted by column.
/// Serialises as a JSON object; shared by reference between the run's result and the ledger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reasons(pub(crate) Arc<[(SharedStr, Value)]>);

impl Reasons {
    /// From pairs in any order; a name given twice keeps its last value.
    pub fn new(pairs: impl IntoIterator<Item = (SharedStr, Value)>) -> Self {
        let map: BTreeMap<SharedStr, Value> = pairs.into_iter().collect();
        Reasons(map.into_iter().collect())
    }

    /// From pairs already sorted by name, without duplicates.
    /// From pairs already sorted by name, without duplicates, taken out of `pairs` (which keeps
    /// its capacity).
    pub(crate) fn from_sorted(pairs: &mut Vec<(SharedStr, Value)>) -> Self {
        debug_assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        Reasons(pairs.drain(..).collect())
    }

    /// The value of `column`, if it is a reason.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.0.binary_search_by(|(n, _)| n.as_str().cmp(column)).ok().map(|i| &self.0[i].1)
    }

    /// (column, value) pairs, sorted by column.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of reasons.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs.
    pub(crate) fn pairs(&self) -> &[(SharedStr, Value)] {
        &self.0
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(n, v)| (n.as_str(), v)))
    }
}

impl<'de> Deserialize<'de> for Reasons {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Reasons;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of column → value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Reasons, A::Error> {
                let mut pairs: Vec<(SharedStr, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                while let Some((k, v)) = map.next_entry::<SharedStr, Value>()? {
                    pairs.push((k, v));
                }
                // Sorted by name; a name given twice keeps its last value.
                pairs.reverse();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs.dedup_by(|later, earlier| later.0 == earlier.0);
                Ok(Reasons(pairs.into()))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Reasons {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<String, Value>>::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, Value>>::json_schema(generator)
    }
    fn inline_schema() -> bool {
        true
    }
}

/// A column's values at the last run, one per account of [`PlayMemory::accounts`] (missing
/// values are null), kept with their type so that text that looks like a date stays text and a
/// whole float stays a float through JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum PreviousValues {
    /// Whole numbers.
    Int(Vec<Option<i64>>),
    /// Numbers.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Text.
    Str(Vec<Option<String>>),
    /// Instants.
    Timestamp(Vec<Option<Timestamp>>),
}

impl PreviousValues {
    /// The values of a column, as they are.
    #[cfg(feature = "arrow")]
    pub(crate) fn from_column(data: ColumnData) -> Self {
        match data {
            ColumnData::Int(v) => PreviousValues::Int(v),
            ColumnData::Float(v) => PreviousValues::Float(v),
            ColumnData::Bool(v) => PreviousValues::Bool(v),
            ColumnData::Str(v) => PreviousValues::Str(v),
            ColumnData::Timestamp(v) => PreviousValues::Timestamp(v),
        }
    }

    /// The values of `data` at rows `order`.
    pub(crate) fn of(data: &ColumnData, order: &[u32]) -> Self {
        fn take<T: Clone>(v: &[Option<T>], order: &[u32]) -> Vec<Option<T>> {
            order.iter().map(|&r| v.get(r as usize).cloned().flatten()).collect()
        }
        match data {
            ColumnData::Int(v) => PreviousValues::Int(take(v, order)),
            ColumnData::Float(v) => PreviousValues::Float(take(v, order)),
            ColumnData::Bool(v) => PreviousValues::Bool(take(v, order)),
            ColumnData::Str(v) => PreviousValues::Str(take(v, order)),
            ColumnData::Timestamp(v) => PreviousValues::Timestamp(take(v, order)),
        }
    }

    /// The values as a column.
    #[cfg(feature = "arrow")]
    pub(crate) fn to_column(&self) -> ColumnData {
        match self {
            PreviousValues::Int(v) => ColumnData::Int(v.clone()),
            PreviousValues::Float(v) => ColumnData::Float(v.clone()),
            PreviousValues::Bool(v) => ColumnData::Bool(v.clone()),
            PreviousValues::Str(v) => ColumnData::Str(v.clone()),
            PreviousValues::Timestamp(v) => ColumnData::Timestamp(v.clone()),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            PreviousValues::Int(v) => v.len(),
            PreviousValues::Float(v) => v.len(),
            PreviousValues::Bool(v) => v.len(),
            PreviousValues::Str(v) => v.len(),
            PreviousValues::Timestamp(v) => v.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `row` of the memory's accounts (null when missing or out of range).
    pub fn get(&self, row: usize) -> Value {
        fn at<T: Clone>(v: &[Option<T>], row: usize) -> Option<T> {
            v.get(row).cloned().flatten()
        }
        let value = match self {
            PreviousValues::Int(v) => at(v, row).map(Value::Int),
            PreviousValues::Float(v) => at(v, row).map(Value::Float),
            PreviousValues::Bool(v) => at(v, row).map(Value::Bool),
            PreviousValues::Str(v) => at(v, row).map(Value::Str),
            PreviousValues::Timestamp(v) => at(v, row).map(Value::Timestamp),
        };
        value.unwrap_or(Value::Null)
    }

    /// A column of type `ty` whose row `r` holds the value at memory row `rows[r]` (missing where
    /// `rows[r]` is `None`, or the types disagree).
    pub(crate) fn gather(&self, ty: DataType, rows: &[Option<u32>]) -> ColumnData {
        fn pick<T: Clone>(v: &[Option<T>], rows: &[Option<u32>]) -> Vec<Option<T>> {
            rows.iter().map(|r| r.and_then(|r| v.get(r as usize).cloned().flatten())).collect()
        }
        match (self, ty) {
            (PreviousValues::Int(v), DataType::Int) => ColumnData::Int(pick(v, rows)),
            (PreviousValues::Float(v), DataType::Float) => ColumnData::Float(pick(v, rows)),
            // A column that was whole numbers and is now numbers (or back) keeps its values.
            (PreviousValues::Int(v), DataType::Float) => {
                ColumnData::Float(pick(v, rows).into_iter().map(|x| x.map(|x| x as f64)).collect())
            }
            (PreviousValues::Float(v), DataType::Int) => ColumnData::Int(
                pick(v, rows)
                    .into_iter()
                    .map(|x| x.filter(|x| x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15).map(|x| x as i64))
                    .collect(),
            ),
            (PreviousValues::Bool(v), DataType::Bool) => ColumnData::Bool(pick(v, rows)),
            (PreviousValues::Str(v), DataType::Str) => ColumnData::Str(pick(v, rows)),
            (PreviousValues::Timestamp(v), DataType::Timestamp) => ColumnData::Timestamp(pick(v, rows)),
            (_, ty) => ColumnData::nulls(ty, rows.len()),
        }
    }
}

/// What the last run saw, columnar: its frame's accounts (sorted by id), per edge-triggered play
/// the rows where the cohort and trigger held, and the columns that expressions read as
/// `prev_<column>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PlayMemory {
    /// The accounts of the last run's frame, sorted by id (distinct).
    pub accounts: Vec<SharedStr>,
    /// Per edge-triggered play, the rows of `accounts` (0-based, ascending) where its cohort
    /// and trigger held: what the next run compares against.
    pub held: BTreeMap<String, Vec<u32>>,
    /// The columns expressions read as `prev_<column>`, one value per account of `accounts`:
    /// column → `{"type": "int" | "float" | "bool" | "str" | "timestamp", "values": [...]}`.
    pub columns: BTreeMap<String, PreviousValues>,
}

impl PlayMemory {
    /// The accounts of `play` whose cohort and trigger held at the last run.
    pub fn held_accounts(&self, play: &str) -> Vec<&str> {
        self.held.get(play).map_or_else(Vec::new, |rows| {
            rows.iter().filter_map(|&r| self.accounts.get(r as usize)).map(SharedStr::as_str).collect()
        })
    }

    /// The value `column` had for `account` at the last run (null when not remembered).
    pub fn previous(&self, column: &str, account: &str) -> Value {
        match (self.columns.get(column), self.accounts.binary_search_by(|a| a.as_str().cmp(account))) {
            (Some(values), Ok(row)) => values.get(row),
            _ => Value::Null,
        }
    }

    /// Checks the shape: accounts sorted and distinct, held rows ascending and in range, columns
    /// as long as the accounts.
    pub fn validate(&self) -> Result<()> {
        let bad = |path: String, reason: &str| Err(Error::parse("play state", format!("memory.{path}: {reason}")));
        let n = self.accounts.len();
        if u32::try_from(n).is_err() {
            return bad("accounts".into(), "more than 2^32 accounts");
        }
        if let Some(i) = self.accounts.windows(2).position(|w| w[0] >= w[1]) {
            return bad(format!("accounts[{}]", i + 1), "accounts must be sorted and distinct");
        }
        for (play, rows) in &self.held {
            if rows.windows(2).any(|w| w[0] >= w[1]) {
                return bad(format!("held.{play}"), "rows must be ascending and distinct");
            }
            if rows.last().is_some_and(|&r| r as usize >= n) {
                return bad(format!("held.{play}"), "a row is past the end of `accounts`");
            }
        }
        for (column, values) in &self.columns {
            if values.len() != n {
                return bad(format!("columns.{column}"), &format!("{} values for {n} accounts", values.len()));
            }
        }
        Ok(())
    }
}

/// One action a play asked for: who does what for which account, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Idempotency key: `{play}@{play version}:{account}:{trigger instance}` (the instance is the
    /// day the trigger fired, or the schedule's period boundary). Never issued twice.
    pub key: SharedStr,
    /// The play.
    pub play: SharedStr,
    /// The play's version when it fired.
    pub play_version: u32,
    /// The account.
    pub account_id: SharedStr,
    /// Tactic kind (`call`, `email` …).
    pub kind: SharedStr,
    /// The account's owner (from the playbook's owner column), if any.
    pub owner: Option<SharedStr>,
    /// Who acts.
    pub owner_role: SharedStr,
    /// 1 = most urgent.
    pub priority: u32,
    /// Estimated CSM hours.
    pub effort_hours: f64,
    /// The tactic's payload.
    pub payload: Arc<serde_json::Value>,
    /// When the play fired (the run's as-of instant).
    pub created_at: Timestamp,
    /// The last run that saw the action's trigger still hold.
    pub updated_at: Timestamp,
    /// When it is due.
    pub due_at: Timestamp,
    /// Where it stands.
    pub status: ActionStatus,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
    /// The values that made the trigger and the cohort true (column → value), at firing or at
    /// the last update.
    pub reasons: Reasons,
    /// The experiment arm (absent in JSON for the treated arm): a held-out action has status
    /// `held_out` and was not acted on.
    #[serde(default, skip_serializing_if = "Arm::is_treatment")]
    pub arm: Arm,
}

/// The ledger of a playbook: versioned JSON, saved atomically, read back in every language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlayState {
    /// Document version ([`PLAY_STATE_VERSION`]).
    pub version: u32,
    /// The playbook it belongs to (set by the first run).
    pub playbook: Option<String>,
    /// The as-of instant of the last run.
    pub last_run: Option<Timestamp>,
    /// Every action, in the order they fired.
    pub actions: Vec<Arc<Action>>,
    /// What the last run saw (its accounts, the triggers that held, the columns read as
    /// `prev_<column>`).
    #[serde(default)]
    pub memory: PlayMemory,
}

impl Default for PlayState {
    fn default() -> Self {
        PlayState {
            version: PLAY_STATE_VERSION,
            playbook: None,
            last_run: None,
            actions: Vec::new(),
            memory: PlayMemory::default(),
        }
    }
}

impl PlayState {
    /// An empty ledger (no run yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// The open actions.
    pub fn open_actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().map(|a| &**a).filter(|a| a.status == ActionStatus::Open)
    }

    /// Closes the open action `key` as done or cancelled at `at` (the caller's report that it
    /// was carried out or dropped). An unknown key is `invalid_argument`; closing a closed
    /// action again with the same status changes nothing, with another status is an error.
    pub fn close(&mut self, key: &str, status: ActionStatus, at: Timestamp) -> Result<()> {
        if !matches!(status, ActionStatus::Done | ActionStatus::Cancelled) {
            return Err(Error::argument("status", "the caller closes actions as `done` or `cancelled`"));
        }
        let Some(action) = self.actions.iter_mut().find(|a| a.key == key) else {
            return Err(Error::argument("key", format!("no action `{key}` in the state")));
        };
        let action = Arc::make_mut(action);
        match action.status {
            ActionStatus::Open => {
                if at < action.created_at {
                    return Err(Error::argument("at", format!("{at} is before the action was created ({})", action.created_at)));
                }
                action.status = status;
                action.closed_at = Some(at);
                Ok(())
            }
            s if s == status => Ok(()),
            s => Err(Error::argument("key", format!("action `{key}` is already closed as {}", s.as_str()))),
        }
    }

    /// Checks a state read from JSON: version, unique keys, closed actions with a closing
    /// instant, finite efforts, the memory's shape ([`PlayMemory::validate`]).
    pub fn validate(&self) -> Result<()> {
        if self.version != PLAY_STATE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "play state".into(),
                found: self.version,
                supported: PLAY_STATE_VERSION,
            });
        }
        let mut keys = rustc_hash::FxHashSet::default();
        keys.reserve(self.actions.len());
        for (i, a) in self.actions.iter().enumerate() {
            let bad = |reason: String| Err(Error::parse("play state", format!("actions[{i}]: {reason}")));
            if !keys.insert(a.key.as_str()) {
                return bad(format!("key `{}` appears twice", a.key));
            }
            if (a.status == ActionStatus::Open) != a.closed_at.is_none() {
                return bad("an open action has no closed_at, a closed one has one".into());
            }
            if !(a.effort_hours.is_finite() && a.effort_hours >= 0.0) {
                return bad("effort_hours must be a finite, non-negative number".into());
            }
            if a.arm.is_treatment() == (a.status == ActionStatus::HeldOut) {
                return bad("a held-out action has status held_out and arm holdout or global_holdout, and only it".into());
            }
            if a.updated_at < a.created_at || a.closed_at.is_some_and(|c| c < a.created_at) {
                return bad("updated_at and closed_at cannot precede created_at".into());
            }
            if self.last_run.is_some_and(|l| a.created_at > l) {
                return bad("created after the state's last run".into());
            }
        }
        self.memory.validate()
    }

    /// Versioned JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a state from JSON (see [`crate::document::Document`]): a newer version is
    /// `unsupported_version`, a corrupt one `parse_error`.
    pub fn from_json(text: &str) -> Result<PlayState> {
        <PlayState as crate::document::Document>::from_json_str(text)
    }

    /// Saves atomically: a temporary file beside `path`, flushed to disk, renamed over `path`.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::io::save_text(path.as_ref(), &self.to_json())
    }

    /// Loads a state saved with [`save`](Self::save).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<PlayState> {
        Self::from_json(&crate::io::load_text(path.as_ref())?)
    }
}

/// Why an eligible account got no new action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// On the playbook's suppression list, or its suppression condition holds.
    Suppressed,
    /// A level-triggered play fired for the account within its cooldown.
    Cooldown,
    /// An action of the play for the account closed within the play's re-entry window.
    Reentry,
    /// This trigger instance already has an action (a re-run of the same data).
    AlreadyFired,
    /// The play reached its `max_per_run`.
    PlayCap,
    /// The account has `max_active_per_account` open actions.
    AccountCap,
    /// The owner's hours for this run are spent.
    CapacityExhausted,
}

impl SkipReason {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::Suppressed => "suppressed",
            SkipReason::Cooldown => "cooldown",
            SkipReason::Reentry => "reentry",
            SkipReason::AlreadyFired => "already_fired",
            SkipReason::PlayCap => "play_cap",
            SkipReason::AccountCap => "account_cap",
            SkipReason::CapacityExhausted => "capacity_exhausted",
        }
    }
}

/// An eligible account that got no new action, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Skip {
    /// The play.
    pub play: SharedStr,
    /// The account.
    pub account_id: SharedStr,
    /// Why.
    pub reason: SkipReason,
    /// The particulars (the cooldown's end, the owner whose hours ran out …).
    pub detail: SharedStr,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlayRun {
    /// The run's as-of instant.
    pub as_of: Timestamp,
    /// New actions, in the order they were granted (priority, then rank); shared with the
    /// ledger.
    pub fired: Vec<Arc<Action>>,
    /// Keys of open actions whose trigger still held: refreshed (reasons, `updated_at`), not
    /// duplicated.
    pub updated: Vec<SharedStr>,
    /// Held-out actions recorded this run (arm `holdout` or `global_holdout`, status
    /// `held_out`): the accounts the play would have acted on, with the same reasons — for
    /// measuring, not for doing. Shared with the ledger.
    pub held_out: Vec<Arc<Action>>,
    /// Actions the engine closed this run (goal met, trigger cleared).
    pub closed: Vec<Arc<Action>>,
    /// Eligible accounts without a new action, each with a reason.
    pub skipped: Vec<Skip>,
}

/// The longest ledger text read (4 GiB): a ledger grows with the accounts and actions it holds
/// (about 460 bytes of JSON per action), far past the bound on configs and models.
pub const MAX_PLAY_STATE_BYTES: usize = 4 << 30;

impl crate::document::Document for PlayState {
    const KIND: &'static str = "play state";
    const VERSION: u32 = PLAY_STATE_VERSION;

    fn check(&self) -> Result<()> {
        self.validate()
    }

    /// Like every document, but the ledger shares the text it repeats once read (see
    /// [`PlayState::from_json`]).
    fn from_json_value(value: serde_json::Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::parse(Self::KIND, "a document is a JSON object"));
        }
        crate::document::check_depth(&value, Self::KIND)?;
        if let Some(v) = value.get("version") {
            crate::document::check_version(v, Self::KIND, Self::VERSION)?;
        }
        let state: PlayState = serde_json::from_value(value)
            .map_err(|e| Error::parse(format!("{} JSON", Self::KIND), crate::document::hint(&e.to_string())))?;
        state.settle()
    }

    /// Reads the ledger straight from its text (no intermediate JSON tree: a ledger can be
    /// large), at most [`MAX_PLAY_STATE_BYTES`], nested at most 128 deep (serde_json's limit).
    fn from_json_str(text: &str) -> Result<Self> {
        if text.len() > MAX_PLAY_STATE_BYTES {
            return Err(Error::parse(Self::KIND, format!("longer than {MAX_PLAY_STATE_BYTES} bytes")));
        }
        #[derive(Deserialize)]
        struct VersionOnly {
            version: Option<serde_json::Value>,
        }
        // The version first, so a newer ledger is `unsupported_version` whatever its shape.
        let head: VersionOnly = serde_json::from_str(text).map_err(|e| Error::parse(format!("{} JSON", Self::KIND), e))?;
        if let Some(v) = &head.version {
            crate::document::check_version(v, Self::KIND, Self::VERSION)?;
        }
        let state: PlayState = serde_json::from_str(text)
            .map_err(|e| Error::parse(format!("{} JSON", Self::KIND), crate::document::hint(&e.to_string())))?;
        state.settle()
    }
}

impl PlayState {
    /// A ledger just read: checked whole, then its repeated text shared.
    pub(crate) fn settle(mut self) -> Result<Self> {
        self.validate()?;
        self.share_text();
        Ok(self)
    }

    /// Makes the ledger hold each repeated text once: an action's account shares the memory's,
    /// and play ids, kinds, roles, owners and reason names are shared among actions. A ledger
    /// read from a file then takes the memory a run's ledger takes, and runs find an action's
    /// account by address.
    pub(crate) fn share_text(&mut self) {
        let mut pool: rustc_hash::FxHashSet<SharedStr> = rustc_hash::FxHashSet::default();
        let mut share = |s: &mut SharedStr| match pool.get(s.as_str()) {
            Some(p) => *s = p.clone(),
            None => {
                pool.insert(s.clone());
            }
        };
        // Payloads are the play's: one per play and version (rarely more than one).
        let mut payloads: rustc_hash::FxHashMap<(usize, u32), Vec<Arc<serde_json::Value>>> = rustc_hash::FxHashMap::default();
        let accounts: rustc_hash::FxHashMap<&str, &SharedStr> = self.memory.accounts.iter().map(|a| (a.as_str(), a)).collect();
        for action in &mut self.actions {
            let a = Arc::make_mut(action);
            match accounts.get(a.account_id.as_str()) {
                Some(shared) => a.account_id = (*shared).clone(),
                None => share(&mut a.account_id),
            }
            share(&mut a.play);
            let seen = payloads.entry((a.play.address(), a.play_version)).or_default();
            match seen.iter().find(|p| **p == a.payload) {
                Some(p) => a.payload = p.clone(),
                None => seen.push(a.payload.clone()),
            }
            share(&mut a.kind);
            share(&mut a.owner_role);
            if let Some(owner) = &mut a.owner {
                share(owner);
            }
            if let Some(pairs) = Arc::get_mut(&mut a.reasons.0) {
                for (name, _) in pairs.iter_mut() {
                    share(name);
                }
            }
        }
    }
}
