//! Golden cases of tests/cases/frame: columns added to a snapshot from results in their JSON
//! form and from column maps, the same in Rust, Python and Node.

use custfit::frame::columns_from_json;
use custfit::Snapshot;
use serde_json::Value;

use crate::cases::case_files;

fn close(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            assert!((e - a).abs() <= 1e-9 * e.abs().max(1.0), "{path}: expected {e}, got {a}");
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: length");
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                close(v, a.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"));
            }
        }
        (e, a) => assert_eq!(e, a, "{path}"),
    }
}

#[test]
fn golden_frame_cases() {
    for path in case_files("frame") {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("case JSON");
        let name = path.display().to_string();
        let snapshot = Snapshot::from_json_value(&case["input"]).expect("input snapshot");
        let result = columns_from_json(&case["source"], case.get("name").and_then(Value::as_str))
            .and_then(|add| snapshot.with_columns(add));
        match (case.get("error"), result) {
            (Some(err), Err(e)) => assert_eq!(err["code"].as_str(), Some(e.code()), "{name}: {e}"),
            (Some(err), Ok(_)) => panic!("{name}: expected {err}"),
            (None, Err(e)) => panic!("{name}: unexpected error {e}"),
            (None, Ok(frame)) => close(&case["expected"], &frame.to_json_value(), &name),
        }
    }
}
