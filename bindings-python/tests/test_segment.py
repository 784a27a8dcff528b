"""Segmentation from Python (the golden cases of tests/cases/segment run in test_cases.py)."""

from __future__ import annotations

import custfit
import pytest


# ANCHOR: segment_python
def test_guide_segment():
    sim = custfit.simulate(accounts=300, days=60, seed=3, activity_scale=0.1)
    snap = sim.dataset.snapshot(sim.end)

    tiers = custfit.pareto_tiers(snap, {"cuts": {"type": "customer_share", "marks": [0.1, 0.3]}})
    assert sum(t["count"] for t in tiers["tiers"]) == len(snap)
    labels = [tiers["tiers"][i]["name"] for i in tiers["assignment"]]

    plan = custfit.capacity_plan(
        snap,
        {"account_hours_per_year": {"tier_1": 60, "tier_2": 15, "tier_3": 0}, "csm_hours_per_year": 1500},
        tiers=labels,
    )
    assert plan["total_csms"] == sum(t["csms"] for t in plan["tiers"])

    rules = custfit.segment_rules(
        snap,
        {
            "segments": [
                {"name": "quiet_big", "condition": "mrr >= 1000 && days_since_last_activity > 14"},
                {"name": "quiet", "condition": "logins_30d == 0"},
            ],
            "default_segment": "other",
        },
    )
    assert len(rules["label"]) == len(snap)

    rfm = custfit.rfm_scores(snap)  # recency, frequency, monetary = days_since_last_activity, events_30d, mrr
    assert set(rfm["segment"]) <= {c["name"] for c in rfm["counts"]}

    clusters = custfit.fit_clusters(snap, {"metrics": ["logins_30d", "events_30d", "mrr"], "seed": 1})
    assert custfit.assign_clusters(snap, clusters["model"]) == clusters["labels"]


# ANCHOR_END: segment_python


def test_bad_config_is_rejected():
    snap = custfit.snapshot_from_json({"as_of": "2024-01-01", "columns": {"account_id": ["a"]}})
    with pytest.raises(custfit.CustfitError) as info:
        custfit.pareto_tiers(snap, {"metrc": "mrr"})
    assert info.value.code == "parse_error"
