//! One run of a playbook over a frame: close what reached its goal, find the eligible accounts
//! of every play, arbitrate limits in priority order, record actions and skips, carry the state.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{Datelike, TimeZone, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::expr::{Expr, Frame};
use crate::metrics::{Column, ColumnData, DataType, Snapshot, Value};
use crate::time::{TimeUnit, Timestamp, Window, MS_PER_DAY};

use super::book::{Firing, Playbook, Trigger};
use super::state::{Action, ActionStatus, PlayRun, PlayState, PreviousValues, Skip, SkipReason};

/// The column every expression may read: whole days since the previous run (missing on the
/// first run).
pub const DAYS_SINCE_LAST_RUN: &str = "days_since_last_run";

/// The prefix that reads a column's value at the previous run.
pub const PREVIOUS: &str = "prev_";

/// The compiled expressions of one play.
struct Compiled {
    cohort: Option<Expr>,
    trigger: Option<Expr>,
    goal: Option<Expr>,
    rank: Option<Expr>,
}

/// Compiles `source` for `path`, naming the path in any error.
fn compile(source: &str, schema: &[(String, DataType)], path: &str, condition: bool) -> Result<Expr> {
    let expr = Expr::compile(source, schema).map_err(|e| match e {
        Error::Expr { kind, position, message, suggestion } => {
            Error::Expr { kind, position, message: format!("{path}: {message}"), suggestion }
        }
        other => other,
    })?;
    let ok = if condition { expr.is_condition() } else { expr.result_type().is_numeric() };
    if !ok {
        return Err(Error::Expr {
            kind: ErrorKind::ExprType,
            position: 0,
            message: format!(
                "{path}: must be {}, but `{source}` is {}",
                if condition { "a condition (bool)" } else { "a number" },
                expr.result_type().as_str()
            ),
            suggestion: None,
        });
    }
    Ok(expr)
}

/// The frame's schema plus what the engine adds: `days_since_last_run` and `prev_<column>` for
/// every column (only those read are built).
fn extended_schema(snapshot: &Snapshot) -> Vec<(String, DataType)> {
    let mut schema = snapshot.schema();
    let mut extra: Vec<(String, DataType)> = Vec::new();
    if !snapshot.has_column(DAYS_SINCE_LAST_RUN) {
        extra.push((DAYS_SINCE_LAST_RUN.into(), DataType::Int));
    }
    for (name, ty) in &schema {
        let prev = format!("{PREVIOUS}{name}");
        if name != "account_id" && !snapshot.has_column(&prev) {
            extra.push((prev, *ty));
        }
    }
    schema.extend(extra);
    schema
}

/// A column of `ty` holding, per row, the value `state` remembers for the row's account.
fn previous_column(snapshot: &Snapshot, column: &str, ty: DataType, state: &PlayState) -> ColumnData {
    let values = state.previous.get(column);
    let at = |id: &String| values.and_then(|v| v.get(id));
    let ids = snapshot.account_ids();
    match ty {
        DataType::Int => ColumnData::Int(ids.iter().map(|id| at(id).and_then(|v| v.as_f64()).map(|x| x as i64)).collect()),
        DataType::Float => ColumnData::Float(ids.iter().map(|id| at(id).and_then(|v| v.as_f64())).collect()),
        DataType::Bool => {
            ColumnData::Bool(ids.iter().map(|id| if let Some(Value::Bool(b)) = at(id) { Some(b) } else { None }).collect())
        }
        DataType::Str => {
            ColumnData::Str(ids.iter().map(|id| if let Some(Value::Str(s)) = at(id) { Some(s) } else { None }).collect())
        }
        DataType::Timestamp => ColumnData::Timestamp(
            ids.iter().map(|id| if let Some(Value::Timestamp(t)) = at(id) { Some(t) } else { None }).collect(),
        ),
    }
}

/// The latest `anchor + k × every` (k ≥ 0) at or before `as_of`.
fn boundary(anchor: Timestamp, every: Window, as_of: Timestamp) -> Option<Timestamp> {
    if anchor > as_of {
        return None;
    }
    let step_days = match every.unit {
        TimeUnit::Days => i64::from(every.amount),
        TimeUnit::Weeks => 7 * i64::from(every.amount),
        TimeUnit::Months => {
            let a = Utc.timestamp_millis_opt(anchor.millis()).single()?;
            let b = Utc.timestamp_millis_opt(as_of.millis()).single()?;
            let months = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
            let k = u32::try_from(months.max(0)).ok()? / every.amount.max(1);
            // Calendar months: step back once when the day or time of day has not come yet.
            let mut t = Window::months(k * every.amount).end(anchor);
            if t > as_of && k > 0 {
                t = Window::months((k - 1) * every.amount).end(anchor);
            }
            return (t <= as_of).then_some(t);
        }
    };
    let step = step_days.max(1) * MS_PER_DAY;
    let k = (as_of.millis() - anchor.millis()) / step;
    Timestamp::from_millis(anchor.millis() + k * step).ok()
}

/// What the ledger knows of one play and account.
#[derive(Default, Clone, Copy)]
struct History {
    /// Position of the open action in `state.actions`.
    open: Option<usize>,
    last_created: Option<Timestamp>,
    last_closed: Option<Timestamp>,
}

fn day(t: Timestamp) -> String {
    t.date_string()
}

/// Runs `playbook` over `snapshot` (the frame: a snapshot plus any added columns) as of the
/// snapshot's instant, carrying `state` forward. Deterministic and idempotent: the same frame
/// and state give the same result, and a second run on the result's state fires nothing new.
/// See the module docs for the rules.
pub fn run(playbook: &Playbook, snapshot: &Snapshot, state: &PlayState) -> Result<(PlayRun, PlayState)> {
    playbook.validate()?;
    state.validate()?;
    let as_of = snapshot.as_of();
    if let Some(last) = state.last_run {
        if as_of < last {
            return Err(Error::argument(
                "as_of",
                format!("{as_of} is before the state's last run ({last}): runs go forward in time"),
            ));
        }
    }
    if let Some(name) = state.playbook.as_deref().filter(|n| *n != playbook.name) {
        return Err(Error::argument("state", format!("belongs to playbook `{name}`, not `{}`", playbook.name)));
    }

    // ---- compile every expression against the frame plus the engine's columns
    let schema = extended_schema(snapshot);
    let mut plays: Vec<Compiled> = Vec::with_capacity(playbook.plays.len());
    for (i, p) in playbook.plays.iter().enumerate() {
        let path = |part: &str| format!("plays[{i}] ({}).{part}", p.id);
        let cond = |s: &Option<String>, part: &str| s.as_deref().map(|s| compile(s, &schema, &path(part), true)).transpose();
        let trigger = match &p.trigger {
            Trigger::Condition { when } => Some(compile(when, &schema, &path("trigger.when"), true)?),
            Trigger::Schedule { when, anchor, .. } => {
                match snapshot.column(anchor) {
                    Ok(c) if c.data_type() == DataType::Timestamp => {}
                    Ok(c) => {
                        return Err(Error::config(
                            path("trigger.anchor"),
                            format!("`{anchor}` is {}, not a timestamp", c.data_type().as_str()),
                        ))
                    }
                    Err(e) => return Err(e),
                }
                cond(when, "trigger.when")?
            }
        };
        plays.push(Compiled {
            cohort: cond(&p.cohort, "cohort")?,
            trigger,
            goal: cond(&p.goal, "goal")?,
            rank: p.rank_by.as_deref().map(|s| compile(s, &schema, &path("rank_by"), false)).transpose()?,
        });
    }
    let suppress_when = playbook.suppress.when.as_deref().map(|s| compile(s, &schema, "suppress.when", true)).transpose()?;

    // ---- the frame: the snapshot plus the engine columns the expressions read
    let mut used: Vec<(String, DataType)> = Vec::new();
    for e in plays.iter().flat_map(|c| [&c.cohort, &c.trigger, &c.goal, &c.rank]).chain([&suppress_when]).flatten() {
        for (name, ty) in e.columns() {
            if !snapshot.has_column(name) && name != "account_id" && !used.iter().any(|(n, _)| n == name) {
                used.push((name.clone(), *ty));
            }
        }
    }
    let mut tracked: Vec<(String, DataType)> = Vec::new();
    let extended;
    let frame_snapshot = if used.is_empty() {
        snapshot
    } else {
        let mut s = snapshot.clone();
        for (name, ty) in &used {
            let data = if name == DAYS_SINCE_LAST_RUN {
                let days = state.last_run.map(|l| (as_of.millis() - l.millis()).div_euclid(MS_PER_DAY));
                ColumnData::Int(vec![days; snapshot.len()])
            } else {
                let base = &name[PREVIOUS.len()..];
                tracked.push((base.to_string(), *ty));
                previous_column(snapshot, base, *ty, state)
            };
            s.add_column(Column::new(name.clone(), data))?;
        }
        extended = s;
        &extended
    };
    let frame = Frame::new(frame_snapshot);
    let n = snapshot.len();
    let ids = snapshot.account_ids();
    let row_of: HashMap<&str, usize> = ids.iter().enumerate().map(|(r, id)| (id.as_str(), r)).collect();
    let all = || vec![true; n];
    let mask = |e: &Option<Expr>| -> Result<Vec<bool>> { e.as_ref().map_or_else(|| Ok(all()), |e| e.matches_frame(&frame)) };

    // ---- suppression
    let mut suppressed = match &suppress_when {
        Some(e) => e.matches_frame(&frame)?,
        None => vec![false; n],
    };
    for id in &playbook.suppress.accounts {
        if let Some(&r) = row_of.get(id.as_str()) {
            suppressed[r] = true;
        }
    }

    // ---- per play: cohort ∧ trigger now, and the trigger instance of each row
    let mut holds: Vec<Vec<bool>> = Vec::with_capacity(plays.len());
    let mut instances: Vec<Vec<Option<Timestamp>>> = Vec::with_capacity(plays.len());
    for (p, c) in playbook.plays.iter().zip(&plays) {
        let cohort = mask(&c.cohort)?;
        let trig = mask(&c.trigger)?;
        let mut h: Vec<bool> = cohort.iter().zip(&trig).map(|(a, b)| *a && *b).collect();
        let inst: Vec<Option<Timestamp>> = match &p.trigger {
            Trigger::Condition { .. } => vec![Some(as_of.floor_day()); n],
            Trigger::Schedule { every, anchor, .. } => {
                let anchors = snapshot.column(anchor)?;
                let since = state.last_run.unwrap_or_else(|| every.start(as_of));
                (0..n)
                    .map(|r| match anchors.value(r) {
                        Value::Timestamp(a) => boundary(a, *every, as_of).filter(|b| *b > since),
                        _ => None,
                    })
                    .collect()
            }
        };
        if matches!(p.trigger, Trigger::Schedule { .. }) {
            for (hr, i) in h.iter_mut().zip(&inst) {
                *hr = *hr && i.is_some();
            }
        }
        holds.push(h);
        instances.push(inst);
    }

    // ---- the ledger, indexed
    let mut next = state.clone();
    next.playbook = Some(playbook.name.clone());
    let mut history: HashMap<(&str, &str), History> = HashMap::default();
    let mut keys: HashSet<&str> = HashSet::with_capacity_and_hasher(state.actions.len(), Default::default());
    let mut open_per_account: HashMap<&str, u32> = HashMap::default();
    for (i, a) in state.actions.iter().enumerate() {
        keys.insert(a.key.as_str());
        let h = history.entry((a.play.as_str(), a.account_id.as_str())).or_default();
        h.last_created = h.last_created.max(Some(a.created_at));
        match a.status {
            ActionStatus::Open => {
                h.open = Some(i);
                *open_per_account.entry(a.account_id.as_str()).or_default() += 1;
            }
            _ => h.last_closed = h.last_closed.max(a.closed_at),
        }
    }
    let play_index: HashMap<&str, usize> = playbook.plays.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();

    // ---- close: goals met, triggers cleared
    let mut closed = Vec::new();
    let goals: Vec<Option<Vec<bool>>> =
        plays.iter().map(|c| c.goal.as_ref().map(|g| g.matches_frame(&frame)).transpose()).collect::<Result<_>>()?;
    for (i, a) in state.actions.iter().enumerate() {
        if a.status != ActionStatus::Open {
            continue;
        }
        let (Some(&p), Some(&r)) = (play_index.get(a.play.as_str()), row_of.get(a.account_id.as_str())) else { continue };
        let play = &playbook.plays[p];
        let status = if goals[p].as_ref().is_some_and(|g| g[r]) {
            Some(ActionStatus::GoalMet)
        } else if play.exit_when_trigger_clears && matches!(play.trigger, Trigger::Condition { .. }) && !holds[p][r] {
            Some(ActionStatus::TriggerCleared)
        } else {
            None
        };
        if let Some(status) = status {
            let action = &mut next.actions[i];
            action.status = status;
            action.closed_at = Some(as_of);
            closed.push(action.clone());
            if let Some(h) = history.get_mut(&(a.play.as_str(), a.account_id.as_str())) {
                h.open = None;
                h.last_closed = Some(as_of);
            }
            if let Some(c) = open_per_account.get_mut(a.account_id.as_str()) {
                *c = c.saturating_sub(1);
            }
        }
    }

    // ---- arbitration: plays by priority (then order), accounts by rank (then id)
    let mut order: Vec<usize> = (0..playbook.plays.len()).collect();
    order.sort_by_key(|&p| (playbook.plays[p].tactic.priority, p));
    let owners = snapshot.column(&playbook.limits.owner_column).ok();
    let owner_of = |r: usize| match owners.map(|c| c.value(r)) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    };
    // A run at the same instant as the last one is the same run: what it granted counts.
    let mut spent: HashMap<Option<String>, f64> = HashMap::default();
    let mut granted_today: HashMap<&str, u32> = HashMap::default();
    for a in state.actions.iter().filter(|a| a.created_at == as_of) {
        *spent.entry(a.owner.clone()).or_default() += a.effort_hours;
        *granted_today.entry(a.play.as_str()).or_default() += 1;
    }
    let capacity = |owner: &Option<String>| {
        owner.as_ref().and_then(|o| playbook.limits.capacity_hours.get(o).copied()).or(playbook.limits.default_capacity_hours)
    };
    let mut fired: Vec<Action> = Vec::new();
    let mut updated: Vec<String> = Vec::new();
    let mut skipped: Vec<Skip> = Vec::new();
    let mut new_open: HashMap<String, u32> = HashMap::default();
    let mut new_keys: HashSet<String> = HashSet::default();
    for &p in &order {
        let play = &playbook.plays[p];
        let was: HashSet<&str> = match play.firing {
            Firing::Edge if matches!(play.trigger, Trigger::Condition { .. }) => {
                state.held.get(&play.id).map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default()
            }
            _ => HashSet::default(),
        };
        let mut rows: Vec<usize> = (0..n).filter(|&r| holds[p][r] && !was.contains(ids[r].as_str())).collect();
        let rank: Option<Vec<Option<f64>>> = plays[p]
            .rank
            .as_ref()
            .map(|e| e.evaluate_frame(&frame).map(|c| (0..n).map(|r| c.f64_at(r)).collect()))
            .transpose()?;
        rows.sort_by(|&a, &b| {
            let by_rank = rank.as_ref().map_or(std::cmp::Ordering::Equal, |k| match (k[a], k[b]) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            by_rank.then_with(|| ids[a].cmp(&ids[b]))
        });
        let mut granted = granted_today.get(play.id.as_str()).copied().unwrap_or(0);
        for r in rows {
            let id = ids[r].as_str();
            let skip =
                |reason: SkipReason, detail: String| Skip { play: play.id.clone(), account_id: id.to_string(), reason, detail };
            if suppressed[r] {
                skipped.push(skip(SkipReason::Suppressed, "on the suppression list or its condition holds".into()));
                continue;
            }
            let h = history.get(&(play.id.as_str(), id)).copied().unwrap_or_default();
            let reasons = || -> Result<BTreeMap<String, Value>> {
                let mut out = reasons(&plays[p], &frame, r)?;
                if let (Trigger::Schedule { anchor, .. }, Some(b)) = (&play.trigger, instances[p][r]) {
                    out.insert(anchor.clone(), snapshot.column(anchor)?.value(r));
                    out.insert("schedule_boundary".into(), Value::Timestamp(b));
                }
                Ok(out)
            };
            if let Some(i) = h.open {
                let action = &mut next.actions[i];
                action.updated_at = as_of;
                action.reasons = reasons()?;
                updated.push(action.key.clone());
                continue;
            }
            if let (Firing::Level { cooldown }, Some(last)) = (&play.firing, h.last_created) {
                let until = cooldown.end(last);
                if until > as_of {
                    skipped.push(skip(
                        SkipReason::Cooldown,
                        format!("fired {}, cooldown {cooldown} until {}", day(last), day(until)),
                    ));
                    continue;
                }
            }
            if let (Some(window), Some(last)) = (&play.reentry, h.last_closed) {
                let until = window.end(last);
                if until > as_of {
                    skipped.push(skip(SkipReason::Reentry, format!("closed {}, re-entry after {}", day(last), day(until))));
                    continue;
                }
            }
            let instance = instances[p][r].unwrap_or(as_of);
            let key = format!("{}@{}:{}:{}", play.id, play.version, id, day(instance));
            if keys.contains(key.as_str()) || new_keys.contains(&key) {
                skipped.push(skip(SkipReason::AlreadyFired, format!("`{key}` was already issued")));
                continue;
            }
            let open_now = open_per_account.get(id).copied().unwrap_or(0) + new_open.get(id).copied().unwrap_or(0);
            if let Some(max) = playbook.limits.max_active_per_account.filter(|&m| open_now >= m) {
                skipped.push(skip(SkipReason::AccountCap, format!("{open_now} open actions (max {max})")));
                continue;
            }
            if play.max_per_run.is_some_and(|m| granted >= m) {
                skipped.push(skip(SkipReason::PlayCap, format!("max_per_run {} reached", play.max_per_run.unwrap_or(0))));
                continue;
            }
            let owner = owner_of(r);
            if let Some(cap) = capacity(&owner) {
                let used = spent.get(&owner).copied().unwrap_or(0.0);
                if used + play.tactic.effort_hours > cap + 1e-9 {
                    let who = owner.as_deref().unwrap_or("(no owner)");
                    skipped.push(skip(
                        SkipReason::CapacityExhausted,
                        format!("{who}: {used} of {cap} hours spent, this needs {}", play.tactic.effort_hours),
                    ));
                    continue;
                }
            }
            *spent.entry(owner.clone()).or_default() += play.tactic.effort_hours;
            *new_open.entry(id.to_string()).or_default() += 1;
            granted += 1;
            new_keys.insert(key.clone());
            fired.push(Action {
                key,
                play: play.id.clone(),
                play_version: play.version,
                account_id: id.to_string(),
                kind: play.tactic.kind.clone(),
                owner,
                owner_role: play.tactic.owner_role.clone(),
                priority: play.tactic.priority,
                effort_hours: play.tactic.effort_hours,
                payload: play.tactic.payload.clone(),
                created_at: as_of,
                updated_at: as_of,
                due_at: as_of.add_days(i64::from(play.tactic.due_in_days)),
                status: ActionStatus::Open,
                closed_at: None,
                reasons: reasons()?,
            });
        }
    }
    next.actions.extend(fired.iter().cloned());

    // ---- memory for the next run
    for (p, play) in playbook.plays.iter().enumerate() {
        let edge = matches!((&play.firing, &play.trigger), (Firing::Edge, Trigger::Condition { .. }));
        let mut held: Vec<String> =
            if edge { (0..n).filter(|&r| holds[p][r]).map(|r| ids[r].clone()).collect() } else { Vec::new() };
        held.sort_unstable();
        if held.is_empty() {
            next.held.remove(&play.id);
        } else {
            next.held.insert(play.id.clone(), held);
        }
    }
    for (column, _) in &tracked {
        next.previous.insert(column.clone(), PreviousValues::of(snapshot.column(column)?, ids));
    }
    next.previous.retain(|c, _| tracked.iter().any(|(t, _)| t == c));
    next.last_run = Some(as_of);
    Ok((PlayRun { as_of, fired, updated, closed, skipped }, next))
}

/// The values behind a play's decision for row `r`: the columns its cohort and trigger read.
fn reasons(c: &Compiled, frame: &Frame<'_>, r: usize) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for e in [&c.cohort, &c.trigger].into_iter().flatten() {
        for (name, value) in e.inputs_at(frame, r)? {
            out.insert(name, value);
        }
    }
    Ok(out)
}
