//! The JSON Lines reader for each table, and rows as JSON values (the path the Python and Node
//! bindings take), on the same arbitrary bytes; then ingestion of whatever they accept into a
//! small dataset, strict and lenient. Never a panic, hang or memory blow-up; a rejected strict
//! batch leaves the dataset exactly as it was; re-sending an accepted batch changes nothing.
#![no_main]

use std::sync::OnceLock;

use custfit::data::RowInput;
use custfit::io::jsonl;
use custfit::{Account, Dataset, Entity, Event, IngestMode, IngestOptions, Subscription, Timestamp, User};
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
    if let Ok(rows) = jsonl::read::<Account, _>(data, "accounts") {
        ingest(|ds, o| ds.add_accounts(&rows, o));
    }
    if let Ok(rows) = jsonl::read::<User, _>(data, "users") {
        ingest(|ds, o| ds.add_users(&rows, o));
    }
    if let Ok(rows) = jsonl::read::<Subscription, _>(data, "subscriptions") {
        ingest(|ds, o| ds.add_subscriptions(&rows, o));
    }
    if let Ok(rows) = jsonl::read::<Event, _>(data, "events") {
        ingest(|ds, o| ds.add_events(&rows, o));
    }
    // Rows as JSON values: a JSON array of anything, through the bindings' entry point.
    if let Ok(serde_json::Value::Array(values)) = serde_json::from_slice::<serde_json::Value>(data) {
        for entity in [Entity::Account, Entity::User, Entity::Subscription, Entity::Event] {
            let rows = || values.iter().cloned().map(RowInput::Json).collect::<Vec<_>>();
            ingest(|ds, o| ds.add_json_rows(entity, rows(), o));
        }
    }
});
