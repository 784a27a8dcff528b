//! Leakage-free training sets: observation dates on a grid, features as of each date (snapshot
//! metrics, built-in or user-defined), label = churned within a horizon after a lead time.
//!
//! Leakage is prevented by construction: features come from `Dataset::snapshot_with(date)`, which
//! reads only data known at `date`; labels come from churn instants that are known (tolerance
//! elapsed) by `known_at`; dates whose label window is not fully observed by `known_at` are
//! dropped (right-censoring), and only accounts active at a date get a row.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{ColumnData, Snapshot, SnapshotConfig};
pub(crate) use crate::outcome::forward;
use crate::outcome::{churn_dates, churn_labels, SubscriptionChurn};
use crate::time::{Timestamp, Window};

/// Version of the training-set config document.
pub const TRAINING_CONFIG_VERSION: u32 = 1;

/// Which metrics feed a churn model, and how user-defined ones are computed. Saved with a model
/// so that forecasting computes exactly the training features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ChurnFeatures {
    /// Metric names: built-in, user-defined (in `snapshot.metrics`) or numeric account attributes.
    pub metrics: Vec<String>,
    /// Snapshot configuration (activity rules and user-defined metrics).
    pub snapshot: SnapshotConfig,
}

/// Built-in metrics used when no feature is named: usage, breadth, trend, support, billing.
pub const DEFAULT_FEATURES: [&str; 16] = [
    "active_days_30d",
    "stickiness",
    "seat_utilization",
    "logins_30d",
    "events_30d",
    "days_since_last_activity",
    "days_since_champion_activity",
    "usage_trend_30d",
    "features_used_30d",
    "pricing_page_views_30d",
    "support_tickets_60d",
    "high_severity_tickets_60d",
    "csm_touches_30d",
    "tenure_days",
    "mrr",
    "days_to_renewal",
];

impl Default for ChurnFeatures {
    fn default() -> Self {
        ChurnFeatures { metrics: DEFAULT_FEATURES.iter().map(|s| s.to_string()).collect(), snapshot: SnapshotConfig::default() }
    }
}

impl ChurnFeatures {
    /// Features from metric names, with the default snapshot config.
    pub fn new<S: AsRef<str>>(metrics: &[S]) -> Self {
        ChurnFeatures { metrics: metrics.iter().map(|m| m.as_ref().to_string()).collect(), snapshot: SnapshotConfig::default() }
    }

    /// Uses this snapshot config (e.g. with user-defined metrics).
    pub fn with_snapshot(mut self, snapshot: SnapshotConfig) -> Self {
        self.snapshot = snapshot;
        self
    }

    /// Checks names are present and unique, and the snapshot config.
    pub fn validate(&self) -> Result<()> {
        if self.metrics.is_empty() {
            return Err(Error::config("features.metrics", "name at least one metric"));
        }
        for (i, m) in self.metrics.iter().enumerate() {
            if self.metrics[..i].contains(m) {
                return Err(Error::config(format!("features.metrics[{i}]"), format!("`{m}` is listed twice")));
            }
        }
        self.snapshot.validate()
    }

    /// The snapshot of `ds` at `as_of` with these features.
    pub fn snapshot(&self, ds: &Dataset, as_of: Timestamp) -> Result<Snapshot> {
        ds.snapshot_with(as_of, &self.snapshot)
    }

    /// Feature values of the snapshot's rows, row-major, `NaN` where a value is missing.
    pub fn extract(&self, snapshot: &Snapshot) -> Result<Vec<f64>> {
        let cols: Vec<&ColumnData> = self.metrics.iter().map(|m| snapshot.column(m)).collect::<Result<_>>()?;
        for (c, m) in cols.iter().zip(&self.metrics) {
            if !c.data_type().is_numeric() && !matches!(c, ColumnData::Bool(_)) {
                return Err(Error::config(
                    "features.metrics",
                    format!("metric `{m}` is {}; churn features must be numbers or booleans", c.data_type().as_str()),
                ));
            }
        }
        let n = snapshot.len();
        let mut out = Vec::with_capacity(n * cols.len());
        for r in 0..n {
            for c in &cols {
                let v = match c {
                    ColumnData::Bool(v) => v.get(r).copied().flatten().map(f64::from),
                    other => other.f64_at(r),
                };
                out.push(v.unwrap_or(f64::NAN));
            }
        }
        Ok(out)
    }
}

/// How to build a training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct TrainingSetConfig {
    /// Document version ([`TRAINING_CONFIG_VERSION`]).
    pub version: u32,
    /// The features.
    pub features: ChurnFeatures,
    /// First observation date; default: one step after the later of the earliest subscription
    /// start and the earliest event (usage metrics need event history).
    pub first_observation: Option<Timestamp>,
    /// Last observation date; default (and upper bound): the last date whose label window is
    /// fully observed by `known_at`.
    pub last_observation: Option<Timestamp>,
    /// Spacing of observation dates.
    pub step: Window,
    /// Time between an observation and the start of its label window (time to act).
    pub lead: Window,
    /// Length of the label window.
    pub horizon: Window,
    /// The churn definition behind labels.
    pub churn: SubscriptionChurn,
}

impl Default for TrainingSetConfig {
    fn default() -> Self {
        TrainingSetConfig {
            version: TRAINING_CONFIG_VERSION,
            features: ChurnFeatures::default(),
            first_observation: None,
            last_observation: None,
            step: Window::months(1),
            lead: Window::days(0),
            horizon: Window::days(90),
            churn: SubscriptionChurn::default(),
        }
    }
}

impl TrainingSetConfig {
    /// Sets the features.
    pub fn with_features(mut self, features: ChurnFeatures) -> Self {
        self.features = features;
        self
    }
    /// Sets the observation grid step.
    pub fn with_step(mut self, step: Window) -> Self {
        self.step = step;
        self
    }
    /// Sets the lead time.
    pub fn with_lead(mut self, lead: Window) -> Self {
        self.lead = lead;
        self
    }
    /// Sets the label horizon.
    pub fn with_horizon(mut self, horizon: Window) -> Self {
        self.horizon = horizon;
        self
    }
    /// Sets the first observation date.
    pub fn with_first_observation(mut self, t: Timestamp) -> Self {
        self.first_observation = Some(t);
        self
    }
    /// Sets the last observation date.
    pub fn with_last_observation(mut self, t: Timestamp) -> Self {
        self.last_observation = Some(t);
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Self> {
        <Self as crate::document::Document>::from_json_str(text)
    }

    /// JSON text of this config.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.version != TRAINING_CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "training set config".into(),
                found: self.version,
                supported: TRAINING_CONFIG_VERSION,
            });
        }
        self.features.validate()?;
        self.step.validate("step")?;
        self.horizon.validate("horizon")?;
        if self.lead.amount > 0 {
            self.lead.validate("lead")?;
        }
        self.churn.validate()?;
        if let (Some(a), Some(b)) = (self.first_observation, self.last_observation) {
            if b < a {
                return Err(Error::config("last_observation", "is before first_observation"));
            }
        }
        Ok(())
    }
}

/// A training set: one row per (observation date, account active at that date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrainingSet {
    /// Feature names, in column order.
    pub feature_names: Vec<String>,
    /// Feature values, row-major (`rows × feature_names.len()`); `NaN` marks a missing value.
    pub x: Vec<f64>,
    /// Labels: churned within the horizon after the lead.
    pub y: Vec<bool>,
    /// Account of each row.
    pub account_ids: Vec<String>,
    /// Observation date of each row.
    pub observed_at: Vec<Timestamp>,
    /// Lead time used for labels.
    pub lead: Window,
    /// Horizon used for labels.
    pub horizon: Window,
}

impl TrainingSet {
    /// Builds a training set from a feature matrix (row-major) and labels, without dates. Useful for
    /// data built elsewhere; `observed_at` is set to the epoch.
    pub fn from_matrix(feature_names: Vec<String>, x: Vec<f64>, y: Vec<bool>) -> Result<Self> {
        let p = feature_names.len();
        if p == 0 || x.len() != y.len() * p {
            return Err(Error::argument("x", format!("expected {} × {p} values, got {}", y.len(), x.len())));
        }
        let n = y.len();
        Ok(TrainingSet {
            feature_names,
            x,
            y,
            account_ids: (0..n).map(|i| format!("row-{i}")).collect(),
            observed_at: vec![Timestamp::from_millis(0)?; n],
            lead: Window::days(0),
            horizon: Window::days(0),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether the set has no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of features.
    pub fn width(&self) -> usize {
        self.feature_names.len()
    }

    /// Share of positive labels.
    pub fn churn_rate(&self) -> f64 {
        if self.y.is_empty() {
            return 0.0;
        }
        self.y.iter().filter(|&&b| b).count() as f64 / self.y.len() as f64
    }

    /// Row `i`'s features.
    pub fn row(&self, i: usize) -> &[f64] {
        let p = self.width();
        &self.x[i * p..(i + 1) * p]
    }

    /// The subset of rows `idx`.
    pub fn take(&self, idx: &[usize]) -> TrainingSet {
        let p = self.width();
        let mut x = Vec::with_capacity(idx.len() * p);
        for &i in idx {
            x.extend_from_slice(self.row(i));
        }
        TrainingSet {
            feature_names: self.feature_names.clone(),
            x,
            y: idx.iter().map(|&i| self.y[i]).collect(),
            account_ids: idx.iter().map(|&i| self.account_ids[i].clone()).collect(),
            observed_at: idx.iter().map(|&i| self.observed_at[i]).collect(),
            lead: self.lead,
            horizon: self.horizon,
        }
    }

    /// Distinct observation dates, ascending.
    pub fn dates(&self) -> Vec<Timestamp> {
        let mut d = self.observed_at.clone();
        d.sort_unstable();
        d.dedup();
        d
    }

    /// Time-ordered split at `cutoff`: the test part holds rows observed at or after `cutoff`; the
    /// training part holds rows whose whole label window (`observed_at + lead + horizon`) ended by
    /// `cutoff`, so no training label looks into the test period.
    pub fn split_at(&self, cutoff: Timestamp) -> (TrainingSet, TrainingSet) {
        let mut train = Vec::new();
        let mut test = Vec::new();
        for (i, &t) in self.observed_at.iter().enumerate() {
            if t >= cutoff {
                test.push(i);
            } else if forward(forward(t, self.lead), self.horizon) <= cutoff {
                train.push(i);
            }
        }
        (self.take(&train), self.take(&test))
    }

    /// Time-ordered hold-out: the last `test_share` of observation dates form the test part (at
    /// least one date), split with [`split_at`](Self::split_at).
    pub fn time_split(&self, test_share: f64) -> Result<(TrainingSet, TrainingSet)> {
        if !(test_share > 0.0 && test_share < 1.0) {
            return Err(Error::argument("test_share", format!("must lie in (0, 1), got {test_share}")));
        }
        let dates = self.dates();
        if dates.len() < 2 {
            return Err(insufficient("a time-ordered split needs at least two observation dates"));
        }
        let k = ((dates.len() as f64 * test_share).round() as usize).clamp(1, dates.len() - 1);
        Ok(self.split_at(dates[dates.len() - k]))
    }

    /// Rolling-origin splits for a backtest: for each of the last `folds` observation dates, train
    /// on rows whose label window ended by that date and test on that date's rows.
    pub fn rolling_splits(&self, folds: usize) -> Result<Vec<(Timestamp, TrainingSet, TrainingSet)>> {
        let dates = self.dates();
        if folds == 0 || folds >= dates.len() {
            return Err(insufficient(format!(
                "{folds} folds need more than {folds} observation dates; the set has {}",
                dates.len()
            )));
        }
        let mut out = Vec::with_capacity(folds);
        for &d in &dates[dates.len() - folds..] {
            let (train, _) = self.split_at(d);
            let test_idx: Vec<usize> = (0..self.len()).filter(|&i| self.observed_at[i] == d).collect();
            out.push((d, train, self.take(&test_idx)));
        }
        Ok(out)
    }
}

pub(crate) fn insufficient(reason: impl Into<String>) -> Error {
    Error::Argument { kind: ErrorKind::InsufficientData, name: "rows".into(), reason: reason.into() }
}

/// Most observation dates one training set may have (a daily step over 270 years).
pub const MAX_OBSERVATION_DATES: usize = 100_000;

/// Observation dates of a config on a dataset whose data is known up to `known_at` (refused when
/// after the data's end, see [`crate::outcome::known_at`]).
pub fn observation_dates(ds: &Dataset, config: &TrainingSetConfig, known_at: Timestamp) -> Result<Vec<Timestamp>> {
    config.validate()?;
    let known_at = crate::outcome::known_at(ds, Some(known_at))?;
    let first = match config.first_observation {
        Some(t) => t,
        None => {
            let earliest = (0..ds.account_count()).flat_map(|a| ds.subscription_rows(a).iter().map(|r| r.start)).min();
            let Some(ms) = earliest else { return Err(insufficient("the dataset holds no subscription")) };
            // Usage metrics need event history: start one step after both data kinds begin.
            let first_event = ds.event_time_range().map_or(ms, |(a, _)| a.millis());
            forward(Timestamp::from_millis(ms.max(first_event))?, config.step)
        }
    };
    let mut out = Vec::new();
    let mut t = first;
    loop {
        if config.last_observation.is_some_and(|l| t > l) {
            break;
        }
        if out.len() == MAX_OBSERVATION_DATES {
            return Err(Error::argument(
                "step",
                format!("yields more than {MAX_OBSERVATION_DATES} observation dates; use a longer step or set last_observation"),
            ));
        }
        // Censoring: the label window plus the churn tolerance must be observed by `known_at`.
        let label_end = forward(forward(t, config.lead), config.horizon);
        if forward(label_end, config.churn.gap_tolerance) > known_at {
            break;
        }
        out.push(t);
        let next = forward(t, config.step);
        if next <= t {
            break;
        }
        t = next;
    }
    Ok(out)
}

/// Builds the training set of `ds` under `config`, with data known up to `known_at` (`None`: the
/// data's end, [`Dataset::data_end`]; a later instant is refused).
pub fn build_training_set(ds: &Dataset, config: &TrainingSetConfig, known_at: Option<Timestamp>) -> Result<TrainingSet> {
    config.validate()?;
    let known_at = crate::outcome::known_at(ds, known_at)?;
    let dates = observation_dates(ds, config, known_at)?;
    if dates.is_empty() {
        return Err(insufficient(format!(
            "no observation date has its label window ({} lead + {} horizon + {} tolerance) observed by {known_at}",
            config.lead, config.horizon, config.churn.gap_tolerance
        )));
    }
    let churned = churn_dates(ds, &config.churn, known_at)?;
    let p = config.features.metrics.len();
    let mut set = TrainingSet {
        feature_names: config.features.metrics.clone(),
        x: Vec::new(),
        y: Vec::new(),
        account_ids: Vec::new(),
        observed_at: Vec::new(),
        lead: config.lead,
        horizon: config.horizon,
    };
    for date in dates {
        let labels = churn_labels(ds, &churned, date, config.lead, config.horizon);
        let snap = config.features.snapshot(ds, date)?;
        let x = config.features.extract(&snap)?;
        let rows: FxHashMap<&str, usize> = snap.account_ids().iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        for (a, label) in labels.iter().enumerate() {
            let Some(label) = label else { continue };
            let id = ds.accounts()[a].id.as_str();
            let Some(&r) = rows.get(id) else { continue };
            set.x.extend_from_slice(&x[r * p..(r + 1) * p]);
            set.y.push(*label);
            set.account_ids.push(id.to_string());
            set.observed_at.push(date);
        }
    }
    Ok(set)
}

crate::document::document! {
    TrainingSetConfig => "training set config", TRAINING_CONFIG_VERSION;
}
