//! Benchmarks of experiments.
//!
//! `experiment --speed [entries] [plays]` (default 1,000,000 and 100): the statistics of 100
//! plays over 1M ledger entries — one observation per account and play, 10 % held out, a usage
//! outcome with its pre-period value (Welch, CUPED, the always-valid interval, the sample-ratio
//! check) and a retention outcome (Kaplan–Meier per arm at 90 days, the log-rank test) — timed
//! as the median of 5 (`analyse_observations`). The data and the per-play results are written
//! to `/tmp/custfit_experiment_bench/` for `benches/experiment.py`, the SciPy transcription, which
//! times the same statistics and checks that its numbers equal these.
//!
//! `experiment --coverage [seeds] [metric|retention]` (default 200, metric): the whole loop on the
//! simulator (`simulate_experiment`) seed after seed — a playbook with two plays, each holding
//! out half of its accounts, one play with a known effect (latent engagement +0.4, odds of not
//! renewing × 0.6), one with none — and reports how often the 95 % interval covers the true
//! effect, how often the null play is called `works` or `harmful`, the mean estimate against
//! the mean truth, and the same for the always-valid interval (tuned to 500 accounts, about the
//! size of one play's experiment here).

use std::io::Write;
use std::time::Instant;

use custfit::document::Document;
use custfit::experiment::{
    analyse_observations, simulate_experiment, AnalysisConfig, Observation, PlayEffect, SimulatedExperiment, Verdict,
};
use custfit::play::{Arm, DryRunConfig, FrameRecipe, Playbook};
use custfit::sim::Rng;
use custfit::{SimulationConfig, Timestamp};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn write_f64(path: &std::path::Path, v: impl Iterator<Item = f64>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for x in v {
        out.write_all(&x.to_le_bytes())?;
    }
    out.flush()
}

fn speed(entries: usize, plays: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng::new(17, 0);
    let t0 = Timestamp::parse("2024-03-01")?;
    let mut obs: Vec<Observation> = Vec::with_capacity(entries);
    for i in 0..entries {
        let play = i % plays;
        let held = rng.chance(0.1);
        // Usage: 30-day active days, pre-period correlated; plays 0..10 lift usage by 0.5 days.
        let pre = (12.0 + 5.0 * rng.normal()).clamp(0.0, 30.0).round();
        let lift = if !held && play < 10 { 0.5 } else { 0.0 };
        let value = (0.7 * pre + 4.0 + lift + 3.0 * rng.normal()).clamp(0.0, 30.0).round();
        // Retention: exponential time to churn (mean 400 days), censored at 0..120 days of
        // follow-up.
        let hazard = if !held && play < 10 { 0.8 / 400.0 } else { 1.0 / 400.0 };
        let churn_at = -(1.0 - rng.uniform()).ln() / hazard;
        let follow = 30.0 + 90.0 * rng.uniform();
        obs.push(Observation {
            group: format!("play_{play:03}"),
            account_id: format!("acc-{:07}", i / plays),
            arm: if held { Arm::Holdout } else { Arm::Treatment },
            entered: t0,
            value: Some(value),
            pre: Some(pre),
            duration_days: Some(churn_at.min(follow).floor()),
            churned: churn_at <= follow,
        });
    }
    let mut metric = AnalysisConfig::from_json_value(serde_json::json!({"version": 1,
        "outcome": {"type": "metric", "metric": "active_days_30d"}, "sequential": {"tuning": 5000}}))?;
    let mut retention = AnalysisConfig::from_json_value(serde_json::json!({"version": 1,
        "outcome": {"type": "retention", "horizon": {"amount": 90, "unit": "days"}}}))?;
    for p in 0..plays {
        metric.expected_control_share.insert(format!("play_{p:03}"), 0.1);
        retention.expected_control_share.insert(format!("play_{p:03}"), 0.1);
    }
    let dir = std::path::Path::new("/tmp/custfit_experiment_bench");
    std::fs::create_dir_all(dir)?;
    write_f64(&dir.join("play.bin"), obs.iter().map(|o| o.group[5..].parse::<f64>().unwrap_or(-1.0)))?;
    write_f64(&dir.join("held.bin"), obs.iter().map(|o| f64::from(u8::from(o.arm == Arm::Holdout))))?;
    write_f64(&dir.join("value.bin"), obs.iter().map(|o| o.value.unwrap_or(f64::NAN)))?;
    write_f64(&dir.join("pre.bin"), obs.iter().map(|o| o.pre.unwrap_or(f64::NAN)))?;
    write_f64(&dir.join("duration.bin"), obs.iter().map(|o| o.duration_days.unwrap_or(f64::NAN)))?;
    write_f64(&dir.join("churned.bin"), obs.iter().map(|o| f64::from(u8::from(o.churned))))?;

    let mut results = serde_json::Map::new();
    for (name, config) in [("metric", &metric), ("retention", &retention)] {
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..5 {
            let start = Instant::now();
            let r = analyse_observations(&obs, config)?;
            times.push(start.elapsed().as_secs_f64());
            report = Some(r);
        }
        let report = report.ok_or("no report")?;
        let works = report.results.iter().filter(|r| r.verdict == Verdict::Works).count();
        println!(
            "{name:9}: {entries} observations, {plays} plays: median {:.3} s (min {:.3}); {works} plays called works",
            median(times.clone()),
            times.iter().copied().fold(f64::INFINITY, f64::min)
        );
        results.insert(name.into(), serde_json::to_value(&report.results)?);
    }
    std::fs::write(dir.join("custfit.json"), serde_json::to_string(&results)?)?;
    println!("data and results in {} (run benches/experiment.py for the SciPy peer)", dir.display());
    Ok(())
}

fn coverage(seeds: u64, outcome: &str) -> Result<(), Box<dyn std::error::Error>> {
    let playbook = Playbook::from_json_value(serde_json::json!({"version": 1, "name": "exp", "plays": [
        {"id": "check_in", "trigger": {"type": "condition", "when": "active_days_30d < 10"},
         "firing": {"type": "edge"}, "tactic": {"kind": "call"}, "holdout": {"share": 0.5, "salt": "x"}},
        {"id": "newsletter", "trigger": {"type": "condition", "when": "active_days_30d >= 10"},
         "firing": {"type": "edge"}, "tactic": {"kind": "email"}, "holdout": {"share": 0.5, "salt": "y"}}]}))?;
    let outcome_json = match outcome {
        "retention" => serde_json::json!({"type": "retention", "horizon": {"amount": 90, "unit": "days"}}),
        _ => serde_json::json!({"type": "metric", "metric": "active_days_30d", "horizon": {"amount": 30, "unit": "days"}}),
    };
    let analysis = AnalysisConfig::from_json_value(
        serde_json::json!({"version": 1, "outcome": outcome_json, "sequential": {"tuning": 500}}),
    )?;
    let start = Instant::now();
    let (mut covered, mut seq_covered, mut n) = (0usize, 0usize, 0usize);
    let (mut null_works, mut null_harmful, mut null_seq_called, mut effect_works) = (0usize, 0usize, 0usize, 0usize);
    let mut effect_detected = 0usize;
    let (mut est, mut truth_sum) = (0.0f64, 0.0f64);
    let mut accounts = 0u64;
    for seed in 0..seeds {
        let simulation =
            SimulationConfig::default().with_accounts(600).with_days(240).with_seed(1000 + seed).with_activity_scale(0.3);
        let from = simulation.start;
        let cfg = SimulatedExperiment {
            version: custfit::experiment::SIMULATED_EXPERIMENT_VERSION,
            simulation,
            playbook: playbook.clone(),
            recipe: FrameRecipe::default(),
            dry_run: DryRunConfig::weekly(from.add_days(60), from.add_days(140)),
            effects: vec![PlayEffect { play: "check_in".into(), engagement: 0.4, churn_odds: 0.6 }],
            analysis: analysis.clone(),
        };
        let r = simulate_experiment(&cfg)?;
        let (e, null) = (&r.report.results[0], &r.report.results[1]);
        if let (Some(t), Some(c), Some(d)) = (r.truth[0].effect, r.truth[0].covered, e.difference) {
            n += 1;
            covered += usize::from(c);
            est += d;
            truth_sum += t;
            accounts += e.treatment_observed + e.control_observed;
            if let Some(s) = &e.sequential {
                seq_covered += usize::from(s.ci_low <= t && t <= s.ci_high);
            }
            effect_works += usize::from(e.verdict == Verdict::Works);
            effect_detected += usize::from(e.ci_low.is_some_and(|l| l > 0.0));
        }
        null_works += usize::from(null.ci_low.is_some_and(|l| l > 0.0));
        null_harmful += usize::from(null.ci_high.is_some_and(|h| h < 0.0));
        null_seq_called += usize::from(null.verdict == Verdict::Works || null.verdict == Verdict::Harmful);
    }
    let pct = |k: usize, n: usize| 100.0 * k as f64 / n.max(1) as f64;
    println!("outcome {outcome}, {seeds} seeds ({:.1} s)", start.elapsed().as_secs_f64());
    println!(
        "effect play: mean estimate {:.4}, mean truth {:.4}, {:.0} accounts observed per seed; 95 % interval covers the truth {covered}/{n} = {:.1} %; always-valid {seq_covered}/{n} = {:.1} %; detected (fixed 95 % interval above 0) {:.1} %, verdict works (always-valid, tuning 500) {:.1} %",
        est / n.max(1) as f64,
        truth_sum / n.max(1) as f64,
        accounts as f64 / n.max(1) as f64,
        pct(covered, n),
        pct(seq_covered, n),
        pct(effect_detected, n),
        pct(effect_works, n)
    );
    println!(
        "null play: fixed 95 % interval above 0 in {null_works}/{seeds} = {:.1} %, below 0 in {null_harmful}/{seeds} = {:.1} %; always-valid verdict works or harmful in {:.1} %",
        pct(null_works, seeds as usize),
        pct(null_harmful, seeds as usize),
        pct(null_seq_called, seeds as usize)
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--coverage") => {
            coverage(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200), args.get(3).map_or("metric", String::as_str))
        }
        _ => speed(
            args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000),
            args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100),
        ),
    }
}
