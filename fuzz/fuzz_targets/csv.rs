//! The CSV reader on arbitrary bytes, then ingestion of whatever it accepts into a small dataset,
//! strict and lenient. The first byte picks the table (accounts, users, subscriptions, events),
//! the rest is the file: one CSV read per execution (building the CSV parser dominates the time
//! of an execution, so reading all four tables each time would quarter the rate). Never a panic,
//! hang or memory blow-up; a rejected strict batch leaves the dataset exactly as it was;
//! re-sending an accepted batch changes nothing.
#![no_main]

use std::sync::OnceLock;

use custfit::io::csv;
use custfit::{Account, Dataset, Event, IngestMode, IngestOptions, Timestamp};
use libfuzzer_sys::fuzz_target;

fn base() -> &'static Dataset {
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
fn state(ds: &Dataset) -> String {
    let counts = (ds.account_count(), ds.user_count(), ds.subscription_count(), ds.event_count());
    format!("{counts:?} {:?} {:?} {:?} {:?} {:?}", ds.accounts(), ds.users(), ds.subscriptions(), ds.event_names(), ds.attribute_types())
}

/// Adds a batch strictly and leniently; a strict rejection must leave nothing behind and an
/// accepted batch sent twice must change nothing the second time.
fn ingest(add: impl Fn(&mut Dataset, &IngestOptions) -> custfit::Result<custfit::IngestReport>) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    match which % 4 {
        0 => {
            if let Ok(rows) = csv::read_accounts(file) {
                ingest(|ds, o| ds.add_accounts(&rows, o));
            }
        }
        1 => {
            if let Ok(rows) = csv::read_users(file) {
                ingest(|ds, o| ds.add_users(&rows, o));
            }
        }
        2 => {
            if let Ok(rows) = csv::read_subscriptions(file) {
                ingest(|ds, o| ds.add_subscriptions(&rows, o));
            }
        }
        _ => {
            if let Ok(rows) = csv::read_events(file) {
                ingest(|ds, o| ds.add_events(&rows, o));
            }
        }
    }
});
