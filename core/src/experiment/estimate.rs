//! Effect estimates for two arms: the difference of means with Welch's interval and test, the
//! relative lift with a delta-method interval, and CUPED (regression adjustment on a pre-period
//! covariate) with the variance reduction it bought.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result};

/// Most values per arm one estimate takes (memory grows with the data the caller holds anyway;
/// this bounds a mistaken call).
pub const MAX_SAMPLE: usize = 100_000_000;

/// A treatment effect on a mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Effect {
    /// Accounts in the control arm (holdout).
    pub control_n: u64,
    /// Accounts in the treated arm.
    pub treatment_n: u64,
    /// Control mean.
    pub control_mean: f64,
    /// Treated mean.
    pub treatment_mean: f64,
    /// Treated − control.
    pub difference: f64,
    /// Standard error of the difference (Welch: each arm's own variance).
    pub std_error: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub degrees_of_freedom: f64,
    /// The interval of the difference at `confidence` (Student t).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Two-sided p-value of no difference (Welch's t test).
    pub p_value: f64,
    /// `difference / control_mean` (none when the control mean is 0).
    pub relative_lift: Option<f64>,
    /// The lift's standard error (delta method).
    pub relative_std_error: Option<f64>,
    /// The lift's interval by the delta method, at `confidence`.
    pub relative_ci_low: Option<f64>,
    /// Upper end.
    pub relative_ci_high: Option<f64>,
    /// The confidence level of the intervals.
    pub confidence: f64,
}

/// CUPED: the effect on the outcome adjusted by a pre-period covariate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CupedEffect {
    /// The effect on the adjusted outcome `y − θ (x − mean x)`.
    pub effect: Effect,
    /// θ = cov(y, x) / var(x), pooled over both arms.
    pub theta: f64,
    /// 1 − var(adjusted) / var(y), pooled within arms: the share of variance removed.
    pub variance_reduction: f64,
}

fn check_sample(name: &str, v: &[f64]) -> Result<()> {
    if v.len() < 2 {
        return Err(Error::argument(name, format!("needs at least 2 values, got {}", v.len())));
    }
    if v.len() > MAX_SAMPLE {
        return Err(Error::argument(name, format!("at most {MAX_SAMPLE} values")));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::argument(name, format!("value {i} is {} (every value must be a finite number)", v[i])));
    }
    Ok(())
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0))
}

/// One arm in summary: accounts, mean and sample variance (divided by n − 1) — all an estimate
/// of a difference of means needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArmSummary {
    /// Accounts (at least 2).
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sample variance (n − 1 in the denominator).
    pub variance: f64,
}

impl ArmSummary {
    /// The summary of `values` (2 to [`MAX_SAMPLE`] finite numbers).
    pub fn of(name: &str, values: &[f64]) -> Result<ArmSummary> {
        check_sample(name, values)?;
        let (mean, variance) = mean_var(values);
        Ok(ArmSummary { n: values.len() as u64, mean, variance })
    }

    /// The summary from a count, a sum and a sum of squares (as warehouses keep them).
    pub fn from_sums(name: &str, n: u64, sum: f64, sum_squares: f64) -> Result<ArmSummary> {
        let s =
            ArmSummary { n, mean: sum / n as f64, variance: ((sum_squares - sum * sum / n as f64) / (n as f64 - 1.0)).max(0.0) };
        s.check(name)?;
        Ok(s)
    }

    fn check(&self, name: &str) -> Result<()> {
        if !(2..=MAX_SAMPLE as u64).contains(&self.n) {
            return Err(Error::argument(name, format!("needs 2 to {MAX_SAMPLE} accounts, got {}", self.n)));
        }
        if !(self.mean.is_finite() && self.variance.is_finite() && self.variance >= 0.0) {
            return Err(Error::argument(name, "mean and variance must be finite, the variance not negative"));
        }
        Ok(())
    }
}

/// The difference of the means of `treatment` and `control` with Welch's interval and test at
/// `confidence` (e.g. 0.95), and the relative lift with its delta-method interval.
pub fn welch(control: &[f64], treatment: &[f64], confidence: f64) -> Result<Effect> {
    welch_summary(&ArmSummary::of("control", control)?, &ArmSummary::of("treatment", treatment)?, confidence)
}

/// [`welch`] from each arm's summary. The relative lift's interval uses the delta-method
/// standard error with the same Student t quantile (Welch's degrees of freedom) as the
/// difference.
pub fn welch_summary(control: &ArmSummary, treatment: &ArmSummary, confidence: f64) -> Result<Effect> {
    control.check("control")?;
    treatment.check("treatment")?;
    if !(confidence > 0.5 && confidence < 1.0) {
        return Err(Error::argument("confidence", format!("must be in (0.5, 1), got {confidence}")));
    }
    let (nc, nt) = (control.n as f64, treatment.n as f64);
    let ((mc, vc), (mt, vt)) = ((control.mean, control.variance), (treatment.mean, treatment.variance));
    let (qc, qt) = (vc / nc, vt / nt);
    let se = (qc + qt).sqrt();
    let difference = mt - mc;
    let df = if qc + qt > 0.0 { (qc + qt).powi(2) / (qc * qc / (nc - 1.0) + qt * qt / (nt - 1.0)) } else { nc + nt - 2.0 };
    let t = StudentsT::new(0.0, 1.0, df).map_err(|e| Error::argument("control", e.to_string()))?;
    let quantile = t.inverse_cdf(0.5 + confidence / 2.0);
    let (ci_low, ci_high, p_value) = if se > 0.0 {
        (difference - quantile * se, difference + quantile * se, (2.0 * t.sf((difference / se).abs())).min(1.0))
    } else {
        // No variance in either arm: the difference is known exactly.
        (difference, difference, if difference == 0.0 { 1.0 } else { 0.0 })
    };
    let (relative_lift, relative_std_error, relative_ci_low, relative_ci_high) = if mc != 0.0 {
        let lift = difference / mc;
        let se = (qt / (mc * mc) + mt * mt * qc / mc.powi(4)).sqrt();
        (Some(lift), Some(se), Some(lift - quantile * se), Some(lift + quantile * se))
    } else {
        (None, None, None, None)
    };
    Ok(Effect {
        control_n: control.n,
        treatment_n: treatment.n,
        control_mean: mc,
        treatment_mean: mt,
        difference,
        std_error: se,
        degrees_of_freedom: df,
        ci_low,
        ci_high,
        p_value,
        relative_lift,
        relative_std_error,
        relative_ci_low,
        relative_ci_high,
        confidence,
    })
}

/// An always-valid ("sequential") interval: it may be looked at after every run and stopped
/// on, keeping its coverage — at the price of being wider than the fixed-sample interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SequentialInterval {
    /// Lower end for the difference.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Interval of the relative lift (when there is one).
    pub relative_ci_low: Option<f64>,
    /// Upper end.
    pub relative_ci_high: Option<f64>,
    /// The always-valid p-value of no difference (1 / the mixture likelihood ratio, at most 1).
    pub p_value: f64,
    /// The tuning: the total accounts at which the interval is tightest.
    pub tuning: f64,
}

/// Most accounts the sequential tuning may name.
pub const MAX_TUNING: f64 = 1e9;

/// The always-valid interval of `effect` (the normal-mixture sequential probability ratio test
/// of Johari, Pekelis & Walsh; Howard et al.'s boundary): with `V` the variance of the estimate,
/// `N` the accounts of both arms, `α = 1 − confidence` and the mixing variance `τ² = V N ρ²`,
/// `ρ² = (−2 ln α + ln(1 − 2 ln α)) / tuning`, the half-width is
/// `√(V (1 + V/τ²) (ln(1 + τ²/V) − 2 ln α))` — the parametrisation GrowthBook uses, so the
/// `tuning` is the total sample size at which the interval is tightest (5,000 is a common
/// default).
pub fn sequential(effect: &Effect, tuning: f64) -> Result<SequentialInterval> {
    if !(tuning.is_finite() && (1.0..=MAX_TUNING).contains(&tuning)) {
        return Err(Error::argument("tuning", format!("must be 1 to {MAX_TUNING:e} accounts, got {tuning}")));
    }
    let alpha = 1.0 - effect.confidence;
    let big_n = (effect.control_n + effect.treatment_n) as f64;
    let rho2 = (-2.0 * alpha.ln() + (1.0 - 2.0 * alpha.ln()).ln()) / tuning;
    let k = big_n * rho2; // τ² / V
    let half = |se: f64| (se * se * (1.0 + 1.0 / k) * ((1.0 + k).ln() - 2.0 * alpha.ln())).sqrt();
    let h = half(effect.std_error);
    let (relative_ci_low, relative_ci_high) = match (effect.relative_lift, effect.relative_std_error) {
        (Some(l), Some(se)) => (Some(l - half(se)), Some(l + half(se))),
        _ => (None, None),
    };
    let v = effect.std_error * effect.std_error;
    let p_value = if v > 0.0 {
        let log_lr = -0.5 * (1.0 + k).ln() + effect.difference * effect.difference / (2.0 * v) * k / (1.0 + k);
        (-log_lr).exp().min(1.0)
    } else if effect.difference == 0.0 {
        1.0
    } else {
        0.0
    };
    Ok(SequentialInterval {
        ci_low: effect.difference - h,
        ci_high: effect.difference + h,
        relative_ci_low,
        relative_ci_high,
        p_value,
        tuning,
    })
}

/// CUPED: `y` the outcome and `x` its pre-period value (e.g. active days in the 30 days before
/// eligibility), per account of each arm. The outcome is adjusted by `θ (x − mean x)` with θ
/// pooled over both arms (the assignment is independent of the pre-period, so the adjustment
/// does not bias the difference), then estimated as [`welch`] does.
pub fn cuped(control: (&[f64], &[f64]), treatment: (&[f64], &[f64]), confidence: f64) -> Result<CupedEffect> {
    let ((yc, xc), (yt, xt)) = (control, treatment);
    for (name, y, x) in [("control", yc, xc), ("treatment", yt, xt)] {
        check_sample(name, y)?;
        check_sample(name, x)?;
        if x.len() != y.len() {
            return Err(Error::argument(name, format!("{} outcomes but {} pre-period values", y.len(), x.len())));
        }
    }
    // Sums of squares and products within arms (pooled), so a difference between the arms'
    // means does not leak into θ.
    let within = |a: &[f64], b: &[f64]| -> f64 {
        let (ma, mb) = (mean_var(a).0, mean_var(b).0);
        a.iter().zip(b).map(|(p, q)| (p - ma) * (q - mb)).sum()
    };
    let sxx = within(xc, xc) + within(xt, xt);
    let sxy = within(yc, xc) + within(yt, xt);
    let syy = within(yc, yc) + within(yt, yt);
    let theta = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let mx = (xc.iter().sum::<f64>() + xt.iter().sum::<f64>()) / (xc.len() + xt.len()) as f64;
    let adjust = |y: &[f64], x: &[f64]| -> Vec<f64> { y.iter().zip(x).map(|(a, b)| a - theta * (b - mx)).collect() };
    let (ac, at) = (adjust(yc, xc), adjust(yt, xt));
    let effect = welch(&ac, &at, confidence)?;
    let adjusted = within(&ac, &ac) + within(&at, &at);
    let variance_reduction = if syy > 0.0 { 1.0 - adjusted / syy } else { 0.0 };
    Ok(CupedEffect { effect, theta, variance_reduction })
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: [f64; 8] = [3.1, 2.4, 5.6, 4.0, 3.3, 2.9, 4.4, 3.8];
    const T: [f64; 9] = [4.2, 5.1, 3.9, 6.0, 4.8, 5.5, 4.1, 5.0, 4.6];

    #[test]
    fn welch_equals_scipy() {
        // SciPy: ttest_ind(T, C, equal_var=False): statistic 2.6361911027648386, p
        // 0.021498497970545902, df 12.179011961347028, 95 % CI (0.1945150712942627,
        // 2.0304849287057385).
        let e = welch(&C, &T, 0.95).expect("welch");
        assert!((e.difference - 1.1125).abs() < 1e-12);
        assert!((e.difference / e.std_error - 2.636_191_102_764_838_6).abs() < 1e-10);
        assert!((e.degrees_of_freedom - 12.179_011_961_347_028).abs() < 1e-9);
        assert!((e.p_value - 0.021_498_497_970_545_902).abs() < 1e-9, "{}", e.p_value);
        assert!((e.ci_low - 0.194_515_071_294_262_7).abs() < 1e-8 && (e.ci_high - 2.030_484_928_705_738_5).abs() < 1e-8);
        let lift = e.relative_lift.expect("lift");
        assert!((lift - 1.1125 / 3.6875).abs() < 1e-12);
        assert!(e.relative_ci_low.expect("low") < lift && lift < e.relative_ci_high.expect("high"));
        assert_eq!(welch(&C, &[1.0], 0.95).expect_err("short").code(), "invalid_argument");
        assert_eq!(welch(&C, &[1.0, f64::NAN], 0.95).expect_err("nan").code(), "invalid_argument");
        assert_eq!(welch(&C, &T, 1.0).expect_err("confidence").code(), "invalid_argument");
    }
    #[test]
    fn equals_growthbook_published_figures() {
        // GrowthBook's gbstats unit tests (frequentist TwoSidedTTest, 5 decimals): control
        // n 3407, sum 1396.87, sum of squares 52377.9767; treatment n 3461, sum 2422.7, sum of
        // squares 134698.29. Absolute: 0.29, CI (0.04538, 0.53462), sd 0.12478, p 0.02016.
        // Relative: 0.70732, CI (−0.03526, 1.44989), sd 0.37879.
        let r5 = |x: f64| (x * 1e5).round() / 1e5;
        let a = ArmSummary::from_sums("a", 3407, 1396.87, 52377.9767).expect("a");
        let b = ArmSummary::from_sums("b", 3461, 2422.7, 134698.29).expect("b");
        let e = welch_summary(&a, &b, 0.95).expect("welch");
        assert_eq!((r5(e.difference), r5(e.ci_low), r5(e.ci_high)), (0.29, 0.04538, 0.53462));
        assert_eq!((r5(e.std_error), r5(e.p_value)), (0.12478, 0.02016));
        let rel = |x: Option<f64>| r5(x.expect("relative"));
        assert_eq!((rel(e.relative_lift), rel(e.relative_ci_low), rel(e.relative_ci_high)), (0.70732, -0.03526, 1.44989));
        assert_eq!(rel(e.relative_std_error), 0.37879);
        // Sequential, tuning 1000, control n 3000 (same sums): relative 0.50336, CI (−0.55844,
        // 1.56516), sd 0.33341, p 1.
        let a = ArmSummary::from_sums("a", 3000, 1396.87, 52377.9767).expect("a");
        let e = welch_summary(&a, &b, 0.95).expect("welch");
        let s = sequential(&e, 1000.0).expect("sequential");
        assert_eq!((rel(e.relative_lift), rel(e.relative_std_error)), (0.50336, 0.33341));
        assert_eq!((rel(s.relative_ci_low), rel(s.relative_ci_high)), (-0.55844, 1.56516));
        assert_eq!(s.p_value, 1.0);
        // Wider than the fixed interval; tightest near the tuning.
        assert!(s.ci_low < e.ci_low && s.ci_high > e.ci_high);
        let width = |t: f64| {
            let s = sequential(&e, t).expect("sequential");
            s.ci_high - s.ci_low
        };
        assert!(width(6461.0) < width(10.0) && width(6461.0) < width(1e6));
        assert_eq!(sequential(&e, 0.0).expect_err("tuning").code(), "invalid_argument");
        assert_eq!(ArmSummary::from_sums("a", 1, 1.0, 1.0).expect_err("n").code(), "invalid_argument");
    }

    #[test]
    fn cuped_removes_the_variance_the_pre_period_explains() {
        let mut rng = crate::stats::Rng::new(7, 0);
        let mut arm = |n: usize, lift: f64| -> (Vec<f64>, Vec<f64>) {
            let x: Vec<f64> = (0..n).map(|_| 10.0 + 3.0 * rng.normal()).collect();
            let y = x.iter().map(|x| 0.8 * x + lift + rng.normal()).collect();
            (y, x)
        };
        let (yc, xc) = arm(2000, 0.0);
        let (yt, xt) = arm(2000, 0.5);
        let plain = welch(&yc, &yt, 0.95).expect("welch");
        let adjusted = cuped((&yc, &xc), (&yt, &xt), 0.95).expect("cuped");
        assert!((adjusted.theta - 0.8).abs() < 0.05, "{}", adjusted.theta);
        // var(y) = 0.64·9 + 1 = 6.76, var(adjusted) ≈ 1: about 85 % removed.
        assert!((adjusted.variance_reduction - 0.85).abs() < 0.03, "{}", adjusted.variance_reduction);
        assert!(adjusted.effect.std_error < plain.std_error * 0.5);
        assert!(adjusted.effect.ci_low < 0.5 && 0.5 < adjusted.effect.ci_high);
    }
}
