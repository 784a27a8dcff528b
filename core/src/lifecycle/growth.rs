//! Growth accounting: per period, how many accounts are new, returning, resurrecting, dormant
//! and churned; and each account's bucket in the period of `as_of`.

use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, ActivityRules, Column, ColumnData, ToColumns};
use crate::time::Timestamp;

/// Version of the lifecycle config this build reads and writes.
pub const LIFECYCLE_VERSION: u32 = 1;

/// Most periods one growth accounting covers (27 years of days).
pub const MAX_PERIODS: usize = 10_000;

/// How to account for growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Document version ([`LIFECYCLE_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// The period (default month).
    #[serde(default)]
    pub period: Period,
    /// Report periods from the one holding this instant (default: the first period any account
    /// was active in). Activity before it still counts (an account active before `from` is not
    /// new after it).
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// What counts as activity.
    #[serde(default)]
    pub activity: ActivityRules,
}

fn version() -> u32 {
    LIFECYCLE_VERSION
}

impl LifecycleConfig {
    /// Defaults for `period`.
    pub fn new(period: Period) -> Self {
        LifecycleConfig { version: LIFECYCLE_VERSION, period, from: None, activity: ActivityRules::default() }
    }

    /// Checks the version.
    pub fn validate(&self) -> Result<()> {
        if self.version != LIFECYCLE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "lifecycle config".into(),
                found: self.version,
                supported: LIFECYCLE_VERSION,
            });
        }
        Ok(())
    }
}

crate::document::document! {
    LifecycleConfig => "lifecycle config", LIFECYCLE_VERSION;
}

/// An account's lifecycle bucket in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Active for the first time.
    New,
    /// Active, and active in the previous period.
    Returning,
    /// Active, not in the previous period, but some time before.
    Resurrecting,
    /// Not active, but active some time before.
    Dormant,
}

impl Bucket {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::New => "new",
            Bucket::Returning => "returning",
            Bucket::Resurrecting => "resurrecting",
            Bucket::Dormant => "dormant",
        }
    }
}

/// One period of growth accounting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GrowthPeriod {
    /// When the period starts.
    pub start: Timestamp,
    /// When it ends (the next one's start).
    pub end: Timestamp,
    /// Whether it ended by `as_of` (the last period is usually still running).
    pub complete: bool,
    /// Accounts active in it: `new + returning + resurrecting`.
    pub active: u64,
    /// Active for the first time.
    pub new: u64,
    /// Active in it and in the previous period.
    pub returning: u64,
    /// Active in it, not in the previous one, but before.
    pub resurrecting: u64,
    /// Not active in it, but before.
    pub dormant: u64,
    /// Active in the previous period, not in this one (the dormant accounts that just became so).
    pub churned: u64,
    /// `(new + resurrecting) / churned` (missing when nothing churned): above 1 the active base
    /// grows.
    pub quick_ratio: Option<f64>,
}

/// Growth accounting of a dataset, and each account's bucket in the period of `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GrowthAccounting {
    /// The period.
    pub period: Period,
    /// The instant the accounting is as of.
    pub as_of: Timestamp,
    /// The periods, oldest first, up to the one holding `as_of`.
    pub periods: Vec<GrowthPeriod>,
    /// Every account (dataset order).
    pub account_ids: Vec<String>,
    /// Each account's bucket in the period of `as_of` (missing: never active).
    pub buckets: Vec<Option<Bucket>>,
    /// Each account's first active period's start (missing: never active).
    pub first_active: Vec<Option<Timestamp>>,
}

impl ToColumns for GrowthAccounting {
    /// `{name}` (the bucket: `new`, `returning`, `resurrecting`, `dormant`) and
    /// `{name}_first_active` (timestamp), by account id.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_account(
            self.account_ids.clone(),
            vec![
                Column::new(name, ColumnData::Str(self.buckets.iter().map(|b| b.map(|b| b.as_str().to_string())).collect())),
                Column::new(format!("{name}_first_active"), ColumnData::Timestamp(self.first_active.clone())),
            ],
        )
    }
}

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millis(ms)
}

/// Growth accounting of `ds` up to `as_of`, by `config.period`. See the module docs for the
/// buckets. Periods run from `config.from` (or the first period any account was active in) to
/// the one holding `as_of`, at most [`MAX_PERIODS`].
pub fn growth_accounting(ds: &Dataset, as_of: Timestamp, config: &LifecycleConfig) -> Result<GrowthAccounting> {
    config.validate()?;
    let period = config.period;
    let active = super::active_periods(ds, as_of, period, &config.activity);
    let last = period.of(as_of);
    let first = match config.from {
        Some(f) if f > as_of => return Err(Error::config("from", format!("{f} is after as_of {as_of}"))),
        Some(f) => Some(period.of(f)),
        None => active.iter().filter_map(|p| p.first().copied()).min(),
    };
    let first = first.unwrap_or(last);
    let count = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
    if count > MAX_PERIODS {
        return Err(Error::config(
            "from",
            format!(
                "{count} {}s between the first activity and as_of, more than {MAX_PERIODS}: set `from`, or a longer period",
                period.as_str()
            ),
        ));
    }
    // Per period: new, returning, resurrecting (by walking each account's active periods) and
    // the accounts started before it; dormant and churned follow.
    let (mut new, mut returning, mut resurrecting) = (vec![0u64; count], vec![0u64; count], vec![0u64; count]);
    let mut active_count = vec![0u64; count];
    let mut started = vec![0u64; count + 1]; // accounts whose first period is before period i (after prefix sums)
    let mut before_first = 0u64; // accounts active before the first reported period
    let mut active_before_first = 0u64; // … and active in the period just before it
    let mut buckets = Vec::with_capacity(active.len());
    let mut first_active = Vec::with_capacity(active.len());
    for periods in &active {
        let Some(&start) = periods.first() else {
            buckets.push(None);
            first_active.push(None);
            continue;
        };
        first_active.push(Some(ts(period.start(start))?));
        if start < first {
            before_first += 1;
        } else {
            started[(start - first) as usize + 1] += 1;
        }
        if periods.binary_search(&(first - 1)).is_ok() {
            active_before_first += 1;
        }
        let mut previous: Option<i64> = None;
        for &p in periods {
            if p >= first {
                let i = (p - first) as usize;
                active_count[i] += 1;
                match previous {
                    None => new[i] += 1,
                    Some(q) if q == p - 1 => returning[i] += 1,
                    Some(_) => resurrecting[i] += 1,
                }
            }
            previous = Some(p);
        }
        buckets.push(Some(match periods.last() {
            Some(&p) if p == last => match periods.len() {
                1 => Bucket::New,
                k if periods[k - 2] == last - 1 => Bucket::Returning,
                _ => Bucket::Resurrecting,
            },
            _ => Bucket::Dormant,
        }));
    }
    let mut out = Vec::with_capacity(count);
    let mut started_before = before_first;
    let mut previous_active = active_before_first;
    for i in 0..count {
        started_before += started[i];
        let p = first + i as i64;
        let dormant = started_before - (returning[i] + resurrecting[i]);
        let churned = previous_active - returning[i];
        let end = period.end(p);
        out.push(GrowthPeriod {
            start: ts(period.start(p))?,
            end: ts(end)?,
            complete: end <= as_of.millis(),
            active: active_count[i],
            new: new[i],
            returning: returning[i],
            resurrecting: resurrecting[i],
            dormant,
            churned,
            quick_ratio: (churned > 0).then(|| (new[i] + resurrecting[i]) as f64 / churned as f64),
        });
        previous_active = active_count[i];
    }
    Ok(GrowthAccounting {
        period,
        as_of,
        periods: out,
        account_ids: ds.accounts().iter().map(|a| a.id.to_string()).collect(),
        buckets,
        first_active,
    })
}
