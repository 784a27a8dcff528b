//! Golden cases of tests/cases/stats and tests/cases/outcome (one layout: a call, its input by
//! name, the expected value or error), run the same way in Rust, Python and Node.

use serde_json::{json, Value};

use crate::cases::case_files;

fn check(folder: &str, call: impl Fn(&str, &Value) -> custfit::Result<Value>) {
    for path in case_files(folder) {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("case JSON");
        let name = path.display();
        let result = call(case["call"].as_str().expect("call"), &case["input"]);
        match (case.get("error"), result) {
            (Some(err), Err(e)) => assert_eq!(err["code"].as_str(), Some(e.code()), "{name}: {e}"),
            (Some(err), Ok(v)) => panic!("{name}: expected {err}, got {v}"),
            (None, Err(e)) => panic!("{name}: unexpected error {e}"),
            (None, Ok(v)) => close(&case["expected"]["value"], &v, &name.to_string()),
        }
    }
}

fn close(expected: &Value, actual: &Value, what: &str) {
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{what}");
            e.iter().zip(a).for_each(|(x, y)| close(x, y, what));
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            assert!((e - a).abs() <= 1e-12, "{what}: expected {e}, got {a}");
        }
        (e, a) => assert_eq!(e, a, "{what}"),
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

#[test]
fn golden_stats_cases() {
    check("stats", |call, input| match call {
        "roc_auc" => {
            let labels: Vec<bool> =
                input["labels"].as_array().map(|a| a.iter().filter_map(Value::as_bool).collect()).unwrap_or_default();
            Ok(json!(custfit::health::roc_auc(&floats(&input["risk"]), &labels)?))
        }
        "wilson_interval" => {
            let (k, n) = (input["k"].as_u64().unwrap_or(0), input["n"].as_u64().unwrap_or(0));
            Ok(json!(custfit::stats::wilson_interval(k, n)?.map(|(lo, hi)| vec![lo, hi])))
        }
        other => panic!("unknown call {other}"),
    });
}

#[test]
fn golden_outcome_cases() {
    check("outcome", |call, input| {
        let rate = input["rate"].as_f64().unwrap_or(f64::NAN);
        match call {
            "monthly_to_annual" => Ok(json!(custfit::outcome::monthly_to_annual(rate)?)),
            "annual_to_monthly" => Ok(json!(custfit::outcome::annual_to_monthly(rate)?)),
            other => panic!("unknown call {other}"),
        }
    });
}
