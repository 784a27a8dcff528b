//! Retention as a censored time-to-event outcome: accounts enter an experiment at different
//! times and many have not reached the horizon yet, so each arm's retention is a Kaplan–Meier
//! curve (with Greenwood's variance and a log(−log) interval, as SciPy's `ecdf` gives), and the
//! arms are compared with the log-rank test.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::z;
use crate::error::{Error, Result};

/// Most accounts one curve takes.
pub const MAX_SUBJECTS: usize = 100_000_000;

/// One step of a Kaplan–Meier curve: the survival just after `time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SurvivalStep {
    /// When the events happened (in the caller's unit: days since eligibility, say).
    pub time: f64,
    /// Accounts still observed just before `time`.
    pub at_risk: u64,
    /// Events (churns) at `time`.
    pub events: u64,
    /// Survival just after `time`.
    pub survival: f64,
    /// Its standard error (Greenwood: survival × √Σ d / (n (n − d))).
    pub std_error: f64,
    /// Interval of the survival (log(−log), Greenwood), at the curve's confidence.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// A Kaplan–Meier curve: one step per distinct event time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KaplanMeier {
    /// Accounts.
    pub subjects: u64,
    /// Events among them.
    pub events: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// The steps, by time.
    pub steps: Vec<SurvivalStep>,
}

fn check(name: &str, durations: &[f64], events: &[bool]) -> Result<()> {
    if durations.len() != events.len() {
        return Err(Error::argument(name, format!("{} durations but {} event flags", durations.len(), events.len())));
    }
    if durations.is_empty() || durations.len() > MAX_SUBJECTS {
        return Err(Error::argument(name, format!("needs 1 to {MAX_SUBJECTS} accounts, got {}", durations.len())));
    }
    if let Some(d) = durations.iter().find(|d| !(d.is_finite() && **d >= 0.0)) {
        return Err(Error::argument(name, format!("durations must be finite and not negative, got {d}")));
    }
    Ok(())
}

/// (time, events, censored) at each distinct time, sorted.
fn tally(durations: &[f64], events: &[bool]) -> Vec<(f64, u64, u64)> {
    let mut pairs: Vec<(f64, bool)> = durations.iter().copied().zip(events.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, u64, u64)> = Vec::new();
    for (t, e) in pairs {
        match out.last_mut() {
            Some(last) if last.0 == t => {
                if e {
                    last.1 += 1
                } else {
                    last.2 += 1
                }
            }
            _ => out.push((t, u64::from(e), u64::from(!e))),
        }
    }
    out
}

impl KaplanMeier {
    /// The curve of accounts observed for `durations` each, `events[i]` true when account `i`
    /// churned at its duration and false when it was still retained then (censored). At a time
    /// with both, the events come first.
    pub fn fit(durations: &[f64], events: &[bool], confidence: f64) -> Result<KaplanMeier> {
        check("durations", durations, events)?;
        if !(confidence > 0.5 && confidence < 1.0) {
            return Err(Error::argument("confidence", format!("must be in (0.5, 1), got {confidence}")));
        }
        let q = z(0.5 + confidence / 2.0);
        let mut at_risk = durations.len() as u64;
        let (mut survival, mut greenwood) = (1.0f64, 0.0f64);
        let mut steps = Vec::new();
        for (time, d, c) in tally(durations, events) {
            if d > 0 {
                let n = at_risk as f64;
                survival *= 1.0 - d as f64 / n;
                greenwood += if at_risk > d { d as f64 / (n * (n - d as f64)) } else { f64::INFINITY };
                let (ci_low, ci_high) = if survival > 0.0 && survival < 1.0 && greenwood.is_finite() {
                    let log_s = survival.ln();
                    let theta = (-log_s).ln();
                    let se = greenwood.sqrt() / log_s.abs();
                    ((-(theta + q * se).exp()).exp(), (-(theta - q * se).exp()).exp())
                } else {
                    (survival, survival)
                };
                let std_error = if greenwood.is_finite() { survival * greenwood.sqrt() } else { 0.0 };
                steps.push(SurvivalStep { time, at_risk, events: d, survival, std_error, ci_low, ci_high });
            }
            at_risk -= d + c;
        }
        let events = events.iter().filter(|e| **e).count() as u64;
        Ok(KaplanMeier { subjects: durations.len() as u64, events, confidence, steps })
    }

    /// Survival at `time` with its interval: the last step at or before it (1 before the first).
    pub fn at(&self, time: f64) -> (f64, f64, f64) {
        match self.step_at(time) {
            Some(s) => (s.survival, s.ci_low, s.ci_high),
            None => (1.0, 1.0, 1.0),
        }
    }

    /// The last step at or before `time` (none before the first event).
    pub fn step_at(&self, time: f64) -> Option<&SurvivalStep> {
        let k = self.steps.partition_point(|s| s.time <= time);
        k.checked_sub(1).and_then(|i| self.steps.get(i))
    }
}

/// The log-rank comparison of two arms' retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogRank {
    /// Events observed in the first and the second arm.
    pub observed: [u64; 2],
    /// Events expected in each arm were their hazards equal.
    pub expected: [f64; 2],
    /// The chi-square statistic (1 degree of freedom).
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// The log-rank test of arm `a` against arm `b` (durations and churn flags as in
/// [`KaplanMeier::fit`]).
pub fn log_rank(a: (&[f64], &[bool]), b: (&[f64], &[bool])) -> Result<LogRank> {
    check("a", a.0, a.1)?;
    check("b", b.0, b.1)?;
    let (ta, tb) = (tally(a.0, a.1), tally(b.0, b.1));
    let (mut na, mut nb) = (a.0.len() as f64, b.0.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let (mut oa, mut ea, mut var) = (0.0f64, 0.0f64, 0.0f64);
    let mut observed = [0u64; 2];
    while i < ta.len() || j < tb.len() {
        let t = match (ta.get(i), tb.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        let (da, ca) = match ta.get(i) {
            Some(x) if x.0 == t => {
                i += 1;
                (x.1, x.2)
            }
            _ => (0, 0),
        };
        let (db, cb) = match tb.get(j) {
            Some(y) if y.0 == t => {
                j += 1;
                (y.1, y.2)
            }
            _ => (0, 0),
        };
        let (d, n) = ((da + db) as f64, na + nb);
        if d > 0.0 && n > 0.0 {
            oa += da as f64;
            ea += d * na / n;
            if n > 1.0 {
                var += d * (na / n) * (nb / n) * (n - d) / (n - 1.0);
            }
        }
        observed[0] += da;
        observed[1] += db;
        na -= (da + ca) as f64;
        nb -= (db + cb) as f64;
    }
    let total = (observed[0] + observed[1]) as f64;
    let chi_square = if var > 0.0 { (oa - ea).powi(2) / var } else { 0.0 };
    let p_value = ChiSquared::new(1.0).map_or(f64::NAN, |d| d.sf(chi_square));
    Ok(LogRank { observed, expected: [ea, total - ea], chi_square, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DA: [f64; 12] = [5.0, 8.0, 8.0, 12.0, 15.0, 20.0, 22.0, 30.0, 30.0, 30.0, 35.0, 40.0];
    const EA: [bool; 12] = [true, true, false, true, false, true, true, false, false, true, true, false];
    const DB: [f64; 10] = [3.0, 6.0, 6.0, 9.0, 10.0, 14.0, 18.0, 21.0, 25.0, 28.0];
    const EB: [bool; 10] = [true, true, true, false, true, true, false, true, true, true];

    #[test]
    fn equals_scipy() {
        // SciPy 1.17 ecdf(CensoredData(...)).sf and its log-log 95 % interval.
        let km = KaplanMeier::fit(&DA, &EA, 0.95).expect("km");
        let times: Vec<f64> = km.steps.iter().map(|s| s.time).collect();
        assert_eq!(times, vec![5.0, 8.0, 12.0, 20.0, 22.0, 30.0, 35.0]);
        let expect = [
            (0.916_666_666_666_666_6, 0.538_977_180_570_741_2, 0.987_825_565_400_458),
            (0.833_333_333_333_333_3, 0.481_714_942_195_378_7, 0.955_509_365_728_064_9),
            (0.740_740_740_740_740_6, 0.390_676_127_607_781_86, 0.908_623_869_404_061_7),
            (0.634_920_634_920_634_8, 0.288_732_656_143_805_1, 0.846_955_091_554_557_2),
            (0.529_100_529_100_529, 0.205_093_382_563_788_92, 0.774_312_106_149_214),
            (0.423_280_423_280_423_2, 0.134_882_164_165_365_9, 0.691_466_274_660_600_3),
            (0.211_640_211_640_211_6, 0.014_198_071_247_207_147, 0.567_356_350_923_443),
        ];
        for (s, (sv, lo, hi)) in km.steps.iter().zip(expect) {
            assert!((s.survival - sv).abs() < 1e-12 && (s.ci_low - lo).abs() < 1e-9 && (s.ci_high - hi).abs() < 1e-9, "{s:?}");
        }
        assert_eq!(km.at(4.0), (1.0, 1.0, 1.0));
        assert_eq!(km.at(16.0).0, km.steps[2].survival);
        // SciPy logrank(a, b): statistic −1.9783003927988274 (the signed root), p 0.04789482883935986.
        let lr = log_rank((&DA, &EA), (&DB, &EB)).expect("logrank");
        assert!((lr.chi_square - 1.978_300_392_798_827_4f64.powi(2)).abs() < 1e-9, "{}", lr.chi_square);
        assert!((lr.p_value - 0.047_894_828_839_359_86).abs() < 1e-9, "{}", lr.p_value);
        assert_eq!(lr.observed, [7, 8]);
        assert_eq!(KaplanMeier::fit(&[1.0], &[true, false], 0.95).expect_err("len").code(), "invalid_argument");
        assert_eq!(KaplanMeier::fit(&[-1.0], &[true], 0.95).expect_err("neg").code(), "invalid_argument");
    }
}
