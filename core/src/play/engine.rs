//! One run of a playbook over a frame: close what reached its goal, find the eligible accounts
//! of every play, arbitrate limits in priority order, record actions and skips, carry the state.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use chrono::{Datelike, TimeZone, Utc};

use crate::error::{Error, Result};
use crate::expr::{Expr, Frame};
use crate::metrics::{Column, ColumnData, DataType, Snapshot, Value};
use crate::time::{TimeUnit, Timestamp, Window, MS_PER_DAY};

use super::assign::holdout_draw;
use super::book::{Firing, Playbook, Trigger};
use super::state::{
    Action, ActionStatus, Arm, PlayMemory, PlayRun, PlayState, PreviousValues, Reasons, SharedStr, Skip, SkipReason,
    PLAY_STATE_VERSION,
};

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

use crate::expr::compile_at as compile;

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

/// The arm an account keeps in a play: that of its latest action of the same play version, when
/// it was the play's own (a global holdout is not sticky).
fn sticky(arm: Option<(u32, Arm)>, version: u32) -> Option<Arm> {
    match arm {
        Some((v, a)) if v == version && a != Arm::GlobalHoldout => Some(a),
        _ => None,
    }
}

/// Each row's stratum: a dense code per distinct value of `column` (missing values share one).
fn stratum_codes(snapshot: &Snapshot, column: &str) -> Result<Vec<u32>> {
    let data = snapshot.column(column)?;
    let n = snapshot.len();
    let mut codes: HashMap<String, u32> = HashMap::default();
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let key = match data.value(r) {
            Value::Null => String::new(),
            v => format!("={}", serde_json::to_string(&v).unwrap_or_default()),
        };
        let next = codes.len() as u32;
        out.push(*codes.entry(key).or_insert(next));
    }
    Ok(out)
}

/// Deals the new accounts of a stratified holdout: per stratum, the new rows in draw order (then
/// account id) are held out until the stratum's holdout count reaches `share` × its enrolled
/// accounts (rounded half up); the rest are treated. Returns an arm per row (`Treatment` for rows
/// not dealt).
fn deal_strata<'a>(
    codes: &[u32],
    new_rows: &[u32],
    enrolled: &[(u32, Arm)],
    draw: impl Fn(usize) -> f64,
    id: impl Fn(usize) -> &'a str,
    share: f64,
) -> Vec<Arm> {
    let strata = codes.iter().max().map_or(0, |m| *m as usize + 1);
    let (mut held, mut total) = (vec![0u64; strata], vec![0u64; strata]);
    for &(r, arm) in enrolled {
        let c = codes[r as usize] as usize;
        total[c] += 1;
        held[c] += u64::from(arm == Arm::Holdout);
    }
    let mut by_stratum: Vec<Vec<(f64, u32)>> = vec![Vec::new(); strata];
    for &r in new_rows {
        by_stratum[codes[r as usize] as usize].push((draw(r as usize), r));
    }
    let mut arms = vec![Arm::Treatment; codes.len()];
    for (c, mut rows) in by_stratum.into_iter().enumerate() {
        rows.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| id(a.1 as usize).cmp(id(b.1 as usize))));
        let m = rows.len() as u64;
        let target = (share * (total[c] + m) as f64 + 0.5).floor() as u64;
        let k = target.saturating_sub(held[c]).min(m) as usize;
        for &(_, r) in &rows[..k] {
            arms[r as usize] = Arm::Holdout;
        }
    }
    arms
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

const NONE: u32 = u32::MAX;

/// What the ledger knows of one play and account.
#[derive(Clone, Copy)]
struct History {
    /// Position of the open action in `state.actions` (`NONE`: none).
    open: u32,
    last_created: Option<Timestamp>,
    last_closed: Option<Timestamp>,
    /// The latest action created at or after the earliest trigger instance this run can issue
    /// (head of a chain through `chain`): the only ones whose key a new action could repeat.
    recent: u32,
    /// The play version and arm of the latest action.
    arm: Option<(u32, Arm)>,
}

impl Default for History {
    fn default() -> Self {
        History { open: NONE, last_created: None, last_closed: None, recent: NONE, arm: None }
    }
}

/// What the ledger knows, by play and row: `slots[play][row]` indexes `history` (a play's slots
/// are allocated when it has an action).
struct Ledger {
    slots: Vec<Vec<u32>>,
    history: Vec<History>,
}

impl Ledger {
    fn entry(&mut self, p: usize, r: usize, n: usize) -> &mut History {
        let slots = &mut self.slots[p];
        if slots.is_empty() {
            *slots = vec![NONE; n];
        }
        if slots[r] == NONE {
            slots[r] = self.history.len() as u32;
            self.history.push(History::default());
        }
        &mut self.history[slots[r] as usize]
    }

    fn get(&self, p: usize, r: usize) -> Option<&History> {
        let i = *self.slots.get(p)?.get(r)?;
        self.history.get(i as usize)
    }

    fn get_mut(&mut self, p: usize, r: usize) -> Option<&mut History> {
        let i = *self.slots.get(p)?.get(r)?;
        self.history.get_mut(i as usize)
    }
}

fn day(t: Timestamp) -> String {
    t.date_string()
}

/// Where a reason's value comes from.
enum Source<'f> {
    AccountId,
    Column(&'f ColumnData),
}

/// A play with its expressions compiled and its shared text built once per run.
struct Ready<'f> {
    name: SharedStr,
    /// `{play}@{version}:` — the start of every key.
    prefix: String,
    kind: SharedStr,
    role: SharedStr,
    payload: Arc<serde_json::Value>,
    /// The columns the cohort and trigger read, sorted by name.
    inputs: Vec<(SharedStr, Source<'f>)>,
    /// For a schedule: the anchor column.
    anchor: Option<(SharedStr, &'f ColumnData)>,
}

/// The trigger instance of each row: the run's day, or a schedule's boundary.
enum Instances {
    Day(Timestamp),
    PerRow(Vec<Option<Timestamp>>),
}

impl Instances {
    fn at(&self, r: usize) -> Option<Timestamp> {
        match self {
            Instances::Day(t) => Some(*t),
            Instances::PerRow(v) => v[r],
        }
    }
}

/// Runs `playbook` over `snapshot` (the frame: a snapshot plus any added columns) as of the
/// snapshot's instant, carrying `state` forward. Deterministic and idempotent: the same frame
/// and state give the same result, and a second run on the result's state fires nothing new.
/// See the module docs for the rules; [`run_mut`] updates a state in place instead of copying it.
pub fn run(playbook: &Playbook, snapshot: &Snapshot, state: &PlayState) -> Result<(PlayRun, PlayState)> {
    let mut next = state.clone();
    let result = run_mut(playbook, snapshot, &mut next)?;
    Ok((result, next))
}

/// [`run`] on a state held in place: on success `state` becomes the new state; on an error it is
/// left unchanged (everything that can fail is done before the ledger is touched).
///
/// The run trusts the actions of `state` (a state read with [`PlayState::from_json`] or
/// [`PlayState::load`] was checked whole); it checks the version and the memory's shape.
pub fn run_mut(playbook: &Playbook, snapshot: &Snapshot, state: &mut PlayState) -> Result<PlayRun> {
    playbook.validate()?;
    if state.version != PLAY_STATE_VERSION {
        return Err(Error::UnsupportedVersion { what: "play state".into(), found: state.version, supported: PLAY_STATE_VERSION });
    }
    state.memory.validate()?;
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
    let n = snapshot.len();
    let ids = snapshot.account_ids();
    if u32::try_from(n).is_err() {
        return Err(Error::argument("frame", "more than 2^32 - 1 accounts"));
    }

    // ---- rows in account-id order (the frame's order must not matter); duplicates refused
    let by_id: Vec<u32> = if ids.windows(2).all(|w| w[0] < w[1]) {
        (0..n as u32).collect()
    } else {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        if let Some(w) = order.windows(2).find(|w| ids[w[0] as usize] == ids[w[1] as usize]) {
            return Err(Error::argument("frame", format!("account `{}` appears twice", ids[w[0] as usize])));
        }
        order
    };

    // ---- compile every expression against the frame plus the engine's columns
    let schema = extended_schema(snapshot);
    let mut compiled: Vec<Compiled> = Vec::with_capacity(playbook.plays.len());
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
        compiled.push(Compiled {
            cohort: cond(&p.cohort, "cohort")?,
            trigger,
            goal: cond(&p.goal, "goal")?,
            rank: p.rank_by.as_deref().map(|s| compile(s, &schema, &path("rank_by"), false)).transpose()?,
        });
    }
    let suppress_when = playbook.suppress.when.as_deref().map(|s| compile(s, &schema, "suppress.when", true)).transpose()?;
    // Stratified holdouts: each row's stratum (a code per distinct value of the column).
    let mut strata: Vec<Option<Vec<u32>>> = Vec::with_capacity(playbook.plays.len());
    for (i, p) in playbook.plays.iter().enumerate() {
        strata.push(match p.holdout.as_ref().and_then(|h| h.stratify_by.as_deref()) {
            Some(column) if snapshot.has_column(column) => Some(stratum_codes(snapshot, column)?),
            Some(column) => {
                return Err(Error::config(
                    format!("plays[{i}] ({}).holdout.stratify_by", p.id),
                    format!("`{column}` is not a column of the frame"),
                ))
            }
            None => None,
        });
    }

    // ---- the previous run's accounts (sorted): `to_old[r]` is row r's position among them,
    // found by walking both in id order
    let memory = &state.memory;
    let same_accounts =
        memory.accounts.len() == n && memory.accounts.iter().zip(&by_id).all(|(a, &r)| a.as_str() == ids[r as usize].as_str());
    let to_old: Vec<Option<u32>> = if same_accounts {
        let mut v = vec![None; n];
        for (k, &r) in by_id.iter().enumerate() {
            v[r as usize] = Some(k as u32);
        }
        v
    } else {
        let mut v = vec![None; n];
        let mut k = 0usize;
        for &r in &by_id {
            let id = ids[r as usize].as_str();
            while k < memory.accounts.len() && memory.accounts[k].as_str() < id {
                k += 1;
            }
            if k < memory.accounts.len() && memory.accounts[k].as_str() == id {
                v[r as usize] = Some(k as u32);
            }
        }
        v
    };

    // ---- the frame: the snapshot plus the engine columns the expressions read
    let mut extra: Vec<Column> = Vec::new();
    let mut tracked: Vec<String> = Vec::new();
    for e in compiled.iter().flat_map(|c| [&c.cohort, &c.trigger, &c.goal, &c.rank]).chain([&suppress_when]).flatten() {
        for (name, ty) in e.columns() {
            if snapshot.has_column(name) || name == "account_id" || extra.iter().any(|c| &c.name == name) {
                continue;
            }
            let data = if name == DAYS_SINCE_LAST_RUN {
                let days = state.last_run.map(|l| (as_of.millis() - l.millis()).div_euclid(MS_PER_DAY));
                ColumnData::Int(vec![days; n])
            } else {
                let base = &name[PREVIOUS.len()..];
                tracked.push(base.to_string());
                match memory.columns.get(base) {
                    Some(values) => values.gather(*ty, &to_old),
                    None => ColumnData::nulls(*ty, n),
                }
            };
            extra.push(Column::new(name.clone(), data));
        }
    }
    let frame = Frame::with_columns(snapshot, extra)?;
    let mask = |e: &Option<Expr>| -> Result<Option<Vec<bool>>> { e.as_ref().map(|e| e.matches_frame(&frame)).transpose() };

    // ---- suppression
    let mut suppressed = mask(&suppress_when)?.unwrap_or_else(|| vec![false; n]);
    if !playbook.suppress.accounts.is_empty() {
        let listed: rustc_hash::FxHashSet<&str> = playbook.suppress.accounts.iter().map(String::as_str).collect();
        for (r, id) in ids.iter().enumerate() {
            if listed.contains(id.as_str()) {
                suppressed[r] = true;
            }
        }
    }

    // ---- per play: cohort ∧ trigger now, the trigger instance of each row, the goal
    let mut holds: Vec<Vec<bool>> = Vec::with_capacity(compiled.len());
    let mut instances: Vec<Instances> = Vec::with_capacity(compiled.len());
    let mut goals: Vec<Option<Vec<bool>>> = Vec::with_capacity(compiled.len());
    let mut ranks: Vec<Option<usize>> = Vec::with_capacity(compiled.len());
    // Per distinct `rank_by`: every row, highest rank first (missing last), ties in id order.
    let mut rank_cache: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut earliest_instance = as_of.floor_day();
    // The conditions of the plays are independent: evaluated side by side (the frame converts
    // each column once, whichever thread needs it first).
    type Masks = (Vec<bool>, Option<Vec<bool>>);
    let tasks: Vec<crate::stats::Task<'_, Result<Masks>>> = compiled
        .iter()
        .map(|c| {
            let (mask, n) = (&mask, n);
            Box::new(move || -> Result<Masks> {
                let h = match (mask(&c.cohort)?, mask(&c.trigger)?) {
                    (Some(mut a), Some(b)) => {
                        a.iter_mut().zip(&b).for_each(|(x, y)| *x = *x && *y);
                        a
                    }
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => vec![true; n],
                };
                Ok((h, mask(&c.goal)?))
            }) as crate::stats::Task<'_, Result<Masks>>
        })
        .collect();
    let masks: Vec<Masks> = crate::stats::run_tasks(tasks, crate::stats::max_threads()).into_iter().collect::<Result<_>>()?;
    for ((p, c), (mut h, goal)) in playbook.plays.iter().zip(&compiled).zip(masks) {
        let inst = match &p.trigger {
            Trigger::Condition { .. } => Instances::Day(as_of.floor_day()),
            Trigger::Schedule { every, anchor, .. } => {
                let anchors = snapshot.column(anchor)?;
                let since = state.last_run.unwrap_or_else(|| every.start(as_of));
                earliest_instance = earliest_instance.min(since);
                let v: Vec<Option<Timestamp>> = match anchors {
                    ColumnData::Timestamp(a) => {
                        a.iter().map(|a| a.and_then(|a| boundary(a, *every, as_of)).filter(|b| *b > since)).collect()
                    }
                    _ => vec![None; n],
                };
                for (hr, i) in h.iter_mut().zip(&v) {
                    *hr = *hr && i.is_some();
                }
                Instances::PerRow(v)
            }
        };
        holds.push(h);
        instances.push(inst);
        goals.push(goal);
        // Plays often rank by the same expression: evaluate each once.
        let rank = match (&c.rank, p.rank_by.as_deref()) {
            (Some(e), Some(source)) => Some(match rank_cache.iter().position(|(s, _)| *s == source) {
                Some(i) => i,
                None => {
                    rank_cache.push((source, rank_order(&e.evaluate_frame(&frame)?, &by_id)));
                    rank_cache.len() - 1
                }
            }),
            _ => None,
        };
        ranks.push(rank);
    }

    // ---- shared text and reason sources, once per run
    let mut ready: Vec<Ready<'_>> = Vec::with_capacity(compiled.len());
    for (p, c) in playbook.plays.iter().zip(compiled) {
        let mut names: Vec<&str> =
            [&c.cohort, &c.trigger].into_iter().flatten().flat_map(|e| e.columns()).map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let mut inputs = Vec::with_capacity(names.len());
        for name in names {
            let source = if name == "account_id" { Source::AccountId } else { Source::Column(frame.column(name)?) };
            inputs.push((SharedStr::from(name), source));
        }
        let anchor = match &p.trigger {
            Trigger::Schedule { anchor, .. } => Some((SharedStr::from(anchor.as_str()), snapshot.column(anchor)?)),
            Trigger::Condition { .. } => None,
        };
        ready.push(Ready {
            name: SharedStr::from(p.id.as_str()),
            prefix: format!("{}@{}:", p.id, p.version),
            kind: SharedStr::from(p.tactic.kind.as_str()),
            role: SharedStr::from(p.tactic.owner_role.as_str()),
            payload: Arc::new(p.tactic.payload.clone()),
            inputs,
            anchor,
        });
    }
    let schedule_boundary = SharedStr::from("schedule_boundary");

    // ---- edge plays: where the trigger held at the previous run, in this frame's rows
    let mut was: Vec<Option<Vec<bool>>> = Vec::with_capacity(playbook.plays.len());
    let mut to_new = vec![NONE; memory.accounts.len()];
    for (r, o) in to_old.iter().enumerate() {
        if let Some(o) = o {
            to_new[*o as usize] = r as u32;
        }
    }
    for play in &playbook.plays {
        let edge = matches!((&play.firing, &play.trigger), (Firing::Edge, Trigger::Condition { .. }));
        was.push(edge.then(|| {
            let mut w = vec![false; n];
            for &o in memory.held.get(&play.id).map_or(&[][..], Vec::as_slice) {
                let r = to_new.get(o as usize).copied().unwrap_or(NONE);
                if let Some(x) = w.get_mut(r as usize) {
                    *x = true;
                }
            }
            w
        }));
    }

    // ---- the ledger, indexed by (play, row): per play a slot per row into `history`
    let play_index: HashMap<&str, u32> = playbook.plays.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u32)).collect();
    let mut ledger = Ledger { slots: vec![Vec::new(); playbook.plays.len()], history: Vec::new() };
    let mut chain: Vec<u32> = Vec::new();
    let mut open_count: Vec<u32> = vec![0; n];
    let mut opens: Vec<(u32, u32, u32)> = Vec::new();
    let mut spent_today: Vec<(Option<SharedStr>, f64)> = Vec::new();
    // Held-out actions spend no hours and count against no cap.
    let mut granted_today: Vec<u32> = vec![0; playbook.plays.len()];
    if !state.actions.is_empty() {
        // Actions share their account's text with the memory: find the row through the
        // memory by address, and by text only for an action that does not share it.
        let mut by_address: HashMap<usize, u32> = HashMap::default();
        by_address.reserve(memory.accounts.len());
        by_address.extend(memory.accounts.iter().enumerate().map(|(k, a)| (a.address(), to_new[k])));
        let mut by_text: Option<HashMap<&str, u32>> = None;
        chain = vec![NONE; state.actions.len()];
        // Consecutive actions mostly share their play: remember the last one's index.
        let mut last_play: Option<(&SharedStr, u32)> = None;
        for (i, a) in state.actions.iter().enumerate() {
            let treated = a.arm.is_treatment();
            if a.created_at == as_of && treated {
                spent_today.push((a.owner.clone(), a.effort_hours));
            }
            let p = match last_play {
                Some((name, p)) if name == &a.play => p,
                _ => {
                    let Some(&p) = play_index.get(a.play.as_str()) else { continue };
                    last_play = Some((&a.play, p));
                    p
                }
            };
            if a.created_at == as_of && treated {
                granted_today[p as usize] += 1;
            }
            let r = match by_address.get(&a.account_id.address()) {
                Some(&r) => r,
                None => {
                    let map =
                        by_text.get_or_insert_with(|| ids.iter().enumerate().map(|(r, id)| (id.as_str(), r as u32)).collect());
                    map.get(a.account_id.as_str()).copied().unwrap_or(NONE)
                }
            };
            if r == NONE {
                continue;
            }
            let h = ledger.entry(p as usize, r as usize, n);
            h.last_created = h.last_created.max(Some(a.created_at));
            h.arm = Some((a.play_version, a.arm));
            if a.created_at >= earliest_instance {
                chain[i] = h.recent;
                h.recent = i as u32;
            }
            match a.status {
                ActionStatus::Open => {
                    h.open = i as u32;
                    open_count[r as usize] += 1;
                    opens.push((i as u32, p, r));
                }
                _ => h.last_closed = h.last_closed.max(a.closed_at),
            }
        }
    }

    // ---- owners and their hours
    let owner_column = match snapshot.column(&playbook.limits.owner_column) {
        Ok(ColumnData::Str(v)) => Some(v),
        _ => None,
    };
    let mut owners = Owners::new(playbook);
    for (owner, hours) in spent_today {
        let code = owners.code(owner.as_deref());
        owners.spent[code as usize] += hours;
    }
    let mut owner_code = vec![NONE; if owner_column.is_some() { n } else { 0 }];

    // From here on nothing fails: the ledger is changed in place.
    let mut closed: Vec<Arc<Action>> = Vec::new();
    for &(i, p, r) in &opens {
        let (p, r) = (p as usize, r as usize);
        let play = &playbook.plays[p];
        let status = if goals[p].as_ref().is_some_and(|g| g[r]) {
            Some(ActionStatus::GoalMet)
        } else if play.exit_when_trigger_clears && matches!(play.trigger, Trigger::Condition { .. }) && !holds[p][r] {
            Some(ActionStatus::TriggerCleared)
        } else {
            None
        };
        if let Some(status) = status {
            let action = Arc::make_mut(&mut state.actions[i as usize]);
            action.status = status;
            action.closed_at = Some(as_of);
            closed.push(state.actions[i as usize].clone());
            if let Some(h) = ledger.get_mut(p, r) {
                h.open = NONE;
                h.last_closed = Some(as_of);
            }
            open_count[r] = open_count[r].saturating_sub(1);
        }
    }

    // ---- the accounts of this frame (by row), shared with the memory where they are the same
    // New accounts get their shared text in the order arbitration first walks them (the first
    // ranking), so that walk reads memory in sequence.
    let mut accounts: Vec<SharedStr> = vec![SharedStr::default(); n];
    let walk: &[u32] = rank_cache.first().map_or(&by_id, |(_, order)| order);
    for &r in walk {
        let r = r as usize;
        accounts[r] = match to_old[r].and_then(|o| memory.accounts.get(o as usize)) {
            Some(a) => a.clone(),
            None => SharedStr::from(ids[r].as_str()),
        };
    }

    // ---- the global holdout: accounts no play acts on
    let global: Option<Vec<bool>> =
        playbook.holdout.as_ref().map(|g| accounts.iter().map(|a| holdout_draw(a, "", &g.salt) < g.share).collect());
    let in_global = |r: usize| global.as_ref().is_some_and(|g| g[r]);

    // ---- arbitration: plays by priority (then order), accounts by rank (then id)
    let mut order: Vec<usize> = (0..playbook.plays.len()).collect();
    order.sort_by_key(|&p| (playbook.plays[p].tactic.priority, p));
    let mut new_actions: Vec<Arc<Action>> = Vec::new();
    let mut held_out: Vec<Arc<Action>> = Vec::new();
    let mut fired: Vec<Arc<Action>> = Vec::new();
    let mut updated: Vec<SharedStr> = Vec::new();
    let mut skipped: Vec<Skip> = Vec::new();
    let mut key = String::new();
    let mut details = Details::default();
    let mut scratch: Vec<(SharedStr, Value)> = Vec::new();
    for &p in &order {
        let play = &playbook.plays[p];
        let rp = &ready[p];
        let (hold, before) = (&holds[p], was[p].as_deref());
        let order: &[u32] = ranks[p].map_or(&by_id, |i| &rank_cache[i].1);
        let rows = order.iter().copied().filter(|&r| hold[r as usize] && !before.is_some_and(|w| w[r as usize]));
        // A stratified holdout deals this run's new accounts within each stratum first.
        let dealt: Vec<Arm> = match (&play.holdout, &strata[p]) {
            (Some(holdout), Some(codes)) => {
                let is_new = |r: usize| {
                    hold[r]
                        && !before.is_some_and(|w| w[r])
                        && !suppressed[r]
                        && !in_global(r)
                        && ledger.get(p, r).is_none_or(|h| h.open == NONE && sticky(h.arm, play.version).is_none())
                };
                let (mut is_new_rows, mut enrolled) = (Vec::new(), Vec::new());
                for r in 0..n {
                    if is_new(r) {
                        is_new_rows.push(r as u32);
                    } else if let Some(arm) = ledger.get(p, r).and_then(|h| sticky(h.arm, play.version)) {
                        enrolled.push((r as u32, arm));
                    }
                }
                deal_strata(
                    codes,
                    &is_new_rows,
                    &enrolled,
                    |r| holdout_draw(&accounts[r], &play.id, &holdout.salt),
                    |r| accounts[r].as_str(),
                    holdout.share,
                )
            }
            _ => Vec::new(),
        };
        let mut granted = granted_today[p];
        let mut play_cap_detail: Option<SharedStr> = None;
        let day_of_run = day(as_of.floor_day());
        for r in rows {
            let r = r as usize;
            let skip = |reason: SkipReason, detail: SharedStr| Skip {
                play: rp.name.clone(),
                account_id: accounts[r].clone(),
                reason,
                detail,
            };
            if suppressed[r] {
                skipped.push(skip(SkipReason::Suppressed, details.suppressed.clone()));
                continue;
            }
            let h = ledger.get_mut(p, r).map_or_else(History::default, |h| *h);
            let instance = instances[p].at(r).unwrap_or(as_of);
            if h.open != NONE {
                let action = Arc::make_mut(&mut state.actions[h.open as usize]);
                action.updated_at = as_of;
                if !reasons_equal(action.reasons.pairs(), rp, ids, r) {
                    reasons_into(&mut scratch, rp, ids, r, instance, &schedule_boundary);
                    action.reasons = Reasons::from_sorted(&mut scratch);
                }
                updated.push(action.key.clone());
                continue;
            }
            if let (Firing::Level { cooldown }, Some(last)) = (&play.firing, h.last_created) {
                let until = cooldown.end(last);
                if until > as_of {
                    skipped.push(skip(
                        SkipReason::Cooldown,
                        SharedStr::from(format!("fired {}, cooldown {cooldown} until {}", day(last), day(until))),
                    ));
                    continue;
                }
            }
            if let (Some(window), Some(last)) = (&play.reentry, h.last_closed) {
                let until = window.end(last);
                if until > as_of {
                    skipped.push(skip(
                        SkipReason::Reentry,
                        SharedStr::from(format!("closed {}, re-entry after {}", day(last), day(until))),
                    ));
                    continue;
                }
            }
            let make_key = |key: &mut String| {
                key.clear();
                key.push_str(&rp.prefix);
                key.push_str(&accounts[r]);
                key.push(':');
                match &instances[p] {
                    Instances::Day(_) => key.push_str(&day_of_run),
                    Instances::PerRow(_) => key.push_str(&day(instance)),
                }
            };
            if h.recent != NONE {
                make_key(&mut key);
                let mut j = h.recent;
                let mut repeated = false;
                while j != NONE {
                    if state.actions[j as usize].key.as_str() == key {
                        repeated = true;
                        break;
                    }
                    j = chain[j as usize];
                }
                if repeated {
                    skipped.push(skip(SkipReason::AlreadyFired, SharedStr::from(format!("`{key}` was already issued"))));
                    continue;
                }
            }
            let open_now = open_count[r];
            if let Some(max) = playbook.limits.max_active_per_account.filter(|&m| open_now >= m) {
                skipped.push(skip(SkipReason::AccountCap, details.account_cap(open_now, max)));
                continue;
            }
            if let Some(max) = play.max_per_run.filter(|&m| granted >= m) {
                let detail = play_cap_detail.get_or_insert_with(|| SharedStr::from(format!("max_per_run {max} reached")));
                skipped.push(skip(SkipReason::PlayCap, detail.clone()));
                continue;
            }
            let code = match owner_column {
                Some(col) => {
                    if owner_code[r] == NONE {
                        owner_code[r] = owners.code(col[r].as_deref());
                    }
                    owner_code[r]
                }
                None => 0,
            };
            let effort = play.tactic.effort_hours;
            if let Some(detail) = owners.refuse(code, effort) {
                skipped.push(skip(SkipReason::CapacityExhausted, detail));
                continue;
            }
            // The account would be acted on: which arm is it in?
            let arm = if in_global(r) {
                Arm::GlobalHoldout
            } else if let Some(holdout) = &play.holdout {
                match (sticky(h.arm, play.version), dealt.get(r)) {
                    (Some(arm), _) => arm,
                    (None, Some(&arm)) => arm,
                    (None, None) => {
                        if holdout_draw(&accounts[r], &play.id, &holdout.salt) < holdout.share {
                            Arm::Holdout
                        } else {
                            Arm::Treatment
                        }
                    }
                }
            } else {
                Arm::Treatment
            };
            if arm.is_treatment() {
                owners.spent[code as usize] += effort;
                open_count[r] += 1;
                granted += 1;
            }
            make_key(&mut key);
            let action = Arc::new(Action {
                key: SharedStr::from(key.as_str()),
                play: rp.name.clone(),
                play_version: play.version,
                account_id: accounts[r].clone(),
                kind: rp.kind.clone(),
                owner: owners.names[code as usize].clone(),
                owner_role: rp.role.clone(),
                priority: play.tactic.priority,
                effort_hours: effort,
                payload: rp.payload.clone(),
                created_at: as_of,
                updated_at: as_of,
                due_at: as_of.add_days(i64::from(play.tactic.due_in_days)),
                status: if arm.is_treatment() { ActionStatus::Open } else { ActionStatus::HeldOut },
                closed_at: if arm.is_treatment() { None } else { Some(as_of) },
                reasons: {
                    reasons_into(&mut scratch, rp, ids, r, instance, &schedule_boundary);
                    Reasons::from_sorted(&mut scratch)
                },
                arm,
            });
            if arm.is_treatment() {
                fired.push(action.clone());
            } else {
                held_out.push(action.clone());
            }
            new_actions.push(action);
        }
    }
    state.actions.extend(new_actions);

    // ---- memory for the next run, in account-id order (so it does not depend on row order)
    let mut held = std::collections::BTreeMap::new();
    for (p, play) in playbook.plays.iter().enumerate() {
        if was[p].is_some() {
            let rows: Vec<u32> = (0..n as u32).filter(|&k| holds[p][by_id[k as usize] as usize]).collect();
            if !rows.is_empty() {
                held.insert(play.id.clone(), rows);
            }
        }
    }
    let mut columns = std::collections::BTreeMap::new();
    for base in tracked {
        if let Ok(data) = snapshot.column(&base) {
            columns.insert(base, PreviousValues::of(data, &by_id));
        }
    }
    let sorted_accounts = by_id.iter().map(|&r| accounts[r as usize].clone()).collect();
    state.memory = PlayMemory { accounts: sorted_accounts, held, columns };
    state.playbook = Some(playbook.name.clone());
    state.last_run = Some(as_of);
    Ok(PlayRun { as_of, fired, updated, held_out, closed, skipped })
}

/// Skip details that repeat, written once per run.
struct Details {
    suppressed: SharedStr,
    account_caps: Vec<Option<SharedStr>>,
}

impl Default for Details {
    fn default() -> Self {
        Details { suppressed: SharedStr::from("on the suppression list or its condition holds"), account_caps: Vec::new() }
    }
}

impl Details {
    fn account_cap(&mut self, open: u32, max: u32) -> SharedStr {
        let i = open as usize;
        if self.account_caps.len() <= i {
            self.account_caps.resize(i + 1, None);
        }
        self.account_caps[i].get_or_insert_with(|| SharedStr::from(format!("{open} open actions (max {max})"))).clone()
    }
}

/// Owners met in a run, coded densely (0 = no owner), with their capacity and the hours spent.
struct Owners<'b> {
    playbook: &'b Playbook,
    index: HashMap<SharedStr, u32>,
    names: Vec<Option<SharedStr>>,
    capacity: Vec<Option<f64>>,
    spent: Vec<f64>,
    /// The last refusal's detail per owner, with the effort and hours spent it was written for.
    refusals: Vec<Option<(f64, f64, SharedStr)>>,
}

impl<'b> Owners<'b> {
    fn new(playbook: &'b Playbook) -> Self {
        Owners {
            playbook,
            index: HashMap::default(),
            names: vec![None],
            capacity: vec![playbook.limits.default_capacity_hours],
            spent: vec![0.0],
            refusals: vec![None],
        }
    }

    /// When `effort` more hours do not fit in owner `code`'s capacity, the detail of the skip.
    fn refuse(&mut self, code: u32, effort: f64) -> Option<SharedStr> {
        let c = code as usize;
        let cap = self.capacity[c]?;
        let used = self.spent[c];
        if used + effort <= cap + 1e-9 {
            return None;
        }
        if let Some((e, u, detail)) = &self.refusals[c] {
            if *e == effort && *u == used {
                return Some(detail.clone());
            }
        }
        let who = self.names[c].as_deref().unwrap_or("(no owner)");
        let detail = SharedStr::from(format!("{who}: {used} of {cap} hours spent, this needs {effort}"));
        self.refusals[c] = Some((effort, used, detail.clone()));
        Some(detail)
    }

    fn code(&mut self, owner: Option<&str>) -> u32 {
        let Some(owner) = owner else { return 0 };
        if let Some(&c) = self.index.get(owner) {
            return c;
        }
        let c = self.names.len() as u32;
        let name = SharedStr::from(owner);
        self.index.insert(name.clone(), c);
        self.names.push(Some(name));
        let limits = &self.playbook.limits;
        self.capacity.push(limits.capacity_hours.get(owner).copied().or(limits.default_capacity_hours));
        self.spent.push(0.0);
        self.refusals.push(None);
        c
    }
}

/// The values behind a play's decision for row `r` into `out` (sorted by column): the columns
/// its cohort and trigger read, and for a schedule its anchor and the boundary that fell.
fn reasons_into(
    out: &mut Vec<(SharedStr, Value)>,
    rp: &Ready<'_>,
    ids: &[String],
    r: usize,
    instance: Timestamp,
    boundary: &SharedStr,
) {
    out.clear();
    for (name, source) in &rp.inputs {
        let value = match source {
            Source::AccountId => Value::Str(ids[r].clone()),
            Source::Column(c) => c.value(r),
        };
        out.push((name.clone(), value));
    }
    if let Some((anchor, column)) = &rp.anchor {
        let value = column.value(r);
        match out.binary_search_by(|(n, _)| n.as_str().cmp(anchor.as_str())) {
            Ok(i) => out[i].1 = value,
            Err(i) => out.insert(i, (anchor.clone(), value)),
        }
        let value = Value::Timestamp(instance);
        match out.binary_search_by(|(n, _)| n.as_str().cmp(boundary.as_str())) {
            Ok(i) => out[i].1 = value,
            Err(i) => out.insert(i, (boundary.clone(), value)),
        }
    }
}

/// The rows of `by_id` (rows in account-id order), highest `rank` first, missing ranks last, equal
/// ranks in account-id order.
fn rank_order(rank: &ColumnData, by_id: &[u32]) -> Vec<u32> {
    let mut keyed: Vec<(bool, u64, u32)> = by_id
        .iter()
        .map(|&r| match rank.f64_at(r as usize) {
            Some(x) => (false, descending(x), r),
            None => (true, 0, r),
        })
        .collect();
    // The third part breaks ties by position in id order, not by row.
    let mut position = vec![0u32; by_id.len()];
    for (k, &r) in by_id.iter().enumerate() {
        position[r as usize] = k as u32;
    }
    keyed.iter_mut().for_each(|k| k.2 = position[k.2 as usize]);
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, k)| by_id[k as usize]).collect()
}

/// A sort key that orders floats from highest to lowest (`total_cmp` order, reversed).
fn descending(x: f64) -> u64 {
    let bits = x.to_bits();
    // Unsigned and increasing with `total_cmp` …
    let ascending = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    // … then reversed.
    !ascending
}

/// True when `existing` holds the values [`reasons_into`] would write for row `r` (no
/// allocation): what lets a refresh keep the reasons it has.
fn reasons_equal(existing: &[(SharedStr, Value)], rp: &Ready<'_>, ids: &[String], r: usize) -> bool {
    if rp.anchor.is_some() {
        return false;
    }
    existing.len() == rp.inputs.len()
        && existing.iter().zip(&rp.inputs).all(|((en, ev), (name, source))| {
            en == name
                && match source {
                    Source::AccountId => matches!(ev, Value::Str(s) if *s == ids[r]),
                    Source::Column(c) => value_is(c, r, ev),
                }
        })
}

/// `column.value(r) == *value`, without building the value.
fn value_is(column: &ColumnData, r: usize, value: &Value) -> bool {
    match (column, value) {
        (ColumnData::Int(v), Value::Int(x)) => v.get(r).copied().flatten() == Some(*x),
        (ColumnData::Float(v), Value::Float(x)) => v.get(r).copied().flatten() == Some(*x),
        (ColumnData::Bool(v), Value::Bool(x)) => v.get(r).copied().flatten() == Some(*x),
        (ColumnData::Str(v), Value::Str(x)) => v.get(r).and_then(Option::as_deref) == Some(x.as_str()),
        (ColumnData::Timestamp(v), Value::Timestamp(x)) => v.get(r).copied().flatten() == Some(*x),
        (c, Value::Null) => c.value(r) == Value::Null,
        _ => false,
    }
}
