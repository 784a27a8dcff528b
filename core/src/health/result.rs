//! What scoring hands back: [`HealthScores`] read row by row or column by column (scores,
//! bands, exact contributions, why-changed breakdowns, parent roll-ups, the table form) and the
//! per-account result types. The scoring itself is in `score`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};
use crate::time::Timestamp;

use super::config::{band_index, Band};
use super::score::{
    allocate, numeric, round, threads, to_points, Breakdown, Entry, HealthScores, PartColumns, PenaltyPlan, FULL,
    MICROS_PER_POINT, NO_SCORE,
};

/// One measure's (or penalty's) part of one account's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
