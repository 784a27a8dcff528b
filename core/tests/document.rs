//! Golden cases of tests/cases/document: the same document gives the same result (and error
//! code) in Rust, Python and Node.

use custfit::churn::{ChurnModel, TrainingSetConfig};
use custfit::document::Document;
use custfit::health::{Scorecard, ScorecardSet};
use custfit::segment::{ParetoConfig, RuleSegmentation};
use custfit::SnapshotConfig;
use serde_json::Value;

use crate::cases::case_files;

fn read<T: Document>(doc: &Value) -> custfit::Result<()> {
    match doc {
        Value::String(text) => T::from_json_str(text).map(drop),
        other => T::from_json_value(other.clone()).map(drop),
    }
}

#[test]
fn golden_document_cases() {
    for path in case_files("document") {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("case JSON");
        let name = path.display();
        let doc = &case["document"];
        let result = match case["kind"].as_str().expect("kind") {
            "scorecard" => read::<Scorecard>(doc),
            "scorecard_set" => read::<ScorecardSet>(doc),
            "snapshot_config" => read::<SnapshotConfig>(doc),
            "training_set_config" => read::<TrainingSetConfig>(doc),
            "pareto_config" => read::<ParetoConfig>(doc),
            "rule_segmentation" => read::<RuleSegmentation>(doc),
            "churn_model" => read::<ChurnModel>(doc),
            other => panic!("{name}: unknown kind {other}"),
        };
        match (case.get("error"), result) {
            (Some(err), Err(e)) => assert_eq!(err["code"].as_str(), Some(e.code()), "{name}: {e}"),
            (Some(err), Ok(())) => panic!("{name}: expected {err}, the document read"),
            (None, Err(e)) => panic!("{name}: unexpected error {e}"),
            (None, Ok(())) => assert_eq!(case["expected"]["ok"], Value::Bool(true), "{name}"),
        }
    }
}
