//! The CSV reader on arbitrary bytes, then ingestion of whatever it accepts into a small dataset,
//! strict and lenient. The first byte picks the table (accounts, users, subscriptions, events),
//! the rest is the file: one CSV read per execution (building the CSV parser dominates the time
//! of an execution, so reading all four tables each time would quarter the rate). Never a panic,
//! hang or memory blow-up; a rejected strict batch leaves the dataset exactly as it was;
//! re-sending an accepted batch changes nothing.
#![no_main]

use custfit::io::csv;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::ingest;

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
