//! Property tests of every config and model reader: random JSON — nested, huge, odd — and
//! valid documents with one part replaced by random JSON go to every reader, which must return a
//! value or an error with one of the stable codes, never panic. (The cargo-fuzz target
//! `fuzz/fuzz_targets/documents.rs` does the same coverage-guided; this runs in `make test`.)

use std::panic::{catch_unwind, AssertUnwindSafe};

use custfit::activity::Goal;
use custfit::churn::{ChurnModel, ChurnModelConfig, TrainingSetConfig, WeightLearningConfig};
use custfit::document::{part_from_json_value, Document};
use custfit::frame::columns_from_json;
use custfit::health::{BacktestConfig, FlagConfig, Scorecard, ScorecardSet};
use custfit::outcome::{ActivityChurn, SubscriptionChurn};
use custfit::segment::{CapacityConfig, ClusterConfig, ClusterModel, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation};
use custfit::{Error, ErrorKind, ExprLimits, IngestOptions, Snapshot, SnapshotConfig};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys the readers know, so random objects reach past the first unknown-field check.
const KEYS: &[&str] = &[
    "version",
    "type",
    "name",
    "metric",
    "metrics",
    "measures",
    "scoring",
    "weight",
    "low",
    "high",
    "window",
    "amount",
    "unit",
    "bands",
    "thresholds",
    "cards",
    "key",
    "default",
    "features",
    "model",
    "settings",
    "preprocessor",
    "transforms",
    "groups",
    "outputs",
    "trees",
    "feature",
    "threshold",
    "left",
    "right",
    "value",
    "coefficients",
    "intercept",
    "training",
    "segments",
    "rule",
    "mode",
    "cuts",
    "k",
    "restarts",
    "max_iterations",
    "tiers",
    "account_hours_per_year",
    "csm_hours_per_year",
    "dates",
    "horizon",
    "lead",
    "step",
    "known_at",
    "gap_tolerance",
    "inactivity",
    "as_of",
    "columns",
    "types",
    "account_id",
    "target",
    "period",
    "max_source_len",
    "max_depth",
    "max_nodes",
    "max_cost",
    "duplicates",
    "now",
    "penalties",
    "overrides",
    "checksum",
];
const WORDS: &[&str] = &[
    "ramp",
    "tiers",
    "days",
    "weeks",
    "months",
    "mau",
    "logins_30d",
    "mrr",
    "logistic",
    "boosted_trees",
    "all",
    "first",
    "pareto",
    "1",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "int",
    "float",
    "str",
    "bool",
    "timestamp",
    "daily",
    "lenient",
    "",
    "é",
    "\u{0}",
    "a\"b",
    "mau > 3 && mrr < 1e9",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0u32), Just(1), Just(2), Just(100), Just(u32::MAX)].prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |x| x.is_finite()).prop_map(Value::from),
        prop_oneof![Just(1e308), Just(-1e308), Just(-0.0), Just(5e-324), Just(0.5), Just(1e10)].prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(8, 256, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((prop_oneof![prop::sample::select(KEYS).prop_map(String::from), "\\PC{0,8}"], inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A value nested `depth` deep (arrays and objects alternating).
fn deep(depth: usize) -> Value {
    (0..depth)
        .fold(Value::from(1), |v, i| if i % 2 == 0 { Value::Array(vec![v]) } else { serde_json::json!({"version": 1, "a": v}) })
}

/// Every reader on `value`: each returns, and every error has a stable code.
fn read_all(value: &Value) {
    fn doc<T: Document>(v: &Value) -> Result<(), Error> {
        T::from_json_value(v.clone()).map(drop)
    }
    fn part<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), Error> {
        part_from_json_value::<T>(v.clone(), "part").map(drop)
    }
    type Reader = fn(&Value) -> Result<(), Error>;
    let readers: &[(&str, Reader)] = &[
        ("scorecard", doc::<Scorecard>),
        ("scorecard set", doc::<ScorecardSet>),
        ("snapshot config", doc::<SnapshotConfig>),
        ("flag config", doc::<FlagConfig>),
        ("backtest config", doc::<BacktestConfig>),
        ("training set config", doc::<TrainingSetConfig>),
        ("weight learning config", doc::<WeightLearningConfig>),
        ("churn model config", doc::<ChurnModelConfig>),
        ("churn model", doc::<ChurnModel>),
        ("goal", doc::<Goal>),
        ("rule segmentation", doc::<RuleSegmentation>),
        ("pareto config", doc::<ParetoConfig>),
        ("quantile config", doc::<QuantileConfig>),
        ("rfm config", doc::<RfmConfig>),
        ("cluster config", doc::<ClusterConfig>),
        ("cluster model", doc::<ClusterModel>),
        ("capacity config", doc::<CapacityConfig>),
        ("expr limits", |v| part::<ExprLimits>(v)),
        ("ingest options", |v| part::<IngestOptions>(v)),
        ("subscription churn", |v| part::<SubscriptionChurn>(v)),
        ("activity churn", |v| part::<ActivityChurn>(v)),
        ("snapshot JSON", |v| Snapshot::from_json_value(v).map(drop)),
        ("column map", |v| columns_from_json(v, Some("x")).map(drop)),
        ("document text", |v| Scorecard::from_json_str(&v.to_string()).map(drop)),
    ];
    for (name, read) in readers {
        if std::env::var("READERS_TRACE").is_ok() {
            eprintln!("{name}");
        }
        match catch_unwind(AssertUnwindSafe(|| read(value))) {
            Err(_) => panic!("{name} panicked on {value}"),
            Ok(Err(e)) => assert!(ErrorKind::ALL.iter().any(|k| k.code() == e.code()), "{name}: uncoded {e:?}"),
            Ok(Ok(())) => {}
        }
    }
}

/// Valid documents of every kind, from the golden cases and the built-in starter scorecard.
fn seeds() -> Vec<Value> {
    let mut out = vec![serde_json::to_value(Scorecard::starter()).expect("starter")];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    for folder in std::fs::read_dir(&root).expect("cases").flatten().filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(folder.path()).expect("folder").flatten() {
            let Ok(text) = std::fs::read_to_string(file.path()) else { continue };
            let Ok(case) = serde_json::from_str::<Value>(&text) else { continue };
            for key in ["config", "document", "scorecard", "scorecard_set", "model", "goal", "snapshot", "limits"] {
                if let Some(v) = case["input"].get(key).filter(|v| v.is_object()) {
                    out.push(v.clone());
                }
            }
        }
    }
    out
}

/// `seed` with the `k`-th node (pre-order) replaced by `with`.
fn replace_node(seed: &mut Value, k: &mut usize, with: &Value) -> bool {
    if *k == 0 {
        *seed = with.clone();
        return true;
    }
    *k -= 1;
    match seed {
        Value::Array(items) => items.iter_mut().any(|v| replace_node(v, k, with)),
        Value::Object(map) => map.values_mut().any(|v| replace_node(v, k, with)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_json_never_panics_any_reader(value in json()) {
        read_all(&value);
    }

    #[test]
    fn valid_documents_with_a_random_part_never_panic(which in any::<prop::sample::Index>(), node in 0usize..400, with in json()) {
        let seeds = seeds();
        let mut doc = seeds[which.index(seeds.len())].clone();
        let mut k = node;
        replace_node(&mut doc, &mut k, &with);
        read_all(&doc);
    }
}

#[test]
fn deep_and_huge_documents_are_refused_with_a_code() {
    for depth in [1, 64, 127, 128, 129, 1_000, 100_000] {
        // Built as text: serialising (or dropping) a value this deep would itself recurse.
        let text = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        // From text: serde_json's recursion limit (128) refuses deeper input before any reader.
        let e = Scorecard::from_json_str(&text).expect_err("not a scorecard");
        assert!(["parse_error", "invalid_config"].contains(&e.code()), "{depth}: {e}");
        // A value built in Rust (no text, so no parser limit) meets the same depth rule. (Values
        // deeper than a few thousand levels are not built here: cloning and dropping a
        // serde_json value recurses, in the caller's code.)
        if depth <= 1_000 {
            let value = serde_json::json!({"version": 1, "measures": deep(depth)});
            read_all(&value);
            let e = Scorecard::from_json_value(value).expect_err("not a scorecard");
            if depth >= custfit::document::MAX_JSON_DEPTH {
                assert!(e.to_string().contains("nested deeper than 128"), "{depth}: {e}");
            }
        }
    }
    let huge = format!("{{\"version\": 1, \"measures\": [{}]}}", vec!["{}"; 3_000_000].join(","));
    assert!(huge.len() > 8 << 20);
    assert_eq!(Scorecard::from_json_str(&huge).expect_err("too many").code(), "parse_error");
    let too_long = " ".repeat(custfit::document::MAX_DOCUMENT_BYTES + 1);
    assert!(Scorecard::from_json_str(&too_long).expect_err("too long").to_string().contains("longer than"));
}
