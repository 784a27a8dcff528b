//! Snippets of the user guide (docs/src/*.md include them by anchor), run as tests.

use custfit::io::DataFiles;
use custfit::{
    Account, AttributeValue, Dataset, Event, IngestMode, IngestOptions, MetricDef, Money, PropertyFilter, Role, SnapshotConfig,
    Subscription, SubscriptionStatus, Timestamp, User, Window,
};

#[test]
fn guide_build_dataset() -> custfit::Result<()> {
    // ANCHOR: build
    let t = |s: &str| Timestamp::parse(s);
    let options = IngestOptions::default().with_now(t("2024-03-01")?);
    let mut ds = Dataset::new();
    ds.add_accounts(
        &[Account::new("acme", "Acme Inc.", t("2023-05-01")?)
            .with_seats(25)
            .with_owner("csm-ann")
            .with_attribute("plan", AttributeValue::String("enterprise".into()))],
        &options,
    )?;
    ds.add_users(&[User::new("ada", "acme", Role::Champion, t("2023-05-01")?)], &options)?;
    ds.add_subscriptions(
        &[Subscription {
            account_id: "acme".into(),
            plan: "enterprise".into(),
            start: t("2023-05-01")?,
            end: Some(t("2024-05-01")?),
            mrr: Money::new(650_000, "USD"), // $6,500.00 in cents
            quantity: 25,
            status: SubscriptionStatus::Active,
        }],
        &options,
    )?;
    let report = ds.add_events(
        &[
            Event::new("acme", Some("ada"), t("2024-02-28T09:00:00Z")?, "login"),
            Event::new("acme", Some("ada"), t("2024-02-28T09:05:00Z")?, "feature_used").with_property("feature", "reports"),
        ],
        &options,
    )?;
    assert_eq!(report.accepted, 2);
    // ANCHOR_END: build

    // ANCHOR: strict
    let before = ds.event_count();
    let err = ds
        .add_events(
            &[
                Event::new("acme", Some("ada"), t("2024-02-29")?, "login"),
                Event::new("globex", None, t("2024-02-29")?, "login"), // unknown account
            ],
            &options,
        )
        .expect_err("unknown account");
    assert_eq!(err.code(), "unknown_account");
    assert_eq!(err.to_string(), "event row 1, field `account_id`: no account `globex` in the dataset");
    assert_eq!(ds.event_count(), before); // nothing was ingested
                                          // ANCHOR_END: strict

    // ANCHOR: lenient
    let lenient = options.clone().with_mode(IngestMode::Lenient);
    let report = ds.add_events(
        &[Event::new("acme", Some("ada"), t("2024-02-29")?, "login"), Event::new("globex", None, t("2024-02-29")?, "login")],
        &lenient,
    )?;
    assert_eq!(report.accepted, 1);
    assert_eq!(report.rejected[0].code, "unknown_account");
    // ANCHOR_END: lenient

    // ANCHOR: snapshot
    let snap = ds.snapshot(t("2024-03-01")?)?;
    assert_eq!(snap.value("acme", "logins_7d")?.as_f64(), Some(2.0));
    assert_eq!(snap.value("acme", "mrr")?.as_f64(), Some(6500.0));
    assert_eq!(snap.value("acme", "days_to_renewal")?.as_f64(), Some(61.0));
    // ANCHOR_END: snapshot

    // ANCHOR: custom
    let config = SnapshotConfig::default()
        .with_metric(
            MetricDef::count("reports_30d", Some("feature_used"), Window::days(30))
                .with_filter(PropertyFilter::equals("feature", "reports")),
        )
        .with_metric(MetricDef::ratio("reports_per_login", "reports_30d", "logins_30d"));
    let snap = ds.snapshot_with(t("2024-03-01")?, &config)?;
    assert_eq!(snap.value("acme", "reports_per_login")?.as_f64(), Some(0.5));
    // The same config as JSON, usable from Python and Node:
    let json = config.to_json();
    assert_eq!(SnapshotConfig::from_json(&json)?, config);
    // ANCHOR_END: custom

    // ANCHOR: files
    let dir = std::env::temp_dir().join(format!("custfit-guide-{}", std::process::id()));
    ds.write_csv_dir(&dir, true)?; // true: replace files from an earlier run
    let (copy, _report) = Dataset::from_files(&DataFiles::csv_dir(&dir), &options)?;
    assert_eq!(copy.events(), ds.events());
    // ANCHOR_END: files
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[test]
fn docs_includes_resolve() {
    // Every `{{#include path:anchor}}` in docs/src points at an existing file and anchor.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let docs = root.join("docs/src");
    for entry in std::fs::read_dir(&docs).expect("docs/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for part in text.split("{{#include ").skip(1) {
            let spec = part.split("}}").next().expect("spec");
            let (file, anchor) = spec.split_once(':').map_or((spec, None), |(f, a)| (f, Some(a)));
            let target = docs.join(file);
            let body =
                std::fs::read_to_string(&target).unwrap_or_else(|_| panic!("{}: missing {}", path.display(), target.display()));
            if let Some(a) = anchor {
                assert!(body.contains(&format!("ANCHOR: {a}")), "{}: no anchor {a} in {}", path.display(), target.display());
            }
        }
    }
}

#[test]
fn guide_frames() -> custfit::Result<()> {
    use custfit::churn::{build_training_set, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig};
    use custfit::health::{health_snapshot, FlagConfig, Scorecard, ScorecardSet};
    use custfit::segment::ParetoConfig;
    use custfit::{Expr, Simulation, SimulationConfig, ToColumns};
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(200).with_days(240).with_seed(3))?;
    let features = ChurnFeatures::new(&["active_days_30d", "usage_trend_30d", "days_to_renewal"]);
    let training = TrainingSetConfig::default().with_features(features.clone()).with_horizon(Window::days(60));
    let model = ChurnModel::fit(
        &build_training_set(&sim.dataset, &training, Some(sim.end))?,
        &features,
        &ChurnModelConfig::new(ModelConfig::logistic()),
    )?;
    let (dataset, as_of) = (&sim.dataset, sim.end);
    // ANCHOR: frame_rust
    let snapshot = dataset.snapshot(as_of)?;
    // Tiers as a column, then a scorecard per tier.
    let tiers = ParetoConfig::default().apply(&snapshot)?;
    let frame = snapshot.with_columns(tiers.account_columns("tier"))?;
    let per_tier = ScorecardSet::from_json(
        r#"{"column": "tier", "cases": [{"values": ["tier_1"], "scorecard": {"name": "high_touch",
            "measures": [{"name": "active", "metric": "active_days_30d",
                          "scoring": {"type": "ramp", "low": 0, "high": 25}}]}}],
            "default": {"name": "tech_touch", "measures": [{"name": "active", "metric": "active_days_30d",
                          "scoring": {"type": "ramp", "low": 0, "high": 10}}]}}"#,
    )?;
    let scores = per_tier.score(&frame)?;
    // Churn risk and health band beside the metrics, read by one condition.
    let risk = model.forecast(dataset, as_of, 3)?;
    let health =
        Scorecard::starter().score(&health_snapshot(dataset, as_of, &SnapshotConfig::default(), &FlagConfig::default())?)?;
    let frame = frame.with_columns(risk.account_columns("churn"))?.with_columns(health.account_columns("health"))?;
    let at_risk = Expr::compile(r#"churn_probability > 0.3 && health_band in ["red", "orange"]"#, &frame.schema())?;
    let flagged = at_risk.matches(&frame)?;
    // ANCHOR_END: frame_rust
    assert_eq!(scores.len(), frame.len());
    assert_eq!(flagged.len(), frame.len());
    Ok(())
}

#[test]
fn guide_experiment() -> custfit::Result<()> {
    use custfit::document::Document;
    use custfit::experiment::{analyse, power_plan, sample_size_proportions, AnalysisConfig, PowerPlanConfig, Verdict};
    use custfit::play::{dry_run, DryRunConfig, FrameRecipe, PlayState, Playbook};
    use custfit::{Simulation, SimulationConfig};

    // ANCHOR: experiment_holdout
    let book = Playbook::from_json_str(
        r#"{"version": 1, "name": "adoption",
            "holdout": {"share": 0.05, "salt": "2026"},
            "plays": [{"id": "check_in", "trigger": {"type": "condition", "when": "active_days_30d < 8"},
                       "firing": {"type": "edge"}, "tactic": {"kind": "call"},
                       "holdout": {"share": 0.2, "salt": "2026", "stratify_by": "plan"}}]}"#,
    )?;
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(800).with_days(240).with_activity_scale(0.3))?;
    let config = DryRunConfig::weekly(sim.start.add_days(60), sim.start.add_days(150));
    let replay = dry_run(&book, &sim.dataset, &FrameRecipe::default(), &config, &PlayState::new())?;
    let held: usize = replay.runs.iter().map(|r| r.held_out.len()).sum();
    let fired: usize = replay.runs.iter().map(|r| r.fired.len()).sum();
    // About 5 % + 95 % × 20 % ≈ 24 % of the enrollments are held out.
    assert!(held > 0 && fired > 2 * held);
    // ANCHOR_END: experiment_holdout

    // ANCHOR: experiment_analyse
    let analysis = AnalysisConfig::from_json_str(
        r#"{"version": 1, "outcome": {"type": "retention", "horizon": {"amount": 60, "unit": "days"}}}"#,
    )?;
    let report = analyse(&book, &replay.state, &sim.dataset, &analysis)?;
    let result = &report.results[0];
    println!(
        "{}: {} treated, {} held out, survival {:?} vs {:?}, verdict {} ({})",
        result.group,
        result.treatment_accounts,
        result.control_accounts,
        result.treatment_value,
        result.control_value,
        result.verdict.as_str(),
        result.reason
    );
    // Nothing treated these simulated accounts, so the play cannot be seen to work.
    assert_ne!(result.verdict, Verdict::Works);
    // ANCHOR_END: experiment_analyse

    // ANCHOR: experiment_power
    // Accounts per arm to see retention move from 80 % to 85 % (80 % power, 5 % level).
    let needed = sample_size_proportions(0.80, 0.05, 0.05, 0.8, 1.0)?;
    assert_eq!(needed.control, 906); // R: power.prop.test(p1 = .80, p2 = .85, power = .80) gives n = 905.3
                                     // And the reverse: what the accounts the dry run enrolled per month can detect in 3 months.
    let plan = power_plan(&book, &replay, &PowerPlanConfig::from_json_str(r#"{"outcome": {"type": "rate", "baseline": 0.8}}"#)?)?;
    println!("{}: {:.0} accounts a month, detects {:?}", plan[0].play, plan[0].accounts_per_month, plan[0].detectable_effect);
    // ANCHOR_END: experiment_power
    Ok(())
}

#[test]
fn guide_lifecycle() -> custfit::Result<()> {
    use custfit::lifecycle::{
        growth_accounting, retention_cohorts, CohortConfig, CohortMeasure, CohortStart, LifecycleConfig, Period,
    };
    use custfit::{Simulation, SimulationConfig, ToColumns};

    // ANCHOR: lifecycle_growth
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(500).with_days(180).with_activity_scale(0.3))?;
    let growth = growth_accounting(&sim.dataset, sim.end, &LifecycleConfig::new(Period::Month))?;
    for p in &growth.periods {
        println!(
            "{}: {} active = {} new + {} returning + {} resurrecting; {} dormant ({} just churned), quick ratio {:?}",
            p.start.date_string(),
            p.active,
            p.new,
            p.returning,
            p.resurrecting,
            p.dormant,
            p.churned,
            p.quick_ratio
        );
    }
    // Each account's bucket in the current month, as columns a play can trigger on.
    let frame = sim.dataset.snapshot(sim.end)?.with_columns(growth.account_columns("lifecycle"))?;
    assert!(frame.has_column("lifecycle") && frame.has_column("lifecycle_first_active"));
    // ANCHOR_END: lifecycle_growth

    // ANCHOR: lifecycle_cohorts
    let cohorts = retention_cohorts(
        &sim.dataset,
        sim.end,
        &CohortConfig::new(Period::Month, CohortStart::FirstSubscription, CohortMeasure::Subscribed),
    )?;
    for row in cohorts.rows.iter().rev().take(3) {
        println!(
            "{} ({} accounts): logo {:?}, net revenue {:?}",
            row.cohort.date_string(),
            row.accounts,
            row.logo,
            row.net_revenue
        );
    }
    // ANCHOR_END: lifecycle_cohorts
    Ok(())
}

#[test]
fn guide_moments_and_phases() -> custfit::Result<()> {
    use custfit::document::Document;
    use custfit::lifecycle::{engagement_moments, phase_history, MomentsConfig};
    use custfit::segment::RuleSegmentation;
    use custfit::{Simulation, SimulationConfig, SnapshotConfig, ToColumns};
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(400).with_days(180).with_activity_scale(0.3))?;

    // ANCHOR: lifecycle_moments
    let config = MomentsConfig::from_json_str(
        r#"{"version": 1, "moments": [
              {"name": "kickoff", "event": "onboarding_step", "filter": {"property": "step", "in": ["kickoff"]},
               "expected": {"amount": 7, "unit": "days"}},
              {"name": "training", "event": "onboarding_step", "filter": {"property": "step", "in": ["training_done"]},
               "expected": {"amount": 14, "unit": "days"}, "after": "previous", "owner_role": "onboarding"},
              {"name": "first_value", "event": "onboarding_step", "filter": {"property": "step", "in": ["first_value"]},
               "expected": {"amount": 30, "unit": "days"}, "tolerance": {"amount": 14, "unit": "days"}}],
            "cadences": [{"name": "check_in", "event": "touch", "every": {"amount": 30, "unit": "days"}}]}"#,
    )?;
    // Only accounts that started within the data: older ones had their onboarding unrecorded.
    let config = MomentsConfig { from: Some(sim.start), ..config };
    let moments = engagement_moments(&sim.dataset, sim.end, &config)?;
    for m in &moments.summary {
        println!(
            "{}: {} of {} done, median {:?} days (p90 {:?}), on time {:?}, {} stuck",
            m.name, m.done, m.reached, m.median_days, m.p90_days, m.on_time_share, m.stuck
        );
    }
    // Columns for plays: `onboarding_stuck`, `onboarding_current == "training"`, `onboarding_ttfv_days` …
    let frame = sim.dataset.snapshot(sim.end)?.with_columns(moments.account_columns("onboarding"))?;
    assert!(frame.has_column("onboarding_stuck") && frame.has_column("onboarding_check_in_overdue"));
    // ANCHOR_END: lifecycle_moments

    // ANCHOR: lifecycle_moments_condition
    // Adopted: three active days in a week after first value — a condition, checked weekly.
    let adoption = MomentsConfig::from_json_str(
        r#"{"version": 1, "moments": [
              {"name": "first_value", "event": "onboarding_step", "filter": {"property": "step", "in": ["first_value"]},
               "expected": {"amount": 30, "unit": "days"}},
              {"name": "adopted", "condition": "active_days_7d >= 3", "after": "previous",
               "expected": {"amount": 14, "unit": "days"}}],
            "checks": {"every": {"amount": 7, "unit": "days"}}}"#,
    )?;
    let adoption = MomentsConfig { from: Some(sim.start), ..adoption };
    let adopted = &engagement_moments(&sim.dataset, sim.end, &adoption)?.summary[1];
    println!("{} of {} adopted, median {:?} days after first value", adopted.done, adopted.reached, adopted.median_days);
    // ANCHOR_END: lifecycle_moments_condition
    assert!(adopted.done > 0 && adopted.done <= adopted.reached);

    // ANCHOR: lifecycle_phases
    let phases = RuleSegmentation::default()
        .with_segment("onboarding", "tenure_days < 45")
        .with_segment("renewal", "days_to_renewal <= 60")
        .with_segment("adoption", "active_days_30d < 12")
        .with_segment("expansion", "true");
    let dates: Vec<_> = (0..8).map(|k| sim.start.add_days(60 + 14 * k)).collect();
    let history = phase_history(&sim.dataset, &dates, &SnapshotConfig::default(), &phases)?;
    for t in history.transitions.iter().filter(|t| t.from.is_some()).take(5) {
        println!("{} moved from {:?} to {:?} on {}", t.account_id, t.from, t.to, t.at.date_string());
    }
    // ANCHOR_END: lifecycle_phases
    Ok(())
}

#[test]
fn guide_effectiveness() -> custfit::Result<()> {
    use custfit::document::Document;
    use custfit::effectiveness::{assess, MaturityModel, PlanOutcome, PlanReason, PlanStatus, PlanTracker, TrackingPolicy};
    use custfit::{Simulation, SimulationConfig, ToColumns};

    // ANCHOR: effectiveness_assess
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(400).with_days(120).with_activity_scale(0.3))?;
    let frame = sim.dataset.snapshot(sim.end)?;
    let model = MaturityModel::from_json_str(
        r#"{"version": 1, "segment_by": "plan", "phases": [
              {"name": "started", "behaviours": [{"name": "active", "metric": "active_days_30d", "at_least": 1}]},
              {"name": "adopting", "behaviours": [{"name": "weekly_use", "metric": "active_days_30d", "at_least": 8},
                                                 {"name": "recent", "metric": "days_since_last_activity", "at_most": 7}]},
              {"name": "mature", "behaviours": [{"name": "broad_use", "metric": "features_used_30d", "at_least": 5},
                                               {"name": "most_seats", "metric": "seat_utilization", "at_least": 0.6}]}]}"#,
    )?;
    let maturity = assess(&frame, &model)?;
    println!("accounts per level (none, started, adopting, mature): {:?}", maturity.counts);
    let first = &maturity.accounts[0];
    for step in &first.plan {
        println!(
            "{} to reach {:?}: {} from {:?} to {} (best in class {:?})",
            first.account_id, first.next_phase, step.metric, step.baseline, step.target, step.stretch
        );
    }
    // Columns for plays: `maturity`, `maturity_level`, `maturity_next`, `maturity_gaps`.
    let frame = frame.with_columns(maturity.account_columns("maturity"))?;
    assert!(frame.has_column("maturity_level"));
    // ANCHOR_END: effectiveness_assess

    // ANCHOR: effectiveness_tracking
    let mut tracker = PlanTracker::new(TrackingPolicy { horizon: Window::days(90) }); // plans due 90 days after they are made
    for month in 1..=4 {
        // Checked monthly, at the end of each 30 days.
        let snapshot = sim.dataset.snapshot(sim.start.add_days(30 * month).add_millis(-1000))?;
        let check = tracker.track(&snapshot, &model)?;
        let behind = check.accounts.iter().filter(|a| a.status == PlanStatus::Behind).count();
        println!(
            "{}: {} plans made, {} achieved, {} regressed, {} expired, {behind} behind",
            check.at.date_string(),
            check.plans_made,
            check.achieved,
            check.regressed,
            check.expired
        );
    }
    // 2024-01-30: 273 plans made, 0 achieved, 0 regressed, 0 expired, 0 behind
    // 2024-02-29: 87 plans made, 35 achieved, 30 regressed, 0 expired, 174 behind
    // 2024-03-30: 89 plans made, 21 achieved, 42 regressed, 0 expired, 211 behind
    // 2024-04-29: 268 plans made, 36 achieved, 36 regressed, 159 expired, 76 behind
    for plan in tracker.plans_of("acc-000060") {
        // One account's plan and re-plans.
        println!("plan {} ({:?}) for {}: {:?}", plan.revision, plan.reason, plan.target_phase, plan.outcome);
    }
    // plan 1 (Initial) for adopting: Some(Achieved)
    // plan 2 (Achieved) for mature: Some(Regressed)
    // plan 3 (Regressed) for adopting: Some(Achieved)
    // plan 4 (Achieved) for mature: None
    // The same check again changes nothing (and gives the same result); its columns for plays:
    // `plan_status` ("on_track", "behind", "top"), `plan_progress`, `plan_elapsed`, `plan_target`,
    // `plan_due`, `plan_revision`.
    let snapshot = sim.dataset.snapshot(sim.end)?;
    let check = tracker.track(&snapshot, &model)?;
    let frame = snapshot.with_columns(check.account_columns("plan"))?;
    assert!(frame.has_column("plan_status"));
    // ANCHOR_END: effectiveness_tracking
    // The figures of the Python and Node snippets.
    assert_eq!((tracker.checks.len(), tracker.plans.len(), tracker.actuals.len()), (4, 717, 889));
    let behind = check.accounts.iter().filter(|a| a.status == PlanStatus::Behind).count();
    assert_eq!((check.plans_made, check.achieved, check.regressed, check.expired, behind), (268, 36, 36, 159, 76));
    let story: Vec<_> = tracker.plans_of("acc-000060").iter().map(|p| (p.reason, p.outcome)).collect();
    assert_eq!(
        story,
        [
            (PlanReason::Initial, Some(PlanOutcome::Achieved)),
            (PlanReason::Achieved, Some(PlanOutcome::Regressed)),
            (PlanReason::Regressed, Some(PlanOutcome::Achieved)),
            (PlanReason::Achieved, None)
        ]
    );
    Ok(())
}
