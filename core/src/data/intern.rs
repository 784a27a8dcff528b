//! String interning with a staging overlay, so that a batch can be validated against the
//! dataset's tables without touching them, and committed only once the whole batch is good.

use rustc_hash::FxHashMap as HashMap;

/// Dense ids for distinct strings, in first-seen order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    strings: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub(crate) fn resolve(&self, id: u32) -> &str {
        self.strings.get(id as usize).map(|s| &**s).unwrap_or("")
    }

    pub(crate) fn len(&self) -> usize {
        self.strings.len()
    }

    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.index.get(s) {
            return *id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.index.insert(s.into(), id);
        id
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.strings.iter().enumerate().map(|(i, s)| (i as u32, &**s))
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.strings.iter().map(|s| s.len() * 2 + 48).sum()
    }
}

/// New strings seen while staging a batch; ids continue the base interner's numbering, so they
/// stay valid after [`Staged::commit`].
#[derive(Debug)]
pub(crate) struct Staged<'a> {
    base: &'a Interner,
    new: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl<'a> Staged<'a> {
    pub(crate) fn new(base: &'a Interner) -> Self {
        Staged { base, new: Vec::new(), index: HashMap::default() }
    }

    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.base.get(s) {
            return id;
        }
        if let Some(id) = self.index.get(s) {
            return *id;
        }
        let id = (self.base.len() + self.new.len()) as u32;
        self.new.push(s.into());
        self.index.insert(s.into(), id);
        id
    }

    pub(crate) fn total_len(&self) -> usize {
        self.base.len() + self.new.len()
    }

    /// The strings to append to the base interner, in id order.
    pub(crate) fn into_new(self) -> Vec<Box<str>> {
        self.new
    }
}

impl Interner {
    pub(crate) fn extend_committed(&mut self, new: Vec<Box<str>>) {
        for s in new {
            self.intern(&s);
        }
    }
}
