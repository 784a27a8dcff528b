//! Segmentation (golden cases in `cases`): partition properties and the Pareto shape
//! of the simulated customer base.

use custfit::segment::{CapacityConfig, ClusterConfig, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation, TierCuts};
use custfit::{Column, ColumnData, Simulation, SimulationConfig, Snapshot, Timestamp};
use proptest::prelude::*;
use serde_json::Value as Json;

#[test]
fn configs_round_trip_through_json() {
    let rules = RuleSegmentation::default().with_segment("a", "mrr > 1").with_default_segment("b");
    let pareto = ParetoConfig::by_revenue_share(vec![0.45, 0.75]);
    let text = serde_json::to_string(&rules).expect("json");
    assert_eq!(serde_json::from_str::<RuleSegmentation>(&text).expect("parse"), rules);
    let text = serde_json::to_string(&pareto).expect("json");
    assert!(text.contains(r#""type":"revenue_share""#), "{text}");
    assert_eq!(serde_json::from_str::<ParetoConfig>(&text).expect("parse"), pareto);
    for text in [serde_json::to_string(&ClusterConfig::default()), serde_json::to_string(&CapacityConfig::default())] {
        let text = text.expect("json");
        let v: Json = serde_json::from_str(&text).expect("parse");
        assert_eq!(v["version"], 1);
    }
    assert!(serde_json::from_str::<ParetoConfig>(r#"{"version":1,"metrc":"mrr"}"#).is_err(), "unknown fields are rejected");
}

/// SPEC §6: on the simulator's default 2,000-account base, the top ~10% of customers carry
/// ~45% of revenue and the top ~30% about 75%.
#[test]
fn simulated_base_has_the_pareto_shape() {
    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(2000).with_days(60).with_activity_scale(0.05))
        .expect("simulation");
    let snapshot = sim.dataset.snapshot(sim.end).expect("snapshot");
    let tiers = ParetoConfig::default().apply(&snapshot).expect("tiers");
    let top = tiers.tiers[0].cumulative_revenue_share;
    let top30 = tiers.tiers[1].cumulative_revenue_share;
    eprintln!("top 10%: {top:.3} of revenue; top 30%: {top30:.3}");
    assert!((0.35..=0.60).contains(&top), "top 10% carry {top}");
    assert!((0.65..=0.88).contains(&top30), "top 30% carry {top30}");
    // And the everyday path: tiers as a column, then rules over it, RFM, clusters, capacity.
    let mut snapshot = snapshot;
    snapshot.add_column(tiers.to_column("tier")).expect("tier column");
    let plan = CapacityConfig::default().plan(&snapshot).expect("capacity plan");
    assert_eq!(plan.books.iter().map(|b| b.accounts).sum::<usize>() + plan.unassigned.len(), snapshot.len());
    let rfm = RfmConfig::default().apply(&snapshot).expect("rfm");
    assert_eq!(rfm.counts.iter().map(|c| c.count).sum::<usize>(), snapshot.len());
    // Recency ties (many accounts active on the last day) share the best score: champions exist.
    let count = |name: &str| rfm.counts.iter().find(|c| c.name == name).map_or(0, |c| c.count);
    assert!(rfm.recency.contains(&5), "nobody scores recency 5");
    assert!(count("champions") > 0, "{:?}", rfm.counts);
    let clusters = ClusterConfig::default().with_seed(1).fit(&snapshot).expect("clusters");
    assert!(clusters.k >= 2);
}

fn mrr_snapshot(values: &[Option<f64>]) -> Snapshot {
    Snapshot::from_columns(
        Timestamp::from_ymd(2024, 1, 1).expect("ts"),
        (0..values.len()).map(|i| format!("acct{i:04}")).collect(),
        vec![Column::new("mrr", ColumnData::Float(values.to_vec()))],
    )
    .expect("snapshot")
}

fn marks() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::btree_set(1u32..1000, 1..4).prop_map(|s| s.into_iter().map(|m| f64::from(m) / 1000.0).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Tiers partition the base exactly: every account in one tier, counts and revenue add up,
    /// and tiers are ordered (every account of a better tier earns at least as much).
    #[test]
    fn tiers_partition_the_base(
        values in proptest::collection::vec(proptest::option::weighted(0.9, 0.0f64..100_000.0), 1..300),
        marks in marks(),
        by_revenue in any::<bool>(),
    ) {
        let snapshot = mrr_snapshot(&values);
        let cuts = if by_revenue { TierCuts::RevenueShare { marks } } else { TierCuts::CustomerShare { marks } };
        let config = ParetoConfig { cuts, ..ParetoConfig::default() };
        let tiers = match config.apply(&snapshot) {
            Ok(t) => t,
            Err(e) => { prop_assert_eq!(e.code(), "insufficient_data"); return Ok(()); }
        };
        prop_assert_eq!(tiers.assignment.len(), values.len());
        prop_assert_eq!(tiers.tiers.iter().map(|t| t.count).sum::<usize>(), values.len());
        for (t, s) in tiers.tiers.iter().enumerate() {
            prop_assert_eq!(tiers.assignment.iter().filter(|a| **a == t).count(), s.count);
        }
        let total: f64 = values.iter().flatten().sum();
        let sum: f64 = tiers.tiers.iter().map(|t| t.revenue).sum();
        prop_assert!((sum - total).abs() <= 1e-6 * total.max(1.0));
        let v = |i: usize| values[i].unwrap_or(0.0);
        for i in 0..values.len() {
            for j in 0..values.len() {
                if tiers.assignment[i] < tiers.assignment[j] {
                    prop_assert!(v(i) >= v(j));
                }
            }
        }
    }

    /// Quantile buckets and RFM scores stay in range; rule segments in first-match mode give each
    /// row at most one segment.
    #[test]
    fn buckets_and_rules_are_well_formed(
        values in proptest::collection::vec(proptest::option::weighted(0.8, -50.0f64..50.0), 1..120),
        k in 2usize..12,
    ) {
        let snapshot = mrr_snapshot(&values);
        let q = QuantileConfig::new("mrr", k).apply(&snapshot).expect("buckets");
        for (b, v) in q.bucket.iter().zip(&values) {
            prop_assert_eq!(b.is_some(), v.is_some());
            prop_assert!(b.is_none_or(|b| (1..=k).contains(&b)));
        }
        let rules = RuleSegmentation::default().with_segment("neg", "mrr < 0").with_segment("small", "mrr < 10").with_default_segment("rest");
        let a = rules.apply(&snapshot).expect("rules");
        for r in 0..values.len() {
            prop_assert!(a.membership.iter().filter(|m| m[r]).count() <= 1);
        }
        prop_assert_eq!(a.counts.iter().map(|c| c.count).sum::<usize>(), values.len());
    }
}

#[test]
fn guide_segment_rust() -> custfit::Result<()> {
    // ANCHOR: segment_rust
    use custfit::segment::{CapacityConfig, ClusterConfig, ParetoConfig, RfmConfig, RuleSegmentation, SegmentMode};

    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(300).with_days(60).with_activity_scale(0.1))?;
    let mut snapshot = sim.dataset.snapshot(sim.end)?;

    // Pareto tiers, then staff them.
    let tiers = ParetoConfig::by_customer_share(vec![0.1, 0.3]).apply(&snapshot)?;
    snapshot.add_column(tiers.to_column("tier"))?;
    let plan = CapacityConfig::default().plan(&snapshot)?; // reads `tier` and `arr`
    println!("{} CSMs; tier 1 floor {:?}", plan.total_csms, tiers.tiers[0].mrr_floor);

    // Rule segments over metrics, attributes and the new column.
    let rules = RuleSegmentation::default()
        .with_mode(SegmentMode::MultiLabel)
        .with_segment("high_touch_quiet", r#"tier == "tier_1" && days_since_last_activity > 14"#)
        .with_segment("no_logins", "logins_30d == 0");
    for column in rules.apply(&snapshot)?.to_columns("segment") {
        snapshot.add_column(column)?;
    }

    // RFM and behavioural clusters.
    let rfm = RfmConfig::default().apply(&snapshot)?;
    let clusters =
        ClusterConfig::new(vec!["logins_30d".into(), "events_30d".into(), "mrr".into()]).with_seed(1).fit(&snapshot)?;
    // ANCHOR_END: segment_rust
    assert_eq!(rfm.segment.len(), snapshot.len());
    assert!(clusters.k >= 2);
    Ok(())
}
