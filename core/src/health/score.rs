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

use crate::error::{Error, Result};
use crate::metrics::{ColumnData, Snapshot};
use crate::stats::run_tasks;
use crate::time::Timestamp;

use super::config::{Band, Direction, MissingPolicy, Override, PeerGroup, Scorecard, ScorecardSet, Scoring, Tier};
use super::rank::{group_keys, percentile_points, Keys, Peers, Percentiles, Rows, Source};
use super::store::{AccountIds, Bits, ValueColumn, Values};

/// Millionths of a point per point.
pub const MICROS_PER_POINT: i64 = 1_000_000;
pub(super) const FULL: i64 = 100 * MICROS_PER_POINT;
/// The computed score of a row without any measure value.
pub(super) const NO_SCORE: i32 = i32::MIN;

pub(super) fn to_points(micros: i64) -> f64 {
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
    pub(super) as_of: Timestamp,
    pub(super) account_ids: AccountIds,
    pub(super) bands: Vec<Band>,
    pub(super) scorecards: Vec<String>,
    /// The scorecard of each row; empty when there is one scorecard.
    pub(super) scorecard_of: Vec<u32>,
    /// Each row's index among its scorecard's rows; empty when there is one scorecard.
    pub(super) local_row: Vec<u32>,
    /// The parts each scorecard uses.
    pub(super) card_parts: Vec<Vec<usize>>,
    /// How each scorecard turns values into points and weights.
    pub(super) plans: Vec<CardPlan>,
    /// Measure names, then `penalty:<column>` entries.
    pub(super) parts: Vec<String>,
    /// The value of every part, one column per part.
    pub(super) values: Vec<ValueColumn>,
    /// Percentile points per scorecard and measure, by [`HealthScores::local_row`] (empty
    /// for other scorings).
    pub(super) percentiles: Vec<Vec<Percentiles>>,
    /// The scorecard's score in millionths of a point, [`NO_SCORE`] when none.
    pub(super) computed: Vec<i32>,
    pub(super) overrides: Vec<Override>,
    /// `(row, index into overrides)`, by row.
    pub(super) override_of: Vec<(usize, u32)>,
}

/// How one scorecard turns a row's values into points, weights and contributions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CardPlan {
    pub(super) measures: Vec<MeasurePlan>,
    pub(super) penalties: Vec<PenaltyPlan>,
    pub(super) group_weight: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct MeasurePlan {
    pub(super) part: usize,
    pub(super) weight: f64,
    pub(super) group: usize,
    pub(super) rule: Rule,
    /// Points when the value is missing (or falls in no tier).
    pub(super) fill: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rule {
    Ramp { low: f64, high: f64, flip: bool },
    Tiers(Vec<Tier>),
    Percentile,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct PenaltyPlan {
    pub(super) part: usize,
    pub(super) points: f64,
    pub(super) micros: i64,
}

/// Ramp points: 0 at `low`, 100 at `high` (reversed with `flip`), linear between.
#[inline]
pub(super) fn ramp(x: f64, low: f64, high: f64, flip: bool) -> f64 {
    let t = ((x - low) / (high - low)).clamp(0.0, 1.0) * 100.0;
    if flip {
        100.0 - t
    } else {
        t
    }
}

/// Points of the first tier holding `x`.
#[inline]
pub(super) fn tier_points(tiers: &[Tier], x: f64) -> Option<f64> {
    tiers.iter().find(|t| t.contains(x)).map(|t| t.points)
}

impl MeasurePlan {
    /// Points (0–100) of a value; `percentile` gives the row's percentile points of a value for
    /// that rule.
    #[inline]
    pub(super) fn points(&self, value: Option<f64>, percentile: impl FnOnce(f64) -> f64) -> Option<f64> {
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
    pub(super) fn shares(&self, has_points: impl Fn(usize) -> bool, wsum: &mut Vec<f64>, out: &mut [f64]) -> bool {
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
pub(super) struct Breakdown {
    pub(super) points: Vec<Option<f64>>,
    pub(super) shares: Vec<f64>,
    pub(super) wsum: Vec<f64>,
    pub(super) exact: Vec<f64>,
    pub(super) micros: Vec<i64>,
    pub(super) contributions: Vec<i64>,
}

/// Which part of a scorecard a part is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Entry {
    Measure(usize),
    Penalty(usize),
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
pub(super) enum CaseKey<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
    Empty,
}

pub(super) fn case_key(col: &ColumnData, i: usize) -> CaseKey<'_> {
    match col {
        ColumnData::Str(v) => v.get(i).and_then(Option::as_deref).map_or(CaseKey::Empty, CaseKey::Text),
        ColumnData::Int(v) => v.get(i).copied().flatten().map_or(CaseKey::Empty, CaseKey::Int),
        ColumnData::Bool(v) => v.get(i).copied().flatten().map_or(CaseKey::Empty, CaseKey::Bool),
        _ => CaseKey::Empty,
    }
}

/// A case's values, ready to compare with [`CaseKey`]s without formatting every row.
pub(super) struct CaseValues<'a> {
    pub(super) text: &'a [String],
    pub(super) ints: Vec<i64>,
    pub(super) bools: Vec<bool>,
    pub(super) empty: bool,
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
pub(super) fn source<'a>(snapshot: &'a Snapshot, name: &str, path: &str) -> Result<Source<'a>> {
    let col = snapshot.column(name)?;
    Source::of(col).ok_or_else(|| Error::config(path, format!("column `{name}` is {}, not numeric", col.data_type().as_str())))
}

pub(super) fn numeric(snapshot: &Snapshot, name: &str, path: &str) -> Result<Vec<Option<f64>>> {
    let s = source(snapshot, name, path)?;
    Ok((0..snapshot.len()).map(|r| s.get(r)).collect())
}

/// Threads for one scoring: all cores (at most 8), one for small snapshots.
pub(super) fn threads(rows: usize) -> usize {
    if rows < 16_384 {
        return 1;
    }
    crate::stats::max_threads()
}

/// What the parallel steps read of one scorecard, resolved (and checked) against the snapshot.
pub(super) struct CardInput<'a> {
    pub(super) rows: Rows<'a>,
    /// Per measure: the metric.
    pub(super) metrics: Vec<Source<'a>>,
    /// Per measure: the peers of a percentile measure.
    pub(super) peers: Vec<Option<Peers<'a>>>,
    pub(super) flags: Vec<&'a [Option<bool>]>,
}

pub(super) fn score_set(cards: &[&Scorecard], set: Option<&ScorecardSet>, snapshot: &Snapshot) -> Result<HealthScores> {
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
pub(super) fn plan(card: &Scorecard, part_index: &HashMap<String, usize>) -> CardPlan {
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
pub(super) fn card_input<'a>(card: &'a Scorecard, snapshot: &'a Snapshot, rows: Rows<'a>) -> Result<CardInput<'a>> {
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
pub(super) struct RowContext<'a> {
    pub(super) plans: &'a [CardPlan],
    pub(super) values: &'a [ValueColumn],
    pub(super) percentiles: &'a [Vec<Percentiles>],
    /// Per scorecard and measure, for a ramp or tiers over an `i8` column: the points (and
    /// whether there are any) of each of the 256 values, worked out once.
    pub(super) byte_points: &'a [Vec<Option<ByteTable>>],
    pub(super) scorecard_of: &'a [u32],
    pub(super) local_row: &'a [u32],
}

/// One part's `points:` and `contribution:` columns (or a piece of them) in
/// [`HealthScores::to_snapshot`].
pub(super) type PartColumns = (Vec<Option<f64>>, Vec<Option<f64>>);

/// Points, and whether there are any, of each `i8` value (at value + 128).
pub(super) type ByteTable = Vec<(f64, bool)>;

/// Rows per block of [`RowContext::score_rows`]: a block's points stay in the first-level cache.
pub(super) const BLOCK: usize = 256;

/// Scorecards of up to this many measures look their weights up by pattern (which measures have
/// points): at most 65,536 patterns, few of them ever seen.
pub(super) const PATTERN_MEASURES: usize = 16;

/// Per-thread scratch space for one block of rows.
pub(super) struct Scratch {
    /// Points, measure by measure: `points[mi * BLOCK + k]` (0 when none).
    pub(super) points: Vec<f64>,
    /// Whether a measure has points, like `points` (kept only past [`PATTERN_MEASURES`]).
    pub(super) has: Vec<bool>,
    /// Bit `mi` set when measure `mi` has points.
    pub(super) pattern: Vec<u64>,
    /// Where each row's weights start in `Patterns::shares` (or in `shares` past
    /// [`PATTERN_MEASURES`]).
    pub(super) at: Vec<usize>,
    pub(super) scored: Vec<bool>,
    pub(super) total: Vec<f64>,
    /// Weights of each row of the block, past [`PATTERN_MEASURES`].
    pub(super) shares: Vec<f64>,
    pub(super) wsum: Vec<f64>,
    pub(super) patterns: Vec<Patterns>,
}

/// Per scorecard, the weights of each pattern seen.
#[derive(Default)]
pub(super) struct Patterns {
    /// Pattern → index into `scored` (and `shares` / measures), or `u32::MAX`.
    pub(super) index: Vec<u32>,
    pub(super) shares: Vec<f64>,
    pub(super) scored: Vec<bool>,
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
pub(super) fn block_fast(
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
pub(super) fn block_table(
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
pub(super) fn round(x: f64) -> i64 {
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
pub(super) fn floor(x: f64) -> f64 {
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
pub(super) fn allocate(exact: &[f64], total: i64, out: &mut [i64]) {
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
pub(super) fn allocate_one_by_one(exact: &[f64], mut rest: i64, out: &mut [i64]) {
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
