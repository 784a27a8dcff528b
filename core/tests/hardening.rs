//! Wrong numbers that used to pass silently (issue "Hardening"): each is now exact or an error.

use custfit::{Account, Dataset, IngestOptions, Money, Subscription, SubscriptionStatus, Timestamp};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

/// Money never saturates: an account whose MRR or ARR leaves 64-bit minor units makes the
/// snapshot and MRR churn fail with a coded error naming the account (ARR used to clamp at
/// i64::MAX while MRR stayed exact).
#[test]
fn arr_beyond_64_bits_is_an_error_not_a_clamp() -> custfit::Result<()> {
    let opts = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let mut ds = Dataset::new();
    ds.add_accounts(&[Account::new("big", "Big", t("2024-01-01")), Account::new("small", "Small", t("2024-01-01"))], &opts)?;
    let sub = |account: &str, minor: i64| Subscription {
        account_id: account.into(),
        plan: "p".into(),
        start: t("2024-01-01"),
        end: None,
        mrr: Money::new(minor, "USD"),
        quantity: 1,
        status: SubscriptionStatus::Active,
    };
    // 800 × 10^15 = 8 × 10^17 fits in i64; × 12 does not.
    let rows: Vec<Subscription> = (0..800).map(|_| sub("big", 1_000_000_000_000_000)).chain([sub("small", 500)]).collect();
    ds.add_subscriptions(&rows, &IngestOptions { duplicates: custfit::DuplicatePolicy::Keep, ..opts })?;
    let err = ds.snapshot(t("2024-06-01")).expect_err("ARR overflows");
    assert_eq!(err.code(), "invalid_subscription");
    assert!(err.to_string().contains("`big`"), "{err}");
    Ok(())
}

/// Re-sending a batch changes nothing, for every entity: identical accounts, users,
/// subscriptions and events are dropped and counted (subscriptions used to be added again,
/// doubling MRR); a different row under a held id is still `duplicate_id`.
#[test]
fn a_resent_batch_is_idempotent_for_every_entity() -> custfit::Result<()> {
    use custfit::{DuplicatePolicy, Event, Role, User};
    let opts = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let accounts = [Account::new("a", "A", t("2024-01-01"))];
    let users = [User::new("u", "a", Role::Champion, t("2024-01-02"))];
    let subs = [Subscription {
        account_id: "a".into(),
        plan: "pro".into(),
        start: t("2024-01-01"),
        end: None,
        mrr: Money::new(10_000, "USD"),
        quantity: 1,
        status: SubscriptionStatus::Active,
    }];
    let events = [Event::new("a", Some("u"), t("2024-02-01"), "login")];
    let mut ds = Dataset::new();
    for round in 0..2 {
        let reports = [
            ds.add_accounts(&accounts, &opts)?,
            ds.add_users(&users, &opts)?,
            ds.add_subscriptions(&subs, &opts)?,
            ds.add_events(&events, &opts)?,
        ];
        for r in &reports {
            assert_eq!((r.accepted, r.duplicates_dropped), if round == 0 { (1, 0) } else { (0, 1) }, "round {round}");
        }
    }
    assert_eq!((ds.account_count(), ds.user_count(), ds.subscription_count(), ds.event_count()), (1, 1, 1, 1));
    let snap = ds.snapshot(t("2024-03-01"))?;
    assert_eq!(snap.value("a", "mrr_minor")?, custfit::Value::Int(10_000));
    // Within one batch too.
    let mut twice = Dataset::new();
    twice.add_accounts(&[accounts[0].clone(), accounts[0].clone()], &opts)?;
    assert_eq!(twice.add_subscriptions(&[subs[0].clone(), subs[0].clone()], &opts)?.duplicates_dropped, 1);
    // Same id, other fields: an error, and nothing changes.
    let other = [Account::new("a", "Another name", t("2024-01-01"))];
    assert_eq!(ds.add_accounts(&other, &opts).expect_err("duplicate id").code(), "duplicate_id");
    // `keep` adds an identical subscription (a source that really repeats rows); `reject` refuses it.
    let keep = IngestOptions { duplicates: DuplicatePolicy::Keep, ..opts.clone() };
    assert_eq!(ds.add_subscriptions(&subs, &keep)?.accepted, 1);
    let reject = IngestOptions { duplicates: DuplicatePolicy::Reject, ..opts };
    assert_eq!(ds.add_subscriptions(&subs, &reject).expect_err("rejected").code(), "invalid_subscription");
    assert_eq!(ds.subscription_count(), 2);
    Ok(())
}

/// Files and tables say what they mean or are refused: a repeated or mistyped CSV column, a
/// table with two `account_id` columns (the first used to win silently), and a JSON Lines file
/// with a byte-order mark (refused before, while CSV accepted one) reads like CSV.
#[test]
fn ambiguous_columns_are_refused() {
    use custfit::io::csv::{read_accounts, read_events};
    let dup = "id,name,created_at,name\na,A,2024-01-01,B\n";
    assert_eq!(read_accounts(dup.as_bytes()).expect_err("repeated").code(), "parse_error");
    let typo = "id,created_at,employees:huge\na,2024-01-01,12\n";
    let e = read_accounts(typo.as_bytes()).expect_err("unknown type");
    assert!(e.to_string().contains("huge"), "{e}");
    let same_name_typed = "account_id,timestamp,name,n:number,n\na,2024-01-01,login,1,2\n";
    assert_eq!(read_events(same_name_typed.as_bytes()).expect_err("twice").code(), "parse_error");
    assert_eq!(read_accounts("id,created_at,plan:string\na,2024-01-01,pro\n".as_bytes()).expect("typed").len(), 1);

    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMillisecondArray};
    use std::sync::Arc;
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
    let other: ArrayRef = Arc::new(StringArray::from(vec!["b"]));
    let ts: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![1_704_067_200_000]));
    let names: ArrayRef = Arc::new(StringArray::from(vec!["login"]));
    let batch = RecordBatch::try_from_iter([("account_id", ids), ("timestamp", ts), ("name", names), ("account_id", other)])
        .expect("batch");
    let mut ds = Dataset::new();
    ds.add_accounts(&[Account::new("a", "A", t("2024-01-01"))], &IngestOptions::default()).expect("account");
    let e = ds.add_events_arrow(&[batch], &IngestOptions::default()).expect_err("two account_id columns");
    assert!(e.to_string().contains("two columns named `account_id`"), "{e}");
}

/// A saved cluster model is checked when read: an edited one (a zero standard deviation, a
/// centroid of the wrong length, a NaN) is a `parse_error`, not different clusters.
#[test]
fn tampered_cluster_models_are_refused() {
    use custfit::document::Document;
    use custfit::segment::ClusterModel;
    let good = serde_json::json!({"version": 1, "metrics": ["mau", "mrr"], "means": [1.0, 2.0], "stds": [1.0, 3.0],
        "centroids": [[0.0, 0.0], [1.0, -1.0]]});
    ClusterModel::from_json_value(good.clone()).expect("a fitted model reads");
    for (field, value) in [
        ("stds", serde_json::json!([0.0, 3.0])),
        ("stds", serde_json::json!([1.0, -3.0])),
        ("centroids", serde_json::json!([[0.0]])),
        ("centroids", serde_json::json!([])),
        ("means", serde_json::json!([1.0])),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert_eq!(ClusterModel::from_json_value(bad).expect_err(field).code(), "parse_error", "{field}");
    }
}

/// Error texts speak JSON, not Rust: no serde enum names or `Some(..)` in what a user reads.
#[test]
fn error_texts_do_not_leak_rust_types() {
    use custfit::document::Document;
    let card = serde_json::json!({"measures": [{"name": "m", "metric": "mau", "scoring": "ramp"}]});
    let e = custfit::health::Scorecard::from_json_value(card).expect_err("scoring must be an object");
    assert!(e.to_string().contains("`type` key") && !e.to_string().contains("enum"), "{e}");
    let rows = vec![custfit::data::RowInput::Json(
        serde_json::json!({"id": "a", "created_at": "2024-01-01", "attributes": {"x": [1, 2]}}),
    )];
    let e = Dataset::new().add_json_rows(custfit::Entity::Account, rows, &IngestOptions::default()).expect_err("bad attribute");
    assert!(
        e.to_string().contains("expected a string, number, boolean or {\"date\"") && !e.to_string().contains("untagged"),
        "{e}"
    );
    let e = custfit::churn::learn_weights(
        &custfit::health::Scorecard::starter(),
        &[vec![Some(500.0); custfit::health::Scorecard::starter().measures.len()]],
        &[true],
        &custfit::churn::LogisticConfig::default(),
    )
    .expect_err("points out of range");
    assert!(e.to_string().contains("got 500") && !e.to_string().contains("Some("), "{e}");
}

#[test]
fn saved_churn_models_are_sealed_and_checked() -> custfit::Result<()> {
    use custfit::churn::{ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSet};
    let features = ChurnFeatures::new(&["a", "b"]);
    let x: Vec<f64> = (0..60).flat_map(|i| [f64::from(i % 7), f64::from((i * 13) % 11)]).collect();
    let y: Vec<bool> = (0..60).map(|i| i % 7 < 3).collect();
    let set = TrainingSet::from_matrix(features.metrics.clone(), x.clone(), y)?;
    let model = ChurnModel::fit(&set, &features, &ChurnModelConfig::new(ModelConfig::boosted_trees()))?;
    let text = model.to_json();
    let loaded = ChurnModel::from_json(&text)?;
    assert_eq!(loaded.library_version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert!(loaded.checksum.as_deref().is_some_and(|c| c.starts_with("fnv1a64:") && c.len() == 24));
    assert_eq!(loaded.predict(&x)?, model.predict(&x)?);
    // A change made through the Rust fields is sealed again on writing.
    let mut edited = loaded.clone();
    edited.training.churned -= 1;
    assert_eq!(ChurnModel::from_json(&edited.to_json())?.training.churned, edited.training.churned);
    // The same change made in the file is caught by the checksum, and without it by the checks.
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    doc["model"]["model"]["trees"][0]["feature"][0] = serde_json::json!(-2);
    let err = ChurnModel::from_json(&doc.to_string()).expect_err("tampered");
    assert!(err.to_string().contains("does not match the content"), "{err}");
    doc.as_object_mut().expect("object").remove("checksum");
    let err = ChurnModel::from_json(&doc.to_string()).expect_err("tampered");
    assert_eq!(err.code(), "parse_error");
    assert!(err.to_string().contains("feature -2 is neither a leaf"), "{err}");
    Ok(())
}

#[test]
fn row_errors_from_files_name_the_file_and_line() -> custfit::Result<()> {
    let dir = std::env::temp_dir().join(format!("custfit-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| -> custfit::Result<()> {
        std::fs::write(dir.join(name), text).expect("write");
        Ok(())
    };
    write("accounts.csv", "id,name,created_at\na,A,2024-01-01\nb,B,2024-01-01\n")?;
    // A quoted field spanning two lines: the bad row starts on line 5, not 4.
    write(
        "events.csv",
        "account_id,timestamp,name,note\na,2024-01-02,login,\"two\nlines\"\nb,2024-01-03,login,\nzzz,2024-01-04,login,\n",
    )?;
    let files = custfit::io::DataFiles::csv_dir(&dir);
    let err = Dataset::from_files(&files, &IngestOptions::default()).expect_err("unknown account");
    let events = dir.join("events.csv").display().to_string();
    assert_eq!(err.code(), "unknown_account");
    assert!(err.to_string().contains(&format!("event row 2 ({events} line 5)")), "{err}");
    // Lenient: the row set aside carries the same location.
    let lenient = IngestOptions { mode: custfit::IngestMode::Lenient, ..IngestOptions::default() };
    let (_, report) = Dataset::from_files(&files, &lenient)?;
    assert_eq!(report.events.rejected[0].location.as_deref(), Some(format!("{events} line 5").as_str()));
    // A bad cell found while reading: the reader's own name and line.
    write("events.csv", "account_id,timestamp,name\na,2024-01-02,login\na,yesterday,login\n")?;
    let err = Dataset::from_files(&files, &IngestOptions::default()).expect_err("bad timestamp");
    assert!(err.to_string().contains(&format!("({events} line 3)")), "{err}");
    let err = custfit::io::csv::read_events("account_id,timestamp,name\na,never,login\n".as_bytes()).expect_err("bad");
    assert!(err.to_string().contains("(events CSV line 2)"), "{err}");
    // Lenient: a row that cannot even be read is set aside like one that cannot be ingested,
    // numbered by its place in the file.
    write(
        "events.csv",
        "account_id,timestamp,name\na,2024-01-02,login\na,yesterday,login\nzzz,2024-01-03,login\nb,2024-01-04,login\n",
    )?;
    let (ds, report) = Dataset::from_files(&files, &lenient)?;
    assert_eq!((ds.event_count(), report.events.accepted), (2, 2));
    let set_aside: Vec<(usize, &str, Option<&str>)> =
        report.events.rejected.iter().map(|r| (r.row, r.code.as_str(), r.location.as_deref())).collect();
    let (line3, line4) = (format!("{events} line 3"), format!("{events} line 4"));
    assert_eq!(set_aside, vec![(1, "invalid_timestamp", Some(line3.as_str())), (2, "unknown_account", Some(line4.as_str()))]);
    // JSON Lines: blank lines are counted.
    write("events.jsonl", "{\"account_id\":\"a\",\"timestamp\":\"2024-01-02T00:00:00Z\",\"name\":\"x\"}\n\n{\"account_id\":\"q\",\"timestamp\":\"2024-01-02T00:00:00Z\",\"name\":\"x\"}\n")?;
    let files = custfit::io::DataFiles { events: Some(dir.join("events.jsonl")), ..custfit::io::DataFiles::csv_dir(&dir) };
    let err = Dataset::from_files(&files, &IngestOptions::default()).expect_err("unknown account");
    assert!(err.to_string().contains("events.jsonl line 3)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn integers_beyond_2_53_are_refused_not_rounded() {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
    use custfit::io::csv::{read_accounts, read_events};
    use std::sync::Arc;
    let big = "9223372036854775807";
    // JSON rows (the path Python dicts and JS objects take), events and accounts.
    let event: Result<custfit::Event, _> = serde_json::from_str(&format!(
        r#"{{"account_id":"a","timestamp":"2024-01-02","name":"x","properties":{{"order":{big}}}}}"#
    ));
    let err = event.expect_err("2^63-1").to_string();
    assert!(err.contains("beyond ±2^53") && err.contains("send it as a string"), "{err}");
    let exact: custfit::Event = serde_json::from_str(
        r#"{"account_id":"a","timestamp":"2024-01-02","name":"x","properties":{"order":9007199254740992,"f":1e300,"s":"9223372036854775807"}}"#,
    )
    .expect("2^53 is exact; floats and text pass");
    assert_eq!(exact.properties["order"], custfit::PropertyValue::Number(9_007_199_254_740_992.0));
    let account: Result<Account, _> =
        serde_json::from_str(r#"{"id":"a","created_at":"2024-01-01","attributes":{"crm_id":-9007199254740993}}"#);
    assert!(account.is_err());
    // CSV number columns.
    let e = read_accounts(format!("id,created_at,crm:number\na,2024-01-01,{big}\n").as_bytes()).expect_err("csv");
    assert_eq!(e.code(), "invalid_account");
    assert!(e.to_string().contains("attributes.crm"), "{e}");
    assert!(read_events("account_id,timestamp,name,n:number\na,2024-01-02,x,1.5e300\n".as_bytes()).is_ok());
    // Arrow integer columns.
    let col = |v: i64| -> ArrayRef { Arc::new(Int64Array::from(vec![v])) };
    let batch = |v: i64| {
        RecordBatch::try_from_iter([
            ("account_id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            ("timestamp", Arc::new(TimestampMillisecondArray::from(vec![1_704_153_600_000])) as ArrayRef),
            ("name", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
            ("order", col(v)),
        ])
        .expect("batch")
    };
    let mut ds = Dataset::new();
    ds.add_accounts(&[Account::new("a", "A", t("2024-01-01"))], &IngestOptions::default()).expect("account");
    let e = ds.add_events_arrow(&[batch(i64::MAX)], &IngestOptions::default()).expect_err("2^63-1");
    assert_eq!((e.code(), ds.event_count()), ("invalid_event", 0));
    assert!(e.to_string().contains("properties.order"), "{e}");
    ds.add_events_arrow(&[batch(1 << 53)], &IngestOptions::default()).expect("2^53 is exact");
}
