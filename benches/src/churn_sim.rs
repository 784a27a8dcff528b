//! Churn models on the simulator with a time-ordered hold-out: AUCs and calibration.
//! `cargo run --release -p custfit-benches --bin churn_sim -- [accounts] [days]`

use std::time::Instant;

use custfit::churn::{
    backtest, build_training_set, BoostedTreesConfig, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig,
};
use custfit::{Simulation, SimulationConfig, Window};

fn main() -> Result<(), custfit::Error> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let accounts = args.first().copied().unwrap_or(2000);
    let days = args.get(1).copied().unwrap_or(365) as u32;
    let t = Instant::now();
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(accounts).with_days(days))?;
    eprintln!("simulated {} events in {:.1?}", sim.dataset.event_count(), t.elapsed());
    let features = ChurnFeatures::default();
    let cfg =
        TrainingSetConfig::default().with_features(features.clone()).with_step(Window::months(1)).with_horizon(Window::days(60));
    let t = Instant::now();
    let set = build_training_set(&sim.dataset, &cfg, Some(sim.end))?;
    eprintln!(
        "training set {} rows × {} features, churn rate {:.3}, built in {:.1?}",
        set.len(),
        set.width(),
        set.churn_rate(),
        t.elapsed()
    );
    let (train, test) = set.time_split(0.3)?;
    eprintln!("train {} rows, test {} rows ({} dates)", train.len(), test.len(), test.dates().len());
    let gbdt = ModelConfig::BoostedTrees {
        settings: BoostedTreesConfig::default()
            .with_trees(200)
            .with_learning_rate(0.05)
            .with_max_leaves(15)
            .with_min_samples_leaf(40),
    };
    for (name, mc) in [("logistic", ModelConfig::logistic()), ("boosted_trees", gbdt)] {
        let t = Instant::now();
        let config = ChurnModelConfig::new(mc);
        let model = ChurnModel::fit(&train, &features, &config)?;
        let e = model.evaluate(&test)?;
        println!(
            "{name}: fit {:.2?}; hold-out ROC AUC {:.4}, PR AUC {:.4}, log loss {:.4}, Brier {:.4}, top-decile lift {:.2}, ECE {:.4}",
            t.elapsed(),
            e.roc_auc,
            e.pr_auc,
            e.log_loss,
            e.brier,
            e.top_decile_lift,
            e.calibration_error
        );
        for b in e.calibration.iter().filter(|b| b.count > 0) {
            println!(
                "  [{:.1}, {:.1}) n={:5} predicted {:.3} observed {:.3}",
                b.lower, b.upper, b.count, b.mean_predicted, b.observed_rate
            );
        }
        if let Some(c) = model.coefficients() {
            for r in c {
                println!(
                    "  {:32} coef {:+.3} OR {:.3} retention/SD {:+.4}",
                    r.feature, r.coefficient, r.odds_ratio, r.retention_impact_per_sd
                );
            }
        }
        let bt = backtest(&set, &features, &config, 3)?;
        println!(
            "  backtest: {} (pooled {:.4})",
            bt.folds
                .iter()
                .map(|f| format!("{} AUC {:.3}", f.cutoff.date_string(), f.evaluation.roc_auc))
                .collect::<Vec<_>>()
                .join(", "),
            bt.pooled.roc_auc
        );
    }
    Ok(())
}
