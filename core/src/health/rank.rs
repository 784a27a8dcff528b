//! Percentile-among-peers points: every value's mid-rank within its peer group, in linear time.
//!
//! A value's points are `(below + ties / 2) / n × 100` among the `n` present values of its group
//! (50 when the group has one value), where `below` counts values strictly less and `ties` values
//! equal (so `-0.0` ties with `0.0`). Whole numbers over a modest range are counted in one
//! histogram; other values are radix sorted once by (group, value) and every run of equal values
//! is given its points in one step. A NaN in a float column is a missing value: it is neither
//! ranked nor counted among its group's values.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::metrics::ColumnData;

/// A numeric column of the snapshot, read in place (booleans read as 1 and 0).
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Int(&'a [Option<i64>]),
    Float(&'a [Option<f64>]),
    Bool(&'a [Option<bool>]),
}

impl<'a> Source<'a> {
    /// The column as numbers, `None` for text and instants.
    pub(crate) fn of(col: &'a ColumnData) -> Option<Source<'a>> {
        match col {
            ColumnData::Int(v) => Some(Source::Int(v)),
            ColumnData::Float(v) => Some(Source::Float(v)),
            ColumnData::Bool(v) => Some(Source::Bool(v)),
            _ => None,
        }
    }

    /// Row `r` as a float, as `ColumnData::to_f64` gives it (1 / 0 for booleans; a NaN is
    /// missing).
    #[inline]
    pub(crate) fn get(self, r: usize) -> Option<f64> {
        match self {
            Source::Int(v) => v.get(r).copied().flatten().map(|x| x as f64),
            Source::Float(v) => v.get(r).copied().flatten().filter(|x| !x.is_nan()),
            Source::Bool(v) => v.get(r).copied().flatten().map(|b| if b { 1.0 } else { 0.0 }),
        }
    }
}

/// The rows one scorecard scores: every row, or a list.
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a> {
    All(usize),
    Some(&'a [usize]),
}

impl Rows<'_> {
    pub(crate) fn len(self) -> usize {
        match self {
            Rows::All(n) => n,
            Rows::Some(r) => r.len(),
        }
    }

    /// The snapshot row of the `j`-th scored row.
    #[inline]
    pub(crate) fn get(self, j: usize) -> usize {
        match self {
            Rows::All(_) => j,
            Rows::Some(r) => r.get(j).copied().unwrap_or(0),
        }
    }
}

/// Calls `f(j, value)` for every scored row `j` in order, with one tight loop per column type.
#[inline]
fn each(values: Source<'_>, rows: Rows<'_>, mut f: impl FnMut(usize, Option<f64>)) {
    match (values, rows) {
        (Source::Int(v), Rows::All(m)) => v.iter().take(m).enumerate().for_each(|(j, x)| f(j, x.map(|x| x as f64))),
        (Source::Float(v), Rows::All(m)) => v.iter().take(m).enumerate().for_each(|(j, x)| f(j, x.filter(|x| !x.is_nan()))),
        (Source::Bool(v), Rows::All(m)) => {
            v.iter().take(m).enumerate().for_each(|(j, x)| f(j, x.map(|b| if b { 1.0 } else { 0.0 })))
        }
        (values, rows) => (0..rows.len()).for_each(|j| f(j, values.get(rows.get(j)))),
    }
}

/// Who is compared with whom, resolved against the snapshot.
pub(crate) enum Peers<'a> {
    All,
    Column(&'a ColumnData),
    Bins(Source<'a>, &'a [f64]),
}

/// The peer group of every scored row (dense ids from 0), and the number of groups.
pub(crate) fn group_keys(peers: &Peers<'_>, rows: Rows<'_>) -> (Keys, usize) {
    let m = rows.len();
    let keys: Vec<u32> = match peers {
        Peers::All => return (Keys::One, usize::from(m > 0)),
        // Group 0 holds a missing peer value, then one group per bin.
        Peers::Bins(v, edges) => {
            // Edges increase strictly: the bin is the number of edges at or below the value,
            // counted without branches when there are few.
            let bin = |x: f64| {
                1 + if edges.len() <= 16 {
                    edges.iter().map(|e| u32::from(*e <= x)).sum::<u32>()
                } else {
                    edges.partition_point(|e| *e <= x) as u32
                }
            };
            if edges.len() + 2 <= 1 << 8 {
                // Straight into bytes (the usual case: a few cut points).
                let mut keys = Vec::with_capacity(m);
                each(*v, rows, |_, x| keys.push(x.map_or(0, bin) as u8));
                let groups = keys.iter().copied().max().map_or(0, |k| usize::from(k) + 1);
                return (if groups <= 1 { Keys::One } else { Keys::U8(keys) }, groups);
            }
            let mut keys = Vec::with_capacity(m);
            each(*v, rows, |_, x| keys.push(x.map_or(0, bin)));
            keys
        }
        // A missing value is its own group; for text it is the empty text (as the first version
        // keyed groups by the value's text).
        Peers::Column(ColumnData::Str(v)) => {
            let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
            (0..m)
                .map(|j| {
                    let k = v.get(rows.get(j)).and_then(Option::as_deref).unwrap_or("");
                    let next = ids.len() as u32;
                    *ids.entry(k).or_insert(next)
                })
                .collect()
        }
        Peers::Column(ColumnData::Int(v)) => {
            let mut ids: FxHashMap<Option<i64>, u32> = FxHashMap::default();
            (0..m)
                .map(|j| {
                    let k = v.get(rows.get(j)).copied().flatten();
                    let next = ids.len() as u32;
                    *ids.entry(k).or_insert(next)
                })
                .collect()
        }
        Peers::Column(ColumnData::Bool(v)) => (0..m)
            .map(|j| match v.get(rows.get(j)).copied().flatten() {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            })
            .collect(),
        Peers::Column(_) => vec![0; m],
    };
    let groups = keys.iter().copied().max().map_or(0, |k| k as usize + 1);
    (Keys::narrow(&keys, groups), groups)
}

/// Points of a value with `below` smaller and `upto - below` equal values among `len` peers.
#[inline]
fn rank_points(below: usize, upto: usize, len: usize, flip: bool) -> f64 {
    let p = if len <= 1 { 50.0 } else { (below as f64 + 0.5 * (upto - below) as f64) / len as f64 * 100.0 };
    if flip {
        100.0 - p
    } else {
        p
    }
}

/// The peer group of every scored row, kept in the narrowest integer that holds the groups
/// (nothing when there is one group).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Keys {
    One,
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Keys {
    /// `keys` (from [`group_keys`]) in the narrowest form for `groups` groups.
    pub(crate) fn narrow(keys: &[u32], groups: usize) -> Keys {
        if groups <= 1 {
            Keys::One
        } else if groups <= 1 << 8 {
            Keys::U8(keys.iter().map(|&k| k as u8).collect())
        } else if groups <= 1 << 16 {
            Keys::U16(keys.iter().map(|&k| k as u16).collect())
        } else {
            Keys::U32(keys.to_vec())
        }
    }

    /// The group of the `j`-th scored row.
    #[inline]
    fn get(&self, j: usize) -> usize {
        match self {
            Keys::One => 0,
            Keys::U8(k) => k.get(j).map_or(0, |&g| usize::from(g)),
            Keys::U16(k) => k.get(j).map_or(0, |&g| usize::from(g)),
            Keys::U32(k) => k.get(j).map_or(0, |&g| g as usize),
        }
    }
}

/// One percentile measure's points, by scored row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Percentiles {
    /// Whole numbers: the points of every (group, value) cell; a row's cell is its group times
    /// `span` plus its value less `lo`. One byte or so per row (the group, shared by the
    /// measures with the same peers) instead of eight.
    Cells { keys: Arc<Keys>, lo: i64, span: usize, points: Vec<f64> },
    /// The points of every row (rows without a value hold 0 and are never read).
    Rows(Vec<f64>),
}

impl Default for Percentiles {
    fn default() -> Self {
        Percentiles::Rows(Vec::new())
    }
}

impl Percentiles {
    /// The points of the `j`-th scored row, whose value is `x`.
    #[inline]
    pub(crate) fn get(&self, j: usize, x: f64) -> f64 {
        match self {
            Percentiles::Cells { keys, lo, span, points } => {
                let cell = keys.get(j).wrapping_mul(*span).wrapping_add((x as i64).wrapping_sub(*lo) as usize);
                points.get(cell).copied().unwrap_or(0.0)
            }
            Percentiles::Rows(p) => p.get(j).copied().unwrap_or(0.0),
        }
    }
}

/// Percentile points of every scored row (indexed like `rows`); `keys` and `groups` come from
/// [`group_keys`] (a table of cells keeps the keys).
pub(crate) fn percentile_points(values: Source<'_>, rows: Rows<'_>, keys: &Arc<Keys>, groups: usize, flip: bool) -> Percentiles {
    let m = rows.len();
    if m == 0 {
        return Percentiles::default();
    }
    // One look at the values: all whole numbers, and their range.
    let mut whole = true;
    let (mut lo, mut hi, mut present) = (i64::MAX, i64::MIN, 0usize);
    // An integer column is scanned as integers (the same answer, in a loop that vectorises).
    const WHOLE: i64 = 9_000_000_000_000_000;
    let ints = match (values, rows) {
        (Source::Int(v), Rows::All(m)) => Some(v.iter().take(m).fold((i64::MAX, i64::MIN, 0usize), |(lo, hi, n), x| match x {
            Some(x) => (lo.min(*x), hi.max(*x), n + 1),
            None => (lo, hi, n),
        })),
        _ => None,
    };
    match ints {
        Some((l, h, p)) if p == 0 || (l > -WHOLE && h < WHOLE) => (lo, hi, present) = (l, h, p),
        _ => each(values, rows, |_, x| {
            if let Some(x) = x {
                present += 1;
                let i = x as i64;
                if i as f64 == x && x.abs() < WHOLE as f64 {
                    lo = lo.min(i);
                    hi = hi.max(i);
                } else {
                    whole = false;
                }
            }
        }),
    }
    let mut out = vec![0.0; m];
    if present == 0 {
        return Percentiles::Rows(out);
    }
    // `lo..=hi` is only a range when every value was whole (then both are within ±9e15).
    let span = if whole { hi.abs_diff(lo).saturating_add(1) } else { u64::MAX };
    let cells = span.saturating_mul(groups.max(1) as u64);
    if whole && cells <= (2 * m as u64).max(1 << 16) {
        let points = by_histogram(values, rows, keys, groups, flip, lo, span as usize);
        return Percentiles::Cells { keys: Arc::clone(keys), lo, span: span as usize, points };
    }
    by_radix(values, rows, keys, groups, flip, &mut out);
    Percentiles::Rows(out)
}

/// Whole numbers: count each (group, value) cell; a cell's `below` is the running count of its
/// group's smaller cells. Gives the points of every cell.
fn by_histogram(values: Source<'_>, rows: Rows<'_>, keys: &Keys, groups: usize, flip: bool, lo: i64, span: usize) -> Vec<f64> {
    let cell = |j: usize, x: f64| keys.get(j) * span + (x as i64 - lo) as usize;
    let mut count = vec![0u32; groups.max(1) * span];
    each(values, rows, |j, x| {
        if let Some(c) = x.and_then(|x| count.get_mut(cell(j, x))) {
            *c += 1;
        }
    });
    // Every cell's points, worked out once: the rows only look theirs up.
    let mut points = vec![0.0; count.len()];
    for g in 0..groups.max(1) {
        let cells = g * span..(g + 1) * span;
        let len: usize = count[cells.clone()].iter().map(|&c| c as usize).sum();
        let mut below = 0usize;
        for k in cells {
            let c = count[k] as usize;
            if c > 0 {
                points[k] = rank_points(below, below + c, len, flip);
            }
            below += c;
        }
    }
    points
}

/// An order-preserving unsigned key: equal keys for equal floats (`-0.0` is read as `0.0`).
#[inline]
fn sort_key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

#[derive(Clone, Copy, Default)]
struct Item {
    key: u64,
    row: u32,
    group: u32,
}

const DIGIT: u32 = 11;

/// Any values: a stable LSD radix sort on the key's varying 11-bit digits, then on the group;
/// each run of equal keys within a group gets its points once.
fn by_radix(values: Source<'_>, rows: Rows<'_>, keys: &Keys, groups: usize, flip: bool, out: &mut [f64]) {
    let mut items: Vec<Item> = Vec::with_capacity(out.len());
    each(values, rows, |j, x| {
        if let Some(x) = x {
            items.push(Item { key: sort_key(x), row: j as u32, group: keys.get(j) as u32 });
        }
    });
    let (all, any) = items.iter().fold((u64::MAX, 0u64), |(a, o), it| (a & it.key, o | it.key));
    let varying = all ^ any;
    let mut spare = vec![Item::default(); items.len()];
    let mut shift = 0;
    while shift < 64 {
        let mask = (1u64 << DIGIT) - 1;
        if (varying >> shift) & mask != 0 {
            scatter(&items, &mut spare, 1 << DIGIT, |it| ((it.key >> shift) & mask) as usize);
            std::mem::swap(&mut items, &mut spare);
        }
        shift += DIGIT;
    }
    if groups > 1 {
        scatter(&items, &mut spare, groups, |it| it.group as usize);
        std::mem::swap(&mut items, &mut spare);
    }
    let mut start = 0;
    while start < items.len() {
        let group = items[start].group;
        let end = start + items[start..].iter().take_while(|it| it.group == group).count();
        let len = end - start;
        let mut a = start;
        while a < end {
            let key = items[a].key;
            let b = a + items[a..end].iter().take_while(|it| it.key == key).count();
            let p = rank_points(a - start, b - start, len, flip);
            for it in &items[a..b] {
                if let Some(o) = out.get_mut(it.row as usize) {
                    *o = p;
                }
            }
            a = b;
        }
        start = end;
    }
}

/// One stable counting-sort pass of `from` into `to` by `digit` (< `buckets`).
fn scatter(from: &[Item], to: &mut [Item], buckets: usize, digit: impl Fn(&Item) -> usize) {
    let mut at = vec![0usize; buckets];
    for it in from {
        at[digit(it)] += 1;
    }
    let mut sum = 0;
    for a in &mut at {
        let c = *a;
        *a = sum;
        sum += c;
    }
    for it in from {
        let d = digit(it);
        to[at[d]] = *it;
        at[d] += 1;
    }
}

/// The first implementation (the tests' reference): sort each group, binary search every value.
#[cfg(test)]
fn by_search(values: Source<'_>, rows: Rows<'_>, keys: &Keys, groups: usize, flip: bool, out: &mut [f64]) {
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); groups];
    for j in 0..out.len() {
        if let (Some(x), Some(g)) = (values.get(rows.get(j)), members.get_mut(keys.get(j))) {
            g.push(x);
        }
    }
    for g in &mut members {
        g.sort_unstable_by(f64::total_cmp);
    }
    for (j, o) in out.iter_mut().enumerate() {
        if let (Some(x), Some(g)) = (values.get(rows.get(j)), members.get(keys.get(j))) {
            let below = g.partition_point(|v| *v < x);
            let upto = g.partition_point(|v| *v <= x);
            *o = rank_points(below, upto, g.len(), flip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(values: &[Option<f64>], keys: &[u32], groups: usize) -> Vec<f64> {
        let mut out = vec![0.0; values.len()];
        by_search(Source::Float(values), Rows::All(values.len()), &Keys::narrow(keys, groups), groups, false, &mut out);
        out
    }

    /// The points of every row with a value, read back through [`Percentiles::get`].
    fn points(values: Source<'_>, keys: &[u32], groups: usize, flip: bool) -> Vec<Option<f64>> {
        let m = keys.len();
        let got = percentile_points(values, Rows::All(m), &Arc::new(Keys::narrow(keys, groups)), groups, flip);
        (0..m).map(|j| values.get(j).map(|x| got.get(j, x))).collect()
    }

    fn check(values: Vec<Option<f64>>, keys: Vec<u32>, groups: usize) {
        let want = reference(&values, &keys, groups);
        let got = points(Source::Float(&values), &keys, groups, false);
        for (j, v) in values.iter().enumerate() {
            if v.is_some() {
                assert_eq!(got[j].map(f64::to_bits), Some(want[j].to_bits()), "row {j} of {values:?}");
            }
        }
        // The same numbers from an integer column, when they are whole.
        if values.iter().flatten().all(|x| x.fract() == 0.0 && x.abs() < 1e15) {
            let ints: Vec<Option<i64>> = values.iter().map(|x| x.map(|x| x as i64)).collect();
            let got = points(Source::Int(&ints), &keys, groups, false);
            for (j, v) in values.iter().enumerate() {
                if v.is_some() {
                    assert_eq!(got[j].map(f64::to_bits), Some(want[j].to_bits()), "int row {j} of {values:?}");
                }
            }
        }
        let mut out = vec![0.0; values.len()];
        by_radix(Source::Float(&values), Rows::All(values.len()), &Keys::narrow(&keys, groups), groups, false, &mut out);
        for (j, v) in values.iter().enumerate() {
            if v.is_some() {
                assert_eq!(out[j].to_bits(), want[j].to_bits(), "radix, row {j} of {values:?}");
            }
        }
    }

    #[test]
    fn fast_paths_agree_with_sort_and_search() {
        check(vec![Some(3.0), Some(1.0), Some(3.0), None, Some(-2.0), Some(0.0), Some(-0.0)], vec![0; 7], 1);
        check(
            vec![Some(0.25), Some(-1e300), Some(f64::INFINITY), Some(0.25), Some(f64::NEG_INFINITY), Some(-0.0), Some(7.5)],
            vec![0, 1, 0, 0, 1, 1, 0],
            2,
        );
        check(vec![Some(5.0)], vec![0], 1);
        check(vec![Some(1e17), Some(-3.0), Some(1e17), None], vec![0, 0, 0, 0], 1);
        let many: Vec<Option<f64>> = (0..5000).map(|i| (i % 7 != 0).then(|| ((i * 7919) % 613) as f64 * 0.37 - 40.0)).collect();
        let keys: Vec<u32> = (0..5000).map(|i| (i % 5) as u32).collect();
        check(many, keys, 5);
        let whole: Vec<Option<f64>> = (0..5000).map(|i| Some(((i * 31) % 201) as f64)).collect();
        let keys: Vec<u32> = (0..5000).map(|i| (i % 3) as u32).collect();
        check(whole.clone(), keys, 3);
        // More groups than a byte holds.
        let keys: Vec<u32> = (0..5000).map(|i| (i % 300) as u32).collect();
        check(whole, keys, 300);
    }

    #[test]
    fn nan_is_missing() {
        let with_nan = vec![Some(f64::NAN), Some(1.0), Some(2.0), Some(1.0)];
        let without = vec![None, Some(1.0), Some(2.0), Some(1.0)];
        let keys = vec![0; 4];
        let want = reference(&without, &keys, 1);
        let got = points(Source::Float(&with_nan), &keys, 1, true);
        assert_eq!(got[0], None);
        for j in 1..4 {
            assert_eq!(got[j].map(f64::to_bits), Some((100.0 - want[j]).to_bits()));
        }
        assert_eq!(got, points(Source::Float(&without), &keys, 1, true));
    }
}
