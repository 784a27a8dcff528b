//! The account lifecycle: which accounts are new, returning, resurrecting or dormant in each
//! period (the "growth accounting" view, and each account's bucket as a column); retention
//! cohorts of accounts by their start period — logo retention ("active in period k" or "still
//! subscribed in period k") and revenue retention, gross and net; and engagement moments — the
//! milestones of each account's journey, with their status and the time to first value; and
//! the phases of the journey (first-match rules) with each account's transitions over time.
//!
//! An account is **active** in a period when it has a product event in it (events named in
//! `non_activity_events` do not count). In period *t*, an account that is active is **new** when
//! *t* is its first active period, **returning** when it was active in *t − 1* too, and
//! **resurrecting** otherwise; an account that is not active in *t* but was active before is
//! **dormant** — and **churned** in *t* when it was active in *t − 1*. The four buckets partition
//! the accounts active in or before *t*.
//!
//! ```
//! use custfit::lifecycle::{growth_accounting, LifecycleConfig, Period};
//! use custfit::{Simulation, SimulationConfig};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(100).with_days(120).with_seed(3))?;
//! let growth = growth_accounting(&sim.dataset, sim.end, &LifecycleConfig::new(Period::Month))?;
//! let last = growth.periods.last().expect("a period");
//! assert_eq!(last.new + last.returning + last.resurrecting, last.active);
//! # Ok::<(), custfit::Error>(())
//! ```

mod cohorts;
mod growth;
mod moments;
mod period;
mod phases;

pub use cohorts::{retention_cohorts, CohortConfig, CohortMeasure, CohortRow, CohortStart, RetentionCohorts, MAX_COHORT_PERIODS};
pub use growth::{growth_accounting, Bucket, GrowthAccounting, GrowthPeriod, LifecycleConfig, LIFECYCLE_VERSION, MAX_PERIODS};
pub use moments::{
    engagement_moments, CadenceDef, CadenceProgress, EngagementMoments, Journey, JourneyStart, MomentAnchor, MomentDef,
    MomentProgress, MomentStatus, MomentSummary, MomentsConfig, MAX_MOMENTS,
};
pub use period::Period;
pub use phases::{phase_history, PhaseHistory, PhaseTransition, MAX_PHASE_DATES};

use crate::data::Dataset;
use crate::metrics::ActivityRules;
use crate::time::Timestamp;

/// Each account's active periods up to `as_of` (sorted, distinct), dataset order.
pub(crate) fn active_periods(ds: &Dataset, as_of: Timestamp, period: Period, rules: &ActivityRules) -> Vec<Vec<i64>> {
    let skip: Vec<u32> = rules.non_activity_events.iter().filter_map(|n| ds.name_id(n)).collect();
    let n = ds.account_count();
    let threads = if n < 512 { 1 } else { crate::stats::max_threads() };
    crate::stats::map_ranges(n, threads, |range| {
        range
            .map(|a| {
                let mut out: Vec<i64> = Vec::new();
                let mut last_day = i64::MIN;
                for e in ds.scan(a, i64::MIN, as_of.millis()).iter() {
                    if skip.contains(&e.name) {
                        continue;
                    }
                    // Events are sorted by time: the period changes only when the day does.
                    let day = e.ts.div_euclid(crate::time::MS_PER_DAY);
                    if day == last_day {
                        continue;
                    }
                    last_day = day;
                    let p = period.of_day(day);
                    if out.last() != Some(&p) {
                        out.push(p);
                    }
                }
                out
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}
