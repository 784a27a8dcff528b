//! Exploration: backtest scorecard files on the simulator (90-day horizon).
//!
//! `cargo run --release -p custfit-benches --bin health_explore [accounts] starter learned [card.json …]`
use custfit::health::{backtest, BacktestConfig, Scorecard};
use custfit::{Simulation, SimulationConfig};

fn main() -> Result<(), custfit::Error> {
    let args: Vec<String> = std::env::args().collect();
    let accounts: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(accounts))?;
    let dates = BacktestConfig::grid(sim.start.add_days(90), sim.end.add_days(-121), 30)?;
    for path in &args[2..] {
        if path == "learned" {
            // Weights learned from outcomes, starting from the starter (time-ordered hold-out).
            let cfg = custfit::churn::WeightLearningConfig::new(dates.clone());
            let l = custfit::churn::learn_scorecard_weights(&sim.dataset, &Scorecard::starter(), &cfg)?;
            println!(
                "learned: hold-out auc starter {:.4} learned {:.4} on {} rows; shares {:?}",
                l.holdout_auc_before.unwrap_or(f64::NAN),
                l.holdout_auc_after.unwrap_or(f64::NAN),
                l.holdout_observations,
                l.weights.iter().map(|w| (w.measure.as_str(), (w.share_after * 1000.0).round() / 1000.0)).collect::<Vec<_>>()
            );
            continue;
        }
        let card = if path == "starter" {
            Scorecard::starter()
        } else {
            Scorecard::from_json(
                &std::fs::read_to_string(path).map_err(|e| custfit::Error::Io { path: path.clone(), reason: e.to_string() })?,
            )?
        };
        let bt = backtest(&sim.dataset, &card, &BacktestConfig::new(dates.clone()))?;
        let rates: Vec<String> =
            bt.bands.iter().map(|b| format!("{}:{}/{:.3}", b.band, b.observations, b.churn_rate.unwrap_or(f64::NAN))).collect();
        println!(
            "{path}: auc {:.4} per-date {:?} {}",
            bt.roc_auc.unwrap_or(f64::NAN),
            bt.dates.iter().map(|d| (d.roc_auc.unwrap_or(0.0) * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
            rates.join(" ")
        );
    }
    Ok(())
}
