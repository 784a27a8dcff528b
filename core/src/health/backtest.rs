//! Backtesting a scorecard: score the base as of past dates, join each account with whether it
//! churned within the following horizon (subscription churn, censoring-aware), and report per
//! band the churn rate with a Wilson 95% interval, the score's ROC AUC, and the band transitions.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::SnapshotConfig;
use crate::outcome::{churn_dates, churn_labels, forward, SubscriptionChurn};
use crate::stats::wilson_interval;
use crate::time::{Timestamp, Window};

use super::flags::{health_snapshot, FlagConfig};
use super::score::{HealthScores, Scorer};

/// Version of the backtest configuration document.
pub const BACKTEST_CONFIG_VERSION: u32 = 1;

/// The most observation dates [`BacktestConfig::grid`] makes.
pub const MAX_GRID_DATES: usize = 10_000;

fn version_one() -> u32 {
    BACKTEST_CONFIG_VERSION
}

/// What to backtest over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// Observation dates (scored as of each).
    pub dates: Vec<Timestamp>,
    /// Outcome horizon after each date (plus `lead`).
    #[serde(default = "ninety_days")]
    pub horizon: Window,
    /// Lead time between the observation and the start of the horizon.
    #[serde(default = "zero_days")]
    pub lead: Window,
    /// Churn definition.
    #[serde(default)]
    pub churn: SubscriptionChurn,
    /// The instant up to which outcomes are known (default: the dataset's last event). Dates
    /// whose horizon (plus the churn gap tolerance) reaches past it are skipped (censored).
    #[serde(default)]
    pub known_at: Option<Timestamp>,
    /// Snapshot settings (custom metrics the scorecard uses).
    #[serde(default)]
    pub snapshot: SnapshotConfig,
    /// Edge-case flag settings.
    #[serde(default)]
    pub flags: FlagConfig,
}

fn ninety_days() -> Window {
    Window::days(90)
}

fn zero_days() -> Window {
    Window::days(0)
}

impl BacktestConfig {
    /// A backtest over `dates` with a 90-day horizon and no lead.
    pub fn new(dates: Vec<Timestamp>) -> Self {
        BacktestConfig {
            version: BACKTEST_CONFIG_VERSION,
            dates,
            horizon: ninety_days(),
            lead: zero_days(),
            churn: SubscriptionChurn::default(),
            known_at: None,
            snapshot: SnapshotConfig::default(),
            flags: FlagConfig::default(),
        }
    }

    /// Observation dates every `step_days` days from `first` up to `last` inclusive (empty when
    /// `last` is before `first`).
    ///
    /// # Errors
    /// `invalid_argument` when `step_days` is 0 or the grid would hold more than
    /// [`MAX_GRID_DATES`] dates.
    pub fn grid(first: Timestamp, last: Timestamp, step_days: u32) -> Result<Vec<Timestamp>> {
        if step_days == 0 {
            return Err(Error::argument("step_days", "must be at least 1 day"));
        }
        let mut out = Vec::new();
        let mut t = first;
        while t <= last {
            if out.len() == MAX_GRID_DATES {
                return Err(Error::argument(
                    "step_days",
                    format!("a grid from {first} to {last} every {step_days} days holds more than {MAX_GRID_DATES} dates"),
                ));
            }
            out.push(t);
            t = t.add_days(i64::from(step_days));
        }
        Ok(out)
    }

    /// Sets the horizon.
    pub fn with_horizon(mut self, horizon: Window) -> Self {
        self.horizon = horizon;
        self
    }

    /// Sets the lead time.
    pub fn with_lead(mut self, lead: Window) -> Self {
        self.lead = lead;
        self
    }

    /// Sets when outcomes are known up to.
    pub fn with_known_at(mut self, known_at: Timestamp) -> Self {
        self.known_at = Some(known_at);
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Self> {
        <BacktestConfig as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("backtest config JSON", e))
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.version != BACKTEST_CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "backtest config".into(),
                found: self.version,
                supported: BACKTEST_CONFIG_VERSION,
            });
        }
        if self.dates.is_empty() {
            return Err(Error::config("dates", "need at least one observation date"));
        }
        self.horizon.validate("horizon")?;
        if self.lead.amount > 0 {
            self.lead.validate("lead")?;
        }
        self.churn.validate()?;
        self.flags.validate()
    }
}

/// Churn outcome of one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BandOutcome {
    /// Band name.
    pub band: String,
    /// Band colour.
    pub color: String,
    /// Account-dates observed in the band.
    pub observations: u64,
    /// Of which churned within the horizon.
    pub churned: u64,
    /// `churned / observations` (missing when empty).
    pub churn_rate: Option<f64>,
    /// Wilson 95% interval, lower end.
    pub ci_low: Option<f64>,
    /// Wilson 95% interval, upper end.
    pub ci_high: Option<f64>,
}

/// Outcome at one observation date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DateOutcome {
    /// The observation date.
    pub as_of: Timestamp,
    /// Active accounts scored.
    pub observations: u64,
    /// Of which churned within the horizon.
    pub churned: u64,
    /// The score's ROC AUC at this date (missing with one class).
    pub roc_auc: Option<f64>,
}

/// Band-to-band moves between consecutive observation dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TransitionMatrix {
    /// Band names (row and column order).
    pub bands: Vec<String>,
    /// `counts[from][to]`: accounts in band `from` at one date and `to` at the next.
    pub counts: Vec<Vec<u64>>,
}

/// What a backtest found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BacktestReport {
    /// Account-dates observed (active at the date and scored).
    pub observations: u64,
    /// Of which churned within the horizon.
    pub churned: u64,
    /// ROC AUC of the score for churn over all account-dates (low score = churn risk; 0.5 = no
    /// better than chance). Missing with one class.
    pub roc_auc: Option<f64>,
    /// Churn per band.
    pub bands: Vec<BandOutcome>,
    /// Per observation date.
    pub dates: Vec<DateOutcome>,
    /// Band transitions between consecutive dates.
    pub transitions: TransitionMatrix,
    /// Dates skipped because their outcome was not yet known (censored).
    pub skipped_dates: Vec<Timestamp>,
}

/// ROC AUC of `risk` (higher = more likely positive; any finite scale) for `labels`, ties
/// counted half (the Mann–Whitney statistic). `None` when either class is empty. For
/// probabilities with the stricter checks of model evaluation see `churn::roc_auc`.
///
/// # Errors
/// `invalid_argument` when the lengths differ; `non_finite` for a NaN or infinite risk.
pub fn roc_auc(risk: &[f64], labels: &[bool]) -> Result<Option<f64>> {
    if risk.len() != labels.len() {
        return Err(Error::argument("risk", format!("{} risks for {} labels", risk.len(), labels.len())));
    }
    if let Some(i) = risk.iter().position(|v| !v.is_finite()) {
        return Err(Error::Argument {
            kind: ErrorKind::NonFinite,
            name: "risk".into(),
            reason: format!("row {i} holds {}", risk[i]),
        });
    }
    Ok(crate::stats::rank_auc(risk, labels))
}

/// Scores as of every date (health history); each element is one date's [`HealthScores`].
pub fn health_history(
    ds: &Dataset,
    scorer: &dyn Scorer,
    dates: &[Timestamp],
    snapshot: &SnapshotConfig,
    flags: &FlagConfig,
) -> Result<Vec<HealthScores>> {
    dates.iter().map(|&d| scorer.score(&health_snapshot(ds, d, snapshot, flags)?)).collect()
}

/// One point of an account's health history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryPoint {
    /// The date.
    pub as_of: Timestamp,
    /// Score (missing when the account did not exist or had no measure).
    pub score: Option<f64>,
    /// Band.
    pub band: Option<String>,
}

/// One account's series out of a [`health_history`].
pub fn account_history(history: &[HealthScores], account_id: &str) -> Vec<HistoryPoint> {
    history
        .iter()
        .map(|h| {
            let row = h.account(account_id);
            HistoryPoint { as_of: h.as_of(), score: row.as_ref().and_then(|r| r.score), band: row.and_then(|r| r.band) }
        })
        .collect()
}

/// Backtests `scorer` on `ds` (see the module docs).
pub fn backtest(ds: &Dataset, scorer: &dyn Scorer, config: &BacktestConfig) -> Result<BacktestReport> {
    config.validate()?;
    let known_at = crate::outcome::known_at(ds, config.known_at)?;
    let churn = churn_dates(ds, &config.churn, known_at)?;
    let mut dates = config.dates.clone();
    dates.sort();
    dates.dedup();
    let mut skipped = Vec::new();
    let mut risk: Vec<f64> = Vec::new();
    let mut labels: Vec<bool> = Vec::new();
    let mut band_obs: Vec<(u64, u64)> = Vec::new();
    let mut band_meta: Vec<(String, String)> = Vec::new();
    let mut per_date = Vec::new();
    let mut prev_bands: Option<HashMap<String, usize>> = None;
    let mut transitions: Vec<Vec<u64>> = Vec::new();
    let index: HashMap<&str, usize> = ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    for d in dates {
        let outcome_end = forward(forward(forward(d, config.lead), config.horizon), config.churn.gap_tolerance);
        if outcome_end > known_at {
            skipped.push(d);
            continue;
        }
        let scores = scorer.score(&health_snapshot(ds, d, &config.snapshot, &config.flags)?)?;
        if band_meta.is_empty() {
            band_meta = scores.bands().iter().map(|b| (b.name.clone(), b.color.clone())).collect();
            band_obs = vec![(0, 0); band_meta.len()];
            transitions = vec![vec![0; band_meta.len()]; band_meta.len()];
        }
        let y = churn_labels(ds, &churn, d, config.lead, config.horizon);
        let bands = scores.band_indices();
        let (mut r_d, mut l_d) = (Vec::new(), Vec::new());
        let mut now_bands = HashMap::new();
        for (row, id) in scores.account_ids().iter().enumerate() {
            let Some(score) = scores.score_micros(row) else { continue };
            let Some(b) = bands[row] else { continue };
            now_bands.insert(id.clone(), b);
            let Some(&a) = index.get(id.as_str()) else { continue };
            let Some(label) = y.get(a).copied().flatten() else { continue };
            r_d.push(-(score as f64));
            l_d.push(label);
            if let Some(x) = band_obs.get_mut(b) {
                x.0 += 1;
                x.1 += u64::from(label);
            }
        }
        if let Some(prev) = &prev_bands {
            for (id, &to) in &now_bands {
                if let (Some(&from), true) = (prev.get(id), to < transitions.len()) {
                    if from < transitions.len() {
                        transitions[from][to] += 1;
                    }
                }
            }
        }
        prev_bands = Some(now_bands);
        per_date.push(DateOutcome {
            as_of: d,
            observations: l_d.len() as u64,
            churned: l_d.iter().filter(|&&l| l).count() as u64,
            roc_auc: roc_auc(&r_d, &l_d)?,
        });
        risk.extend(r_d);
        labels.extend(l_d);
    }
    if per_date.is_empty() {
        return Err(Error::Argument {
            kind: ErrorKind::InsufficientData,
            name: "dates".into(),
            reason: format!("every observation date's outcome window ends after known_at {known_at}"),
        });
    }
    Ok(BacktestReport {
        observations: labels.len() as u64,
        churned: labels.iter().filter(|&&l| l).count() as u64,
        roc_auc: roc_auc(&risk, &labels)?,
        bands: band_meta
            .iter()
            .zip(&band_obs)
            .map(|((name, color), &(n, k))| {
                let ci = wilson_interval(k, n).ok().flatten();
                BandOutcome {
                    band: name.clone(),
                    color: color.clone(),
                    observations: n,
                    churned: k,
                    churn_rate: (n > 0).then(|| k as f64 / n as f64),
                    ci_low: ci.map(|c| c.0),
                    ci_high: ci.map(|c| c.1),
                }
            })
            .collect(),
        dates: per_date,
        transitions: TransitionMatrix { bands: band_meta.into_iter().map(|b| b.0).collect(), counts: transitions },
        skipped_dates: skipped,
    })
}

crate::document::document! {
    BacktestConfig => "backtest config", BACKTEST_CONFIG_VERSION;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_wilson_match_hand_values() -> Result<()> {
        assert_eq!(roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?, Some(0.75));
        assert_eq!(roc_auc(&[1.0, 1.0], &[true, false])?, Some(0.5));
        assert_eq!(roc_auc(&[1.0], &[true])?, None);
        assert_eq!(roc_auc(&[], &[])?, None);
        let (lo, hi) = wilson_interval(10, 100)?.unwrap_or((0.0, 0.0));
        assert!((lo - 0.0552).abs() < 1e-3 && (hi - 0.1744).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(wilson_interval(0, 0)?, None);
        assert_eq!(wilson_interval(5, 5)?.map(|c| c.1), Some(1.0));
        Ok(())
    }

    #[test]
    fn bad_arguments_are_refused() -> Result<()> {
        let code = |r: Result<Option<f64>>| r.map_err(|e| e.code());
        assert_eq!(code(roc_auc(&[0.1, 0.2], &[true])), Err("invalid_argument"));
        assert_eq!(code(roc_auc(&[0.1, f64::NAN], &[true, false])), Err("non_finite"));
        assert_eq!(wilson_interval(3, 2).map_err(|e| e.code()), Err("invalid_argument"));
        let t = Timestamp::from_ymd(2025, 1, 1)?;
        assert_eq!(BacktestConfig::grid(t, t.add_days(10), 0).map_err(|e| e.code()), Err("invalid_argument"));
        assert_eq!(BacktestConfig::grid(t, t.add_days(20_000), 1).map_err(|e| e.code()), Err("invalid_argument"));
        assert_eq!(BacktestConfig::grid(t, t.add_days(-1), 7)?.len(), 0);
        assert_eq!(BacktestConfig::grid(t, t.add_days(14), 7)?.len(), 3);
        Ok(())
    }
}
