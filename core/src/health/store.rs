//! Compact columns of [`super::HealthScores`]: the account ids in one text buffer, and each
//! part's values with a presence bit per row, in the narrowest exact form (bits for flags, `i32`
//! for whole numbers that fit, else `f64`).

use std::sync::OnceLock;

use super::rank::Source;

/// Account ids as one text buffer with end offsets: copying a million small strings would cost
/// a million allocations. The `Vec<String>` of [`super::HealthScores::account_ids`] is built when
/// first asked for.
#[derive(Debug, Clone, Default)]
pub(super) struct AccountIds {
    text: String,
    ends: Ends,
    list: OnceLock<Vec<String>>,
}

/// Where each id ends in the text: nothing when all ids have the same length (formatted ids
/// usually do), else 4 bytes per id while the text is under 4 GiB.
#[derive(Debug, Clone, PartialEq)]
enum Ends {
    Fixed { len: usize, count: usize },
    Short(Vec<u32>),
    Long(Vec<usize>),
}

impl Default for Ends {
    fn default() -> Self {
        Ends::Short(Vec::new())
    }
}

impl AccountIds {
    pub(super) fn new(ids: &[String]) -> Self {
        let total: usize = ids.iter().map(String::len).sum();
        let mut text = String::with_capacity(total);
        let first = ids.first().map_or(0, String::len);
        let ends = if ids.iter().all(|id| id.len() == first) {
            ids.iter().for_each(|id| text.push_str(id));
            Ends::Fixed { len: first, count: ids.len() }
        } else if u32::try_from(total).is_ok() {
            Ends::Short(
                ids.iter()
                    .map(|id| {
                        text.push_str(id);
                        text.len() as u32
                    })
                    .collect(),
            )
        } else {
            Ends::Long(
                ids.iter()
                    .map(|id| {
                        text.push_str(id);
                        text.len()
                    })
                    .collect(),
            )
        };
        AccountIds { text, ends, list: OnceLock::new() }
    }

    pub(super) fn len(&self) -> usize {
        match &self.ends {
            Ends::Fixed { count, .. } => *count,
            Ends::Short(e) => e.len(),
            Ends::Long(e) => e.len(),
        }
    }

    fn end(&self, i: usize) -> Option<usize> {
        match &self.ends {
            Ends::Fixed { len, count } => (i < *count).then(|| (i + 1) * len),
            Ends::Short(e) => e.get(i).map(|&x| x as usize),
            Ends::Long(e) => e.get(i).copied(),
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let end = self.end(i)?;
        let start = if i == 0 { 0 } else { self.end(i - 1).unwrap_or(0) };
        self.text.get(start..end)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// The ids as strings (from the list when it is built).
    pub(super) fn to_vec(&self) -> Vec<String> {
        match self.list.get() {
            Some(list) => list.clone(),
            None => self.iter().map(String::from).collect(),
        }
    }

    pub(super) fn list(&self) -> &[String] {
        self.list.get_or_init(|| self.iter().map(String::from).collect())
    }
}

impl PartialEq for AccountIds {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends && self.text == other.text
    }
}

/// One bit per row.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Bits(pub(super) Vec<u64>);

impl Bits {
    pub(super) fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    #[inline]
    pub(super) fn set(&mut self, i: usize, on: bool) {
        if let Some(w) = self.0.get_mut(i / 64) {
            if on {
                *w |= 1 << (i % 64);
            } else {
                *w &= !(1 << (i % 64));
            }
        }
    }
}

/// A part's values: which are present, and the numbers in the narrowest exact form.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ValueColumn {
    pub(super) present: Bits,
    pub(super) data: Values,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Values {
    /// 1 or 0.
    Flags(Bits),
    /// Whole numbers, in the narrowest of these that holds them all.
    Int8(Vec<i8>),
    Int16(Vec<i16>),
    Int(Vec<i32>),
    Float(Vec<f64>),
}

impl ValueColumn {
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<f64> {
        if !self.present.get(i) {
            return None;
        }
        match &self.data {
            Values::Flags(b) => Some(if b.get(i) { 1.0 } else { 0.0 }),
            Values::Int8(v) => v.get(i).map(|&x| f64::from(x)),
            Values::Int16(v) => v.get(i).map(|&x| f64::from(x)),
            Values::Int(v) => v.get(i).map(|&x| f64::from(x)),
            Values::Float(v) => v.get(i).copied(),
        }
    }

    /// The values of a part: row `r` is read from `sources[card of r]` (`None`: the card has no
    /// such part).
    pub(super) fn build(n: usize, sources: &[Option<Source<'_>>], card_of: &[u32]) -> ValueColumn {
        if let ([Some(s)], true) = (sources, card_of.is_empty()) {
            return ValueColumn::of(*s);
        }
        let source = |r: usize| -> Option<Source<'_>> {
            let c = if card_of.is_empty() { 0 } else { card_of.get(r).copied().unwrap_or(0) as usize };
            sources.get(c).copied().flatten()
        };
        let used = || sources.iter().flatten();
        let mut present = Bits::new(n);
        if used().all(|s| matches!(s, Source::Bool(_))) {
            let mut flags = Bits::new(n);
            for r in 0..n {
                if let Some(x) = source(r).and_then(|s| s.get(r)) {
                    present.set(r, true);
                    flags.set(r, x == 1.0);
                }
            }
            return ValueColumn { present, data: Values::Flags(flags) };
        }
        if used().all(|s| matches!(s, Source::Int(_))) {
            let gathered: Vec<Option<i64>> = (0..n)
                .map(|r| match source(r) {
                    Some(Source::Int(v)) => v.get(r).copied().flatten(),
                    _ => None,
                })
                .collect();
            if let Some(data) = narrow(&gathered) {
                return ValueColumn { present: bits(&gathered), data };
            }
        }
        let mut floats = Vec::with_capacity(n);
        for r in 0..n {
            // NaN (a float column's "no number") is a missing value.
            let x = source(r).and_then(|s| s.get(r)).filter(|x| !x.is_nan());
            present.set(r, x.is_some());
            floats.push(x.unwrap_or(0.0));
        }
        ValueColumn { present, data: Values::Float(floats) }
    }
}

impl ValueColumn {
    /// A whole column (one scorecard): straight loops the compiler can vectorise, 64 rows per
    /// presence word.
    fn of(s: Source<'_>) -> ValueColumn {
        // 64 rows at a time: the snapshot column is read from memory once, the presence word and
        // the values are taken from the chunk while it is in the first-level cache.
        let words = |n: usize| Vec::with_capacity(n.div_ceil(64));
        match s {
            Source::Bool(v) => {
                let (mut present, mut flags) = (words(v.len()), words(v.len()));
                for c in v.chunks(64) {
                    present.push(word(c, Option::is_some));
                    flags.push(word(c, |x| *x == Some(true)));
                }
                ValueColumn { present: Bits(present), data: Values::Flags(Bits(flags)) }
            }
            Source::Int(v) => {
                // Presence and range in one read, then the values in the width the range allows.
                let (mut present, mut range) = (words(v.len()), (0, 0));
                for c in v.chunks(64) {
                    present.push(word(c, Option::is_some));
                    range = c.iter().fold(range, widen);
                }
                let data =
                    narrow_to(v, range).unwrap_or_else(|| Values::Float(v.iter().map(|x| x.map_or(0.0, |x| x as f64)).collect()));
                ValueColumn { present: Bits(present), data }
            }
            Source::Float(v) => {
                let (mut present, mut floats) = (words(v.len()), Vec::with_capacity(v.len()));
                for c in v.chunks(64) {
                    // NaN (a float column's "no number") is a missing value.
                    present.push(word(c, |x| x.is_some_and(|x| !x.is_nan())));
                    floats.extend(c.iter().map(|x| x.filter(|x| !x.is_nan()).unwrap_or(0.0)));
                }
                ValueColumn { present: Bits(present), data: Values::Float(floats) }
            }
        }
    }
}

/// One presence bit per element.
fn bits<T>(v: &[Option<T>]) -> Bits {
    Bits(v.chunks(64).map(|c| word(c, Option::is_some)).collect())
}

/// One bit per element of a chunk of at most 64: `on` of it.
#[inline]
fn word<T>(c: &[T], on: impl Fn(&T) -> bool) -> u64 {
    c.iter().enumerate().fold(0u64, |w, (k, x)| w | u64::from(on(x)) << k)
}

/// Whole numbers in the narrowest of `i8`, `i16` and `i32` that holds them all (a missing one
/// as 0); `None` when some do not fit in `i32`.
fn narrow(v: &[Option<i64>]) -> Option<Values> {
    narrow_to(v, v.iter().fold((0, 0), widen))
}

/// The range `(lo, hi)` widened to hold `x` (a missing value as 0).
#[inline]
fn widen((lo, hi): (i64, i64), x: &Option<i64>) -> (i64, i64) {
    let x = x.unwrap_or(0);
    (lo.min(x), hi.max(x))
}

/// [`narrow`] when the range of `v` is known.
fn narrow_to(v: &[Option<i64>], (lo, hi): (i64, i64)) -> Option<Values> {
    let within = |min: i64, max: i64| min <= lo && hi <= max;
    if within(i8::MIN.into(), i8::MAX.into()) {
        Some(Values::Int8(v.iter().map(|x| x.unwrap_or(0) as i8).collect()))
    } else if within(i16::MIN.into(), i16::MAX.into()) {
        Some(Values::Int16(v.iter().map(|x| x.unwrap_or(0) as i16).collect()))
    } else if within(i32::MIN.into(), i32::MAX.into()) {
        Some(Values::Int(v.iter().map(|x| x.unwrap_or(0) as i32).collect()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_round_trip() {
        let ids: Vec<String> = ["a", "", "ünï", "acc0000001", ""].iter().map(|s| s.to_string()).collect();
        let same: Vec<String> = ["ab", "cd", "é"].iter().map(|s| s.to_string()).collect();
        assert_eq!(AccountIds::new(&same).list(), &same[..]);
        assert_eq!(AccountIds::new(&same).get(3), None);
        assert!(AccountIds::new(&[]).list().is_empty());
        let packed = AccountIds::new(&ids);
        assert_eq!(packed.len(), ids.len());
        assert_eq!(packed.iter().collect::<Vec<_>>(), ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(packed.list(), &ids[..]);
        assert_eq!(packed.get(ids.len()), None);
        assert_eq!(packed, AccountIds::new(&ids));
        assert_ne!(packed, AccountIds::new(&ids[1..]));
    }

    /// The whole-column path gives what the row-by-row path (used for scorecard sets) gives.
    #[test]
    fn whole_columns_match_row_by_row() {
        let n = 200;
        let ints: Vec<Option<i64>> = (0..n).map(|i| (i % 7 != 3).then_some(i as i64 * 1000 - 70_000)).collect();
        let wide: Vec<Option<i64>> = (0..n).map(|i| (i % 5 != 0).then_some((i as i64) << 33)).collect();
        let floats: Vec<Option<f64>> = (0..n).map(|i| (i % 3 != 0).then_some(i as f64 * -0.37)).collect();
        let flags: Vec<Option<bool>> = (0..n).map(|i| (i % 4 != 1).then_some(i % 3 == 0)).collect();
        let one_card = vec![0u32; n];
        for s in [Source::Int(&ints), Source::Int(&wide), Source::Float(&floats), Source::Bool(&flags)] {
            let whole = ValueColumn::build(n, &[Some(s)], &[]);
            let by_row = ValueColumn::build(n, &[Some(s)], &one_card);
            for r in 0..n {
                assert_eq!(whole.get(r).map(f64::to_bits), s.get(r).map(f64::to_bits), "row {r}");
                assert_eq!(by_row.get(r).map(f64::to_bits), s.get(r).map(f64::to_bits), "row {r}");
            }
        }
        assert!(matches!(ValueColumn::build(n, &[Some(Source::Int(&ints))], &[]).data, Values::Int(_)));
        let small: Vec<Option<i64>> = (0..n).map(|i| (i % 3 != 0).then_some(i as i64 - 100)).collect();
        let medium: Vec<Option<i64>> = (0..n).map(|i| Some(i as i64 * 100)).collect();
        for (v, want) in [(&small, "i8"), (&medium, "i16")] {
            let c = ValueColumn::build(n, &[Some(Source::Int(v))], &[]);
            let got = match c.data {
                Values::Int8(_) => "i8",
                Values::Int16(_) => "i16",
                _ => "other",
            };
            assert_eq!(got, want);
            assert!((0..n).all(|r| c.get(r) == Source::Int(v).get(r)));
        }
        assert!(matches!(ValueColumn::build(n, &[Some(Source::Int(&wide))], &[]).data, Values::Float(_)));
    }
}
