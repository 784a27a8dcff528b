//! Runs the language-neutral golden cases in tests/cases/data and tests/cases/metrics.

use std::path::{Path, PathBuf};

use custfit::{Dataset, Error, IngestOptions, IngestReport, SnapshotConfig, Timestamp};
use serde_json::{json, Value};

pub fn case_files(domain: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases").join(domain);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden cases in {}", dir.display());
    files
}

fn counts(ds: &Dataset) -> Value {
    json!({"accounts": ds.account_count(), "users": ds.user_count(), "subscriptions": ds.subscription_count(), "events": ds.event_count()})
}

fn subset(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                subset(v, a.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: length");
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                subset(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            assert!((e - a).abs() <= 1e-9 * e.abs().max(1.0), "{path}: expected {e}, got {a}");
        }
        (e, a) => assert_eq!(e, a, "{path}"),
    }
}

fn stage<T: serde::de::DeserializeOwned>(input: &Value, key: &str) -> Option<Vec<T>> {
    input.get(key).map(|v| serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad {key} in case: {e}")))
}

/// Runs one data/metrics case; returns a description of the failure, if any.
fn run_case(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read case");
    let case: Value = serde_json::from_str(&text).expect("case JSON");
    let name = path.display();
    let input = case.get("input").cloned().unwrap_or(json!({}));
    let options: IngestOptions =
        case.get("options").map(|o| serde_json::from_value(o.clone()).expect("options")).unwrap_or_default();
    let expected = case.get("expected").cloned().unwrap_or(json!({}));
    let error = case.get("error");
    let mut ds = Dataset::new();
    let mut reports = serde_json::Map::new();
    let mut failed: Option<(String, Error)> = None;
    let mut before = counts(&ds);
    for table in ["accounts", "users", "subscriptions", "events"] {
        before = counts(&ds);
        let result: Option<custfit::Result<IngestReport>> = match table {
            "accounts" => stage(&input, table).map(|rows: Vec<custfit::Account>| ds.add_accounts(&rows, &options)),
            "users" => stage(&input, table).map(|rows: Vec<custfit::User>| ds.add_users(&rows, &options)),
            "subscriptions" => stage(&input, table).map(|rows: Vec<custfit::Subscription>| ds.add_subscriptions(&rows, &options)),
            _ => stage(&input, table).map(|rows: Vec<custfit::Event>| ds.add_events(&rows, &options)),
        };
        match result {
            None => {}
            Some(Ok(r)) => {
                reports.insert(table.into(), serde_json::to_value(r).expect("report"));
            }
            Some(Err(e)) => {
                failed = Some((table.to_string(), e));
                break;
            }
        }
    }
    let mut snapshot = None;
    if failed.is_none() {
        if let Some(as_of) = case.get("as_of").and_then(Value::as_str) {
            let as_of = Timestamp::parse(as_of).expect("as_of");
            let config: SnapshotConfig =
                case.get("config").map(|c| serde_json::from_value(c.clone()).expect("config")).unwrap_or_default();
            match ds.snapshot_with(as_of, &config) {
                Ok(s) => snapshot = Some(s),
                Err(e) => failed = Some(("snapshot".into(), e)),
            }
        }
    }
    match (error, &failed) {
        (Some(err), Some((stage, e))) => {
            assert_eq!(err["stage"].as_str(), Some(stage.as_str()), "{name}: failing stage ({e})");
            assert_eq!(err["code"].as_str(), Some(e.code()), "{name}: code ({e})");
            if let Some(row) = err.get("row").and_then(Value::as_u64) {
                match e {
                    Error::Row { row: r, .. } => assert_eq!(*r as u64, row, "{name}: row"),
                    other => panic!("{name}: expected a row error, got {other}"),
                }
            }
            if stage != "snapshot" {
                assert_eq!(counts(&ds), before, "{name}: dataset changed by a failed call");
            }
        }
        (Some(err), None) => panic!("{name}: expected error {err}, got success"),
        (None, Some((stage, e))) => panic!("{name}: unexpected error at {stage}: {e}"),
        (None, None) => {}
    }
    if let Some(c) = expected.get("counts") {
        subset(c, &counts(&ds), &format!("{name}: counts"));
    }
    if let Some(r) = expected.get("reports") {
        subset(r, &Value::Object(reports), &format!("{name}: reports"));
    }
    if let Some(snap) = snapshot {
        if let Some(n) = expected.get("row_count").and_then(Value::as_u64) {
            assert_eq!(snap.len() as u64, n, "{name}: row_count");
        }
        if let Some(Value::Object(rows)) = expected.get("rows") {
            for (account, cells) in rows {
                let Value::Object(cells) = cells else { panic!("{name}: rows.{account} must be an object") };
                for (column, want) in cells {
                    let got = snap.value(account, column).unwrap_or_else(|e| panic!("{name}: {account}.{column}: {e}"));
                    subset(want, &serde_json::to_value(got).expect("value"), &format!("{name}: {account}.{column}"));
                }
            }
        }
    }
}

#[test]
fn golden_data_cases() {
    for f in case_files("data") {
        run_case(&f);
    }
}

#[test]
fn golden_metrics_cases() {
    for f in case_files("metrics") {
        run_case(&f);
    }
}

#[test]
fn error_codes_match_shared_list() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases/error_codes.json");
    let list: Vec<String> = serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let ours: Vec<&str> = custfit::ErrorKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(list, ours);
}
