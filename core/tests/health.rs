//! Health scoring (golden cases in `cases`): property tests, and checks on the simulator.

use custfit::health::{
    backtest, detect_flags, BacktestConfig, Band, FlagConfig, Measure, MissingPolicy, Scorecard, ScorecardSet, Scoring, Tier,
};
use custfit::{Column, ColumnData, Simulation, SimulationConfig, Snapshot, SnapshotConfig, Timestamp, Window};
use proptest::prelude::*;

#[test]
fn starter_scorecard_is_ordinary_valid_config() {
    let card = Scorecard::starter();
    assert_eq!(card.name, "starter");
    card.validate().expect("valid");
    let text = card.to_json().expect("json");
    assert_eq!(Scorecard::from_json(&text).expect("parse"), card);
}

fn small_sim(seed: u64) -> Simulation {
    Simulation::generate(&SimulationConfig::default().with_accounts(300).with_days(365).with_seed(seed).with_activity_scale(0.5))
        .expect("sim")
}

#[test]
fn starter_separates_churners_and_flags_catch_truth() {
    let sim = small_sim(11);
    let ds = &sim.dataset;
    let dates = BacktestConfig::grid(sim.start.add_days(90), sim.end.add_days(-121), 30).expect("grid");
    let report = backtest(ds, &Scorecard::starter(), &BacktestConfig::new(dates)).expect("backtest");
    let auc = report.roc_auc.expect("two classes");
    assert!(auc >= 0.7, "starter AUC {auc}");
    // Churn rate falls from red to green.
    let rate = |name: &str| report.bands.iter().find(|b| b.band == name).and_then(|b| b.churn_rate).unwrap_or(0.0);
    assert!(rate("green") < rate("orange"), "{:?}", report.bands);
    let total: u64 = report.transitions.counts.iter().flatten().sum();
    assert!(total > 0);
    // Censoring: a date whose horizon runs past the data is skipped.
    let late = backtest(ds, &Scorecard::starter(), &BacktestConfig::new(vec![sim.end.add_days(-130), sim.end.add_days(-10)]))
        .expect("bt");
    assert_eq!(late.skipped_dates, vec![sim.end.add_days(-10)]);

    // Extraction bursts: caught the day before churn, and not on accounts without one.
    let mut cfg = FlagConfig::default();
    cfg.burst.recent = Window::days(14);
    let (mut hit, mut pos, mut false_pos, mut neg) = (0, 0, 0, 0);
    for t in sim.truth.iter().filter(|t| t.churned) {
        let Some(at) = t.churned_at else { continue };
        let flags = detect_flags(ds, at.add_days(-1), &cfg).expect("flags");
        let Some(f) = flags.iter().find(|f| f.account_id == t.account_id) else { continue };
        if t.extraction_burst {
            pos += 1;
            hit += u32::from(f.extraction_burst.flagged);
        } else {
            neg += 1;
            false_pos += u32::from(f.extraction_burst.flagged);
        }
    }
    assert!(pos > 0 && hit * 2 >= pos, "burst recall {hit}/{pos}");
    assert!(false_pos * 10 <= neg.max(1), "burst false positives {false_pos}/{neg}");
    // Confusion.
    let flags = detect_flags(ds, sim.end.add_days(-100), &FlagConfig::default()).expect("flags");
    let (mut hit, mut pos, mut false_pos) = (0, 0, 0);
    for f in &flags {
        let confused = sim.truth_of(&f.account_id).is_some_and(|t| t.confused);
        pos += u32::from(confused);
        hit += u32::from(confused && f.confusion.flagged);
        false_pos += u32::from(!confused && f.confusion.flagged);
    }
    assert!(hit * 2 >= pos, "confusion recall {hit}/{pos}");
    assert!(false_pos * 50 <= flags.len() as u32, "confusion false positives {false_pos}");
    // Every flag carries its numbers.
    assert!(flags.iter().any(|f| f.cadence_inactivity.usual_gap_days.is_some()));
}

#[test]
fn health_history_and_trend() {
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(60).with_days(150).with_seed(5).with_activity_scale(0.3))
            .expect("sim");
    let dates = [sim.end.add_days(-60), sim.end.add_days(-30), sim.end];
    let card = Scorecard::starter();
    let hist = custfit::health::health_history(&sim.dataset, &card, &dates, &SnapshotConfig::default(), &FlagConfig::default())
        .expect("history");
    assert_eq!(hist.len(), 3);
    let id = &hist[2].account_ids()[0];
    let series = custfit::health::account_history(&hist, id);
    assert_eq!(series.len(), 3);
    for ch in hist[2].changes_since(&hist[0]) {
        let i = hist[2].row_of(&ch.account_id).expect("row");
        let j = hist[0].row_of(&ch.account_id).expect("row");
        let exact: i64 = hist[2].parts().iter().enumerate().map(|(p, _)| hist[2].contribution_micros(p, i)).sum::<i64>()
            - hist[0].parts().iter().enumerate().map(|(p, _)| hist[0].contribution_micros(p, j)).sum::<i64>();
        assert_eq!(exact, hist[2].score_micros(i).unwrap_or(0) - hist[0].score_micros(j).unwrap_or(0));
        let sum: f64 = ch.by_measure.iter().map(|m| m.delta).sum();
        assert!((sum - ch.delta).abs() < 1e-9, "{ch:?}");
    }
}

/// Scores on a snapshot large enough to be split across threads, with more than 64 measures
/// (past the patterns of present measures the pass remembers), every column type and missing
/// values: the score is exactly the sum of its contributions, in every row.
#[test]
fn wide_scorecards_on_large_snapshots_add_up() {
    let n = 40_000;
    let f = |i: usize, k: usize| ((i * 7919 + k * 104_729) % 1000) as f64;
    let mut cols = vec![
        Column::new("small", ColumnData::Int((0..n).map(|i| (i % 11 != 0).then_some((f(i, 1) as i64) % 100)).collect())),
        Column::new("medium", ColumnData::Int((0..n).map(|i| (i % 13 != 0).then_some(f(i, 2) as i64 * 20)).collect())),
        Column::new("large", ColumnData::Int((0..n).map(|i| (i % 17 != 0).then_some(f(i, 3) as i64 * 100_000)).collect())),
        Column::new("ratio", ColumnData::Float((0..n).map(|i| (i % 7 != 0).then_some(f(i, 4) / 37.0)).collect())),
        Column::new("flag", ColumnData::Bool((0..n).map(|i| (i % 5 != 0).then_some(i % 3 == 0)).collect())),
        Column::new("plan", ColumnData::Str((0..n).map(|i| Some(["a", "b", "c"][i % 3].to_string())).collect())),
    ];
    // Columns missing in most rows, so that the far measures come and go.
    for k in 0..4 {
        let name = format!("sparse{k}");
        cols.push(Column::new(name, ColumnData::Float((0..n).map(|i| (i % (3 + k) == 0).then_some(f(i, 10 + k))).collect())));
    }
    let ids = (0..n).map(|i| format!("a{i}")).collect();
    let snap = Snapshot::from_columns(Timestamp::from_millis(0).expect("t"), ids, cols).expect("snapshot");
    let metrics = ["small", "medium", "large", "ratio", "flag", "sparse0", "sparse1", "sparse2", "sparse3"];
    let mut card = Scorecard::new("wide").with_penalty("flag", 7.0);
    for k in 0..70 {
        let metric = metrics[k % metrics.len()];
        let scoring = match k % 4 {
            0 => Scoring::Ramp { low: 10.0, high: 400.0 },
            1 => Scoring::Tiers { tiers: vec![Tier::new(None, Some(50.0), 20.0), Tier::new(Some(50.0), Some(300.0), 60.0)] },
            2 => Scoring::Percentile { peers: custfit::health::PeerGroup::All },
            _ => Scoring::Percentile { peers: custfit::health::PeerGroup::Column { column: "plan".into() } },
        };
        let mut m = Measure::new(format!("m{k}"), metric, scoring).with_weight(1.0 + (k % 5) as f64);
        if k % 9 == 4 {
            m = m.with_missing(MissingPolicy::Default { points: 30.0 });
        }
        card = card.with_measure(m);
    }
    let small = Scorecard::new("small")
        .with_measure(Measure::new("m0", "ratio", Scoring::Ramp { low: 0.0, high: 20.0 }))
        .with_measure(Measure::new("m70", "sparse1", Scoring::Percentile { peers: custfit::health::PeerGroup::All }));
    let set = ScorecardSet::new("plan", card.clone()).with_case(vec!["b".into()], small);
    for scores in [card.score(&snap).expect("card"), set.score(&snap).expect("set")] {
        let parts = scores.parts().len();
        let mut scored = 0;
        for i in (0..n).step_by(97) {
            let sum: i64 = (0..parts).map(|p| scores.contribution_micros(p, i)).sum();
            match scores.computed_micros(i) {
                Some(s) => {
                    scored += 1;
                    assert_eq!(sum, s, "row {i}");
                    let row = scores.row(i).expect("row");
                    let weights: f64 = row.measures.iter().map(|m| m.weight).sum();
                    assert!((weights - 1.0).abs() < 1e-9, "row {i}: weights {weights}");
                }
                None => assert_eq!(sum, 0, "row {i}"),
            }
        }
        assert!(scored > 300);
    }
}

// ---- properties ----

fn ramp_or_tiers() -> impl Strategy<Value = Scoring> {
    prop_oneof![
        (-50.0f64..50.0, 0.1f64..100.0).prop_map(|(low, w)| Scoring::Ramp { low, high: low + w }),
        (prop::collection::vec(-20.0f64..20.0, 1..4), prop::collection::vec(0.0f64..100.0, 4)).prop_map(|(mut cuts, mut pts)| {
            cuts.sort_by(f64::total_cmp);
            cuts.dedup();
            pts.truncate(cuts.len() + 1);
            pts.sort_by(f64::total_cmp);
            let mut tiers = Vec::new();
            let mut lo = None;
            for (k, p) in pts.iter().enumerate() {
                let hi = cuts.get(k).copied();
                tiers.push(Tier::new(lo, hi, *p));
                lo = hi;
            }
            Scoring::Tiers { tiers }
        }),
        Just(Scoring::Percentile { peers: Default::default() }),
    ]
}

fn card_strategy() -> impl Strategy<Value = (Scorecard, usize)> {
    prop::collection::vec((ramp_or_tiers(), 0.0f64..5.0, any::<bool>(), 0u8..3), 1..5).prop_map(|ms| {
        let n = ms.len();
        let mut card = Scorecard::new("prop");
        for (k, (scoring, w, lower, missing)) in ms.into_iter().enumerate() {
            let mut m =
                Measure::new(format!("m{k}"), format!("c{k}"), scoring.clone()).with_weight(if k == 0 { w + 0.5 } else { w });
            if lower {
                m = m.with_direction(custfit::health::Direction::LowerIsBetter);
                if let Scoring::Tiers { tiers } = &mut m.scoring {
                    let pts: Vec<f64> = tiers.iter().rev().map(|t| t.points).collect();
                    tiers.iter_mut().zip(pts).for_each(|(t, p)| t.points = p);
                }
            }
            m = m.with_missing(match missing {
                0 => MissingPolicy::Renormalize,
                1 => MissingPolicy::Worst,
                _ => MissingPolicy::Default { points: 40.0 },
            });
            card = card.with_measure(m);
        }
        (card, n)
    })
}

fn snapshot_of(cols: &[Vec<Option<f64>>]) -> Snapshot {
    let n = cols.first().map_or(0, Vec::len);
    let ids = (0..n).map(|i| format!("a{i}")).collect();
    let columns = cols.iter().enumerate().map(|(k, c)| Column::new(format!("c{k}"), ColumnData::Float(c.clone()))).collect();
    Snapshot::from_columns(Timestamp::from_millis(0).expect("ts"), ids, columns).expect("snapshot")
}

#[test]
fn scorecard_set_refuses_a_float_selecting_column() {
    let card = Scorecard::new("c").with_measure(Measure::new("a", "c0", Scoring::Ramp { low: 0.0, high: 10.0 }));
    let set = ScorecardSet::new("c1", card.clone()).with_case(vec!["1".into()], card);
    let snap = snapshot_of(&[vec![Some(1.0), Some(2.0)], vec![Some(1.0), None]]);
    let err = set.score(&snap).map(|_| ()).map_err(|e| (e.code(), e.to_string()));
    assert!(matches!(&err, Err(("invalid_config", m)) if m.contains("c1")), "{err:?}");
}

#[test]
fn nan_in_a_float_column_is_a_missing_value() {
    let tiers = vec![
        Tier { min: None, min_inclusive: true, max: Some(5.0), max_inclusive: false, points: 20.0 },
        Tier { min: Some(5.0), min_inclusive: true, max: None, max_inclusive: false, points: 90.0 },
    ];
    let scorings = [
        Scoring::Ramp { low: 0.0, high: 10.0 },
        Scoring::Tiers { tiers },
        Scoring::Percentile { peers: custfit::health::PeerGroup::All },
    ];
    let policies = [MissingPolicy::Renormalize, MissingPolicy::Worst, MissingPolicy::Default { points: 40.0 }];
    let other = vec![Some(3.0), Some(7.0), Some(1.0), Some(9.0), None];
    let with_nan = vec![Some(f64::NAN), Some(4.0), Some(f64::NAN), Some(8.0), Some(2.0)];
    let with_none: Vec<Option<f64>> = with_nan.iter().map(|x| x.filter(|x| !x.is_nan())).collect();
    for scoring in &scorings {
        for policy in &policies {
            let card = Scorecard::new("nan")
                .with_measure(Measure::new("a", "c0", scoring.clone()).with_missing(*policy))
                .with_measure(Measure::new("b", "c1", Scoring::Ramp { low: 0.0, high: 10.0 }));
            let got = card.score(&snapshot_of(&[with_nan.clone(), other.clone()])).expect("score");
            let want = card.score(&snapshot_of(&[with_none.clone(), other.clone()])).expect("score");
            assert_eq!(got.rows(), want.rows(), "{scoring:?} {policy:?}");
            for row in got.rows() {
                assert!(row.score.is_none_or(f64::is_finite), "{row:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scores_bounded_additive_monotone_and_round_trip(
        (card, n) in card_strategy(),
        rows in prop::collection::vec(prop::collection::vec(prop::option::weighted(0.85, -60.0f64..60.0), 5), 2..12),
        bump in 0.0f64..30.0,
        which in 0usize..5,
    ) {
        card.validate().expect("valid card");
        let cols: Vec<Vec<Option<f64>>> = (0..n).map(|k| rows.iter().map(|r| r[k]).collect()).collect();
        let snap = snapshot_of(&cols);
        let scores = card.score(&snap).expect("score");
        for i in 0..scores.len() {
            if let Some(s) = scores.score_micros(i) {
                prop_assert!((0..=100_000_000).contains(&s));
                let sum: i64 = (0..scores.parts().len()).map(|p| scores.contribution_micros(p, i)).sum();
                prop_assert_eq!(sum, s);
            }
        }
        // Monotone: moving one present value of a non-percentile measure in its good direction
        // never lowers that account's score (percentiles move peers too, checked separately).
        let k = which % n;
        if !matches!(card.measures[k].scoring, Scoring::Percentile { .. }) {
            let sign = if card.measures[k].direction == custfit::health::Direction::HigherIsBetter { 1.0 } else { -1.0 };
            let mut moved = cols.clone();
            for v in moved[k].iter_mut().flatten() {
                *v += sign * bump;
            }
            let after = card.score(&snapshot_of(&moved)).expect("score");
            for i in 0..scores.len() {
                if let (Some(a), Some(b)) = (scores.score_micros(i), after.score_micros(i)) {
                    prop_assert!(b >= a, "row {i}: {a} -> {b}");
                }
            }
            // Why-changed sums exactly.
            for ch in after.changes_since(&scores) {
                let i = after.row_of(&ch.account_id).expect("row");
                let total: i64 = (0..after.parts().len()).map(|p| after.contribution_micros(p, i) - scores.contribution_micros(p, i)).sum();
                prop_assert_eq!(total, after.score_micros(i).unwrap_or(0) - scores.score_micros(i).unwrap_or(0));
            }
        }
        // JSON round trip is exact.
        let text = card.to_json().expect("json");
        prop_assert_eq!(Scorecard::from_json(&text).expect("parse"), card.clone());
        let value = serde_json::to_value(&card).expect("value");
        let back: Scorecard = serde_json::from_value(value.clone()).expect("back");
        prop_assert_eq!(serde_json::to_value(&back).expect("value"), value);
    }

    #[test]
    fn percentile_is_monotone_within_a_snapshot(values in prop::collection::vec(-100.0f64..100.0, 2..30)) {
        let card = Scorecard::new("p").with_measure(Measure::new("m", "c0", Scoring::Percentile { peers: Default::default() }));
        let snap = snapshot_of(&[values.iter().map(|v| Some(*v)).collect()]);
        let s = card.score(&snap).expect("score");
        for i in 0..values.len() {
            for j in 0..values.len() {
                if values[i] < values[j] {
                    prop_assert!(s.score_micros(i) < s.score_micros(j));
                }
            }
        }
    }

    #[test]
    fn bands_cover_every_score(score in 0.0f64..=100.0) {
        let card = Scorecard::new("b").with_bands(vec![
            Band::new("top", "green", 60.0, 100.0),
            Band::new("bottom", "red", 0.0, 60.0),
        ]);
        prop_assert!(card.band_of(score).is_some());
    }
}

// ---- user guide snippets (docs/src/health.md) ----

#[test]
fn guide_health() -> custfit::Result<()> {
    // ANCHOR: score
    use custfit::health::{health_snapshot, FlagConfig, Scorecard};
    use custfit::{Simulation, SimulationConfig, SnapshotConfig};

    let sim = Simulation::generate(
        &SimulationConfig::default().with_accounts(80).with_days(200).with_seed(4).with_activity_scale(0.3),
    )?;
    // The metric snapshot plus the edge-case flag columns (flag_extraction_burst, …).
    let snapshot = health_snapshot(&sim.dataset, sim.end, &SnapshotConfig::default(), &FlagConfig::default())?;
    let card = Scorecard::starter();
    let scores = card.score(&snapshot)?;
    let row = scores.row(0).expect("an account");
    println!("{} scores {:?} ({:?})", row.account_id, row.score, row.band);
    for m in &row.measures {
        println!("  {:24} value {:?} points {:?} contributes {:.2}", m.name, m.value, m.points, m.contribution);
    }
    // ANCHOR_END: score
    // ANCHOR: config
    let card = Scorecard::from_json(
        r#"{
          "version": 1,
          "name": "smb",
          "measures": [
            {"name": "active", "metric": "active_days_30d", "scoring": {"type": "ramp", "low": 2, "high": 20}},
            {"name": "logins", "metric": "logins_7d",
             "scoring": {"type": "percentile", "peers": {"type": "bins", "column": "users", "edges": [5, 20]}}},
            {"name": "tickets", "metric": "high_severity_tickets_60d", "direction": "lower_is_better",
             "missing": {"type": "default", "points": 50},
             "scoring": {"type": "tiers", "tiers": [
               {"max": 1, "points": 100},
               {"min": 1, "max": 3, "max_inclusive": true, "points": 50},
               {"min": 3, "min_inclusive": false, "points": 0}]}}
          ],
          "penalties": [{"column": "flag_extraction_burst", "points": 20}]
        }"#,
    )?;
    let scores = card.score(&snapshot)?;
    // ANCHOR_END: config
    // ANCHOR: why
    let earlier =
        card.score(&health_snapshot(&sim.dataset, sim.end.add_days(-30), &SnapshotConfig::default(), &FlagConfig::default())?)?;
    for change in scores.changes_since(&earlier).iter().take(3) {
        println!("{}: {:.1} -> {:.1}", change.account_id, change.before, change.after);
        for m in &change.by_measure {
            println!("  {:24} {:+.2}", m.name, m.delta); // the deltas sum to after - before
        }
    }
    // ANCHOR_END: why
    // ANCHOR: flags
    let flags = custfit::health::detect_flags(&sim.dataset, sim.end, &FlagConfig::default())?;
    for f in flags.iter().filter(|f| !f.fired.is_empty()).take(3) {
        println!(
            "{} {:?} z={:?} events/user-day={:?}",
            f.account_id, f.fired, f.extraction_burst.robust_z, f.confusion.events_per_user_day
        );
    }
    // ANCHOR_END: flags
    // ANCHOR: backtest
    use custfit::health::{backtest, BacktestConfig};
    let dates = BacktestConfig::grid(sim.start.add_days(60), sim.end.add_days(-121), 30)?;
    let report = backtest(&sim.dataset, &Scorecard::starter(), &BacktestConfig::new(dates))?;
    println!("AUC {:?}", report.roc_auc);
    for b in &report.bands {
        println!("{:7} {:5} accounts, churn {:?} (95% CI {:?}–{:?})", b.band, b.observations, b.churn_rate, b.ci_low, b.ci_high);
    }
    // ANCHOR_END: backtest
    // ANCHOR: goals
    use custfit::activity::{goal_progress, Goal, GoalMetric, GoalPeriod};
    let goal = Goal::new("weekly active users", GoalMetric::ActiveUsers, GoalPeriod::Weekly, 3.0);
    let progress = goal_progress(&sim.dataset, &sim.truth[0].account_id, &goal, sim.end, custfit::Window::days(84))?;
    println!("streak {} (longest {}), best {:?}", progress.current_streak, progress.longest_streak, progress.personal_best);
    for c in &progress.celebrations {
        println!("celebrate {:?} in the week of {}", c.kind, c.period_start.date_string());
    }
    // ANCHOR_END: goals
    Ok(())
}

/// A one-month horizon from 1 March ends on 1 April: contracts ending 31 March are churn within
/// it (a month forward used to be the length of the month *before* the date, ending 30 March).
#[test]
fn a_one_month_horizon_is_the_calendar_month_after_the_date() -> custfit::Result<()> {
    let rows = serde_json::json!({
        "accounts": (0..12).map(|i| serde_json::json!({"id": format!("a{i}"), "created_at": "2024-01-01"})).collect::<Vec<_>>(),
        "subscriptions": (0..12).map(|i| serde_json::json!({
            "account_id": format!("a{i}"), "plan": "pro", "start": "2024-01-01",
            "end": if i < 6 { "2024-03-31T00:00:00Z" } else { "2025-01-01T00:00:00Z" },
            "mrr": {"minor": 10_000, "currency": "USD"}
        })).collect::<Vec<_>>(),
    });
    let mut ds = custfit::Dataset::new();
    let opts = custfit::IngestOptions { allow_future: true, ..Default::default() };
    ds.add_accounts(&serde_json::from_value::<Vec<custfit::Account>>(rows["accounts"].clone()).expect("accounts"), &opts)?;
    ds.add_subscriptions(
        &serde_json::from_value::<Vec<custfit::Subscription>>(rows["subscriptions"].clone()).expect("subs"),
        &opts,
    )?;
    // The data must reach known_at: one login per account on 2024-09-01.
    let logins: Vec<custfit::Event> = (0..12)
        .map(|i| custfit::Event::new(format!("a{i}"), None, Timestamp::parse("2024-09-01").expect("date"), "login"))
        .collect();
    ds.add_events(&logins, &opts)?;
    let config = BacktestConfig::new(vec![Timestamp::parse("2024-03-01T00:00:00Z")?])
        .with_horizon(Window::months(1))
        .with_known_at(Timestamp::parse("2024-09-01T00:00:00Z")?);
    let report = backtest(&ds, &Scorecard::starter(), &config)?;
    assert_eq!((report.observations, report.churned), (12, 6), "{report:?}");
    Ok(())
}
