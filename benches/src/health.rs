//! Benchmark: one scorecard over a 1M-account snapshot (target ≤ 100 ms).
//!
//! `cargo run --release -p custfit-benches --bin health [accounts]`. The snapshot is synthetic
//! (the columns the starter scorecard reads, drawn from a seeded generator) so the figure is the
//! scoring alone; the starter scorecard is used as shipped (ramps, tiers, two percentile
//! measures over peer bins, groups, penalties).

use custfit::health::Scorecard;
use custfit::sim::Rng;
use custfit::{Column, ColumnData, Snapshot, Timestamp};

fn main() -> Result<(), custfit::Error> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let mut rng = Rng::new(42, 0);
    let mut int = |lo: i64, hi: i64, missing: f64| -> Vec<Option<i64>> {
        (0..n).map(|_| (!rng.chance(missing)).then(|| lo + rng.below((hi - lo + 1) as u64) as i64)).collect()
    };
    let ints = [
        ("logins_7d", int(0, 200, 0.0)),
        ("events_7d", int(0, 2000, 0.0)),
        ("users", int(1, 80, 0.0)),
        ("active_days_30d", int(0, 30, 0.0)),
        ("features_used_30d", int(0, 12, 0.0)),
        ("days_since_executive_activity", int(0, 120, 0.2)),
        ("high_severity_tickets_60d", int(0, 5, 0.0)),
    ];
    let mut rng = Rng::new(7, 0);
    let mut float = |lo: f64, hi: f64, missing: f64| -> Vec<Option<f64>> {
        (0..n).map(|_| (!rng.chance(missing)).then(|| rng.range(lo, hi))).collect()
    };
    let floats = [
        ("events_per_user_day", float(0.5, 9.0, 0.02)),
        ("last_survey_score", float(0.0, 10.0, 0.3)),
        ("usual_gap_days", float(1.0, 30.0, 0.05)),
        ("usage_trend_30d", float(-100.0, 100.0, 0.05)),
    ];
    let mut rng = Rng::new(9, 0);
    let mut flag = |p: f64| -> Vec<Option<bool>> { (0..n).map(|_| Some(rng.chance(p))).collect() };
    let flags = [
        ("flag_extraction_burst", flag(0.01)),
        ("flag_confusion", flag(0.03)),
        ("flag_pricing_interest", flag(0.05)),
        ("flag_cadence_inactivity", flag(0.1)),
    ];
    let mut cols = Vec::new();
    cols.extend(ints.into_iter().map(|(k, v)| Column::new(k, ColumnData::Int(v))));
    cols.extend(floats.into_iter().map(|(k, v)| Column::new(k, ColumnData::Float(v))));
    cols.extend(flags.into_iter().map(|(k, v)| Column::new(k, ColumnData::Bool(v))));
    let ids = (0..n).map(|i| format!("acc{i:07}")).collect();
    let snapshot = Snapshot::from_columns(Timestamp::from_millis(1_700_000_000_000)?, ids, cols)?;
    let card = Scorecard::starter();
    let mut times = Vec::new();
    let mut checksum = 0i64;
    for _ in 0..7 {
        let t = std::time::Instant::now();
        let scores = card.score(&snapshot)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        checksum = (0..scores.len()).filter_map(|i| scores.score_micros(i)).sum::<i64>() / n as i64;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"bench\": \"health_score_starter\", \"accounts\": {n}, \"measures\": {}, \"median_ms\": {:.1}, \"min_ms\": {:.1}, \"mean_score_micros\": {checksum}}}",
        card.measures.len(),
        times[times.len() / 2],
        times[0]
    );
    Ok(())
}
