//! Retention cohorts: accounts grouped by the period they started in, and per later period the
//! share of them still there (logo retention) and the share of their starting MRR still there
//! (revenue retention, gross and net).

use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::ActivityRules;
use crate::outcome::in_force;
use crate::time::Timestamp;

/// Most periods after the start one cohort row reports.
pub const MAX_COHORT_PERIODS: u32 = 240;

/// When an account starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CohortStart {
    /// Its first subscription (trials aside) starts.
    #[default]
    FirstSubscription,
    /// Its first product activity.
    FirstActivity,
    /// Its `created_at`.
    Created,
}

/// What "still there" means for logo retention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CohortMeasure {
    /// A subscription (trials aside) is in force at the end of the period.
    #[default]
    Subscribed,
    /// Active (a product event) in the period.
    Active,
}

/// How to build retention cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CohortConfig {
    /// Document version (1).
    #[serde(default = "version")]
    pub version: u32,
    /// The period (default month).
    #[serde(default)]
    pub period: Period,
    /// When an account starts (default: its first subscription).
    #[serde(default)]
    pub start: CohortStart,
    /// What logo retention counts (default: still subscribed).
    #[serde(default)]
    pub measure: CohortMeasure,
    /// Periods reported after the start one (default 12; at most [`MAX_COHORT_PERIODS`]).
    #[serde(default = "twelve")]
    pub periods: u32,
    /// Only cohorts starting at or after this instant's period.
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// What counts as activity.
    #[serde(default)]
    pub activity: ActivityRules,
}

fn version() -> u32 {
    1
}
fn twelve() -> u32 {
    12
}

impl CohortConfig {
    /// Defaults: monthly cohorts by first subscription, still subscribed, 12 periods.
    pub fn new(period: Period, start: CohortStart, measure: CohortMeasure) -> Self {
        CohortConfig { version: 1, period, start, measure, periods: 12, from: None, activity: ActivityRules::default() }
    }

    /// Checks the version and the number of periods.
    pub fn validate(&self) -> Result<()> {
        if self.version != 1 {
            return Err(Error::UnsupportedVersion { what: "cohort config".into(), found: self.version, supported: 1 });
        }
        if self.periods > MAX_COHORT_PERIODS {
            return Err(Error::config("periods", format!("at most {MAX_COHORT_PERIODS}, got {}", self.periods)));
        }
        Ok(())
    }
}

crate::document::document! {
    CohortConfig => "cohort config", 1;
}

/// One cohort: the accounts that started in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CohortRow {
    /// The start period's first instant.
    pub cohort: Timestamp,
    /// Accounts in the cohort.
    pub accounts: u64,
    /// Their MRR (major units) at the end of the start period (at `as_of` while it runs).
    pub starting_mrr: f64,
    /// Per period k = 0, 1, …: the share of the cohort still there (by the config's measure);
    /// missing for periods not over by `as_of`.
    pub logo: Vec<Option<f64>>,
    /// Per period: Σ min(MRR at its end, starting MRR) / Σ starting MRR (missing when the cohort
    /// started with no MRR, or the period is not over).
    pub gross_revenue: Vec<Option<f64>>,
    /// Per period: Σ MRR at its end / Σ starting MRR (expansion included).
    pub net_revenue: Vec<Option<f64>>,
}

/// Retention cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionCohorts {
    /// The period.
    pub period: Period,
    /// What logo retention counts.
    pub measure: CohortMeasure,
    /// When accounts start.
    pub start: CohortStart,
    /// The cohorts, oldest first (only periods with accounts).
    pub rows: Vec<CohortRow>,
}

/// Retention cohorts of `ds` as of `as_of`: every account with a start (see [`CohortStart`]) at
/// or before `as_of` joins the cohort of its start period; a cohort's period k is reported once
/// it is over (its end at or before `as_of`). Logo retention counts the accounts subscribed at
/// the end of period k, or active in it; revenue retention compares each account's MRR at the
/// end of period k with its MRR at the end of the start period (gross caps each account at its
/// start; net does not).
pub fn retention_cohorts(ds: &Dataset, as_of: Timestamp, config: &CohortConfig) -> Result<RetentionCohorts> {
    config.validate()?;
    let period = config.period;
    let active = match (config.start, config.measure) {
        (CohortStart::FirstActivity, _) | (_, CohortMeasure::Active) => {
            super::active_periods(ds, as_of, period, &config.activity)
        }
        _ => Vec::new(),
    };
    let scale = 10f64.powi(crate::data::currency_exponent(ds.currency.as_deref().unwrap_or("USD")) as i32);
    let from = config.from.map(|f| period.of(f));
    // Each account's start period.
    let mut starts: Vec<(i64, usize)> = Vec::new();
    for (a, account) in ds.accounts().iter().enumerate() {
        let start = match config.start {
            CohortStart::Created => Some(account.created_at),
            CohortStart::FirstActivity => active[a].first().map(|&p| Timestamp::from_millis(period.start(p))).transpose()?,
            CohortStart::FirstSubscription => ds
                .subscription_rows(a)
                .iter()
                .filter(|r| r.status != crate::data::SubscriptionStatus::Trial)
                .map(|r| r.start)
                .min()
                .map(Timestamp::from_millis)
                .transpose()?,
        };
        let Some(start) = start.filter(|s| *s <= as_of) else { continue };
        let p = period.of(start);
        if from.is_some_and(|f| p < f) {
            continue;
        }
        starts.push((p, a));
    }
    starts.sort_unstable();
    // An account's subscriptions in force at the last instant before `end`: (MRR in major units,
    // subscribed).
    let at_end = |a: usize, end: i64| -> Result<(f64, bool)> {
        let held = in_force(ds, a, Timestamp::from_millis(end - 1)?)?;
        Ok((held.mrr_minor as f64 / scale, held.subscriptions > 0))
    };
    let mut rows = Vec::new();
    let mut i = 0;
    while i < starts.len() {
        let c = starts[i].0;
        let j = i + starts[i..].partition_point(|s| s.0 == c);
        let members: Vec<usize> = starts[i..j].iter().map(|s| s.1).collect();
        i = j;
        // At the end of the start period (or at `as_of`, while it runs).
        let start_end = period.end(c).min(as_of.millis() + 1);
        let starting: Vec<f64> = members.iter().map(|&a| at_end(a, start_end).map(|x| x.0)).collect::<Result<_>>()?;
        let starting_mrr: f64 = starting.iter().sum();
        let (mut logo, mut gross, mut net) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..=i64::from(config.periods) {
            let p = c + k;
            let end = period.end(p);
            if end > as_of.millis() {
                logo.push(None);
                gross.push(None);
                net.push(None);
                continue;
            }
            let (mut there, mut capped, mut total) = (0u64, 0.0f64, 0.0f64);
            for (&a, &s) in members.iter().zip(&starting) {
                let (mrr, subscribed) = at_end(a, end)?;
                let still = match config.measure {
                    CohortMeasure::Subscribed => subscribed,
                    CohortMeasure::Active => active[a].binary_search(&p).is_ok(),
                };
                there += u64::from(still);
                capped += mrr.min(s);
                total += mrr;
            }
            logo.push(Some(there as f64 / members.len() as f64));
            let has_mrr = starting_mrr > 0.0;
            gross.push(has_mrr.then(|| capped / starting_mrr));
            net.push(has_mrr.then(|| total / starting_mrr));
        }
        rows.push(CohortRow {
            cohort: Timestamp::from_millis(period.start(c))?,
            accounts: members.len() as u64,
            starting_mrr,
            logo,
            gross_revenue: gross,
            net_revenue: net,
        });
    }
    Ok(RetentionCohorts { period, measure: config.measure, start: config.start, rows })
}
