//! Scoring a [`Snapshot`] with a [`Scorecard`] (or a [`ScorecardSet`]): per account the score,
//! band, each measure's points and contribution, and why a score changed between two dates.
//!
//! Contributions are held in millionths of a point (integers): the score is exactly the sum of
//! its contributions, and a change between two dates is exactly the sum of its per-measure parts.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{Column, ColumnData, Snapshot};
use crate::time::Timestamp;

use super::config::{band_index, Band, Direction, MissingPolicy, Override, PeerGroup, Scorecard, ScorecardSet, Scoring};

/// Millionths of a point per point.
pub const MICROS_PER_POINT: i64 = 1_000_000;
const FULL: i64 = 100 * MICROS_PER_POINT;

fn to_points(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_POINT as f64
}

/// Health scores of every account of a snapshot, held column-wise.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthScores {
    as_of: Timestamp,
    account_ids: Vec<String>,
    bands: Vec<Band>,
    scorecards: Vec<String>,
    scorecard_of: Vec<u32>,
    /// The parts each scorecard uses.
    card_parts: Vec<Vec<usize>>,
    /// Measure names, then `penalty:<column>` entries.
    parts: Vec<String>,
    values: Vec<Vec<Option<f64>>>,
    points: Vec<Vec<Option<f64>>>,
    shares: Vec<Vec<f64>>,
    contributions: Vec<Vec<i64>>,
    computed: Vec<Option<i64>>,
    overrides: Vec<Override>,
    override_of: Vec<Option<u32>>,
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

fn key_of(col: &ColumnData, i: usize) -> String {
    match col {
        ColumnData::Str(v) => v.get(i).cloned().flatten().unwrap_or_default(),
        ColumnData::Int(v) => v.get(i).copied().flatten().map(|x| x.to_string()).unwrap_or_default(),
        ColumnData::Bool(v) => v.get(i).copied().flatten().map(|x| x.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn numeric(snapshot: &Snapshot, name: &str, path: &str) -> Result<Vec<Option<f64>>> {
    let col = snapshot.column(name)?;
    match col {
        ColumnData::Bool(v) => Ok(v.iter().map(|b| b.map(|b| if b { 1.0 } else { 0.0 })).collect()),
        _ => col
            .to_f64()
            .ok_or_else(|| Error::config(path, format!("column `{name}` is {}, not numeric", col.data_type().as_str()))),
    }
}

fn score_set(cards: &[&Scorecard], set: Option<&ScorecardSet>, snapshot: &Snapshot) -> Result<HealthScores> {
    let n = snapshot.len();
    for c in cards {
        c.validate()?;
    }
    // Which card scores each row.
    let mut card_of = vec![(cards.len() - 1) as u32; n];
    if let Some(set) = set {
        set.validate()?;
        let col = snapshot.column(&set.column)?;
        for (i, slot) in card_of.iter_mut().enumerate() {
            let k = key_of(col, i);
            if let Some(c) = set.cases.iter().position(|c| c.values.contains(&k)) {
                *slot = c as u32;
            }
        }
    }
    // The union of parts, in order of first appearance.
    let mut parts: Vec<String> = Vec::new();
    let mut part_index: HashMap<String, usize> = HashMap::new();
    for c in cards {
        let names = c.measures.iter().map(|m| m.name.clone()).chain(c.penalties.iter().map(|p| format!("penalty:{}", p.column)));
        for name in names {
            if !part_index.contains_key(&name) {
                part_index.insert(name.clone(), parts.len());
                parts.push(name);
            }
        }
    }
    let np = parts.len();
    let mut out = HealthScores {
        as_of: snapshot.as_of(),
        account_ids: snapshot.account_ids().to_vec(),
        bands: cards[0].bands.clone(),
        scorecards: cards.iter().map(|c| c.name.clone()).collect(),
        scorecard_of: card_of.clone(),
        card_parts: cards
            .iter()
            .map(|c| {
                c.measures
                    .iter()
                    .map(|m| m.name.clone())
                    .chain(c.penalties.iter().map(|p| format!("penalty:{}", p.column)))
                    .filter_map(|n| part_index.get(&n).copied())
                    .collect()
            })
            .collect(),
        parts,
        values: vec![vec![None; n]; np],
        points: vec![vec![None; n]; np],
        shares: vec![vec![0.0; n]; np],
        contributions: vec![vec![0; n]; np],
        computed: vec![None; n],
        overrides: Vec::new(),
        override_of: vec![None; n],
    };
    for (ci, card) in cards.iter().enumerate() {
        let rows: Vec<usize> =
            if cards.len() == 1 { (0..n).collect() } else { (0..n).filter(|&i| card_of[i] == ci as u32).collect() };
        if rows.is_empty() {
            // Still check the names so a typo does not hide until a segment appears.
            for (mi, m) in card.measures.iter().enumerate() {
                numeric(snapshot, &m.metric, &format!("measures[{mi}].metric"))?;
            }
            continue;
        }
        score_card(card, snapshot, &rows, &part_index, &mut out)?;
    }
    // Overrides (from every card; the set's default card is last).
    let as_of = snapshot.as_of();
    let any_override = cards.iter().any(|c| !c.overrides.is_empty());
    let mut by_account: FxHashMap<&str, usize> = FxHashMap::default();
    if any_override {
        by_account.reserve(n);
        for (i, id) in snapshot.account_ids().iter().enumerate() {
            by_account.insert(id.as_str(), i);
        }
    }
    for card in cards {
        for o in &card.overrides {
            let live = o.set_at.is_none_or(|s| s <= as_of) && as_of < o.expires_at;
            if let (true, Some(&row)) = (live, by_account.get(o.account_id.as_str())) {
                if out.override_of[row].is_none() {
                    out.override_of[row] = Some(out.overrides.len() as u32);
                    out.overrides.push(o.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Points (0–100) of every row in `rows` for one measure, `None` when missing or uncovered.
fn measure_points(
    m: &super::config::Measure,
    values: &[Option<f64>],
    rows: &[usize],
    snapshot: &Snapshot,
    path: &str,
) -> Result<Vec<Option<f64>>> {
    let flip = m.direction == Direction::LowerIsBetter;
    match &m.scoring {
        Scoring::Ramp { low, high } => Ok(rows
            .iter()
            .map(|&r| {
                values[r].map(|x| {
                    let t = ((x - low) / (high - low)).clamp(0.0, 1.0) * 100.0;
                    if flip {
                        100.0 - t
                    } else {
                        t
                    }
                })
            })
            .collect()),
        Scoring::Tiers { tiers } => {
            Ok(rows.iter().map(|&r| values[r].and_then(|x| tiers.iter().find(|t| t.contains(x)).map(|t| t.points))).collect())
        }
        Scoring::Percentile { peers } => {
            // Group rows by peer key, then rank within each group.
            let keys: Vec<u32> = match peers {
                PeerGroup::All => vec![0; rows.len()],
                PeerGroup::Column { column } => {
                    let col = snapshot.column(column)?;
                    if matches!(col, ColumnData::Float(_) | ColumnData::Timestamp(_)) {
                        return Err(Error::config(
                            format!("{path}.scoring.peers.column"),
                            format!("peer column `{column}` must be text, integer or boolean (use bins for numbers)"),
                        ));
                    }
                    let mut ids: HashMap<String, u32> = HashMap::new();
                    rows.iter()
                        .map(|&r| {
                            let k = key_of(col, r);
                            let next = ids.len() as u32;
                            *ids.entry(k).or_insert(next)
                        })
                        .collect()
                }
                PeerGroup::Bins { column, edges } => {
                    let v = numeric(snapshot, column, &format!("{path}.scoring.peers.column"))?;
                    rows.iter()
                        .map(|&r| match v[r] {
                            None => 0,
                            Some(x) => 1 + edges.partition_point(|e| *e <= x) as u32,
                        })
                        .collect()
                }
            };
            let groups = keys.iter().copied().max().map_or(0, |k| k as usize + 1);
            let mut members: Vec<Vec<f64>> = vec![Vec::new(); groups];
            for (j, &r) in rows.iter().enumerate() {
                if let Some(x) = values[r] {
                    members[keys[j] as usize].push(x);
                }
            }
            for g in &mut members {
                g.sort_unstable_by(f64::total_cmp);
            }
            Ok(rows
                .iter()
                .enumerate()
                .map(|(j, &r)| {
                    values[r].map(|x| {
                        let g = &members[keys[j] as usize];
                        let below = g.partition_point(|v| *v < x);
                        let upto = g.partition_point(|v| *v <= x);
                        let p = if g.len() <= 1 {
                            50.0
                        } else {
                            (below as f64 + 0.5 * (upto - below) as f64) / g.len() as f64 * 100.0
                        };
                        if flip {
                            100.0 - p
                        } else {
                            p
                        }
                    })
                })
                .collect())
        }
    }
}

fn score_card(
    card: &Scorecard,
    snapshot: &Snapshot,
    rows: &[usize],
    part_index: &HashMap<String, usize>,
    out: &mut HealthScores,
) -> Result<()> {
    let nm = card.measures.len();
    let mut values = Vec::with_capacity(nm);
    let mut points = Vec::with_capacity(nm);
    for (mi, m) in card.measures.iter().enumerate() {
        let path = format!("measures[{mi}]");
        let v = numeric(snapshot, &m.metric, &format!("{path}.metric"))?;
        let mut p = measure_points(m, &v, rows, snapshot, &path)?;
        let fill = match m.missing {
            MissingPolicy::Renormalize => None,
            MissingPolicy::Worst => Some(m.worst_points()),
            MissingPolicy::Default { points } => Some(points),
        };
        if let Some(f) = fill {
            p.iter_mut().filter(|x| x.is_none()).for_each(|x| *x = Some(f));
        }
        values.push(v);
        points.push(p);
    }
    let mut penalty_cols = Vec::with_capacity(card.penalties.len());
    for (pi, pen) in card.penalties.iter().enumerate() {
        match snapshot.column(&pen.column)? {
            ColumnData::Bool(v) => penalty_cols.push(v),
            other => {
                return Err(Error::config(
                    format!("penalties[{pi}].column"),
                    format!("column `{}` is {}, not bool", pen.column, other.data_type().as_str()),
                ))
            }
        }
    }
    // Group of each measure (index into card.groups, or 0 with one implicit group).
    let group_of: Vec<usize> = card
        .measures
        .iter()
        .map(|m| m.group.as_ref().and_then(|g| card.groups.iter().position(|x| &x.name == g)).unwrap_or(0))
        .collect();
    let group_weight: Vec<f64> = if card.groups.is_empty() { vec![1.0] } else { card.groups.iter().map(|g| g.weight).collect() };
    let ng = group_weight.len();
    let slots: Vec<usize> = card.measures.iter().map(|m| part_index.get(&m.name).copied().unwrap_or(0)).collect();
    let pen_slots: Vec<usize> =
        card.penalties.iter().map(|p| part_index.get(&format!("penalty:{}", p.column)).copied().unwrap_or(0)).collect();

    let mut wsum = vec![0.0; ng];
    let mut exact = vec![0.0; nm];
    let mut micros = vec![0i64; nm];
    for (j, &r) in rows.iter().enumerate() {
        wsum.iter_mut().for_each(|w| *w = 0.0);
        for mi in 0..nm {
            if points[mi][j].is_some() {
                wsum[group_of[mi]] += card.measures[mi].weight;
            }
        }
        let gtotal: f64 = (0..ng).filter(|&g| wsum[g] > 0.0).map(|g| group_weight[g]).sum();
        for mi in 0..nm {
            out.values[slots[mi]][r] = values[mi][r];
            out.points[slots[mi]][r] = points[mi][j];
        }
        if gtotal <= 0.0 {
            continue;
        }
        let mut total = 0.0;
        for mi in 0..nm {
            let g = group_of[mi];
            let share = match points[mi][j] {
                Some(_) if wsum[g] > 0.0 => group_weight[g] / gtotal * card.measures[mi].weight / wsum[g],
                _ => 0.0,
            };
            exact[mi] = share * points[mi][j].unwrap_or(0.0) * MICROS_PER_POINT as f64;
            total += exact[mi];
            out.shares[slots[mi]][r] = share;
        }
        let mut score = (total.round() as i64).clamp(0, FULL);
        allocate(&exact, score, &mut micros);
        for mi in 0..nm {
            out.contributions[slots[mi]][r] = micros[mi];
        }
        for (pi, pen) in card.penalties.iter().enumerate() {
            let on = penalty_cols[pi].get(r).copied().flatten();
            out.values[pen_slots[pi]][r] = on.map(|b| if b { 1.0 } else { 0.0 });
            if on == Some(true) {
                let take = ((pen.points * MICROS_PER_POINT as f64).round() as i64).min(score);
                score -= take;
                out.contributions[pen_slots[pi]][r] = -take;
                out.points[pen_slots[pi]][r] = Some(pen.points);
            }
        }
        out.computed[r] = Some(score);
    }
    Ok(())
}

/// Integer parts of `exact` summing to `total` (largest remainder; ties go to the earlier measure).
fn allocate(exact: &[f64], total: i64, out: &mut [i64]) {
    let mut sum = 0i64;
    for (o, e) in out.iter_mut().zip(exact) {
        *o = e.floor() as i64;
        sum += *o;
    }
    let mut rest = total - sum;
    if out.is_empty() {
        return;
    }
    // `rest` is at most the number of measures: pick the largest remaining fractions one by one
    // (no allocation: this runs once per account).
    let mut taken: u64 = 0;
    while rest > 0 {
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in exact.iter().enumerate() {
            if i < 64 && taken & (1 << i) != 0 {
                continue;
            }
            let f = e - e.floor();
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
        self.account_ids.is_empty()
    }

    /// Account ids, one per row.
    pub fn account_ids(&self) -> &[String] {
        &self.account_ids
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
        match self.override_of.get(i).copied().flatten() {
            Some(o) => self.overrides.get(o as usize).map(|o| (o.score * MICROS_PER_POINT as f64).round() as i64),
            None => self.computed.get(i).copied().flatten(),
        }
    }

    /// Score of row `i` computed by the scorecard (before any override), in millionths of a point.
    pub fn computed_micros(&self, i: usize) -> Option<i64> {
        self.computed.get(i).copied().flatten()
    }

    /// Contribution of part `p` to row `i`, in millionths of a point.
    pub fn contribution_micros(&self, p: usize, i: usize) -> i64 {
        self.contributions.get(p).and_then(|c| c.get(i)).copied().unwrap_or(0)
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

    /// Row `i` with its breakdown.
    pub fn row(&self, i: usize) -> Option<AccountHealth> {
        let id = self.account_ids.get(i)?;
        let card = self.scorecard_of.get(i).copied().unwrap_or(0) as usize;
        let score = self.score_micros(i).map(to_points);
        let band = score.and_then(|s| band_index(&self.bands, s)).and_then(|b| self.bands.get(b));
        let measures = self
            .card_parts
            .get(card)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&p| MeasureScore {
                name: self.parts[p].clone(),
                value: self.values[p][i],
                points: self.points[p][i],
                weight: self.shares[p][i],
                contribution: to_points(self.contributions[p][i]),
            })
            .collect();
        let r#override = self.override_of[i].and_then(|o| self.overrides.get(o as usize)).map(|o| AppliedOverride {
            computed_score: self.computed[i].map(to_points),
            reason: o.reason.clone(),
            set_by: o.set_by.clone(),
            expires_at: o.expires_at,
        });
        Some(AccountHealth {
            account_id: id.clone(),
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
        (0..self.len()).filter_map(|i| self.row(i)).collect()
    }

    /// A table: `account_id` plus `health_score`, `health_band`, and for every part
    /// `points:<name>` and `contribution:<name>`.
    pub fn to_snapshot(&self) -> Result<Snapshot> {
        let mut cols = vec![
            Column::new("health_score", ColumnData::Float(self.scores())),
            Column::new("health_band", ColumnData::Str(self.band_names())),
        ];
        for (p, name) in self.parts.iter().enumerate() {
            cols.push(Column::new(format!("points:{name}"), ColumnData::Float(self.points[p].clone())));
            cols.push(Column::new(
                format!("contribution:{name}"),
                ColumnData::Float(self.contributions[p].iter().map(|&c| Some(to_points(c))).collect()),
            ));
        }
        Snapshot::from_columns(self.as_of, self.account_ids.clone(), cols)
    }

    /// Adds `health_score` and `health_band` columns to `snapshot` (rows matched by account id).
    pub fn add_to_snapshot(&self, snapshot: &mut Snapshot) -> Result<()> {
        let index: HashMap<&str, usize> = self.account_ids.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
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
        let index: HashMap<&str, usize> = earlier.account_ids.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
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
        for (j, id) in self.account_ids.iter().enumerate() {
            let Some(&i) = index.get(id.as_str()) else { continue };
            let (Some(sa), Some(sb)) = (earlier.score_micros(i), self.score_micros(j)) else { continue };
            let mut by: Vec<(i64, MeasureChange)> = Vec::new();
            for (k, name) in names.iter().enumerate() {
                let ca = a_parts[k].map_or(0, |p| earlier.contributions[p][i]);
                let cb = b_parts[k].map_or(0, |p| self.contributions[p][j]);
                let va = a_parts[k].and_then(|p| earlier.values[p][i]);
                let vb = b_parts[k].and_then(|p| self.values[p][j]);
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
            let oa = sa - earlier.computed[i].unwrap_or(sa);
            let ob = sb - self.computed[j].unwrap_or(sb);
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
                account_id: id.clone(),
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
        let score_index: HashMap<&str, usize> = self.account_ids.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
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

/// A snapshot from `{"as_of": …, "columns": {"account_id": [...], name: [...], …}}` (the shape of
/// [`Snapshot::to_json_value`]): column types are inferred (all integers → int, numbers → float,
/// booleans → bool, text → str; `null` is missing). Used by golden cases and the bindings.
pub fn snapshot_from_json(value: &serde_json::Value) -> Result<Snapshot> {
    use serde_json::Value as J;
    let as_of: Timestamp =
        serde_json::from_value(value.get("as_of").cloned().unwrap_or(J::Null)).map_err(|e| Error::parse("snapshot as_of", e))?;
    let Some(J::Object(cols)) = value.get("columns") else {
        return Err(Error::parse("snapshot JSON", "expected an object `columns`"));
    };
    let ids: Vec<String> = match cols.get("account_id") {
        Some(J::Array(v)) => v
            .iter()
            .map(|x| x.as_str().map(String::from).ok_or_else(|| Error::parse("account_id", "expected text")))
            .collect::<Result<_>>()?,
        _ => return Err(Error::parse("snapshot JSON", "expected an array `account_id`")),
    };
    let mut out = Vec::new();
    for (name, v) in cols {
        if name == "account_id" {
            continue;
        }
        let J::Array(v) = v else { return Err(Error::parse(format!("column `{name}`"), "expected an array")) };
        let present = v.iter().filter(|x| !x.is_null());
        let data = if present.clone().all(|x| x.is_i64()) {
            ColumnData::Int(v.iter().map(|x| x.as_i64()).collect())
        } else if present.clone().all(|x| x.is_number()) {
            ColumnData::Float(v.iter().map(|x| x.as_f64()).collect())
        } else if present.clone().all(|x| x.is_boolean()) {
            ColumnData::Bool(v.iter().map(|x| x.as_bool()).collect())
        } else if present.clone().all(|x| x.is_string()) {
            ColumnData::Str(v.iter().map(|x| x.as_str().map(String::from)).collect())
        } else {
            return Err(Error::parse(format!("column `{name}`"), "mixes value types"));
        };
        out.push(Column::new(name.clone(), data));
    }
    Snapshot::from_columns(as_of, ids, out)
}
