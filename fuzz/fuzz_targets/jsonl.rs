//! The JSON Lines reader for each table, and rows as JSON values (the path the Python and Node
//! bindings take), on the same arbitrary bytes; then ingestion of whatever they accept into a
//! small dataset, strict and lenient. Never a panic, hang or memory blow-up; a rejected strict
//! batch leaves the dataset exactly as it was; re-sending an accepted batch changes nothing.
#![no_main]

use custfit::data::RowInput;
use custfit::io::jsonl;
use custfit::{Account, Entity, Event, Subscription, User};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::ingest;

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
