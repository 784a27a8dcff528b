//! Scoring a [`Snapshot`] with a [`Scorecard`] (or a [`ScorecardSet`]): per account the score,
//! band, each measure's points and contribution, and why a score changed between two dates.
//!
//! Contributions are held in millionths of a point (integers): the score is exactly the sum of
//! its contributions, and a change between two dates is exactly the sum of its per-measure parts.
//!
//! Scoring runs in two parallel steps over scoped threads (no global pool, so safe under
//! `fork()`): first each part's metric values are copied into compact columns
//! ([`super::store`]), the account ids into one buffer, and each percentile measure ranks its
//! peers ([`super::rank`]); then the rows are split across threads and each row's points,
//! weights and score are worked out, 256 rows and one measure at a time. Only what cannot be
//! worked out again cheaply is kept: the values, the percentile points and the computed scores.
//! A row's points, weights and integer contributions are recomputed from them, by the same code,
//! when asked for. `benches/health.md` has the figures.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};
use crate::stats::run_tasks;
use crate::time::Timestamp;

use super::config::{band_index, Band, Direction, MissingPolicy, Override, PeerGroup, Scorecard, ScorecardSet, Scoring, Tier};
use super::rank::{group_keys, percentile_points, Keys, Peers, Percentiles, Rows, Source};
use super::store::{AccountIds, Bits, ValueColumn, Values};

/// Millionths of a point per point.
pub const MICROS_PER_POINT: i64 = 1_000_000;
const FULL: i64 = 100 * MICROS_PER_POINT;
/// The computed score of a row without any measure value.
const NO_SCORE: i32 = i32::MIN;

fn to_points(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_POINT as f64
}

/// Health scores of every account of a snapshot, held column-wise.
///
/// About 57 bytes per account for the starter scorecard and ids of ten characters: the account
/// ids in one buffer, each part's metric values in the narrowest exact column (booleans as bits,
/// whole numbers as `i8`, `i16` or `i32`, else `f64`, with a presence bit), percentile points
/// (a table by peer group and value for whole numbers) and the computed score. Points, effective
/// weights and integer contributions are recomputed from these, exactly as scoring worked them
/// out, when asked for ([`HealthScores::row`], [`HealthScores::contribution_micros`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthScores {
    as_of: Timestamp,
    account_ids: AccountIds,
    bands: Vec<Band>,
    scorecards: Vec<String>,
    /// The scorecard of each row; empty when there is one scorecard.
    scorecard_of: Vec<u32>,
    /// Each row's index among its scorecard's rows; empty when there is one scorecard.
    local_row: Vec<u32>,
    /// The parts each scorecard uses.
    card_parts: Vec<Vec<usize>>,
    /// How each scorecard turns values into points and weights.
    plans: Vec<CardPlan>,
    /// Measure names, then `penalty:<column>` entries.
    parts: Vec<String>,
    /// The value of every part, one column per part.
    values: Vec<ValueColumn>,
    /// Percentile points per scorecard and measure, by [`HealthScores::local_row`] (empty
    /// for other scorings).
    percentiles: Vec<Vec<Percentiles>>,
    /// The scorecard's score in millionths of a point, [`NO_SCORE`] when none.
    computed: Vec<i32>,
    overrides: Vec<Override>,
    /// `(row, index into overrides)`, by row.
    override_of: Vec<(usize, u32)>,
}

/// How one scorecard turns a row's values into points, weights and contributions.
#[derive(Debug, Clone, PartialEq)]
struct CardPlan {
    measures: Vec<MeasurePlan>,
    penalties: Vec<PenaltyPlan>,
    group_weight: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
struct MeasurePlan {
    part: usize,
    weight: f64,
    group: usize,
    rule: Rule,
    /// Points when the value is missing (or falls in no tier).
    fill: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Rule {
    Ramp { low: f64, high: f64, flip: bool },
    Tiers(Vec<Tier>),
    Percentile,
}

#[derive(Debug, Clone, PartialEq)]
struct PenaltyPlan {
    part: usize,
    points: f64,
    micros: i64,
}

/// Ramp points: 0 at `low`, 100 at `high` (reversed with `flip`), linear between.
#[inline]
fn ramp(x: f64, low: f64, high: f64, flip: bool) -> f64 {
    let t = ((x - low) / (high - low)).clamp(0.0, 1.0) * 100.0;
    if flip {
        100.0 - t
    } else {
        t
    }
}

/// Points of the first tier holding `x`.
#[inline]
fn tier_points(tiers: &[Tier], x: f64) -> Option<f64> {
    tiers.iter().find(|t| t.contains(x)).map(|t| t.points)
}

impl MeasurePlan {
    /// Points (0–100) of a value; `percentile` gives the row's percentile points of a value for
    /// that rule.
    #[inline]
    fn points(&self, value: Option<f64>, percentile: impl FnOnce(f64) -> f64) -> Option<f64> {
        let p = match (&self.rule, value) {
            (_, None) => None,
            (Rule::Ramp { low, high, flip }, Some(x)) => Some(ramp(x, *low, *high, *flip)),
            (Rule::Tiers(tiers), Some(x)) => tier_points(tiers, x),
            (Rule::Percentile, Some(x)) => Some(percentile(x)),
        };
        p.or(self.fill)
    }
}

impl CardPlan {
    /// Effective weights (shares summing to 1) of the measures with points; false when none
    /// has a positive weight (then no score).
    fn shares(&self, has_points: impl Fn(usize) -> bool, wsum: &mut Vec<f64>, out: &mut [f64]) -> bool {
        let ng = self.group_weight.len();
        wsum.clear();
        wsum.resize(ng, 0.0);
        for (mi, m) in self.measures.iter().enumerate() {
            if has_points(mi) {
                if let Some(w) = wsum.get_mut(m.group) {
                    *w += m.weight;
                }
            }
        }
        let gtotal: f64 = (0..ng).filter(|&g| wsum[g] > 0.0).map(|g| self.group_weight[g]).sum();
        if gtotal <= 0.0 {
            out.iter_mut().for_each(|s| *s = 0.0);
            return false;
        }
        for (mi, (m, s)) in self.measures.iter().zip(out.iter_mut()).enumerate() {
            let g = m.group;
            *s = if has_points(mi) && wsum[g] > 0.0 { self.group_weight[g] / gtotal * m.weight / wsum[g] } else { 0.0 };
        }
        true
    }
}

/// One row's points and weights by measure and contributions by part, worked out again as
/// scoring did ([`HealthScores::breakdown`]); the buffers are reused from row to row.
#[derive(Default)]
struct Breakdown {
    points: Vec<Option<f64>>,
    shares: Vec<f64>,
    wsum: Vec<f64>,
    exact: Vec<f64>,
    micros: Vec<i64>,
    contributions: Vec<i64>,
}

/// Which part of a scorecard a part is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Measure(usize),
    Penalty(usize),
}

/// One measure's (or penalty's) part of one account's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureScore {
    /// Measure name, or `penalty:<column>`.
    pub name: String,
    /// The metric value (for a penalty: 1 when the flag is set, else 0).
    pub value: Option<f64>,
    /// Points earned (0–100), `None` when missing and renormalised away.
    pub points: Option<f64>,
    /// Effective weight after group weights and renormalisation (shares sum to 1).
    pub weight: f64,
    /// Points added to the score (negative for penalties); contributions sum to the computed score.
    pub contribution: f64,
}

/// The override applied to an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedOverride {
    /// The score the scorecard computed.
    pub computed_score: Option<f64>,
    /// The CSM's reason.
    pub reason: String,
    /// Who set it.
    pub set_by: Option<String>,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// One account's health with its breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountHealth {
    /// The account.
    pub account_id: String,
    /// Score 0–100 (the override's score when one applies); `None` when no measure had a value.
    pub score: Option<f64>,
    /// Band name.
    pub band: Option<String>,
    /// Band colour.
    pub color: Option<String>,
    /// The scorecard used.
    pub scorecard: String,
    /// Each measure's part; contributions sum to the computed score.
    pub measures: Vec<MeasureScore>,
    /// The manual override in force, if any.
    pub r#override: Option<AppliedOverride>,
}

/// One measure's part of a score change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureChange {
    /// Measure name, `penalty:<column>`, or `override`.
    pub name: String,
    /// Metric value before.
    pub value_before: Option<f64>,
    /// Metric value after.
    pub value_after: Option<f64>,
    /// Contribution before.
    pub before: f64,
    /// Contribution after.
    pub after: f64,
    /// `after - before`; the deltas of all measures sum to the score's delta.
    pub delta: f64,
}

/// How and why one account's score changed between two dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChange {
    /// The account.
    pub account_id: String,
    /// Score at the earlier date.
    pub before: f64,
    /// Score at the later date.
    pub after: f64,
    /// `after - before`.
    pub delta: f64,
    /// Band at the earlier date.
    pub band_before: Option<String>,
    /// Band at the later date.
    pub band_after: Option<String>,
    /// The delta split by measure, largest absolute change first.
    pub by_measure: Vec<MeasureChange>,
}

/// Something that can score a snapshot: a [`Scorecard`] or a [`ScorecardSet`].
pub trait Scorer {
    /// Scores every account of `snapshot`.
    fn score(&self, snapshot: &Snapshot) -> Result<HealthScores>;
}

impl Scorer for Scorecard {
    fn score(&self, snapshot: &Snapshot) -> Result<HealthScores> {
        score_set(&[self], None, snapshot)
    }
}

impl Scorer for ScorecardSet {
    fn score(&self, snapshot: &Snapshot) -> Result<HealthScores> {
        let mut cards: Vec<&Scorecard> = self.cases.iter().map(|c| &c.scorecard).collect();
        cards.push(&self.default);
        score_set(&cards, Some(self), snapshot)
    }
}

impl Scorecard {
    /// Scores every account of `snapshot` (see [`HealthScores`]).
    pub fn score(&self, snapshot: &Snapshot) -> Result<HealthScores> {
        Scorer::score(self, snapshot)
    }
}

impl ScorecardSet {
    /// Scores every account of `snapshot` with the scorecard its `column` value selects.
    pub fn score(&self, snapshot: &Snapshot) -> Result<HealthScores> {
        Scorer::score(self, snapshot)
    }
}

/// A row's key for matching a [`ScorecardSet`] case: the text of the selecting column's value
/// (`""` when missing; the column is text, integer or boolean).
enum CaseKey<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
    Empty,
}

fn case_key(col: &ColumnData, i: usize) -> CaseKey<'_> {
    match col {
        ColumnData::Str(v) => v.get(i).and_then(Option::as_deref).map_or(CaseKey::Empty, CaseKey::Text),
        ColumnData::Int(v) => v.get(i).copied().flatten().map_or(CaseKey::Empty, CaseKey::Int),
        ColumnData::Bool(v) => v.get(i).copied().flatten().map_or(CaseKey::Empty, CaseKey::Bool),
        _ => CaseKey::Empty,
    }
}

/// A case's values, ready to compare with [`CaseKey`]s without formatting every row.
struct CaseValues<'a> {
    text: &'a [String],
    ints: Vec<i64>,
    bools: Vec<bool>,
    empty: bool,
}

impl<'a> CaseValues<'a> {
    fn new(values: &'a [String]) -> Self {
        CaseValues {
            text: values,
            // Only a value written as the integer's own text matches it (`"07"` matches nothing).
            ints: values.iter().filter_map(|v| v.parse::<i64>().ok().filter(|x| x.to_string() == *v)).collect(),
            bools: values.iter().filter_map(|v| v.parse::<bool>().ok().filter(|x| x.to_string() == *v)).collect(),
            empty: values.iter().any(String::is_empty),
        }
    }

    fn matches(&self, key: &CaseKey<'_>) -> bool {
        match key {
            CaseKey::Text(t) => self.text.iter().any(|v| v == t),
            CaseKey::Int(x) => self.ints.contains(x),
            CaseKey::Bool(b) => self.bools.contains(b),
            CaseKey::Empty => self.empty,
        }
    }
}

/// A numeric column, or the `config` error naming `path`.
fn source<'a>(snapshot: &'a Snapshot, name: &str, path: &str) -> Result<Source<'a>> {
    let col = snapshot.column(name)?;
    Source::of(col).ok_or_else(|| Error::config(path, format!("column `{name}` is {}, not numeric", col.data_type().as_str())))
}

fn numeric(snapshot: &Snapshot, name: &str, path: &str) -> Result<Vec<Option<f64>>> {
    let s = source(snapshot, name, path)?;
    Ok((0..snapshot.len()).map(|r| s.get(r)).collect())
}

/// Threads for one scoring: all cores (at most 8), one for small snapshots.
fn threads(rows: usize) -> usize {
    if rows < 16_384 {
        return 1;
    }
    crate::stats::max_threads()
}

/// What the parallel steps read of one scorecard, resolved (and checked) against the snapshot.
struct CardInput<'a> {
    rows: Rows<'a>,
    /// Per measure: the metric.
    metrics: Vec<Source<'a>>,
    /// Per measure: the peers of a percentile measure.
    peers: Vec<Option<Peers<'a>>>,
    flags: Vec<&'a [Option<bool>]>,
}

fn score_set(cards: &[&Scorecard], set: Option<&ScorecardSet>, snapshot: &Snapshot) -> Result<HealthScores> {
    let n = snapshot.len();
    for c in cards {
        c.validate()?;
    }
    // Which card scores each row (kept only when there are several).
    let mut card_of: Vec<u32> = Vec::new();
    if let Some(set) = set {
        set.validate()?;
        let col = snapshot.column(&set.column)?;
        if !matches!(col, ColumnData::Str(_) | ColumnData::Int(_) | ColumnData::Bool(_)) {
            return Err(Error::config(
                "column",
                format!(
                    "column `{}` is {}; a scorecard set chooses by text, integer or boolean values",
                    set.column,
                    col.data_type().as_str()
                ),
            ));
        }
        let cases: Vec<CaseValues<'_>> = set.cases.iter().map(|c| CaseValues::new(&c.values)).collect();
        let default = (cards.len() - 1) as u32;
        card_of = (0..n)
            .map(|i| {
                let key = case_key(col, i);
                cases.iter().position(|c| c.matches(&key)).map_or(default, |c| c as u32)
            })
            .collect();
    }
    // The union of parts, in order of first appearance.
    let mut parts: Vec<String> = Vec::new();
    let mut part_index: HashMap<String, usize> = HashMap::new();
    let names_of = |c: &Scorecard| -> Vec<String> {
        c.measures.iter().map(|m| m.name.clone()).chain(c.penalties.iter().map(|p| format!("penalty:{}", p.column))).collect()
    };
    for c in cards {
        for name in names_of(c) {
            if !part_index.contains_key(&name) {
                part_index.insert(name.clone(), parts.len());
                parts.push(name);
            }
        }
    }
    let card_parts: Vec<Vec<usize>> =
        cards.iter().map(|c| names_of(c).iter().filter_map(|n| part_index.get(n).copied()).collect()).collect();
    let plans: Vec<CardPlan> = cards.iter().map(|c| plan(c, &part_index)).collect();

    // Rows of each card, and each row's place among them.
    let mut card_rows: Vec<Vec<usize>> = vec![Vec::new(); cards.len()];
    let mut local_row: Vec<u32> = Vec::new();
    if !card_of.is_empty() {
        local_row.reserve(n);
        for (r, &c) in card_of.iter().enumerate() {
            let rows = &mut card_rows[c as usize];
            local_row.push(rows.len() as u32);
            rows.push(r);
        }
    }
    let mut inputs: Vec<Option<CardInput<'_>>> = Vec::with_capacity(cards.len());
    for (ci, card) in cards.iter().enumerate() {
        let rows = if card_of.is_empty() { Rows::All(n) } else { Rows::Some(&card_rows[ci]) };
        if rows.len() == 0 {
            // Still check the names so a typo does not hide until a segment appears.
            for (mi, m) in card.measures.iter().enumerate() {
                source(snapshot, &m.metric, &format!("measures[{mi}].metric"))?;
            }
            inputs.push(None);
            continue;
        }
        inputs.push(Some(card_input(card, snapshot, rows)?));
    }

    // Step 1, in parallel: value columns and percentile points.
    let threads = threads(n);
    enum Done {
        Ids(AccountIds),
        Values(ValueColumn),
        Keys(Arc<Keys>, usize),
        Percentile(Percentiles),
    }
    let mut tasks: Vec<Box<dyn FnOnce() -> Done + Send + '_>> = Vec::new();
    // Peer groups first (shared by the measures with the same peers of a card).
    let mut key_task: Vec<Vec<Option<usize>>> = Vec::new();
    for (ci, input) in inputs.iter().enumerate() {
        let mut mine = vec![None; cards[ci].measures.len()];
        if let Some(input) = input {
            for (mi, peers) in input.peers.iter().enumerate() {
                let Some(peers) = peers else { continue };
                let same = (0..mi).find(|&k| {
                    input.peers[k].is_some()
                        && matches!((&cards[ci].measures[k].scoring, &cards[ci].measures[mi].scoring),
                            (Scoring::Percentile { peers: a }, Scoring::Percentile { peers: b }) if a == b)
                });
                mine[mi] = match same.and_then(|k| mine[k]) {
                    Some(t) => Some(t),
                    None => {
                        let rows = input.rows;
                        tasks.push(Box::new(move || {
                            let (keys, groups) = group_keys(peers, rows);
                            Done::Keys(Arc::new(keys), groups)
                        }));
                        Some(tasks.len() - 1)
                    }
                };
            }
        }
        key_task.push(mine);
    }
    let peer_keys: Vec<(Arc<Keys>, usize)> = run_tasks(tasks, threads)
        .into_iter()
        .map(|d| if let Done::Keys(k, g) = d { (k, g) } else { (Arc::new(Keys::One), 0) })
        .collect();

    let mut tasks: Vec<Box<dyn FnOnce() -> Done + Send + '_>> = Vec::new();
    let mut percentile_task: Vec<Vec<Option<usize>>> = Vec::new();
    for (ci, input) in inputs.iter().enumerate() {
        let mut mine = vec![None; cards[ci].measures.len()];
        if let Some(input) = input {
            for (mi, m) in cards[ci].measures.iter().enumerate() {
                let Some((keys, groups)) = key_task[ci][mi].and_then(|t| peer_keys.get(t)) else { continue };
                let (metric, rows, flip) = (input.metrics[mi], input.rows, m.direction == Direction::LowerIsBetter);
                tasks.push(Box::new(move || Done::Percentile(percentile_points(metric, rows, keys, *groups, flip))));
                mine[mi] = Some(tasks.len() - 1);
            }
        }
        percentile_task.push(mine);
    }
    // The account ids are copied alongside.
    let ids_task = tasks.len();
    tasks.push(Box::new(|| Done::Ids(AccountIds::new(snapshot.account_ids()))));
    let first_value_task = tasks.len();
    for name in &parts {
        let sources: Vec<Option<Source<'_>>> = cards
            .iter()
            .zip(&inputs)
            .map(|(card, input)| {
                let input = input.as_ref()?;
                if let Some(mi) = card.measures.iter().position(|m| &m.name == name) {
                    return input.metrics.get(mi).copied();
                }
                card.penalties
                    .iter()
                    .position(|pen| name.strip_prefix("penalty:") == Some(pen.column.as_str()))
                    .and_then(|pi| input.flags.get(pi).map(|f| Source::Bool(f)))
            })
            .collect();
        let card_of = &card_of;
        tasks.push(Box::new(move || Done::Values(ValueColumn::build(n, &sources, card_of))));
    }
    let mut done: Vec<Option<Done>> = run_tasks(tasks, threads).into_iter().map(Some).collect();
    let account_ids = match done.get_mut(ids_task).and_then(Option::take) {
        Some(Done::Ids(ids)) => ids,
        _ => AccountIds::new(snapshot.account_ids()),
    };
    let percentiles: Vec<Vec<Percentiles>> = percentile_task
        .iter()
        .map(|card| {
            card.iter()
                .map(|t| match t.and_then(|t| done.get_mut(t)).and_then(Option::take) {
                    Some(Done::Percentile(p)) => p,
                    _ => Percentiles::default(),
                })
                .collect()
        })
        .collect();
    let mut values: Vec<ValueColumn> = done
        .drain(first_value_task..)
        .map(|d| match d {
            Some(Done::Values(v)) => v,
            _ => ValueColumn { present: Bits::new(n), data: Values::Float(vec![0.0; n]) },
        })
        .collect();

    // Step 2, in parallel over rows: points, weights, scores.
    let mut computed = vec![NO_SCORE; n];
    let flags: Vec<&[&[Option<bool>]]> = inputs.iter().map(|i| i.as_ref().map_or(&[][..], |i| &i.flags[..])).collect();
    let byte_points: Vec<Vec<Option<ByteTable>>> = plans
        .iter()
        .map(|plan| {
            plan.measures
                .iter()
                .map(|m| match (values.get(m.part).map(|v| &v.data), &m.rule) {
                    (Some(Values::Int8(_)), Rule::Ramp { .. } | Rule::Tiers(_)) => Some(
                        (i8::MIN..=i8::MAX)
                            .map(|x| m.points(Some(f64::from(x)), |_| 0.0))
                            .map(|p| (p.unwrap_or(0.0), p.is_some()))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let ctx = RowContext {
        plans: &plans,
        values: &values,
        percentiles: &percentiles,
        byte_points: &byte_points,
        scorecard_of: &card_of,
        local_row: &local_row,
    };
    // Whole blocks per thread, so that blocks start on words of presence bits.
    let chunk = n.div_ceil(threads).next_multiple_of(BLOCK).max(1);
    if threads < 2 {
        ctx.score_rows(0, &flags, &mut computed);
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = computed
                .chunks_mut(chunk)
                .enumerate()
                .map(|(k, s)| {
                    let (ctx, flags) = (&ctx, &flags);
                    scope.spawn(move || ctx.score_rows(k * chunk, flags, s))
                })
                .collect();
            for h in handles {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            }
        });
    }
    // A penalty's value is only kept for rows with a score (as the first version had it).
    for (r, _) in computed.iter().enumerate().filter(|(_, &s)| s == NO_SCORE) {
        let c = card_of.get(r).copied().unwrap_or(0) as usize;
        for pen in plans.get(c).map_or(&[][..], |p| &p.penalties[..]) {
            if let Some(v) = values.get_mut(pen.part) {
                v.present.set(r, false);
            }
        }
    }

    // Overrides (from every card; the set's default card is last).
    let as_of = snapshot.as_of();
    let mut overrides = Vec::new();
    let mut override_of: Vec<(usize, u32)> = Vec::new();
    if cards.iter().any(|c| !c.overrides.is_empty()) {
        // The last row of each overridden account (few accounts: index them, not the snapshot).
        let mut wanted: FxHashMap<&str, Option<usize>> = FxHashMap::default();
        let mut applied: FxHashMap<usize, u32> = FxHashMap::default();
        for o in cards.iter().flat_map(|c| &c.overrides) {
            wanted.insert(o.account_id.as_str(), None);
        }
        for (i, id) in snapshot.account_ids().iter().enumerate() {
            if let Some(row) = wanted.get_mut(id.as_str()) {
                *row = Some(i);
            }
        }
        for card in cards {
            for o in &card.overrides {
                let live = o.set_at.is_none_or(|s| s <= as_of) && as_of < o.expires_at;
                if let (true, Some(&Some(row))) = (live, wanted.get(o.account_id.as_str())) {
                    if let std::collections::hash_map::Entry::Vacant(e) = applied.entry(row) {
                        e.insert(overrides.len() as u32);
                        overrides.push(o.clone());
                    }
                }
            }
        }
        override_of = applied.into_iter().collect();
        override_of.sort_unstable();
    }
    Ok(HealthScores {
        as_of,
        account_ids,
        bands: cards[0].bands.clone(),
        scorecards: cards.iter().map(|c| c.name.clone()).collect(),
        scorecard_of: card_of,
        local_row,
        card_parts,
        plans,
        parts,
        values,
        percentiles,
        computed,
        overrides,
        override_of,
    })
}

/// The scoring rules of a (validated) scorecard.
fn plan(card: &Scorecard, part_index: &HashMap<String, usize>) -> CardPlan {
    let measures = card
        .measures
        .iter()
        .map(|m| MeasurePlan {
            part: part_index.get(&m.name).copied().unwrap_or(0),
            weight: m.weight,
            group: m.group.as_ref().and_then(|g| card.groups.iter().position(|x| &x.name == g)).unwrap_or(0),
            rule: match &m.scoring {
                Scoring::Ramp { low, high } => {
                    Rule::Ramp { low: *low, high: *high, flip: m.direction == Direction::LowerIsBetter }
                }
                Scoring::Tiers { tiers } => Rule::Tiers(tiers.clone()),
                Scoring::Percentile { .. } => Rule::Percentile,
            },
            fill: match m.missing {
                MissingPolicy::Renormalize => None,
                MissingPolicy::Worst => Some(m.worst_points()),
                MissingPolicy::Default { points } => Some(points),
            },
        })
        .collect();
    let penalties = card
        .penalties
        .iter()
        .map(|p| PenaltyPlan {
            part: part_index.get(&format!("penalty:{}", p.column)).copied().unwrap_or(0),
            points: p.points,
            micros: (p.points * MICROS_PER_POINT as f64).round() as i64,
        })
        .collect();
    let group_weight = if card.groups.is_empty() { vec![1.0] } else { card.groups.iter().map(|g| g.weight).collect() };
    CardPlan { measures, penalties, group_weight }
}

/// The columns a scorecard reads, checked in the order the first version checked them.
fn card_input<'a>(card: &'a Scorecard, snapshot: &'a Snapshot, rows: Rows<'a>) -> Result<CardInput<'a>> {
    let mut metrics = Vec::with_capacity(card.measures.len());
    let mut peers = Vec::with_capacity(card.measures.len());
    for (mi, m) in card.measures.iter().enumerate() {
        let path = format!("measures[{mi}]");
        metrics.push(source(snapshot, &m.metric, &format!("{path}.metric"))?);
        peers.push(match &m.scoring {
            Scoring::Percentile { peers: PeerGroup::All } => Some(Peers::All),
            Scoring::Percentile { peers: PeerGroup::Column { column } } => {
                let col = snapshot.column(column)?;
                if matches!(col, ColumnData::Float(_) | ColumnData::Timestamp(_)) {
                    return Err(Error::config(
                        format!("{path}.scoring.peers.column"),
                        format!("peer column `{column}` must be text, integer or boolean (use bins for numbers)"),
                    ));
                }
                Some(Peers::Column(col))
            }
            Scoring::Percentile { peers: PeerGroup::Bins { column, edges } } => {
                Some(Peers::Bins(source(snapshot, column, &format!("{path}.scoring.peers.column"))?, edges))
            }
            _ => None,
        });
    }
    let mut flags = Vec::with_capacity(card.penalties.len());
    for (pi, pen) in card.penalties.iter().enumerate() {
        match snapshot.column(&pen.column)? {
            ColumnData::Bool(v) => flags.push(&v[..]),
            other => {
                return Err(Error::config(
                    format!("penalties[{pi}].column"),
                    format!("column `{}` is {}, not bool", pen.column, other.data_type().as_str()),
                ))
            }
        }
    }
    Ok(CardInput { rows, metrics, peers, flags })
}

/// What scoring a row reads (shared by the threads).
struct RowContext<'a> {
    plans: &'a [CardPlan],
    values: &'a [ValueColumn],
    percentiles: &'a [Vec<Percentiles>],
    /// Per scorecard and measure, for a ramp or tiers over an `i8` column: the points (and
    /// whether there are any) of each of the 256 values, worked out once.
    byte_points: &'a [Vec<Option<ByteTable>>],
    scorecard_of: &'a [u32],
    local_row: &'a [u32],
}

/// One part's `points:` and `contribution:` columns (or a piece of them) in
/// [`HealthScores::to_snapshot`].
type PartColumns = (Vec<Option<f64>>, Vec<Option<f64>>);

/// Points, and whether there are any, of each `i8` value (at value + 128).
type ByteTable = Vec<(f64, bool)>;

/// Rows per block of [`RowContext::score_rows`]: a block's points stay in the first-level cache.
const BLOCK: usize = 256;

/// Scorecards of up to this many measures look their weights up by pattern (which measures have
/// points): at most 65,536 patterns, few of them ever seen.
const PATTERN_MEASURES: usize = 16;

/// Per-thread scratch space for one block of rows.
struct Scratch {
    /// Points, measure by measure: `points[mi * BLOCK + k]` (0 when none).
    points: Vec<f64>,
    /// Whether a measure has points, like `points` (kept only past [`PATTERN_MEASURES`]).
    has: Vec<bool>,
    /// Bit `mi` set when measure `mi` has points.
    pattern: Vec<u64>,
    /// Where each row's weights start in `Patterns::shares` (or in `shares` past
    /// [`PATTERN_MEASURES`]).
    at: Vec<usize>,
    scored: Vec<bool>,
    total: Vec<f64>,
    /// Weights of each row of the block, past [`PATTERN_MEASURES`].
    shares: Vec<f64>,
    wsum: Vec<f64>,
    patterns: Vec<Patterns>,
}

/// Per scorecard, the weights of each pattern seen.
#[derive(Default)]
struct Patterns {
    /// Pattern → index into `scored` (and `shares` / measures), or `u32::MAX`.
    index: Vec<u32>,
    shares: Vec<f64>,
    scored: Vec<bool>,
}

impl Patterns {
    /// Where the weights of `pattern` start in `shares`, and whether it gives a score.
    #[inline]
    fn get(&mut self, plan: &CardPlan, pattern: u64, wsum: &mut Vec<f64>) -> (usize, bool) {
        let nm = plan.measures.len();
        if self.index.is_empty() {
            self.index = vec![u32::MAX; 1 << nm];
        }
        let slot = self.index.get(pattern as usize).copied().unwrap_or(u32::MAX);
        if slot != u32::MAX {
            let slot = slot as usize;
            return (slot * nm, self.scored.get(slot).copied().unwrap_or(false));
        }
        let slot = self.scored.len();
        self.shares.resize((slot + 1) * nm, 0.0);
        let ok = plan.shares(|mi| pattern >> mi & 1 == 1, wsum, &mut self.shares[slot * nm..]);
        self.scored.push(ok);
        if let Some(x) = self.index.get_mut(pattern as usize) {
            *x = slot as u32;
        }
        (slot * nm, ok)
    }
}

impl RowContext<'_> {
    fn card(&self, r: usize) -> (usize, usize) {
        if self.scorecard_of.is_empty() {
            (0, r)
        } else {
            (self.scorecard_of.get(r).copied().unwrap_or(0) as usize, self.local_row.get(r).copied().unwrap_or(0) as usize)
        }
    }

    /// Points of measure `mi` of scorecard `card` for the block's rows `r0..r0 + points.len()`
    /// (all of that scorecard, the `j0`-th onwards among its rows): one column read and one rule
    /// applied per loop.
    #[allow(clippy::too_many_arguments)]
    fn block_points(
        &self,
        card: usize,
        mi: usize,
        m: &MeasurePlan,
        r0: usize,
        j0: usize,
        points: &mut [f64],
        has: Option<&mut [bool]>,
        pattern: &mut [u64],
    ) {
        let Some(column) = self.values.get(m.part) else {
            return self.block_rule(card, mi, m, r0, j0, points, has, pattern, |_| None);
        };
        let present = &column.present;
        let len = points.len();
        // A block starting on a word of presence bits (every block of one scorecard): the
        // column's slice and the block's words, read without a branch per row.
        let words =
            present.0.get(r0 / 64..(r0 + len).div_ceil(64)).filter(|_| r0.is_multiple_of(64) && len <= pattern.len() && mi < 64);
        if let Some(words) = words {
            let bit = if mi < 64 { 1u64 << mi } else { 0 };
            let pct = self.percentiles.get(card).and_then(|c| c.get(mi));
            let done = match &column.data {
                Values::Int8(v) => v.get(r0..r0 + len).map(|v| {
                    match self.byte_points.get(card).and_then(|c| c.get(mi)).and_then(Option::as_deref) {
                        Some(table) => block_table(m, words, v, table, points, pattern, bit),
                        None => block_fast(m, pct, j0, words, |k| f64::from(v[k]), points, pattern, bit),
                    }
                }),
                Values::Int16(v) => {
                    v.get(r0..r0 + len).map(|v| block_fast(m, pct, j0, words, |k| f64::from(v[k]), points, pattern, bit))
                }
                Values::Int(v) => {
                    v.get(r0..r0 + len).map(|v| block_fast(m, pct, j0, words, |k| f64::from(v[k]), points, pattern, bit))
                }
                Values::Float(v) => v.get(r0..r0 + len).map(|v| block_fast(m, pct, j0, words, |k| v[k], points, pattern, bit)),
                Values::Flags(b) => b.0.get(r0 / 64..(r0 + len).div_ceil(64)).map(|b| {
                    block_fast(
                        m,
                        pct,
                        j0,
                        words,
                        |k| if b[k / 64] >> (k % 64) & 1 == 1 { 1.0 } else { 0.0 },
                        points,
                        pattern,
                        bit,
                    )
                }),
            };
            if done.is_some() {
                if let Some(has) = has {
                    for (h, p) in has.iter_mut().zip(pattern.iter()) {
                        *h = p & bit != 0;
                    }
                }
                return;
            }
        }
        match &column.data {
            Values::Int8(v) => self.block_rule(card, mi, m, r0, j0, points, has, pattern, |r| {
                present.get(r).then(|| v.get(r).map_or(0.0, |&x| f64::from(x)))
            }),
            Values::Int16(v) => self.block_rule(card, mi, m, r0, j0, points, has, pattern, |r| {
                present.get(r).then(|| v.get(r).map_or(0.0, |&x| f64::from(x)))
            }),
            Values::Int(v) => self.block_rule(card, mi, m, r0, j0, points, has, pattern, |r| {
                present.get(r).then(|| v.get(r).map_or(0.0, |&x| f64::from(x)))
            }),
            Values::Float(v) => self.block_rule(card, mi, m, r0, j0, points, has, pattern, |r| {
                present.get(r).then(|| v.get(r).copied().unwrap_or(0.0))
            }),
            Values::Flags(b) => self.block_rule(card, mi, m, r0, j0, points, has, pattern, |r| {
                present.get(r).then(|| if b.get(r) { 1.0 } else { 0.0 })
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn block_rule(
        &self,
        card: usize,
        mi: usize,
        m: &MeasurePlan,
        r0: usize,
        j0: usize,
        points: &mut [f64],
        has: Option<&mut [bool]>,
        pattern: &mut [u64],
        value: impl Fn(usize) -> Option<f64>,
    ) {
        let bit = if mi < 64 { 1u64 << mi } else { 0 };
        let len = pattern.len();
        let mut has = has;
        let mut put = |k: usize, p: Option<f64>| {
            if let Some(o) = points.get_mut(k) {
                *o = p.unwrap_or(0.0);
            }
            if p.is_some() {
                if let Some(b) = pattern.get_mut(k) {
                    *b |= bit;
                }
            }
            // Past 64 measures the pattern has no bit for this one.
            if let Some(h) = has.as_deref_mut().and_then(|h| h.get_mut(k)) {
                *h = p.is_some();
            }
        };
        match &m.rule {
            Rule::Ramp { low, high, flip } => {
                for k in 0..len {
                    put(k, value(r0 + k).map(|x| ramp(x, *low, *high, *flip)).or(m.fill));
                }
            }
            Rule::Tiers(tiers) => {
                for k in 0..len {
                    put(k, value(r0 + k).and_then(|x| tier_points(tiers, x)).or(m.fill));
                }
            }
            Rule::Percentile => {
                let pct = self.percentiles.get(card).and_then(|c| c.get(mi));
                for k in 0..len {
                    put(k, value(r0 + k).map(|x| pct.map_or(0.0, |p| p.get(j0 + k, x))).or(m.fill));
                }
            }
        }
    }
}

/// [`RowContext::block_points`] for a block whose presence bits are `words` (row `k` of the
/// block is bit `k % 64` of word `k / 64`) and whose values `value(k)` reads (0 when missing):
/// every row is worked out the same way and the missing ones are then given the measure's
/// fill, so the loops have no branch per row for ramps.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn block_fast(
    m: &MeasurePlan,
    pct: Option<&Percentiles>,
    j0: usize,
    words: &[u64],
    value: impl Fn(usize) -> f64,
    points: &mut [f64],
    pattern: &mut [u64],
    bit: u64,
) {
    let (fill, fill_has) = (m.fill.unwrap_or(0.0), u64::from(m.fill.is_some()));
    let present = |k: usize| words.get(k / 64).is_some_and(|w| w >> (k % 64) & 1 == 1);
    let rows = points.iter_mut().zip(pattern.iter_mut()).enumerate();
    match &m.rule {
        Rule::Ramp { low, high, flip } => {
            for (k, (o, b)) in rows {
                let p = ramp(value(k), *low, *high, *flip);
                let (p, has) = if present(k) { (p, 1) } else { (fill, fill_has) };
                *o = p;
                *b |= bit * has;
            }
        }
        Rule::Tiers(tiers) => {
            for (k, (o, b)) in rows {
                let p = if present(k) { tier_points(tiers, value(k)) } else { None }.or(m.fill);
                *o = p.unwrap_or(0.0);
                *b |= bit * u64::from(p.is_some());
            }
        }
        Rule::Percentile => {
            for (k, (o, b)) in rows {
                let p = if present(k) { Some(pct.map_or(0.0, |p| p.get(j0 + k, value(k)))) } else { None }.or(m.fill);
                *o = p.unwrap_or(0.0);
                *b |= bit * u64::from(p.is_some());
            }
        }
    }
}

/// [`block_fast`] for an `i8` column whose points per value are in `table` (value + 128).
#[inline(always)]
fn block_table(
    m: &MeasurePlan,
    words: &[u64],
    values: &[i8],
    table: &[(f64, bool)],
    points: &mut [f64],
    pattern: &mut [u64],
    bit: u64,
) {
    let (fill, fill_has) = (m.fill.unwrap_or(0.0), u64::from(m.fill.is_some()));
    for (k, ((o, b), &x)) in points.iter_mut().zip(pattern.iter_mut()).zip(values).enumerate() {
        let (p, has) = table.get((i16::from(x) + 128) as usize).copied().unwrap_or((0.0, false));
        let (p, has) =
            if words.get(k / 64).is_some_and(|w| w >> (k % 64) & 1 == 1) { (p, u64::from(has)) } else { (fill, fill_has) };
        *o = p;
        *b |= bit * has;
    }
}

impl RowContext<'_> {
    /// Scores rows `start..start + computed.len()` into `computed`: a block of rows of one
    /// scorecard at a time, measure by measure for the points and the weighted total, then row
    /// by row for rounding and penalties. The integer contributions are not needed for the score
    /// (it is the rounded total less the penalties): [`HealthScores::breakdown`] works
    /// them out when asked.
    fn score_rows(&self, start: usize, flags: &[&[&[Option<bool>]]], computed: &mut [i32]) {
        let n = computed.len();
        let most = self.plans.iter().map(|p| p.measures.len()).max().unwrap_or(0);
        let wide = most > PATTERN_MEASURES;
        let mut s = Scratch {
            points: vec![0.0; most * BLOCK],
            has: if wide { vec![false; most * BLOCK] } else { Vec::new() },
            pattern: vec![0; BLOCK],
            at: vec![0; BLOCK],
            scored: vec![false; BLOCK],
            total: vec![0.0; BLOCK],
            shares: if wide { vec![0.0; most * BLOCK] } else { Vec::new() },
            wsum: Vec::new(),
            patterns: self.plans.iter().map(|_| Patterns::default()).collect(),
        };
        let mut k0 = 0;
        while k0 < n {
            let r0 = start + k0;
            let (card, j0) = self.card(r0);
            let mut len = BLOCK.min(n - k0);
            if !self.scorecard_of.is_empty() {
                len = (1..len).find(|&k| self.card(r0 + k).0 != card).unwrap_or(len);
            }
            let Some(plan) = self.plans.get(card) else {
                k0 += len;
                continue;
            };
            let nm = plan.measures.len();
            let wide = nm > PATTERN_MEASURES;
            s.pattern[..len].iter_mut().for_each(|p| *p = 0);
            for (mi, m) in plan.measures.iter().enumerate() {
                let points = &mut s.points[mi * BLOCK..mi * BLOCK + len];
                let has = if wide { Some(&mut s.has[mi * BLOCK..mi * BLOCK + len]) } else { None };
                self.block_points(card, mi, m, r0, j0, points, has, &mut s.pattern[..len]);
            }
            // Weights: one lookup per row by pattern, or worked out row by row.
            let shares: &[f64] = if wide {
                for k in 0..len {
                    let row = &mut s.shares[k * nm..(k + 1) * nm];
                    let has = &s.has;
                    s.scored[k] = plan.shares(|mi| has[mi * BLOCK + k], &mut s.wsum, row);
                    s.at[k] = k * nm;
                }
                &s.shares
            } else {
                let pats = &mut s.patterns[card];
                for k in 0..len {
                    (s.at[k], s.scored[k]) = pats.get(plan, s.pattern[k], &mut s.wsum);
                }
                &pats.shares
            };
            // The weighted total, adding the measures in order as the first version did.
            let total = &mut s.total[..len];
            total.iter_mut().for_each(|t| *t = 0.0);
            for mi in 0..nm {
                let points = &s.points[mi * BLOCK..mi * BLOCK + len];
                for ((t, &p), &at) in total.iter_mut().zip(points).zip(&s.at[..len]) {
                    *t += shares.get(at + mi).copied().unwrap_or(0.0) * p * MICROS_PER_POINT as f64;
                }
            }
            let row_flags = flags.get(card).copied().unwrap_or(&[]);
            for k in 0..len {
                if !s.scored[k] {
                    continue;
                }
                let r = r0 + k;
                let mut score = round(total[k]).clamp(0, FULL);
                for (pi, pen) in plan.penalties.iter().enumerate() {
                    if row_flags.get(pi).and_then(|f| f.get(r)).copied().flatten() == Some(true) {
                        score -= pen.micros.min(score);
                    }
                }
                computed[k0 + k] = score as i32;
            }
            k0 += len;
        }
    }
}

/// `x.round() as i64` without a call into the maths library.
#[inline]
fn round(x: f64) -> i64 {
    if (0.0..4.0e15).contains(&x) {
        let t = x as i64;
        // Without a branch: the half is up about as often as down.
        t + i64::from(x - t as f64 >= 0.5)
    } else {
        x.round() as i64
    }
}

/// `x.floor()` without a call into the maths library (the baseline x86-64 target has no
/// rounding instruction): exact for every float.
#[inline]
fn floor(x: f64) -> f64 {
    if x.abs() < 4.0e15 {
        let t = x as i64 as f64;
        if t > x {
            t - 1.0
        } else {
            t
        }
    } else {
        x.floor()
    }
}

/// Integer parts of `exact` summing to `total` (largest remainder; ties go to the earlier measure).
fn allocate(exact: &[f64], total: i64, out: &mut [i64]) {
    let n = exact.len();
    let mut fraction = [0.0f64; 64];
    let mut sum = 0i64;
    let mut finite = true;
    for (i, (o, e)) in out.iter_mut().zip(exact).enumerate() {
        let f = floor(*e);
        *o = f as i64;
        sum += *o;
        if let Some(x) = fraction.get_mut(i) {
            *x = e - f;
            finite &= x.is_finite();
        }
    }
    let rest = total - sum;
    if n == 0 || rest == 0 {
        return;
    }
    if rest < 0 || n > 64 || !finite {
        return allocate_one_by_one(exact, rest, out);
    }
    // Handing out the `rest` millionths one by one to the largest remaining fraction (ties to
    // the earlier measure, everyone once before anyone twice) gives every measure `rest / n`,
    // plus one to the `rest % n` first in (fraction descending, index ascending) order. A
    // measure's place in that order is counted without branches (the one-by-one loop
    // mispredicted most of its comparisons).
    let rest = rest as usize;
    let (each, extra) = ((rest / n) as i64, rest % n);
    let fraction = &fraction[..n];
    for (i, o) in out.iter_mut().enumerate() {
        let f = fraction[i];
        let mut place = 0usize;
        for (k, &g) in fraction.iter().enumerate() {
            place += usize::from(g > f) + usize::from(k < i && g == f);
        }
        *o += each + i64::from(place < extra);
    }
}

/// The one-by-one form of [`allocate`] after the floors: hands out `rest` (or takes back
/// `-rest`) millionths.
fn allocate_one_by_one(exact: &[f64], mut rest: i64, out: &mut [i64]) {
    let mut taken: u64 = 0;
    while rest > 0 {
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in exact.iter().enumerate() {
            if i < 64 && taken & (1 << i) != 0 {
                continue;
            }
            let f = e - floor(*e);
            if best.is_none_or(|b| f > b.1) {
                best = Some((i, f));
            }
        }
        let i = best.map_or(0, |b| b.0);
        out[i] += 1;
        if i < 64 {
            taken |= 1 << i;
        }
        if taken.count_ones() as usize >= exact.len().min(64) {
            taken = 0;
        }
        rest -= 1;
    }
    // Only reachable through clamping at 0 or 100: take from the largest parts.
    while rest < 0 {
        let (i, _) = out.iter().enumerate().max_by_key(|(_, v)| **v).unwrap_or((0, &0));
        out[i] -= 1;
        rest += 1;
    }
}


impl ToColumns for HealthScores {
    /// `{name}_score` (0–100, float) and `{name}_band` (text), keyed by account id; `health`
    /// gives the names of [`HealthScores::to_snapshot`].
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_account(
            self.account_ids().to_vec(),
            vec![
                Column::new(format!("{name}_score"), ColumnData::Float(self.scores())),
                Column::new(format!("{name}_band"), ColumnData::Str(self.band_names())),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first version, kept to check [`allocate`] against.
    fn allocate_reference(exact: &[f64], total: i64, out: &mut [i64]) {
        let mut sum = 0i64;
        for (o, e) in out.iter_mut().zip(exact) {
            *o = e.floor() as i64;
            sum += *o;
        }
        if out.is_empty() {
            return;
        }
        allocate_one_by_one(exact, total - sum, out);
    }

    #[test]
    fn allocate_matches_the_one_by_one_loop() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..20_000 {
            let n = 1 + case % 12;
            let exact: Vec<f64> = (0..n)
                .map(|k| match (case / 12 + k) % 5 {
                    0 => (next() * 8.0).floor() * 0.25 * 1e6,
                    1 => 0.0,
                    _ => next() * 3e7,
                })
                .collect();
            let sum: f64 = exact.iter().sum();
            for total in [sum.round() as i64, sum.round() as i64 + n as i64 + 3, (sum.round() as i64 - 5).max(0)] {
                let (mut a, mut b) = (vec![0; n], vec![0; n]);
                allocate(&exact, total, &mut a);
                allocate_reference(&exact, total, &mut b);
                assert_eq!(a, b, "{exact:?} to {total}");
                assert_eq!(a.iter().sum::<i64>(), total);
            }
        }
    }

    #[test]
    fn round_matches_the_library() {
        for x in [0.0, -0.0, 0.5, 0.499_999_999_999_999_94, 1.5, 2.5, 99_999_999.5, 1e8, 4.1e15, -2.5, 1e300, f64::NAN] {
            assert_eq!(round(x), x.round() as i64, "{x}");
        }
    }

    #[test]
    fn floor_matches_the_library() {
        for x in [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.999_999, -2.000_001, 4.1e15, -4.1e15, 1e300, f64::INFINITY, f64::NAN] {
            assert_eq!(floor(x).to_bits() & !(1 << 63), x.floor().to_bits() & !(1 << 63), "{x}");
        }
    }
}

impl HealthScores {
    /// The as-of instant of the scored snapshot.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.account_ids.len()
    }

    /// True when no account was scored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Account ids, one per row (built on the first call; [`HealthScores::account_id`] reads
    /// one without building them all).
    pub fn account_ids(&self) -> &[String] {
        self.account_ids.list()
    }

    /// The account id of row `i`.
    pub fn account_id(&self, i: usize) -> Option<&str> {
        self.account_ids.get(i)
    }

    /// The bands used.
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// Measure names and `penalty:<column>` parts, in column order.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// Final score of row `i` in millionths of a point (override applied).
    pub fn score_micros(&self, i: usize) -> Option<i64> {
        match self.override_index(i) {
            Some(o) => self.overrides.get(o).map(|o| (o.score * MICROS_PER_POINT as f64).round() as i64),
            None => self.computed_micros(i),
        }
    }

    fn override_index(&self, i: usize) -> Option<usize> {
        if self.override_of.is_empty() {
            return None;
        }
        self.override_of.binary_search_by_key(&i, |x| x.0).ok().and_then(|k| self.override_of.get(k)).map(|x| x.1 as usize)
    }

    /// Score of row `i` computed by the scorecard (before any override), in millionths of a point.
    pub fn computed_micros(&self, i: usize) -> Option<i64> {
        self.computed.get(i).copied().filter(|&s| s != NO_SCORE).map(i64::from)
    }

    /// Contribution of part `p` to row `i`, in millionths of a point (worked out again from the
    /// row's points: for many parts of one row, [`HealthScores::row`] does it once).
    pub fn contribution_micros(&self, p: usize, i: usize) -> i64 {
        let mut b = Breakdown::default();
        self.breakdown(i, &mut b);
        b.contributions.get(p).copied().unwrap_or(0)
    }

    /// Row `i`'s points and weights by measure and contributions by part (in millionths of a
    /// point: the integer split of the row's weighted total, exactly as scoring rounded it; 0 for
    /// parts of other scorecards and for rows without a score), into `b`. Gives the row's
    /// scorecard.
    fn breakdown(&self, i: usize, b: &mut Breakdown) -> Option<usize> {
        b.contributions.clear();
        b.contributions.resize(self.parts.len(), 0);
        b.points.clear();
        b.shares.clear();
        let (card, j) = self.card_of(i);
        let plan = self.plans.get(card)?;
        let nm = plan.measures.len();
        b.points.extend((0..nm).map(|mi| self.measure_points(card, mi, i, j)));
        b.shares.resize(nm, 0.0);
        let points = &b.points;
        let scored = plan.shares(|mi| points[mi].is_some(), &mut b.wsum, &mut b.shares);
        if !scored || self.computed_micros(i).is_none() {
            return Some(card);
        }
        b.exact.clear();
        let mut total = 0.0;
        for (share, p) in b.shares.iter().zip(points) {
            let exact = share * p.unwrap_or(0.0) * MICROS_PER_POINT as f64;
            b.exact.push(exact);
            total += exact;
        }
        let mut score = round(total).clamp(0, FULL);
        b.micros.clear();
        b.micros.resize(nm, 0);
        allocate(&b.exact, score, &mut b.micros);
        for (m, &c) in plan.measures.iter().zip(&b.micros) {
            if let Some(o) = b.contributions.get_mut(m.part) {
                *o = c;
            }
        }
        for pen in &plan.penalties {
            if self.value(pen.part, i) == Some(1.0) {
                let take = pen.micros.min(score);
                score -= take;
                if let Some(o) = b.contributions.get_mut(pen.part) {
                    *o = -take;
                }
            }
        }
        Some(card)
    }

    /// Final scores (0–100), one per row.
    pub fn scores(&self) -> Vec<Option<f64>> {
        (0..self.len()).map(|i| self.score_micros(i).map(to_points)).collect()
    }

    /// Band index of every row (into [`HealthScores::bands`]).
    pub fn band_indices(&self) -> Vec<Option<usize>> {
        (0..self.len()).map(|i| self.score_micros(i).and_then(|s| band_index(&self.bands, to_points(s)))).collect()
    }

    /// Band names, one per row.
    pub fn band_names(&self) -> Vec<Option<String>> {
        self.band_indices().into_iter().map(|b| b.and_then(|b| self.bands.get(b)).map(|b| b.name.clone())).collect()
    }

    /// The row of an account.
    pub fn row_of(&self, account_id: &str) -> Option<usize> {
        self.account_ids.iter().position(|a| a == account_id)
    }

    /// The scorecard of row `i` and the row's place among that scorecard's rows.
    fn card_of(&self, i: usize) -> (usize, usize) {
        if self.scorecard_of.is_empty() {
            (0, i)
        } else {
            (self.scorecard_of.get(i).copied().unwrap_or(0) as usize, self.local_row.get(i).copied().unwrap_or(0) as usize)
        }
    }

    /// The value of part `p` in row `i`.
    fn value(&self, p: usize, i: usize) -> Option<f64> {
        self.values.get(p).and_then(|v| v.get(i))
    }

    /// Points of measure `mi` of scorecard `card` in row `i` (the `j`-th of its scorecard).
    fn measure_points(&self, card: usize, mi: usize, i: usize, j: usize) -> Option<f64> {
        let m = self.plans.get(card)?.measures.get(mi)?;
        let pct = |x| self.percentiles.get(card).and_then(|c| c.get(mi)).map_or(0.0, |p| p.get(j, x));
        m.points(self.value(m.part, i), pct)
    }

    /// Points of a penalty part in row `i` (set only when the flag is set and the row has a score).
    fn penalty_points(&self, pen: &PenaltyPlan, i: usize) -> Option<f64> {
        (self.value(pen.part, i) == Some(1.0)).then_some(pen.points)
    }

    /// Which measure or penalty of scorecard `card` part `p` is.
    fn entry(&self, card: usize, p: usize) -> Option<Entry> {
        let plan = self.plans.get(card)?;
        // Two penalties on one column share the part: the last one's points show (as they did).
        if let Some(pi) = plan.penalties.iter().rposition(|x| x.part == p) {
            return Some(Entry::Penalty(pi));
        }
        plan.measures.iter().position(|x| x.part == p).map(Entry::Measure)
    }

    /// Row `i` with its breakdown.
    pub fn row(&self, i: usize) -> Option<AccountHealth> {
        self.row_with(i, &mut Breakdown::default())
    }

    /// [`HealthScores::row`] with buffers reused from row to row.
    fn row_with(&self, i: usize, b: &mut Breakdown) -> Option<AccountHealth> {
        let id = self.account_ids.get(i)?;
        let card = self.breakdown(i, b)?;
        let plan = self.plans.get(card)?;
        let score = self.score_micros(i).map(to_points);
        let band = score.and_then(|s| band_index(&self.bands, s)).and_then(|b| self.bands.get(b));
        let parts = self.card_parts.get(card).map(Vec::as_slice).unwrap_or(&[]);
        let measures = parts
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                let (points, weight) = match k.checked_sub(plan.measures.len()) {
                    None => (b.points.get(k).copied().flatten(), b.shares.get(k).copied().unwrap_or(0.0)),
                    Some(_) => match self.entry(card, p) {
                        Some(Entry::Penalty(pi)) => (plan.penalties.get(pi).and_then(|pen| self.penalty_points(pen, i)), 0.0),
                        _ => (None, 0.0),
                    },
                };
                MeasureScore {
                    name: self.parts[p].clone(),
                    value: self.value(p, i),
                    points,
                    weight,
                    contribution: to_points(b.contributions.get(p).copied().unwrap_or(0)),
                }
            })
            .collect();
        let r#override = self.override_index(i).and_then(|o| self.overrides.get(o)).map(|o| AppliedOverride {
            computed_score: self.computed_micros(i).map(to_points),
            reason: o.reason.clone(),
            set_by: o.set_by.clone(),
            expires_at: o.expires_at,
        });
        Some(AccountHealth {
            account_id: id.to_string(),
            score,
            band: band.map(|b| b.name.clone()),
            color: band.map(|b| b.color.clone()),
            scorecard: self.scorecards.get(card).cloned().unwrap_or_default(),
            measures,
            r#override,
        })
    }

    /// One account's health with its breakdown.
    pub fn account(&self, account_id: &str) -> Option<AccountHealth> {
        self.row_of(account_id).and_then(|i| self.row(i))
    }

    /// Every row with its breakdown.
    pub fn rows(&self) -> Vec<AccountHealth> {
        let mut b = Breakdown::default();
        (0..self.len()).filter_map(|i| self.row_with(i, &mut b)).collect()
    }

    /// A table: `account_id` plus `health_score`, `health_band`, and for every part
    /// `points:<name>` and `contribution:<name>`.
    pub fn to_snapshot(&self) -> Result<Snapshot> {
        let mut cols = vec![
            Column::new("health_score", ColumnData::Float(self.scores())),
            Column::new("health_band", ColumnData::Str(self.band_names())),
        ];
        // Which measure or penalty each part is, per scorecard.
        let entries: Vec<Vec<Option<Entry>>> =
            (0..self.plans.len()).map(|c| (0..self.parts.len()).map(|p| self.entry(c, p)).collect()).collect();
        // Rows worked out again in parallel ranges, each giving its piece of every column.
        let np = self.parts.len();
        // Per part: the points and the contributions of the range's rows.
        let piece = |rows: std::ops::Range<usize>| -> Vec<PartColumns> {
            let mut out = vec![(Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len())); np];
            let mut b = Breakdown::default();
            for i in rows {
                let card = self.breakdown(i, &mut b);
                let plan = card.and_then(|c| self.plans.get(c));
                let entries = card.and_then(|c| entries.get(c)).map_or(&[][..], Vec::as_slice);
                for (p, ((points, contributions), &c)) in out.iter_mut().zip(&b.contributions).enumerate() {
                    contributions.push(Some(to_points(c)));
                    points.push(match entries.get(p).copied().flatten() {
                        Some(Entry::Measure(mi)) => b.points.get(mi).copied().flatten(),
                        Some(Entry::Penalty(pi)) => {
                            plan.and_then(|plan| plan.penalties.get(pi)).and_then(|pen| self.penalty_points(pen, i))
                        }
                        None => None,
                    });
                }
            }
            out
        };
        let n = self.len();
        let pieces: Vec<_> = crate::stats::map_ranges(n, threads(n), piece);
        let mut pieces = pieces.into_iter();
        let mut columns = pieces.next().unwrap_or_default();
        for more in pieces {
            for ((points, contributions), (p, c)) in columns.iter_mut().zip(more) {
                points.extend(p);
                contributions.extend(c);
            }
        }
        for (name, (points, contributions)) in self.parts.iter().zip(columns) {
            cols.push(Column::new(format!("points:{name}"), ColumnData::Float(points)));
            cols.push(Column::new(format!("contribution:{name}"), ColumnData::Float(contributions)));
        }
        Snapshot::from_columns(self.as_of, self.account_ids.to_vec(), cols)
    }

    /// Adds `health_score` and `health_band` columns to `snapshot` (rows matched by account id).
    pub fn add_to_snapshot(&self, snapshot: &mut Snapshot) -> Result<()> {
        let index: HashMap<&str, usize> = self.account_ids.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let scores = self.scores();
        let bands = self.band_names();
        let (s, b): (Vec<_>, Vec<_>) = snapshot
            .account_ids()
            .iter()
            .map(|a| index.get(a.as_str()).map_or((None, None), |&i| (scores[i], bands[i].clone())))
            .unzip();
        snapshot.add_column(Column::new("health_score", ColumnData::Float(s)))?;
        snapshot.add_column(Column::new("health_band", ColumnData::Str(b)))
    }

    /// Trend and why-changed for every account scored at both dates: `self` is the later
    /// scoring, `earlier` the earlier one. The per-measure deltas sum exactly (in millionths of a
    /// point) to the score delta; an override's effect is its own `override` part.
    pub fn changes_since(&self, earlier: &HealthScores) -> Vec<ScoreChange> {
        let index: HashMap<&str, usize> = earlier.account_ids.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let mut names: Vec<String> = earlier.parts.clone();
        for p in &self.parts {
            if !names.contains(p) {
                names.push(p.clone());
            }
        }
        let part = |h: &HealthScores, name: &str| h.parts.iter().position(|p| p == name);
        let a_parts: Vec<Option<usize>> = names.iter().map(|n| part(earlier, n)).collect();
        let b_parts: Vec<Option<usize>> = names.iter().map(|n| part(self, n)).collect();
        let mut out = Vec::new();
        let (mut ba, mut bb) = (Breakdown::default(), Breakdown::default());
        for (j, id) in self.account_ids.iter().enumerate() {
            let Some(&i) = index.get(id) else { continue };
            let (Some(sa), Some(sb)) = (earlier.score_micros(i), self.score_micros(j)) else { continue };
            let mut by: Vec<(i64, MeasureChange)> = Vec::new();
            earlier.breakdown(i, &mut ba);
            self.breakdown(j, &mut bb);
            let (row_a, row_b) = (&ba.contributions, &bb.contributions);
            for (k, name) in names.iter().enumerate() {
                let ca = a_parts[k].and_then(|p| row_a.get(p)).copied().unwrap_or(0);
                let cb = b_parts[k].and_then(|p| row_b.get(p)).copied().unwrap_or(0);
                let va = a_parts[k].and_then(|p| earlier.value(p, i));
                let vb = b_parts[k].and_then(|p| self.value(p, j));
                if ca == 0 && cb == 0 && va.is_none() && vb.is_none() {
                    continue;
                }
                by.push((
                    cb - ca,
                    MeasureChange {
                        name: name.clone(),
                        value_before: va,
                        value_after: vb,
                        before: to_points(ca),
                        after: to_points(cb),
                        delta: to_points(cb - ca),
                    },
                ));
            }
            let oa = sa - earlier.computed_micros(i).unwrap_or(sa);
            let ob = sb - self.computed_micros(j).unwrap_or(sb);
            if oa != 0 || ob != 0 {
                by.push((
                    ob - oa,
                    MeasureChange {
                        name: "override".into(),
                        value_before: None,
                        value_after: None,
                        before: to_points(oa),
                        after: to_points(ob),
                        delta: to_points(ob - oa),
                    },
                ));
            }
            by.sort_by(|a, b| b.0.abs().cmp(&a.0.abs()).then_with(|| a.1.name.cmp(&b.1.name)));
            let band = |h: &HealthScores, s: i64| {
                band_index(&h.bands, to_points(s)).and_then(|b| h.bands.get(b)).map(|b| b.name.clone())
            };
            out.push(ScoreChange {
                account_id: id.to_string(),
                before: to_points(sa),
                after: to_points(sb),
                delta: to_points(sb - sa),
                band_before: band(earlier, sa),
                band_after: band(self, sb),
                by_measure: by.into_iter().map(|x| x.1).collect(),
            });
        }
        out
    }

    /// Revenue-weighted roll-up of child accounts to their parents: for every account with
    /// descendants (through `parent_id`), the mean score of itself and all its descendants
    /// weighted by `weight_column` (e.g. `mrr`); an unweighted mean when all weights are 0.
    pub fn rollup(&self, snapshot: &Snapshot, weight_column: &str) -> Result<Vec<Rollup>> {
        let parent = snapshot.column("parent_id")?;
        let weights = numeric(snapshot, weight_column, "weight_column")?;
        let index: HashMap<&str, usize> = snapshot.account_ids().iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
        let score_index: HashMap<&str, usize> = self.account_ids.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let n = snapshot.len();
        // Each account's members: itself plus every descendant (walk up from each account).
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let mut cur = i;
            let mut steps = 0;
            while let ColumnData::Str(v) = parent {
                let Some(p) = v.get(cur).cloned().flatten() else { break };
                let Some(&pi) = index.get(p.as_str()) else { break };
                if pi == i || steps > n {
                    break; // a cycle
                }
                members[pi].push(i);
                cur = pi;
                steps += 1;
            }
        }
        let mut out = Vec::new();
        for (p, kids) in members.iter().enumerate() {
            if kids.is_empty() {
                continue;
            }
            let mut rows: Vec<(f64, f64)> = Vec::new();
            for &a in std::iter::once(&p).chain(kids.iter()) {
                let id = snapshot.account_ids()[a].as_str();
                if let Some(s) = score_index.get(id).and_then(|&r| self.score_micros(r)) {
                    rows.push((to_points(s), weights[a].unwrap_or(0.0).max(0.0)));
                }
            }
            let wsum: f64 = rows.iter().map(|r| r.1).sum();
            let score = if rows.is_empty() {
                None
            } else if wsum > 0.0 {
                Some(rows.iter().map(|r| r.0 * r.1).sum::<f64>() / wsum)
            } else {
                Some(rows.iter().map(|r| r.0).sum::<f64>() / rows.len() as f64)
            };
            out.push(Rollup {
                account_id: snapshot.account_ids()[p].clone(),
                descendants: kids.len(),
                scored: rows.len(),
                weight: wsum,
                score,
                band: score.and_then(|s| band_index(&self.bands, s)).and_then(|b| self.bands.get(b)).map(|b| b.name.clone()),
            });
        }
        Ok(out)
    }
}

/// A parent account's rolled-up health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    /// The parent account.
    pub account_id: String,
    /// Number of descendants.
    pub descendants: usize,
    /// Accounts (parent included) with a score.
    pub scored: usize,
    /// Total weight (e.g. MRR) of the scored accounts.
    pub weight: f64,
    /// Weighted mean score.
    pub score: Option<f64>,
    /// Band of the rolled-up score.
    pub band: Option<String>,
}
