//! Foundation benchmark (Rust side): simulate a customer base, time the Dataset build and the
//! snapshot, report bytes per event, and write the data plus the snapshot as CSV so that
//! `benches/foundation.py` can compute the same metrics with polars and DuckDB and compare.
//!
//! Usage: foundation [ACCOUNTS] [DAYS] [ACTIVITY_SCALE] [OUT_DIR]

use std::io::Write;
use std::time::Instant;

use custfit::{Dataset, IngestOptions, Simulation, SimulationConfig};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> custfit::Result<()> {
    let mut args = std::env::args().skip(1);
    let accounts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let days: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(180);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.05);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "benches/out".into()));

    let t = Instant::now();
    let cfg = SimulationConfig::default().with_accounts(accounts).with_days(days).with_activity_scale(scale);
    let sim = Simulation::generate(&cfg)?;
    let simulate_s = t.elapsed().as_secs_f64();
    let ds = &sim.dataset;

    // Dataset build from in-memory rows (all four tables, validation included).
    let (accs, users, subs, events) = (ds.accounts().to_vec(), ds.users(), ds.subscriptions(), ds.events());
    let opts = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let mut builds = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut d = Dataset::new();
        d.add_accounts(&accs, &opts)?;
        d.add_users(&users, &opts)?;
        d.add_subscriptions(&subs, &opts)?;
        d.add_events(&events, &opts)?;
        builds.push(t.elapsed().as_secs_f64());
        assert_eq!(d.event_count(), ds.event_count());
    }
    drop(events);

    let as_of = sim.end;
    let mut snaps = Vec::new();
    let mut snap = ds.snapshot(as_of)?;
    for _ in 0..7 {
        let t = Instant::now();
        snap = ds.snapshot(as_of)?;
        snaps.push(t.elapsed().as_secs_f64());
    }
    let mem = ds.memory_usage();

    std::fs::create_dir_all(&out).map_err(|e| custfit::Error::Io { path: out.display().to_string(), reason: e.to_string() })?;
    ds.write_csv_dir(&out, true)?; // the bench writes its data afresh each time
    let cols = [
        "active_days_7d",
        "active_days_30d",
        "active_days_90d",
        "dau",
        "wau",
        "mau",
        "logins_7d",
        "logins_30d",
        "events_7d",
        "events_30d",
        "days_since_last_activity",
        "features_used_30d",
        "pricing_page_views_30d",
        "support_tickets_60d",
        "csm_touches_30d",
    ];
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(out.join("snapshot.csv"))
            .map_err(|e| custfit::Error::Io { path: "snapshot.csv".into(), reason: e.to_string() })?,
    );
    let io = |e: std::io::Error| custfit::Error::Io { path: "snapshot.csv".into(), reason: e.to_string() };
    writeln!(f, "account_id,{}", cols.join(",")).map_err(io)?;
    let data: Vec<_> = cols.iter().map(|c| snap.column(c)).collect::<custfit::Result<_>>()?;
    for (i, id) in snap.account_ids().iter().enumerate() {
        let vals: Vec<String> = data.iter().map(|c| c.f64_at(i).map(|v| v.to_string()).unwrap_or_default()).collect();
        writeln!(f, "{id},{}", vals.join(",")).map_err(io)?;
    }
    f.flush().map_err(io)?;
    let report = serde_json::json!({
        "accounts": ds.account_count(),
        "events": ds.event_count(),
        "as_of": as_of.to_rfc3339(),
        "simulate_s": simulate_s,
        "dataset_build_s": median(builds),
        "snapshot_s": median(snaps),
        "bytes_per_event": mem.bytes_per_event,
        "event_bytes": mem.event_bytes,
        "dictionary_bytes": mem.dictionary_bytes,
        "metrics": cols,
    });
    std::fs::write(out.join("rust.json"), serde_json::to_string_pretty(&report).unwrap_or_default())
        .map_err(|e| custfit::Error::Io { path: "rust.json".into(), reason: e.to_string() })?;
    println!("{report}");
    Ok(())
}
