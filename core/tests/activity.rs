//! Activity (`custfit::activity`): goal golden cases (tests/cases/activity) and checks on the simulator.

use custfit::activity::{goal_progress, goal_progress_all, CelebrationKind, Goal, GoalMetric, GoalPeriod};
use custfit::{Account, Dataset, Event, IngestOptions, Simulation, SimulationConfig, Timestamp, Window};
use serde_json::Value;

use crate::health::run_cases;

fn run_goal_case(case: &Value) -> custfit::Result<Value> {
    let input = &case["input"];
    let mut ds = Dataset::new();
    let parse = |what: &str, v: &Value| custfit::Error::Parse { what: what.into(), reason: v.to_string() };
    let accounts: Vec<Account> =
        serde_json::from_value(input["accounts"].clone()).map_err(|_| parse("accounts", &input["accounts"]))?;
    let events: Vec<Event> = serde_json::from_value(input["events"].clone()).map_err(|_| parse("events", &input["events"]))?;
    let opts = IngestOptions::default();
    ds.add_accounts(&accounts, &opts)?;
    if let Some(users) = input.get("users") {
        let users: Vec<custfit::User> = serde_json::from_value(users.clone()).map_err(|_| parse("users", users))?;
        ds.add_users(&users, &opts)?;
    }
    ds.add_events(&events, &opts)?;
    let goal = Goal::from_json(&case["config"]["goal"].to_string())?;
    let as_of: Timestamp = serde_json::from_value(input["as_of"].clone()).map_err(|_| parse("as_of", &input["as_of"]))?;
    let lookback: Window =
        serde_json::from_value(input["lookback"].clone()).map_err(|_| parse("lookback", &input["lookback"]))?;
    let account = input["account_id"].as_str().unwrap_or_default();
    let progress = goal_progress(&ds, account, &goal, as_of, lookback)?;
    Ok(serde_json::to_value(progress).unwrap_or_default())
}

#[test]
fn golden_goal_cases() {
    run_cases("activity", run_goal_case);
}

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
