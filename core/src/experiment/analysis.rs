//! The experiment of each play, read from its ledger: who entered which arm when (intent to
//! treat: each account's first record of the play), what happened to them afterwards
//! (retention, a usage metric, revenue), and what that says — effect, interval, p-value,
//! sample-ratio check, CUPED reduction, an always-valid interval if asked, and a plain verdict.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::estimate::{cuped, sequential, welch_summary, ArmSummary, Effect, SequentialInterval};
use super::power::mde_means;
use super::srm::{sample_ratio_mismatch, SampleRatioCheck};
use super::survival::{log_rank, KaplanMeier, LogRank};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::SnapshotConfig;
use crate::outcome::{churn_dates, in_force, SubscriptionChurn};
use crate::play::{Arm, PlayState, Playbook};
use crate::time::{Timestamp, Window, MS_PER_DAY};

/// Version of the analysis config this build reads and writes.
pub const ANALYSIS_VERSION: u32 = 1;

/// Most groups (plays or named groups) one analysis reports.
pub const MAX_GROUPS: usize = 10_000;

/// Most distinct dates (entries and horizons) a metric outcome takes a snapshot at: ten years
/// of weekly runs, twice.
pub const MAX_METRIC_DATES: usize = 1_040;

/// Most observations [`analyse_observations`] takes.
pub const MAX_OBSERVATIONS: usize = 100_000_000;

/// What is measured after each account entered the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Still a customer `horizon` after entering, as a censored time-to-event outcome: the days
    /// from entering to the first churn after it (by the subscription churn definition), or to
    /// the data's end or the horizon, whichever comes first. Each arm's Kaplan–Meier survival at
    /// the horizon is compared, with the log-rank test beside it.
    Retention {
        /// How long after entering (default 90 days).
        #[serde(default = "ninety_days")]
        horizon: Window,
        /// The churn definition.
        #[serde(default)]
        churn: SubscriptionChurn,
    },
    /// A snapshot metric `horizon` after entering (`active_days_30d`, a custom metric …),
    /// adjusted by its value at entering (CUPED) — "usage after vs before".
    Metric {
        /// The metric's column name in a snapshot.
        metric: String,
        /// How long after entering (default 30 days).
        #[serde(default = "thirty_days")]
        horizon: Window,
        /// The snapshot config defining the metric (default: the built-ins).
        #[serde(default)]
        snapshot: SnapshotConfig,
    },
    /// The change of MRR (major units) from entering to `horizon` after — expansion positive,
    /// contraction and churn negative — adjusted by the MRR at entering.
    Revenue {
        /// How long after entering (default 90 days).
        #[serde(default = "ninety_days")]
        horizon: Window,
    },
}

fn ninety_days() -> Window {
    Window::days(90)
}
fn thirty_days() -> Window {
    Window::days(30)
}

impl Outcome {
    /// The outcome's name in results: `retention`, `metric:<name>`, `revenue`.
    pub fn name(&self) -> String {
        match self {
            Outcome::Retention { .. } => "retention".into(),
            Outcome::Metric { metric, .. } => format!("metric:{metric}"),
            Outcome::Revenue { .. } => "revenue".into(),
        }
    }

    /// The horizon.
    pub fn horizon(&self) -> Window {
        match self {
            Outcome::Retention { horizon, .. } | Outcome::Metric { horizon, .. } | Outcome::Revenue { horizon } => *horizon,
        }
    }
}

/// Which held-out accounts a play's treated accounts are compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// The play's own holdout when it has records in it, otherwise the global holdout.
    #[default]
    Auto,
    /// The play's own holdout (the effect of this play alone).
    Holdout,
    /// The global holdout (the effect of the play together with whatever else the playbook did
    /// to those accounts).
    GlobalHoldout,
}

/// The always-valid interval's setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SequentialConfig {
    /// Total accounts at which the interval is tightest (default 5,000; 1 to 10^9).
    #[serde(default = "five_thousand")]
    pub tuning: f64,
}

fn five_thousand() -> f64 {
    5000.0
}

/// How to analyse the experiments of a ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Document version ([`ANALYSIS_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// What is measured.
    pub outcome: Outcome,
    /// The plays analysed one by one (empty: every play of the ledger).
    #[serde(default)]
    pub plays: Vec<String>,
    /// Named groups of plays analysed together: an account enters a group at its first record
    /// in any of the group's plays, in that record's arm.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// The control arm.
    #[serde(default)]
    pub control: Control,
    /// Only accounts that entered at or after this instant.
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// Only accounts that entered at or before this instant.
    #[serde(default)]
    pub to: Option<Timestamp>,
    /// Outcomes are known up to here (default: the data's end; never after it).
    #[serde(default)]
    pub known_at: Option<Timestamp>,
    /// Confidence level of the intervals (default 0.95).
    #[serde(default = "confidence")]
    pub confidence: f64,
    /// The sample-ratio check flags a mismatch below this p-value (default 0.001).
    #[serde(default = "srm_threshold")]
    pub srm_threshold: f64,
    /// Fewer observed accounts than this in either arm: `not_enough_data` (default 30; 2 to
    /// 1,000,000).
    #[serde(default = "thirty")]
    pub min_per_arm: u32,
    /// Adjust by the pre-period value (CUPED) when there is one (default true).
    #[serde(default = "yes")]
    pub cuped: bool,
    /// Also report an always-valid interval, and base the verdict on it (for teams that look
    /// every week).
    #[serde(default)]
    pub sequential: Option<SequentialConfig>,
    /// Higher outcomes are better (default true: retention, usage and revenue all are).
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// The control arm's expected share of the compared accounts, per play or group (default:
    /// from the playbook's holdout shares).
    #[serde(default)]
    pub expected_control_share: BTreeMap<String, f64>,
}

fn version() -> u32 {
    ANALYSIS_VERSION
}
fn confidence() -> f64 {
    0.95
}
fn srm_threshold() -> f64 {
    0.001
}
fn thirty() -> u32 {
    30
}
fn yes() -> bool {
    true
}

impl AnalysisConfig {
    /// Defaults for `outcome`.
    pub fn new(outcome: Outcome) -> Self {
        AnalysisConfig {
            version: ANALYSIS_VERSION,
            outcome,
            plays: Vec::new(),
            groups: BTreeMap::new(),
            control: Control::Auto,
            from: None,
            to: None,
            known_at: None,
            confidence: 0.95,
            srm_threshold: 0.001,
            min_per_arm: 30,
            cuped: true,
            sequential: None,
            higher_is_better: true,
            expected_control_share: BTreeMap::new(),
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        if self.version != ANALYSIS_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "analysis config".into(),
                found: self.version,
                supported: ANALYSIS_VERSION,
            });
        }
        let horizon = self.outcome.horizon();
        horizon.validate("outcome.horizon")?;
        if horizon.amount == 0 {
            return Err(Error::config("outcome.horizon", "must be longer than 0"));
        }
        match &self.outcome {
            Outcome::Retention { churn, .. } => churn.validate()?,
            Outcome::Metric { metric, snapshot, .. } => {
                if metric.is_empty() {
                    return Err(Error::config("outcome.metric", "must name a snapshot column"));
                }
                snapshot.validate()?;
            }
            Outcome::Revenue { .. } => {}
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return Err(Error::config("confidence", format!("must be in (0.5, 1), got {}", self.confidence)));
        }
        if !(self.srm_threshold > 0.0 && self.srm_threshold <= 0.5) {
            return Err(Error::config("srm_threshold", format!("must be in (0, 0.5], got {}", self.srm_threshold)));
        }
        if !(2..=1_000_000).contains(&self.min_per_arm) {
            return Err(Error::config("min_per_arm", "must be 2 to 1,000,000"));
        }
        if let Some(s) = &self.sequential {
            if !(s.tuning.is_finite() && (1.0..=super::MAX_TUNING).contains(&s.tuning)) {
                return Err(Error::config("sequential.tuning", "must be 1 to 10^9 accounts"));
            }
        }
        if self.plays.len() + self.groups.len() > MAX_GROUPS {
            return Err(Error::config("plays", format!("at most {MAX_GROUPS} plays and groups")));
        }
        for (name, plays) in &self.groups {
            if plays.is_empty() {
                return Err(Error::config(format!("groups.{name}"), "names no play"));
            }
            if self.plays.contains(name) {
                return Err(Error::config(format!("groups.{name}"), "a group cannot share its name with a play analysed alone"));
            }
        }
        for (name, share) in &self.expected_control_share {
            if !(share.is_finite() && *share > 0.0 && *share < 1.0) {
                return Err(Error::config(format!("expected_control_share.{name}"), "must be in (0, 1)"));
            }
        }
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if t < f {
                return Err(Error::config("to", "must not be before `from`"));
            }
        }
        Ok(())
    }
}

/// One account's part in one experiment (a play or a group): its arm, when it entered, and
/// what was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Observation {
    /// The play or group.
    pub group: String,
    /// The account.
    pub account_id: String,
    /// Its arm (from its first record).
    pub arm: Arm,
    /// When it entered (its first record's creation).
    pub entered: Timestamp,
    /// The outcome (metric or revenue outcomes), missing when not observed yet.
    #[serde(default)]
    pub value: Option<f64>,
    /// The pre-period value (the metric or the MRR at entering), if known.
    #[serde(default)]
    pub pre: Option<f64>,
    /// Retention: days from entering to churn or censoring.
    #[serde(default)]
    pub duration_days: Option<f64>,
    /// Retention: whether it churned at `duration_days` (false: still a customer then).
    #[serde(default)]
    pub churned: bool,
}

/// The plain verdict of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval lies wholly on the good side of no effect.
    Works,
    /// The interval lies wholly on the bad side of no effect.
    Harmful,
    /// Too few accounts observed in an arm, or an interval that still spans no effect.
    NotEnoughData,
    /// The arms' sizes are not what the assignment implies: fix the assignment before reading
    /// the effect.
    SampleRatioMismatch,
}

impl Verdict {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Works => "works",
            Verdict::Harmful => "harmful",
            Verdict::NotEnoughData => "not_enough_data",
            Verdict::SampleRatioMismatch => "sample_ratio_mismatch",
        }
    }
}

/// One arm's survival at the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SurvivalAt {
    /// Kaplan–Meier survival at the horizon.
    pub survival: f64,
    /// Greenwood standard error.
    pub std_error: f64,
    /// Interval (log(−log)).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Accounts.
    pub accounts: u64,
    /// Churns observed within the horizon.
    pub churned: u64,
}

/// The retention detail of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionDetail {
    /// Where the curves are read, in days after entering.
    pub horizon_days: f64,
    /// The treated arm.
    pub treatment: SurvivalAt,
    /// The control arm.
    pub control: SurvivalAt,
    /// The log-rank test of the two curves up to the horizon (treatment first).
    pub log_rank: LogRank,
}

/// CUPED's part in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CupedSummary {
    /// θ, pooled within arms.
    pub theta: f64,
    /// Share of the outcome's variance removed by the adjustment.
    pub variance_reduction: f64,
}

/// The experiment of one play (or group of plays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExperimentResult {
    /// The play or group.
    pub group: String,
    /// Its plays.
    pub plays: Vec<String>,
    /// The outcome's name (`retention`, `metric:<name>`, `revenue`).
    pub outcome: String,
    /// The control arm compared with (`holdout` or `global_holdout`).
    pub control: Arm,
    /// Accounts that entered the treated arm.
    pub treatment_accounts: u64,
    /// Accounts that entered the control arm.
    pub control_accounts: u64,
    /// The control arm's expected share of the two, when known.
    pub expected_control_share: Option<f64>,
    /// The sample-ratio check (when the expected share is known and both arms have accounts).
    pub srm: Option<SampleRatioCheck>,
    /// Treated accounts with an observed outcome.
    pub treatment_observed: u64,
    /// Control accounts with an observed outcome.
    pub control_observed: u64,
    /// The treated arm's outcome: the mean, or the survival at the horizon.
    pub treatment_value: Option<f64>,
    /// The control arm's outcome.
    pub control_value: Option<f64>,
    /// Mean pre-period value of the treated (metric and revenue outcomes).
    pub treatment_pre: Option<f64>,
    /// Mean pre-period value of the control arm.
    pub control_pre: Option<f64>,
    /// Treated − control (CUPED-adjusted when `cuped` is reported).
    pub difference: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// The interval of the difference at the config's confidence.
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Difference / control outcome.
    pub relative_lift: Option<f64>,
    /// Its interval (delta method).
    pub relative_ci_low: Option<f64>,
    /// Upper end.
    pub relative_ci_high: Option<f64>,
    /// Two-sided p-value of no difference.
    pub p_value: Option<f64>,
    /// CUPED's θ and variance reduction, when it was applied.
    pub cuped: Option<CupedSummary>,
    /// The always-valid interval, when asked for.
    pub sequential: Option<SequentialInterval>,
    /// Retention only: each arm's survival and the log-rank test.
    pub retention: Option<RetentionDetail>,
    /// The smallest difference these arms detect with 80 % power at the config's level (from the
    /// observed spread).
    pub detectable_effect: Option<f64>,
    /// The plain verdict.
    pub verdict: Verdict,
    /// Why, in words.
    pub reason: String,
}

/// The experiments of a ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExperimentReport {
    /// Outcomes known up to here.
    pub known_at: Option<Timestamp>,
    /// The outcome's name.
    pub outcome: String,
    /// One result per play and group, plays in config (or ledger) order, then groups by name.
    pub results: Vec<ExperimentResult>,
}

/// The groups analysed: (name, plays).
type Groups = Vec<(String, Vec<String>)>;

/// The groups analysed: (name, plays), plays first.
fn groups_of(state: &PlayState, config: &AnalysisConfig) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    if config.plays.is_empty() && config.groups.is_empty() {
        let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
        for a in &state.actions {
            if seen.insert(a.play.as_str()) {
                out.push((a.play.to_string(), vec![a.play.to_string()]));
            }
        }
    } else {
        out.extend(config.plays.iter().map(|p| (p.clone(), vec![p.clone()])));
    }
    out.extend(config.groups.iter().map(|(g, p)| (g.clone(), p.clone())));
    out
}

/// Each account's first record in each group, within the config's entry window: (group index,
/// account, arm, entered), in group then ledger order.
fn enrollments<'s>(
    state: &'s PlayState,
    groups: &[(String, Vec<String>)],
    config: &AnalysisConfig,
) -> Vec<(usize, &'s str, Arm, Timestamp)> {
    let mut of_play: HashMap<&str, Vec<usize>> = HashMap::default();
    for (g, (_, plays)) in groups.iter().enumerate() {
        for p in plays {
            of_play.entry(p.as_str()).or_default().push(g);
        }
    }
    let mut first: HashMap<(usize, &str), usize> = HashMap::default();
    let mut out: Vec<(usize, &str, Arm, Timestamp)> = Vec::new();
    for a in &state.actions {
        let Some(gs) = of_play.get(a.play.as_str()) else { continue };
        if config.from.is_some_and(|f| a.created_at < f) || config.to.is_some_and(|t| a.created_at > t) {
            continue;
        }
        for &g in gs {
            let slot = first.entry((g, a.account_id.as_str())).or_insert(usize::MAX);
            if *slot == usize::MAX {
                *slot = out.len();
                out.push((g, a.account_id.as_str(), a.arm, a.created_at));
            } else if a.created_at < out[*slot].3 {
                out[*slot] = (g, a.account_id.as_str(), a.arm, a.created_at);
            }
        }
    }
    out.sort_by_key(|e| e.0);
    out
}

/// The control share the playbook implies for a group, compared with its treated arm.
fn implied_share(playbook: &Playbook, plays: &[String], control: Arm) -> Option<f64> {
    let global = playbook.holdout.as_ref().map_or(0.0, |g| g.share);
    let shares: Vec<f64> = plays
        .iter()
        .filter_map(|p| playbook.plays.iter().find(|q| &q.id == p))
        .map(|p| p.holdout.as_ref().map_or(0.0, |h| h.share))
        .collect();
    let own = *shares.first()?;
    if shares.iter().any(|s| (s - own).abs() > 1e-12) {
        return None;
    }
    let share = match control {
        // Among accounts outside the global holdout.
        Arm::Holdout => own,
        // Global holdout vs treated: g vs (1 − g)(1 − own).
        _ => global / (global + (1.0 - global) * (1.0 - own)),
    };
    (share > 0.0 && share < 1.0).then_some(share)
}

/// What was measured of one account: (outcome, pre-period value, days to churn or censoring,
/// churned).
type Measured = (Option<f64>, Option<f64>, Option<f64>, bool);

/// Measures `outcome` for each enrollment against `ds`, outcomes known up to `known`.
fn measure(
    ds: &Dataset,
    entries: &[(usize, &str, Arm, Timestamp)],
    outcome: &Outcome,
    known: Timestamp,
) -> Result<Vec<Measured>> {
    let index: HashMap<&str, usize> = ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let days = |from: Timestamp, to: Timestamp| (to.millis() - from.millis()) as f64 / MS_PER_DAY as f64;
    match outcome {
        Outcome::Retention { horizon, churn } => {
            let churns = churn_dates(ds, churn, known)?;
            Ok(entries
                .iter()
                .map(|&(_, id, _, t0)| {
                    let Some(&a) = index.get(id) else { return (None, None, None, false) };
                    let until = horizon.end(t0).min(known);
                    if until < t0 {
                        return (None, None, None, false);
                    }
                    match churns[a].iter().find(|&&c| c > t0) {
                        Some(&c) if c <= until => (None, None, Some(days(t0, c)), true),
                        _ => (None, None, Some(days(t0, until)), false),
                    }
                })
                .collect())
        }
        Outcome::Revenue { horizon } => {
            let scale = 10f64.powi(crate::data::currency_exponent(ds.currency.as_deref().unwrap_or("USD")) as i32);
            let mut out = Vec::with_capacity(entries.len());
            for &(_, id, _, t0) in entries {
                let Some(&a) = index.get(id) else {
                    out.push((None, None, None, false));
                    continue;
                };
                let end = horizon.end(t0);
                let before = in_force(ds, a, t0)?.mrr_minor as f64 / scale;
                let after = if end <= known { Some(in_force(ds, a, end)?.mrr_minor as f64 / scale - before) } else { None };
                out.push((after, Some(before), None, false));
            }
            Ok(out)
        }
        Outcome::Metric { metric, horizon, snapshot } => {
            // One snapshot per distinct date (entries and horizons), built side by side; of each,
            // only the values some entry needs are kept (memory grows with the entries).
            let mut wanted: Vec<(Timestamp, usize)> = Vec::with_capacity(2 * entries.len());
            for &(_, id, _, t0) in entries {
                let Some(&a) = index.get(id) else { continue };
                wanted.push((t0, a));
                let end = horizon.end(t0);
                if end <= known {
                    wanted.push((end, a));
                }
            }
            wanted.sort_unstable();
            wanted.dedup();
            let mut dates: Vec<Timestamp> = wanted.iter().map(|w| w.0).collect();
            dates.dedup();
            if dates.len() > MAX_METRIC_DATES {
                return Err(Error::argument(
                    "state",
                    format!(
                        "entries on {} distinct dates: a metric outcome takes one snapshot per entry and horizon date (at most {MAX_METRIC_DATES})",
                        dates.len()
                    ),
                ));
            }
            let one = |i: usize| -> Result<Vec<Option<f64>>> {
                let date = dates[i];
                let snap = ds.snapshot_with(date, snapshot)?;
                let col = snap.column(metric)?;
                if !col.data_type().is_numeric() {
                    return Err(Error::config(
                        "outcome.metric",
                        format!("`{metric}` is {}, not a number", col.data_type().as_str()),
                    ));
                }
                let rows: HashMap<&str, usize> = snap.account_ids().iter().enumerate().map(|(r, id)| (id.as_str(), r)).collect();
                let lo = wanted.partition_point(|w| w.0 < date);
                let hi = wanted.partition_point(|w| w.0 <= date);
                Ok(wanted[lo..hi]
                    .iter()
                    .map(|&(_, a)| rows.get(ds.accounts()[a].id.as_str()).and_then(|&r| col.f64_at(r)))
                    .collect())
            };
            let threads = crate::stats::max_threads().min(dates.len()).max(1);
            let values: Vec<Option<f64>> =
                crate::stats::map_ranges(dates.len(), threads, |range| range.map(one).collect::<Vec<_>>())
                    .into_iter()
                    .flatten()
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .flatten()
                    .collect();
            let at = |t: Timestamp, id: &str| -> Option<f64> {
                let a = *index.get(id)?;
                wanted.binary_search(&(t, a)).ok().and_then(|k| values[k])
            };
            Ok(entries
                .iter()
                .map(|&(_, id, _, t0)| {
                    let end = horizon.end(t0);
                    let after = if end <= known { at(end, id) } else { None };
                    (after, at(t0, id), None, false)
                })
                .collect())
        }
    }
}

/// The per-account table behind [`analyse`]: for each play or group of `config`, each
/// account's first record (within `from`..`to`) — its arm and when it entered — and its outcome
/// measured against `ds` from then on, in play (or group) then ledger order.
pub fn observations(playbook: &Playbook, state: &PlayState, ds: &Dataset, config: &AnalysisConfig) -> Result<Vec<Observation>> {
    Ok(observe(playbook, state, ds, config)?.0)
}

/// [`observations`], with the groups they belong to and the instant outcomes are known to.
fn observe(
    playbook: &Playbook,
    state: &PlayState,
    ds: &Dataset,
    config: &AnalysisConfig,
) -> Result<(Vec<Observation>, Groups, Timestamp)> {
    config.validate()?;
    let known = crate::outcome::known_at(ds, config.known_at)?;
    let groups = checked_groups(playbook, state, config)?;
    let entries = enrollments(state, &groups, config);
    let measured = measure(ds, &entries, &config.outcome, known)?;
    let observations = entries
        .iter()
        .zip(measured)
        .map(|(&(g, id, arm, entered), (value, pre, duration_days, churned))| Observation {
            group: groups[g].0.clone(),
            account_id: id.to_string(),
            arm,
            entered,
            value,
            pre,
            duration_days,
            churned,
        })
        .collect();
    Ok((observations, groups, known))
}

fn checked_groups(playbook: &Playbook, state: &PlayState, config: &AnalysisConfig) -> Result<Vec<(String, Vec<String>)>> {
    let groups = groups_of(state, config);
    for (name, plays) in &groups {
        if let Some(p) = plays.iter().find(|p| !playbook.plays.iter().any(|q| &q.id == *p)) {
            return Err(Error::config("plays", format!("`{p}` (in `{name}`) is not a play of playbook `{}`", playbook.name)));
        }
    }
    Ok(groups)
}

/// Analyses the experiments of `state` (a ledger of `playbook`) against `ds`: each account
/// enters a play's experiment at its first record (within `from`..`to`), in that record's arm,
/// and its outcome is measured from then on ([`observations`]). The control arm's expected
/// share comes from the playbook's holdout shares unless the config gives it. See
/// [`analyse_observations`] for the statistics.
pub fn analyse(playbook: &Playbook, state: &PlayState, ds: &Dataset, config: &AnalysisConfig) -> Result<ExperimentReport> {
    let (observations, groups, known) = observe(playbook, state, ds, config)?;
    // The groups with records in their own holdout, in one pass.
    let with_own: rustc_hash::FxHashSet<&str> =
        observations.iter().filter(|o| o.arm == Arm::Holdout).map(|o| o.group.as_str()).collect();
    let mut config = config.clone();
    for (name, plays) in &groups {
        if config.expected_control_share.contains_key(name) {
            continue;
        }
        let control = resolve_control(config.control, with_own.contains(name.as_str()));
        if let Some(share) = implied_share(playbook, plays, control) {
            config.expected_control_share.insert(name.clone(), share);
        }
    }
    let mut report = summarise(&observations, &groups, &config)?;
    report.known_at = Some(known);
    Ok(report)
}

fn resolve_control(control: Control, has_own: bool) -> Arm {
    match control {
        Control::Holdout => Arm::Holdout,
        Control::GlobalHoldout => Arm::GlobalHoldout,
        Control::Auto if has_own => Arm::Holdout,
        Control::Auto => Arm::GlobalHoldout,
    }
}

/// The statistics of experiments whose outcomes the caller measured: one [`Observation`] per
/// account and group (its arm and outcome). Per group (in order of first appearance):
///
/// - the control arm ([`Control`]); the treated arm is `treatment`;
/// - the sample-ratio check of the two arms' sizes against `expected_control_share` (chi-square;
///   exact binomial up to [`super::EXACT_UP_TO`] accounts);
/// - metric and revenue outcomes: Welch's difference with its interval and the delta-method
///   relative lift, CUPED-adjusted by `pre` when `cuped` is on and every observed account has
///   one; retention: each arm's Kaplan–Meier survival at the horizon, the difference with a
///   normal interval from Greenwood's errors (a z test for its p-value), the log-rank test;
/// - the always-valid interval when `sequential` is set;
/// - the verdict: `sample_ratio_mismatch` when the check fails; `not_enough_data` with fewer
///   than `min_per_arm` observed accounts in an arm or an interval (the always-valid one when
///   asked for) that spans 0; otherwise `works` or `harmful` by the interval's side and
///   `higher_is_better`.
pub fn analyse_observations(observations: &[Observation], config: &AnalysisConfig) -> Result<ExperimentReport> {
    config.validate()?;
    if observations.len() > MAX_OBSERVATIONS {
        return Err(Error::argument("observations", format!("at most {MAX_OBSERVATIONS}")));
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for (i, o) in observations.iter().enumerate() {
        let bad = |what: &str| Err(Error::argument("observations", format!("[{i}] ({}, {}): {what}", o.group, o.account_id)));
        if o.value.is_some_and(|v| !v.is_finite()) || o.pre.is_some_and(|v| !v.is_finite()) {
            return bad("values must be finite numbers");
        }
        if o.duration_days.is_some_and(|d| !(d.is_finite() && d >= 0.0)) {
            return bad("duration_days must be a finite, non-negative number");
        }
        let same = i > 0 && observations[i - 1].group == o.group;
        if !same && seen.insert(o.group.as_str()) {
            if groups.len() == MAX_GROUPS {
                return Err(Error::argument("observations", format!("more than {MAX_GROUPS} groups")));
            }
            groups.push((o.group.clone(), vec![o.group.clone()]));
        }
    }
    summarise(observations, &groups, config)
}

fn summarise(
    observations: &[Observation],
    groups: &[(String, Vec<String>)],
    config: &AnalysisConfig,
) -> Result<ExperimentReport> {
    let index: HashMap<&str, usize> = groups.iter().enumerate().map(|(g, (name, _))| (name.as_str(), g)).collect();
    let mut by_group: Vec<Vec<&Observation>> = vec![Vec::new(); groups.len()];
    // Observations mostly come grouped: remember the last group's index.
    let mut last: Option<(&str, usize)> = None;
    for o in observations {
        let g = match last {
            Some((name, g)) if name == o.group => Some(g),
            _ => index.get(o.group.as_str()).copied(),
        };
        if let Some(g) = g {
            last = Some((o.group.as_str(), g));
            by_group[g].push(o);
        }
    }
    let mut seen_accounts: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut results = Vec::with_capacity(groups.len());
    for ((name, plays), obs) in groups.iter().zip(by_group) {
        seen_accounts.clear();
        seen_accounts.reserve(obs.len());
        for o in &obs {
            if !seen_accounts.insert(o.account_id.as_str()) {
                return Err(Error::argument("observations", format!("account `{}` appears twice in `{name}`", o.account_id)));
            }
        }
        let has_own = obs.iter().any(|o| o.arm == Arm::Holdout);
        let control = resolve_control(config.control, has_own);
        results.push(one_group(name, plays, &obs, control, config)?);
    }
    Ok(ExperimentReport { known_at: config.known_at, outcome: config.outcome.name(), results })
}

fn one_group(
    name: &str,
    plays: &[String],
    obs: &[&Observation],
    control: Arm,
    config: &AnalysisConfig,
) -> Result<ExperimentResult> {
    let treated: Vec<&Observation> = obs.iter().copied().filter(|o| o.arm == Arm::Treatment).collect();
    let held: Vec<&Observation> = obs.iter().copied().filter(|o| o.arm == control).collect();
    let expected = config.expected_control_share.get(name).copied();
    let srm = match expected {
        Some(share) if !treated.is_empty() || !held.is_empty() => {
            Some(sample_ratio_mismatch(&[treated.len() as u64, held.len() as u64], &[1.0 - share, share], config.srm_threshold)?)
        }
        _ => None,
    };
    let mut r = ExperimentResult {
        group: name.to_string(),
        plays: plays.to_vec(),
        outcome: config.outcome.name(),
        control,
        treatment_accounts: treated.len() as u64,
        control_accounts: held.len() as u64,
        expected_control_share: expected,
        srm,
        treatment_observed: 0,
        control_observed: 0,
        treatment_value: None,
        control_value: None,
        treatment_pre: None,
        control_pre: None,
        difference: None,
        std_error: None,
        ci_low: None,
        ci_high: None,
        relative_lift: None,
        relative_ci_low: None,
        relative_ci_high: None,
        p_value: None,
        cuped: None,
        sequential: None,
        retention: None,
        detectable_effect: None,
        verdict: Verdict::NotEnoughData,
        reason: String::new(),
    };
    let alpha = 1.0 - config.confidence;
    let effect: Option<Effect> = match &config.outcome {
        Outcome::Retention { horizon, .. } => {
            let arm = |v: &[&Observation]| -> (Vec<f64>, Vec<bool>) {
                v.iter().filter_map(|o| o.duration_days.map(|d| (d, o.churned))).unzip()
            };
            let ((dt, et), (dc, ec)) = (arm(&treated), arm(&held));
            r.treatment_observed = dt.len() as u64;
            r.control_observed = dc.len() as u64;
            let horizon_days = horizon_days(*horizon);
            if dt.len() >= 2 && dc.len() >= 2 {
                let (kt, kc) = (KaplanMeier::fit(&dt, &et, config.confidence)?, KaplanMeier::fit(&dc, &ec, config.confidence)?);
                let at = |k: &KaplanMeier, e: &[bool], d: &[f64]| {
                    let step = k.step_at(horizon_days);
                    SurvivalAt {
                        survival: step.map_or(1.0, |s| s.survival),
                        std_error: step.map_or(0.0, |s| s.std_error),
                        ci_low: step.map_or(1.0, |s| s.ci_low),
                        ci_high: step.map_or(1.0, |s| s.ci_high),
                        accounts: d.len() as u64,
                        churned: e.iter().zip(d).filter(|(e, d)| **e && **d <= horizon_days).count() as u64,
                    }
                };
                let (st, sc) = (at(&kt, &et, &dt), at(&kc, &ec, &dc));
                let lr = log_rank((&dt, &et), (&dc, &ec))?;
                r.treatment_value = Some(st.survival);
                r.control_value = Some(sc.survival);
                let difference = st.survival - sc.survival;
                let se = (st.std_error.powi(2) + sc.std_error.powi(2)).sqrt();
                let q = super::z(0.5 + config.confidence / 2.0);
                let p = if se > 0.0 {
                    2.0 * (1.0 - normal_cdf((difference / se).abs()))
                } else if difference == 0.0 {
                    1.0
                } else {
                    0.0
                };
                let (lift, lift_se) = if sc.survival > 0.0 {
                    (
                        Some(difference / sc.survival),
                        Some(
                            ((st.std_error / sc.survival).powi(2) + (st.survival * sc.std_error / sc.survival.powi(2)).powi(2))
                                .sqrt(),
                        ),
                    )
                } else {
                    (None, None)
                };
                // For the sample-size arithmetic: a survival's spread is that of a 0/1 outcome.
                let sd = (0.5 * (st.survival * (1.0 - st.survival) + sc.survival * (1.0 - sc.survival))).sqrt();
                r.detectable_effect = detectable(sd, dc.len() as u64, dt.len() as u64, alpha);
                r.retention = Some(RetentionDetail { horizon_days, treatment: st, control: sc, log_rank: lr });
                Some(Effect {
                    control_n: dc.len() as u64,
                    treatment_n: dt.len() as u64,
                    control_mean: r.control_value.unwrap_or(f64::NAN),
                    treatment_mean: r.treatment_value.unwrap_or(f64::NAN),
                    difference,
                    std_error: se,
                    degrees_of_freedom: f64::INFINITY,
                    ci_low: difference - q * se,
                    ci_high: difference + q * se,
                    p_value: p.min(1.0),
                    relative_lift: lift,
                    relative_std_error: lift_se,
                    relative_ci_low: lift.zip(lift_se).map(|(l, s)| l - q * s),
                    relative_ci_high: lift.zip(lift_se).map(|(l, s)| l + q * s),
                    confidence: config.confidence,
                })
            } else {
                None
            }
        }
        Outcome::Metric { .. } | Outcome::Revenue { .. } => {
            let arm = |v: &[&Observation]| -> (Vec<f64>, Vec<Option<f64>>) {
                v.iter().filter_map(|o| o.value.map(|y| (y, o.pre))).unzip()
            };
            let ((yt, pt), (yc, pc)) = (arm(&treated), arm(&held));
            r.treatment_observed = yt.len() as u64;
            r.control_observed = yc.len() as u64;
            let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            r.treatment_value = mean(&yt);
            r.control_value = mean(&yc);
            let pre = |v: &[Option<f64>]| -> Option<Vec<f64>> { v.iter().copied().collect() };
            let (xt, xc) = (pre(&pt), pre(&pc));
            r.treatment_pre = xt.as_deref().and_then(mean);
            r.control_pre = xc.as_deref().and_then(mean);
            if yt.len() >= 2 && yc.len() >= 2 {
                let (sc, st) = (ArmSummary::of("control", &yc)?, ArmSummary::of("treatment", &yt)?);
                let plain = welch_summary(&sc, &st, config.confidence)?;
                let sd = (0.5 * (sc.variance + st.variance)).sqrt();
                r.detectable_effect = detectable(sd, yc.len() as u64, yt.len() as u64, alpha);
                match (config.cuped, xt, xc) {
                    (true, Some(xt), Some(xc)) => {
                        let c = cuped((&yc, &xc), (&yt, &xt), config.confidence)?;
                        r.cuped = Some(CupedSummary { theta: c.theta, variance_reduction: c.variance_reduction });
                        // The lift is relative to the control's unadjusted mean.
                        let mut e = c.effect;
                        e.control_mean = plain.control_mean;
                        e.treatment_mean = plain.treatment_mean;
                        relative_from(&mut e, plain.control_mean);
                        Some(e)
                    }
                    _ => Some(plain),
                }
            } else {
                None
            }
        }
    };
    if let Some(e) = &effect {
        r.difference = Some(e.difference);
        r.std_error = Some(e.std_error);
        r.ci_low = Some(e.ci_low);
        r.ci_high = Some(e.ci_high);
        r.relative_lift = e.relative_lift;
        r.relative_ci_low = e.relative_ci_low;
        r.relative_ci_high = e.relative_ci_high;
        r.p_value = Some(e.p_value);
        if let Some(s) = &config.sequential {
            r.sequential = Some(sequential(e, s.tuning)?);
        }
    }
    let (verdict, reason) = verdict(&r, config);
    r.verdict = verdict;
    r.reason = reason;
    Ok(r)
}

/// The relative lift and its delta-method interval for an adjusted difference, against the
/// control's unadjusted mean (the adjusted arms' variances are in `e.std_error`).
fn relative_from(e: &mut Effect, control_mean: f64) {
    if control_mean == 0.0 {
        e.relative_lift = None;
        e.relative_std_error = None;
        e.relative_ci_low = None;
        e.relative_ci_high = None;
        return;
    }
    let lift = e.difference / control_mean;
    let se = e.std_error / control_mean.abs();
    let q = if e.std_error > 0.0 { (e.ci_high - e.difference) / e.std_error } else { 0.0 };
    e.relative_lift = Some(lift);
    e.relative_std_error = Some(se);
    e.relative_ci_low = Some(lift - q * se);
    e.relative_ci_high = Some(lift + q * se);
}

fn normal_cdf(x: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.cdf(x))
}

fn detectable(sd: f64, control: u64, treatment: u64, alpha: f64) -> Option<f64> {
    (sd > 0.0 && alpha <= 0.5).then(|| mde_means(sd, control, treatment, alpha, 0.8).ok()).flatten()
}

/// Where retention curves are read: the horizon in days (for calendar months, the longest a
/// horizon of that many months is, 31 days per month, so no account's horizon is cut short).
pub(crate) fn horizon_days(horizon: Window) -> f64 {
    use crate::time::TimeUnit;
    match horizon.unit {
        TimeUnit::Days => f64::from(horizon.amount),
        TimeUnit::Weeks => 7.0 * f64::from(horizon.amount),
        TimeUnit::Months => 31.0 * f64::from(horizon.amount),
    }
}

fn verdict(r: &ExperimentResult, config: &AnalysisConfig) -> (Verdict, String) {
    if let Some(s) = r.srm.as_ref().filter(|s| s.mismatch) {
        return (
            Verdict::SampleRatioMismatch,
            format!(
                "{} treated vs {} control accounts where the assignment implies a {:.1} % control share (p = {:.2e}): check the assignment before reading the effect",
                r.treatment_accounts,
                r.control_accounts,
                100.0 * r.expected_control_share.unwrap_or(f64::NAN),
                s.p_value
            ),
        );
    }
    let min = u64::from(config.min_per_arm);
    if r.treatment_observed < min || r.control_observed < min {
        return (
            Verdict::NotEnoughData,
            format!(
                "{} treated and {} control accounts observed; at least {min} in each arm are needed",
                r.treatment_observed, r.control_observed
            ),
        );
    }
    let (lo, hi, which) = match (&r.sequential, r.ci_low, r.ci_high) {
        (Some(s), _, _) => (s.ci_low, s.ci_high, "always-valid interval"),
        (None, Some(l), Some(h)) => (l, h, "interval"),
        _ => return (Verdict::NotEnoughData, "no estimate".into()),
    };
    let pct = 100.0 * config.confidence;
    if lo > 0.0 || hi < 0.0 {
        let better = (lo > 0.0) == config.higher_is_better;
        let v = if better { Verdict::Works } else { Verdict::Harmful };
        return (v, format!("the {pct:.0} % {which} of the difference, [{lo:.4}, {hi:.4}], excludes no effect"));
    }
    let detect = r
        .detectable_effect
        .map_or(String::new(), |d| format!("; these arms detect a difference of about {d:.4} with 80 % power"));
    (
        Verdict::NotEnoughData,
        format!("the {pct:.0} % {which} of the difference, [{lo:.4}, {hi:.4}], still spans no effect{detect}"),
    )
}

crate::document::document! {
    AnalysisConfig => "analysis config", ANALYSIS_VERSION;
}
