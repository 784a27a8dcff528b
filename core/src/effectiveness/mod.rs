//! The effectiveness (maturity) model: 3 to 5 ordered phases, each defined by behaviours — a
//! metric meeting a threshold. Each account is placed in the highest phase whose behaviours it
//! and every earlier phase's meet; each behaviour is benchmarked against the account's peers (its
//! percentile within its segment, the segment's median and best in class — the top decile); and
//! each account gets an improvement plan: the behaviours it misses for the next phase, with the
//! target the phase requires, a stretch target from its peers, and its own baseline.
//!
//! ```
//! use custfit::document::Document;
//! use custfit::effectiveness::{assess, MaturityModel};
//! use custfit::{Simulation, SimulationConfig};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(200).with_days(120).with_seed(5))?;
//! let frame = sim.dataset.snapshot(sim.end)?;
//! let model = MaturityModel::from_json_value(serde_json::json!({"version": 1, "segment_by": "plan", "phases": [
//!   {"name": "started", "behaviours": [{"name": "active", "metric": "active_days_30d", "at_least": 1}]},
//!   {"name": "adopting", "behaviours": [{"name": "weekly", "metric": "active_days_30d", "at_least": 8}]},
//!   {"name": "mature", "behaviours": [{"name": "broad", "metric": "features_used_30d", "at_least": 5},
//!                                      {"name": "most_seats", "metric": "seat_utilization", "at_least": 0.6}]}]}))?;
//! let a = assess(&frame, &model)?;
//! assert_eq!(a.accounts.len(), frame.len());
//! # Ok::<(), custfit::Error>(())
//! ```

mod tracking;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};

pub use tracking::{
    ImprovementPlan, PlanActual, PlanCheck, PlanOutcome, PlanProgress, PlanReason, PlanStatus, PlanTracker, TrackingPolicy,
    PLAN_TRACKER_VERSION,
};

/// Version of the maturity model document.
pub const MATURITY_VERSION: u32 = 1;

/// A behaviour: a numeric column of the frame meeting a threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Name (an identifier).
    pub name: String,
    /// The frame's numeric column.
    pub metric: String,
    /// Met when the metric is at least this (higher is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// Met when the metric is at most this (lower is better; e.g. days since last activity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
}

impl Behaviour {
    fn higher_is_better(&self) -> bool {
        self.at_least.is_some()
    }

    fn threshold(&self) -> f64 {
        self.at_least.or(self.at_most).unwrap_or(f64::NAN)
    }

    /// Whether `value` meets it (a missing value does not).
    fn met(&self, value: Option<f64>) -> bool {
        match (value, self.at_least, self.at_most) {
            (Some(v), Some(t), _) => v >= t,
            (Some(v), None, Some(t)) => v <= t,
            _ => false,
        }
    }
}

/// A phase of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MaturityPhase {
    /// Name (an identifier).
    pub name: String,
    /// What it takes (1 to 20 behaviours).
    pub behaviours: Vec<Behaviour>,
}

/// The maturity model: versioned JSON, the same in every language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MaturityModel {
    /// Document version ([`MATURITY_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// The phases, lowest first (3 to 5).
    pub phases: Vec<MaturityPhase>,
    /// The column whose values define peer groups (a tier, a segment, a plan; default: every
    /// account is a peer of every other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_by: Option<String>,
    /// The percentile that is best in class (default 0.9: the top decile).
    #[serde(default = "best")]
    pub best_in_class: f64,
}

fn version() -> u32 {
    MATURITY_VERSION
}
fn best() -> f64 {
    0.9
}

fn identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl MaturityModel {
    /// Checks the phases and behaviours.
    pub fn validate(&self) -> Result<()> {
        if self.version != MATURITY_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "maturity model".into(),
                found: self.version,
                supported: MATURITY_VERSION,
            });
        }
        if !(3..=5).contains(&self.phases.len()) {
            return Err(Error::config("phases", format!("3 to 5 phases, got {}", self.phases.len())));
        }
        if !(self.best_in_class > 0.5 && self.best_in_class < 1.0) {
            return Err(Error::config("best_in_class", "must be a percentile in (0.5, 1)"));
        }
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.phases.iter().enumerate() {
            if !identifier(&p.name) || !names.insert(p.name.as_str()) {
                return Err(Error::config(format!("phases[{i}].name"), format!("`{}` must be an identifier used once", p.name)));
            }
            if p.behaviours.is_empty() || p.behaviours.len() > 20 {
                return Err(Error::config(format!("phases[{i}].behaviours"), "1 to 20 behaviours"));
            }
            for (j, b) in p.behaviours.iter().enumerate() {
                let path = format!("phases[{i}].behaviours[{j}]");
                if !identifier(&b.name) {
                    return Err(Error::config(format!("{path}.name"), format!("`{}` must be an identifier", b.name)));
                }
                match (b.at_least, b.at_most) {
                    (Some(t), None) | (None, Some(t)) if t.is_finite() => {}
                    _ => return Err(Error::config(path, "needs exactly one finite threshold: `at_least` or `at_most`")),
                }
            }
        }
        Ok(())
    }
}

crate::document::document! {
    MaturityModel => "maturity model", MATURITY_VERSION;
}

/// One behaviour of one account, against its peers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BehaviourBenchmark {
    /// The behaviour.
    pub behaviour: String,
    /// Its phase.
    pub phase: String,
    /// The account's value of the metric.
    pub value: Option<f64>,
    /// Whether it meets the threshold.
    pub met: bool,
    /// Share of its peers (with a value) it does at least as well as, 0 to 1 (higher is
    /// better in both directions).
    pub percentile: Option<f64>,
    /// Its peers' median.
    pub peer_median: Option<f64>,
    /// Best in class among its peers (their `best_in_class` percentile, in the good direction).
    pub best_in_class: Option<f64>,
}

/// A step of an improvement plan: a behaviour to reach for the next phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlanStep {
    /// The behaviour.
    pub behaviour: String,
    /// The metric.
    pub metric: String,
    /// The account's value now (its baseline).
    pub baseline: Option<f64>,
    /// What the phase requires.
    pub target: f64,
    /// A stretch target: its peers' best in class, when beyond the required one.
    pub stretch: Option<f64>,
    /// How far the baseline is from the target (in the metric's unit, positive; missing
    /// without a baseline).
    pub gap: Option<f64>,
    /// True when the behaviour asks for at least the target (higher is better), false for at
    /// most.
    pub higher_is_better: bool,
}

impl PlanStep {
    /// Whether `value` reaches the target.
    pub fn reached(&self, value: f64) -> bool {
        if self.higher_is_better {
            value >= self.target
        } else {
            value <= self.target
        }
    }
}

/// One account's assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccountMaturity {
    /// The account.
    pub account_id: String,
    /// Its peer group (the `segment_by` value; missing for none).
    pub segment: Option<String>,
    /// The highest phase whose behaviours it meets, with every earlier phase's (missing: not
    /// even the first).
    pub phase: Option<String>,
    /// Its 1-based level (0 below the first phase).
    pub level: u32,
    /// Every behaviour of the model, benchmarked.
    pub behaviours: Vec<BehaviourBenchmark>,
    /// The next phase (missing at the top).
    pub next_phase: Option<String>,
    /// What it takes to reach the next phase: the behaviours of it the account misses.
    pub plan: Vec<PlanStep>,
}

/// The assessment of every account of a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MaturityAssessment {
    /// The phases' names, lowest first.
    pub phases: Vec<String>,
    /// Accounts per phase (index 0: below the first phase, then one per phase).
    pub counts: Vec<u64>,
    /// Per account, in the frame's order.
    pub accounts: Vec<AccountMaturity>,
}

impl ToColumns for MaturityAssessment {
    /// By account id: `{name}` (the phase), `{name}_level` (0 to the number of phases),
    /// `{name}_next` (the next phase) and `{name}_gaps` (behaviours missing for it).
    fn account_columns(&self, name: &str) -> AccountColumns {
        let a = &self.accounts;
        AccountColumns::by_account(
            a.iter().map(|x| x.account_id.clone()).collect(),
            vec![
                Column::new(name, ColumnData::Str(a.iter().map(|x| x.phase.clone()).collect())),
                Column::new(format!("{name}_level"), ColumnData::Int(a.iter().map(|x| Some(i64::from(x.level))).collect())),
                Column::new(format!("{name}_next"), ColumnData::Str(a.iter().map(|x| x.next_phase.clone()).collect())),
                Column::new(format!("{name}_gaps"), ColumnData::Int(a.iter().map(|x| Some(x.plan.len() as i64)).collect())),
            ],
        )
    }
}

/// Assesses every account of `frame` (a snapshot plus any added columns) against `model`.
pub fn assess(frame: &Snapshot, model: &MaturityModel) -> Result<MaturityAssessment> {
    model.validate()?;
    let n = frame.len();
    // Peer groups.
    let segments: Vec<Option<String>> = match &model.segment_by {
        Some(col) => {
            let data = frame.column(col)?;
            (0..n)
                .map(|r| match data.value(r) {
                    crate::metrics::Value::Null => None,
                    crate::metrics::Value::Str(s) => Some(s),
                    v => Some(serde_json::to_string(&v).unwrap_or_default()),
                })
                .collect()
        }
        None => vec![None; n],
    };
    let mut group_of: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (r, s) in segments.iter().enumerate() {
        group_of.entry(s.as_deref()).or_default().push(r);
    }
    // Per behaviour: each row's value, and per peer group the sorted values.
    struct Bench {
        values: Vec<Option<f64>>,
        sorted: BTreeMap<Option<String>, Vec<f64>>,
    }
    let mut benches: Vec<Vec<Bench>> = Vec::with_capacity(model.phases.len());
    for (i, p) in model.phases.iter().enumerate() {
        let mut row = Vec::with_capacity(p.behaviours.len());
        for (j, b) in p.behaviours.iter().enumerate() {
            let data = frame.column(&b.metric)?;
            if !data.data_type().is_numeric() {
                return Err(Error::config(
                    format!("phases[{i}].behaviours[{j}].metric"),
                    format!("`{}` is {}, not a number", b.metric, data.data_type().as_str()),
                ));
            }
            let values: Vec<Option<f64>> = (0..n).map(|r| data.f64_at(r).filter(|v| v.is_finite())).collect();
            let mut sorted = BTreeMap::new();
            for (seg, rows) in &group_of {
                let mut v: Vec<f64> = rows.iter().filter_map(|&r| values[r]).collect();
                v.sort_by(f64::total_cmp);
                sorted.insert(seg.map(str::to_string), v);
            }
            row.push(Bench { values, sorted });
        }
        benches.push(row);
    }
    let mut counts = vec![0u64; model.phases.len() + 1];
    let mut accounts = Vec::with_capacity(n);
    for (r, seg) in segments.into_iter().enumerate() {
        let mut behaviours = Vec::new();
        let mut met_phase: Vec<bool> = Vec::with_capacity(model.phases.len());
        for (p, bench_row) in model.phases.iter().zip(&benches) {
            let mut all = true;
            for (b, bench) in p.behaviours.iter().zip(bench_row) {
                let value = bench.values[r];
                let met = b.met(value);
                all &= met;
                let peers = bench.sorted.get(&seg).map_or(&[][..], Vec::as_slice);
                let percentile = value.filter(|_| !peers.is_empty()).map(|v| {
                    let k = if b.higher_is_better() {
                        peers.partition_point(|x| *x <= v)
                    } else {
                        peers.len() - peers.partition_point(|x| *x < v)
                    };
                    k as f64 / peers.len() as f64
                });
                let q = if b.higher_is_better() { model.best_in_class } else { 1.0 - model.best_in_class };
                behaviours.push(BehaviourBenchmark {
                    behaviour: b.name.clone(),
                    phase: p.name.clone(),
                    value,
                    met,
                    percentile,
                    peer_median: crate::stats::quantile_sorted(peers, 0.5),
                    best_in_class: crate::stats::quantile_sorted(peers, q),
                });
            }
            met_phase.push(all);
        }
        // The highest phase met together with every earlier one.
        let level = met_phase.iter().take_while(|m| **m).count();
        counts[level] += 1;
        let next = model.phases.get(level);
        let mut plan = Vec::new();
        if next.is_some() {
            // Every phase below the level is met: the plan is the next phase's unmet behaviours.
            let mut k = 0;
            for (pi, p) in model.phases.iter().enumerate() {
                for b in &p.behaviours {
                    let bb = &behaviours[k];
                    k += 1;
                    if pi != level || bb.met {
                        continue;
                    }
                    let target = b.threshold();
                    let stretch =
                        bb.best_in_class.filter(|best| if b.higher_is_better() { *best > target } else { *best < target });
                    plan.push(PlanStep {
                        behaviour: b.name.clone(),
                        metric: b.metric.clone(),
                        baseline: bb.value,
                        target,
                        stretch,
                        gap: bb.value.map(|v| (target - v).abs()),
                        higher_is_better: b.higher_is_better(),
                    });
                }
            }
        }
        accounts.push(AccountMaturity {
            account_id: frame.account_ids()[r].to_string(),
            segment: seg,
            phase: level.checked_sub(1).map(|k| model.phases[k].name.clone()),
            level: level as u32,
            behaviours,
            next_phase: next.map(|p| p.name.clone()),
            plan,
        });
    }
    Ok(MaturityAssessment { phases: model.phases.iter().map(|p| p.name.clone()).collect(), counts, accounts })
}
