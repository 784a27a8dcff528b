//! Activity (`custfit::activity`): checks on the simulator (goal golden cases run in `cases`).

use custfit::activity::{goal_progress, goal_progress_all, CelebrationKind, Goal, GoalMetric, GoalPeriod};
use custfit::{Simulation, SimulationConfig, Window};

#[test]
fn goals_on_the_simulator() {
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(40).with_days(120).with_seed(2).with_activity_scale(0.5))
            .expect("sim");
    let goal = Goal::new("weekly logins", GoalMetric::Logins, GoalPeriod::Weekly, 5.0);
    let all = goal_progress_all(&sim.dataset, &goal, sim.end, Window::days(90)).expect("progress");
    assert!(!all.is_empty());
    for p in &all {
        assert!(p.current_streak <= p.longest_streak.max(1));
        assert_eq!(p.days.len(), 91);
        assert!(p.periods.iter().all(|x| (x.attainment - x.value / p.target).abs() < 1e-12));
        let run = p.periods.iter().fold((0u32, 0u32), |(cur, best), x| {
            if x.met {
                (cur + 1, best.max(cur + 1))
            } else if x.complete {
                (0, best)
            } else {
                (cur, best)
            }
        });
        assert_eq!(run.1, p.longest_streak);
    }
    assert!(all.iter().any(|p| p.celebrations.iter().any(|c| c.kind == CelebrationKind::FirstWeekAtGoal)));
    // Per-account targets.
    let id = all[0].account_id.clone();
    let g2 = goal.clone().with_account_target(id.clone(), 1.0);
    let p = goal_progress(&sim.dataset, &id, &g2, sim.end, Window::days(90)).expect("progress");
    assert_eq!(p.target, 1.0);
    assert_eq!(Goal::from_json(&g2.to_json().expect("json")).expect("parse"), g2);
}
