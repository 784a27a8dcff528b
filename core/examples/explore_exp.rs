use custfit::document::Document;
use custfit::experiment::*;
fn main() -> custfit::Result<()> {
    let seeds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let outcome = std::env::args().nth(2).unwrap_or("metric".into());
    let t0 = std::time::Instant::now();
    let mut cov = 0;
    let mut n = 0;
    let mut works_null = 0;
    for seed in 0..seeds {
        let sim = custfit::SimulationConfig::default().with_accounts(600).with_days(240).with_seed(seed).with_activity_scale(0.3);
        let start = sim.start;
        let playbook = custfit::play::Playbook::from_json_value(serde_json::json!({"version": 1, "name": "exp", "plays": [
            {"id": "check_in", "trigger": {"type": "condition", "when": "active_days_30d < 10"},
             "firing": {"type": "edge"}, "tactic": {"kind": "call"}, "holdout": {"share": 0.5, "salt": "x"}},
            {"id": "newsletter", "trigger": {"type": "condition", "when": "active_days_30d >= 10"},
             "firing": {"type": "edge"}, "tactic": {"kind": "email"}, "holdout": {"share": 0.5, "salt": "y"}}]}))?;
        let dry = custfit::play::DryRunConfig::weekly(start.add_days(60), start.add_days(150));
        let oc = if outcome == "metric" {
            serde_json::json!({"type": "metric", "metric": "active_days_30d", "horizon": {"amount": 30, "unit": "days"}})
        } else {
            serde_json::json!({"type": "retention", "horizon": {"amount": 90, "unit": "days"}})
        };
        let analysis = AnalysisConfig::from_json_value(serde_json::json!({"version": 1, "outcome": oc}))?;
        let cfg = SimulatedExperiment {
            simulation: sim,
            playbook,
            recipe: Default::default(),
            dry_run: dry,
            effects: vec![PlayEffect { play: "check_in".into(), engagement: 0.4, churn_odds: 0.6 }],
            analysis,
        };
        let r = simulate_experiment(&cfg)?;
        for (res, t) in r.report.results.iter().zip(&r.truth) {
            println!("seed {seed} {} n=({},{}) obs=({},{}) diff {:?} ci [{:?}, {:?}] truth {:?} cov {:?} verdict {:?} srm {:?} cuped {:?}", res.group, res.treatment_accounts, res.control_accounts, res.treatment_observed, res.control_observed, res.difference, res.ci_low, res.ci_high, t.effect, t.covered, res.verdict, res.srm.as_ref().map(|s| s.p_value), res.cuped.as_ref().map(|c| c.variance_reduction));
            if let Some(c) = t.covered {
                n += 1;
                cov += c as usize;
            }
            if res.group == "newsletter" && res.verdict == Verdict::Works {
                works_null += 1;
            }
        }
    }
    println!("coverage {cov}/{n}, null works {works_null}, {:?}", t0.elapsed());
    Ok(())
}
