//! Revenue: MRR movements worked by hand, reconciliation and the retention inequalities.

use custfit::document::Document;
use custfit::revenue::{mrr_movements, Movement, MovementsConfig};
use custfit::{Account, Dataset, IngestOptions, Money, Subscription, SubscriptionStatus, Timestamp, ToColumns};
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("date")
}

fn sub(account: &str, start: &str, end: Option<&str>, minor: i64, status: SubscriptionStatus) -> Subscription {
    Subscription {
        account_id: account.into(),
        plan: "p".into(),
        start: t(start),
        end: end.map(t),
        mrr: Money::new(minor, "USD"),
        quantity: 1,
        status,
    }
}

/// Five accounts over January to mid-April 2024 (see each line).
fn base() -> Dataset {
    use SubscriptionStatus::Active;
    let mut ds = Dataset::new();
    let opts = IngestOptions::default().with_now(t("2024-04-15"));
    let ids = ["a", "b", "c", "d", "e"];
    ds.add_accounts(&ids.map(|id| Account::new(id, id, t("2023-12-01"))), &opts).expect("accounts");
    ds.add_subscriptions(
        &[
            // a: new in January (100), expands to 150 in March.
            sub("a", "2024-01-10", Some("2024-03-01"), 10_000, Active),
            sub("a", "2024-03-01", None, 15_000, Active),
            // b: new in January (200); its gap from Feb 20 to Mar 10 is within the 30 days'
            // tolerance: no churn, its 200 carried over the end of February.
            sub("b", "2024-01-15", Some("2024-02-20"), 20_000, Active),
            sub("b", "2024-03-10", None, 20_000, Active),
            // c: new in January (50), churns in February (ends Feb 1, nothing within 30 days),
            // reactivated in April (80).
            sub("c", "2024-01-01", Some("2024-02-01"), 5_000, Active),
            sub("c", "2024-04-01", None, 8_000, Active),
            // d: a trial (not revenue), then new in February (300), contracts to 250 in March.
            sub("d", "2024-01-20", Some("2024-02-05"), 0, SubscriptionStatus::Trial),
            sub("d", "2024-02-05", Some("2024-03-15"), 30_000, Active),
            sub("d", "2024-03-15", None, 25_000, Active),
            // e: new in February (40); ended Apr 10, 5 days before as_of: not yet known to be
            // churn, so still counted.
            sub("e", "2024-02-01", Some("2024-04-10"), 4_000, Active),
        ],
        &opts,
    )
    .expect("subscriptions");
    ds
}

#[test]
fn movements_worked_by_hand() -> custfit::Result<()> {
    let ds = base();
    let m = mrr_movements(&ds, t("2024-04-15"), &MovementsConfig::default())?;
    let starts: Vec<String> = m.periods.iter().map(|p| p.start.date_string()).collect();
    assert_eq!(starts, ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]);
    let row = |k: usize| {
        let p = &m.periods[k];
        [p.opening_mrr, p.new_mrr, p.reactivation_mrr, p.expansion_mrr, p.contraction_mrr, p.churned_mrr, p.closing_mrr]
    };
    assert_eq!(row(0), [0, 35_000, 0, 0, 0, 0, 35_000]);
    assert_eq!(row(1), [35_000, 34_000, 0, 0, 0, 5_000, 64_000]);
    assert_eq!(row(2), [64_000, 0, 0, 5_000, 5_000, 0, 64_000]);
    assert_eq!(row(3), [64_000, 0, 8_000, 0, 0, 0, 72_000]);
    assert_eq!(m.periods.iter().map(|p| p.complete).collect::<Vec<_>>(), [true, true, true, false]);
    let feb = &m.periods[1];
    assert_eq!((feb.opening_accounts, feb.new_accounts, feb.churned_accounts, feb.closing_accounts), (3, 2, 1, 4));
    assert!((feb.gross_retention.expect("grr") - 30_000.0 / 35_000.0).abs() < 1e-15);
    assert!((feb.logo_churn_rate.expect("logo") - 1.0 / 3.0).abs() < 1e-15);
    let mar = &m.periods[2];
    assert!((mar.gross_retention.expect("grr") - 59_000.0 / 64_000.0).abs() < 1e-15);
    assert_eq!(mar.net_retention, Some(1.0));
    assert_eq!(m.periods[3].arpa, Some(72_000.0 / 5.0));
    assert_eq!(m.periods[0].gross_retention, None);
    // Each account's movement in April, and its MRR now.
    assert_eq!(m.movements, [Movement::Flat, Movement::Flat, Movement::Reactivation, Movement::Flat, Movement::Flat]);
    assert_eq!(m.mrr, [15_000, 20_000, 8_000, 25_000, 4_000]);
    assert_eq!((m.currency.as_deref(), m.exponent), (Some("USD"), 2));
    // Once e's tolerance has run out (May 11), it churned at Apr 10: April loses its 40.
    let later = mrr_movements(&ds, t("2024-05-20"), &MovementsConfig::default())?;
    assert_eq!(later.periods[3].churned_mrr, 4_000);
    assert_eq!(later.periods[3].closing_mrr, 68_000);
    // Trailing two months, at the end of March: the accounts paying at the end of January (a
    // 100, b 200, c 50) pay 150, 200 and 0: net 350/350, gross (100 + 200)/350.
    let two = MovementsConfig::from_json_value(serde_json::json!({"version": 1, "trailing": {"amount": 2, "unit": "months"}}))?;
    let m2 = mrr_movements(&ds, t("2024-04-15"), &two)?;
    assert_eq!(m2.periods[2].trailing_net_retention, Some(1.0));
    assert!((m2.periods[2].trailing_gross_retention.expect("trailing") - 30_000.0 / 35_000.0).abs() < 1e-15);
    // As columns.
    let frame = ds.snapshot(t("2024-04-15"))?.with_columns(m.account_columns("revenue"))?;
    assert!(frame.has_column("revenue_movement") && frame.has_column("revenue_mrr_change"));
    Ok(())
}

#[test]
fn bad_configs_are_refused() {
    let ds = base();
    let cfg = |v: serde_json::Value| MovementsConfig::from_json_value(v);
    assert_eq!(cfg(serde_json::json!({"version": 2})).expect_err("version").code(), "unsupported_version");
    assert_eq!(cfg(serde_json::json!({"version": 1, "period": "year"})).expect_err("period").code(), "parse_error");
    let e = cfg(serde_json::json!({"version": 1, "trailing": {"amount": 0, "unit": "days"}})).expect_err("trailing");
    assert!(e.to_string().contains("trailing"), "{e}");
    let c = MovementsConfig { from: Some(t("2025-01-01")), ..MovementsConfig::default() };
    assert_eq!(mrr_movements(&ds, t("2024-04-15"), &c).expect_err("from").code(), "invalid_config");
    let c =
        MovementsConfig { period: custfit::lifecycle::Period::Day, from: Some(t("1990-01-01")), ..MovementsConfig::default() };
    let e = mrr_movements(&ds, t("2024-04-15"), &c).expect_err("too many periods");
    assert!(e.to_string().contains("10000"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any contracts: every period reconciles exactly, closing is the next opening, gross
    /// retention is at most 100 % and at most net retention, logo churn at most 100 %.
    #[test]
    fn movements_reconcile(rows in prop::collection::vec((0usize..6, 0i64..400, prop::option::of(1i64..200), 0i64..50_000, any::<bool>()), 0..30),
                           weekly in any::<bool>(), tolerance in 0u32..40) {
        let mut ds = Dataset::new();
        let opts = IngestOptions { duplicates: custfit::DuplicatePolicy::Keep, ..IngestOptions::default().with_now(t("2025-06-01")) };
        ds.add_accounts(&(0..6).map(|i| Account::new(format!("a{i}"), "A", t("2023-01-01"))).collect::<Vec<_>>(), &opts).expect("accounts");
        let day0 = t("2024-01-01");
        let subs: Vec<Subscription> = rows.iter().map(|&(a, start, len, minor, trial)| Subscription {
            account_id: format!("a{a}"),
            plan: "p".into(),
            start: day0.add_days(start),
            end: len.map(|l| day0.add_days(start + l)),
            mrr: Money::new(minor, "USD"),
            quantity: 1,
            status: if trial { SubscriptionStatus::Trial } else { SubscriptionStatus::Active },
        }).collect();
        ds.add_subscriptions(&subs, &opts).expect("subscriptions");
        let config = MovementsConfig {
            period: if weekly { custfit::lifecycle::Period::Week } else { custfit::lifecycle::Period::Month },
            churn: custfit::outcome::SubscriptionChurn { gap_tolerance: custfit::Window::days(tolerance) },
            ..MovementsConfig::default()
        };
        let m = mrr_movements(&ds, t("2025-03-15"), &config).expect("movements");
        for (k, p) in m.periods.iter().enumerate() {
            prop_assert_eq!(p.opening_mrr + p.new_mrr + p.reactivation_mrr + p.expansion_mrr - p.contraction_mrr - p.churned_mrr, p.closing_mrr);
            prop_assert_eq!(p.opening_accounts + p.new_accounts + p.reactivated_accounts - p.churned_accounts, p.closing_accounts);
            if let Some(next) = m.periods.get(k + 1) {
                prop_assert_eq!(p.closing_mrr, next.opening_mrr);
            }
            if let (Some(g), Some(n)) = (p.gross_retention, p.net_retention) {
                prop_assert!(g <= 1.0 + 1e-12 && g <= n + 1e-12 && g >= 0.0);
            }
            prop_assert!(p.logo_churn_rate.is_none_or(|r| (0.0..=1.0).contains(&r)));
            if let (Some(g), Some(n)) = (p.trailing_gross_retention, p.trailing_net_retention) {
                prop_assert!(g <= 1.0 + 1e-12 && g <= n + 1e-12);
            }
        }
        let last = m.periods.last().expect("a period");
        prop_assert_eq!(m.mrr.iter().sum::<i64>(), last.closing_mrr);
    }
}
