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
    frame_at("2024-06-01", rows)
}

fn frame_at(date: &str, rows: &[(f64, f64, f64, &str)]) -> Snapshot {
    let col = |k: usize| ColumnData::Float(rows.iter().map(|r| Some([r.0, r.1, r.2][k]).filter(|x| !x.is_nan())).collect());
    Snapshot::from_columns(
        Timestamp::parse(date).expect("date"),
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

mod tracking {
    use super::*;
    use custfit::effectiveness::{PlanOutcome, PlanReason, PlanStatus, PlanTracker, TrackingPolicy};

    /// Tracking three accounts against their plans over five checks, worked by hand.
    #[test]
    fn plans_replans_and_actuals_worked_by_hand() -> custfit::Result<()> {
        let m = model();
        let mut t = PlanTracker::new(TrackingPolicy::default()); // plans due 90 days after
                                                                 // Jun 1: a0 started (days 3: weekly 3 → 8), a1 adopting (features 2 → 5), a2 mature.
        let c = t.track(&frame_at("2024-06-01", &[(3.0, 2.0, 0.0, "g"), (9.0, 1.0, 2.0, "g"), (12.0, 1.0, 6.0, "g")]), &m)?;
        assert_eq!(c.plans_made, 2);
        assert_eq!(c.accounts[2].status, PlanStatus::Top);
        let p0 = &t.plans[0];
        assert_eq!(
            (p0.account_id.as_str(), p0.revision, p0.reason, p0.target_phase.as_str()),
            ("a0", 1, PlanReason::Initial, "adopting")
        );
        assert_eq!((p0.steps[0].baseline, p0.steps[0].target), (Some(3.0), 8.0));
        assert_eq!(p0.due, Timestamp::parse("2024-08-30")?);
        // Jul 1 (30 of 90 days, a third elapsed): a0 at 5.5 days — half way (on track); a1 at
        // 2.5 features — a sixth of the way (behind).
        let c = t.track(&frame_at("2024-07-01", &[(5.5, 2.0, 0.0, "g"), (9.0, 1.0, 2.5, "g"), (12.0, 1.0, 6.0, "g")]), &m)?;
        let elapsed = 30.0 / 90.0;
        assert!((c.accounts[0].elapsed.expect("elapsed") - elapsed).abs() < 1e-12);
        assert_eq!((c.accounts[0].progress, c.accounts[0].status), (Some(0.5), PlanStatus::OnTrack));
        assert!((c.accounts[1].progress.expect("progress") - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(c.accounts[1].status, PlanStatus::Behind);
        assert_eq!(t.actuals.len(), 2);
        assert_eq!((t.actuals[0].values.clone(), t.actuals[0].met.clone()), (vec![Some(5.5)], vec![false]));
        // Aug 1: a0 adopting (achieved: re-planned for mature); a2 regressed to started (a new
        // plan, its first); a1 unchanged.
        let c = t.track(&frame_at("2024-08-01", &[(9.0, 2.0, 1.0, "g"), (9.0, 1.0, 3.0, "g"), (3.0, 1.0, 6.0, "g")]), &m)?;
        assert_eq!((c.accounts[0].closed, c.achieved, c.plans_made), (Some(PlanOutcome::Achieved), 1, 2));
        let a0 = t.plans_of("a0");
        assert_eq!(
            (a0.len(), a0[0].outcome, a0[1].reason, a0[1].target_phase.as_str()),
            (2, Some(PlanOutcome::Achieved), PlanReason::Achieved, "mature")
        );
        assert_eq!(a0[1].steps[0].baseline, Some(1.0));
        assert_eq!(t.plans_of("a2")[0].reason, PlanReason::Initial);
        // Sep 1: a1's plan (due Aug 30) expired unachieved: re-planned from its baseline now.
        let c = t.track(&frame_at("2024-09-01", &[(9.0, 2.0, 1.0, "g"), (9.0, 1.0, 4.0, "g"), (3.0, 1.0, 6.0, "g")]), &m)?;
        assert_eq!((c.accounts[1].closed, c.expired), (Some(PlanOutcome::Expired), 1));
        let a1 = t.plans_of("a1");
        assert_eq!((a1[1].revision, a1[1].reason, a1[1].steps[0].baseline), (2, PlanReason::Expired, Some(4.0)));
        assert_eq!(t.actuals_of("a1").len(), 3);
        // Oct 1: a0 falls back to started (regressed); a new model closes every other open plan.
        let mut m2 = m.clone();
        m2.phases[2].behaviours[0].at_least = Some(4.0);
        let c = t.track(&frame_at("2024-10-01", &[(3.0, 9.0, 1.0, "g"), (9.0, 1.0, 3.0, "g"), (3.0, 1.0, 6.0, "g")]), &m2)?;
        assert_eq!((c.regressed, c.model_changed), (1, 2));
        assert_eq!(t.plans_of("a0")[2].reason, PlanReason::Regressed);
        assert_eq!(t.plans_of("a1")[2].reason, PlanReason::ModelChanged);
        // Every plan, re-plan and actual is kept, and the document reads back as it was.
        assert_eq!((t.plans.len(), t.checks.len()), (8, 5));
        let back = PlanTracker::from_json_str(&t.to_json_string())?;
        assert_eq!(back, t);
        // As columns for plays: `plan_status == "behind"`.
        let g =
            frame(&[(1.0, 1.0, 1.0, "g"), (1.0, 1.0, 1.0, "g"), (1.0, 1.0, 1.0, "g")]).with_columns(c.account_columns("plan"))?;
        assert!(g.has_column("plan_status") && g.has_column("plan_progress") && g.has_column("plan_due"));
        Ok(())
    }

    #[test]
    fn checks_are_all_or_nothing_in_time_order_and_idempotent() -> custfit::Result<()> {
        let m = model();
        let mut t = PlanTracker::default();
        let june = frame_at("2024-06-01", &[(3.0, 2.0, 0.0, "g"), (9.0, 1.0, 2.0, "g")]);
        let july = frame_at("2024-07-01", &[(5.0, 2.0, 0.0, "g"), (9.0, 1.0, 3.0, "g")]);
        t.track(&june, &m)?;
        let first = t.track(&july, &m)?;
        let kept = t.clone();
        // The same check again: nothing changes, the same result.
        assert_eq!(t.track(&july, &m)?, first);
        assert_eq!(t, kept);
        // Another check at the same instant, or an earlier one, is refused and changes nothing.
        let other = frame_at("2024-07-01", &[(6.0, 2.0, 0.0, "g"), (9.0, 1.0, 3.0, "g")]);
        assert_eq!(t.track(&other, &m).expect_err("different").code(), "invalid_argument");
        assert_eq!(t.track(&june, &m).expect_err("earlier").code(), "invalid_argument");
        assert_eq!(t, kept);
        // A frame the model cannot read is refused before anything changes.
        let mut bad = m.clone();
        bad.phases[0].behaviours[0].metric = "nope".into();
        assert!(t.track(&frame_at("2024-08-01", &[(1.0, 1.0, 1.0, "g")]), &bad).is_err());
        assert_eq!(t, kept);
        // Broken documents are refused with a path.
        let mut doc = serde_json::to_value(&t).expect("json");
        doc["plans"][1]["revision"] = serde_json::json!(3);
        let e = PlanTracker::from_json_value(doc).expect_err("revision gap");
        assert!(e.to_string().contains("plans[1]"), "{e}");
        let mut doc = serde_json::to_value(&t).expect("json");
        doc["checks"] = serde_json::json!(["2024-07-01T00:00:00Z", "2024-06-01T00:00:00Z"]);
        assert!(PlanTracker::from_json_value(doc).expect_err("order").to_string().contains("checks"));
        let e =
            PlanTracker::from_json_value(serde_json::json!({"version": 1, "policy": {"horizon": {"amount": 0, "unit": "days"}}}))
                .expect_err("horizon");
        assert!(e.to_string().contains("policy.horizon"), "{e}");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Over any series of checks: the tracker stays valid; each account below the top has
        /// exactly one open plan, aiming for its next phase; progress lies in [0, 1]; and an
        /// actual is recorded for every open plan at every check.
        #[test]
        fn any_series_of_checks_keeps_one_open_plan_per_account(
            checks in prop::collection::vec(prop::collection::vec((0.0f64..20.0, 0.0f64..20.0, 0.0f64..10.0), 4), 1..8)
        ) {
            let m = model();
            let mut t = PlanTracker::new(TrackingPolicy { horizon: custfit::Window::days(45) });
            let mut actuals = 0;
            for (k, rows) in checks.iter().enumerate() {
                let rows: Vec<(f64, f64, f64, &str)> = rows.iter().map(|r| (r.0, r.1, r.2, "g")).collect();
                let date = Timestamp::parse("2024-01-01").expect("date").add_days(30 * k as i64).date_string();
                let open_before = t.plans.iter().filter(|p| p.closed_at.is_none()).count();
                let c = t.track(&frame_at(&date, &rows), &m).expect("track");
                actuals += open_before;
                prop_assert_eq!(t.actuals.len(), actuals);
                t.validate().expect("valid");
                let a = assess(&frame_at(&date, &rows), &m).expect("assess");
                for (acc, row) in a.accounts.iter().zip(&c.accounts) {
                    let open: Vec<_> = t.plans_of(&acc.account_id).into_iter().filter(|p| p.closed_at.is_none()).collect();
                    match &acc.next_phase {
                        Some(next) => {
                            prop_assert_eq!(open.len(), 1);
                            prop_assert_eq!(&open[0].target_phase, next);
                        }
                        None => prop_assert!(open.is_empty()),
                    }
                    prop_assert!(row.progress.is_none_or(|p| (0.0..=1.0).contains(&p)));
                }
            }
        }
    }
}
