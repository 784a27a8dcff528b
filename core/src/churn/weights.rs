//! Learning a scorecard's weights from outcomes: each measure's points (0–100) become the
//! features of a logistic regression of churn, and the fitted coefficients become the weights of
//! an ordinary [`Scorecard`].
//!
//! Why this mapping: a scorecard's score is `Σ wₘ·pointsₘ` (weights are shares summing to 1) and
//! the model's log-odds of churn are `b + Σ βₘ·pointsₘ/100`. Setting `wₘ ∝ −βₘ` makes the
//! learned score a decreasing linear function of the model's log-odds, so it ranks accounts
//! exactly as the model does (on accounts with every measure present). Weights cannot be
//! negative, so a measure whose coefficient says "more points, more churn" is dropped (weight 0)
//! and the model refitted without it, one measure at a time, until every remaining coefficient
//! has the healthy sign.
//!
//! [`learn_weights`] works on points you already have; [`learn_scorecard_weights`] builds them
//! from a dataset: it scores the base as of each observation date with the scorecard, joins the
//! subscription-churn outcome in the following horizon (as the health backtest does), fits on the
//! earlier dates, reports the hold-out ROC AUC of the old and the learned weights on the later
//! dates (time-ordered, with the training outcomes purged from the hold-out period), then refits
//! on every date.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::health::{health_snapshot, roc_auc, FlagConfig, Scorecard};
use crate::metrics::{Snapshot, SnapshotConfig};
use crate::time::{Timestamp, Window};

use super::logistic::{LogisticConfig, LogisticModel};
use crate::outcome::{churn_dates, churn_labels, forward, SubscriptionChurn};

/// Version of the weight-learning configuration document.
pub const WEIGHT_LEARNING_VERSION: u32 = 1;

fn version_one() -> u32 {
    WEIGHT_LEARNING_VERSION
}

fn ninety_days() -> Window {
    Window::days(90)
}

fn zero_days() -> Window {
    Window::days(0)
}

fn quarter() -> f64 {
    0.25
}

fn yes() -> bool {
    true
}

/// What to learn weights from (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WeightLearningConfig {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// Observation dates: the base is scored as of each.
    pub dates: Vec<Timestamp>,
    /// Outcome horizon after each date (plus `lead`).
    #[serde(default = "ninety_days")]
    pub horizon: Window,
    /// Lead time between an observation and the start of its horizon.
    #[serde(default = "zero_days")]
    pub lead: Window,
    /// Churn definition.
    #[serde(default)]
    pub churn: SubscriptionChurn,
    /// The instant up to which outcomes are known (default: the dataset's last event). Dates
    /// whose outcome window reaches past it are skipped.
    #[serde(default)]
    pub known_at: Option<Timestamp>,
    /// Snapshot settings (custom metrics the scorecard reads).
    #[serde(default)]
    pub snapshot: SnapshotConfig,
    /// Edge-case flag settings (for penalties).
    #[serde(default)]
    pub flags: FlagConfig,
    /// The logistic regression (default L2 with C = 1).
    #[serde(default)]
    pub logistic: LogisticConfig,
    /// Share of the (latest) observation dates held out to compare old and learned weights;
    /// 0 skips the comparison.
    #[serde(default = "quarter")]
    pub holdout_share: f64,
    /// Refit on every date after the hold-out comparison (else the returned weights are the ones
    /// fitted on the training dates only).
    #[serde(default = "yes")]
    pub refit_on_all: bool,
}

impl WeightLearningConfig {
    /// Learning over `dates` with a 90-day horizon, L2 logistic regression and a 25% hold-out.
    pub fn new(dates: Vec<Timestamp>) -> Self {
        WeightLearningConfig {
            version: WEIGHT_LEARNING_VERSION,
            dates,
            horizon: ninety_days(),
            lead: zero_days(),
            churn: SubscriptionChurn::default(),
            known_at: None,
            snapshot: SnapshotConfig::default(),
            flags: FlagConfig::default(),
            logistic: LogisticConfig::default(),
            holdout_share: quarter(),
            refit_on_all: true,
        }
    }

    /// Sets the horizon.
    pub fn with_horizon(mut self, horizon: Window) -> Self {
        self.horizon = horizon;
        self
    }

    /// Sets when outcomes are known up to.
    pub fn with_known_at(mut self, known_at: Timestamp) -> Self {
        self.known_at = Some(known_at);
        self
    }

    /// Sets the hold-out share.
    pub fn with_holdout_share(mut self, share: f64) -> Self {
        self.holdout_share = share;
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Self> {
        <WeightLearningConfig as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("weight learning config JSON", e))
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.version != WEIGHT_LEARNING_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "weight learning config".into(),
                found: self.version,
                supported: WEIGHT_LEARNING_VERSION,
            });
        }
        if self.dates.is_empty() {
            return Err(Error::config("dates", "need at least one observation date"));
        }
        self.horizon.validate("horizon")?;
        if self.lead.amount > 0 {
            self.lead.validate("lead")?;
        }
        if !(self.holdout_share.is_finite() && (0.0..0.9).contains(&self.holdout_share)) {
            return Err(Error::config("holdout_share", format!("must lie in [0, 0.9), got {}", self.holdout_share)));
        }
        self.churn.validate()?;
        self.flags.validate()?;
        self.logistic.validate()
    }
}

/// Why a measure got the weight it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WeightStatus {
    /// Fitted with the healthy sign: more points, less churn.
    Used,
    /// Its coefficient said more points mean more churn (or none at all): dropped, weight 0.
    WrongSign,
    /// Its points never varied in the data: weight 0.
    Constant,
    /// It never had points in the data: weight 0.
    NoData,
}

/// One measure's learned weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LearnedWeight {
    /// Measure name.
    pub measure: String,
    /// Its effective share of the score before (group weights folded in; shares sum to 1).
    pub share_before: f64,
    /// Its effective share after.
    pub share_after: f64,
    /// Change of the log-odds of churn per +10 points, from the final fit (0 when dropped).
    pub coefficient_per_10_points: f64,
    /// Odds ratio of churn per +10 points (`exp` of the above).
    pub odds_ratio_per_10_points: f64,
    /// Why.
    pub status: WeightStatus,
}

/// What [`learn_weights`] fits: the scorecard with new weights, one entry per measure, and the
/// model's intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LearnedWeights {
    /// The input scorecard with new measure (and group) weights; everything else unchanged.
    pub scorecard: Scorecard,
    /// One entry per measure, in the scorecard's order.
    pub weights: Vec<LearnedWeight>,
    /// The model's intercept (log-odds of churn at zero points everywhere).
    pub intercept: f64,
}

/// A scorecard with learned weights and the evidence behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LearnedScorecard {
    /// The input scorecard with new measure (and group) weights; everything else unchanged.
    pub scorecard: Scorecard,
    /// One entry per measure, in the scorecard's order.
    pub weights: Vec<LearnedWeight>,
    /// The final model's intercept (log-odds of churn at zero points everywhere).
    pub intercept: f64,
    /// Rows (account × date) the final weights were fitted on.
    pub observations: u64,
    /// Of which churned.
    pub churned: u64,
    /// Rows in the hold-out comparison (0 without one).
    pub holdout_observations: u64,
    /// Hold-out ROC AUC of the input scorecard's score (risk = −score).
    pub holdout_auc_before: Option<f64>,
    /// Hold-out ROC AUC of the scorecard with weights fitted on the training dates only.
    pub holdout_auc_after: Option<f64>,
    /// Dates used for fitting the hold-out comparison's model.
    pub train_dates: Vec<Timestamp>,
    /// Hold-out dates.
    pub holdout_dates: Vec<Timestamp>,
    /// Dates skipped because their outcome window ends after `known_at`.
    pub skipped_dates: Vec<Timestamp>,
}

/// Effective shares of each measure of `card` (group weights folded in; sum 1).
pub fn measure_shares(card: &Scorecard) -> Vec<f64> {
    let raw: Vec<f64> = if card.groups.is_empty() {
        card.measures.iter().map(|m| m.weight).collect()
    } else {
        let group_total: f64 = card.groups.iter().map(|g| g.weight).sum();
        card.measures
            .iter()
            .map(|m| {
                let Some(g) = card.groups.iter().find(|g| Some(&g.name) == m.group.as_ref()) else { return 0.0 };
                let within: f64 = card.measures.iter().filter(|x| x.group == m.group).map(|x| x.weight).sum();
                if within > 0.0 && group_total > 0.0 {
                    g.weight / group_total * m.weight / within
                } else {
                    0.0
                }
            })
            .collect()
    };
    let total: f64 = raw.iter().sum();
    raw.iter().map(|w| if total > 0.0 { w / total } else { 0.0 }).collect()
}

/// Learns weights from measure points you already hold: `points[i][m]` is row `i`'s points on
/// measure `m` (in the scorecard's measure order; `None` = missing, imputed with the measure's
/// mean), `churned[i]` its outcome. Returns the scorecard with new weights, the per-measure
/// report and the intercept.
pub fn learn_weights(
    scorecard: &Scorecard,
    points: &[Vec<Option<f64>>],
    churned: &[bool],
    logistic: &LogisticConfig,
) -> Result<LearnedWeights> {
    scorecard.validate()?;
    logistic.validate()?;
    let k = scorecard.measures.len();
    if points.len() != churned.len() {
        return Err(Error::Argument {
            kind: ErrorKind::InvalidArgument,
            name: "churned".into(),
            reason: format!("{} labels for {} rows of points", churned.len(), points.len()),
        });
    }
    for (i, row) in points.iter().enumerate() {
        if row.len() != k {
            return Err(Error::Argument {
                kind: ErrorKind::InvalidArgument,
                name: format!("points[{i}]"),
                reason: format!("{} values for {k} measures", row.len()),
            });
        }
        if let Some(m) = row.iter().position(|v| v.is_some_and(|x| !(x.is_finite() && (0.0..=100.0).contains(&x)))) {
            return Err(Error::Argument {
                kind: ErrorKind::NonFinite,
                name: format!("points[{i}][{m}]"),
                reason: format!(
                    "points must be finite numbers in 0–100, got {}",
                    row[m].map_or("nothing".into(), |x| x.to_string())
                ),
            });
        }
    }
    // Column means (imputation) and status of columns that cannot be fitted.
    let mut status = vec![WeightStatus::Used; k];
    let mut means = vec![0.0; k];
    for m in 0..k {
        let present: Vec<f64> = points.iter().filter_map(|r| r[m]).collect();
        if present.is_empty() {
            status[m] = WeightStatus::NoData;
            continue;
        }
        means[m] = present.iter().sum::<f64>() / present.len() as f64;
        let first = present[0];
        if present.iter().all(|&v| v == first) {
            status[m] = WeightStatus::Constant;
        }
    }
    let mut coef = vec![0.0; k];
    let mut intercept;
    loop {
        let active: Vec<usize> = (0..k).filter(|&m| status[m] == WeightStatus::Used).collect();
        if active.is_empty() {
            return Err(Error::Argument {
                kind: ErrorKind::InsufficientData,
                name: "points".into(),
                reason: "no measure's points lower the churn risk: every measure was dropped".into(),
            });
        }
        let p = active.len();
        let mut x = Vec::with_capacity(points.len() * p);
        for row in points {
            x.extend(active.iter().map(|&m| row[m].unwrap_or(means[m]) / 100.0));
        }
        let model = LogisticModel::fit(&x, p, churned, logistic)?;
        intercept = model.intercept;
        coef.iter_mut().for_each(|c| *c = 0.0);
        for (j, &m) in active.iter().enumerate() {
            coef[m] = model.coefficients[j];
        }
        // Drop the worst wrong-signed measure (coefficient ≥ 0 on churn) and refit.
        let worst = active.iter().copied().filter(|&m| coef[m] >= 0.0).max_by(|&a, &b| coef[a].total_cmp(&coef[b]));
        match worst {
            Some(m) => status[m] = WeightStatus::WrongSign,
            None => break,
        }
    }
    for m in 0..k {
        if status[m] != WeightStatus::Used {
            coef[m] = 0.0;
        }
    }
    let before = measure_shares(scorecard);
    let total: f64 = coef.iter().map(|c| -c).sum();
    let shares: Vec<f64> = coef.iter().map(|c| -c / total).collect();
    let mut card = scorecard.clone();
    if card.groups.is_empty() {
        for (m, s) in card.measures.iter_mut().zip(&shares) {
            m.weight = *s;
        }
    } else {
        for g in card.groups.iter_mut() {
            g.weight = card.measures.iter().zip(&shares).filter(|(m, _)| m.group.as_ref() == Some(&g.name)).map(|(_, s)| s).sum();
        }
        for (m, s) in card.measures.iter_mut().zip(&shares) {
            m.weight = *s;
        }
    }
    card.validate()?;
    let report = card
        .measures
        .iter()
        .enumerate()
        .map(|(m, measure)| LearnedWeight {
            measure: measure.name.clone(),
            share_before: before[m],
            share_after: shares[m],
            coefficient_per_10_points: coef[m] / 10.0,
            odds_ratio_per_10_points: (coef[m] / 10.0).exp(),
            status: status[m],
        })
        .collect();
    Ok(LearnedWeights { scorecard: card, weights: report, intercept })
}

/// One date's scored rows: measure points and labels (and the snapshot, kept for hold-out dates).
struct DateRows {
    as_of: Timestamp,
    points: Vec<Vec<Option<f64>>>,
    labels: Vec<bool>,
    snapshot: Option<(Snapshot, Vec<Option<bool>>)>,
}

/// Learns `scorecard`'s weights from the churn outcomes in `ds` (see the module docs).
pub fn learn_scorecard_weights(ds: &Dataset, scorecard: &Scorecard, config: &WeightLearningConfig) -> Result<LearnedScorecard> {
    config.validate()?;
    scorecard.validate()?;
    let known_at = crate::outcome::known_at(ds, config.known_at)?;
    let outcome_end = |d: Timestamp| forward(forward(forward(d, config.lead), config.horizon), config.churn.gap_tolerance);
    let mut dates = config.dates.clone();
    dates.sort();
    dates.dedup();
    let (usable, skipped): (Vec<Timestamp>, Vec<Timestamp>) = dates.into_iter().partition(|&d| outcome_end(d) <= known_at);
    if usable.is_empty() {
        return Err(Error::Argument {
            kind: ErrorKind::InsufficientData,
            name: "dates".into(),
            reason: format!("every observation date's outcome window ends after known_at {known_at}"),
        });
    }
    let n_hold = if config.holdout_share > 0.0 && usable.len() >= 2 {
        ((usable.len() as f64 * config.holdout_share).round() as usize).clamp(1, usable.len() - 1)
    } else {
        0
    };
    let holdout_dates: Vec<Timestamp> = usable[usable.len() - n_hold..].to_vec();
    // Training outcomes must be known before the first hold-out observation (purge).
    let train_dates: Vec<Timestamp> = match holdout_dates.first() {
        Some(&h) => usable[..usable.len() - n_hold].iter().copied().filter(|&d| outcome_end(d) <= h).collect(),
        None => usable.clone(),
    };
    if n_hold > 0 && train_dates.is_empty() {
        return Err(Error::Argument {
            kind: ErrorKind::InsufficientData,
            name: "dates".into(),
            reason: "no training date's outcome window ends before the first hold-out date: add earlier dates, \
                     shorten the horizon or set holdout_share to 0"
                .into(),
        });
    }
    let churn = churn_dates(ds, &config.churn, known_at)?;
    let index: HashMap<&str, usize> = ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let measure_of: HashMap<&str, usize> = scorecard.measures.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    let mut rows = Vec::with_capacity(usable.len());
    for &d in &usable {
        let snap = health_snapshot(ds, d, &config.snapshot, &config.flags)?;
        let scores = scorecard.score(&snap)?;
        let y = churn_labels(ds, &churn, d, config.lead, config.horizon);
        let mut date = DateRows { as_of: d, points: Vec::new(), labels: Vec::new(), snapshot: None };
        for (row, id) in scores.account_ids().iter().enumerate() {
            let Some(&a) = index.get(id.as_str()) else { continue };
            let Some(label) = y.get(a).copied().flatten() else { continue };
            let Some(health) = scores.row(row) else { continue };
            if scores.score_micros(row).is_none() {
                continue;
            }
            let mut p = vec![None; scorecard.measures.len()];
            for ms in &health.measures {
                if let Some(&m) = measure_of.get(ms.name.as_str()) {
                    p[m] = ms.points;
                }
            }
            date.points.push(p);
            date.labels.push(label);
        }
        if holdout_dates.contains(&d) {
            // Labels by snapshot row, for scoring the hold-out with the learned weights.
            let by_row =
                snap.account_ids().iter().map(|id| index.get(id.as_str()).and_then(|&a| y.get(a).copied().flatten())).collect();
            date.snapshot = Some((snap, by_row));
        }
        rows.push(date);
    }
    let gather = |which: &[Timestamp]| -> (Vec<Vec<Option<f64>>>, Vec<bool>) {
        let mut p = Vec::new();
        let mut l = Vec::new();
        for r in rows.iter().filter(|r| which.contains(&r.as_of)) {
            p.extend(r.points.iter().cloned());
            l.extend(r.labels.iter().copied());
        }
        (p, l)
    };
    let (mut holdout_auc_before, mut holdout_auc_after, mut holdout_observations) = (None, None, 0u64);
    let fitted_on_train = if n_hold > 0 {
        let (p, l) = gather(&train_dates);
        let LearnedWeights { scorecard: card, weights: report, intercept } = learn_weights(scorecard, &p, &l, &config.logistic)?;
        let (mut before, mut after, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        for r in &rows {
            let Some((snap, by_row)) = &r.snapshot else { continue };
            let learned = card.score(snap)?;
            let original = scorecard.score(snap)?;
            for (row, label) in by_row.iter().enumerate() {
                let (Some(label), Some(old)) = (label, original.score_micros(row)) else { continue };
                before.push(-(old as f64));
                // No learned score (every weighted measure missing): ranked as the riskiest.
                after.push(-(learned.score_micros(row).unwrap_or(0) as f64));
                labels.push(*label);
            }
        }
        holdout_observations = labels.len() as u64;
        holdout_auc_before = roc_auc(&before, &labels)?;
        holdout_auc_after = roc_auc(&after, &labels)?;
        Some((card, report, intercept, train_dates.len()))
    } else {
        None
    };
    let (card, weights, intercept, observations, churned) = match fitted_on_train {
        Some((card, report, intercept, _)) if !config.refit_on_all => {
            let (_, l) = gather(&train_dates);
            let k = l.iter().filter(|&&x| x).count() as u64;
            (card, report, intercept, l.len() as u64, k)
        }
        _ => {
            let (p, l) = gather(&usable);
            let k = l.iter().filter(|&&x| x).count() as u64;
            let LearnedWeights { scorecard: card, weights: report, intercept } =
                learn_weights(scorecard, &p, &l, &config.logistic)?;
            (card, report, intercept, l.len() as u64, k)
        }
    };
    Ok(LearnedScorecard {
        scorecard: card,
        weights,
        intercept,
        observations,
        churned,
        holdout_observations,
        holdout_auc_before,
        holdout_auc_after,
        train_dates: if n_hold > 0 { train_dates } else { usable.clone() },
        holdout_dates,
        skipped_dates: skipped,
    })
}

crate::document::document! {
    WeightLearningConfig => "weight learning config", WEIGHT_LEARNING_VERSION;
}
