//! # custfit — customer fitness engine
//!
//! custfit turns a software company's accounts, subscriptions and product-usage events into
//! activity metrics, health scores, churn risk, segments and plays.
//!
//! The data's way through the crate:
//!
//! ```text
//! accounts, users, subscriptions, events ──▶ Dataset (validated, columnar, sorted by account+time)
//! Dataset + as_of ──▶ Snapshot: one row per account, one column per metric (the hub)
//! ```
//!
//! ## Quick start
//!
//! ```
//! use custfit::{Dataset, IngestOptions, Simulation, SimulationConfig};
//!
//! // A small simulated customer base, deterministic for a given seed.
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(50).with_seed(7))?;
//! let snapshot = sim.dataset.snapshot(sim.end)?;
//! assert_eq!(snapshot.len(), sim.dataset.account_count());
//! let mau = snapshot.column("mau")?;
//! assert!(mau.f64_at(0).is_some());
//! # Ok::<(), custfit::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activity;
pub mod churn;
pub mod data;
pub mod document;
pub mod effectiveness;
pub mod error;
pub mod experiment;
pub mod expr;
pub mod frame;
pub mod health;
pub mod io;
pub mod lifecycle;
pub mod metrics;
pub mod outcome;
pub mod play;
pub mod revenue;
pub mod segment;
pub mod sim;
pub mod stats;
pub mod time;

pub use activity::{daily_activity, DailyActivity};
pub use data::{
    Account, AttributeValue, Dataset, DuplicatePolicy, Event, IngestMode, IngestOptions, IngestReport, Money, PropertyValue,
    RejectedRow, Role, Subscription, SubscriptionStatus, User,
};
pub use error::{Entity, Error, ErrorKind, Result};
pub use expr::{Expr, ExprLimits, Frame};
pub use health::{
    backtest, detect_flags, health_snapshot, AccountFlags, AccountHealth, BacktestConfig, BacktestReport, FlagConfig,
    HealthScores, Measure, Scorecard, ScorecardSet, Scoring,
};
pub use metrics::{
    AccountColumns, Column, ColumnData, DataType, MetricDef, PropertyFilter, Snapshot, SnapshotConfig, ToColumns, Value,
};
pub use sim::{Simulation, SimulationConfig, Treatment};
pub use time::{TimeUnit, Timestamp, Window};

/// The README's Rust example, compiled and run as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
