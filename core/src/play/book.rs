//! The playbook document: plays (cohort + trigger + tactic), how each fires, and the limits that
//! arbitrate between them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::Window;

/// Version of the playbook document this build reads and writes.
pub const PLAYBOOK_VERSION: u32 = 1;

/// Most plays one playbook may hold.
pub const MAX_PLAYS: usize = 1_000;

/// The tactic kinds the seeds name; any other identifier is a custom kind.
pub const KNOWN_TACTICS: &[&str] =
    &["call", "email", "drip_campaign", "task", "alert_owner", "in_app_message", "site_visit", "hand_to_sales", "meeting"];

/// A playbook: versioned JSON, the same file in Rust, Python and Node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    /// Document version ([`PLAYBOOK_VERSION`]).
    #[serde(default = "playbook_version")]
    pub version: u32,
    /// Name (recorded in the state, so a state is not run against another playbook by mistake).
    pub name: String,
    /// Limits across plays.
    #[serde(default)]
    pub limits: Limits,
    /// Accounts no play touches.
    #[serde(default)]
    pub suppress: Suppression,
    /// The global holdout: a deterministic share of all accounts that no play acts on (each
    /// play records them as `global_holdout` when it would have acted), the baseline for the
    /// effect of the whole playbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<GlobalHoldout>,
    /// The plays, in the order that breaks priority ties.
    pub plays: Vec<Play>,
}

fn playbook_version() -> u32 {
    PLAYBOOK_VERSION
}

/// Limits that arbitrate between plays in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most open actions one account may have across plays (none: no limit).
    pub max_active_per_account: Option<u32>,
    /// The column naming each account's owner (the CSM whose hours an action spends).
    pub owner_column: String,
    /// Hours each owner can give per run, by owner; owners not listed get
    /// `default_capacity_hours`.
    pub capacity_hours: BTreeMap<String, f64>,
    /// Hours per run of an owner not in `capacity_hours` (none: unlimited).
    pub default_capacity_hours: Option<f64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_active_per_account: None,
            owner_column: "owner".into(),
            capacity_hours: BTreeMap::new(),
            default_capacity_hours: None,
        }
    }
}

/// Accounts no play touches: a list, and a condition (an open escalation, a renewal in
/// negotiation …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Suppression {
    /// Account ids.
    pub accounts: Vec<String>,
    /// A condition over the frame.
    pub when: Option<String>,
}

/// A play: trigger condition + tactic + customer cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Play {
    /// Identifier, unique in the playbook (letters, digits, `_`, `-`).
    pub id: String,
    /// The play's own version: part of every action's idempotency key, so a changed play fires
    /// anew.
    #[serde(default = "one")]
    pub version: u32,
    /// What the play is for.
    #[serde(default)]
    pub description: String,
    /// The customer cohort: a condition over the frame (none: every account).
    #[serde(default)]
    pub cohort: Option<String>,
    /// When the play fires for an account of its cohort.
    pub trigger: Trigger,
    /// Edge- or level-triggered.
    pub firing: Firing,
    /// A condition that closes an open action as `goal_met`.
    #[serde(default)]
    pub goal: Option<String>,
    /// Close an open action as `trigger_cleared` when the trigger no longer holds.
    #[serde(default)]
    pub exit_when_trigger_clears: bool,
    /// After an action of this play closes, the account is not enrolled again for this long.
    #[serde(default)]
    pub reentry: Option<Window>,
    /// Most new actions of this play per run.
    #[serde(default)]
    pub max_per_run: Option<u32>,
    /// A numeric expression ordering the accounts of this play when limits bind: higher first
    /// (missing last), then account id.
    #[serde(default)]
    pub rank_by: Option<String>,
    /// What to do.
    pub tactic: Tactic,
    /// Hold out a share of the accounts this play would act on, to measure whether it works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Holdout>,
}

/// Most characters of a holdout salt.
pub const MAX_SALT_LEN: usize = 256;

/// A play's holdout: of the accounts the play would act on, a deterministic share is recorded
/// in the ledger (arm `holdout`, status `held_out`, with the same reasons) instead of being
/// acted on.
///
/// An account's arm is decided at its first enrollment in the play (this play id and version)
/// and kept at every later one. Unstratified, a new account is held out when its draw
/// ([`super::holdout_draw`] of account, play id and `salt`) is below `share`: growing
/// the share keeps every earlier holdout account in the holdout, and a new salt deals new
/// accounts anew. Stratified by a column, the new accounts of a run are dealt within each value
/// of the column: in draw order (then account id), the first `k` are held out, where `k` brings
/// the stratum's holdout count to `share` × its enrolled accounts (rounded half up, counting the
/// accounts the ledger already holds for the play and this version by their current value) —
/// so both arms match on the column however the eligible accounts are spread over it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Holdout {
    /// Share held out, 0 to 0.9.
    pub share: f64,
    /// Salt of the draw (any text up to 256 characters; default empty).
    #[serde(default)]
    pub salt: String,
    /// A frame column to stratify by (a tier, an ARR band, a segment); missing values form
    /// their own stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratify_by: Option<String>,
}

/// The global holdout: an account is in it when its draw for the play id `""` (empty) under
/// `salt` is below `share`; a new salt renews it. Not sticky: membership follows the salt and
/// share in force at each run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GlobalHoldout {
    /// Share of all accounts held out of every play, 0 to 0.9.
    pub share: f64,
    /// Salt of the draw (any text up to 256 characters; default empty).
    #[serde(default)]
    pub salt: String,
}

fn check_share(path: &str, share: f64, salt: &str) -> Result<()> {
    if !(share.is_finite() && (0.0..=0.9).contains(&share)) {
        return Err(Error::config(format!("{path}.share"), format!("must lie in 0..=0.9, got {share}")));
    }
    if salt.chars().count() > MAX_SALT_LEN {
        return Err(Error::config(format!("{path}.salt"), format!("at most {MAX_SALT_LEN} characters")));
    }
    Ok(())
}

fn one() -> u32 {
    1
}

/// When a play fires for an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// A condition over the frame. Besides the frame's columns it may read
    /// `days_since_last_run` and `prev_<column>` (the column's value at the previous run), so
    /// changes — a band dropped, usage fell by half — are conditions too.
    Condition {
        /// The condition.
        when: String,
    },
    /// A schedule: at `anchor + k × every` for whole k (a quarterly business review every 90
    /// days from contract start), optionally only while `when` holds.
    Schedule {
        /// The period.
        every: Window,
        /// A timestamp column of the frame (`created_at`, a contract start …).
        anchor: String,
        /// An extra condition.
        #[serde(default)]
        when: Option<String>,
    },
}

/// How a play fires while its trigger holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Firing {
    /// Fires when the trigger becomes true (it was false, or unknown, at the previous run);
    /// not again while it stays true. Schedules fire once per period boundary either way.
    Edge,
    /// Fires while the trigger holds, at most once per `cooldown`.
    Level {
        /// Least time between two actions of the play for one account.
        cooldown: Window,
    },
}

/// What a play does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tactic {
    /// One of [`KNOWN_TACTICS`] or a custom identifier.
    pub kind: String,
    /// Who acts (`csm`, `account_owner`, `sales`, `marketing` …).
    #[serde(default = "csm")]
    pub owner_role: String,
    /// 1 = most urgent; plays are served in priority order when limits bind.
    #[serde(default = "three")]
    pub priority: u32,
    /// Days until the action is due.
    #[serde(default = "seven")]
    pub due_in_days: u32,
    /// Estimated CSM hours (spent from the owner's capacity).
    #[serde(default)]
    pub effort_hours: f64,
    /// Free data for whoever carries the action out (template id …).
    #[serde(default)]
    pub payload: serde_json::Value,
}

fn csm() -> String {
    "csm".into()
}
fn three() -> u32 {
    3
}
fn seven() -> u32 {
    7
}

fn identifier(text: &str) -> bool {
    !text.is_empty() && text.len() <= 128 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The columns the starter playbook reads besides the snapshot's built-in metrics: the health
/// score's band (`health_band`, from `HealthScores` added as `health`), the churn probability
/// (`churn_probability`, a churn forecast added as `churn`) and the Pareto tier (`tier`).
pub const STARTER_COLUMNS: &[&str] = &["health_band", "churn_probability", "tier"];

impl Playbook {
    /// The starter playbook shipped with custfit (`core/src/play/starter.json`): the seeds'
    /// lifecycle plays (onboarding welcome and kickoff, training docs and webinar, adoption
    /// check-ins when usage is light, nurture when it is good, renewal reviews with the ROI deck,
    /// expansion: unused features and the hand-off to sales), segment plays (high value + low
    /// usage → site visit; executives with low usage → call; best users → advocacy ask) and
    /// event plays (onboarding not complete after 2 weeks, a sudden usage decline, fewer than
    /// half the users active in a week, more than 10 support tickets in 2 months, the champion
    /// away for a month or gone, renewing within 60 days at high risk), plus the SPEC's worked
    /// example (no login for 30 days: a call above $5,000 MRR, the feature-highlights drip below
    /// $99). It reads the built-in metrics and [`STARTER_COLUMNS`].
    pub fn starter() -> Playbook {
        // The file is tested to parse and validate; fall back to an empty playbook rather than
        // panic.
        <Playbook as crate::document::Document>::from_json_str(include_str!("starter.json")).unwrap_or_else(|_| Playbook {
            version: PLAYBOOK_VERSION,
            name: "starter".into(),
            limits: Limits::default(),
            suppress: Suppression::default(),
            holdout: None,
            plays: Vec::new(),
        })
    }

    /// Checks the document beyond its shape (expressions are compiled against a frame when the
    /// playbook runs).
    pub fn validate(&self) -> Result<()> {
        if self.version != PLAYBOOK_VERSION {
            return Err(Error::UnsupportedVersion { what: "playbook".into(), found: self.version, supported: PLAYBOOK_VERSION });
        }
        if self.plays.len() > MAX_PLAYS {
            return Err(Error::config("plays", format!("at most {MAX_PLAYS} plays")));
        }
        let hours_ok = |h: f64| h.is_finite() && (0.0..=crate::segment::HOURS_PER_YEAR).contains(&h);
        for (owner, h) in &self.limits.capacity_hours {
            if !hours_ok(*h) {
                return Err(Error::config(format!("limits.capacity_hours.{owner}"), "must lie in 0..=8784 hours"));
            }
        }
        if self.limits.default_capacity_hours.is_some_and(|h| !hours_ok(h)) {
            return Err(Error::config("limits.default_capacity_hours", "must lie in 0..=8784 hours"));
        }
        if let Some(h) = &self.holdout {
            check_share("holdout", h.share, &h.salt)?;
        }
        if self.limits.owner_column.is_empty() {
            return Err(Error::config("limits.owner_column", "must name a column"));
        }
        for (i, p) in self.plays.iter().enumerate() {
            let path = format!("plays[{i}]");
            if !identifier(&p.id) {
                return Err(Error::config(
                    format!("{path}.id"),
                    format!("`{}` must be an identifier (letters, digits, _, -)", p.id),
                ));
            }
            if self.plays[..i].iter().any(|q| q.id == p.id) {
                return Err(Error::config(format!("{path}.id"), format!("`{}` is used twice", p.id)));
            }
            if !identifier(&p.tactic.kind) {
                return Err(Error::config(
                    format!("{path}.tactic.kind"),
                    "must be an identifier (call, email, … or a custom kind)",
                ));
            }
            if !(p.tactic.effort_hours.is_finite() && (0.0..=crate::segment::HOURS_PER_YEAR).contains(&p.tactic.effort_hours)) {
                return Err(Error::config(format!("{path}.tactic.effort_hours"), "must lie in 0..=8784 hours"));
            }
            if p.tactic.due_in_days > 3660 {
                return Err(Error::config(format!("{path}.tactic.due_in_days"), "at most 3660 days"));
            }
            if let Firing::Level { cooldown } = &p.firing {
                cooldown.validate(&format!("{path}.firing.cooldown"))?;
            }
            if let Some(w) = &p.reentry {
                w.validate(&format!("{path}.reentry"))?;
            }
            if let Some(h) = &p.holdout {
                check_share(&format!("{path}.holdout"), h.share, &h.salt)?;
                if h.stratify_by.as_deref().is_some_and(str::is_empty) {
                    return Err(Error::config(format!("{path}.holdout.stratify_by"), "must name a column"));
                }
            }
            if let Trigger::Schedule { every, anchor, .. } = &p.trigger {
                every.validate(&format!("{path}.trigger.every"))?;
                if anchor.is_empty() {
                    return Err(Error::config(format!("{path}.trigger.anchor"), "must name a timestamp column"));
                }
            }
        }
        Ok(())
    }
}

crate::document::document! {
    Playbook => "playbook", PLAYBOOK_VERSION;
}
