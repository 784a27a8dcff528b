//! Every size, count and duration a caller controls has a documented bound checked before any
//! work: the largest accepted values finish with output that follows the data, and one past the
//! bound is a coded error (the capacity, goal and clustering entry points that used to allocate
//! gigabytes or run for hours).

use std::time::{Duration, Instant};

use custfit::activity::{goal_progress, goal_progress_all, Goal, GoalMetric, GoalPeriod, MAX_GOAL_ACCOUNT_DAYS, MAX_GOAL_DAYS};
use custfit::segment::{
    CapacityConfig, ClusterConfig, ClusterCount, ParetoConfig, HOURS_PER_YEAR, MAX_ACCOUNT_HOURS, MAX_ITERATIONS, MAX_RESTARTS,
};
use custfit::{Simulation, SimulationConfig, Snapshot, Window};

fn base(accounts: usize) -> Simulation {
    Simulation::generate(&SimulationConfig::default().with_accounts(accounts).with_days(40).with_seed(3).with_activity_scale(0.2))
        .expect("simulation")
}

fn tiered(sim: &Simulation) -> Snapshot {
    let mut snap = sim.dataset.snapshot(sim.end).expect("snapshot");
    let tiers = ParetoConfig::default().apply(&snap).expect("tiers");
    snap.add_column(tiers.to_column("tier")).expect("tier column");
    snap
}

fn code(r: custfit::Result<impl std::fmt::Debug>) -> &'static str {
    r.expect_err("an error").code()
}

#[test]
fn capacity_plan_hours_are_bounded_and_books_follow_the_accounts() {
    let sim = base(200);
    let snap = tiered(&sim);
    let hours = |h: f64, csm: f64| {
        CapacityConfig::new([("tier_1", h), ("tier_2", h), ("tier_3", h)].map(|(t, h)| (t.to_string(), h)).into(), csm)
    };
    // The largest need per account and the smallest CSM year: millions of CSMs needed, but no
    // more books than accounts.
    let t = Instant::now();
    let plan = hours(MAX_ACCOUNT_HOURS, 1.0).plan(&snap).expect("plan");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(plan.total_csms, 200 * MAX_ACCOUNT_HOURS as usize);
    assert_eq!(plan.books.len(), 200);
    assert!(plan.books.iter().all(|b| b.accounts == 1));
    for (h, csm) in
        [(1e6, 1.0), (1e300, 1.0), (1.0, 1e-300), (1.0, 0.5), (1.0, HOURS_PER_YEAR + 1.0), (-1.0, 1.0), (f64::NAN, 1.0)]
    {
        assert_eq!(code(hours(h, csm).plan(&snap)), "invalid_config", "{h} / {csm}");
    }
}

#[test]
fn goal_lookback_and_account_days_are_bounded() {
    let sim = base(200);
    let goal = Goal::new("daily", GoalMetric::ActiveUsers, GoalPeriod::Daily, 1.0);
    let longest = Window::days(MAX_GOAL_DAYS as u32 - 1);
    let t = Instant::now();
    let all = goal_progress_all(&sim.dataset, &goal, sim.end, longest).expect("largest accepted lookback");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|p| p.days.len() == MAX_GOAL_DAYS && p.periods.len() == MAX_GOAL_DAYS));
    let too_long = Window::days(MAX_GOAL_DAYS as u32);
    assert_eq!(code(goal_progress(&sim.dataset, &all[0].account_id, &goal, sim.end, too_long)), "invalid_argument");
    assert_eq!(code(goal_progress_all(&sim.dataset, &goal, sim.end, Window::days(36_500))), "invalid_argument");
    // More account-days than the bound: refused before any work.
    let big = base(MAX_GOAL_ACCOUNT_DAYS / (MAX_GOAL_DAYS - 1) + 1);
    let t = Instant::now();
    assert_eq!(code(goal_progress_all(&big.dataset, &goal, big.end, longest)), "invalid_argument");
    assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
}

#[test]
fn clustering_work_is_bounded() {
    let sim = base(200);
    let snap = sim.dataset.snapshot(sim.end).expect("snapshot");
    let config = |restarts: usize, max_iterations: usize, k: ClusterCount| ClusterConfig {
        metrics: vec!["mau".into(), "mrr".into()],
        restarts,
        max_iterations,
        k,
        ..ClusterConfig::default()
    };
    let fixed = ClusterCount::Fixed { k: 3 };
    let t = Instant::now();
    config(MAX_RESTARTS, MAX_ITERATIONS, fixed.clone()).fit(&snap).expect("largest accepted");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    for (restarts, iterations) in [(1_000_000_000, 100), (MAX_RESTARTS + 1, 1), (1, MAX_ITERATIONS + 1), (0, 1), (1, 0)] {
        assert_eq!(code(config(restarts, iterations, fixed.clone()).fit(&snap)), "invalid_config", "{restarts} {iterations}");
    }
    // Each bound alone is fine but the product is not.
    let wide = ClusterCount::Silhouette { min: 2, max: 100 };
    assert_eq!(code(config(MAX_RESTARTS, MAX_ITERATIONS, wide).fit(&snap)), "invalid_config");
}

#[test]
fn simulation_volume_is_bounded_before_any_work() {
    let t = Instant::now();
    for config in [
        SimulationConfig::default().with_accounts(10_000_000).with_days(3650).with_activity_scale(100.0),
        SimulationConfig::default().with_accounts(100_000).with_days(365),
    ] {
        assert_eq!(code(Simulation::generate(&config)), "invalid_config");
    }
    assert!(t.elapsed() < Duration::from_millis(100), "{:?}", t.elapsed());
    SimulationConfig::default().with_accounts(2_000).with_days(365).validate().expect("the default-sized base");
}
