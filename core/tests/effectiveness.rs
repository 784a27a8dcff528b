//! The effectiveness (maturity) model: placement, peer benchmarks, improvement plans.

use custfit::document::Document;
use custfit::effectiveness::{assess, MaturityModel};
use custfit::{Column, ColumnData, Snapshot, Timestamp, ToColumns};
use proptest::prelude::*;

fn model() -> MaturityModel {
    MaturityModel::from_json_value(serde_json::json!({"version": 1, "segment_by": "tier", "phases": [
        {"name": "started", "behaviours": [{"name": "active", "metric": "days", "at_least": 1}]},
        {"name": "adopting", "behaviours": [{"name": "weekly", "metric": "days", "at_least": 8},
                                             {"name": "recent", "metric": "silence", "at_most": 7}]},
        {"name": "mature", "behaviours": [{"name": "broad", "metric": "features", "at_least": 5}]}]}))
    .expect("model")
}

fn frame(rows: &[(f64, f64, f64, &str)]) -> Snapshot {
    let col = |k: usize| ColumnData::Float(rows.iter().map(|r| Some([r.0, r.1, r.2][k]).filter(|x| !x.is_nan())).collect());
    Snapshot::from_columns(
        Timestamp::parse("2024-06-01").expect("date"),
        (0..rows.len()).map(|i| format!("a{i}")).collect(),
        vec![
            Column::new("days", col(0)),
            Column::new("silence", col(1)),
            Column::new("features", col(2)),
            Column::new("tier", ColumnData::Str(rows.iter().map(|r| Some(r.3.to_string())).collect())),
        ],
    )
    .expect("frame")
}

#[test]
fn placement_benchmarks_and_plans_worked_by_hand() -> custfit::Result<()> {
    let f = frame(&[
        (0.0, 30.0, 0.0, "gold"),   // below the first phase
        (3.0, 2.0, 9.0, "gold"),    // started; misses weekly (so not adopting, not mature however broad)
        (10.0, 2.0, 3.0, "gold"),   // adopting; misses broad
        (12.0, 1.0, 6.0, "gold"),   // mature
        (20.0, 10.0, 8.0, "other"), // started: recent is missed
    ]);
    let a = assess(&f, &model())?;
    let phases: Vec<Option<&str>> = a.accounts.iter().map(|x| x.phase.as_deref()).collect();
    assert_eq!(phases, vec![None, Some("started"), Some("adopting"), Some("mature"), Some("started")]);
    assert_eq!(a.counts, vec![1, 2, 1, 1]);
    // a1's plan for adopting: weekly (3 → 8); recent is met.
    let plan = &a.accounts[1].plan;
    assert_eq!(plan.len(), 1);
    assert_eq!(
        (plan[0].behaviour.as_str(), plan[0].baseline, plan[0].target, plan[0].gap),
        ("weekly", Some(3.0), 8.0, Some(5.0))
    );
    // Peers: gold's days are 0, 3, 10, 12 — a2 (10) does at least as well as 3 of 4; median 6.5;
    // best in class the 90th percentile, 11.4 (a stretch target above 8).
    let weekly = a.accounts[2].behaviours.iter().find(|b| b.behaviour == "weekly").expect("weekly");
    assert_eq!(weekly.percentile, Some(0.75));
    assert_eq!(weekly.peer_median, Some(6.5));
    assert!((weekly.best_in_class.expect("best") - 11.4).abs() < 1e-12);
    assert!((plan[0].stretch.expect("stretch") - 11.4).abs() < 1e-12);
    // Lower is better for `at_most`: a3's silence of 1 beats all its peers (1, 2, 2, 30).
    let recent = a.accounts[3].behaviours.iter().find(|b| b.behaviour == "recent").expect("recent");
    assert_eq!(recent.percentile, Some(1.0));
    assert!(a.accounts[3].plan.is_empty() && a.accounts[3].next_phase.is_none());
    // The other tier is its own peer group.
    assert_eq!(a.accounts[4].behaviours[0].percentile, Some(1.0));
    // As columns.
    let cols = a.account_columns("maturity");
    let g = f.with_columns(cols)?;
    assert!(g.has_column("maturity_level") && g.has_column("maturity_gaps"));
    Ok(())
}

#[test]
fn bad_models_are_refused_with_paths() {
    let bad = |m: serde_json::Value| MaturityModel::from_json_value(m).expect_err("bad model");
    let phase = |n: &str| serde_json::json!({"name": n, "behaviours": [{"name": "x", "metric": "days", "at_least": 1}]});
    let e = bad(serde_json::json!({"version": 1, "phases": [phase("a"), phase("b")]}));
    assert_eq!(e.code(), "invalid_config");
    let e = bad(serde_json::json!({"version": 1, "phases": [phase("a"), phase("a"), phase("c")]}));
    assert!(e.to_string().contains("phases[1].name"), "{e}");
    let e = bad(serde_json::json!({"version": 1, "phases": [phase("a"), phase("b"),
        {"name": "c", "behaviours": [{"name": "x", "metric": "days", "at_least": 1, "at_most": 3}]}]}));
    assert!(e.to_string().contains("phases[2].behaviours[0]"), "{e}");
    assert_eq!(bad(serde_json::json!({"version": 2, "phases": []})).code(), "unsupported_version");
    // A missing metric column is an error of the assessment.
    let mut m = model();
    m.phases[0].behaviours[0].metric = "nope".into();
    assert!(assess(&frame(&[(1.0, 1.0, 1.0, "g")]), &m).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// An account's phase is the longest run of met phases from the first: it never skips a
    /// phase whose behaviours it meets, and is never above a phase it misses; its plan lists
    /// exactly the next phase's missed behaviours; percentiles lie in [0, 1].
    #[test]
    fn placement_is_the_longest_met_prefix(rows in prop::collection::vec((0.0f64..20.0, 0.0f64..20.0, 0.0f64..10.0, 0usize..2), 1..40)) {
        let rows: Vec<(f64, f64, f64, &str)> = rows.iter().map(|r| (r.0, r.1, r.2, ["a", "b"][r.3])).collect();
        let m = model();
        let a = assess(&frame(&rows), &m).expect("assess");
        for (acc, r) in a.accounts.iter().zip(&rows) {
            let met = [r.0 >= 1.0, r.0 >= 8.0 && r.1 <= 7.0, r.2 >= 5.0];
            let level = met.iter().take_while(|x| **x).count();
            prop_assert_eq!(acc.level as usize, level);
            if level < 3 {
                let missed: Vec<&str> = m.phases[level].behaviours.iter().filter(|b| {
                    let v = match b.metric.as_str() { "days" => r.0, "silence" => r.1, _ => r.2 };
                    !(b.at_least.is_none_or(|t| v >= t) && b.at_most.is_none_or(|t| v <= t))
                }).map(|b| b.name.as_str()).collect();
                let plan: Vec<&str> = acc.plan.iter().map(|p| p.behaviour.as_str()).collect();
                prop_assert_eq!(plan, missed);
            }
            prop_assert!(acc.behaviours.iter().filter_map(|b| b.percentile).all(|p| (0.0..=1.0).contains(&p)));
        }
    }
}
