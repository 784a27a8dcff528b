//! Health scoring: scorecards as data ([`Scorecard`], [`ScorecardSet`]), scores with per-measure
//! contributions and why-changed breakdowns ([`HealthScores`]), edge-case flags computed from
//! each account's own history ([`detect_flags`]), parent roll-ups, health history and backtests
//! ([`backtest`]).
//!
//! ```
//! use custfit::health::{health_snapshot, FlagConfig, Scorecard};
//! use custfit::{SnapshotConfig, Simulation, SimulationConfig};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(40).with_days(120).with_seed(1))?;
//! let snapshot = health_snapshot(&sim.dataset, sim.end, &SnapshotConfig::default(), &FlagConfig::default())?;
//! let scores = Scorecard::starter().score(&snapshot)?;
//! let first = scores.row(0).expect("one account");
//! let total: f64 = first.measures.iter().map(|m| m.contribution).sum();
//! assert!((total - first.score.unwrap_or(0.0)).abs() < 1e-6);
//! # Ok::<(), custfit::Error>(())
//! ```

mod backtest;
mod config;
mod flags;
mod rank;
mod result;
mod score;
mod store;

pub use crate::stats::wilson_interval;
pub use backtest::{
    account_history, backtest, health_history, roc_auc, BacktestConfig, BacktestReport, BandOutcome, DateOutcome, HistoryPoint,
    TransitionMatrix, BACKTEST_CONFIG_VERSION,
};
pub use config::{
    default_bands, Band, Direction, Measure, MeasureGroup, MissingPolicy, Override, PeerGroup, Penalty, Scorecard, ScorecardCase,
    ScorecardSet, Scoring, Tier, MAX_WEIGHT, SCORECARD_VERSION,
};
pub use flags::{
    add_flag_columns, detect_flags, health_snapshot, AccountFlags, BurstFlag, BurstRule, ConfusionFlag, ConfusionRule,
    FlagConfig, FlagName, InactivityFlag, InactivityRule, PricingFlag, PricingRule, FLAG_COLUMNS, FLAG_CONFIG_VERSION,
};
pub use result::{AccountHealth, AppliedOverride, MeasureChange, MeasureScore, Rollup, ScoreChange};
pub use score::{HealthScores, Scorer, MICROS_PER_POINT};
