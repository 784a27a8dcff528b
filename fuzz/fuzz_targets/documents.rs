//! Every config and model document reader, and every settings part, on the same arbitrary text.
//! Each input goes to *all* readers, so N executions are N executions of each reader. A reader
//! must return a value or a coded `Error`, never panic, hang or exhaust memory; an accepted
//! document must write and read back to the same JSON; an accepted config is also applied to a
//! small snapshot with every column type (scored, segmented, planned, predicted) — the work it
//! asks for must stay bounded whatever its numbers say.
#![no_main]

use std::sync::OnceLock;

use custfit::activity::Goal;
use custfit::churn::{ChurnModel, ChurnModelConfig, TrainingSetConfig, WeightLearningConfig};
use custfit::document::{part_from_json_str, Document};
use custfit::frame::columns_from_json;
use custfit::health::{BacktestConfig, FlagConfig, Scorecard, ScorecardSet};
use custfit::outcome::{ActivityChurn, SubscriptionChurn};
use custfit::segment::{
    CapacityConfig, ClusterConfig, ClusterModel, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation,
};
use custfit::{Column, ColumnData, ExprLimits, IngestOptions, Snapshot, SnapshotConfig, Timestamp};
use libfuzzer_sys::fuzz_target;

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let day = |d: i64| Timestamp::from_millis(d * 86_400_000).ok();
        let f = |v: &[Option<f64>]| ColumnData::Float(v.to_vec());
        let i = |v: &[Option<i64>]| ColumnData::Int(v.to_vec());
        Snapshot::from_columns(
            Timestamp::from_millis(19_800 * 86_400_000).expect("as_of"),
            ["a", "b", "c", "d", "e", "f"].iter().map(|s| s.to_string()).collect(),
            vec![
                Column::new("mrr", f(&[Some(6000.0), Some(0.0), None, Some(1e12), Some(50.0), Some(50.0)])),
                Column::new("logins_30d", i(&[Some(40), Some(0), Some(3), None, Some(i64::MAX), Some(7)])),
                Column::new("active_days_30d", i(&[Some(30), Some(0), Some(2), Some(9), None, Some(9)])),
                Column::new("days_since_last_activity", i(&[Some(0), Some(400), None, Some(3), Some(0), Some(1)])),
                Column::new("seats", i(&[Some(10), Some(1), Some(0), Some(5), Some(2), None])),
                Column::new("nps", f(&[Some(9.0), Some(-0.0), Some(f64::MIN_POSITIVE), None, Some(3.0), Some(10.0)])),
                Column::new(
                    "tier",
                    ColumnData::Str(vec![Some("tier_1".into()), None, Some(String::new()), Some("é".into()), Some("tier_2".into()), Some("tier_1".into())]),
                ),
                Column::new("champion", ColumnData::Bool(vec![Some(true), None, Some(false), Some(true), Some(false), Some(true)])),
                Column::new("created_at", ColumnData::Timestamp(vec![day(19_000), day(-20_000), None, day(19_800), day(19_500), day(19_799)])),
            ],
        )
        .expect("snapshot")
    })
}

/// Reads `text` as a `T`; when accepted, checks that it writes and reads back unchanged.
fn read<T: Document>(text: &str) -> Option<T> {
    let doc = T::from_json_str(text).ok()?;
    let written = doc.to_json_string();
    let again = T::from_json_str(&written).unwrap_or_else(|e| panic!("{} does not read back: {e}\n{written}", T::KIND));
    assert_eq!(again.to_json_string(), written, "{} changes on a round trip", T::KIND);
    Some(doc)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let snap = snapshot();
    if let Some(card) = read::<Scorecard>(text) {
        let _ = card.score(snap);
    }
    if let Some(set) = read::<ScorecardSet>(text) {
        let _ = set.score(snap);
    }
    read::<SnapshotConfig>(text);
    read::<FlagConfig>(text);
    read::<BacktestConfig>(text);
    read::<TrainingSetConfig>(text);
    read::<WeightLearningConfig>(text);
    read::<ChurnModelConfig>(text);
    read::<Goal>(text);
    if let Some(model) = read::<ChurnModel>(text) {
        let p = model.features.metrics.len();
        let _ = model.predict(&vec![f64::NAN; p]);
        let _ = model.predict(&vec![1e308; p]);
        let _ = model.explain(&vec![0.0; p]);
    }
    if let Some(c) = read::<RuleSegmentation>(text) {
        let _ = c.apply(snap);
    }
    if let Some(c) = read::<ParetoConfig>(text) {
        let _ = c.apply(snap);
    }
    if let Some(c) = read::<QuantileConfig>(text) {
        let _ = c.apply(snap);
    }
    if let Some(c) = read::<RfmConfig>(text) {
        let _ = c.apply(snap);
    }
    if let Some(c) = read::<ClusterConfig>(text) {
        let _ = c.fit(snap);
    }
    if let Some(m) = read::<ClusterModel>(text) {
        let _ = m.predict(snap);
    }
    if let Some(c) = read::<CapacityConfig>(text) {
        let _ = c.plan(snap);
    }
    // Settings parts (no version of their own) and the snapshot / column-map JSON forms.
    let _ = part_from_json_str::<ExprLimits>(text, "limits").map(|l| l.validate());
    let _ = part_from_json_str::<IngestOptions>(text, "options");
    let _ = part_from_json_str::<SubscriptionChurn>(text, "churn").map(|c| c.validate());
    let _ = part_from_json_str::<ActivityChurn>(text, "churn").map(|c| c.validate());
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(s) = Snapshot::from_json_value(&value) {
            let back = Snapshot::from_json_value(&s.to_json_value()).expect("a snapshot reads back");
            assert_eq!(back.to_json_value(), s.to_json_value(), "snapshot JSON changes on a round trip");
        }
        if let Ok(columns) = columns_from_json(&value, Some("x")) {
            let _ = snap.with_columns(columns);
        }
    }
});
