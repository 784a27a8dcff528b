"""The Python page of the user guide (docs/src/python.md) includes the snippets between the
ANCHOR markers below, so every example in the guide runs here."""

from __future__ import annotations

import doctest
from datetime import timedelta
from pathlib import Path

import pytest


def test_quick_start():
    # ANCHOR: quickstart
    import custfit

    sim = custfit.simulate(accounts=200, days=120, seed=7)
    ds = sim.dataset
    snap = ds.snapshot(sim.end)  # one row per account, one column per metric
    assert len(snap) == ds.account_count

    df = snap.to_polars()  # or snap.to_arrow() / snap.to_pandas(); all through Arrow
    at_risk = df.filter(df["mau"] == 0).select("account_id", "mrr", "days_since_last_activity")
    # ANCHOR_END: quickstart
    assert at_risk.columns == ["account_id", "mrr", "days_since_last_activity"]


def test_ingest():
    # ANCHOR: ingest
    import custfit
    import pyarrow as pa

    ds = custfit.Dataset()
    options = {"now": "2024-03-10T00:00:00Z"}
    ds.add_accounts(
        [{"id": "acme", "name": "Acme", "created_at": "2024-01-01", "seats": 20, "attributes": {"region": "EMEA"}}],
        options,
    )
    ds.add_users([{"id": "ann", "account_id": "acme", "role": "champion", "created_at": "2024-01-02"}], options)
    ds.add_subscriptions(
        [{"account_id": "acme", "plan": "growth", "start": "2024-01-01", "mrr": {"minor": 250_00, "currency": "USD"}}],
        options,
    )
    # Events from any Arrow table (pyarrow, polars, pandas, DuckDB, ...): read in place.
    # Columns other than account_id, user_id, timestamp and name are properties.
    events = pa.table(
        {
            "account_id": ["acme", "acme"],
            "user_id": ["ann", "ann"],
            "timestamp": ["2024-02-28T09:00:00Z", "2024-02-28T09:05:00Z"],
            "name": ["login", "feature_used"],
            "feature": [None, "reports"],
        }
    )
    report = ds.add_events(events, options)
    assert report == {"accepted": 2, "rejected": [], "duplicates_dropped": 0}
    # ANCHOR_END: ingest

    # ANCHOR: errors
    try:
        ds.add_events([{"account_id": "globex", "timestamp": "2024-02-28", "name": "login"}], options)
    except custfit.InvalidInputError as err:  # also a ValueError; every error is a CustfitError
        assert (err.code, err.row, err.field) == ("unknown_account", 0, "account_id")
    assert ds.event_count == 2  # all or nothing: the dataset is unchanged

    report = ds.add_events(
        [
            {"account_id": "acme", "timestamp": "2024-02-29", "name": "login"},
            {"account_id": "globex", "timestamp": "2024-02-29", "name": "login"},
        ],
        {**options, "mode": "lenient"},
    )
    assert report["accepted"] == 1
    assert report["rejected"][0]["code"] == "unknown_account"
    # ANCHOR_END: errors

    # ANCHOR: snapshot
    config = {
        "metrics": [
            {
                "type": "count",
                "name": "reports_30d",
                "event": "feature_used",
                "filter": {"property": "feature", "in": ["reports"]},
                "window": {"amount": 30, "unit": "days"},
            },
            {"type": "ratio", "name": "reports_per_login", "numerator": "reports_30d", "denominator": "logins_30d"},
        ]
    }
    snap = ds.snapshot("2024-03-01", config)  # datetime, date, str or int ms
    assert snap.value("acme", "reports_per_login") == 0.5
    assert snap.value("acme", "mrr") == 250.0
    table = snap.to_arrow()  # pyarrow.Table, zero copy; polars.DataFrame(snap) works too
    # ANCHOR_END: snapshot
    assert table.num_rows == 1


def test_files(tmp_path: Path):
    import custfit

    ds = custfit.simulate(accounts=20, days=30, seed=1).dataset
    # ANCHOR: files
    ds.write_csv(tmp_path)  # accounts.csv, users.csv, subscriptions.csv, events.csv
    loaded, report = custfit.Dataset.from_files(
        accounts=tmp_path / "accounts.csv",
        users=tmp_path / "users.csv",
        subscriptions=tmp_path / "subscriptions.csv",
        events=tmp_path / "events.csv",
        options={"allow_future": True},
    )
    assert report["events"]["accepted"] == ds.event_count
    # ANCHOR_END: files
    assert loaded.event_count == ds.event_count


def test_package_docstring_runs():
    import custfit

    assert doctest.testmod(custfit).failed == 0
    assert custfit._native.__doc__


def test_health():
    # ANCHOR: health_score
    import custfit

    sim = custfit.simulate(accounts=80, days=200, seed=4, activity_scale=0.3)
    # The metric snapshot plus the edge-case flag columns (flag_extraction_burst, ...).
    snap = custfit.health_snapshot(sim.dataset, sim.end)
    scores = custfit.Scorecard.starter().score(snap)
    row = scores.row(0)  # account_id, score, band, color, scorecard, measures, override
    for m in row["measures"]:  # contributions sum to the score
        print(f"{m['name']:24} value {m['value']} points {m['points']} contributes {m['contribution']:.2f}")
    df = scores.to_snapshot().to_polars()  # health_score, health_band, points:<measure>, contribution:<measure>
    # ANCHOR_END: health_score
    assert abs(sum(m["contribution"] for m in row["measures"]) - row["score"]) < 1e-6
    assert df.height == len(snap)

    # ANCHOR: health_config
    card = custfit.Scorecard(
        {
            "name": "smb",
            "measures": [
                {"name": "active", "metric": "active_days_30d", "scoring": {"type": "ramp", "low": 2, "high": 20}},
                {
                    "name": "tickets",
                    "metric": "high_severity_tickets_60d",
                    "direction": "lower_is_better",
                    "missing": {"type": "default", "points": 50},
                    "scoring": {"type": "tiers", "tiers": [{"max": 1, "points": 100}, {"min": 1, "points": 0}]},
                },
            ],
            "penalties": [{"column": "flag_extraction_burst", "points": 20}],
        }
    )
    assert custfit.Scorecard(card.to_json()) == card  # the same file works in Rust and Node
    bad = {"measures": [{"name": "a", "metric": "mau", "weight": -1, "scoring": {"type": "ramp", "low": 0, "high": 1}}]}
    try:
        custfit.Scorecard(bad)
    except custfit.InvalidInputError as err:  # also a ValueError
        assert (err.code, err.field) == ("invalid_config", "measures[0].weight")
    # ANCHOR_END: health_config
    with pytest.raises(custfit.InvalidInputError):
        custfit.Scorecard(bad)

    # ANCHOR: health_why
    earlier = card.score(custfit.health_snapshot(sim.dataset, sim.end - timedelta(days=30)))
    for change in card.score(snap).changes_since(earlier)[:3]:
        print(f"{change['account_id']}: {change['before']:.1f} -> {change['after']:.1f}")
        for m in change["by_measure"]:  # the deltas sum to after - before
            print(f"  {m['name']:24} {m['delta']:+.2f}")
    # ANCHOR_END: health_why

    # ANCHOR: health_flags
    for f in custfit.detect_flags(sim.dataset, sim.end)[:5]:
        if f["fired"]:
            print(f["account_id"], f["fired"], f["extraction_burst"]["robust_z"], f["confusion"]["events_per_user_day"])
    # ANCHOR_END: health_flags

    # ANCHOR: health_backtest
    dates = custfit.backtest_grid(sim.start + timedelta(days=60), sim.end - timedelta(days=121), 30)
    report = custfit.backtest(sim.dataset, custfit.Scorecard.starter(), {"dates": dates})
    print("AUC", report["roc_auc"])
    for b in report["bands"]:
        print(f"{b['band']:7} {b['observations']:5} accounts, churn {b['churn_rate']} (95% CI {b['ci_low']}-{b['ci_high']})")
    # ANCHOR_END: health_backtest
    assert report["observations"] > 0

    # ANCHOR: goals
    goal = {"name": "weekly active users", "metric": {"type": "active_users"}, "period": "weekly", "target": 3}
    account = sim.truth[0]["account_id"]
    progress = custfit.goal_progress(sim.dataset, account, goal, sim.end, {"amount": 12, "unit": "weeks"})
    print("streak", progress["current_streak"], "longest", progress["longest_streak"], "best", progress["personal_best"])
    for c in progress["celebrations"]:
        print("celebrate", c["kind"], "in the week of", c["period_start"][:10])
    # ANCHOR_END: goals
    assert progress["account_id"] == account


def test_typed_results():
    # ANCHOR: typed_results
    import custfit
    from custfit.types import ParetoTiers, TierSummary

    sim = custfit.simulate(accounts=50, days=60, seed=3)
    tiers: ParetoTiers = custfit.pareto_tiers(sim.dataset.snapshot(sim.end))
    top: TierSummary = tiers["tiers"][0]
    print(top["name"], top["count"], top["mrr_floor"])  # mrr_floor: float | None
    # ANCHOR_END: typed_results
    assert set(top) == TierSummary.__required_keys__
