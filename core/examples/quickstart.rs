//! The main job: simulate a customer base, build the snapshot as of its last day, and print a
//! readable summary (revenue concentration, the least active high-MRR accounts, and one account's
//! daily active users over the last four weeks); then the whole loop — health, churn risk and
//! tiers as columns of one frame, this week's plays of the starter playbook with owners and
//! reasons, and what the playbook would have done over the last half year and how those
//! accounts fared.
//!
//! Run: `cargo run --release --example quickstart [-- ACCOUNTS SEED]`

use std::time::Instant;

use std::collections::BTreeMap;

use custfit::churn::{build_training_set, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig};
use custfit::play::{dry_run, DryRunConfig, FrameRecipe, PlayState, Playbook};
use custfit::{daily_activity, Simulation, SimulationConfig, Value, Window};

fn main() -> custfit::Result<()> {
    let mut args = std::env::args().skip(1);
    let accounts = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);

    let t = Instant::now();
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(accounts).with_seed(seed))?;
    let ds = &sim.dataset;
    println!(
        "Simulated {} accounts, {} users, {} subscriptions, {} events in {:.2?} (seed {seed})",
        ds.account_count(),
        ds.user_count(),
        ds.subscription_count(),
        ds.event_count(),
        t.elapsed()
    );

    let t = Instant::now();
    let snap = ds.snapshot(sim.end)?;
    println!(
        "Snapshot as of {}: {} accounts x {} columns in {:.2?}\n",
        sim.end.date_string(),
        snap.len(),
        snap.columns().len() + 1,
        t.elapsed()
    );

    // Revenue concentration.
    let mrr = snap.column("mrr")?;
    let mut paying: Vec<(usize, f64)> =
        (0..snap.len()).filter_map(|i| mrr.f64_at(i).filter(|m| *m > 0.0).map(|m| (i, m))).collect();
    paying.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = paying.iter().map(|p| p.1).sum();
    println!("Revenue concentration ({} paying accounts, MRR ${:.0}):", paying.len(), total);
    for share in [0.1, 0.3, 0.5] {
        let k = ((paying.len() as f64) * share).ceil() as usize;
        let part: f64 = paying.iter().take(k).map(|p| p.1).sum();
        println!("  top {:>3.0}% of accounts hold {:>5.1}% of MRR", share * 100.0, part / total * 100.0);
    }

    // Least active high-MRR accounts.
    let active = snap.column("active_days_30d")?;
    let days_since = snap.column("days_since_last_activity")?;
    let top_k = (paying.len() / 10).max(1);
    let mut top: Vec<(usize, f64)> = paying.iter().take(top_k).copied().collect();
    top.sort_by(|a, b| active.f64_at(a.0).unwrap_or(0.0).total_cmp(&active.f64_at(b.0).unwrap_or(0.0)));
    println!("\nLeast active of the top {top_k} accounts by MRR:");
    println!("  {:<12} {:>10} {:>16} {:>22}", "account", "MRR", "active days/30", "days since activity");
    for (i, m) in top.iter().take(5) {
        println!(
            "  {:<12} {:>10.0} {:>16} {:>22}",
            snap.account_ids()[*i],
            m,
            active.f64_at(*i).unwrap_or(0.0),
            days_since.f64_at(*i).map(|d| d.to_string()).unwrap_or_else(|| "never".into())
        );
    }

    // Steps view of the largest account.
    if let Some((i, _)) = paying.first() {
        let id = &snap.account_ids()[*i];
        let days = daily_activity(ds, id, sim.end, 28)?;
        let peak = days.iter().map(|d| d.active_users).max().unwrap_or(1).max(1);
        println!("\nDaily active users of {id}, last 4 weeks (the 'steps' view):");
        for d in days {
            let bar = "#".repeat((d.active_users as usize * 40).div_ceil(peak as usize));
            println!("  {} {:>4} {bar}", d.day.date_string(), d.active_users);
        }
    }
    let mem = ds.memory_usage();
    println!("\nDataset holds {:.1} bytes per event.", mem.bytes_per_event);

    // The whole loop. A churn model learnt from what was known half a year ago (so the replay
    // below never sees the future through it), then one frame: metrics + tier + health + risk.
    let t = Instant::now();
    let start = sim.end.add_days(-182);
    let features = ChurnFeatures::new(&[
        "active_days_30d",
        "usage_trend_30d",
        "days_to_renewal",
        "support_tickets_60d",
        "days_since_last_activity",
    ]);
    let training = TrainingSetConfig::default().with_features(features.clone()).with_horizon(Window::days(60));
    let model = ChurnModel::fit(
        &build_training_set(ds, &training, Some(start))?,
        &features,
        &ChurnModelConfig::new(ModelConfig::logistic()),
    )?;
    let recipe = FrameRecipe::starter(model);
    let frame = recipe.frame(ds, sim.end)?;
    let bands = frame.column("health_band")?;
    let mut by_band: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..frame.len() {
        if let Value::Str(b) = bands.value(i) {
            *by_band.entry(b).or_default() += 1;
        }
    }
    println!("\nHealth bands as of {}: {by_band:?}", sim.end.date_string());
    let risk = frame.column("churn_probability")?;
    let tier = frame.column("tier")?;
    let mut risky: Vec<(usize, f64)> = (0..frame.len()).filter_map(|i| risk.f64_at(i).map(|p| (i, p))).collect();
    risky.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("Highest churn risk (model fitted on data up to {}):", start.date_string());
    for (i, p) in risky.iter().take(5) {
        let show = |v: Value| if let Value::Str(s) = v { s } else { "-".into() };
        println!(
            "  {:<12} {:>5.1}%  {:<7} {:<8} MRR {:>7.0}",
            frame.account_ids()[*i],
            p * 100.0,
            show(tier.value(*i)),
            show(bands.value(*i)),
            mrr.f64_at(*i).unwrap_or(0.0)
        );
    }

    // The starter playbook, replayed weekly over the last half year: the last run is this week.
    let book = Playbook::starter();
    let dry = dry_run(&book, ds, &recipe, &DryRunConfig::weekly(start, sim.end), &PlayState::new())?;
    if let Some(week) = dry.runs.last() {
        println!(
            "\nThis week's plays ({} new actions, {} open actions refreshed, {} eligible accounts skipped):",
            week.fired.len(),
            week.updated.len(),
            week.skipped.len()
        );
        let mut shown: Vec<_> = week.fired.iter().collect();
        shown.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.key.cmp(&b.key)));
        for a in shown.iter().take(10) {
            let why: Vec<String> = a.reasons.iter().map(|(k, v)| format!("{k}={}", short(v))).collect();
            println!(
                "  P{} {:<12} {:<27} {:<14} {:<8} because {}",
                a.priority,
                a.account_id,
                a.play,
                a.kind,
                a.owner.as_deref().unwrap_or("-"),
                why.join(", ")
            );
        }
    }
    println!("\nThe starter playbook over the last half year, and how the accounts fared within 90 days:");
    println!("  {:<32} {:>6} {:>9} {:>9} {:>10} {:>14}", "play", "fired", "accounts", "observed", "churned", "active days Δ");
    for p in dry.plays.iter().filter(|p| p.fired > 0) {
        println!(
            "  {:<32} {:>6} {:>9} {:>9} {:>10} {:>14}",
            p.play,
            p.fired,
            p.accounts,
            p.observed,
            p.churn_rate.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "-".into()),
            p.mean_active_days_change.map(|d| format!("{d:+.1}")).unwrap_or_else(|| "-".into())
        );
    }
    println!("(health, churn, tiers and {} weekly playbook runs in {:.2?})", dry.runs.len(), t.elapsed());
    Ok(())
}

/// A cell for a one-line reason.
fn short(v: &Value) -> String {
    match v {
        Value::Float(x) => format!("{x:.2}"),
        Value::Null => "missing".into(),
        other => serde_json::to_string(other).unwrap_or_default().trim_matches('"').to_string(),
    }
}
