//! Power and sample size for a two-arm test, normal approximation, two-sided: for a rate, the
//! pooled variance under no effect and the arms' own under the effect (R's `power.prop.test`,
//! Fleiss without continuity correction); for a mean, a known standard deviation.

use serde::{Deserialize, Serialize};

use super::{check_levels, z};
use crate::error::{Error, Result};

/// Accounts needed per arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SampleSize {
    /// Control (holdout) accounts, rounded up.
    pub control: u64,
    /// Treated accounts, rounded up.
    pub treatment: u64,
    /// Control accounts before rounding.
    pub control_exact: f64,
}

fn check_rate(name: &str, p: f64) -> Result<()> {
    if !(p > 0.0 && p < 1.0) {
        return Err(Error::argument(name, format!("must be a rate strictly between 0 and 1, got {p}")));
    }
    Ok(())
}

fn check_ratio(ratio: f64) -> Result<()> {
    if !(ratio.is_finite() && (1e-3..=1e3).contains(&ratio)) {
        return Err(Error::argument("ratio", format!("treated per control account must be in [0.001, 1000], got {ratio}")));
    }
    Ok(())
}

fn sized(control_exact: f64, ratio: f64) -> Result<SampleSize> {
    if !(control_exact.is_finite() && control_exact < 1e15) {
        return Err(Error::argument("mde", "the effect is too small to detect with any sample"));
    }
    let control = control_exact.ceil().max(1.0);
    Ok(SampleSize { control: control as u64, treatment: (control * ratio).ceil().max(1.0) as u64, control_exact })
}

/// Accounts per arm to detect a change of a rate from `baseline` to `baseline + mde` (`mde`
/// absolute, either sign) with a two-sided test at `alpha` and the given `power`, `ratio`
/// treated accounts per control account.
pub fn sample_size_proportions(baseline: f64, mde: f64, alpha: f64, power: f64, ratio: f64) -> Result<SampleSize> {
    check_levels(alpha, Some(power))?;
    check_rate("baseline", baseline)?;
    check_rate("baseline + mde", baseline + mde)?;
    check_ratio(ratio)?;
    if mde == 0.0 {
        return Err(Error::argument("mde", "must not be 0"));
    }
    let (p1, p2) = (baseline, baseline + mde);
    let pooled = (p1 + ratio * p2) / (1.0 + ratio);
    let a = z(1.0 - alpha / 2.0) * (pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio)).sqrt();
    let b = z(power) * (p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio).sqrt();
    sized(((a + b) / mde).powi(2), ratio)
}

/// Accounts per arm to detect a change `mde` of a mean whose standard deviation is `sd`.
pub fn sample_size_means(sd: f64, mde: f64, alpha: f64, power: f64, ratio: f64) -> Result<SampleSize> {
    check_levels(alpha, Some(power))?;
    check_ratio(ratio)?;
    if !(sd.is_finite() && sd > 0.0) {
        return Err(Error::argument("sd", format!("must be a positive number, got {sd}")));
    }
    if !(mde.is_finite() && mde != 0.0) {
        return Err(Error::argument("mde", format!("must be a non-zero number, got {mde}")));
    }
    let k = z(1.0 - alpha / 2.0) + z(power);
    sized((k * sd / mde).powi(2) * (1.0 + 1.0 / ratio), ratio)
}

/// The power of the two-sided rate test with `control` and `treatment` accounts, from
/// `baseline` to `baseline + effect`.
fn power_proportions(baseline: f64, effect: f64, control: f64, treatment: f64, alpha: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let (p1, p2) = (baseline, baseline + effect);
    let pooled = (control * p1 + treatment * p2) / (control + treatment);
    let null_se = (pooled * (1.0 - pooled) * (1.0 / control + 1.0 / treatment)).sqrt();
    let se = (p1 * (1.0 - p1) / control + p2 * (1.0 - p2) / treatment).sqrt();
    let x = (effect.abs() - z(1.0 - alpha / 2.0) * null_se) / se;
    Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.cdf(x))
}

/// The smallest increase of a rate from `baseline` detectable with `control` and `treatment`
/// accounts (e.g. what a dry run says will be eligible per month) at `alpha` and `power`; `None`
/// when no increase up to a rate of 1 is.
pub fn mde_proportions(baseline: f64, control: u64, treatment: u64, alpha: f64, power: f64) -> Result<Option<f64>> {
    check_levels(alpha, Some(power))?;
    check_rate("baseline", baseline)?;
    if control == 0 || treatment == 0 {
        return Err(Error::argument("control", "both arms need accounts"));
    }
    let (c, t) = (control as f64, treatment as f64);
    let top = 1.0 - baseline;
    if power_proportions(baseline, top * (1.0 - 1e-12), c, t, alpha) < power {
        return Ok(None);
    }
    // Power grows with the effect: bisect.
    let (mut lo, mut hi) = (0.0, top * (1.0 - 1e-12));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if power_proportions(baseline, mid, c, t, alpha) < power {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    Ok(Some(hi))
}

/// The smallest change of a mean (standard deviation `sd`) detectable with `control` and
/// `treatment` accounts at `alpha` and `power`.
pub fn mde_means(sd: f64, control: u64, treatment: u64, alpha: f64, power: f64) -> Result<f64> {
    check_levels(alpha, Some(power))?;
    if !(sd.is_finite() && sd > 0.0) {
        return Err(Error::argument("sd", format!("must be a positive number, got {sd}")));
    }
    if control == 0 || treatment == 0 {
        return Err(Error::argument("control", "both arms need accounts"));
    }
    Ok((z(1.0 - alpha / 2.0) + z(power)) * sd * (1.0 / control as f64 + 1.0 / treatment as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_power_prop_test_examples() {
        // R's documentation of power.prop.test: p1 = .50, p2 = .75, power = .90 → n = 76.7 per
        // group; n = 50 → power = 0.7401659.
        let s = sample_size_proportions(0.5, 0.25, 0.05, 0.9, 1.0).expect("n");
        assert!((s.control_exact - 76.7).abs() < 0.05, "{}", s.control_exact);
        assert_eq!((s.control, s.treatment), (77, 77));
        assert!((power_proportions(0.5, 0.25, 50.0, 50.0, 0.05) - 0.740_165_9).abs() < 1e-6);
        // The reverse: with 77 per arm the detectable increase is just under 0.25.
        let mde = mde_proportions(0.5, 77, 77, 0.05, 0.9).expect("mde").expect("some");
        assert!(mde < 0.25 && mde > 0.245, "{mde}");
        assert_eq!(mde_proportions(0.5, 2, 2, 0.05, 0.9).expect("mde"), None);
        // Means: (z.975 + z.8)^2 * 2 * sd^2 / d^2 = 15.698 for d = sd.
        let s = sample_size_means(1.0, 1.0, 0.05, 0.8, 1.0).expect("n");
        assert!((s.control_exact - 15.698).abs() < 0.001, "{}", s.control_exact);
        assert!((mde_means(1.0, 16, 16, 0.05, 0.8).expect("mde") - 0.9905).abs() < 0.001);
        // A 10 % holdout (ratio 9 treated per control) needs fewer controls than a 50/50 split.
        let uneven = sample_size_proportions(0.1, 0.02, 0.05, 0.8, 9.0).expect("n");
        let even = sample_size_proportions(0.1, 0.02, 0.05, 0.8, 1.0).expect("n");
        assert!(uneven.control < even.control && uneven.treatment > even.treatment);
        for bad in [
            sample_size_proportions(0.0, 0.1, 0.05, 0.8, 1.0),
            sample_size_proportions(0.5, 0.6, 0.05, 0.8, 1.0),
            sample_size_proportions(0.5, 0.0, 0.05, 0.8, 1.0),
            sample_size_proportions(0.5, 0.1, 0.0, 0.8, 1.0),
            sample_size_proportions(0.5, 0.1, 0.05, 1.0, 1.0),
            sample_size_means(0.0, 1.0, 0.05, 0.8, 1.0),
            sample_size_means(1.0, 1e-300, 0.05, 0.8, 1.0),
        ] {
            assert_eq!(bad.expect_err("bad").code(), "invalid_argument");
        }
    }
}
