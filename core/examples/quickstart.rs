//! The main job: simulate a customer base, build the snapshot as of its last day, and print a
//! readable summary (revenue concentration, the least active high-MRR accounts, and one account's
//! daily active users over the last four weeks).
//!
//! Run: `cargo run --release --example quickstart [-- ACCOUNTS SEED]`

use std::time::Instant;

use custfit::{daily_activity, Simulation, SimulationConfig};

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
    Ok(())
}
