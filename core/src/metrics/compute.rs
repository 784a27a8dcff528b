//! The snapshot engine: one backward scan per account over its time-sorted events, from the
//! as-of instant to the oldest window start, updating every metric at once. Accounts are split
//! across scoped threads (no global pool: safe under `fork()`).

use std::collections::BTreeMap;

use crate::data::{event_name, AttributeValue, Dataset, Role, Stored, SubscriptionStatus, NO_USER};
use crate::error::{Error, ErrorKind, Result};
use crate::time::{Timestamp, Window, MS_PER_DAY};

use super::config::{MetricDef, PropertyFilter, SnapshotConfig};
use super::snapshot::{Column, ColumnData, Snapshot};

const ACTIVITY: u8 = 1;
const LOGIN: u8 = 2;
const FEATURE: u8 = 4;
const PAGE: u8 = 8;
const TICKET: u8 = 16;
const SURVEY: u8 = 32;
const TOUCH: u8 = 64;

const CHAMPION: u8 = 1;
const EXECUTIVE: u8 = 2;
const CURRENT: u8 = 4;

#[derive(Clone, Copy)]
enum CustomKind {
    Count,
    Sum,
    Distinct,
}

struct CustomPlan {
    kind: CustomKind,
    /// `None` = any event; `Some(None)` = a name never seen (matches nothing).
    name: Option<Option<u32>>,
    /// Per property set: passes the filter.
    filter: Option<Vec<bool>>,
    /// Per property set: the summed property's value.
    value: Option<Vec<Option<f64>>>,
    start: i64,
}

/// Everything derived once per snapshot from the dataset and config.
struct Plan<'a> {
    ds: &'a Dataset,
    as_of: i64,
    name_class: Vec<u8>,
    feature_of_set: Vec<u32>,
    pricing_set: Vec<bool>,
    high_set: Vec<bool>,
    score_of_set: Vec<Option<f64>>,
    user_flags: Vec<u8>,
    custom: Vec<CustomPlan>,
    lookback_start: i64,
}

/// Per-thread scratch space.
struct Scratch {
    seen: Vec<u8>,
    touched: Vec<u32>,
    features: Vec<u32>,
    distinct: Vec<Vec<u32>>,
}

#[derive(Default, Clone)]
struct Row {
    active_days: [u32; 3],
    dau: i64,
    wau: i64,
    mau: i64,
    users: i64,
    champions: i64,
    executives: i64,
    logins: [i64; 2],
    events: [i64; 2],
    events_prev30: i64,
    last_activity: Option<i64>,
    last_champion: Option<i64>,
    last_executive: Option<i64>,
    features30: i64,
    pricing30: i64,
    tickets60: i64,
    high60: i64,
    last_survey: Option<f64>,
    touches30: i64,
    mrr_minor: i64,
    /// The MRR sum left 64 bits (an error when the snapshot is assembled).
    mrr_overflow: bool,
    plan: Option<String>,
    days_to_renewal: Option<i64>,
}

/// Per property set of `ds`: whether it passes `f`.
pub(crate) fn set_matches(ds: &Dataset, f: &PropertyFilter) -> Vec<bool> {
    let column = ds.prop_column(ds.key_id(&f.property));
    column
        .into_iter()
        .map(|v| match v {
            None => false,
            Some(stored) => f.values.iter().any(|want| match (stored, want) {
                (Stored::Str(id), crate::data::PropertyValue::String(s)) => ds.string_id(s) == Some(id),
                (Stored::Num(_), crate::data::PropertyValue::Number(x)) => stored.number() == Some(*x),
                (Stored::Bool(b), crate::data::PropertyValue::Bool(w)) => b == *w,
                _ => false,
            }),
        })
        .collect()
}

impl<'a> Plan<'a> {
    fn new(ds: &'a Dataset, as_of: Timestamp, cfg: &SnapshotConfig) -> Self {
        let rules = &cfg.activity;
        let name_class = ds
            .event_names
            .iter()
            .map(|(_, n)| {
                let mut c = 0;
                if !rules.non_activity_events.iter().any(|x| x == n) {
                    c |= ACTIVITY;
                }
                c |= match n {
                    event_name::LOGIN => LOGIN,
                    event_name::FEATURE_USED => FEATURE,
                    event_name::PAGE_VIEW => PAGE,
                    event_name::SUPPORT_TICKET => TICKET,
                    event_name::SURVEY_RESPONSE => SURVEY,
                    event_name::TOUCH => TOUCH,
                    _ => 0,
                };
                c
            })
            .collect();
        let feature_of_set = ds
            .prop_column(ds.key_id("feature"))
            .into_iter()
            .map(|v| match v {
                Some(Stored::Str(id)) => id,
                _ => u32::MAX,
            })
            .collect();
        let pricing_ids: Vec<u32> = rules.pricing_pages.iter().filter_map(|p| ds.string_id(p)).collect();
        let pricing_set = ds
            .prop_column(ds.key_id("page"))
            .into_iter()
            .map(|v| matches!(v, Some(Stored::Str(id)) if pricing_ids.contains(&id)))
            .collect();
        let high_ids: Vec<u32> = rules.high_severity.iter().filter_map(|p| ds.string_id(p)).collect();
        let high_set = ds
            .prop_column(ds.key_id("severity"))
            .into_iter()
            .map(|v| match v {
                Some(Stored::Str(id)) => high_ids.contains(&id),
                Some(s @ Stored::Num(_)) => s.number().is_some_and(|x| x >= rules.high_severity_at_least),
                _ => false,
            })
            .collect();
        let score_of_set = ds.prop_column(ds.key_id("score")).into_iter().map(|v| v.and_then(Stored::number)).collect();
        let a = as_of.millis();
        let user_flags = ds
            .users
            .iter()
            .map(|u| {
                let mut f = match u.role {
                    Role::Champion => CHAMPION,
                    Role::Executive => EXECUTIVE,
                    _ => 0,
                };
                if u.created_at <= a && u.deactivated_at.is_none_or(|d| d > a) {
                    f |= CURRENT;
                }
                f
            })
            .collect();
        let mut lookback_start = Window::days(90).start(as_of).millis();
        let mut custom = Vec::new();
        for m in &cfg.metrics {
            let (kind, event, filter, window, property) = match m {
                MetricDef::Count { event, filter, window, .. } => (CustomKind::Count, event, filter, window, None),
                MetricDef::Sum { event, filter, window, property, .. } => {
                    (CustomKind::Sum, event, filter, window, Some(property))
                }
                MetricDef::DistinctUsers { event, filter, window, .. } => (CustomKind::Distinct, event, filter, window, None),
                MetricDef::Ratio { .. } => continue,
            };
            let start = window.start(as_of).millis();
            lookback_start = lookback_start.min(start);
            custom.push(CustomPlan {
                kind,
                name: event.as_ref().map(|e| ds.name_id(e)),
                filter: filter.as_ref().map(|f| set_matches(ds, f)),
                value: property.map(|p| ds.prop_column(ds.key_id(p)).into_iter().map(|v| v.and_then(Stored::number)).collect()),
                start,
            });
        }
        Plan { ds, as_of: a, name_class, feature_of_set, pricing_set, high_set, score_of_set, user_flags, custom, lookback_start }
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            seen: vec![0; self.ds.users.len()],
            touched: Vec::new(),
            features: Vec::new(),
            distinct: vec![Vec::new(); self.custom.len()],
        }
    }

    /// Computes one account's built-ins into `row` and its custom metrics into `custom`.
    fn account(&self, a: usize, users_by_account: &[(i64, i64, i64)], s: &mut Scratch, row: &mut Row, custom: &mut [f64]) {
        let ds = self.ds;
        let ev = &ds.events;
        let r = ev.range(a);
        let ts = &ev.ts[r.clone()];
        let hi = r.start + ts.partition_point(|&t| t <= self.as_of);
        (row.users, row.champions, row.executives) = users_by_account[a];
        let mut need_champion = row.champions > 0;
        let mut need_executive = row.executives > 0;
        let mut need_activity = true;
        let mut need_survey = true;
        // The instant of the latest survey found: responses at that same instant are compared
        // (the lowest score counts), so the result does not depend on the order rows were added.
        let mut survey_at = i64::MIN;
        let mut days = [0u128; 1];
        for i in (r.start..hi).rev() {
            let t = ev.ts[i];
            let class = self.name_class[ev.name[i] as usize];
            let user = ev.user[i];
            let activity = class & ACTIVITY != 0;
            if t <= self.lookback_start {
                if !(need_activity || need_champion || need_executive || need_survey) && t != survey_at {
                    break;
                }
            } else {
                let day = ((self.as_of - t) / MS_PER_DAY) as u32;
                let props = ev.props[i] as usize;
                if activity {
                    if day < 90 {
                        days[0] |= 1u128 << day;
                    }
                    if day < 30 {
                        row.events[1] += 1;
                        if day < 7 {
                            row.events[0] += 1;
                        }
                        if user != NO_USER {
                            let mask = if day < 1 {
                                7
                            } else if day < 7 {
                                6
                            } else {
                                4
                            };
                            let seen = &mut s.seen[user as usize];
                            if *seen == 0 {
                                s.touched.push(user);
                            }
                            let new = mask & !*seen;
                            *seen |= mask;
                            row.dau += i64::from(new & 1);
                            row.wau += i64::from((new >> 1) & 1);
                            row.mau += i64::from((new >> 2) & 1);
                        }
                    } else if day < 60 {
                        row.events_prev30 += 1;
                    }
                }
                if class & LOGIN != 0 && day < 30 {
                    row.logins[1] += 1;
                    if day < 7 {
                        row.logins[0] += 1;
                    }
                }
                if class & FEATURE != 0 && day < 30 {
                    let f = self.feature_of_set[props];
                    if f != u32::MAX {
                        s.features.push(f);
                    }
                }
                if class & PAGE != 0 && day < 30 && self.pricing_set[props] {
                    row.pricing30 += 1;
                }
                if class & TICKET != 0 && day < 60 {
                    row.tickets60 += 1;
                    if self.high_set[props] {
                        row.high60 += 1;
                    }
                }
                if class & TOUCH != 0 && day < 30 {
                    row.touches30 += 1;
                }
                for (k, c) in self.custom.iter().enumerate() {
                    if t <= c.start {
                        continue;
                    }
                    if let Some(n) = c.name {
                        if n != Some(ev.name[i]) {
                            continue;
                        }
                    }
                    if let Some(f) = &c.filter {
                        if !f[props] {
                            continue;
                        }
                    }
                    match c.kind {
                        CustomKind::Count => custom[k] += 1.0,
                        CustomKind::Sum => {
                            if let Some(v) = c.value.as_ref().and_then(|v| v[props]) {
                                custom[k] += v;
                            }
                        }
                        CustomKind::Distinct => {
                            if user != NO_USER {
                                s.distinct[k].push(user);
                            }
                        }
                    }
                }
            }
            if activity {
                if need_activity {
                    row.last_activity = Some(t);
                    need_activity = false;
                }
                if user != NO_USER && (need_champion || need_executive) {
                    let f = self.user_flags[user as usize];
                    if f & CURRENT != 0 {
                        if need_champion && f & CHAMPION != 0 {
                            row.last_champion = Some(t);
                            need_champion = false;
                        }
                        if need_executive && f & EXECUTIVE != 0 {
                            row.last_executive = Some(t);
                            need_executive = false;
                        }
                    }
                }
            }
            if class & SURVEY != 0 && (need_survey || t == survey_at) {
                if let Some(score) = self.score_of_set[ev.props[i] as usize] {
                    let tied = if need_survey { None } else { row.last_survey };
                    row.last_survey = Some(tied.map_or(score, |s| s.min(score)));
                    survey_at = t;
                    need_survey = false;
                }
            }
        }
        for (k, w) in [7u32, 30, 90].into_iter().enumerate() {
            let mask = if w >= 128 { u128::MAX } else { (1u128 << w) - 1 };
            row.active_days[k] = (days[0] & mask).count_ones();
        }
        for u in s.touched.drain(..) {
            s.seen[u as usize] = 0;
        }
        s.features.sort_unstable();
        s.features.dedup();
        row.features30 = s.features.len() as i64;
        s.features.clear();
        for (k, c) in self.custom.iter().enumerate() {
            if let CustomKind::Distinct = c.kind {
                let d = &mut s.distinct[k];
                d.sort_unstable();
                d.dedup();
                custom[k] = d.len() as f64;
                d.clear();
            }
        }
        // Subscriptions in force at as-of.
        let mut best: Option<(i64, i64, &str)> = None;
        for sub in ds.subscription_rows(a) {
            let in_force = sub.start <= self.as_of && sub.end.is_none_or(|e| self.as_of < e);
            if !in_force {
                continue;
            }
            let mrr = if sub.status == SubscriptionStatus::Trial { 0 } else { sub.mrr_minor };
            match row.mrr_minor.checked_add(mrr) {
                Some(v) => row.mrr_minor = v,
                None => row.mrr_overflow = true,
            }
            // Highest MRR, then the latest start, then the alphabetically first plan: a rule
            // that does not depend on the order the rows were added.
            if best.is_none_or(|(m, st, p)| (mrr, sub.start) > (m, st) || ((mrr, sub.start) == (m, st) && sub.plan.as_str() < p))
            {
                best = Some((mrr, sub.start, &sub.plan));
            }
            if let Some(e) = sub.end {
                let d = (e - self.as_of).div_euclid(MS_PER_DAY);
                row.days_to_renewal = Some(row.days_to_renewal.map_or(d, |x: i64| x.min(d)));
            }
        }
        row.plan = best.map(|(_, _, p)| p.to_string());
    }
}

/// Computes the snapshot of `ds` as of `as_of` under `cfg` (validated by the caller).
pub(crate) fn compute(ds: &Dataset, as_of: Timestamp, cfg: &SnapshotConfig) -> Result<Snapshot> {
    cfg.validate()?;
    let plan = Plan::new(ds, as_of, cfg);
    let a_ms = as_of.millis();
    let rows: Vec<usize> = (0..ds.accounts.len()).filter(|&a| ds.accounts[a].created_at.millis() <= a_ms).collect();
    let mut users_by_account = vec![(0i64, 0i64, 0i64); ds.accounts.len()];
    for (u, f) in ds.users.iter().zip(&plan.user_flags) {
        if f & CURRENT != 0 {
            let e = &mut users_by_account[u.account as usize];
            e.0 += 1;
            e.1 += i64::from(f & CHAMPION != 0);
            e.2 += i64::from(f & EXECUTIVE != 0);
        }
    }
    let n_custom = plan.custom.len();
    let threads = crate::stats::max_threads();
    let threads = if rows.len() < 4096 { 1 } else { threads };
    let work = |part: &[usize]| -> (Vec<Row>, Vec<f64>) {
        let mut s = plan.scratch();
        let mut out = vec![Row::default(); part.len()];
        let mut custom = vec![0.0; part.len() * n_custom];
        for (j, &a) in part.iter().enumerate() {
            plan.account(a, &users_by_account, &mut s, &mut out[j], &mut custom[j * n_custom..(j + 1) * n_custom]);
        }
        (out, custom)
    };
    let parts: Vec<(Vec<Row>, Vec<f64>)> = crate::stats::map_ranges(rows.len(), threads, |r| work(&rows[r]));
    let mut out_rows = Vec::with_capacity(rows.len());
    let mut custom = Vec::with_capacity(rows.len() * n_custom);
    for (r, c) in parts {
        out_rows.extend(r);
        custom.extend(c);
    }
    assemble(ds, as_of, cfg, &rows, &out_rows, &custom)
}

fn assemble(
    ds: &Dataset,
    as_of: Timestamp,
    cfg: &SnapshotConfig,
    rows: &[usize],
    out: &[Row],
    custom: &[f64],
) -> Result<Snapshot> {
    let a_ms = as_of.millis();
    // Money is exact: an account whose MRR or ARR leaves 64-bit minor units is an error, never
    // a clamped value.
    if let Some(i) = out.iter().position(|r| r.mrr_overflow || r.mrr_minor.checked_mul(12).is_none()) {
        return Err(ds.mrr_overflow(rows[i]));
    }
    let accounts: Vec<_> = rows.iter().map(|&a| &ds.accounts[a]).collect();
    let ids = accounts.iter().map(|a| a.id.clone()).collect();
    let mut cols = vec![
        Column::new("name", ColumnData::Str(accounts.iter().map(|a| Some(a.name.clone())).collect())),
        Column::new("owner", ColumnData::Str(accounts.iter().map(|a| a.owner.clone()).collect())),
        Column::new("parent_id", ColumnData::Str(accounts.iter().map(|a| a.parent_id.clone()).collect())),
        Column::new("created_at", ColumnData::Timestamp(accounts.iter().map(|a| Some(a.created_at)).collect())),
        Column::new("seats", ColumnData::Int(accounts.iter().map(|a| a.seats.map(i64::from)).collect())),
    ];
    let attrs: &BTreeMap<String, &'static str> = &ds.attribute_types;
    for (name, ty) in attrs {
        fn get<'x>(a: &'x crate::data::Account, name: &str) -> Option<&'x AttributeValue> {
            a.attributes.get(name)
        }
        let data = match *ty {
            "bool" => ColumnData::Bool(
                accounts.iter().map(|a| if let Some(AttributeValue::Bool(b)) = get(a, name) { Some(*b) } else { None }).collect(),
            ),
            "number" => ColumnData::Float(
                accounts
                    .iter()
                    .map(|a| if let Some(AttributeValue::Number(x)) = get(a, name) { Some(*x) } else { None })
                    .collect(),
            ),
            "date" => ColumnData::Timestamp(
                accounts
                    .iter()
                    .map(|a| if let Some(AttributeValue::Date { date }) = get(a, name) { Some(*date) } else { None })
                    .collect(),
            ),
            _ => ColumnData::Str(
                accounts
                    .iter()
                    .map(|a| if let Some(AttributeValue::String(s)) = get(a, name) { Some(s.clone()) } else { None })
                    .collect(),
            ),
        };
        cols.push(Column::new(name.clone(), data));
    }
    let int = |f: &dyn Fn(&Row) -> Option<i64>| ColumnData::Int(out.iter().map(f).collect());
    let float = |f: &dyn Fn(&Row) -> Option<f64>| ColumnData::Float(out.iter().map(f).collect());
    let days_since = |t: Option<i64>| t.map(|t| (a_ms - t).div_euclid(MS_PER_DAY));
    let exp = crate::data::currency_exponent(ds.currency.as_deref().unwrap_or("USD"));
    let scale = 10f64.powi(exp as i32);
    let seats: Vec<Option<u32>> = accounts.iter().map(|a| a.seats).collect();
    let created: Vec<i64> = accounts.iter().map(|a| a.created_at.millis()).collect();
    // The latest deactivation of a champion, at or before as-of, per account: a key stakeholder
    // leaving is the warning sign `days_since_champion_activity` cannot show (it only sees
    // current champions).
    let mut champion_left: Vec<Option<i64>> = vec![None; ds.accounts.len()];
    for u in ds.users.iter().filter(|u| u.role == Role::Champion && u.created_at <= a_ms) {
        if let Some(d) = u.deactivated_at.filter(|&d| d <= a_ms) {
            let e = &mut champion_left[u.account as usize];
            *e = Some(e.map_or(d, |x| x.max(d)));
        }
    }
    let builtins: Vec<(&str, ColumnData)> = vec![
        ("active_days_7d", int(&|r| Some(i64::from(r.active_days[0])))),
        ("active_days_30d", int(&|r| Some(i64::from(r.active_days[1])))),
        ("active_days_90d", int(&|r| Some(i64::from(r.active_days[2])))),
        ("dau", int(&|r| Some(r.dau))),
        ("wau", int(&|r| Some(r.wau))),
        ("mau", int(&|r| Some(r.mau))),
        ("stickiness", float(&|r| (r.mau > 0).then(|| r.dau as f64 / r.mau as f64))),
        ("users", int(&|r| Some(r.users))),
        ("champions", int(&|r| Some(r.champions))),
        ("executives", int(&|r| Some(r.executives))),
        (
            "seat_utilization",
            ColumnData::Float(
                out.iter().zip(&seats).map(|(r, s)| s.filter(|&s| s > 0).map(|s| r.mau as f64 / f64::from(s))).collect(),
            ),
        ),
        ("logins_7d", int(&|r| Some(r.logins[0]))),
        ("logins_30d", int(&|r| Some(r.logins[1]))),
        ("events_7d", int(&|r| Some(r.events[0]))),
        ("events_30d", int(&|r| Some(r.events[1]))),
        ("days_since_last_activity", int(&|r| days_since(r.last_activity))),
        ("days_since_champion_activity", int(&|r| days_since(r.last_champion))),
        ("days_since_champion_left", ColumnData::Int(rows.iter().map(|&a| days_since(champion_left[a])).collect())),
        ("days_since_executive_activity", int(&|r| days_since(r.last_executive))),
        (
            "usage_trend_30d",
            float(&|r| (r.events_prev30 > 0).then(|| (r.events[1] - r.events_prev30) as f64 / r.events_prev30 as f64 * 100.0)),
        ),
        ("features_used_30d", int(&|r| Some(r.features30))),
        ("pricing_page_views_30d", int(&|r| Some(r.pricing30))),
        ("support_tickets_60d", int(&|r| Some(r.tickets60))),
        ("high_severity_tickets_60d", int(&|r| Some(r.high60))),
        ("last_survey_score", float(&|r| r.last_survey)),
        ("csm_touches_30d", int(&|r| Some(r.touches30))),
        ("tenure_days", ColumnData::Int(created.iter().map(|&c| Some((a_ms - c).div_euclid(MS_PER_DAY))).collect())),
        ("mrr", float(&|r| Some(r.mrr_minor as f64 / scale))),
        ("mrr_minor", int(&|r| Some(r.mrr_minor))),
        ("arr", float(&|r| Some((r.mrr_minor * 12) as f64 / scale))),
        ("arr_minor", int(&|r| Some(r.mrr_minor * 12))),
        ("current_plan", ColumnData::Str(out.iter().map(|r| r.plan.clone()).collect())),
        ("days_to_renewal", int(&|r| r.days_to_renewal)),
    ];
    debug_assert_eq!(builtins.len(), crate::data::BUILTIN_METRICS.len());
    for (name, data) in builtins {
        cols.push(Column::new(name, data));
    }
    let mut snap = Snapshot::from_columns(as_of, ids, cols)?;
    let n_custom = custom.len().checked_div(out.len()).unwrap_or(0);
    let mut k = 0;
    for m in &cfg.metrics {
        let data = match m {
            MetricDef::Count { .. } | MetricDef::DistinctUsers { .. } => {
                ColumnData::Int((0..out.len()).map(|j| Some(custom[j * n_custom + k] as i64)).collect())
            }
            MetricDef::Sum { .. } => ColumnData::Float((0..out.len()).map(|j| Some(custom[j * n_custom + k])).collect()),
            MetricDef::Ratio { name, numerator, denominator } => {
                let side = |field: &str, r: &str| -> Result<ColumnData> {
                    let path = format!("metrics.{name}.{field}");
                    let column = snap.column(r).map_err(|_| Error::Config {
                        kind: ErrorKind::UnknownMetric,
                        path: path.clone(),
                        reason: format!(
                            "no column `{r}`: a ratio reads built-in metrics, seats, earlier metrics and number attributes{}",
                            crate::error::closest(r, snap.column_names())
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default()
                        ),
                    })?;
                    if !column.data_type().is_numeric() {
                        return Err(Error::config(path, format!("`{r}` is {}, not a number", column.data_type().as_str())));
                    }
                    Ok(column.clone())
                };
                let num = side("numerator", numerator)?;
                let den = side("denominator", denominator)?;
                ColumnData::Float(
                    (0..out.len())
                        .map(|j| match (num.f64_at(j), den.f64_at(j)) {
                            (Some(n), Some(d)) if d != 0.0 => Some(n / d),
                            _ => None,
                        })
                        .collect(),
                )
            }
        };
        if !matches!(m, MetricDef::Ratio { .. }) {
            k += 1;
        }
        snap.add_column(Column::new(m.name(), data))?;
    }
    Ok(snap)
}
