//! The ledger a playbook run reads and writes: every action (open and closed), what each play's
//! trigger looked like at the last run, and the column values `prev_<column>` reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::Value;
use crate::time::Timestamp;

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
        }
    }
}

/// A column's values at the last run, by account, kept with their type so that text that looks
/// like a date stays text and a whole float stays a float through JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum PreviousValues {
    /// Whole numbers.
    Int(BTreeMap<String, i64>),
    /// Numbers.
    Float(BTreeMap<String, f64>),
    /// Booleans.
    Bool(BTreeMap<String, bool>),
    /// Text.
    Str(BTreeMap<String, String>),
    /// Instants.
    Timestamp(BTreeMap<String, Timestamp>),
}

impl PreviousValues {
    /// The values of rows `0..n` of `data`, keyed by `ids`, missing values left out.
    pub(crate) fn of(data: &crate::metrics::ColumnData, ids: &[String]) -> Self {
        use crate::metrics::ColumnData as C;
        fn keyed<T: Clone>(ids: &[String], v: &[Option<T>]) -> BTreeMap<String, T> {
            ids.iter().zip(v).filter_map(|(id, x)| x.clone().map(|x| (id.clone(), x))).collect()
        }
        match data {
            C::Int(v) => PreviousValues::Int(keyed(ids, v)),
            C::Float(v) => PreviousValues::Float(keyed(ids, v)),
            C::Bool(v) => PreviousValues::Bool(keyed(ids, v)),
            C::Str(v) => PreviousValues::Str(keyed(ids, v)),
            C::Timestamp(v) => PreviousValues::Timestamp(keyed(ids, v)),
        }
    }

    /// The value of `account`, if any.
    pub fn get(&self, account: &str) -> Option<Value> {
        match self {
            PreviousValues::Int(m) => m.get(account).map(|v| Value::Int(*v)),
            PreviousValues::Float(m) => m.get(account).map(|v| Value::Float(*v)),
            PreviousValues::Bool(m) => m.get(account).map(|v| Value::Bool(*v)),
            PreviousValues::Str(m) => m.get(account).map(|v| Value::Str(v.clone())),
            PreviousValues::Timestamp(m) => m.get(account).map(|v| Value::Timestamp(*v)),
        }
    }
}

/// One action a play asked for: who does what for which account, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Idempotency key: `{play}@{play version}:{account}:{trigger instance}` (the instance is the
    /// day the trigger fired, or the schedule's period boundary). Never issued twice.
    pub key: String,
    /// The play.
    pub play: String,
    /// The play's version when it fired.
    pub play_version: u32,
    /// The account.
    pub account_id: String,
    /// Tactic kind (`call`, `email` …).
    pub kind: String,
    /// The account's owner (from the playbook's owner column), if any.
    pub owner: Option<String>,
    /// Who acts.
    pub owner_role: String,
    /// 1 = most urgent.
    pub priority: u32,
    /// Estimated CSM hours.
    pub effort_hours: f64,
    /// The tactic's payload.
    pub payload: serde_json::Value,
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
    pub reasons: BTreeMap<String, Value>,
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
    pub actions: Vec<Action>,
    /// Per play, the accounts whose cohort and trigger held at the last run (sorted): what an
    /// edge-triggered play compares against.
    pub held: BTreeMap<String, Vec<String>>,
    /// The values at the last run of the columns expressions read as `prev_<column>`, typed:
    /// column → `{"type": "int" | "float" | "bool" | "str" | "timestamp", "values": {account:
    /// value}}` (missing values are not stored).
    pub previous: BTreeMap<String, PreviousValues>,
}

impl Default for PlayState {
    fn default() -> Self {
        PlayState {
            version: PLAY_STATE_VERSION,
            playbook: None,
            last_run: None,
            actions: Vec::new(),
            held: BTreeMap::new(),
            previous: BTreeMap::new(),
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
        self.actions.iter().filter(|a| a.status == ActionStatus::Open)
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
    /// instant, finite efforts.
    pub fn validate(&self) -> Result<()> {
        if self.version != PLAY_STATE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "play state".into(),
                found: self.version,
                supported: PLAY_STATE_VERSION,
            });
        }
        let mut keys = std::collections::HashSet::with_capacity(self.actions.len());
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
            if a.updated_at < a.created_at || a.closed_at.is_some_and(|c| c < a.created_at) {
                return bad("updated_at and closed_at cannot precede created_at".into());
            }
            if self.last_run.is_some_and(|l| a.created_at > l) {
                return bad("created after the state's last run".into());
            }
        }
        for (play, ids) in &self.held {
            if ids.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::parse("play state", format!("held.{play}: account ids must be sorted and distinct")));
            }
        }
        Ok(())
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
    pub play: String,
    /// The account.
    pub account_id: String,
    /// Why.
    pub reason: SkipReason,
    /// The particulars (the cooldown's end, the owner whose hours ran out …).
    pub detail: String,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlayRun {
    /// The run's as-of instant.
    pub as_of: Timestamp,
    /// New actions, in the order they were granted (priority, then rank).
    pub fired: Vec<Action>,
    /// Keys of open actions whose trigger still held: refreshed (reasons, `updated_at`), not
    /// duplicated.
    pub updated: Vec<String>,
    /// Actions the engine closed this run (goal met, trigger cleared).
    pub closed: Vec<Action>,
    /// Eligible accounts without a new action, each with a reason.
    pub skipped: Vec<Skip>,
}

crate::document::document! {
    PlayState => "play state", PLAY_STATE_VERSION;
}
