//! Sample ratio mismatch: are the arms' sizes what the assignment implies? A mismatch means the
//! assignment or the logging is broken, and no effect estimate can be trusted.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete};

use crate::error::{Error, Result};

/// Most arms one check takes.
pub const MAX_ARMS: usize = 100;

/// Two arms with at most this many accounts in all get the exact binomial test (the chi-square
/// approximation is poor for small arms); the exact test costs one term per possible count.
pub const EXACT_UP_TO: u64 = 100_000;

/// The result of [`sample_ratio_mismatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SampleRatioCheck {
    /// Accounts per arm, as given.
    pub observed: Vec<u64>,
    /// Accounts per arm the assignment implies (the total split by the shares).
    pub expected: Vec<f64>,
    /// Pearson's chi-square statistic.
    pub chi_square: f64,
    /// Arms − 1.
    pub degrees_of_freedom: u32,
    /// The p-value: exact (binomial, two-sided) for two arms of at most [`EXACT_UP_TO`] accounts,
    /// otherwise from the chi-square distribution.
    pub p_value: f64,
    /// Whether the p-value is the exact binomial one.
    pub exact: bool,
    /// The p-value is below the threshold: the arms' sizes are not what the assignment implies.
    pub mismatch: bool,
}

/// Checks the arms' sizes `observed` against the assignment's `shares` (any positive weights,
/// normalised; e.g. `[0.9, 0.1]`), flagging a mismatch when the p-value is below `threshold`
/// (0 to 0.5; 0.001 is the usual choice, since the check runs on every look).
pub fn sample_ratio_mismatch(observed: &[u64], shares: &[f64], threshold: f64) -> Result<SampleRatioCheck> {
    if observed.len() != shares.len() {
        return Err(Error::argument("shares", format!("{} shares for {} arms", shares.len(), observed.len())));
    }
    if !(2..=MAX_ARMS).contains(&observed.len()) {
        return Err(Error::argument("observed", format!("2 to {MAX_ARMS} arms, got {}", observed.len())));
    }
    if let Some(s) = shares.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(Error::argument("shares", format!("each share must be a positive number, got {s}")));
    }
    if !(threshold > 0.0 && threshold <= 0.5) {
        return Err(Error::argument("threshold", format!("must be in (0, 0.5], got {threshold}")));
    }
    let n: u64 = observed
        .iter()
        .try_fold(0u64, |acc, &x| acc.checked_add(x))
        .ok_or_else(|| Error::argument("observed", "the total overflows"))?;
    if n == 0 {
        return Err(Error::argument("observed", "no accounts in any arm"));
    }
    let total: f64 = shares.iter().sum();
    let expected: Vec<f64> = shares.iter().map(|s| n as f64 * s / total).collect();
    let chi_square: f64 = observed.iter().zip(&expected).map(|(&o, &e)| (o as f64 - e).powi(2) / e).sum();
    let df = observed.len() as u32 - 1;
    let (p_value, exact) = if observed.len() == 2 && n <= EXACT_UP_TO {
        (binomial_two_sided(observed[0], n, shares[0] / total)?, true)
    } else {
        let dist = ChiSquared::new(f64::from(df)).map_err(|e| Error::argument("observed", e.to_string()))?;
        (dist.sf(chi_square), false)
    };
    Ok(SampleRatioCheck {
        observed: observed.to_vec(),
        expected,
        chi_square,
        degrees_of_freedom: df,
        p_value,
        exact,
        mismatch: p_value < threshold,
    })
}

/// The two-sided exact binomial p-value of `k` successes in `n` at probability `p`: the total
/// probability of every count no more likely than `k` (with a relative tolerance of 1e-7 for
/// ties in floating point, as SciPy's `binomtest` does). The terms are walked from the mode
/// outwards by the ratio of neighbouring terms, until they fall 750 natural-log units below
/// the mode's (past which they add nothing a double can hold).
fn binomial_two_sided(k: u64, n: u64, p: f64) -> Result<f64> {
    let dist = Binomial::new(p, n).map_err(|e| Error::argument("shares", e.to_string()))?;
    let limit = dist.ln_pmf(k) + (1.0f64 + 1e-7).ln();
    let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
    let top = dist.ln_pmf(mode);
    let floor = top - 750.0;
    let odds = (p / (1.0 - p)).ln();
    let mut total = 0.0f64;
    // Upwards: pmf(i + 1) = pmf(i) · (n − i) / (i + 1) · p / (1 − p).
    let (mut l, mut i) = (top, mode);
    loop {
        if l <= limit {
            total += l.exp();
        }
        if i == n || l < floor {
            break;
        }
        l += ((n - i) as f64 / (i + 1) as f64).ln() + odds;
        i += 1;
    }
    // Downwards: pmf(i − 1) = pmf(i) · i / (n − i + 1) · (1 − p) / p.
    let (mut l, mut i) = (top, mode);
    while i > 0 && l >= floor {
        l += (i as f64 / (n - i + 1) as f64).ln() - odds;
        i -= 1;
        if l <= limit {
            total += l.exp();
        }
    }
    Ok(total.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // 9,463 vs 7,681 at 50/50: chi-square ≈ 185.2 (the worked figure).
        let r = sample_ratio_mismatch(&[9463, 7681], &[0.5, 0.5], 0.001).expect("srm");
        assert!((r.chi_square - 185.23).abs() < 0.01, "{}", r.chi_square);
        assert!(r.mismatch && r.exact && r.p_value < 1e-30);
        // Balanced arms: no mismatch, p = 1.
        let r = sample_ratio_mismatch(&[500, 500], &[1.0, 1.0], 0.001).expect("srm");
        assert!(!r.mismatch && (r.p_value - 1.0).abs() < 1e-12);
        // SciPy 1.x: binomtest(12, 100, 0.1).pvalue = 0.5030177615152567; chisquare([12, 88],
        // [10, 90]).statistic = 0.4444444444444445.
        let r = sample_ratio_mismatch(&[12, 88], &[0.1, 0.9], 0.001).expect("srm");
        assert!((r.chi_square - 0.444_444_444_444_444_5).abs() < 1e-12, "{}", r.chi_square);
        assert!((r.p_value - 0.503_017_761_515_256_7).abs() < 1e-9, "{}", r.p_value);
        // Three arms use the chi-square distribution: chisquare([30, 40, 30]).pvalue = 0.36787944.
        let r = sample_ratio_mismatch(&[30, 40, 30], &[1.0, 1.0, 1.0], 0.001).expect("srm");
        assert!(!r.exact && (r.p_value - 0.367_879_441_171_442_5).abs() < 1e-9, "{}", r.p_value);
        for (obs, shares) in
            [(vec![1u64], vec![1.0]), (vec![1, 2], vec![1.0]), (vec![0, 0], vec![1.0, 1.0]), (vec![1, 2], vec![1.0, -1.0])]
        {
            assert_eq!(sample_ratio_mismatch(&obs, &shares, 0.01).expect_err("bad").code(), "invalid_argument");
        }
    }
}
