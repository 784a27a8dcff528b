//! Frames as Arrow tables (the golden cases of tests/cases/frame run in `cases`).

use custfit::Snapshot;

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
