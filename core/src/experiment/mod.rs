//! Experiments: prove whether a play works. Deterministic holdout assignment ([`holdout_draw`],
//! [`is_held_out`]), the sample-ratio-mismatch check ([`sample_ratio_mismatch`]), power and
//! sample size ([`sample_size_proportions`], [`sample_size_means`], [`mde_proportions`],
//! [`mde_means`]), effect estimates ([`welch`], [`cuped`]) and retention as a censored
//! time-to-event outcome ([`KaplanMeier`], [`log_rank`]).
//!
//! Everything here is plain statistics over numbers a caller (or the play ledger) provides; the
//! distributions are `statrs`'.

mod analysis;
mod estimate;
mod power;
mod simulate;
mod srm;
mod survival;

pub use crate::play::{holdout_draw, is_held_out};
pub use analysis::{
    analyse, analyse_observations, observations, AnalysisConfig, Control, CupedSummary, ExperimentReport, ExperimentResult,
    Observation, Outcome, RetentionDetail, SequentialConfig, SurvivalAt, Verdict, ANALYSIS_VERSION, MAX_GROUPS, MAX_METRIC_DATES,
    MAX_OBSERVATIONS,
};
pub use estimate::{
    cuped, sequential, welch, welch_summary, ArmSummary, CupedEffect, Effect, SequentialInterval, MAX_SAMPLE, MAX_TUNING,
};
pub use power::{
    mde_means, mde_proportions, power_plan, sample_size_means, sample_size_proportions, PlannedOutcome, PlayPower,
    PowerPlanConfig, SampleSize,
};
pub use simulate::{
    simulate_experiment, PlayEffect, SimulatedExperiment, SimulatedExperimentResult, TrueEffect, SIMULATED_EXPERIMENT_VERSION,
};
pub use srm::{sample_ratio_mismatch, SampleRatioCheck, EXACT_UP_TO, MAX_ARMS};
pub use survival::{log_rank, KaplanMeier, LogRank, SurvivalStep, MAX_SUBJECTS};

use crate::error::{Error, Result};

/// `alpha` in (0, 0.5] and `power` in [0.5, 1): what the power functions accept.
fn check_levels(alpha: f64, power: Option<f64>) -> Result<()> {
    if !(alpha > 0.0 && alpha <= 0.5) {
        return Err(Error::argument("alpha", format!("must be in (0, 0.5], got {alpha}")));
    }
    if let Some(p) = power {
        if !(0.5..1.0).contains(&p) {
            return Err(Error::argument("power", format!("must be in [0.5, 1), got {p}")));
        }
    }
    Ok(())
}

/// The standard normal quantile.
fn z(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.inverse_cdf(p))
}
