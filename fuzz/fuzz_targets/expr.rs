//! Parse + compile + evaluate arbitrary text against a small snapshot with every column type
//! and missing values. Any panic, hang or out-of-memory is a bug: untrusted rules must only
//! ever produce an `Error`.
#![no_main]

use std::sync::OnceLock;

use custfit::{Column, ColumnData, Expr, Frame, Snapshot, Timestamp};
use libfuzzer_sys::fuzz_target;

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let ts = |d: i64| Timestamp::from_millis(d * 86_400_000).ok();
        Snapshot::from_columns(
            Timestamp::from_millis(19_000 * 86_400_000).expect("as_of"),
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec![
                Column::new("mrr", ColumnData::Float(vec![Some(6000.0), Some(-0.0), None, Some(1e308)])),
                Column::new("days", ColumnData::Int(vec![Some(45), Some(i64::MIN), Some(i64::MAX), None])),
                Column::new("plan", ColumnData::Str(vec![Some("enterprise".into()), Some(String::new()), None, Some("é".into())])),
                Column::new("flag", ColumnData::Bool(vec![Some(true), None, Some(false), Some(true)])),
                Column::new("created_at", ColumnData::Timestamp(vec![ts(-25_000), ts(19_000), None, ts(80_000)])),
            ],
        )
        .expect("snapshot")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let snap = snapshot();
    if let Ok(expr) = Expr::compile(src, &snap.schema()) {
        let frame = Frame::new(snap);
        let column = expr.evaluate_frame(&frame);
        // The two evaluators must agree on every row.
        if let Ok(column) = column {
            for row in 0..snap.len() {
                let reference = expr.evaluate_row(&frame, row).expect("reference evaluates");
                assert_eq!(column.value(row), reference, "{src:?} row {row}");
            }
        }
        if expr.is_condition() {
            let _ = expr.matches_frame(&frame);
        }
    }
});
