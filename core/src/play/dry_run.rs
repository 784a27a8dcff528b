//! Dry run: replay a playbook over history — at every step between two dates build the frame as
//! of that date from the dataset (no look-ahead), run the engine, carry the state forward exactly
//! as production would — and report what each play would have fired and how those accounts fared
//! afterwards.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::churn::ChurnModel;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::health::{health_snapshot, FlagConfig, Scorecard};
use crate::metrics::ActivityRules;
use crate::metrics::{Snapshot, SnapshotConfig, ToColumns};
use crate::outcome::{active_days, churn_dates, SubscriptionChurn};
use crate::segment::ParetoConfig;
use crate::stats::{max_threads, pipeline};
use crate::time::{Timestamp, Window};

use super::book::Playbook;
use super::engine::run_mut;
use super::state::{PlayRun, PlayState};

/// Version of the recipe and dry-run config documents.
pub const DRY_RUN_VERSION: u32 = 1;

/// Most steps one dry run may take (a daily step over 27 years).
pub const MAX_DRY_RUN_STEPS: usize = 10_000;

/// How the frame of a run is built from a dataset as of an instant: the snapshot (with the
/// health flags when a scorecard is given), then the Pareto tier as `tier`, the health score as
/// `health_score` / `health_band`, and a churn forecast as `churn_probability`, `churn_rank`, … —
/// the columns the starter playbook reads. A churn model in a recipe must have been fitted on
/// data before the dry run's first date, or the replay sees the future through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct FrameRecipe {
    /// Document version ([`DRY_RUN_VERSION`]).
    pub version: u32,
    /// Metrics of the snapshot.
    pub snapshot: SnapshotConfig,
    /// Health flags (used with a scorecard).
    pub flags: FlagConfig,
    /// A health scorecard: adds `health_score` and `health_band`.
    pub scorecard: Option<Scorecard>,
    /// Pareto tiers: adds `tier`.
    pub tiers: Option<ParetoConfig>,
    /// A fitted churn model: adds `churn_probability`, `churn_rank`, `churn_top_driver`,
    /// `churn_opportunity_at`.
    pub churn_model: Option<ChurnModel>,
}

impl Default for FrameRecipe {
    fn default() -> Self {
        FrameRecipe {
            version: DRY_RUN_VERSION,
            snapshot: SnapshotConfig::default(),
            flags: FlagConfig::default(),
            scorecard: None,
            tiers: None,
            churn_model: None,
        }
    }
}

impl FrameRecipe {
    /// The recipe the starter playbook needs: the starter scorecard, Pareto tiers and `model`.
    pub fn starter(model: ChurnModel) -> Self {
        FrameRecipe {
            scorecard: Some(Scorecard::starter()),
            tiers: Some(ParetoConfig::default()),
            churn_model: Some(model),
            ..FrameRecipe::default()
        }
    }

    /// Checks the parts.
    pub fn validate(&self) -> Result<()> {
        if self.version != DRY_RUN_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "frame recipe".into(),
                found: self.version,
                supported: DRY_RUN_VERSION,
            });
        }
        self.snapshot.validate()?;
        if let Some(card) = &self.scorecard {
            card.validate()?;
        }
        if let Some(tiers) = &self.tiers {
            tiers.validate()?;
        }
        if let Some(model) = &self.churn_model {
            model.validate()?;
        }
        Ok(())
    }

    /// The frame of `ds` as of `as_of`.
    pub fn frame(&self, ds: &Dataset, as_of: Timestamp) -> Result<Snapshot> {
        let snapshot = match &self.scorecard {
            Some(_) => health_snapshot(ds, as_of, &self.snapshot, &self.flags)?,
            None => ds.snapshot_with(as_of, &self.snapshot)?,
        };
        let mut frame = match &self.tiers {
            Some(t) => {
                let tiers = t.apply(&snapshot)?;
                snapshot.with_columns(tiers.account_columns("tier"))?
            }
            None => snapshot,
        };
        if let Some(card) = &self.scorecard {
            let scores = card.score(&frame)?;
            frame = frame.with_columns(scores.account_columns("health"))?;
        }
        if let Some(model) = &self.churn_model {
            // The model's features come from a snapshot like the frame's: read them from it.
            let forecast = if model.features.snapshot == self.snapshot {
                model.forecast_with(ds, &frame, 1)?
            } else {
                model.forecast(ds, as_of, 1)?
            };
            frame = frame.with_columns(forecast.account_columns("churn"))?;
        }
        Ok(frame)
    }
}

/// The dates and outcome horizon of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DryRunConfig {
    /// Document version ([`DRY_RUN_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// First run.
    pub from: Timestamp,
    /// Last run (runs at `from`, `from + step`, … up to it).
    pub to: Timestamp,
    /// Between runs (`{"amount": 7, "unit": "days"}` for weekly).
    pub step: Window,
    /// How long after firing an account's outcome is measured (default 90 days).
    #[serde(default = "ninety_days")]
    pub horizon: Window,
    /// The churn definition of the outcome.
    #[serde(default)]
    pub churn: SubscriptionChurn,
    /// Threads building frames (each frame depends only on its date, so they are built side by
    /// side, at most two per thread ahead of the engine — which bounds the frames held — while
    /// the engine runs them in date order). 1 to 8; default: the machine's cores (at most 8).
    /// The result does not depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
}

fn version() -> u32 {
    DRY_RUN_VERSION
}

fn ninety_days() -> Window {
    Window::days(90)
}

impl DryRunConfig {
    /// Weekly runs from `from` to `to`, outcomes over 90 days.
    pub fn weekly(from: Timestamp, to: Timestamp) -> Self {
        DryRunConfig {
            version: DRY_RUN_VERSION,
            from,
            to,
            step: Window::days(7),
            horizon: ninety_days(),
            churn: SubscriptionChurn::default(),
            threads: None,
        }
    }

    /// Checks the config (its dates included).
    pub fn validate(&self) -> Result<()> {
        self.dates().map(drop)
    }

    /// The run dates, checked against [`MAX_DRY_RUN_STEPS`] before any work.
    pub fn dates(&self) -> Result<Vec<Timestamp>> {
        if self.version != DRY_RUN_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "dry run config".into(),
                found: self.version,
                supported: DRY_RUN_VERSION,
            });
        }
        self.step.validate("step")?;
        self.horizon.validate("horizon")?;
        self.churn.validate()?;
        if let Some(t) = self.threads.filter(|t| !(1..=8).contains(t)) {
            return Err(Error::config("threads", format!("must be 1 to 8, got {t}")));
        }
        if self.to < self.from {
            return Err(Error::config("to", "must not be before `from`"));
        }
        let mut out = vec![self.from];
        loop {
            let next = self.step.end(*out.last().unwrap_or(&self.from));
            if next > self.to {
                break;
            }
            if out.len() == MAX_DRY_RUN_STEPS {
                return Err(Error::config("step", format!("more than {MAX_DRY_RUN_STEPS} runs between `from` and `to`")));
            }
            out.push(next);
        }
        Ok(out)
    }
}

/// How the accounts a play acted on fared afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlayOutcome {
    /// The play.
    pub play: String,
    /// Actions it fired.
    pub fired: usize,
    /// Held-out actions it recorded (its holdout and the global one): the accounts it would
    /// have acted on.
    pub held_out: usize,
    /// Distinct accounts it fired for.
    pub accounts: usize,
    /// Actions whose horizon the data covers (the rest are too recent to judge).
    pub observed: usize,
    /// Of the observed, accounts that churned within the horizon after the action.
    pub churned: usize,
    /// `churned / observed` (missing when nothing is observed).
    pub churn_rate: Option<f64>,
    /// Mean change of `active_days_30d` from the firing to the end of the horizon, over
    /// observed actions with both values.
    pub mean_active_days_change: Option<f64>,
}

/// What a dry run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DryRun {
    /// Each run, in date order (the same as running the engine step by step).
    pub runs: Vec<PlayRun>,
    /// The state after the last run.
    pub state: PlayState,
    /// Per play (playbook order), how the accounts it acted on fared.
    pub plays: Vec<PlayOutcome>,
}

/// Replays `playbook` over `ds` at `config`'s dates with frames built by `recipe`, starting from
/// `state` (usually empty).
pub fn dry_run(
    playbook: &Playbook,
    ds: &Dataset,
    recipe: &FrameRecipe,
    config: &DryRunConfig,
    state: &PlayState,
) -> Result<DryRun> {
    playbook.validate()?;
    recipe.validate()?;
    let dates = config.dates()?;
    let known = crate::outcome::known_at(ds, None)?;
    if let Some(late) = dates.iter().find(|d| **d > known.floor_day().add_days(1)) {
        return Err(Error::config("to", format!("{late} is after the data's end ({known})")));
    }
    let mut state = state.clone();
    let mut runs = Vec::with_capacity(dates.len());
    // Frames are built side by side, at most two per thread ahead of the engine, which runs
    // them in date order as they come.
    let threads = config.threads.map_or_else(max_threads, |t| t as usize).clamp(1, 8);
    pipeline(
        dates.len(),
        threads,
        2 * threads,
        |i| recipe.frame(ds, dates[i]),
        |_, frame| {
            runs.push(run_mut(playbook, &frame?, &mut state)?);
            Ok::<(), Error>(())
        },
    )?;
    let plays = outcomes(playbook, ds, config, &recipe.snapshot.activity, &runs, known)?;
    Ok(DryRun { runs, state, plays })
}

fn outcomes(
    playbook: &Playbook,
    ds: &Dataset,
    config: &DryRunConfig,
    rules: &ActivityRules,
    runs: &[PlayRun],
    known: Timestamp,
) -> Result<Vec<PlayOutcome>> {
    let churn = churn_dates(ds, &config.churn, known)?;
    let index: HashMap<&str, usize> = ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let mut out: Vec<PlayOutcome> = Vec::with_capacity(playbook.plays.len());
    for play in &playbook.plays {
        let actions: Vec<_> = runs.iter().flat_map(|r| r.fired.iter()).filter(|a| a.play == play.id).collect();
        let held_out = runs.iter().flat_map(|r| r.held_out.iter()).filter(|a| a.play == play.id).count();
        let mut accounts: Vec<&str> = actions.iter().map(|a| a.account_id.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let (mut observed, mut churned, mut change, mut changes) = (0usize, 0usize, 0.0f64, 0usize);
        for a in &actions {
            let end = config.horizon.end(a.created_at);
            if end > known {
                continue;
            }
            observed += 1;
            let Some(&i) = index.get(a.account_id.as_str()) else { continue };
            if churn[i].iter().any(|&c| c > a.created_at && c <= end) {
                churned += 1;
            }
            // active_days_30d at the firing and at the horizon's end, for this account only.
            let days = |t: Timestamp| f64::from(active_days(ds, i, rules, t, 30));
            change += days(end) - days(a.created_at);
            changes += 1;
        }
        out.push(PlayOutcome {
            play: play.id.clone(),
            fired: actions.len(),
            held_out,
            accounts: accounts.len(),
            observed,
            churned,
            churn_rate: (observed > 0).then(|| churned as f64 / observed as f64),
            mean_active_days_change: (changes > 0).then(|| change / changes as f64),
        });
    }
    Ok(out)
}

crate::document::document! {
    FrameRecipe => "frame recipe", DRY_RUN_VERSION;
    DryRunConfig => "dry run config", DRY_RUN_VERSION;
}
