//! Property tests of the snapshot's invariants.

use custfit::{Account, Dataset, Event, IngestOptions, Role, Snapshot, Timestamp, User};
use proptest::prelude::*;

const DAY: i64 = 86_400_000;

fn t0() -> i64 {
    Timestamp::parse("2024-01-01").expect("t0").millis()
}

/// (account, user slot, ms offset from t0, event kind)
fn events_strategy() -> impl Strategy<Value = Vec<(usize, usize, i64, usize)>> {
    prop::collection::vec((0usize..4, 0usize..5, 0i64..(200 * DAY), 0usize..6), 0..300)
}

const NAMES: [&str; 6] = ["login", "feature_used", "page_view", "support_ticket", "touch", "custom_thing"];

fn build(events: &[(usize, usize, i64, usize)], deactivate: bool) -> Dataset {
    let o = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let mut ds = Dataset::new();
    let created = Timestamp::from_millis(t0() - DAY).expect("ts");
    let accounts: Vec<Account> = (0..4).map(|a| Account::new(format!("a{a}"), "", created).with_seats(3)).collect();
    ds.add_accounts(&accounts, &o).expect("accounts");
    let mut users = Vec::new();
    for a in 0..4 {
        for u in 0..5 {
            let mut user =
                User::new(format!("a{a}u{u}"), format!("a{a}"), if u == 0 { Role::Champion } else { Role::Member }, created);
            if deactivate && u == 4 {
                user.deactivated_at = Some(Timestamp::from_millis(t0() + 100 * DAY).expect("ts"));
            }
            users.push(user);
        }
    }
    ds.add_users(&users, &o).expect("users");
    ds.add_events(&to_events(events), &o).expect("events");
    ds
}

fn to_events(events: &[(usize, usize, i64, usize)]) -> Vec<Event> {
    events
        .iter()
        .map(|&(a, u, off, k)| {
            let e = Event::new(
                format!("a{a}"),
                Some(&format!("a{a}u{u}")),
                Timestamp::from_millis(t0() + off).expect("ts"),
                NAMES[k],
            );
            if k == 1 {
                e.with_property("feature", ["x", "y", "z"][u % 3])
            } else {
                e
            }
        })
        .collect()
}

fn col(s: &Snapshot, name: &str) -> Vec<f64> {
    let c = s.column(name).expect("column");
    (0..s.len()).map(|i| c.f64_at(i).unwrap_or(-1.0)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn windows_nest(events in events_strategy(), at in 0i64..220) {
        let ds = build(&events, true);
        let snap = ds.snapshot(Timestamp::from_millis(t0() + at * DAY).expect("ts")).expect("snapshot");
        let users_created = 5.0;
        for pair in [("active_days_7d", "active_days_30d"), ("active_days_30d", "active_days_90d"), ("logins_7d", "logins_30d"),
                     ("events_7d", "events_30d"), ("dau", "wau"), ("wau", "mau")] {
            let (a, b) = (col(&snap, pair.0), col(&snap, pair.1));
            for i in 0..snap.len() {
                prop_assert!(a[i] <= b[i], "{} > {} at row {}", pair.0, pair.1, i);
            }
        }
        let mau = col(&snap, "mau");
        for m in mau {
            prop_assert!(m <= users_created);
        }
    }

    #[test]
    fn mau_at_most_current_users_without_deactivation(events in events_strategy(), at in 0i64..220) {
        let ds = build(&events, false);
        let snap = ds.snapshot(Timestamp::from_millis(t0() + at * DAY).expect("ts")).expect("snapshot");
        let (mau, users) = (col(&snap, "mau"), col(&snap, "users"));
        for i in 0..snap.len() {
            prop_assert!(mau[i] <= users[i]);
        }
    }

    #[test]
    fn no_look_ahead(events in events_strategy(), later in events_strategy(), at in 0i64..200) {
        let as_of = Timestamp::from_millis(t0() + at * DAY).expect("ts");
        let known: Vec<_> = events.iter().copied().filter(|e| t0() + e.2 <= as_of.millis()).collect();
        let base = build(&known, true).snapshot(as_of).expect("snap");
        let mut more = known.clone();
        more.extend(later.iter().map(|&(a, u, off, k)| (a, u, at * DAY + 1 + off, k)));
        let with_future = build(&more, true).snapshot(as_of).expect("snap");
        prop_assert_eq!(base, with_future);
    }

    #[test]
    fn ingest_order_and_batching_do_not_matter(events in events_strategy(), seed in any::<u64>(), at in 0i64..220) {
        let as_of = Timestamp::from_millis(t0() + at * DAY).expect("ts");
        let a = build(&events, true).snapshot(as_of).expect("snap");
        let mut shuffled = events.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let half = shuffled.len() / 2;
        let mut ds = build(&shuffled[..half], true);
        let o = IngestOptions { allow_future: true, ..IngestOptions::default() };
        ds.add_events(&to_events(&shuffled[half..]), &o).expect("append");
        let b = ds.snapshot(as_of).expect("snap");
        prop_assert_eq!(a, b);
    }

    #[test]
    fn csv_round_trip(events in events_strategy()) {
        let ds = build(&events, true);
        let mut buf = Vec::new();
        custfit::io::csv::write_events(&mut buf, &ds.events()).expect("write");
        let back = custfit::io::csv::read_events(buf.as_slice()).expect("read");
        prop_assert_eq!(back, ds.events());
    }
}

/// The order rows are added in never changes a snapshot: the same simulated base, with ties
/// planted (several survey responses at one instant, equal subscriptions in force), built from
/// shuffled users, subscriptions and events gives the same snapshot JSON.
#[test]
fn snapshots_do_not_depend_on_row_order() {
    use custfit::sim::Rng;
    use custfit::{Money, PropertyValue, Simulation, SimulationConfig, Subscription, SubscriptionStatus};
    let sim =
        Simulation::generate(&SimulationConfig::default().with_accounts(30).with_days(60).with_seed(9).with_activity_scale(0.3))
            .expect("sim");
    let ds = &sim.dataset;
    let o = IngestOptions { allow_future: true, ..IngestOptions::default() };
    let mut users = ds.users();
    let mut subs = ds.subscriptions();
    let mut events = ds.events();
    let at = sim.end.add_days(-3);
    for (k, score) in [9.0, 3.0, 7.0].into_iter().enumerate() {
        let mut e = Event::new(ds.accounts()[0].id.clone(), None, at, "survey_response");
        e.properties.insert("score".into(), PropertyValue::Number(score));
        e.properties.insert("k".into(), PropertyValue::Number(k as f64));
        events.push(e);
    }
    for plan in ["zeta", "alpha"] {
        subs.push(Subscription {
            account_id: ds.accounts()[1].id.clone(),
            plan: plan.into(),
            start: sim.start,
            end: None,
            mrr: Money::new(1_000_000_000, ds.currency().unwrap_or("USD")),
            quantity: 1,
            status: SubscriptionStatus::Active,
        });
    }
    let build = |users: &[User], subs: &[Subscription], events: &[Event]| {
        let mut out = Dataset::new();
        out.add_accounts(ds.accounts(), &o).expect("accounts");
        out.add_users(users, &o).expect("users");
        out.add_subscriptions(subs, &o).expect("subscriptions");
        out.add_events(events, &o).expect("events");
        out.snapshot(sim.end).expect("snapshot").to_json_value()
    };
    let reference = build(&users, &subs, &events);
    let snap = Snapshot::from_json_value(&reference).expect("snapshot");
    assert_eq!(snap.value(&ds.accounts()[0].id, "last_survey_score").expect("cell"), custfit::Value::Float(3.0));
    assert_eq!(snap.value(&ds.accounts()[1].id, "current_plan").expect("cell"), custfit::Value::Str("alpha".into()));
    let mut rng = Rng::new(5, 0);
    fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
        for i in (1..v.len()).rev() {
            v.swap(i, rng.below(i as u64 + 1) as usize);
        }
    }
    for _ in 0..8 {
        shuffle(&mut users, &mut rng);
        shuffle(&mut subs, &mut rng);
        shuffle(&mut events, &mut rng);
        assert_eq!(build(&users, &subs, &events), reference);
    }
}
