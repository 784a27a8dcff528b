//! What the row and Arrow targets share: a small dataset to ingest into, a textual picture of
//! what it holds, and the strict/lenient ingestion with its invariants.

use std::sync::OnceLock;

use custfit::{Account, Dataset, Event, IngestMode, IngestOptions, Timestamp};

/// Three accounts (one with a non-ASCII id) and one event.
pub fn base() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let mut ds = Dataset::new();
        let t = Timestamp::parse("2024-01-01").expect("date");
        let opts = IngestOptions::default();
        let accounts: Vec<Account> = ["a", "b", "é"].iter().map(|id| Account::new(*id, "x", t)).collect();
        ds.add_accounts(&accounts, &opts).expect("accounts");
        ds.add_events(&[Event::new("a", None, t.add_days(3), "login")], &opts).expect("events");
        ds
    })
}

/// What a dataset holds, to compare before and after a rejected batch (as text: NaN equals
/// itself there).
pub fn state(ds: &Dataset) -> String {
    let counts = (ds.account_count(), ds.user_count(), ds.subscription_count(), ds.event_count());
    format!("{counts:?} {:?} {:?} {:?} {:?} {:?}", ds.accounts(), ds.users(), ds.subscriptions(), ds.event_names(), ds.attribute_types())
}

/// Adds a batch strictly and leniently; a strict rejection must leave nothing behind and an
/// accepted batch sent twice must change nothing the second time.
pub fn ingest(add: impl Fn(&mut Dataset, &IngestOptions) -> custfit::Result<custfit::IngestReport>) {
    let strict = IngestOptions::default();
    let mut ds = base().clone();
    let before = state(&ds);
    match add(&mut ds, &strict) {
        Err(_) => assert!(state(&ds) == before, "a rejected strict batch changed the dataset"),
        Ok(_) => {
            let once = state(&ds);
            if add(&mut ds, &strict).is_ok() {
                assert!(state(&ds) == once, "re-sending an accepted batch changed the dataset");
            }
        }
    }
    let lenient = IngestOptions { mode: IngestMode::Lenient, ..IngestOptions::default() };
    let mut ds = base().clone();
    let _ = add(&mut ds, &lenient);
}
