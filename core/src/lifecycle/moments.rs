//! Engagement moments: the milestones of a customer's first months (kickoff, first login, first
//! value, training done, first business review …), each marked by an event or by a condition
//! over snapshot metrics becoming true, with the time it is
//! expected to take and who owns it. Per account: when each moment happened, how long it took,
//! whether it is on track, behind or stuck, and the time to first value; across accounts: how
//! long each moment takes and where accounts get stuck — "measure the time that it takes each
//! customer to progress from one to the other … determine whether there are any systemic
//! delays".

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, SubscriptionStatus};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::metrics::{AccountColumns, Column, ColumnData, PropertyFilter, SnapshotConfig, ToColumns};
use crate::time::{Timestamp, Window, MS_PER_DAY};

/// Most moments one config defines.
pub const MAX_MOMENTS: usize = 50;

/// Most checks (snapshot dates) condition moments take: from the earliest journey start to
/// `as_of`, every `checks.every`.
pub const MAX_CHECKS: usize = 1_000;

/// When an account's journey starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JourneyStart {
    /// Its `created_at`.
    #[default]
    Created,
    /// Its first subscription (trials aside) starts.
    FirstSubscription,
}

/// What a moment's expected time counts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MomentAnchor {
    /// The journey's start.
    #[default]
    Start,
    /// The previous moment (the one before it in the config).
    Previous,
}

/// One engagement moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MomentDef {
    /// Name (an identifier: letters, digits, `_`).
    pub name: String,
    /// The event that marks it: its first occurrence at or after the anchor. Give `event` or
    /// `condition`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Only events whose property passes this filter (`{"property": "step", "in": ["kickoff"]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<PropertyFilter>,
    /// A condition over snapshot columns (`active_users_7d >= 3`) that marks it: the first check
    /// at or after the anchor where it holds (see [`MomentsConfig::checks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// How long it is expected to take from its anchor.
    pub expected: Window,
    /// What the expected time counts from (default: the start).
    #[serde(default)]
    pub after: MomentAnchor,
    /// Past its due date a moment is `behind`; this much later, `stuck` (default 7 days).
    #[serde(default = "seven_days")]
    pub tolerance: Window,
    /// Who owns it (`csm`, `onboarding`, `customer` …; default `csm`).
    #[serde(default = "csm")]
    pub owner_role: String,
}

fn seven_days() -> Window {
    Window::days(7)
}
fn csm() -> String {
    "csm".into()
}

/// The engagement moments of a journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MomentsConfig {
    /// Document version (1).
    #[serde(default = "version")]
    pub version: u32,
    /// When the journey starts (default: the account's creation).
    #[serde(default)]
    pub start: JourneyStart,
    /// Only accounts whose journey starts at or after this instant (accounts that started before
    /// the data begins would look stuck on moments that happened unrecorded).
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// The moments, in order (1 to 50).
    pub moments: Vec<MomentDef>,
    /// The moment that is first value (default: the one named `first_value`, if any).
    #[serde(default)]
    pub first_value: Option<String>,
    /// Moments on a cadence (a weekly meeting, a monthly metrics review, a QBR every 90 days).
    #[serde(default)]
    pub cadences: Vec<CadenceDef>,
    /// How condition moments are checked (default: every day, on the default snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<MomentChecks>,
}

/// When and on what condition moments are checked: snapshots built with `snapshot` on a grid
/// from the UTC midnight starting the earliest journey's day, every `every`, up to `as_of` (and
/// at `as_of`); a condition
/// moment happens at the first check at or after its anchor where its condition holds, so its
/// date is known to within `every`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MomentChecks {
    /// How often (at most [`MAX_CHECKS`] checks in all).
    pub every: Window,
    /// The snapshot the conditions read (its metrics and activity rules; default: the default
    /// snapshot).
    #[serde(default)]
    pub snapshot: SnapshotConfig,
}

/// A moment on a cadence: due `every` after its last occurrence (or after the journey's start,
/// before the first), overdue past that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CadenceDef {
    /// Name (an identifier).
    pub name: String,
    /// The event that marks an occurrence.
    pub event: String,
    /// Only events whose property passes this filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<PropertyFilter>,
    /// How often it is due.
    pub every: Window,
    /// Who owns it.
    #[serde(default = "csm")]
    pub owner_role: String,
}

/// Where a cadence stands for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CadenceProgress {
    /// Its last occurrence since the journey's start.
    pub last: Option<Timestamp>,
    /// When the next one is due.
    pub next_due: Timestamp,
    /// The due date has passed.
    pub overdue: bool,
}

fn version() -> u32 {
    1
}

impl MomentsConfig {
    /// Checks names, windows and the first-value moment.
    pub fn validate(&self) -> Result<()> {
        if self.version != 1 {
            return Err(Error::UnsupportedVersion { what: "moments config".into(), found: self.version, supported: 1 });
        }
        if self.moments.is_empty() || self.moments.len() > MAX_MOMENTS {
            return Err(Error::config("moments", format!("1 to {MAX_MOMENTS} moments")));
        }
        for (i, m) in self.moments.iter().enumerate() {
            let path = format!("moments[{i}]");
            let ok = !m.name.is_empty() && m.name.len() <= 64 && m.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(Error::config(
                    format!("{path}.name"),
                    format!("`{}` must be an identifier (letters, digits, _)", m.name),
                ));
            }
            if self.moments[..i].iter().any(|q| q.name == m.name) {
                return Err(Error::config(format!("{path}.name"), format!("`{}` is used twice", m.name)));
            }
            match (&m.event, &m.condition) {
                (Some(e), None) if e.is_empty() => return Err(Error::config(format!("{path}.event"), "must name an event")),
                (Some(_), None) => {}
                (None, Some(c)) => {
                    if c.trim().is_empty() {
                        return Err(Error::config(format!("{path}.condition"), "must not be empty"));
                    }
                    if m.filter.is_some() {
                        return Err(Error::config(format!("{path}.filter"), "filters an event; a condition moment has none"));
                    }
                }
                _ => return Err(Error::config(path.clone(), "give `event` or `condition` (one of them)")),
            }
            m.expected.validate(&format!("{path}.expected"))?;
            m.tolerance.validate(&format!("{path}.tolerance"))?;
            if i == 0 && m.after == MomentAnchor::Previous {
                return Err(Error::config(format!("{path}.after"), "the first moment has no previous one"));
            }
        }
        if self.cadences.len() > MAX_MOMENTS {
            return Err(Error::config("cadences", format!("at most {MAX_MOMENTS}")));
        }
        for (i, c) in self.cadences.iter().enumerate() {
            let ok = !c.name.is_empty() && c.name.len() <= 64 && c.name.chars().all(|x| x.is_ascii_alphanumeric() || x == '_');
            if !ok || self.moments.iter().any(|m| m.name == c.name) || self.cadences[..i].iter().any(|q| q.name == c.name) {
                return Err(Error::config(
                    format!("cadences[{i}].name"),
                    format!("`{}` must be an identifier used once", c.name),
                ));
            }
            if c.event.is_empty() {
                return Err(Error::config(format!("cadences[{i}].event"), "must name an event"));
            }
            c.every.validate(&format!("cadences[{i}].every"))?;
            if c.every.amount == 0 {
                return Err(Error::config(format!("cadences[{i}].every"), "must be longer than 0"));
            }
        }
        if let Some(c) = &self.checks {
            c.every.validate("checks.every")?;
            if c.every.amount == 0 {
                return Err(Error::config("checks.every", "must be longer than 0"));
            }
            c.snapshot.validate()?;
        }
        if let Some(f) = &self.first_value {
            if !self.moments.iter().any(|m| &m.name == f) {
                return Err(Error::config("first_value", format!("`{f}` is not a moment")));
            }
        }
        Ok(())
    }

    fn first_value_index(&self) -> Option<usize> {
        let name = self.first_value.as_deref().unwrap_or("first_value");
        self.moments.iter().position(|m| m.name == name)
    }
}

crate::document::document! {
    MomentsConfig => "moments config", 1;
}

/// Where one moment of one account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MomentStatus {
    /// It happened.
    Done,
    /// Not yet, and not yet due.
    OnTrack,
    /// Past due, within the tolerance.
    Behind,
    /// Past due beyond the tolerance: escalate.
    Stuck,
    /// Its anchor (the previous moment) has not happened.
    Waiting,
}

impl MomentStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MomentStatus::Done => "done",
            MomentStatus::OnTrack => "on_track",
            MomentStatus::Behind => "behind",
            MomentStatus::Stuck => "stuck",
            MomentStatus::Waiting => "waiting",
        }
    }
}

/// One moment of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MomentProgress {
    /// Where it stands.
    pub status: MomentStatus,
    /// When it happened.
    pub at: Option<Timestamp>,
    /// When it is (was) due (missing while its anchor has not happened).
    pub due: Option<Timestamp>,
    /// Days from its anchor to when it happened.
    pub days_taken: Option<f64>,
    /// Whether it happened by its due date.
    pub on_time: Option<bool>,
}

/// One account's journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Journey {
    /// The account.
    pub account_id: String,
    /// When its journey started.
    pub start: Timestamp,
    /// Each moment, in config order.
    pub moments: Vec<MomentProgress>,
    /// The first moment not done (missing: all done).
    pub current: Option<String>,
    /// Days from the start to first value (missing until it happens).
    pub time_to_first_value_days: Option<f64>,
    /// Days the most overdue open moment is past its due date (0 when none is).
    pub overdue_days: f64,
    /// A moment is stuck: what plays escalate on.
    pub stuck: bool,
    /// Each cadence, in config order.
    pub cadences: Vec<CadenceProgress>,
}

/// One moment across accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MomentSummary {
    /// The moment.
    pub name: String,
    /// Who owns it.
    pub owner_role: String,
    /// Accounts whose journey reached it (its anchor happened).
    pub reached: u64,
    /// Of them, accounts where it happened.
    pub done: u64,
    /// Days taken, where it happened: median.
    pub median_days: Option<f64>,
    /// 75th percentile.
    pub p75_days: Option<f64>,
    /// 90th percentile.
    pub p90_days: Option<f64>,
    /// Of the accounts whose due date has passed, the share where it happened by then.
    pub on_time_share: Option<f64>,
    /// Accounts behind on it now.
    pub behind: u64,
    /// Accounts stuck on it now.
    pub stuck: u64,
}

/// Engagement moments of every account whose journey started by `as_of` (and from `from`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EngagementMoments {
    /// The instant they are as of.
    pub as_of: Timestamp,
    /// The moments' names, in config order.
    pub moments: Vec<String>,
    /// The cadences' names, in config order.
    pub cadences: Vec<String>,
    /// Per account, dataset order.
    pub journeys: Vec<Journey>,
    /// Per moment, across accounts: where the time goes and where accounts get stuck.
    pub summary: Vec<MomentSummary>,
}

impl ToColumns for EngagementMoments {
    /// By account id: `{name}_current` (the first moment not done), `{name}_status` (its
    /// status), `{name}_overdue_days`, `{name}_stuck`, `{name}_ttfv_days`, and per moment
    /// `{name}_{moment}` (its status), and per cadence `{name}_{cadence}_next_due` and
    /// `{name}_{cadence}_overdue`.
    fn account_columns(&self, name: &str) -> AccountColumns {
        let j = &self.journeys;
        let mut columns = vec![
            Column::new(format!("{name}_current"), ColumnData::Str(j.iter().map(|x| x.current.clone()).collect())),
            Column::new(
                format!("{name}_status"),
                ColumnData::Str(
                    j.iter()
                        .map(|x| x.moments.iter().find(|m| m.status != MomentStatus::Done).map(|m| m.status.as_str().to_string()))
                        .collect(),
                ),
            ),
            Column::new(format!("{name}_overdue_days"), ColumnData::Float(j.iter().map(|x| Some(x.overdue_days)).collect())),
            Column::new(format!("{name}_stuck"), ColumnData::Bool(j.iter().map(|x| Some(x.stuck)).collect())),
            Column::new(format!("{name}_ttfv_days"), ColumnData::Float(j.iter().map(|x| x.time_to_first_value_days).collect())),
        ];
        for (k, c) in self.cadences.iter().enumerate() {
            columns.push(Column::new(
                format!("{name}_{c}_next_due"),
                ColumnData::Timestamp(j.iter().map(|x| Some(x.cadences[k].next_due)).collect()),
            ));
            columns.push(Column::new(
                format!("{name}_{c}_overdue"),
                ColumnData::Bool(j.iter().map(|x| Some(x.cadences[k].overdue)).collect()),
            ));
        }
        for (k, m) in self.moments.iter().enumerate() {
            columns.push(Column::new(
                format!("{name}_{m}"),
                ColumnData::Str(j.iter().map(|x| Some(x.moments[k].status.as_str().to_string())).collect()),
            ));
        }
        AccountColumns::by_account(j.iter().map(|x| x.account_id.clone()).collect(), columns)
    }
}

/// The engagement moments of every account of `ds` whose journey started at or before `as_of`
/// (and at or after `config.from`): each moment happens at the first matching event at or after
/// its anchor (the start, or the previous moment when `after` is `previous`) up to `as_of` — or,
/// for a condition moment, at the first check (see [`MomentChecks`]) at or after its anchor where
/// its condition holds; it is due `expected` after its anchor, `behind` once past due and `stuck`
/// once past due by more than its `tolerance`. Condition moments take one snapshot per check
/// date while some journey waits on one (at most [`MAX_CHECKS`] dates, refused before any work).
pub fn engagement_moments(ds: &Dataset, as_of: Timestamp, config: &MomentsConfig) -> Result<EngagementMoments> {
    config.validate()?;
    // Per moment: its event name's id and its filter as a mask over property sets, or the index
    // of its condition; per cadence, its event the same way.
    let mut conditions: Vec<(usize, &str)> = Vec::new();
    let markers: Vec<Marker> = config
        .moments
        .iter()
        .enumerate()
        .map(|(k, m)| match (&m.event, &m.condition) {
            (Some(event), _) => Marker::Event(EventMatch::new(ds, event, m.filter.as_ref())),
            (None, condition) => {
                conditions.push((k, condition.as_deref().unwrap_or_default()));
                Marker::Condition(conditions.len() - 1)
            }
        })
        .collect();
    let cadence_events: Vec<EventMatch> =
        config.cadences.iter().map(|c| EventMatch::new(ds, &c.event, c.filter.as_ref())).collect();
    let (m, c) = (markers.len(), cadence_events.len());
    // The accounts on a journey, their starts, when their event moments happened and their
    // cadences' last occurrences: one pass over each account's events, in parallel over ranges
    // of accounts.
    let n = ds.account_count();
    let threads = if n < 4096 { 1 } else { crate::stats::max_threads() };
    let parts = crate::stats::map_ranges(n, threads, |range| -> Result<Tracks> {
        let mut part = Tracks::default();
        // Each event marker's and cadence's matching instants for the account at hand (reused).
        let mut hits: Vec<Vec<i64>> = vec![Vec::new(); m + c];
        for a in range {
            let start = match config.start {
                JourneyStart::Created => Some(ds.accounts()[a].created_at),
                JourneyStart::FirstSubscription => ds
                    .subscription_rows(a)
                    .iter()
                    .filter(|r| r.status != SubscriptionStatus::Trial)
                    .map(|r| r.start)
                    .min()
                    .map(Timestamp::from_millis)
                    .transpose()?,
            };
            let Some(start) = start.filter(|s| *s <= as_of && config.from.is_none_or(|f| *s >= f)) else { continue };
            hits.iter_mut().for_each(Vec::clear);
            for e in ds.scan(a, start.millis(), as_of.millis()).iter() {
                for (k, marker) in markers.iter().enumerate() {
                    if let Marker::Event(x) = marker {
                        if x.matches(e.name, e.props) {
                            hits[k].push(e.ts);
                        }
                    }
                }
                for (k, x) in cadence_events.iter().enumerate() {
                    if x.matches(e.name, e.props) {
                        hits[m + k].push(e.ts);
                    }
                }
            }
            let t = part.push(a, start, m);
            part.advance(t, config, &markers, None, |k, anchor| {
                let h = &hits[k];
                h.get(h.partition_point(|&x| x < anchor)).copied()
            });
            part.last.extend(hits[m..].iter().map(|h| h.last().copied()));
        }
        Ok(part)
    });
    let mut tracks = Tracks::default();
    for p in parts {
        tracks.append(p?);
    }
    // Condition moments, check by check.
    if !conditions.is_empty() {
        let default_checks;
        let checks = match &config.checks {
            Some(c) => c,
            None => {
                default_checks = MomentChecks { every: Window::days(1), snapshot: SnapshotConfig::default() };
                &default_checks
            }
        };
        // The grid starts at the UTC midnight of the earliest journey's first day.
        let first = tracks.start.iter().min().copied().unwrap_or(as_of);
        let first = Timestamp::from_millis(first.millis().div_euclid(MS_PER_DAY) * MS_PER_DAY)?.min(as_of);
        let grid = check_dates(first, as_of, checks.every)?;
        let mut exprs: Vec<Expr> = Vec::new();
        let compile = |snap: &crate::metrics::Snapshot| -> Result<Vec<Expr>> {
            let schema = snap.schema();
            conditions
                .iter()
                .map(|(k, source)| crate::expr::compile_at(source, &schema, &format!("moments[{k}].condition"), true))
                .collect()
        };
        // The journeys with a moment still open.
        let mut open: Vec<usize> = (0..tracks.len()).filter(|&t| !tracks.settled(t, m)).collect();
        for date in grid {
            let ready = |t: &usize| {
                (0..m).any(|k| {
                    !tracks.known[t * m + k] && tracks.anchor(*t, config, k).flatten().is_some_and(|a| a <= date.millis())
                })
            };
            if !open.iter().any(ready) {
                continue;
            }
            let snap = ds.snapshot_with(date, &checks.snapshot)?;
            if exprs.is_empty() {
                exprs = compile(&snap)?;
            }
            let frame = crate::expr::Frame::new(&snap);
            let masks = exprs.iter().map(|e| e.matches_frame(&frame)).collect::<Result<Vec<_>>>()?;
            let rows = rows_of(ds, &snap);
            let mut hits = vec![false; exprs.len()];
            for &t in &open {
                let (account, start) = (tracks.account[t], tracks.start[t]);
                let row = rows[account];
                for (h, mask) in hits.iter_mut().zip(&masks) {
                    *h = row.is_some_and(|r| mask[r as usize]);
                }
                tracks.advance(t, config, &markers, Some((date.millis(), &hits)), |k, anchor| {
                    let Marker::Event(x) = &markers[k] else { return None };
                    ds.scan(account, start.millis(), as_of.millis())
                        .iter()
                        .find(|e| e.ts >= anchor && x.matches(e.name, e.props))
                        .map(|e| e.ts)
                });
            }
            open.retain(|&t| !tracks.settled(t, m));
        }
        if exprs.is_empty() {
            // Nothing was checked: the conditions are still checked against the snapshot's columns.
            compile(&ds.snapshot_with(as_of, &checks.snapshot)?)?;
        }
    }
    // Each journey's statuses, in parallel over ranges of journeys.
    let days = |from: i64, to: i64| (to - from) as f64 / MS_PER_DAY as f64;
    let first_value = config.first_value_index();
    let parts = crate::stats::map_ranges(tracks.len(), threads, |range| -> Result<Vec<Journey>> {
        let mut journeys = Vec::with_capacity(range.len());
        for t in range {
            let (a, start) = (tracks.account[t], tracks.start[t]);
            let mut moments: Vec<MomentProgress> = Vec::with_capacity(m);
            let (mut overdue, mut stuck) = (0.0f64, false);
            for (k, def) in config.moments.iter().enumerate() {
                let Some(anchor) = tracks.anchor(t, config, k).flatten() else {
                    moments.push(MomentProgress {
                        status: MomentStatus::Waiting,
                        at: None,
                        due: None,
                        days_taken: None,
                        on_time: None,
                    });
                    continue;
                };
                let due = def.expected.end(Timestamp::from_millis(anchor)?);
                let progress = match tracks.at[t * m + k] {
                    Some(at) => MomentProgress {
                        status: MomentStatus::Done,
                        at: Some(Timestamp::from_millis(at)?),
                        due: Some(due),
                        days_taken: Some(days(anchor, at)),
                        on_time: Some(at <= due.millis()),
                    },
                    None => {
                        let status = if as_of <= due {
                            MomentStatus::OnTrack
                        } else if as_of <= def.tolerance.end(due) {
                            MomentStatus::Behind
                        } else {
                            MomentStatus::Stuck
                        };
                        if as_of > due {
                            overdue = overdue.max(days(due.millis(), as_of.millis()));
                        }
                        stuck |= status == MomentStatus::Stuck;
                        MomentProgress {
                            status,
                            at: None,
                            due: Some(due),
                            days_taken: None,
                            on_time: (as_of > due).then_some(false),
                        }
                    }
                };
                moments.push(progress);
            }
            let cadences = config
                .cadences
                .iter()
                .zip(&tracks.last[t * c..(t + 1) * c])
                .map(|(def, last)| -> Result<CadenceProgress> {
                    let last = last.map(Timestamp::from_millis).transpose()?;
                    let next_due = def.every.end(last.unwrap_or(start));
                    Ok(CadenceProgress { last, next_due, overdue: as_of > next_due })
                })
                .collect::<Result<Vec<_>>>()?;
            let current = moments.iter().position(|p| p.status != MomentStatus::Done).map(|k| config.moments[k].name.clone());
            let time_to_first_value_days = first_value.and_then(|k| moments[k].at).map(|at| days(start.millis(), at.millis()));
            journeys.push(Journey {
                account_id: ds.accounts()[a].id.to_string(),
                start,
                moments,
                current,
                time_to_first_value_days,
                overdue_days: overdue,
                stuck,
                cadences,
            });
        }
        Ok(journeys)
    });
    let mut journeys = Vec::with_capacity(tracks.len());
    for p in parts {
        journeys.append(&mut p?);
    }
    // Across accounts, per moment, in one pass over the journeys.
    #[derive(Default)]
    struct Tally {
        reached: u64,
        taken: Vec<f64>,
        judged: u64,
        on_time: u64,
        behind: u64,
        stuck: u64,
    }
    let mut tallies: Vec<Tally> = (0..m).map(|_| Tally::default()).collect();
    for j in &journeys {
        for (p, t) in j.moments.iter().zip(&mut tallies) {
            t.reached += u64::from(p.status != MomentStatus::Waiting);
            t.taken.extend(p.days_taken);
            if let Some(on_time) = p.on_time {
                t.judged += 1;
                t.on_time += u64::from(on_time);
            }
            t.behind += u64::from(p.status == MomentStatus::Behind);
            t.stuck += u64::from(p.status == MomentStatus::Stuck);
        }
    }
    let summary = config
        .moments
        .iter()
        .zip(tallies)
        .map(|(def, mut t)| {
            t.taken.sort_unstable_by(f64::total_cmp);
            MomentSummary {
                name: def.name.clone(),
                owner_role: def.owner_role.clone(),
                reached: t.reached,
                done: t.taken.len() as u64,
                median_days: crate::stats::quantile_sorted(&t.taken, 0.5),
                p75_days: crate::stats::quantile_sorted(&t.taken, 0.75),
                p90_days: crate::stats::quantile_sorted(&t.taken, 0.9),
                on_time_share: (t.judged > 0).then(|| t.on_time as f64 / t.judged as f64),
                behind: t.behind,
                stuck: t.stuck,
            }
        })
        .collect();
    Ok(EngagementMoments {
        as_of,
        moments: config.moments.iter().map(|m| m.name.clone()).collect(),
        cadences: config.cadences.iter().map(|c| c.name.clone()).collect(),
        journeys,
        summary,
    })
}

/// An event name (its id: missing when the dataset has no such event) and its filter as a mask
/// over property sets.
struct EventMatch {
    name: Option<u32>,
    mask: Option<Vec<bool>>,
}

impl EventMatch {
    fn new(ds: &Dataset, event: &str, filter: Option<&PropertyFilter>) -> Self {
        EventMatch { name: ds.name_id(event), mask: filter.map(|f| crate::metrics::set_matches(ds, f)) }
    }

    fn matches(&self, name: u32, props: u32) -> bool {
        self.name == Some(name) && self.mask.as_ref().is_none_or(|mask| mask.get(props as usize) == Some(&true))
    }
}

/// What marks a moment.
enum Marker {
    /// An event.
    Event(EventMatch),
    /// The index of its condition.
    Condition(usize),
}

/// The journeys while their moments' dates are worked out, flat: per journey its account and
/// start, per journey and moment when it happened (epoch ms) once `known`, per journey and
/// cadence its last occurrence.
#[derive(Default)]
struct Tracks {
    account: Vec<usize>,
    start: Vec<Timestamp>,
    at: Vec<Option<i64>>,
    known: Vec<bool>,
    last: Vec<Option<i64>>,
}

impl Tracks {
    fn len(&self) -> usize {
        self.account.len()
    }

    fn push(&mut self, account: usize, start: Timestamp, moments: usize) -> usize {
        self.account.push(account);
        self.start.push(start);
        self.at.extend(std::iter::repeat_n(None, moments));
        self.known.extend(std::iter::repeat_n(false, moments));
        self.account.len() - 1
    }

    fn append(&mut self, mut other: Tracks) {
        self.account.append(&mut other.account);
        self.start.append(&mut other.start);
        self.at.append(&mut other.at);
        self.known.append(&mut other.known);
        self.last.append(&mut other.last);
    }

    /// Whether every moment of journey `t` is settled.
    fn settled(&self, t: usize, moments: usize) -> bool {
        self.known[t * moments..(t + 1) * moments].iter().all(|k| *k)
    }

    /// Moment `k` of journey `t`'s anchor: `None` while unknown, `Some(None)` when it never came
    /// (the previous moment did not happen), `Some(Some(ms))` when known.
    fn anchor(&self, t: usize, config: &MomentsConfig, k: usize) -> Option<Option<i64>> {
        let m = config.moments.len();
        match config.moments[k].after {
            MomentAnchor::Start => Some(Some(self.start[t].millis())),
            MomentAnchor::Previous => self.known[t * m + k - 1].then_some(self.at[t * m + k - 1]),
        }
    }

    /// Settles every moment of journey `t` it can: event moments as soon as their anchor is
    /// known (`first_event(k, anchor)`: the first matching instant at or after it), condition
    /// moments at `check` (a check date and each condition's value there) when it is at or after
    /// their anchor and their condition holds. A moment still open after the last check never
    /// happened (by `as_of`).
    fn advance(
        &mut self,
        t: usize,
        config: &MomentsConfig,
        markers: &[Marker],
        check: Option<(i64, &[bool])>,
        first_event: impl Fn(usize, i64) -> Option<i64>,
    ) {
        let m = markers.len();
        for (k, marker) in markers.iter().enumerate() {
            if self.known[t * m + k] {
                continue;
            }
            let Some(anchor) = self.anchor(t, config, k) else { continue };
            let Some(anchor) = anchor else {
                self.known[t * m + k] = true;
                continue;
            };
            match marker {
                Marker::Event(_) => {
                    self.at[t * m + k] = first_event(k, anchor);
                    self.known[t * m + k] = true;
                }
                Marker::Condition(c) => {
                    if let Some((date, hits)) = check {
                        if date >= anchor && hits[*c] {
                            self.at[t * m + k] = Some(date);
                            self.known[t * m + k] = true;
                        }
                    }
                }
            }
        }
    }
}

/// The check dates: from `first`, every `every`, while before `as_of`, then `as_of` — at most
/// [`MAX_CHECKS`], counted before any snapshot is built.
fn check_dates(first: Timestamp, as_of: Timestamp, every: Window) -> Result<Vec<Timestamp>> {
    let mut dates = Vec::new();
    let mut t = first;
    while t < as_of {
        if dates.len() >= MAX_CHECKS {
            return Err(Error::argument(
                "checks.every",
                format!(
                    "checking every {} {} from the earliest journey start ({first}) to {as_of} takes more than {MAX_CHECKS} snapshots: check less often or set `from`",
                    every.amount,
                    every.unit.as_str()
                ),
            ));
        }
        dates.push(t);
        t = every.end(t);
    }
    dates.push(as_of);
    Ok(dates)
}

/// Each dataset account's row in `snap` (snapshots list accounts in dataset order, so one walk
/// finds them; a snapshot in another order falls back to a lookup).
fn rows_of(ds: &Dataset, snap: &crate::metrics::Snapshot) -> Vec<Option<u32>> {
    let ids = snap.account_ids();
    let mut rows = vec![None; ds.account_count()];
    let mut r = 0;
    for (a, account) in ds.accounts().iter().enumerate() {
        if ids.get(r).is_some_and(|id| id.as_str() == account.id.as_str()) {
            rows[a] = Some(r as u32);
            r += 1;
        }
    }
    if r < ids.len() {
        for (a, account) in ds.accounts().iter().enumerate() {
            rows[a] = snap.row_of(&account.id).map(|r| r as u32);
        }
    }
    rows
}
