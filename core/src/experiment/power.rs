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

/// What a power plan assumes about the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlannedOutcome {
    /// A rate (retention within the horizon, say) of `baseline` in the control arm.
    Rate {
        /// The control arm's rate, strictly between 0 and 1.
        baseline: f64,
    },
    /// A mean with standard deviation `sd` (usage days, MRR change …).
    Mean {
        /// The outcome's standard deviation.
        sd: f64,
    },
}

/// How to plan the experiments of a playbook from a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PowerPlanConfig {
    /// Document version (1).
    #[serde(default = "one_u32")]
    pub version: u32,
    /// The outcome.
    pub outcome: PlannedOutcome,
    /// How many months the experiment will collect accounts (default 3; 0.1 to 120).
    #[serde(default = "three")]
    pub months: f64,
    /// Two-sided significance level (default 0.05).
    #[serde(default = "five_percent")]
    pub alpha: f64,
    /// Power (default 0.8).
    #[serde(default = "eighty_percent")]
    pub power: f64,
}

fn one_u32() -> u32 {
    1
}
fn three() -> f64 {
    3.0
}
fn five_percent() -> f64 {
    0.05
}
fn eighty_percent() -> f64 {
    0.8
}

/// The power plan of one play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlayPower {
    /// The play.
    pub play: String,
    /// Accounts entering the play per month in the dry run (their first record, either arm).
    pub accounts_per_month: f64,
    /// The share of them held out (the play's holdout, or the global one when it has none).
    pub control_share: f64,
    /// Accounts per arm after `months`: control.
    pub control: u64,
    /// Treated.
    pub treatment: u64,
    /// The smallest difference detectable at the plan's level and power (`None`: no holdout,
    /// too few accounts, or — for a rate — no lift up to 1 is).
    pub detectable_effect: Option<f64>,
}

impl PowerPlanConfig {
    /// Checks the levels, the months and the outcome.
    pub fn validate(&self) -> Result<()> {
        if self.version != 1 {
            return Err(Error::UnsupportedVersion { what: "power plan config".into(), found: self.version, supported: 1 });
        }
        check_levels(self.alpha, Some(self.power)).map_err(|e| Error::config("alpha", e.to_string()))?;
        if !(self.months.is_finite() && (0.1..=120.0).contains(&self.months)) {
            return Err(Error::config("months", format!("must be 0.1 to 120, got {}", self.months)));
        }
        match self.outcome {
            PlannedOutcome::Rate { baseline } if !(baseline > 0.0 && baseline < 1.0) => {
                Err(Error::config("outcome.baseline", format!("must be a rate strictly between 0 and 1, got {baseline}")))
            }
            PlannedOutcome::Mean { sd } if !(sd.is_finite() && sd > 0.0) => {
                Err(Error::config("outcome.sd", format!("must be a positive number, got {sd}")))
            }
            _ => Ok(()),
        }
    }
}

crate::document::document! {
    PowerPlanConfig => "power plan config", 1;
}

/// Average days per month (365.25 / 12).
const DAYS_PER_MONTH: f64 = 30.4375;

/// For each play of `dry`'s playbook: how many accounts a month it enrolls (from the dry run's
/// records, first per account), how many each arm gathers over `months` with its holdout share,
/// and the smallest effect those arms detect — the reverse of [`sample_size_proportions`] and
/// [`sample_size_means`]. The dry run's span is from its first run to its last plus one step.
pub fn power_plan(
    playbook: &crate::play::Playbook,
    dry: &crate::play::DryRun,
    config: &PowerPlanConfig,
) -> Result<Vec<PlayPower>> {
    config.validate()?;
    let runs = &dry.runs;
    let days = |a: crate::time::Timestamp, b: crate::time::Timestamp| (b.millis() - a.millis()) as f64 / 86_400_000.0;
    let span_days = match runs.len() {
        0 => return Ok(Vec::new()),
        1 => 7.0,
        n => days(runs[0].as_of, runs[n - 1].as_of) + days(runs[n - 2].as_of, runs[n - 1].as_of),
    };
    let global = playbook.holdout.as_ref().map_or(0.0, |g| g.share);
    let mut out = Vec::with_capacity(playbook.plays.len());
    for play in &playbook.plays {
        let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
        for r in runs {
            for a in r.fired.iter().chain(&r.held_out).filter(|a| a.play == play.id) {
                seen.insert(a.account_id.as_str());
            }
        }
        let per_month = seen.len() as f64 / span_days * DAYS_PER_MONTH;
        let share = play.holdout.as_ref().map_or(global, |h| h.share);
        let total = per_month * config.months;
        let (control, treatment) = ((total * share).floor() as u64, (total * (1.0 - share)).floor() as u64);
        let detectable_effect = if control == 0 || treatment == 0 {
            None
        } else {
            match config.outcome {
                PlannedOutcome::Rate { baseline } => mde_proportions(baseline, control, treatment, config.alpha, config.power)?,
                PlannedOutcome::Mean { sd } => Some(mde_means(sd, control, treatment, config.alpha, config.power)?),
            }
        };
        out.push(PlayPower {
            play: play.id.clone(),
            accounts_per_month: per_month,
            control_share: share,
            control,
            treatment,
            detectable_effect,
        });
    }
    Ok(out)
}
