//! Snapshots: point-in-time semantics, configs, catalog and the steps series.

use custfit::metrics::{MetricDef, PropertyFilter, BUILTIN_METRICS};
use custfit::{
    daily_activity, Account, Dataset, Event, IngestOptions, Role, Simulation, SimulationConfig, SnapshotConfig, Timestamp, User,
    Window,
};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

#[test]
fn snapshot_has_every_catalog_column_and_excludes_future_accounts() {
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(60).with_days(90).with_activity_scale(0.3)).expect("sim");
    let early = sim.start.add_days(10);
    let snap = sim.dataset.snapshot(early).expect("snapshot");
    let created_by: usize = sim.dataset.accounts().iter().filter(|a| a.created_at <= early).count();
    assert_eq!(snap.len(), created_by);
    for m in BUILTIN_METRICS {
        let col = snap.column(m.name).expect("column");
        assert_eq!(col.data_type(), m.data_type, "{}", m.name);
    }
    let err = snap.column("days_since_last_actvity").expect_err("typo");
    assert_eq!(err.code(), "unknown_metric");
    assert!(err.to_string().contains("days_since_last_activity"), "{err}");
}

#[test]
fn config_round_trips_and_validates() {
    let cfg = SnapshotConfig::default()
        .with_metric(
            MetricDef::count("reports_30d", Some("feature_used"), Window::days(30))
                .with_filter(PropertyFilter::equals("feature", "reports")),
        )
        .with_metric(MetricDef::sum("spend_3m", Some("invoice_paid"), "amount", Window::months(3)))
        .with_metric(MetricDef::distinct_users("reporters_2w", Some("feature_used"), Window::weeks(2)))
        .with_metric(MetricDef::ratio("reports_per_login", "reports_30d", "logins_30d"));
    let json = cfg.to_json();
    let back = SnapshotConfig::from_json(&json).expect("parse");
    assert_eq!(back, cfg);
    assert_eq!(back.to_json(), json);

    let bad = |text: &str, code: &str| {
        let err = SnapshotConfig::from_json(text).expect_err(text);
        assert_eq!(err.code(), code, "{text}: {err}");
    };
    bad("{", "parse_error");
    bad(r#"{"version": 9}"#, "unsupported_version");
    bad(r#"{"metrics": [{"type": "count", "name": "x", "window": {"amount": 0, "unit": "days"}}]}"#, "invalid_config");
    bad(r#"{"metrics": [{"type": "count", "name": "x", "window": {"amount": 3, "unit": "fortnights"}}]}"#, "parse_error");
    bad(r#"{"metrics": [{"type": "count", "name": "1x", "window": {"amount": 3, "unit": "days"}}]}"#, "invalid_config");
    bad(r#"{"metrics": [{"type": "ratio", "name": "r", "numerator": "current_plan", "denominator": "mau"}]}"#, "invalid_config");
    bad(r#"{"metrics": [{"type": "ratio", "name": "r", "numerator": "created_at", "denominator": "mau"}]}"#, "invalid_config");
    let later = r#"{"metrics": [{"type": "ratio", "name": "r", "numerator": "x", "denominator": "mau"},
        {"type": "count", "name": "x", "window": {"amount": 3, "unit": "days"}}]}"#;
    bad(later, "unknown_metric");
    bad(r#"{"metrics": [{"type": "count", "name": "x", "window": {"amount": 3, "unit": "days"}, "extra": 1}]}"#, "parse_error");
}

#[test]
fn steps_series_counts_distinct_users_per_day() {
    let mut ds = Dataset::new();
    let o = IngestOptions::default().with_now(ts("2024-03-10"));
    ds.add_accounts(&[Account::new("a", "A", ts("2024-01-01"))], &o).expect("a");
    ds.add_users(
        &[User::new("u1", "a", Role::Member, ts("2024-01-01")), User::new("u2", "a", Role::Member, ts("2024-01-01"))],
        &o,
    )
    .expect("u");
    ds.add_events(
        &[
            Event::new("a", Some("u1"), ts("2024-03-01T08:00:00Z"), "login"),
            Event::new("a", Some("u1"), ts("2024-03-01T09:00:00Z"), "feature_used"),
            Event::new("a", Some("u2"), ts("2024-03-01T10:00:00Z"), "feature_used"),
            Event::new("a", Some("u2"), ts("2024-03-03T10:00:00Z"), "touch"),
            Event::new("a", Some("u2"), ts("2024-03-04T10:00:00Z"), "login"),
        ],
        &o,
    )
    .expect("e");
    let days = daily_activity(&ds, "a", ts("2024-03-03T12:00:00Z"), 3).expect("series");
    let got: Vec<(String, u32, u32, u32)> =
        days.iter().map(|d| (d.day.date_string(), d.active_users, d.events, d.logins)).collect();
    assert_eq!(got, vec![("2024-03-01".into(), 2, 3, 1), ("2024-03-02".into(), 0, 0, 0), ("2024-03-03".into(), 0, 0, 0)]);
    assert_eq!(daily_activity(&ds, "zz", ts("2024-03-03"), 3).expect_err("unknown").code(), "unknown_account");
    assert_eq!(daily_activity(&ds, "a", ts("2024-03-03"), 0).expect_err("zero").code(), "invalid_argument");
}

#[test]
fn simulator_revenue_is_long_tailed() {
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(2000).with_days(30).with_activity_scale(0.05))
        .expect("sim");
    let snap = sim.dataset.snapshot(sim.start).expect("snap");
    let mrr = snap.column("mrr").expect("mrr");
    let mut v: Vec<f64> = (0..snap.len()).filter_map(|i| mrr.f64_at(i)).filter(|m| *m > 0.0).collect();
    v.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = v.iter().sum();
    let top = |share: f64| v.iter().take((v.len() as f64 * share).ceil() as usize).sum::<f64>() / total;
    assert!((0.38..0.52).contains(&top(0.1)), "top 10% hold {}", top(0.1));
    assert!((0.66..0.82).contains(&top(0.3)), "top 30% hold {}", top(0.3));
}

#[test]
fn simulator_churn_follows_behaviour() {
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(400).with_activity_scale(0.2)).expect("sim");
    let churned: Vec<_> = sim.truth.iter().filter(|t| t.churned).collect();
    let rate = churned.len() as f64 / sim.truth.len() as f64;
    assert!((0.08..0.5).contains(&rate), "churn rate {rate}");
    let declined = |t: &&custfit::sim::AccountTruth| t.decline_started_at.is_some();
    let churn_given_decline = sim.truth.iter().filter(declined).filter(|t| t.churned).count() as f64
        / sim.truth.iter().filter(declined).count().max(1) as f64;
    assert!(churn_given_decline > 1.5 * rate, "decline should raise churn: {churn_given_decline} vs {rate}");
}

#[test]
fn ratios_read_seats_and_number_attributes() -> custfit::Result<()> {
    use custfit::{Account, AttributeValue, Dataset, IngestOptions, Timestamp};
    let t = Timestamp::parse("2024-01-01")?;
    let mut a = Account::new("a", "A", t);
    a.seats = Some(4);
    a.attributes.insert("employees".into(), AttributeValue::Number(200.0));
    a.attributes.insert("region".into(), AttributeValue::String("EU".into()));
    let mut ds = Dataset::new();
    ds.add_accounts(&[a], &IngestOptions::default())?;
    let cfg = SnapshotConfig::default()
        .with_metric(MetricDef::ratio("employees_per_seat", "employees", "seats"))
        .with_metric(MetricDef::ratio("users_per_seat", "users", "seats"));
    let snap = ds.snapshot_with(t.add_days(1), &cfg)?;
    assert_eq!(snap.value("a", "employees_per_seat")?.as_f64(), Some(50.0));
    assert_eq!(snap.value("a", "users_per_seat")?.as_f64(), Some(0.0));
    let typo = SnapshotConfig::default().with_metric(MetricDef::ratio("r", "employes", "seats"));
    let err = ds.snapshot_with(t, &typo).expect_err("no such column");
    assert_eq!(err.code(), "unknown_metric");
    assert!(err.to_string().contains("did you mean `employees`"), "{err}");
    let text = SnapshotConfig::default().with_metric(MetricDef::ratio("r", "region", "seats"));
    assert_eq!(ds.snapshot_with(t, &text).expect_err("text").code(), "invalid_config");
    Ok(())
}
