//! Benchmark: the starter playbook over a 1M-account frame (target ≤ 1 s per run, state
//! included), against the cost of evaluating the same conditions alone.
//!
//! `cargo run --release -p custfit-benches --bin play [accounts]`. The frame is synthetic (the
//! columns the starter playbook reads, drawn from a seeded generator). Timed: (a) compiling and
//! evaluating every cohort, trigger, goal and suppression condition of the playbook over the
//! frame, and nothing else — the floor a rule engine cannot go under; (b) a first run from an
//! empty ledger; (c) a second run a week later carrying the state (most accounts' triggers still
//! hold, so open actions are refreshed and edge plays are compared against the previous run).
//! Each is the median of 5 (the first runs each start from the same empty state). Printed also:
//! actions fired, the bytes the ledger holds per action in memory and in its JSON file.
//! No library peer runs playbooks, so (a) is the comparison.
//!
//! `play --dry-run [accounts]` (default 10,000): the starter playbook replayed weekly over the
//! simulator's last year (target ≤ 10 s), frames built by the starter recipe (snapshot with
//! health flags, tiers, health scores, a churn forecast); printed against the same 53 frames
//! built alone, so the engine's share is visible, and the bytes per ledger entry.

use std::sync::atomic::Ordering;
use std::time::Instant;

use custfit::play::{run, run_mut, PlayState, Playbook, Trigger};
use custfit::sim::Rng;
use custfit::{Column, ColumnData, Expr, Frame, Snapshot, Timestamp};

#[path = "counting.rs"]
mod counting;
use counting::{Counting, HELD};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn frame(n: usize, as_of: Timestamp, seed: u64) -> Result<Snapshot, custfit::Error> {
    let mut rng = Rng::new(seed, 0);
    let mut int = |lo: i64, hi: i64, missing: f64| -> ColumnData {
        ColumnData::Int((0..n).map(|_| (!rng.chance(missing)).then(|| lo + rng.below((hi - lo + 1) as u64) as i64)).collect())
    };
    let ints = [
        ("tenure_days", int(0, 2000, 0.0)),
        ("days_since_last_activity", int(0, 120, 0.05)),
        ("features_used_30d", int(0, 12, 0.0)),
        ("active_days_30d", int(0, 30, 0.0)),
        ("days_to_renewal", int(0, 365, 0.2)),
        ("support_tickets_60d", int(0, 14, 0.0)),
        ("executives", int(0, 3, 0.0)),
        ("days_since_executive_activity", int(0, 120, 0.3)),
        ("users", int(1, 80, 0.0)),
        ("wau", int(0, 80, 0.0)),
        ("champions", int(0, 2, 0.0)),
        ("days_since_champion_activity", int(0, 90, 0.3)),
        ("days_since_champion_left", int(0, 400, 0.9)),
    ];
    let mut rng = Rng::new(seed, 1);
    let mut float = |lo: f64, hi: f64, missing: f64| -> ColumnData {
        ColumnData::Float((0..n).map(|_| (!rng.chance(missing)).then(|| rng.range(lo, hi))).collect())
    };
    let floats = [
        ("mrr", float(10.0, 20_000.0, 0.0)),
        ("seat_utilization", float(0.0, 1.2, 0.1)),
        ("usage_trend_30d", float(-100.0, 100.0, 0.05)),
        ("churn_probability", float(0.0, 1.0, 0.2)),
    ];
    let mut rng = Rng::new(seed, 2);
    let mut text = |values: &[&str]| -> ColumnData {
        ColumnData::Str((0..n).map(|_| Some(values[rng.below(values.len() as u64) as usize].to_string())).collect())
    };
    let owners: Vec<String> = (0..200).map(|i| format!("csm-{i:03}")).collect();
    let owner_refs: Vec<&str> = owners.iter().map(String::as_str).collect();
    let texts = [
        ("tier", text(&["tier_1", "tier_2", "tier_3", "tier_3", "tier_3"])),
        ("health_band", text(&["green", "yellow", "orange", "red"])),
        ("owner", text(&owner_refs)),
    ];
    let columns: Vec<Column> = ints.into_iter().chain(floats).chain(texts).map(|(n, d)| Column::new(n, d)).collect();
    Snapshot::from_columns(as_of, (0..n).map(|i| format!("acc-{i:07}")).collect(), columns)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn dry_run_bench(n: usize) -> Result<(), custfit::Error> {
    use custfit::churn::{build_training_set, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig};
    use custfit::play::{dry_run, DryRunConfig, FrameRecipe};
    use custfit::{Simulation, SimulationConfig, Window};
    let t = Instant::now();
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(n).with_days(730).with_seed(5))?;
    let ds = &sim.dataset;
    println!("dry-run bench: {n} accounts, {} events, simulated in {:.1?}", ds.event_count(), t.elapsed());
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
    let book = Playbook::starter();
    // Frames alone, one after the other on one thread: what the engine adds to.
    let start = Instant::now();
    for d in config.dates()? {
        std::hint::black_box(recipe.frame(ds, d)?);
    }
    let frames = start.elapsed().as_secs_f64();
    let one = DryRunConfig { threads: Some(1), ..config.clone() };
    let start = Instant::now();
    let single = dry_run(&book, ds, &recipe, &one, &PlayState::new())?;
    let total_one = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let dry = dry_run(&book, ds, &recipe, &config, &PlayState::new())?;
    let total = start.elapsed().as_secs_f64();
    assert_eq!(single, dry, "the dry run depends on its thread count");
    let threads = custfit::stats::max_threads();
    println!(
        "  {} weekly runs: dry run {total:.2} s on {threads} threads, {total_one:.2} s on one (frames alone on one: {frames:.2} s, so the engine and outcomes {:.2} s)",
        dry.runs.len(),
        total_one - frames
    );
    // Bytes the ledger holds, measured around reading it back (text shared as a run shares it).
    let text = dry.state.to_json();
    let before = HELD.load(Ordering::Relaxed);
    let copy = PlayState::from_json(&text)?;
    let held = HELD.load(Ordering::Relaxed) - before;
    let actions = copy.actions.len().max(1);
    println!(
        "  ledger: {} actions; {:.0} bytes per action in memory, {:.0} in JSON",
        copy.actions.len(),
        held as f64 / actions as f64,
        text.len() as f64 / actions as f64
    );
    Ok(())
}

fn main() -> Result<(), custfit::Error> {
    if std::env::args().any(|a| a == "--dry-run") {
        let n = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
        return dry_run_bench(n);
    }
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let book = Playbook::starter();
    let t0 = Timestamp::parse("2024-06-03")?;
    let first = frame(n, t0, 1)?;
    let second = frame(n, t0.add_days(7), 1)?;

    // (a) The conditions alone.
    let sources: Vec<&str> = book
        .plays
        .iter()
        .flat_map(|p| {
            let trigger = match &p.trigger {
                Trigger::Condition { when } => Some(when.as_str()),
                Trigger::Schedule { when, .. } => when.as_deref(),
            };
            [p.cohort.as_deref(), trigger, p.goal.as_deref()]
        })
        .flatten()
        .collect();
    let mut alone = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let schema = first.schema();
        let f = Frame::new(&first);
        let mut hits = 0usize;
        for s in &sources {
            hits += Expr::compile(s, &schema)?.matches_frame(&f)?.iter().filter(|b| **b).count();
        }
        std::hint::black_box(hits);
        alone.push(start.elapsed().as_secs_f64());
    }

    // (b) first runs, (c) second runs with the state.
    let (mut runs1, mut runs2, mut runs2_mut) = (Vec::new(), Vec::new(), Vec::new());
    let mut fired = (0, 0);
    let mut skipped = (0, 0);
    let mut kept = None;
    for _ in 0..5 {
        let start = Instant::now();
        let (r1, s1) = run(&book, &first, &PlayState::new())?;
        runs1.push(start.elapsed().as_secs_f64());
        let fired1 = r1.fired.len();
        let skipped1 = r1.skipped.len();
        drop(r1);
        let start = Instant::now();
        let (r2, s2) = run(&book, &second, &s1)?;
        runs2.push(start.elapsed().as_secs_f64());
        drop((r2, s2));
        // The same second run on the ledger held in place (what a service holding its state does).
        let mut s1 = s1;
        let start = Instant::now();
        let r2 = run_mut(&book, &second, &mut s1)?;
        runs2_mut.push(start.elapsed().as_secs_f64());
        fired = (fired1, r2.fired.len());
        skipped = (skipped1, r2.skipped.len());
        kept = Some(s1);
    }
    let state = kept.unwrap_or_default();
    // The ledger written and read back (JSON), and the bytes it holds once read: measured
    // around the load (a run's ledger shares its text the same way a loaded one does).
    let start = Instant::now();
    let text = state.to_json();
    let write_time = start.elapsed().as_secs_f64();
    let before = HELD.load(Ordering::Relaxed);
    let start = Instant::now();
    let mut copy = PlayState::from_json(&text)?;
    let load_time = start.elapsed().as_secs_f64();
    let held = HELD.load(Ordering::Relaxed) - before;
    let json = text.len();
    drop(text);
    let actions = copy.actions.len().max(1);
    let start = Instant::now();
    let (actions_table, memory_table) = state.to_arrow()?;
    let arrow_write = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let from_arrow = PlayState::from_arrow(&[actions_table], &[memory_table])?;
    let arrow_read = start.elapsed().as_secs_f64();
    assert_eq!(from_arrow, state);
    drop(from_arrow);
    let start = Instant::now();
    let again = run_mut(&book, &second, &mut copy)?;
    let rerun_time = start.elapsed().as_secs_f64();
    assert!(again.fired.is_empty());
    println!("play bench: {n} accounts, {} plays, {} conditions", book.plays.len(), sources.len());
    println!("  conditions alone (compile + evaluate): median {:.0} ms", median(alone.clone()) * 1e3);
    println!(
        "  first run (empty ledger):  median {:.0} ms, {} actions, {} skips",
        median(runs1.clone()) * 1e3,
        fired.0,
        skipped.0
    );
    println!(
        "  second run (with ledger):  median {:.0} ms, {} new actions, {} skips",
        median(runs2.clone()) * 1e3,
        fired.1,
        skipped.1
    );
    println!("  second run, ledger in place (run_mut): median {:.0} ms", median(runs2_mut) * 1e3);
    println!(
        "  engine / conditions alone: {:.2}x (first run), {:.2}x (second run)",
        median(runs1) / median(alone.clone()),
        median(runs2) / median(alone)
    );
    println!(
        "  ledger JSON: written in {:.0} ms, read in {:.0} ms; Arrow: {:.0} ms, {:.0} ms; a rerun on the ledger read back: {:.0} ms",
        write_time * 1e3,
        load_time * 1e3,
        arrow_write * 1e3,
        arrow_read * 1e3,
        rerun_time * 1e3
    );
    println!(
        "  ledger: {} actions, {} held-trigger entries; {:.0} bytes per action in memory, {:.0} in JSON",
        copy.actions.len(),
        copy.memory.held.values().map(Vec::len).sum::<usize>(),
        held as f64 / actions as f64,
        json as f64 / actions as f64
    );
    Ok(())
}
