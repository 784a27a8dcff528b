//! Benchmark: growth accounting and retention cohorts over a simulated base (default 100,000
//! accounts, about 10M events), against the same computations in polars and DuckDB
//! (`benches/lifecycle.py`, which reads the tables this writes and checks every value).
//!
//! `cargo run --release -p custfit-benches --bin lifecycle [accounts] [days] [activity_scale]`
//! times (median of 5, one thread for the peers' fairness is not forced: custfit uses the
//! machine's cores, as polars and DuckDB do) monthly and weekly growth accounting and monthly
//! cohorts by first subscription (subscribed, with gross and net revenue) and by first activity
//! (active), then writes `/tmp/custfit_lifecycle_bench/`: `events.bin` (account index u32, time
//! ms i64, activity flag u8 per event, in the Dataset's order), `subscriptions.json`, the
//! results and the timings.

use std::io::Write;
use std::time::Instant;

use custfit::lifecycle::{
    growth_accounting, retention_cohorts, CohortConfig, CohortMeasure, CohortStart, LifecycleConfig, Period,
};
use custfit::{Simulation, SimulationConfig, Timestamp};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(f: impl Fn() -> custfit::Result<T>) -> custfit::Result<(f64, T)> {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        out = Some(f()?);
        times.push(t.elapsed().as_secs_f64());
    }
    Ok((median(times), out.expect("five runs")))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let accounts: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let days: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(180);
    let scale: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.03);
    let t = Instant::now();
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(accounts).with_days(days).with_activity_scale(scale))?;
    let ds = &sim.dataset;
    let as_of: Timestamp = sim.end;
    println!("simulated {} accounts, {} events in {:.1} s", ds.account_count(), ds.event_count(), t.elapsed().as_secs_f64());

    let (month_s, month) = time(|| growth_accounting(ds, as_of, &LifecycleConfig::new(Period::Month)))?;
    let (week_s, week) = time(|| growth_accounting(ds, as_of, &LifecycleConfig::new(Period::Week)))?;
    let subscribed = CohortConfig::new(Period::Month, CohortStart::FirstSubscription, CohortMeasure::Subscribed);
    let (sub_s, sub) = time(|| retention_cohorts(ds, as_of, &subscribed))?;
    let active = CohortConfig::new(Period::Month, CohortStart::FirstActivity, CohortMeasure::Active);
    let (act_s, act) = time(|| retention_cohorts(ds, as_of, &active))?;
    println!(
        "custfit: growth by month {month_s:.3} s, by week {week_s:.3} s; cohorts subscribed {sub_s:.3} s, active {act_s:.3} s"
    );

    let dir = std::path::Path::new("/tmp/custfit_lifecycle_bench");
    std::fs::create_dir_all(dir)?;
    let skip = ["support_ticket", "survey_response", "invoice_paid", "touch"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("events.bin"))?);
    for (a, account) in ds.accounts().iter().enumerate() {
        let far = Timestamp::parse("1901-01-01")?;
        for e in ds.account_events(&account.id, far, as_of)? {
            out.write_all(&(a as u32).to_le_bytes())?;
            out.write_all(&e.timestamp.millis().to_le_bytes())?;
            out.write_all(&[u8::from(!skip.contains(&e.name.as_str()))])?;
        }
    }
    out.flush()?;
    let index: std::collections::HashMap<&str, usize> =
        ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let subs: Vec<serde_json::Value> = ds
        .subscriptions()
        .iter()
        .map(|s| {
            serde_json::json!({"account": index.get(s.account_id.as_str()), "start": s.start.millis(),
                "end": s.end.map(|e| e.millis()), "mrr": s.mrr.minor, "trial": s.status == custfit::data::SubscriptionStatus::Trial})
        })
        .collect();
    std::fs::write(dir.join("subscriptions.json"), serde_json::to_string(&subs)?)?;
    std::fs::write(
        dir.join("custfit.json"),
        serde_json::to_string(&serde_json::json!({
            "as_of": as_of.millis(), "accounts": ds.account_count(), "events": ds.event_count(),
            "days": days, "activity_scale": scale,
            "month": month.periods, "week": week.periods, "subscribed": sub.rows, "active": act.rows,
            "seconds": {"month": month_s, "week": week_s, "subscribed": sub_s, "active": act_s},
        }))?,
    )?;
    println!("tables and results in {} (run benches/lifecycle.py for polars and DuckDB)", dir.display());
    Ok(())
}
