//! The play engine: firing, enrollment, arbitration, idempotency and the ledger.

use custfit::document::Document;
use custfit::play::{run, ActionStatus, PlayRun, PlayState, Playbook, SkipReason};
use custfit::{Column, ColumnData, Snapshot, Timestamp};
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("date")
}

/// A frame of accounts `a0..` with the given float columns (NaN = missing) and string owners.
fn frame(as_of: &str, cols: &[(&str, Vec<f64>)], owners: Option<Vec<&str>>) -> Snapshot {
    let n = cols.first().map_or(0, |c| c.1.len());
    let mut columns: Vec<Column> = cols
        .iter()
        .map(|(name, v)| Column::new(*name, ColumnData::Float(v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect())))
        .collect();
    if let Some(o) = owners {
        columns.push(Column::new("owner", ColumnData::Str(o.iter().map(|s| Some(s.to_string())).collect())));
    }
    Snapshot::from_columns(t(as_of), (0..n).map(|i| format!("a{i}")).collect(), columns).expect("frame")
}

fn book(json: serde_json::Value) -> Playbook {
    Playbook::from_json_value(json).expect("playbook")
}

fn keys(r: &PlayRun) -> Vec<String> {
    r.fired.iter().map(|a| a.key.to_string()).collect()
}

fn skips(r: &PlayRun) -> Vec<(String, &'static str)> {
    r.skipped.iter().map(|s| (s.account_id.to_string(), s.reason.code())).collect()
}

fn quiet(when: &str, firing: serde_json::Value) -> Playbook {
    book(serde_json::json!({"version": 1, "name": "b", "plays": [
        {"id": "p", "trigger": {"type": "condition", "when": when}, "firing": firing, "tactic": {"kind": "call"}}]}))
}

#[test]
fn edge_fires_when_the_trigger_becomes_true_level_again_after_its_cooldown() -> custfit::Result<()> {
    let edge = quiet("x > 10", serde_json::json!({"type": "edge"}));
    let level = quiet("x > 10", serde_json::json!({"type": "level", "cooldown": {"amount": 7, "unit": "days"}}));
    let days = ["2024-01-01", "2024-01-03", "2024-01-09", "2024-01-10"];
    let xs = [[20.0, 5.0], [20.0, 20.0], [20.0, 20.0], [5.0, 20.0]];
    let (mut se, mut sl) = (PlayState::new(), PlayState::new());
    let mut fired_edge = Vec::new();
    let mut fired_level = Vec::new();
    for (d, x) in days.iter().zip(xs) {
        let f = frame(d, &[("x", x.to_vec())], None);
        let (r, s) = run(&edge, &f, &se)?;
        fired_edge.extend(keys(&r));
        se = s;
        // Level: close what fired so the cooldown, not the open action, is what holds it back.
        let (r, mut s) = run(&level, &f, &sl)?;
        fired_level.extend(keys(&r));
        for k in keys(&r) {
            s.close(&k, ActionStatus::Done, f.as_of())?;
        }
        if d == &"2024-01-03" {
            assert_eq!(skips(&r), vec![("a0".to_string(), "cooldown")]);
        }
        sl = s;
    }
    assert_eq!(fired_edge, vec!["p@1:a0:2024-01-01", "p@1:a1:2024-01-03"]);
    // a0 again once 7 days passed (01-08 < 01-09); a1 fired on 01-03 and is cooling until 01-10.
    assert_eq!(fired_level, vec!["p@1:a0:2024-01-01", "p@1:a1:2024-01-03", "p@1:a0:2024-01-09", "p@1:a1:2024-01-10"]);
    Ok(())
}

#[test]
fn an_open_action_is_refreshed_not_duplicated_and_reruns_fire_nothing() -> custfit::Result<()> {
    let b = quiet("x > 10", serde_json::json!({"type": "level", "cooldown": {"amount": 1, "unit": "days"}}));
    let f1 = frame("2024-01-01", &[("x", vec![20.0, 30.0])], None);
    let (r1, s1) = run(&b, &f1, &PlayState::new())?;
    assert_eq!(r1.fired.len(), 2);
    assert_eq!(r1.fired[1].reasons.get("x"), Some(&custfit::Value::Float(30.0)));
    let (again, same) = run(&b, &f1, &s1)?;
    assert!(again.fired.is_empty());
    assert_eq!(again.updated, keys(&r1));
    assert_eq!(same.actions.len(), 2);
    let f2 = frame("2024-01-05", &[("x", vec![25.0, 40.0])], None);
    let (r2, s2) = run(&b, &f2, &same)?;
    assert!(r2.fired.is_empty() && r2.updated.len() == 2);
    assert_eq!(s2.actions[1].reasons.get("x"), Some(&custfit::Value::Float(40.0)));
    assert_eq!(s2.actions[1].updated_at, t("2024-01-05"));
    Ok(())
}

#[test]
fn goals_close_actions_and_reentry_waits() -> custfit::Result<()> {
    let b = book(serde_json::json!({"version": 1, "name": "b", "plays": [{
        "id": "adopt", "trigger": {"type": "condition", "when": "x < 5"}, "firing": {"type": "level", "cooldown": {"amount": 1, "unit": "days"}},
        "goal": "x >= 8", "reentry": {"amount": 30, "unit": "days"}, "tactic": {"kind": "email"}}]}));
    let (r, s) = run(&b, &frame("2024-01-01", &[("x", vec![1.0])], None), &PlayState::new())?;
    assert_eq!(r.fired.len(), 1);
    let (r, s) = run(&b, &frame("2024-01-10", &[("x", vec![9.0])], None), &s)?;
    assert_eq!(r.closed.iter().map(|a| a.status).collect::<Vec<_>>(), vec![ActionStatus::GoalMet]);
    let (r, s) = run(&b, &frame("2024-01-20", &[("x", vec![1.0])], None), &s)?;
    assert_eq!(skips(&r), vec![("a0".to_string(), "reentry")]);
    assert!(r.skipped[0].detail.contains("re-entry after 2024-02-09"), "{}", r.skipped[0].detail);
    let (r, _) = run(&b, &frame("2024-02-10", &[("x", vec![1.0])], None), &s)?;
    assert_eq!(keys(&r), vec!["adopt@1:a0:2024-02-10"]);
    // Exit when the trigger clears.
    let b = book(serde_json::json!({"version": 1, "name": "b", "plays": [{
        "id": "p", "trigger": {"type": "condition", "when": "x < 5"}, "firing": {"type": "edge"},
        "exit_when_trigger_clears": true, "tactic": {"kind": "task"}}]}));
    let (_, s) = run(&b, &frame("2024-01-01", &[("x", vec![1.0])], None), &PlayState::new())?;
    let (r, s) = run(&b, &frame("2024-01-02", &[("x", vec![6.0])], None), &s)?;
    assert_eq!(r.closed[0].status, ActionStatus::TriggerCleared);
    assert_eq!(s.open_actions().count(), 0);
    Ok(())
}

#[test]
fn caps_capacity_and_suppression_are_arbitrated_by_priority_then_rank() -> custfit::Result<()> {
    let b = book(serde_json::json!({"version": 1, "name": "b",
        "limits": {"max_active_per_account": 1, "capacity_hours": {"ann": 1.5}, "default_capacity_hours": 10.0},
        "suppress": {"accounts": ["a4"], "when": "x == 99"},
        "plays": [
            {"id": "low", "trigger": {"type": "condition", "when": "x > 0"}, "firing": {"type": "edge"}, "max_per_run": 1,
             "tactic": {"kind": "email", "priority": 5, "effort_hours": 0.0}},
            {"id": "urgent", "trigger": {"type": "condition", "when": "x > 0"}, "firing": {"type": "edge"}, "rank_by": "mrr",
             "max_per_run": 3, "tactic": {"kind": "call", "priority": 1, "effort_hours": 1.0}}]}));
    let f = frame(
        "2024-01-01",
        &[("x", vec![1.0, 1.0, 1.0, 1.0, 1.0, 99.0]), ("mrr", vec![10.0, 30.0, 20.0, 40.0, 50.0, 60.0])],
        Some(vec!["ann", "ann", "ann", "bob", "ann", "bob"]),
    );
    let (r, s) = run(&b, &f, &PlayState::new())?;
    // urgent first, by mrr: a5 suppressed (condition), a4 suppressed (list), a3 (bob), a1 (one of
    // ann's 1.5 hours), then a2 and a0 find ann's hours spent. low, by id: a0; a1 and a3 hold an
    // open action already (max 1 per account); a2 finds low's max_per_run of 1 reached.
    assert_eq!(keys(&r), vec!["urgent@1:a3:2024-01-01", "urgent@1:a1:2024-01-01", "low@1:a0:2024-01-01"]);
    let mut got = skips(&r);
    got.sort();
    let want: Vec<(String, &str)> = vec![
        ("a0".into(), "capacity_exhausted"),
        ("a1".into(), "account_cap"),
        ("a2".into(), "capacity_exhausted"),
        ("a2".into(), "play_cap"),
        ("a3".into(), "account_cap"),
        ("a4".into(), "suppressed"),
        ("a4".into(), "suppressed"),
        ("a5".into(), "suppressed"),
        ("a5".into(), "suppressed"),
    ];
    assert_eq!(got, want, "{:#?}", r.skipped);
    assert_eq!(s.open_actions().count(), 3);
    Ok(())
}

#[test]
fn changes_since_the_last_run_and_schedules() -> custfit::Result<()> {
    let b = book(serde_json::json!({"version": 1, "name": "b", "plays": [
        {"id": "dropped", "trigger": {"type": "condition", "when": "band < prev_band"}, "firing": {"type": "edge"}, "tactic": {"kind": "alert_owner"}},
        {"id": "qbr", "trigger": {"type": "schedule", "every": {"amount": 90, "unit": "days"}, "anchor": "start"},
         "firing": {"type": "edge"}, "tactic": {"kind": "meeting"}}]}));
    let snap = |d: &str, band: [f64; 2]| -> Snapshot {
        let f = frame(d, &[("band", band.to_vec())], None);
        let start = ColumnData::Timestamp(vec![Some(t("2023-12-01")), Some(t("2024-01-20"))]);
        f.with_columns(custfit::AccountColumns::by_row(vec![Column::new("start", start)])).expect("start")
    };
    // First run: no previous band, so no drop; a0's QBR boundary (12-01 + 0) lies within the
    // last 90 days, a1's start is in the future.
    let (r, s) = run(&b, &snap("2024-01-01", [3.0, 3.0]), &PlayState::new())?;
    assert_eq!(keys(&r), vec!["qbr@1:a0:2023-12-01"]);
    let (r, s) = run(&b, &snap("2024-02-01", [2.0, 3.0]), &s)?;
    assert_eq!(keys(&r), vec!["dropped@1:a0:2024-02-01", "qbr@1:a1:2024-01-20"]);
    assert_eq!(r.fired[0].reasons.get("prev_band"), Some(&custfit::Value::Float(3.0)));
    assert_eq!(s.memory.previous("band", "a0"), custfit::Value::Float(2.0));
    let (r, _) = run(&b, &snap("2024-03-01", [2.0, 3.0]), &s)?;
    assert!(r.fired.is_empty(), "{:?}", keys(&r));
    let (r, _) = run(&b, &snap("2024-03-01", [2.0, 3.0]).clone(), &s)?;
    assert!(r.fired.is_empty());
    Ok(())
}

#[test]
fn bad_states_and_runs_are_refused_with_codes() -> custfit::Result<()> {
    let b = quiet("x > 1", serde_json::json!({"type": "edge"}));
    let (_, s) = run(&b, &frame("2024-02-01", &[("x", vec![5.0])], None), &PlayState::new())?;
    let early = run(&b, &frame("2024-01-01", &[("x", vec![5.0])], None), &s).expect_err("backwards");
    assert_eq!(early.code(), "invalid_argument");
    let other = quiet("x > 1", serde_json::json!({"type": "edge"}));
    let other = Playbook { name: "other".into(), ..other };
    assert_eq!(
        run(&other, &frame("2024-03-01", &[("x", vec![5.0])], None), &s).expect_err("other book").code(),
        "invalid_argument"
    );
    let mut json: serde_json::Value = serde_json::from_str(&s.to_json()).expect("json");
    json["version"] = 7.into();
    assert_eq!(PlayState::from_json(&json.to_string()).expect_err("newer").code(), "unsupported_version");
    let mut json: serde_json::Value = serde_json::from_str(&s.to_json()).expect("json");
    let dup = json["actions"][0].clone();
    json["actions"].as_array_mut().expect("actions").push(dup);
    assert_eq!(PlayState::from_json(&json.to_string()).expect_err("duplicate").code(), "parse_error");
    assert_eq!(PlayState::from_json("{\"version\": 1, \"actions\": 3").expect_err("truncated").code(), "parse_error");
    let unknown =
        run(&quiet("nope > 1", serde_json::json!({"type": "edge"})), &frame("2024-03-01", &[("x", vec![5.0])], None), &s);
    assert_eq!(unknown.expect_err("unknown column").code(), "unknown_name");
    // Saved and loaded atomically.
    let path = std::env::temp_dir().join(format!("custfit-play-{}.json", std::process::id()));
    s.save(&path)?;
    assert_eq!(PlayState::load(&path)?, s);
    let _ = std::fs::remove_file(&path);
    Ok(())
}

fn shuffled(f: &Snapshot, perm: &[usize]) -> Snapshot {
    f.take_rows(perm)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The actions do not depend on the frame's row order; reruns fire nothing; capacity holds;
    /// every eligible account is acted on, refreshed or skipped with a reason.
    #[test]
    fn order_free_idempotent_and_accounted(
        xs in prop::collection::vec((0.0f64..20.0, 0.0f64..100.0, 0usize..3), 1..40),
        seed in any::<u64>(),
    ) {
        let b = book(serde_json::json!({"version": 1, "name": "b",
            "limits": {"max_active_per_account": 2, "capacity_hours": {"o0": 3.0, "o1": 1.5}},
            "holdout": {"share": 0.1, "salt": "g"},
            "plays": [
                {"id": "a", "trigger": {"type": "condition", "when": "x > 5"}, "firing": {"type": "edge"}, "rank_by": "m",
                 "tactic": {"kind": "call", "priority": 1, "effort_hours": 1.0}},
                {"id": "b", "trigger": {"type": "condition", "when": "x > 8"}, "firing": {"type": "level", "cooldown": {"amount": 3, "unit": "days"}},
                 "max_per_run": 4, "tactic": {"kind": "email", "priority": 2, "effort_hours": 0.5},
                 "holdout": {"share": 0.3, "stratify_by": "owner"}},
                {"id": "d", "trigger": {"type": "condition", "when": "m > 20"}, "firing": {"type": "edge"},
                 "tactic": {"kind": "email", "priority": 3}, "holdout": {"share": 0.5, "salt": "d"}},
                {"id": "c", "cohort": "m > 50", "trigger": {"type": "condition", "when": "x < 15"}, "firing": {"type": "edge"},
                 "tactic": {"kind": "task", "priority": 2}}]}));
        let owners: Vec<String> = xs.iter().map(|x| format!("o{}", x.2)).collect();
        let f = frame("2024-01-01", &[("x", xs.iter().map(|x| x.0).collect()), ("m", xs.iter().map(|x| x.1).collect())],
            Some(owners.iter().map(String::as_str).collect()));
        let (r, s) = run(&b, &f, &PlayState::new()).expect("run");
        // Row order.
        let mut perm: Vec<usize> = (0..f.len()).collect();
        let mut state = seed;
        for i in (1..perm.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (state >> 33) as usize % (i + 1));
        }
        let (r2, s2) = run(&b, &shuffled(&f, &perm), &PlayState::new()).expect("run shuffled");
        prop_assert_eq!(&r.fired, &r2.fired);
        prop_assert_eq!(&r.skipped, &r2.skipped);
        prop_assert_eq!(&r.held_out, &r2.held_out);
        prop_assert_eq!(&s, &s2);
        // Rerun.
        let (again, _) = run(&b, &f, &s).expect("rerun");
        prop_assert!(again.fired.is_empty() && again.held_out.is_empty());
        // Capacity.
        for (owner, cap) in [("o0", 3.0), ("o1", 1.5)] {
            let used: f64 = r.fired.iter().filter(|a| a.owner.as_deref() == Some(owner)).map(|a| a.effort_hours).sum();
            prop_assert!(used <= cap + 1e-9);
        }
        // Accounted for: eligible = cohort ∧ trigger (first run: every play's pair is new).
        for (play, pred) in [("a", Box::new(|x: &(f64, f64, usize)| x.0 > 5.0) as Box<dyn Fn(&(f64, f64, usize)) -> bool>),
                             ("b", Box::new(|x: &(f64, f64, usize)| x.0 > 8.0)),
                             ("c", Box::new(|x: &(f64, f64, usize)| x.1 > 50.0 && x.0 < 15.0))] {
            for (i, x) in xs.iter().enumerate() {
                let id = format!("a{i}");
                let acted = r.fired.iter().chain(&r.held_out).any(|a| a.play == play && a.account_id == id);
                let skipped = r.skipped.iter().any(|k| k.play == play && k.account_id == id);
                prop_assert_eq!(pred(x), acted || skipped, "{} {}", play, id);
                prop_assert!(!(acted && skipped));
            }
        }
        prop_assert!(r.skipped.iter().all(|k| k.reason != SkipReason::Suppressed));
    }
}

#[test]
fn the_starter_playbook_dry_run_over_a_year_equals_the_step_by_step_run() -> custfit::Result<()> {
    use custfit::churn::{build_training_set, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig};
    use custfit::play::{dry_run, DryRunConfig, FrameRecipe};
    use custfit::{Simulation, SimulationConfig, Window};
    let book = Playbook::starter();
    assert_eq!(book.plays.len(), 25);
    assert_eq!(Playbook::from_json_str(&book.to_json_string())?, book);
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(300).with_days(800).with_seed(11))?;
    let ds = &sim.dataset;
    // The churn model learns from the first year only: the replay covers the second.
    let (from, to) = (sim.end.add_days(-364), sim.end);
    let features = ChurnFeatures::new(&["active_days_30d", "usage_trend_30d", "days_to_renewal", "support_tickets_60d"]);
    let training = TrainingSetConfig::default().with_features(features.clone()).with_horizon(Window::days(60));
    let model = ChurnModel::fit(
        &build_training_set(ds, &training, Some(from))?,
        &features,
        &ChurnModelConfig::new(ModelConfig::logistic()),
    )?;
    let recipe = FrameRecipe::starter(model);
    let config = DryRunConfig::weekly(from, to);
    let mut state = PlayState::new();
    let mut runs = Vec::new();
    let mut fired = std::collections::BTreeMap::<String, usize>::new();
    for as_of in config.dates()? {
        let frame = recipe.frame(ds, as_of)?;
        let (r, next) = run(&book, &frame, &state)?;
        for a in &r.fired {
            *fired.entry(a.play.to_string()).or_default() += 1;
            assert!(!a.reasons.is_empty(), "{a:?}");
        }
        // Limits hold at every run: 30 hours per owner, at most 3 open actions per account.
        let mut hours = std::collections::HashMap::<Option<custfit::play::SharedStr>, f64>::new();
        for a in &r.fired {
            *hours.entry(a.owner.clone()).or_default() += a.effort_hours;
        }
        assert!(hours.values().all(|&h| h <= 30.0 + 1e-9), "{hours:?}");
        let mut open = std::collections::HashMap::<&str, usize>::new();
        for a in next.open_actions() {
            *open.entry(a.account_id.as_str()).or_default() += 1;
        }
        assert!(open.values().all(|&n| n <= 3));
        // The rerun on the same frame fires nothing.
        assert!(run(&book, &frame, &next)?.0.fired.is_empty());
        runs.push(r);
        state = next;
    }
    assert_eq!(runs.len(), 53);
    // The dry run is the step-by-step run, and says how the accounts fared.
    let dry = dry_run(&book, ds, &recipe, &config, &PlayState::new())?;
    assert_eq!(dry.runs, runs);
    assert_eq!(dry.state, state);
    // Frames built on one thread, or on three side by side: the same replay.
    for threads in [1, 3] {
        let config = DryRunConfig { threads: Some(threads), ..config.clone() };
        assert_eq!(dry_run(&book, ds, &recipe, &config, &PlayState::new())?, dry, "threads {threads}");
    }
    let many = DryRunConfig { threads: Some(9), ..config.clone() };
    assert_eq!(many.validate().expect_err("9 threads").code(), "invalid_config");
    assert_eq!(dry.plays.iter().map(|p| p.fired).sum::<usize>(), state.actions.len());
    for p in &dry.plays {
        assert!(p.observed <= p.fired && p.churned <= p.observed && p.accounts <= p.fired, "{p:?}");
    }
    // Runs past the data's end, or too many of them, are refused before any work.
    let late = DryRunConfig::weekly(from, to.add_days(30));
    assert_eq!(dry_run(&book, ds, &recipe, &late, &PlayState::new()).expect_err("late").code(), "invalid_config");
    let daily = DryRunConfig { step: Window::days(1), ..DryRunConfig::weekly(from.add_days(-40_000), to) };
    assert_eq!(daily.dates().expect_err("too many").code(), "invalid_config");
    eprintln!("starter over a year: {fired:?}, {} actions; outcomes {:?}", state.actions.len(), dry.plays);
    // A year of a 300-account base sets most of the plays off.
    assert!(fired.len() >= 15, "{fired:?}");
    assert!(state.actions.len() >= 100, "{}", state.actions.len());
    // The year's ledger through JSON and through Arrow comes back equal.
    assert_eq!(PlayState::from_json(&state.to_json())?, state);
    #[cfg(feature = "arrow")]
    {
        let (actions, memory) = state.to_arrow()?;
        assert_eq!(actions.num_rows(), state.actions.len());
        assert_eq!(memory.num_rows(), state.memory.accounts.len());
        assert_eq!(PlayState::from_arrow(std::slice::from_ref(&actions), std::slice::from_ref(&memory))?, state);
        // Split into several batches, too.
        let halves = |b: &arrow_array::RecordBatch| {
            vec![b.slice(0, b.num_rows() / 2), b.slice(b.num_rows() / 2, b.num_rows() - b.num_rows() / 2)]
        };
        assert_eq!(PlayState::from_arrow(&halves(&actions), &halves(&memory))?, state);
        // Without its metadata, or from a newer version, it is refused.
        let bare = |b: &arrow_array::RecordBatch| {
            let schema = std::sync::Arc::new(b.schema().as_ref().clone().with_metadata(Default::default()));
            arrow_array::RecordBatch::try_new(schema, b.columns().to_vec()).expect("schema")
        };
        assert_eq!(PlayState::from_arrow(&[bare(&actions)], &[bare(&memory)]).expect_err("bare").code(), "parse_error");
        let newer = |b: &arrow_array::RecordBatch| {
            let mut meta = b.schema().metadata().clone();
            meta.insert("custfit.play_state.version".into(), "2".into());
            let schema = std::sync::Arc::new(b.schema().as_ref().clone().with_metadata(meta));
            arrow_array::RecordBatch::try_new(schema, b.columns().to_vec()).expect("schema")
        };
        assert_eq!(
            PlayState::from_arrow(&[newer(&actions)], &[newer(&memory)]).expect_err("newer").code(),
            "unsupported_version"
        );
    }
    Ok(())
}

#[test]
fn previous_values_keep_their_type_through_the_saved_ledger() -> custfit::Result<()> {
    let b = quiet("code == prev_code && n == prev_n", serde_json::json!({"type": "edge"}));
    let snap = |d: &str| {
        let f = frame(d, &[("n", vec![0.0])], None);
        let code = ColumnData::Str(vec![Some("2024-01-01".to_string())]);
        f.with_columns(custfit::AccountColumns::by_row(vec![Column::new("code", code)])).expect("code")
    };
    let (_, s) = run(&b, &snap("2024-02-01"), &PlayState::new())?;
    // Text that looks like a date stays text, a whole float stays a float, once saved.
    let reloaded = PlayState::from_json(&s.to_json())?;
    assert_eq!(reloaded, s);
    let (r, _) = run(&b, &snap("2024-02-02"), &reloaded)?;
    assert_eq!(keys(&r), vec!["p@1:a0:2024-02-02"]);
    Ok(())
}

#[test]
fn active_days_for_one_account_equals_the_snapshot_column() -> custfit::Result<()> {
    use custfit::metrics::ActivityRules;
    use custfit::outcome::active_days;
    use custfit::{Simulation, SimulationConfig};
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(60).with_days(120).with_seed(4))?;
    let ds = &sim.dataset;
    for as_of in [sim.end, sim.end.add_days(-17), Timestamp::parse("2020-01-01")?.max(sim.end.add_days(-60))] {
        let snap = ds.snapshot(as_of)?;
        let col = snap.column("active_days_30d")?;
        for (r, id) in snap.account_ids().iter().enumerate() {
            let a = ds.accounts().iter().position(|x| &x.id == id).expect("account");
            assert_eq!(col.f64_at(r), Some(f64::from(active_days(ds, a, &ActivityRules::default(), as_of, 30))), "{id} {as_of}");
        }
    }
    Ok(())
}

fn with_holdout(holdout: serde_json::Value, global: Option<serde_json::Value>) -> Playbook {
    let mut b = serde_json::json!({"version": 1, "name": "b", "plays": [
        {"id": "p", "trigger": {"type": "condition", "when": "x > 10"},
         "firing": {"type": "level", "cooldown": {"amount": 7, "unit": "days"}},
         "tactic": {"kind": "call", "effort_hours": 1.0}, "holdout": holdout}]});
    if let Some(g) = global {
        b["holdout"] = g;
    }
    book(b)
}

#[test]
fn holdouts_are_recorded_not_acted_on_and_keep_their_arm() -> custfit::Result<()> {
    use custfit::play::{is_held_out, Arm};
    let n = 2000;
    let f = frame("2024-01-01", &[("x", vec![20.0; n])], None);
    let b = with_holdout(serde_json::json!({"share": 0.2, "salt": "s"}), None);
    let (r, state) = run(&b, &f, &PlayState::new())?;
    assert_eq!(r.fired.len() + r.held_out.len(), n);
    // Exactly the accounts whose draw is below the share are held out.
    for a in &r.held_out {
        assert!(is_held_out(&a.account_id, "p", "s", 0.2));
        assert_eq!((a.arm, a.status), (Arm::Holdout, ActionStatus::HeldOut));
        assert_eq!(a.closed_at, Some(f.as_of()));
        assert_eq!(a.reasons.get("x"), Some(&custfit::Value::Float(20.0)));
    }
    assert!(r.fired.iter().all(|a| !is_held_out(&a.account_id, "p", "s", 0.2) && a.arm == Arm::Treatment));
    let share = r.held_out.len() as f64 / n as f64;
    assert!((share - 0.2).abs() < 0.03, "{share}");
    // Not open, so not in the to-do list, and the caller cannot close them.
    assert_eq!(state.open_actions().count(), r.fired.len());
    let key = r.held_out[0].key.to_string();
    let mut s2 = state.clone();
    assert_eq!(s2.close(&key, ActionStatus::Done, f.as_of()).expect_err("held out").code(), "invalid_argument");
    // Through JSON and back; a re-run fires and records nothing new.
    let back = PlayState::from_json(&state.to_json())?;
    assert_eq!(back, state);
    let (again, _) = run(&b, &f, &back)?;
    assert!(again.fired.is_empty() && again.held_out.is_empty());
    // After the cooldown the held-out accounts are recorded again, still held out — even with a
    // new salt (the arm is kept per play version) — and a larger share keeps every one of them.
    let mut closed = state.clone();
    for a in &r.fired {
        closed.close(&a.key, ActionStatus::Done, f.as_of())?;
    }
    let later = frame("2024-01-09", &[("x", vec![20.0; n])], None);
    let grown = with_holdout(serde_json::json!({"share": 0.4, "salt": "other"}), None);
    let (r2, _) = run(&grown, &later, &closed)?;
    let before: std::collections::BTreeSet<String> = r.held_out.iter().map(|a| a.account_id.to_string()).collect();
    let after: std::collections::BTreeSet<String> = r2.held_out.iter().map(|a| a.account_id.to_string()).collect();
    assert_eq!(before, after, "arms are kept for accounts already enrolled");
    Ok(())
}

#[test]
fn global_holdout_and_limits_treat_both_arms_alike() -> custfit::Result<()> {
    use custfit::play::{is_held_out, Arm};
    let n = 1000;
    let owners: Vec<&str> = vec!["ann"; n];
    let f = frame("2024-01-01", &[("x", vec![20.0; n])], Some(owners));
    let mut b = with_holdout(serde_json::json!({"share": 0.5}), Some(serde_json::json!({"share": 0.1, "salt": "g"})));
    b.limits.default_capacity_hours = Some(100.0);
    let (r, _) = run(&b, &f, &PlayState::new())?;
    // 100 hours: 100 treated; held-out accounts spend nothing, so the walk goes on past them.
    assert_eq!(r.fired.len(), 100);
    let global: Vec<_> = r.held_out.iter().filter(|a| a.arm == Arm::GlobalHoldout).collect();
    assert!(global.iter().all(|a| is_held_out(&a.account_id, "", "g", 0.1)));
    assert!(r.fired.iter().all(|a| !is_held_out(&a.account_id, "", "g", 0.1)));
    // Every account up to the last one walked has a record, in one arm or another; the rest were
    // skipped for capacity.
    assert_eq!(r.fired.len() + r.held_out.len() + r.skipped.len(), n);
    assert!(r.skipped.iter().all(|s| s.reason == SkipReason::CapacityExhausted));
    // Renewing the global salt deals it anew.
    let mut renewed = b.clone();
    renewed.holdout.as_mut().expect("global").salt = "g2".into();
    let (r2, _) = run(&renewed, &f, &PlayState::new())?;
    let ids = |r: &PlayRun| -> Vec<String> {
        r.held_out.iter().filter(|a| a.arm == Arm::GlobalHoldout).map(|a| a.account_id.to_string()).collect()
    };
    assert_ne!(ids(&r), ids(&r2));
    Ok(())
}

#[test]
fn stratified_holdouts_balance_each_stratum_and_bad_holdouts_are_refused() -> custfit::Result<()> {
    use custfit::play::Arm;
    // Two tiers: 300 "a" accounts and 30 "b" accounts, over three runs of new accounts.
    let mut state = PlayState::new();
    let b = with_holdout(serde_json::json!({"share": 0.2, "salt": "s", "stratify_by": "tier"}), None);
    let mut held: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (k, day) in ["2024-01-01", "2024-01-02", "2024-01-03"].iter().enumerate() {
        let n = 110 * (k + 1);
        let ids: Vec<String> = (0..n).map(|i| format!("a{i:04}")).collect();
        let tiers: Vec<Option<String>> = (0..n).map(|i| Some(if i.is_multiple_of(11) { "b" } else { "a" }.to_string())).collect();
        let x: Vec<Option<f64>> = vec![Some(20.0); n];
        let snap = Snapshot::from_columns(
            t(day),
            ids,
            vec![Column::new("x", ColumnData::Float(x)), Column::new("tier", ColumnData::Str(tiers))],
        )?;
        let (r, s) = run(&b, &snap, &state)?;
        state = s;
        for a in r.fired.iter().chain(&r.held_out) {
            let i: usize = a.account_id[1..].parse().expect("id");
            let e = held.entry(if i.is_multiple_of(11) { "b" } else { "a" }.into()).or_default();
            e.0 += usize::from(a.arm == Arm::Holdout);
            e.1 += 1;
        }
        // After every run, each stratum's holdout is 20 % of its enrolled accounts, to the unit.
        for (tier, (h, total)) in &held {
            assert!(((*h as f64) - 0.2 * *total as f64).abs() <= 0.5 + 1e-9, "run {k}, tier {tier}: {h} of {total}");
        }
    }
    // Bad holdouts are config errors naming the path.
    let bad = |h: serde_json::Value| {
        Playbook::from_json_value(serde_json::json!({"version": 1, "name": "b", "plays": [
            {"id": "p", "trigger": {"type": "condition", "when": "x > 10"}, "firing": {"type": "edge"},
             "tactic": {"kind": "call"}, "holdout": h}]}))
        .expect_err("bad holdout")
    };
    for h in [
        serde_json::json!({"share": 1.5}),
        serde_json::json!({"share": -0.1}),
        serde_json::json!({"share": 0.1, "stratify_by": ""}),
    ] {
        let e = bad(h);
        assert_eq!(e.code(), "invalid_config");
        assert!(e.to_string().contains("plays[0].holdout"), "{e}");
    }
    let e = run(
        &with_holdout(serde_json::json!({"share": 0.1, "stratify_by": "nope"}), None),
        &frame("2024-01-01", &[("x", vec![20.0])], None),
        &PlayState::new(),
    )
    .expect_err("unknown column");
    assert!(e.to_string().contains("holdout.stratify_by"), "{e}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Stratified holdouts: after every run, each stratum's holdout is its share of the accounts
    /// enrolled so far, to within rounding, whatever the strata's sizes and whichever accounts
    /// become eligible when; and the arms do not depend on the frame's row order.
    #[test]
    fn stratified_holdouts_stay_balanced(
        accounts in prop::collection::vec((0usize..4, 0usize..4), 5..80),
        share in 0.05f64..0.6,
    ) {
        use custfit::play::Arm;
        let b = book(serde_json::json!({"version": 1, "name": "b", "plays": [
            {"id": "p", "trigger": {"type": "condition", "when": "x > 10"},
             "firing": {"type": "edge"}, "tactic": {"kind": "call"},
             "holdout": {"share": share, "salt": "s", "stratify_by": "tier"}}]}));
        let mut state = PlayState::new();
        let mut enrolled: std::collections::BTreeMap<usize, (u64, u64)> = Default::default();
        for run_index in 0..4usize {
            // Account i becomes eligible at run `accounts[i].1` and stays so.
            let n = accounts.len();
            let ids: Vec<String> = (0..n).map(|i| format!("a{i:03}")).collect();
            let x: Vec<Option<f64>> = accounts.iter().map(|a| Some(if a.1 <= run_index { 20.0 } else { 0.0 })).collect();
            let tiers: Vec<Option<String>> = accounts.iter().map(|a| Some(format!("t{}", a.0))).collect();
            let day = format!("2024-01-{:02}", 1 + run_index);
            let snap = Snapshot::from_columns(t(&day), ids.clone(),
                vec![Column::new("x", ColumnData::Float(x)), Column::new("tier", ColumnData::Str(tiers))]).expect("frame");
            let (r, s) = run(&b, &snap, &state).expect("run");
            // The same run on the rows reversed gives the same arms.
            let reversed: Vec<usize> = (0..n).rev().collect();
            let (r2, _) = run(&b, &snap.take_rows(&reversed), &state).expect("run reversed");
            prop_assert_eq!(&r.held_out, &r2.held_out);
            state = s;
            for a in r.fired.iter().chain(&r.held_out) {
                let i: usize = a.account_id[1..].parse().expect("id");
                let e = enrolled.entry(accounts[i].0).or_default();
                e.1 += 1;
                e.0 += u64::from(a.arm == Arm::Holdout);
            }
            for (tier, (held, total)) in &enrolled {
                let target = (share * *total as f64 + 0.5).floor();
                prop_assert!((*held as f64 - target).abs() < 1.0 + 1e-9, "tier {} run {}: {} of {} at {}", tier, run_index, held, total, share);
            }
        }
    }
}
