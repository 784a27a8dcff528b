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

#[test]
fn results_as_arrow_tables() -> custfit::Result<()> {
    use custfit::ToColumns;
    let snap = Snapshot::from_json_value(&serde_json::json!({
        "as_of": "2024-06-01T00:00:00Z",
        "columns": {"account_id": ["a", "b", "c"], "mrr": [100.0, 50.0, null]},
    }))?;
    let cols = snap.account_columns("");
    let batch = cols.to_arrow()?;
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["account_id", "mrr"]);
    assert_eq!(batch.num_rows(), 3);
    assert_eq!(batch.column(1).null_count(), 1);
    // A result without ids: only its columns, in the snapshot's row order.
    let by_row = custfit::AccountColumns::by_row(vec![custfit::Column {
        name: "tier".into(),
        data: custfit::ColumnData::Str(vec![Some("t1".into()), None, Some("t2".into())]),
    }]);
    let batch = by_row.to_arrow()?;
    assert_eq!(batch.schema().field(0).name(), "tier");
    assert_eq!((batch.num_columns(), batch.num_rows(), batch.column(0).null_count()), (1, 3, 1));
    Ok(())
}
