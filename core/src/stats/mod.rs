//! Statistics shared by the analytic modules: rank AUC, quantiles, binomial intervals, the seeded
//! portable random number generator and the one rule for running work on scoped threads.
//!
//! It sits below every domain module (it knows nothing of datasets or snapshots), so health,
//! churn, segmentation and the simulator share one implementation of each formula.
//!
//! ```
//! use custfit::stats::{quantile_sorted, rank_auc, wilson_interval};
//!
//! assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 0.25), Some(1.5));
//! assert_eq!(rank_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
//! let (lo, hi) = wilson_interval(5, 10)?.expect("n > 0");
//! assert!(lo < 0.5 && hi > 0.5);
//! # Ok::<(), custfit::Error>(())
//! ```

mod parallel;
mod rng;

pub use parallel::{map_ranges, max_threads, pipeline, run_tasks, Task};
pub use rng::Rng;

use crate::error::{Error, Result};

/// The two-sided 95% standard normal quantile.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// ROC AUC of `scores` (higher = more likely positive) against `labels`, ties counted half: the
/// Mann–Whitney statistic divided by `positives × negatives`. `None` when either class is empty.
///
/// Scores are ordered with `f64::total_cmp`; callers check for NaN first when NaN must be an
/// error. Lengths must be equal (the shorter one bounds the pairs read).
pub fn rank_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let n = scores.len().min(labels.len());
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let pos = idx.iter().filter(|&&i| labels[i]).count() as f64;
    let neg = n as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // Sum of the (mid-)ranks of the positives, walking groups of tied scores.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| labels[idx[k]]).count() as f64 * mid;
        i = j + 1;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Quantile `q` (clamped to [0, 1]) of ascending `sorted` values with linear interpolation
/// between order statistics (Hyndman–Fan type 7, the default of R, NumPy and pandas). `None`
/// for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (a, b) = (sorted.get(lo)?, sorted.get(hi)?);
    Some(a + (b - a) * (h - lo as f64))
}

/// Wilson score interval for `k` successes in `n` trials at 95% (z = 1.96); `None` when `n` is 0.
///
/// # Errors
/// `invalid_argument` when `k` exceeds `n`.
pub fn wilson_interval(k: u64, n: u64) -> Result<Option<(f64, f64)>> {
    if k > n {
        return Err(Error::argument("k", format!("{k} successes in {n} trials")));
    }
    if n == 0 {
        return Ok(None);
    }
    let z = Z_95;
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let denom = 1.0 + z * z / n_f;
    let center = (p + z * z / (2.0 * n_f)) / denom;
    let half = z / denom * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt();
    Ok(Some(((center - half).max(0.0), (center + half).min(1.0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_quantile_and_wilson_match_hand_values() -> Result<()> {
        // Positives at ranks 3 and 4 (of 4): U = (3 + 4) - 3 = 4 of 4 pairs... minus the tie.
        assert_eq!(rank_auc(&[1.0, 2.0, 3.0, 4.0], &[false, false, true, true]), Some(1.0));
        assert_eq!(rank_auc(&[1.0, 1.0], &[false, true]), Some(0.5));
        assert_eq!(rank_auc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 2.0), Some(3.0));
        let (lo, hi) = wilson_interval(0, 10)?.unwrap_or((f64::NAN, f64::NAN));
        assert_eq!(lo, 0.0);
        assert!((hi - 0.277_533).abs() < 1e-5);
        assert_eq!(wilson_interval(0, 0)?, None);
        assert_eq!(wilson_interval(3, 2).map_err(|e| e.code()), Err("invalid_argument"));
        Ok(())
    }
}
