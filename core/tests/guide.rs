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
    ds.write_csv_dir(&dir)?;
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
            let body = std::fs::read_to_string(&target).unwrap_or_else(|_| panic!("{}: missing {}", path.display(), target.display()));
            if let Some(a) = anchor {
                assert!(body.contains(&format!("ANCHOR: {a}")), "{}: no anchor {a} in {}", path.display(), target.display());
            }
        }
    }
}
