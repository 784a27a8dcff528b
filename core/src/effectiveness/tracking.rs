//! Tracking accounts against their improvement plans over time: a [`PlanTracker`] keeps every
//! plan made (the original and each re-plan, with why it was made and how it ended) and the
//! actuals seen at every check, in one versioned JSON document — the essay's spreadsheet of plan,
//! re-plans and actuals, per account.
//!
//! At each check (an assessment as of a date) every assessed account's open plan gets an actual
//! (its metrics now, which steps are met, the share of the gap closed) and is then kept or
//! closed: `achieved` once the account reaches the plan's phase, `regressed` when it falls below
//! the level it was planned from, `model_changed` when the model it was made from changed (plans
//! name their model by a digest), `expired` past its due date. An account below the top phase without an open plan gets a new one (its
//! first, or a re-plan after the one closed), due `horizon` later, from its assessment's plan
//! steps: its baselines now, the phase's targets and its peers' stretch targets.

use serde::{Deserialize, Serialize};

use super::{assess, MaturityAssessment, MaturityModel, PlanStep};
use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};
use crate::time::{Timestamp, Window};

/// Version of the plan tracker document.
pub const PLAN_TRACKER_VERSION: u32 = 1;

/// Why a plan was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanReason {
    /// The account's first plan.
    Initial,
    /// The previous plan was achieved: a plan for the phase after.
    Achieved,
    /// The account fell below the level the previous plan started from.
    Regressed,
    /// The previous plan passed its due date unachieved.
    Expired,
    /// The maturity model changed.
    ModelChanged,
}

/// How a plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanOutcome {
    /// The account reached the plan's phase (or beyond).
    Achieved,
    /// The account fell below the level the plan started from.
    Regressed,
    /// Its due date passed first.
    Expired,
    /// The maturity model changed.
    ModelChanged,
}

/// One plan: the original or a re-plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImprovementPlan {
    /// The account.
    pub account_id: String,
    /// 1 for its first plan, then 2, 3 … for each re-plan.
    pub revision: u32,
    /// Why it was made.
    pub reason: PlanReason,
    /// When (the check's as-of instant).
    pub made_at: Timestamp,
    /// When it is due.
    pub due: Timestamp,
    /// The account's level then (0 below the first phase).
    pub level: u32,
    /// The phase it aims for.
    pub target_phase: String,
    /// The model it was made from: `fnv1a64:` and 16 hex digits of the model's compact JSON.
    pub model: String,
    /// The behaviours to reach, with their baselines, targets and stretch targets.
    pub steps: Vec<PlanStep>,
    /// When it was closed (missing while open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// How it ended (missing while open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<PlanOutcome>,
}

/// What a check saw of an account's open plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanActual {
    /// The account.
    pub account_id: String,
    /// The plan's revision.
    pub revision: u32,
    /// The check's as-of instant.
    pub at: Timestamp,
    /// The account's level then.
    pub level: u32,
    /// Per step of the plan, its metric's value then.
    pub values: Vec<Option<f64>>,
    /// Per step, whether it is met.
    pub met: Vec<bool>,
    /// Share of the plan's gaps closed, 0 to 1: per step, 1 when met, else the part of the way
    /// from its baseline to its target covered (0 without a value); averaged over the steps.
    pub progress: f64,
}

/// How long plans run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrackingPolicy {
    /// A plan is due this long after it is made (default 90 days).
    #[serde(default = "ninety_days")]
    pub horizon: Window,
}

fn ninety_days() -> Window {
    Window::days(90)
}

impl Default for TrackingPolicy {
    fn default() -> Self {
        TrackingPolicy { horizon: ninety_days() }
    }
}

/// Every plan, re-plan and actual of a set of accounts: versioned JSON, the same in every
/// language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanTracker {
    /// Document version ([`PLAN_TRACKER_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// How long plans run.
    #[serde(default)]
    pub policy: TrackingPolicy,
    /// The checks' as-of instants, ascending.
    #[serde(default)]
    pub checks: Vec<Timestamp>,
    /// Every plan, in the order made.
    #[serde(default)]
    pub plans: Vec<ImprovementPlan>,
    /// Every actual, in check then account order.
    #[serde(default)]
    pub actuals: Vec<PlanActual>,
}

fn version() -> u32 {
    PLAN_TRACKER_VERSION
}

impl Default for PlanTracker {
    fn default() -> Self {
        Self::new(TrackingPolicy::default())
    }
}

/// Where an account stands against its plan after a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Its plan's progress keeps up with the time elapsed (a plan made at this check too).
    OnTrack,
    /// Its progress lags the time elapsed.
    Behind,
    /// At the top phase: nothing to plan.
    Top,
}

/// One account after a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlanProgress {
    /// The account.
    pub account_id: String,
    /// Its level now.
    pub level: u32,
    /// Its open plan's revision (missing at the top phase).
    pub revision: Option<u32>,
    /// The phase the open plan aims for.
    pub target_phase: Option<String>,
    /// When the open plan is due.
    pub due: Option<Timestamp>,
    /// Share of the open plan's gaps closed (0 for a plan made now).
    pub progress: Option<f64>,
    /// Share of the open plan's time elapsed.
    pub elapsed: Option<f64>,
    /// Steps of the open plan met now, of `steps`.
    pub steps_met: u32,
    /// Steps of the open plan.
    pub steps: u32,
    /// Where it stands.
    pub status: PlanStatus,
    /// How the plan open before this check ended at it (missing: it goes on, or there was none).
    pub closed: Option<PlanOutcome>,
}

/// Every assessed account after a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlanCheck {
    /// The check's as-of instant.
    pub at: Timestamp,
    /// Per assessed account, in the frame's order.
    pub accounts: Vec<PlanProgress>,
    /// Plans made at this check (first plans and re-plans).
    pub plans_made: u64,
    /// Plans closed at this check because achieved.
    pub achieved: u64,
    /// … because the account regressed.
    pub regressed: u64,
    /// … because they expired.
    pub expired: u64,
    /// … because the model changed.
    pub model_changed: u64,
}

impl ToColumns for PlanCheck {
    /// By account id: `{name}_status` (`on_track` / `behind` / `top`), `{name}_progress`,
    /// `{name}_elapsed`, `{name}_target` (the phase aimed for), `{name}_due`, `{name}_revision`.
    fn account_columns(&self, name: &str) -> AccountColumns {
        let a = &self.accounts;
        let status = |s: PlanStatus| match s {
            PlanStatus::OnTrack => "on_track",
            PlanStatus::Behind => "behind",
            PlanStatus::Top => "top",
        };
        AccountColumns::by_account(
            a.iter().map(|x| x.account_id.clone()).collect(),
            vec![
                Column::new(format!("{name}_status"), ColumnData::Str(a.iter().map(|x| Some(status(x.status).into())).collect())),
                Column::new(format!("{name}_progress"), ColumnData::Float(a.iter().map(|x| x.progress).collect())),
                Column::new(format!("{name}_elapsed"), ColumnData::Float(a.iter().map(|x| x.elapsed).collect())),
                Column::new(format!("{name}_target"), ColumnData::Str(a.iter().map(|x| x.target_phase.clone()).collect())),
                Column::new(format!("{name}_due"), ColumnData::Timestamp(a.iter().map(|x| x.due).collect())),
                Column::new(format!("{name}_revision"), ColumnData::Int(a.iter().map(|x| x.revision.map(i64::from)).collect())),
            ],
        )
    }
}

impl PlanTracker {
    /// An empty tracker.
    pub fn new(policy: TrackingPolicy) -> Self {
        PlanTracker { version: PLAN_TRACKER_VERSION, policy, checks: Vec::new(), plans: Vec::new(), actuals: Vec::new() }
    }

    /// Checks the policy, the model and that the history is consistent (checks ascending;
    /// revisions counting up per account; at most one open plan per account; actuals of known
    /// plans at known checks).
    pub fn validate(&self) -> Result<()> {
        if self.version != PLAN_TRACKER_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "plan tracker".into(),
                found: self.version,
                supported: PLAN_TRACKER_VERSION,
            });
        }
        self.policy.horizon.validate("policy.horizon")?;
        if self.policy.horizon.amount == 0 {
            return Err(Error::config("policy.horizon", "must be longer than 0"));
        }
        if let Some(w) = self.checks.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::config("checks", format!("must be ascending and distinct: {} then {}", w[0], w[1])));
        }
        let mut last: std::collections::HashMap<&str, (u32, bool)> = std::collections::HashMap::new();
        for (i, p) in self.plans.iter().enumerate() {
            let (revision, open) = last.get(p.account_id.as_str()).copied().unwrap_or((0, false));
            if p.revision != revision + 1 || open {
                return Err(Error::config(
                    format!("plans[{i}]"),
                    format!(
                        "account `{}`: revision {} follows revision {revision}{}",
                        p.account_id,
                        p.revision,
                        if open { ", still open" } else { "" }
                    ),
                ));
            }
            if p.closed_at.is_some() != p.outcome.is_some() || p.due <= p.made_at {
                return Err(Error::config(
                    format!("plans[{i}]"),
                    "a closed plan has both `closed_at` and `outcome`; `due` follows `made_at`",
                ));
            }
            last.insert(&p.account_id, (p.revision, p.closed_at.is_none()));
        }
        let steps: std::collections::HashMap<(&str, u32), usize> =
            self.plans.iter().map(|p| ((p.account_id.as_str(), p.revision), p.steps.len())).collect();
        for (i, a) in self.actuals.iter().enumerate() {
            let n = steps.get(&(a.account_id.as_str(), a.revision));
            let ok = n.is_some_and(|&n| n == a.values.len() && n == a.met.len())
                && self.checks.binary_search(&a.at).is_ok()
                && a.progress.is_finite();
            if !ok {
                return Err(Error::config(
                    format!("actuals[{i}]"),
                    format!(
                        "no plan {} of `{}` with {} steps, or no check at {}",
                        a.revision,
                        a.account_id,
                        a.values.len(),
                        a.at
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The last check's instant.
    pub fn last_check(&self) -> Option<Timestamp> {
        self.checks.last().copied()
    }

    /// Every plan of one account, oldest first.
    pub fn plans_of(&self, account_id: &str) -> Vec<&ImprovementPlan> {
        self.plans.iter().filter(|p| p.account_id == account_id).collect()
    }

    /// Every actual of one account, oldest first.
    pub fn actuals_of(&self, account_id: &str) -> Vec<&PlanActual> {
        self.actuals.iter().filter(|a| a.account_id == account_id).collect()
    }

    /// Assesses `frame` against `model` and records the result as a check at the frame's as-of
    /// instant (see [`PlanTracker::record`]).
    pub fn track(&mut self, frame: &Snapshot, model: &MaturityModel) -> Result<PlanCheck> {
        let assessment = assess(frame, model)?;
        self.record(frame.as_of(), model, &assessment)
    }

    /// Records `assessment` (of `model`) as a check at `at`: each assessed account's open plan
    /// gets an actual and is kept or closed, and accounts below the top without an open plan get
    /// one. `at` must follow the last check; the same check sent again (same instant, same
    /// assessment) changes nothing and returns the same result, a different one at the same
    /// instant is refused; a refused check leaves the tracker unchanged. Accounts not in the
    /// assessment are left as they are; an account assessed twice is refused.
    pub fn record(&mut self, at: Timestamp, model: &MaturityModel, assessment: &MaturityAssessment) -> Result<PlanCheck> {
        self.validate()?;
        model.validate()?;
        let names: Vec<&str> = model.phases.iter().map(|p| p.name.as_str()).collect();
        if assessment.phases.iter().map(String::as_str).ne(names.iter().copied()) {
            return Err(Error::argument("assessment", "was not made with this model (its phases differ)"));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = assessment.accounts.iter().find(|a| !seen.insert(a.account_id.as_str())) {
            return Err(Error::argument("assessment", format!("account `{}` is assessed twice", dup.account_id)));
        }
        if let Some(last) = self.last_check() {
            if at == last {
                // The same check again: nothing changes if it is the one recorded.
                let mut before = self.clone();
                before.rewind(at);
                let again = before.apply(at, model, assessment)?;
                if before == *self {
                    return Ok(again);
                }
                return Err(Error::argument("at", format!("a different check is already recorded at {at}")));
            }
            if at < last {
                return Err(Error::argument(
                    "at",
                    format!("{at} is before the last check ({last}): checks are recorded in time order"),
                ));
            }
        }
        let mut next = self.clone();
        let check = next.apply(at, model, assessment)?;
        *self = next;
        Ok(check)
    }

    /// Undoes the check at `at` (the last one): its actuals, the plans it made, the closings it
    /// made. Used to recognise a check sent again.
    fn rewind(&mut self, at: Timestamp) {
        self.checks.retain(|c| *c != at);
        self.actuals.retain(|a| a.at != at);
        self.plans.retain(|p| p.made_at != at);
        for p in &mut self.plans {
            if p.closed_at == Some(at) {
                p.closed_at = None;
                p.outcome = None;
            }
        }
    }

    fn apply(&mut self, at: Timestamp, model: &MaturityModel, assessment: &MaturityAssessment) -> Result<PlanCheck> {
        let digest = model_digest(model);
        let due = self.policy.horizon.end(at);
        if due <= at {
            return Err(Error::argument("at", format!("{at}: a plan made then would be due at or before it")));
        }
        // Each account's open plan and last revision (plans are in revision order per account).
        let mut latest: std::collections::HashMap<String, (Option<usize>, u32)> = std::collections::HashMap::new();
        for (i, p) in self.plans.iter().enumerate() {
            latest.insert(p.account_id.clone(), (p.closed_at.is_none().then_some(i), p.revision));
        }
        let mut accounts = Vec::with_capacity(assessment.accounts.len());
        let mut actuals = Vec::new();
        let mut made = Vec::new();
        let mut closed_count = [0u64; 4];
        for a in &assessment.accounts {
            let mut closed = None;
            let mut row = None;
            if let Some(&(Some(i), _)) = latest.get(&a.account_id) {
                let plan = &self.plans[i];
                // The actual: each step's metric now, against the plan's own targets.
                let values: Vec<Option<f64>> = plan
                    .steps
                    .iter()
                    .map(|s| {
                        a.behaviours
                            .iter()
                            .find(|b| b.behaviour == s.behaviour && b.phase == plan.target_phase)
                            .and_then(|b| b.value)
                    })
                    .collect();
                let met: Vec<bool> = plan.steps.iter().zip(&values).map(|(s, v)| v.is_some_and(|v| s.reached(v))).collect();
                let progress = plan_progress(&plan.steps, &values, &met);
                let steps_met = met.iter().filter(|m| **m).count() as u32;
                actuals.push(PlanActual {
                    account_id: a.account_id.clone(),
                    revision: plan.revision,
                    at,
                    level: a.level,
                    values,
                    met,
                    progress,
                });
                let target_level = model.phases.iter().position(|p| p.name == plan.target_phase).map(|k| k as u32 + 1);
                closed = if target_level.is_some_and(|t| a.level >= t) {
                    Some(PlanOutcome::Achieved)
                } else if a.level < plan.level {
                    Some(PlanOutcome::Regressed)
                } else if plan.model != digest || target_level.is_none() {
                    Some(PlanOutcome::ModelChanged)
                } else if at >= plan.due {
                    Some(PlanOutcome::Expired)
                } else {
                    None
                };
                match closed {
                    Some(o) => {
                        closed_count[o as usize] += 1;
                        self.plans[i].closed_at = Some(at);
                        self.plans[i].outcome = Some(o);
                    }
                    None => {
                        let span = (plan.due.millis() - plan.made_at.millis()) as f64;
                        let elapsed = ((at.millis() - plan.made_at.millis()) as f64 / span).clamp(0.0, 1.0);
                        row = Some(PlanProgress {
                            account_id: a.account_id.clone(),
                            level: a.level,
                            revision: Some(plan.revision),
                            target_phase: Some(plan.target_phase.clone()),
                            due: Some(plan.due),
                            progress: Some(progress),
                            elapsed: Some(elapsed),
                            steps_met,
                            steps: plan.steps.len() as u32,
                            status: if progress >= elapsed { PlanStatus::OnTrack } else { PlanStatus::Behind },
                            closed: None,
                        });
                    }
                }
            }
            let row = match (row, &a.next_phase) {
                (Some(row), _) => row,
                (None, Some(next)) => {
                    // A new plan: the first, or a re-plan after the one just closed.
                    let revision = latest.get(&a.account_id).map_or(0, |l| l.1) + 1;
                    let reason = match closed {
                        None => PlanReason::Initial,
                        Some(PlanOutcome::Achieved) => PlanReason::Achieved,
                        Some(PlanOutcome::Regressed) => PlanReason::Regressed,
                        Some(PlanOutcome::Expired) => PlanReason::Expired,
                        Some(PlanOutcome::ModelChanged) => PlanReason::ModelChanged,
                    };
                    made.push(ImprovementPlan {
                        account_id: a.account_id.clone(),
                        revision,
                        reason,
                        made_at: at,
                        due,
                        level: a.level,
                        target_phase: next.clone(),
                        model: digest.clone(),
                        steps: a.plan.clone(),
                        closed_at: None,
                        outcome: None,
                    });
                    PlanProgress {
                        account_id: a.account_id.clone(),
                        level: a.level,
                        revision: Some(revision),
                        target_phase: Some(next.clone()),
                        due: Some(due),
                        progress: Some(0.0),
                        elapsed: Some(0.0),
                        steps_met: 0,
                        steps: a.plan.len() as u32,
                        status: PlanStatus::OnTrack,
                        closed,
                    }
                }
                (None, None) => PlanProgress {
                    account_id: a.account_id.clone(),
                    level: a.level,
                    revision: None,
                    target_phase: None,
                    due: None,
                    progress: None,
                    elapsed: None,
                    steps_met: 0,
                    steps: 0,
                    status: PlanStatus::Top,
                    closed,
                },
            };
            accounts.push(row);
        }
        let plans_made = made.len() as u64;
        self.plans.extend(made);
        self.actuals.extend(actuals);
        self.checks.push(at);
        let [achieved, regressed, expired, model_changed] = closed_count;
        Ok(PlanCheck { at, accounts, plans_made, achieved, regressed, expired, model_changed })
    }
}

/// The digest naming a model in its plans.
fn model_digest(model: &MaturityModel) -> String {
    let text = serde_json::to_string(model).unwrap_or_default();
    format!("fnv1a64:{:016x}", crate::document::fnv1a64(text.as_bytes()))
}

/// The share of a plan's gaps closed: per step 1 when met, else the part of the way from its
/// baseline to its target covered (clamped to 0..1; 0 without a value or a baseline), averaged.
fn plan_progress(steps: &[PlanStep], values: &[Option<f64>], met: &[bool]) -> f64 {
    if steps.is_empty() {
        return 1.0;
    }
    let sum: f64 = steps
        .iter()
        .zip(values)
        .zip(met)
        .map(|((s, v), m)| {
            if *m {
                return 1.0;
            }
            match (s.baseline, v) {
                (Some(b), Some(v)) if (s.target - b).abs() > 0.0 => ((v - b) / (s.target - b)).clamp(0.0, 1.0),
                _ => 0.0,
            }
        })
        .sum();
    sum / steps.len() as f64
}

crate::document::document! {
    PlanTracker => "plan tracker", PLAN_TRACKER_VERSION;
}
