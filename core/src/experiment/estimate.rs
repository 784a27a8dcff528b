//! Effect estimates for two arms: the difference of means with Welch's interval and test, the
//! relative lift with a delta-method interval, and CUPED (regression adjustment on a pre-period
//! covariate) with the variance reduction it bought.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::z;
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
    /// The lift's interval by the delta method (normal), at `confidence`.
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

/// The difference of the means of `treatment` and `control` with Welch's interval and test at
/// `confidence` (e.g. 0.95), and the relative lift with its delta-method interval.
pub fn welch(control: &[f64], treatment: &[f64], confidence: f64) -> Result<Effect> {
    check_sample("control", control)?;
    check_sample("treatment", treatment)?;
    if !(confidence > 0.5 && confidence < 1.0) {
        return Err(Error::argument("confidence", format!("must be in (0.5, 1), got {confidence}")));
    }
    let (nc, nt) = (control.len() as f64, treatment.len() as f64);
    let ((mc, vc), (mt, vt)) = (mean_var(control), mean_var(treatment));
    let (qc, qt) = (vc / nc, vt / nt);
    let se = (qc + qt).sqrt();
    let difference = mt - mc;
    let df = if qc + qt > 0.0 { (qc + qt).powi(2) / (qc * qc / (nc - 1.0) + qt * qt / (nt - 1.0)) } else { nc + nt - 2.0 };
    let (ci_low, ci_high, p_value) = if se > 0.0 {
        let t = StudentsT::new(0.0, 1.0, df).map_err(|e| Error::argument("control", e.to_string()))?;
        let q = t.inverse_cdf(0.5 + confidence / 2.0);
        (difference - q * se, difference + q * se, (2.0 * t.sf((difference / se).abs())).min(1.0))
    } else {
        // No variance in either arm: the difference is known exactly.
        (difference, difference, if difference == 0.0 { 1.0 } else { 0.0 })
    };
    let (relative_lift, relative_ci_low, relative_ci_high) = if mc != 0.0 {
        let lift = difference / mc;
        let se = (qt / (mc * mc) + mt * mt * qc / mc.powi(4)).sqrt();
        let q = z(0.5 + confidence / 2.0);
        (Some(lift), Some(lift - q * se), Some(lift + q * se))
    } else {
        (None, None, None)
    };
    Ok(Effect {
        control_n: control.len() as u64,
        treatment_n: treatment.len() as u64,
        control_mean: mc,
        treatment_mean: mt,
        difference,
        std_error: se,
        degrees_of_freedom: df,
        ci_low,
        ci_high,
        p_value,
        relative_lift,
        relative_ci_low,
        relative_ci_high,
        confidence,
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
