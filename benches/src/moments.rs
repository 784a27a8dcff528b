//! Benchmark: engagement moments over a large simulated base (default 1,000,000 accounts over
//! 90 days), against the same computation in polars and DuckDB (`benches/moments.py`, which
//! reads the tables this writes and checks every value).
//!
//! `cargo run --release -p custfit-benches --bin moments [accounts] [days] [activity_scale]`
//! times (median of 5) the simulator's onboarding as moments — kickoff (7 days from the
//! account's creation), training (14 days after the kickoff), first value (30 days from the
//! creation, 14 days of tolerance) — and a check-in every 30 days, for every account (journeys
//! start at creation; no `from`, so accounts created before the data are stuck on their kickoff,
//! as a demanding peer would have to compute too), then writes `/tmp/custfit_moments_bench/`:
//! `accounts.bin` (creation ms, i64 per account), `events.bin` (account u32, time ms i64, kind u8:
//! 0 kickoff, 1 training done, 2 first value, 3 touch — only those events), `custfit_at.bin`
//! (per account the three moments' instants, i64, -1 for none), `custfit.json` (as-of, the
//! summary, the stuck and overdue counts, the timing).

use std::io::Write;
use std::time::Instant;

use custfit::document::Document;
use custfit::lifecycle::{engagement_moments, MomentsConfig};
use custfit::{Simulation, SimulationConfig};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let accounts: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let days: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(90);
    let scale: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.01);
    let t = Instant::now();
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(accounts).with_days(days).with_activity_scale(scale))?;
    let ds = &sim.dataset;
    println!("simulated {} accounts, {} events in {:.1} s", ds.account_count(), ds.event_count(), t.elapsed().as_secs_f64());
    let config = MomentsConfig::from_json_value(serde_json::json!({"version": 1, "moments": [
        {"name": "kickoff", "event": "onboarding_step", "filter": {"property": "step", "in": ["kickoff"]},
         "expected": {"amount": 7, "unit": "days"}},
        {"name": "training", "event": "onboarding_step", "filter": {"property": "step", "in": ["training_done"]},
         "expected": {"amount": 14, "unit": "days"}, "after": "previous"},
        {"name": "first_value", "event": "onboarding_step", "filter": {"property": "step", "in": ["first_value"]},
         "expected": {"amount": 30, "unit": "days"}, "tolerance": {"amount": 14, "unit": "days"}}],
        "cadences": [{"name": "check_in", "event": "touch", "every": {"amount": 30, "unit": "days"}}]}))?;
    let mut times = Vec::new();
    let mut result = None;
    let rounds: usize = std::env::var("MOMENTS_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    for _ in 0..rounds {
        drop(result.take());
        let t = Instant::now();
        result = Some(engagement_moments(ds, sim.end, &config)?);
        times.push(t.elapsed().as_secs_f64());
    }
    let m = result.expect("five runs");
    let seconds = median(times);
    println!("custfit: moments of {} journeys in {seconds:.3} s", m.journeys.len());

    let dir = std::path::Path::new("/tmp/custfit_moments_bench");
    std::fs::create_dir_all(dir)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("accounts.bin"))?);
    for a in ds.accounts() {
        out.write_all(&a.created_at.millis().to_le_bytes())?;
    }
    out.flush()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("events.bin"))?);
    let far = custfit::Timestamp::parse("1901-01-01")?;
    for (a, account) in ds.accounts().iter().enumerate() {
        for e in ds.account_events(&account.id, far, sim.end)? {
            let step = match e.properties.get("step") {
                Some(custfit::data::PropertyValue::String(s)) => Some(s.as_str()),
                _ => None,
            };
            let kind = match (e.name.as_str(), step) {
                ("onboarding_step", Some("kickoff")) => 0u8,
                ("onboarding_step", Some("training_done")) => 1,
                ("onboarding_step", Some("first_value")) => 2,
                ("touch", _) => 3,
                _ => continue,
            };
            out.write_all(&(a as u32).to_le_bytes())?;
            out.write_all(&e.timestamp.millis().to_le_bytes())?;
            out.write_all(&[kind])?;
        }
    }
    out.flush()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("custfit_at.bin"))?);
    for j in &m.journeys {
        for p in &j.moments {
            out.write_all(&p.at.map_or(-1, |t| t.millis()).to_le_bytes())?;
        }
    }
    out.flush()?;
    std::fs::write(dir.join("config.json"), config.to_json_string())?;
    std::fs::write(
        dir.join("custfit.json"),
        serde_json::to_string(&serde_json::json!({
            "as_of": sim.end.millis(), "accounts": ds.account_count(), "events": ds.event_count(),
            "days": days, "activity_scale": scale,
            "journeys": m.journeys.len(), "summary": m.summary,
            "stuck_accounts": m.journeys.iter().filter(|j| j.stuck).count(),
            "check_in_overdue": m.journeys.iter().filter(|j| j.cadences[0].overdue).count(),
            "seconds": seconds,
        }))?,
    )?;
    println!("tables and results in {} (run benches/moments.py for polars and DuckDB)", dir.display());
    Ok(())
}
