//! Event properties, stored as interned *sets*: each event holds one `u32` naming its whole
//! property set. Property sets repeat heavily (`{feature: reports}`, `{page: pricing}`), so this
//! keeps the per-event cost at four bytes however many properties an event carries.

use rustc_hash::FxHashMap as HashMap;

use super::entity::PropertyValue;
use super::intern::{Interner, Staged};

/// A property value with strings interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Stored {
    Bool(bool),
    /// f64 bits; the value is finite and -0.0 is normalised to 0.0.
    Num(u64),
    Str(u32),
}

impl Stored {
    pub(crate) fn number(self) -> Option<f64> {
        match self {
            Stored::Num(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    pub(crate) fn to_value(self, strings: &Interner) -> PropertyValue {
        match self {
            Stored::Bool(b) => PropertyValue::Bool(b),
            Stored::Num(bits) => PropertyValue::Number(f64::from_bits(bits)),
            Stored::Str(id) => PropertyValue::String(strings.resolve(id).to_string()),
        }
    }
}

pub(crate) fn num_bits(x: f64) -> u64 {
    if x == 0.0 {
        0.0f64.to_bits()
    } else {
        x.to_bits()
    }
}

/// A (key id, value) pair.
pub(crate) type Prop = (u32, Stored);

/// Interned property sets. Set 0 is the empty set.
#[derive(Debug, Clone)]
pub(crate) struct PropSets {
    sets: Vec<Box<[Prop]>>,
    index: HashMap<Box<[Prop]>, u32>,
}

impl Default for PropSets {
    fn default() -> Self {
        let empty: Box<[Prop]> = Box::new([]);
        let mut index = HashMap::default();
        index.insert(empty.clone(), 0);
        PropSets { sets: vec![empty], index }
    }
}

impl PropSets {
    pub(crate) fn get(&self, id: u32) -> &[Prop] {
        self.sets.get(id as usize).map(|s| &**s).unwrap_or(&[])
    }

    pub(crate) fn len(&self) -> usize {
        self.sets.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.sets.iter().map(|s| s.len() * 2 * std::mem::size_of::<Prop>() + 64).sum()
    }

    /// The value of `key` in set `id`, if present.
    pub(crate) fn lookup(&self, id: u32, key: u32) -> Option<Stored> {
        self.get(id).iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub(crate) fn extend_committed(&mut self, new: Vec<Box<[Prop]>>) {
        for set in new {
            let id = self.sets.len() as u32;
            self.index.entry(set.clone()).or_insert(id);
            self.sets.push(set);
        }
    }
}

/// New keys, new string values and new sets of a staged batch.
pub(crate) type StagedParts = (Vec<Box<str>>, Vec<Box<str>>, Vec<Box<[Prop]>>);

/// Staging overlay for property sets, keys and string values.
pub(crate) struct StagedProps<'a> {
    pub(crate) keys: Staged<'a>,
    pub(crate) strings: Staged<'a>,
    base: &'a PropSets,
    new: Vec<Box<[Prop]>>,
    index: HashMap<Box<[Prop]>, u32>,
}

impl<'a> StagedProps<'a> {
    pub(crate) fn new(keys: &'a Interner, strings: &'a Interner, sets: &'a PropSets) -> Self {
        StagedProps {
            keys: Staged::new(keys),
            strings: Staged::new(strings),
            base: sets,
            new: Vec::new(),
            index: HashMap::default(),
        }
    }

    /// Interns a set; `buf` must be sorted by key with unique keys.
    pub(crate) fn intern_set(&mut self, buf: &[Prop]) -> u32 {
        if buf.is_empty() {
            return 0;
        }
        if let Some(id) = self.base.index.get(buf) {
            return *id;
        }
        if let Some(id) = self.index.get(buf) {
            return *id;
        }
        let id = (self.base.len() + self.new.len()) as u32;
        let boxed: Box<[Prop]> = buf.into();
        self.new.push(boxed.clone());
        self.index.insert(boxed, id);
        id
    }

    pub(crate) fn into_parts(self) -> StagedParts {
        (self.keys.into_new(), self.strings.into_new(), self.new)
    }
}
