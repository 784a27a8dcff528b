//! Evaluation of churn probabilities: ROC AUC, PR AUC (average precision), log loss, Brier
//! score, a calibration table and top-decile lift.

use serde::{Deserialize, Serialize};

use super::logistic::MIN_ROWS;
use super::training::insufficient;
use crate::error::{Error, ErrorKind, Result};

/// One row of a calibration table: predictions in `[lower, upper)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CalibrationBin {
    /// Lower edge of predicted probability.
    pub lower: f64,
    /// Upper edge of predicted probability.
    pub upper: f64,
    /// Rows in the bin.
    pub count: usize,
    /// Mean predicted probability (0 when empty).
    pub mean_predicted: f64,
    /// Observed churn rate (0 when empty).
    pub observed_rate: f64,
}

/// Scores of predictions against outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evaluation {
    /// Observations scored.
    pub observations: usize,
    /// Of which churned.
    pub churned: usize,
    /// Area under the ROC curve (ties count half).
    pub roc_auc: f64,
    /// Area under the precision-recall curve as average precision (scikit-learn's definition).
    pub pr_auc: f64,
    /// Mean log loss (probabilities clipped to [ε, 1 − ε], ε = f64::EPSILON, as scikit-learn does).
    pub log_loss: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// Churn rate among the 10% highest-risk rows divided by the overall churn rate.
    pub top_decile_lift: f64,
    /// Expected calibration error: count-weighted mean |predicted − observed| over the bins.
    pub calibration_error: f64,
    /// Ten equal-width bins of predicted probability.
    pub calibration: Vec<CalibrationBin>,
}

fn check(p: &[f64], y: &[bool]) -> Result<usize> {
    if p.len() != y.len() {
        return Err(Error::argument("probabilities", format!("{} probabilities for {} labels", p.len(), y.len())));
    }
    if p.len() < MIN_ROWS {
        return Err(insufficient(format!("evaluation needs at least {MIN_ROWS} rows, got {}", p.len())));
    }
    if let Some(i) = p.iter().position(|v| !v.is_finite()) {
        return Err(Error::Argument {
            kind: ErrorKind::NonFinite,
            name: "probabilities".into(),
            reason: format!("row {i} holds {}", p[i]),
        });
    }
    if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::argument("probabilities", format!("row {i} holds {}, outside [0, 1]", p[i])));
    }
    let pos = y.iter().filter(|&&b| b).count();
    if pos == 0 || pos == y.len() {
        return Err(Error::Argument {
            kind: ErrorKind::SingleClass,
            name: "labels".into(),
            reason: "AUC needs both churned and retained rows".into(),
        });
    }
    Ok(pos)
}

/// Row order by descending probability (stable).
fn by_risk(p: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    idx
}

/// ROC AUC with ties counted half.
pub fn roc_auc(p: &[f64], y: &[bool]) -> Result<f64> {
    check(p, y)?;
    // `check` saw both classes, so the rank AUC is defined.
    crate::stats::rank_auc(p, y).ok_or_else(|| insufficient("AUC needs both classes"))
}

/// Average precision: `Σ (Rₖ − Rₖ₋₁)·Pₖ` over distinct thresholds.
pub fn pr_auc(p: &[f64], y: &[bool]) -> Result<f64> {
    let pos = check(p, y)? as f64;
    let idx = by_risk(p);
    let (mut tp, mut fp, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && p[idx[j]] == p[idx[i]] {
            if y[idx[j]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            j += 1;
        }
        let recall = tp / pos;
        ap += (recall - last_recall) * tp / (tp + fp);
        last_recall = recall;
        i = j;
    }
    Ok(ap)
}

/// Mean log loss.
pub fn log_loss(p: &[f64], y: &[bool]) -> Result<f64> {
    check(p, y)?;
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(&q, &b)| {
            let q = q.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
            if b {
                -q.ln()
            } else {
                -(1.0 - q).ln()
            }
        })
        .sum();
    Ok(s / p.len() as f64)
}

/// Brier score.
pub fn brier_score(p: &[f64], y: &[bool]) -> Result<f64> {
    check(p, y)?;
    Ok(p.iter().zip(y).map(|(&q, &b)| (q - f64::from(u8::from(b))).powi(2)).sum::<f64>() / p.len() as f64)
}

/// Calibration table over `bins` equal-width bins of predicted probability.
pub fn calibration_table(p: &[f64], y: &[bool], bins: usize) -> Result<Vec<CalibrationBin>> {
    check(p, y)?;
    if bins == 0 || bins > 1000 {
        return Err(Error::argument("bins", "must lie in 1..=1000"));
    }
    let mut sums = vec![(0usize, 0.0, 0usize); bins];
    for (&q, &b) in p.iter().zip(y) {
        let k = ((q * bins as f64) as usize).min(bins - 1);
        sums[k].0 += 1;
        sums[k].1 += q;
        sums[k].2 += usize::from(b);
    }
    Ok(sums
        .iter()
        .enumerate()
        .map(|(k, &(c, s, pos))| CalibrationBin {
            lower: k as f64 / bins as f64,
            upper: (k + 1) as f64 / bins as f64,
            count: c,
            mean_predicted: if c > 0 { s / c as f64 } else { 0.0 },
            observed_rate: if c > 0 { pos as f64 / c as f64 } else { 0.0 },
        })
        .collect())
}

/// Churn rate among the top `share` of rows by risk over the overall rate.
pub fn lift(p: &[f64], y: &[bool], share: f64) -> Result<f64> {
    let pos = check(p, y)? as f64;
    if !(share > 0.0 && share <= 1.0) {
        return Err(Error::argument("share", format!("must lie in (0, 1], got {share}")));
    }
    let idx = by_risk(p);
    let k = ((p.len() as f64 * share).ceil() as usize).clamp(1, p.len());
    let top = idx[..k].iter().filter(|&&i| y[i]).count() as f64 / k as f64;
    Ok(top / (pos / p.len() as f64))
}

/// Every score at once.
pub fn evaluate(p: &[f64], y: &[bool]) -> Result<Evaluation> {
    let positives = check(p, y)?;
    let calibration = calibration_table(p, y, 10)?;
    let calibration_error =
        calibration.iter().map(|b| b.count as f64 * (b.mean_predicted - b.observed_rate).abs()).sum::<f64>() / p.len() as f64;
    Ok(Evaluation {
        observations: p.len(),
        churned: positives,
        roc_auc: roc_auc(p, y)?,
        pr_auc: pr_auc(p, y)?,
        log_loss: log_loss(p, y)?,
        brier: brier_score(p, y)?,
        top_decile_lift: lift(p, y, 0.1)?,
        calibration_error,
        calibration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_scores() -> Result<()> {
        let p = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1];
        let y = [true, true, false, true, false, false, true, false, false, false];
        // Positives at ranks 1, 2, 4, 7: pairs won = 6 + 6 + 5 + 3 = 20 of 24.
        assert!((roc_auc(&p, &y)? - 20.0 / 24.0).abs() < 1e-12);
        let ap = (1.0 + 1.0 + 0.75 + 4.0 / 7.0) / 4.0;
        assert!((pr_auc(&p, &y)? - ap).abs() < 1e-12);
        assert!((lift(&p, &y, 0.1)? - 2.5).abs() < 1e-12);
        let tied = [0.5; 10];
        assert!((roc_auc(&tied, &y)? - 0.5).abs() < 1e-12);
        let e = evaluate(&p, &y)?;
        assert_eq!(e.calibration.iter().map(|b| b.count).sum::<usize>(), 10);
        assert_eq!(roc_auc(&p, &[false; 10]).map_err(|e| e.code()), Err("single_class"));
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn auc_is_rank_based_and_symmetric(pairs in proptest::collection::vec((0u8..20, proptest::bool::ANY), 10..80)) {
            let p: Vec<f64> = pairs.iter().map(|(v, _)| f64::from(*v) / 19.0).collect();
            let y: Vec<bool> = pairs.iter().map(|(_, b)| *b).collect();
            if let Ok(a) = roc_auc(&p, &y) {
                proptest::prop_assert!((0.0..=1.0).contains(&a));
                let squared: Vec<f64> = p.iter().map(|v| v * v).collect();
                proptest::prop_assert!((roc_auc(&squared, &y).unwrap_or(-1.0) - a).abs() < 1e-12);
                let flipped: Vec<f64> = p.iter().map(|v| 1.0 - v).collect();
                proptest::prop_assert!((roc_auc(&flipped, &y).unwrap_or(-1.0) - (1.0 - a)).abs() < 1e-12);
                let ap = pr_auc(&p, &y).unwrap_or(-1.0);
                proptest::prop_assert!((0.0..=1.0).contains(&ap));
            }
        }
    }
}
