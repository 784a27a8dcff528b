//! Edge cases where more activity is bad (SPEC §2), detected beside the score from each account's
//! own history as of an instant (point-in-time: only events at or before the as-of instant).
//!
//! Days are 24-hour buckets counted back from the as-of instant (day 0 = the last 24 hours), as in
//! the snapshot. Definitions:
//!
//! - **extraction burst**: the busiest day of the `recent` window has at least `min_events`
//!   product events, a robust z-score `(x - median) / max(1.4826 * MAD, sqrt(median), 1)` of at
//!   least `min_z` against the account's active days in the `baseline` window before it, and at
//!   least `min_ratio` times the baseline's 90th percentile (so a weekly-cadence account's Monday
//!   peak is not a burst).
//! - **confusion**: over `window`, many product events per active user-day (at least
//!   `min_events_per_user_day`) while touching few distinct features (at most `max_features`),
//!   with at least `min_user_days` active user-days to judge from.
//! - **pricing interest**: at least `min_views` page views of pricing / billing pages (the
//!   snapshot's `pricing_pages`) in `window`.
//! - **cadence inactivity**: days since the last active day exceed `gap_multiple` times the
//!   account's usual gap (the `quantile` of gaps between its active days in `history`) and at
//!   least `min_days`; judged only with at least `min_gaps` gaps of history.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::{event_name, Dataset, Stored};
use crate::error::{Error, Result};
use crate::metrics::{ActivityRules, Column, ColumnData, Snapshot, SnapshotConfig};
use crate::stats::quantile_sorted;
use crate::time::{Timestamp, Window, MS_PER_DAY};

/// Version of the flag configuration document.
pub const FLAG_CONFIG_VERSION: u32 = 1;

fn version_one() -> u32 {
    FLAG_CONFIG_VERSION
}

/// Extraction-burst rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct BurstRule {
    /// Days searched for a burst.
    pub recent: Window,
    /// Days before `recent` forming the baseline.
    pub baseline: Window,
    /// Minimum robust z-score.
    pub min_z: f64,
    /// Minimum events on the burst day.
    pub min_events: u32,
    /// Minimum multiple of the baseline's 90th percentile day.
    pub min_ratio: f64,
}

impl Default for BurstRule {
    fn default() -> Self {
        BurstRule { recent: Window::days(7), baseline: Window::days(56), min_z: 6.0, min_events: 30, min_ratio: 2.0 }
    }
}

/// Confusion rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ConfusionRule {
    /// Window judged.
    pub window: Window,
    /// Minimum product events per active user-day.
    pub min_events_per_user_day: f64,
    /// Maximum distinct features used.
    pub max_features: u32,
    /// Minimum active user-days.
    pub min_user_days: u32,
}

impl Default for ConfusionRule {
    fn default() -> Self {
        ConfusionRule { window: Window::days(30), min_events_per_user_day: 6.0, max_features: 3, min_user_days: 5 }
    }
}

/// Pricing-interest rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PricingRule {
    /// Window judged.
    pub window: Window,
    /// Minimum pricing / billing page views.
    pub min_views: u32,
}

impl Default for PricingRule {
    fn default() -> Self {
        PricingRule { window: Window::days(30), min_views: 2 }
    }
}

/// Cadence-aware inactivity rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct InactivityRule {
    /// History from which the usual gap is learned.
    pub history: Window,
    /// Quantile (0–1) of the gaps taken as the usual gap.
    pub quantile: f64,
    /// Flag when days since last activity exceed this multiple of the usual gap.
    pub gap_multiple: f64,
    /// And at least this many days.
    pub min_days: u32,
    /// Gaps needed before an account is judged.
    pub min_gaps: u32,
}

impl Default for InactivityRule {
    fn default() -> Self {
        InactivityRule { history: Window::days(180), quantile: 0.9, gap_multiple: 2.0, min_days: 7, min_gaps: 4 }
    }
}

/// Settings of the edge-case flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct FlagConfig {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// Extraction bursts.
    pub burst: BurstRule,
    /// Confusion.
    pub confusion: ConfusionRule,
    /// Pricing / billing interest.
    pub pricing: PricingRule,
    /// Cadence-aware inactivity.
    pub inactivity: InactivityRule,
    /// Which events are product activity and which pages are pricing pages.
    pub activity: ActivityRules,
}

impl Default for FlagConfig {
    fn default() -> Self {
        FlagConfig {
            version: FLAG_CONFIG_VERSION,
            burst: BurstRule::default(),
            confusion: ConfusionRule::default(),
            pricing: PricingRule::default(),
            inactivity: InactivityRule::default(),
            activity: ActivityRules::default(),
        }
    }
}

fn window_days(w: Window, path: &str) -> Result<usize> {
    w.validate(path)?;
    let anchor = Timestamp::from_millis(0)?;
    Ok(((anchor.millis() - w.start(anchor).millis()) / MS_PER_DAY).max(1) as usize)
}

fn positive(path: &str, x: f64) -> Result<()> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(Error::config(path, format!("must be a positive number, got {x}")))
    }
}

impl FlagConfig {
    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<FlagConfig> {
        <FlagConfig as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("flag config JSON", e))
    }

    /// Checks windows and thresholds.
    pub fn validate(&self) -> Result<()> {
        if self.version != FLAG_CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "flag config".into(),
                found: self.version,
                supported: FLAG_CONFIG_VERSION,
            });
        }
        window_days(self.burst.recent, "burst.recent")?;
        window_days(self.burst.baseline, "burst.baseline")?;
        window_days(self.confusion.window, "confusion.window")?;
        window_days(self.pricing.window, "pricing.window")?;
        window_days(self.inactivity.history, "inactivity.history")?;
        positive("burst.min_z", self.burst.min_z)?;
        positive("burst.min_ratio", self.burst.min_ratio)?;
        positive("confusion.min_events_per_user_day", self.confusion.min_events_per_user_day)?;
        positive("inactivity.gap_multiple", self.inactivity.gap_multiple)?;
        if !(self.inactivity.quantile > 0.0 && self.inactivity.quantile <= 1.0) {
            return Err(Error::config("inactivity.quantile", "must be in (0, 1]"));
        }
        if self.inactivity.min_gaps == 0 {
            return Err(Error::config("inactivity.min_gaps", "must be at least 1"));
        }
        Ok(())
    }
}

/// Extraction-burst evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BurstFlag {
    /// Whether the rule fired.
    pub flagged: bool,
    /// Events on the busiest recent day.
    pub max_day_events: u32,
    /// Start of that day (as-of minus whole days).
    pub day: Option<Timestamp>,
    /// Median events on the baseline's active days.
    pub baseline_median: Option<f64>,
    /// 90th percentile of events on the baseline's active days.
    pub baseline_p90: Option<f64>,
    /// Robust z-score of the busiest day.
    pub robust_z: Option<f64>,
}

/// Confusion evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConfusionFlag {
    /// Whether the rule fired.
    pub flagged: bool,
    /// Product events per active user-day.
    pub events_per_user_day: Option<f64>,
    /// Distinct features used.
    pub distinct_features: u32,
    /// Active user-days.
    pub active_user_days: u32,
}

/// Pricing-interest evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PricingFlag {
    /// Whether the rule fired.
    pub flagged: bool,
    /// Pricing / billing page views.
    pub views: u32,
    /// Distinct users who viewed them.
    pub users: u32,
}

/// Cadence-inactivity evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InactivityFlag {
    /// Whether the rule fired.
    pub flagged: bool,
    /// Whole days since the last active day within the history (missing if none).
    pub days_since_last_activity: Option<u32>,
    /// The account's usual gap between active days.
    pub usual_gap_days: Option<f64>,
    /// `days_since_last_activity / usual_gap_days`.
    pub ratio: Option<f64>,
}

/// The name of one flag (`fired` lists those that fired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagName {
    /// A burst of data extraction (exports, API reads) far above the account's norm.
    ExtractionBurst,
    /// Many events per active user-day without reaching value.
    Confusion,
    /// Visits to pricing or billing pages.
    PricingInterest,
    /// Inactive for longer than the account's own cadence allows.
    CadenceInactivity,
}

/// Every flag of one account, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccountFlags {
    /// The account.
    pub account_id: String,
    /// Extraction burst.
    pub extraction_burst: BurstFlag,
    /// Confusion.
    pub confusion: ConfusionFlag,
    /// Pricing / billing interest.
    pub pricing_interest: PricingFlag,
    /// Inactivity judged against the account's own cadence.
    pub cadence_inactivity: InactivityFlag,
    /// Names of the flags that fired, in the order above.
    #[serde(default)]
    pub fired: Vec<FlagName>,
}

impl AccountFlags {
    /// The flags that fired, read from the four flags (what `fired` holds).
    pub fn fired_names(&self) -> Vec<FlagName> {
        [
            (self.extraction_burst.flagged, FlagName::ExtractionBurst),
            (self.confusion.flagged, FlagName::Confusion),
            (self.pricing_interest.flagged, FlagName::PricingInterest),
            (self.cadence_inactivity.flagged, FlagName::CadenceInactivity),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// The edge-case flags of every account that exists at `as_of` (dataset order, as in the snapshot).
pub fn detect_flags(ds: &Dataset, as_of: Timestamp, config: &FlagConfig) -> Result<Vec<AccountFlags>> {
    config.validate()?;
    let recent = window_days(config.burst.recent, "burst.recent")?;
    let baseline = window_days(config.burst.baseline, "burst.baseline")?;
    let conf_days = window_days(config.confusion.window, "confusion.window")?;
    let price_days = window_days(config.pricing.window, "pricing.window")?;
    let hist = window_days(config.inactivity.history, "inactivity.history")?;
    // Days before `near` matter to the inactivity history only.
    let near = (recent + baseline).max(conf_days).max(price_days);
    let span = near.max(hist);

    let non_activity: Vec<Option<u32>> = config.activity.non_activity_events.iter().map(|n| ds.name_id(n)).collect();
    let names = ds.event_names.len();
    let mut is_activity = vec![true; names];
    for id in non_activity.into_iter().flatten() {
        if let Some(x) = is_activity.get_mut(id as usize) {
            *x = false;
        }
    }
    let page_view = ds.name_id(event_name::PAGE_VIEW);
    let feature_used = ds.name_id(event_name::FEATURE_USED);
    let pricing_ids: Vec<u32> = config.activity.pricing_pages.iter().filter_map(|p| ds.string_id(p)).collect();
    let pricing_set: Vec<bool> = ds
        .prop_column(ds.key_id("page"))
        .into_iter()
        .map(|v| matches!(v, Some(Stored::Str(id)) if pricing_ids.contains(&id)))
        .collect();
    let feature_of_set: Vec<Option<u32>> = ds
        .prop_column(ds.key_id("feature"))
        .into_iter()
        .map(|v| if let Some(Stored::Str(id)) = v { Some(id) } else { None })
        .collect();

    let t = as_of.millis();
    let lo_t = t - span as i64 * MS_PER_DAY;
    let mut events = vec![0u32; span];
    // Distinct users, user-days and features are counted with stamps (the account's number, and
    // for user-days the day: events come in time order, so a user's day repeats only in a run).
    let mut user_day_seen: Vec<u64> = vec![0; ds.users.len()];
    let mut pricing_user_seen: Vec<u32> = vec![0; ds.users.len()];
    let mut feature_seen: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    let mut out = Vec::new();
    for (a, acc) in ds.accounts.iter().enumerate() {
        if acc.created_at > as_of {
            continue;
        }
        let stamp = a as u32 + 1;
        events.iter_mut().for_each(|e| *e = 0);
        let (mut ud, mut distinct_features, mut distinct_pricing_users) = (0u32, 0u32, 0u32);
        let mut pricing_views = 0u32;
        // Days older than every window but the inactivity history only need to know whether
        // they had any activity: one activity event per day is enough, then skip to the next.
        let scan = ds.scan(a, lo_t + 1, t);
        let split = scan.ts.partition_point(|&x| x < t - near as i64 * MS_PER_DAY);
        let mut i = 0;
        while i < split {
            let k = ((t - scan.ts[i]) / MS_PER_DAY) as usize;
            if k < span && is_activity.get(scan.name[i] as usize).copied().unwrap_or(true) {
                events[k] += 1;
                let day_end = t - k as i64 * MS_PER_DAY;
                while i < split && scan.ts[i] <= day_end {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        for e in scan.iter_from(split) {
            let k = e.days_before(t);
            if k >= span {
                continue;
            }
            let (name, set) = (e.name, e.props as usize);
            if Some(name) == page_view && k < price_days && pricing_set.get(set).copied().unwrap_or(false) {
                pricing_views += 1;
                if let Some(seen) = e.user.and_then(|u| pricing_user_seen.get_mut(u as usize)) {
                    if *seen != stamp {
                        *seen = stamp;
                        distinct_pricing_users += 1;
                    }
                }
            }
            if !is_activity.get(name as usize).copied().unwrap_or(true) {
                continue;
            }
            events[k] += 1;
            if k < conf_days {
                let day_stamp = (u64::from(stamp) << 32) | (k as u64 + 1);
                if let Some(seen) = e.user.and_then(|u| user_day_seen.get_mut(u as usize)) {
                    if *seen != day_stamp {
                        *seen = day_stamp;
                        ud += 1;
                    }
                }
                if Some(name) == feature_used {
                    if let Some(f) = feature_of_set.get(set).copied().flatten() {
                        let seen = feature_seen.entry(f).or_default();
                        if *seen != stamp {
                            *seen = stamp;
                            distinct_features += 1;
                        }
                    }
                }
            }
        }
        // Burst.
        let (mut max_k, mut max_x) = (0usize, 0u32);
        for (k, &x) in events.iter().enumerate().take(recent) {
            if x > max_x {
                max_x = x;
                max_k = k;
            }
        }
        let mut base: Vec<f64> = events.iter().skip(recent).take(baseline).filter(|&&x| x > 0).map(|&x| f64::from(x)).collect();
        base.sort_unstable_by(f64::total_cmp);
        let (median, p90, z) = if base.len() >= 5 {
            let med = quantile_sorted(&base, 0.5).unwrap_or(0.0);
            let mut dev: Vec<f64> = base.iter().map(|x| (x - med).abs()).collect();
            dev.sort_unstable_by(f64::total_cmp);
            let mad = quantile_sorted(&dev, 0.5).unwrap_or(0.0);
            let scale = (1.4826 * mad).max(med.sqrt()).max(1.0);
            (Some(med), quantile_sorted(&base, 0.9), Some((f64::from(max_x) - med) / scale))
        } else {
            (None, None, None)
        };
        let burst = BurstFlag {
            flagged: z.is_some_and(|z| z >= config.burst.min_z)
                && max_x >= config.burst.min_events
                && p90.is_some_and(|p| f64::from(max_x) >= config.burst.min_ratio * p),
            max_day_events: max_x,
            day: (max_x > 0).then(|| Timestamp::from_millis(t - (max_k as i64 + 1) * MS_PER_DAY).ok()).flatten(),
            baseline_median: median,
            baseline_p90: p90,
            robust_z: z,
        };
        // Confusion.
        let conf_events: u32 = events.iter().take(conf_days).sum();
        let epud = (ud > 0).then(|| f64::from(conf_events) / f64::from(ud));
        let confusion = ConfusionFlag {
            flagged: ud >= config.confusion.min_user_days
                && epud.is_some_and(|x| x >= config.confusion.min_events_per_user_day)
                && distinct_features <= config.confusion.max_features,
            events_per_user_day: epud,
            distinct_features,
            active_user_days: ud,
        };
        // Pricing.
        let pricing = PricingFlag {
            flagged: pricing_views >= config.pricing.min_views.max(1),
            views: pricing_views,
            users: distinct_pricing_users,
        };
        // Cadence inactivity.
        let active: Vec<usize> = (0..hist).filter(|&k| events[k] > 0).collect();
        let since = active.first().map(|&k| k as u32);
        let mut gaps: Vec<f64> = active.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        gaps.sort_unstable_by(f64::total_cmp);
        let usual = if gaps.len() >= config.inactivity.min_gaps as usize {
            quantile_sorted(&gaps, config.inactivity.quantile)
        } else {
            None
        };
        let ratio = match (since, usual) {
            (Some(s), Some(u)) if u > 0.0 => Some(f64::from(s) / u),
            _ => None,
        };
        let inactivity = InactivityFlag {
            flagged: since.is_some_and(|s| s >= config.inactivity.min_days)
                && ratio.is_some_and(|r| r > config.inactivity.gap_multiple),
            days_since_last_activity: since,
            usual_gap_days: usual,
            ratio,
        };
        let mut flags = AccountFlags {
            account_id: acc.id.clone(),
            extraction_burst: burst,
            confusion,
            pricing_interest: pricing,
            cadence_inactivity: inactivity,
            fired: Vec::new(),
        };
        flags.fired = flags.fired_names();
        out.push(flags);
    }
    Ok(out)
}

/// Names of the columns [`add_flag_columns`] adds.
pub const FLAG_COLUMNS: &[&str] = &[
    "flag_extraction_burst",
    "flag_confusion",
    "flag_pricing_interest",
    "flag_cadence_inactivity",
    "burst_robust_z",
    "events_per_user_day",
    "usual_gap_days",
    "inactivity_ratio",
];

/// Adds the flags as columns (see [`FLAG_COLUMNS`]) to `snapshot`, matching rows by account id.
pub fn add_flag_columns(snapshot: &mut Snapshot, flags: &[AccountFlags]) -> Result<()> {
    let index: HashMap<&str, &AccountFlags> = flags.iter().map(|f| (f.account_id.as_str(), f)).collect();
    let rows: Vec<Option<&AccountFlags>> = snapshot.account_ids().iter().map(|a| index.get(a.as_str()).copied()).collect();
    let b = |f: fn(&AccountFlags) -> bool| ColumnData::Bool(rows.iter().map(|r| r.map(f)).collect());
    let x = |f: fn(&AccountFlags) -> Option<f64>| ColumnData::Float(rows.iter().map(|r| r.and_then(f)).collect());
    let cols = [
        b(|f| f.extraction_burst.flagged),
        b(|f| f.confusion.flagged),
        b(|f| f.pricing_interest.flagged),
        b(|f| f.cadence_inactivity.flagged),
        x(|f| f.extraction_burst.robust_z),
        x(|f| f.confusion.events_per_user_day),
        x(|f| f.cadence_inactivity.usual_gap_days),
        x(|f| f.cadence_inactivity.ratio),
    ];
    for (name, data) in FLAG_COLUMNS.iter().zip(cols) {
        snapshot.add_column(Column::new(*name, data))?;
    }
    Ok(())
}

/// The snapshot as of `as_of` with the edge-case flag columns added: the input of health scoring.
pub fn health_snapshot(ds: &Dataset, as_of: Timestamp, snapshot: &SnapshotConfig, flags: &FlagConfig) -> Result<Snapshot> {
    let mut snap = ds.snapshot_with(as_of, snapshot)?;
    let f = detect_flags(ds, as_of, flags)?;
    add_flag_columns(&mut snap, &f)?;
    Ok(snap)
}

crate::document::document! {
    FlagConfig => "flag config", FLAG_CONFIG_VERSION;
}
