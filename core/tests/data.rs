//! Dataset ingestion: every bad input leaves the dataset unchanged and has a stable code.

use custfit::io::DataFiles;
use custfit::{
    Account, AttributeValue, Dataset, DuplicatePolicy, Event, IngestOptions, Money, Role, Simulation, SimulationConfig,
    Subscription, SubscriptionStatus, Timestamp, User,
};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

fn opts() -> IngestOptions {
    IngestOptions::default().with_now(ts("2024-06-01"))
}

fn base() -> Dataset {
    let mut ds = Dataset::new();
    ds.add_accounts(&[Account::new("a", "A", ts("2024-01-01")).with_seats(5), Account::new("b", "B", ts("2024-01-01"))], &opts())
        .expect("accounts");
    ds.add_users(
        &[User::new("ua", "a", Role::Champion, ts("2024-01-01")), User::new("ub", "b", Role::Member, ts("2024-01-01"))],
        &opts(),
    )
    .expect("users");
    ds.add_events(&[Event::new("a", Some("ua"), ts("2024-02-01"), "login")], &opts()).expect("events");
    ds
}

fn fingerprint(ds: &Dataset) -> (usize, usize, usize, usize, Vec<Event>) {
    (ds.account_count(), ds.user_count(), ds.subscription_count(), ds.event_count(), ds.events())
}

fn assert_rejected_unchanged(mut ds: Dataset, batch: Vec<Event>, code: &str) {
    let before = fingerprint(&ds);
    let err = ds.add_events(&batch, &opts()).expect_err("must fail");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(fingerprint(&ds), before);
}

#[test]
fn bad_events_leave_dataset_unchanged() {
    let good = Event::new("a", Some("ua"), ts("2024-03-01"), "login");
    assert_rejected_unchanged(base(), vec![good.clone(), Event::new("zz", None, ts("2024-03-01"), "login")], "unknown_account");
    assert_rejected_unchanged(
        base(),
        vec![good.clone(), Event::new("a", Some("ghost"), ts("2024-03-01"), "login")],
        "unknown_user",
    );
    assert_rejected_unchanged(base(), vec![Event::new("a", Some("ub"), ts("2024-03-01"), "login")], "invalid_event");
    assert_rejected_unchanged(base(), vec![good.clone(), Event::new("a", None, ts("2025-01-01"), "login")], "future_timestamp");
    assert_rejected_unchanged(base(), vec![Event::new("a", None, ts("2024-03-01"), "")], "invalid_event");
    assert_rejected_unchanged(base(), vec![good.clone().with_property("score", f64::NAN)], "invalid_event");
    assert_rejected_unchanged(base(), vec![good.clone().with_property("amount", f64::INFINITY)], "invalid_event");
    assert_rejected_unchanged(base(), vec![good.clone().with_property("", "x")], "invalid_event");
    assert_rejected_unchanged(base(), vec![Event::new("a", None, ts("2024-03-01"), "bad\u{0}name")], "invalid_event");
    assert_rejected_unchanged(base(), vec![Event::new("a", None, ts("2024-03-01"), "x".repeat(5000))], "invalid_event");
}

#[test]
fn error_names_row_and_field() {
    let mut ds = base();
    let err = ds
        .add_events(
            &[Event::new("a", None, ts("2024-03-01"), "login"), Event::new("q", None, ts("2024-03-01"), "login")],
            &opts(),
        )
        .expect_err("fails");
    match err {
        custfit::Error::Row { row, field, entity, .. } => {
            assert_eq!((row, field.as_str(), entity), (1, "account_id", custfit::Entity::Event));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(ds.add_events(&[], &opts()).expect("empty ok").accepted == 0);
}

#[test]
fn duplicate_policies() {
    let e = Event::new("a", Some("ua"), ts("2024-03-01"), "login").with_property("page", "x");
    let mut ds = base();
    let r = ds.add_events(&[e.clone(), e.clone()], &opts()).expect("drop");
    assert_eq!((r.accepted, r.duplicates_dropped, ds.event_count()), (1, 1, 2));
    // Re-ingesting the same batch is harmless.
    let r = ds.add_events(std::slice::from_ref(&e), &opts()).expect("again");
    assert_eq!((r.accepted, r.duplicates_dropped, ds.event_count()), (0, 1, 2));
    let keep = opts().with_duplicates(DuplicatePolicy::Keep);
    ds.add_events(std::slice::from_ref(&e), &keep).expect("keep");
    assert_eq!(ds.event_count(), 3);
    let reject = opts().with_duplicates(DuplicatePolicy::Reject);
    assert_rejected_unchanged_with(ds, vec![e], &reject, "duplicate_event");
}

fn assert_rejected_unchanged_with(mut ds: Dataset, batch: Vec<Event>, o: &IngestOptions, code: &str) {
    let before = fingerprint(&ds);
    let err = ds.add_events(&batch, o).expect_err("must fail");
    assert_eq!(err.code(), code);
    assert_eq!(fingerprint(&ds), before);
}

#[test]
fn lenient_mode_returns_rejected_rows() {
    let mut ds = base();
    let batch = vec![
        Event::new("a", None, ts("2024-03-01"), "login"),
        Event::new("zz", None, ts("2024-03-01"), "login"),
        Event::new("b", Some("ub"), ts("2024-03-02"), "login").with_property("x", f64::NAN),
        Event::new("b", Some("ub"), ts("2024-03-02"), "login"),
    ];
    let r = ds.add_events(&batch, &opts().with_mode(custfit::IngestMode::Lenient)).expect("lenient");
    assert_eq!(r.accepted, 2);
    let rows: Vec<(usize, &str)> = r.rejected.iter().map(|x| (x.row, x.code.as_str())).collect();
    assert_eq!(rows, vec![(1, "unknown_account"), (2, "invalid_event")]);
    assert_eq!(ds.event_count(), 3);
}

#[test]
fn bad_entities() {
    let mut ds = base();
    let before = fingerprint(&ds);
    let dup = ds.add_accounts(&[Account::new("c", "C", ts("2024-01-01")), Account::new("a", "A2", ts("2024-01-01"))], &opts());
    assert_eq!(dup.expect_err("dup").code(), "duplicate_id");
    let attr = Account::new("d", "D", ts("2024-01-01")).with_attribute("size", AttributeValue::Number(f64::NAN));
    assert_eq!(ds.add_accounts(&[attr], &opts()).expect_err("nan").code(), "invalid_account");
    let future = Account::new("e", "E", ts("2030-01-01"));
    assert_eq!(ds.add_accounts(&[future], &opts()).expect_err("future").code(), "future_timestamp");
    let user = User::new("u9", "nope", Role::Member, ts("2024-01-01"));
    assert_eq!(ds.add_users(&[user], &opts()).expect_err("unknown").code(), "unknown_account");
    let dup_user = User::new("ua", "a", Role::Member, ts("2024-01-01"));
    assert_eq!(ds.add_users(&[dup_user], &opts()).expect_err("dup user").code(), "duplicate_id");
    let sub = |minor: i64, cur: &str| Subscription {
        account_id: "a".into(),
        plan: "pro".into(),
        start: ts("2024-01-01"),
        end: None,
        mrr: Money::new(minor, cur),
        quantity: 1,
        status: SubscriptionStatus::Active,
    };
    assert_eq!(ds.add_subscriptions(&[sub(-5, "USD")], &opts()).expect_err("negative").code(), "invalid_subscription");
    assert_eq!(ds.add_subscriptions(&[sub(i64::MAX, "USD")], &opts()).expect_err("huge").code(), "invalid_subscription");
    assert_eq!(ds.add_subscriptions(&[sub(5, "usd")], &opts()).expect_err("currency").code(), "invalid_subscription");
    assert_eq!(ds.add_subscriptions(&[sub(5, "USD"), sub(5, "EUR")], &opts()).expect_err("mix").code(), "currency_mismatch");
    assert_eq!(fingerprint(&ds), before);
    assert_eq!(ds.currency(), None, "a rejected batch must not set the currency");
}

#[test]
fn serde_rejects_malformed_rows() {
    let bad_ts = serde_json::from_str::<Event>(r#"{"account_id":"a","timestamp":"3000-01-01","name":"x"}"#);
    assert!(bad_ts.is_err());
    let bad_role = serde_json::from_str::<User>(r#"{"id":"u","account_id":"a","role":"boss","created_at":"2024-01-01"}"#);
    assert!(bad_role.expect_err("role").to_string().contains("expected one of"));
    let huge_seats =
        serde_json::from_str::<Account>(r#"{"id":"a","created_at":"2024-01-01","seats":99999999999}"#).expect_err("seats");
    assert!(huge_seats.to_string().contains("u32") || huge_seats.to_string().contains("invalid value"));
    let unknown_field = serde_json::from_str::<Event>(r#"{"account_id":"a","timestamp":"2024-01-01","name":"x","nme":1}"#);
    assert!(unknown_field.is_err());
}

#[test]
fn csv_round_trip() {
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(25).with_days(30).with_activity_scale(0.3)).expect("sim");
    let dir = std::env::temp_dir().join(format!("custfit-csv-{}", std::process::id()));
    sim.dataset.write_csv_dir(&dir, true).expect("write");
    let options = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let (back, report) = Dataset::from_files(&DataFiles::csv_dir(&dir), &options).expect("read");
    assert_eq!(report.events.accepted, sim.dataset.event_count());
    assert_eq!(back.accounts(), sim.dataset.accounts());
    assert_eq!(back.users(), sim.dataset.users());
    assert_eq!(back.subscriptions(), sim.dataset.subscriptions());
    assert_eq!(back.events(), sim.dataset.events());
    let dir2 = dir.join("again");
    back.write_csv_dir(&dir2, true).expect("write again");
    for f in ["accounts.csv", "users.csv", "subscriptions.csv", "events.csv"] {
        assert_eq!(std::fs::read(dir.join(f)).expect("a"), std::fs::read(dir2.join(f)).expect("b"), "{f} differs");
    }
    // JSON Lines too.
    let dir3 = dir.join("jsonl");
    sim.dataset.write_jsonl_dir(&dir3, true).expect("jsonl");
    let (back3, _) = Dataset::from_files(&DataFiles::jsonl_dir(&dir3), &options).expect("read jsonl");
    assert_eq!(back3.events(), sim.dataset.events());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_errors_name_row_and_field() {
    let text = "account_id,user_id,timestamp,name,score:number\na,,2024-01-01,x,1\na,,2024-01-01,x,abc\n";
    let err = custfit::io::csv::read_events(text.as_bytes()).expect_err("bad number");
    assert_eq!(err.code(), "invalid_event");
    assert!(err.to_string().contains("row 1"), "{err}");
    let missing = custfit::io::csv::read_events("account_id,name\na,x\n".as_bytes()).expect_err("missing column");
    assert_eq!(missing.code(), "parse_error");
    let bad_ts = custfit::io::csv::read_events("account_id,timestamp,name\na,yesterday,x\n".as_bytes()).expect_err("ts");
    assert_eq!(bad_ts.code(), "invalid_timestamp");
}

#[test]
fn memory_per_event_is_small() {
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(100).with_days(60)).expect("sim");
    let m = sim.dataset.memory_usage();
    assert!(m.events > 50_000);
    assert!(m.bytes_per_event <= 24.0, "{m:?}");
}
