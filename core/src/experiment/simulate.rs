//! The whole experiment loop on simulated data with a known effect: replay a playbook with
//! holdouts over a simulated base, let the treated accounts of each play change by a configured
//! amount from the day they were treated, measure, and compare the estimate with the truth —
//! the effect of treating the same accounts, computed from the base with every entered account
//! treated and the base with none treated.

use serde::{Deserialize, Serialize};

use super::analysis::{analyse, AnalysisConfig, ExperimentReport, Outcome};
use crate::error::{Error, Result};
use crate::play::{dry_run, Arm, DryRunConfig, FrameRecipe, PlayState, Playbook};
use crate::sim::{Simulation, SimulationConfig, Treatment};

/// What treatment by one play does to an account (see [`Treatment`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlayEffect {
    /// The play.
    pub play: String,
    /// Shift of the latent engagement (−3 to 3).
    #[serde(default)]
    pub engagement: f64,
    /// Multiplier of the odds of not renewing (0.01 to 100).
    #[serde(default = "one")]
    pub churn_odds: f64,
}

fn one() -> f64 {
    1.0
}

/// Version of the simulated-experiment document this build reads and writes.
pub const SIMULATED_EXPERIMENT_VERSION: u32 = 1;

fn version() -> u32 {
    SIMULATED_EXPERIMENT_VERSION
}

/// A simulated experiment: versioned JSON, the same document in Rust, Python and Node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SimulatedExperiment {
    /// Document version ([`SIMULATED_EXPERIMENT_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// The simulated base.
    pub simulation: SimulationConfig,
    /// The playbook (with holdouts).
    pub playbook: Playbook,
    /// How each run's frame is built (default: the snapshot alone).
    #[serde(default)]
    pub recipe: FrameRecipe,
    /// The replay's dates.
    pub dry_run: DryRunConfig,
    /// What each play does to the accounts it treats (plays not listed do nothing).
    #[serde(default)]
    pub effects: Vec<PlayEffect>,
    /// The analysis.
    pub analysis: AnalysisConfig,
}

impl SimulatedExperiment {
    /// Checks every part: the version, the simulation, the playbook, the recipe, the dates, the
    /// analysis, and that each effect names a play of the playbook with an effect in range.
    pub fn validate(&self) -> Result<()> {
        if self.version != SIMULATED_EXPERIMENT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "simulated experiment".into(),
                found: self.version,
                supported: SIMULATED_EXPERIMENT_VERSION,
            });
        }
        self.simulation.validate()?;
        self.playbook.validate()?;
        self.recipe.validate()?;
        self.dry_run.validate()?;
        self.analysis.validate()?;
        for (i, e) in self.effects.iter().enumerate() {
            if !self.playbook.plays.iter().any(|p| p.id == e.play) {
                return Err(Error::config(format!("effects[{i}].play"), format!("`{}` is not a play of the playbook", e.play)));
            }
            if !(e.engagement.is_finite() && (-3.0..=3.0).contains(&e.engagement)) {
                return Err(Error::config(
                    format!("effects[{i}].engagement"),
                    format!("must lie in -3..=3, got {}", e.engagement),
                ));
            }
            if !(e.churn_odds.is_finite() && (0.01..=100.0).contains(&e.churn_odds)) {
                return Err(Error::config(
                    format!("effects[{i}].churn_odds"),
                    format!("must lie in 0.01..=100, got {}", e.churn_odds),
                ));
            }
        }
        Ok(())
    }
}

crate::document::document! {
    SimulatedExperiment => "simulated experiment", SIMULATED_EXPERIMENT_VERSION;
}

/// The truth of one play or group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrueEffect {
    /// The play or group.
    pub group: String,
    /// The effect of treating every account that entered (either arm) against treating none,
    /// on the analysis's scale: the mean difference of the outcome over accounts observed in
    /// both bases, or the difference of Kaplan–Meier survival at the horizon.
    pub effect: Option<f64>,
    /// Whether the analysis's interval covers it.
    pub covered: Option<bool>,
}

/// What a simulated experiment found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SimulatedExperimentResult {
    /// The analysis of the treated base, as a user would see it.
    pub report: ExperimentReport,
    /// The truth per play or group, in the report's order.
    pub truth: Vec<TrueEffect>,
    /// The ledger of the replay.
    pub state: PlayState,
}

/// Runs the loop: the playbook is replayed over the untreated base (the assignment: each
/// account's first record of a play, in its arm); the treated base applies each play's effect
/// to its treated-arm accounts from their first record on; the report analyses the ledger
/// against the treated base. The truth of each play (or group) with an effect comes from two
/// more bases: its plays treating every account that entered them, and none (a play without an
/// effect has a true effect of 0).
pub fn simulate_experiment(config: &SimulatedExperiment) -> Result<SimulatedExperimentResult> {
    config.validate()?;
    let none = Simulation::generate_treated(&config.simulation, &[])?;
    let replay = dry_run(&config.playbook, &none.dataset, &config.recipe, &config.dry_run, &PlayState::new())?;
    let state = replay.state;
    // Each account's first record per play.
    let mut first: std::collections::BTreeMap<(&str, &str), (crate::time::Timestamp, Arm)> = Default::default();
    for a in &state.actions {
        first.entry((a.play.as_str(), a.account_id.as_str())).or_insert((a.created_at, a.arm));
    }
    // Treatments: each play with an effect treats its treated arm (or, for the plays in `all`,
    // every account that entered, and for those in `none`, no account).
    let treatments = |all: &[String], none: &[String]| -> Vec<Treatment> {
        let mut out = Vec::new();
        for e in &config.effects {
            if none.contains(&e.play) {
                continue;
            }
            for ((play, account), (start, arm)) in &first {
                if *play == e.play && (all.contains(&e.play) || *arm == Arm::Treatment) {
                    out.push(Treatment {
                        account_id: account.to_string(),
                        start: *start,
                        engagement: e.engagement,
                        churn_odds: e.churn_odds,
                    });
                }
            }
        }
        out
    };
    let observed = Simulation::generate_treated(&config.simulation, &treatments(&[], &[]))?;
    let report = analyse(&config.playbook, &state, &observed.dataset, &config.analysis)?;

    // The truth of a group: the same measurement with every entered account in the treated arm,
    // in the base where the group's plays treated every account that entered them and in the
    // base where they treated none (the other plays as observed). Plays without an effect have
    // none.
    let mut as_treated = state.clone();
    for a in &mut as_treated.actions {
        std::sync::Arc::make_mut(a).arm = Arm::Treatment;
    }
    let mut plain = config.analysis.clone();
    plain.cuped = false;
    plain.sequential = None;
    plain.expected_control_share.clear();
    let mut truth = Vec::with_capacity(report.results.len());
    for r in &report.results {
        let with_effect: Vec<String> = r
            .plays
            .iter()
            .filter(|p| config.effects.iter().any(|e| &e.play == *p && (e.engagement != 0.0 || e.churn_odds != 1.0)))
            .cloned()
            .collect();
        let effect = if with_effect.is_empty() {
            Some(0.0)
        } else {
            let mut only = plain.clone();
            only.plays = if config.analysis.groups.contains_key(&r.group) { Vec::new() } else { vec![r.group.clone()] };
            only.groups =
                config.analysis.groups.iter().filter(|(g, _)| **g == r.group).map(|(g, p)| (g.clone(), p.clone())).collect();
            let measure = |treat: &[Treatment]| -> Result<Vec<super::Observation>> {
                let base = Simulation::generate_treated(&config.simulation, treat)?;
                super::analysis::observations(&config.playbook, &as_treated, &base.dataset, &only)
            };
            let with = measure(&treatments(&with_effect, &[]))?;
            let without = measure(&treatments(&[], &with_effect))?;
            match &config.analysis.outcome {
                Outcome::Retention { horizon, .. } => {
                    let at = |obs: &[super::Observation]| -> Option<f64> {
                        let (d, e): (Vec<f64>, Vec<bool>) =
                            obs.iter().filter_map(|o| o.duration_days.map(|d| (d, o.churned))).unzip();
                        let km = super::KaplanMeier::fit(&d, &e, 0.95).ok()?;
                        Some(km.at(super::analysis::horizon_days(*horizon)).0)
                    };
                    at(&with).zip(at(&without)).map(|(a, b)| a - b)
                }
                _ => {
                    let pairs: Vec<f64> = with.iter().zip(&without).filter_map(|(a, b)| Some(a.value? - b.value?)).collect();
                    (!pairs.is_empty()).then(|| pairs.iter().sum::<f64>() / pairs.len() as f64)
                }
            }
        };
        let covered = effect.zip(r.ci_low.zip(r.ci_high)).map(|(t, (lo, hi))| lo <= t && t <= hi);
        truth.push(TrueEffect { group: r.group.clone(), effect, covered });
    }
    Ok(SimulatedExperimentResult { report, truth, state })
}
