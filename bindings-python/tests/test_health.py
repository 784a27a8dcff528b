"""Health scoring from Python: invariants on the simulator (bounds, exact contributions,
why-changed sums, JSON round trips), tables, flags, history, backtests, and bad input (stable
``.code``, nothing mutated). The golden cases of tests/cases/health run in test_cases.py."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import custfit
import pytest

# ---- the simulator ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=80, days=200, seed=4, activity_scale=0.3)


@pytest.fixture(scope="module")
def snap(sim) -> custfit.Snapshot:
    return custfit.health_snapshot(sim.dataset, sim.end)


def check_exact(scores: custfit.HealthScores) -> None:
    """Scores within 0-100; contributions sum exactly (in millionths) to the computed score."""
    parts = len(scores.parts)
    for i, row in enumerate(scores.rows()):
        computed = scores.computed_micros(i)
        if row["score"] is None:
            assert computed is None and row["band"] is None
            continue
        assert 0 <= row["score"] <= 100
        assert 0 <= scores.score_micros(i) <= 100_000_000
        assert sum(scores.contribution_micros(p, i) for p in range(parts)) == computed
        total = sum(m["contribution"] for m in row["measures"])
        expected = row["override"]["computed_score"] if row["override"] else row["score"]
        assert math.isclose(total, expected, abs_tol=1e-6), row
        shares = sum(m["weight"] for m in row["measures"] if not m["name"].startswith("penalty:"))
        assert math.isclose(shares, 1.0, abs_tol=1e-9), row


def test_starter_scores_the_simulator(snap):
    assert set(custfit.flag_columns()) <= set(snap.column_names)
    card = custfit.Scorecard.starter()
    assert card.name == "starter"
    scores = card.score(snap)
    assert len(scores) == len(snap) and scores.account_ids == snap.account_ids
    assert scores.as_of == snap.as_of
    check_exact(scores)
    bands = {b["name"] for b in scores.bands}
    assert bands == {"green", "yellow", "orange", "red"} and scores.bands == custfit.default_bands()
    assert set(scores.band_names()) <= bands | {None}
    for i, (s, b) in enumerate(zip(scores.scores(), scores.band_indices())):
        assert (b is None) == (s is None)
        assert b == card.band_of(s) if s is not None else True
        assert scores.row(i) == scores.account(scores.account_ids[i])
        assert scores.row_of(scores.account_ids[i]) == i
    assert scores.row(len(scores)) is None and scores.row(-1) is None
    assert scores.account("no such account") is None and scores.row_of("no such account") is None
    assert scores.score_micros(-1) is None and scores.contribution_micros(99, 0) == 0


def test_why_changed_parts_sum_to_the_delta(sim, snap):
    card = custfit.Scorecard.starter()
    earlier = card.score(custfit.health_snapshot(sim.dataset, sim.end - timedelta(days=30)))
    later = card.score(snap)
    changes = later.changes_since(earlier)
    assert changes
    for ch in changes:
        assert math.isclose(ch["delta"], ch["after"] - ch["before"], abs_tol=1e-9)
        assert math.isclose(sum(m["delta"] for m in ch["by_measure"]), ch["delta"], abs_tol=1e-9), ch
        deltas = [abs(m["delta"]) for m in ch["by_measure"]]
        assert deltas == sorted(deltas, reverse=True)
        i, j = later.row_of(ch["account_id"]), earlier.row_of(ch["account_id"])
        assert later.score_micros(i) - earlier.score_micros(j) == round(ch["delta"] * 1_000_000)


def test_json_round_trips_are_exact():
    card = custfit.Scorecard.starter()
    again = custfit.Scorecard(card.to_json())
    assert again == card and again.to_json() == card.to_json()
    assert custfit.Scorecard(card.to_dict()) == card
    assert json.loads(card.to_json()) == card.to_dict()
    doc = {
        "name": "groups",
        "measures": [
            {"name": "a", "metric": "x", "group": "g1", "weight": 0.3, "scoring": {"type": "ramp", "low": 0.1, "high": 7.3}},
            {
                "name": "b",
                "metric": "y",
                "group": "g2",
                "direction": "lower_is_better",
                "missing": {"type": "default", "points": 33.3},
                "scoring": {"type": "tiers", "tiers": [{"max": 1.5, "points": 90}, {"min": 1.5, "points": 10}]},
            },
        ],
        "groups": [{"name": "g1", "weight": 2}, {"name": "g2", "weight": 1}],
        "penalties": [{"column": "flag_confusion", "points": 12.5}],
        "overrides": [{"account_id": "Büro", "score": 55, "reason": "renewal signed", "expires_at": "2030-01-01T00:00:00Z"}],
    }
    card = custfit.Scorecard(doc)
    assert custfit.Scorecard(card.to_json()) == card
    assert card.to_dict()["version"] == 1 and card.to_dict()["overrides"][0]["account_id"] == "Büro"
    set_doc = {
        "column": "plan",
        "cases": [{"values": ["growth"], "scorecard": doc}],
        "default": custfit.Scorecard.starter().to_dict(),
    }
    cards = custfit.ScorecardSet(set_doc)
    assert cards.column == "plan"
    assert custfit.ScorecardSet(cards.to_json()) == cards
    assert custfit.ScorecardSet(cards.to_dict()).to_json() == cards.to_json()


def test_scores_as_tables(snap):
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    scores = custfit.Scorecard.starter().score(snap)
    table = scores.to_snapshot()
    names = table.column_names
    assert names[:2] == ["health_score", "health_band"]
    for part in scores.parts:
        assert f"points:{part}" in names and f"contribution:{part}" in names
    arrow = table.to_arrow()
    assert arrow.num_rows == len(scores)
    assert arrow.column("health_score").to_pylist() == scores.scores()
    df = pl.DataFrame(scores)  # the Arrow stream of the same table
    assert df.columns == ["account_id", *names] and df["health_band"].to_list() == scores.band_names()
    assert pa.table(scores).num_rows == len(scores)
    assert isinstance(table.to_pandas(), pd.DataFrame)
    # add_to_snapshot returns a new snapshot; the argument is unchanged.
    before = snap.column_names
    joined = scores.add_to_snapshot(snap)
    assert snap.column_names == before
    assert joined.column_names == [*before, "health_score", "health_band"]
    assert joined.column("health_score") == scores.scores()


def test_flags(sim, snap):
    flags = custfit.detect_flags(sim.dataset, sim.end)
    assert [f["account_id"] for f in flags] == snap.account_ids
    for f in flags:
        fired = [k for k in ("extraction_burst", "confusion", "pricing_interest", "cadence_inactivity") if f[k]["flagged"]]
        assert f["fired"] == fired
    assert any(f["cadence_inactivity"]["usual_gap_days"] is not None for f in flags)
    plain = sim.dataset.snapshot(sim.end)
    with_flags = custfit.add_flag_columns(plain, flags)
    assert "flag_confusion" not in plain.column_names
    assert with_flags.to_dict() == snap.to_dict()
    # A tighter config is honoured and round-trips as JSON text.
    strict = custfit.detect_flags(sim.dataset, sim.end, json.dumps({"pricing": {"min_views": 1}}))
    assert sum(f["pricing_interest"]["flagged"] for f in strict) >= sum(f["pricing_interest"]["flagged"] for f in flags)


def test_history_and_account_history(sim):
    card = custfit.Scorecard.starter()
    dates = custfit.backtest_grid("2024-04-01", sim.end, 30)
    assert dates[0].isoformat() == "2024-04-01T00:00:00+00:00" and len(dates) >= 3
    hist = custfit.health_history(sim.dataset, card, dates)
    assert [h.as_of for h in hist] == dates
    account = hist[-1].account_ids[0]
    series = custfit.account_history(hist, account)
    assert len(series) == len(dates)
    for point, h in zip(series, hist):
        row = h.account(account)
        assert point["score"] == (row["score"] if row else None)
    assert custfit.account_history(hist, "nobody") == [{"as_of": p["as_of"], "score": None, "band": None} for p in series]


def test_backtest(sim):
    dates = custfit.backtest_grid("2024-03-01", "2024-05-01", 30)
    report = custfit.backtest(
        sim.dataset, custfit.Scorecard.starter(), {"dates": dates, "horizon": {"amount": 60, "unit": "days"}}
    )
    assert report["observations"] == sum(d["observations"] for d in report["dates"])
    assert report["churned"] == sum(b["churned"] for b in report["bands"])
    assert report["roc_auc"] is None or 0 <= report["roc_auc"] <= 1
    for b in report["bands"]:
        if b["observations"]:
            lo, hi = custfit.wilson_interval(b["churned"], b["observations"])
            assert (b["ci_low"], b["ci_high"]) == (lo, hi) and lo <= b["churn_rate"] <= hi
    assert len(report["transitions"]["counts"]) == len(report["transitions"]["bands"]) == 4
    # A scorecard document works too; a date whose outcome is unknown is skipped.
    late = custfit.backtest(sim.dataset, custfit.Scorecard.starter().to_json(), {"dates": ["2024-03-01", sim.end]})
    assert len(late["skipped_dates"]) == 1
    with pytest.raises(custfit.CustfitError) as info:
        custfit.backtest(sim.dataset, custfit.Scorecard.starter(), {"dates": [sim.end]})
    assert info.value.code == "insufficient_data"


def test_auc_and_wilson_helpers():
    assert custfit.roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert custfit.roc_auc([1.0], [True]) is None
    lo, hi = custfit.wilson_interval(10, 100)
    assert abs(lo - 0.0552) < 1e-3 and abs(hi - 0.1744) < 1e-3
    assert custfit.wilson_interval(0, 0) is None
    bad = [
        (lambda: custfit.roc_auc([0.1, 0.2], [True]), "invalid_argument"),
        (lambda: custfit.roc_auc([0.1, math.nan], [True, False]), "non_finite"),
        (lambda: custfit.wilson_interval(3, 2), "invalid_argument"),
        (lambda: custfit.backtest_grid("2024-01-01", "2024-02-01", 0), "invalid_argument"),
        (lambda: custfit.backtest_grid("2000-01-01", "2090-01-01", 1), "invalid_argument"),
    ]
    for call, code in bad:
        with pytest.raises(custfit.CustfitError) as info:
            call()
        assert info.value.code == code
    assert custfit.backtest_grid("2024-02-01", "2024-01-01", 7) == []


# ---- edge cases and bad input --------------------------------------------------------------

RAMP = {"name": "m", "metric": "x", "scoring": {"type": "ramp", "low": 0, "high": 10}}


def test_unicode_account_ids():
    ids = ["Büro GmbH", "日本株式会社", "🚀 rocket", "a\u0301"]
    snap = custfit.snapshot_from_json({"as_of": "2024-06-01", "columns": {"account_id": ids, "x": [10, 5, 0, None]}})
    scores = custfit.Scorecard({"measures": [RAMP]}).score(snap)
    assert scores.account_ids == ids
    assert scores.account("日本株式会社")["score"] == 50
    assert scores.row_of("🚀 rocket") == 2
    assert scores.account("a\u0301")["score"] is None
    assert scores.to_snapshot().to_arrow().column("account_id").to_pylist() == ids


def test_empty_snapshot():
    snap = custfit.snapshot_from_json({"as_of": "2024-06-01", "columns": {"account_id": [], "x": []}})
    scores = custfit.Scorecard({"measures": [RAMP]}).score(snap)
    assert len(scores) == 0 and scores.rows() == [] and scores.scores() == []
    assert scores.changes_since(scores) == []
    assert scores.to_snapshot().to_arrow().num_rows == 0
    assert len(scores.add_to_snapshot(snap)) == 0


def test_nan_is_refused_as_json_and_missing_values_are_renormalised():
    with pytest.raises(custfit.ParseError) as info:
        custfit.snapshot_from_json({"as_of": "2024-06-01", "columns": {"account_id": ["a"], "x": [float("nan")]}})
    assert info.value.code == "parse_error"
    with pytest.raises(custfit.ParseError):
        custfit.snapshot_from_json('{"as_of": "2024-06-01", "columns": {"account_id": ["a"], "x": [NaN]}}')
    with pytest.raises(custfit.ParseError) as info:
        custfit.Scorecard({"measures": [{**RAMP, "weight": float("nan")}]})
    assert info.value.code == "parse_error"
    with pytest.raises(custfit.ParseError):  # JSON has no infinity either
        custfit.Scorecard('{"measures": [{"name": "m", "metric": "x", "scoring": {"type": "ramp", "low": 0, "high": 1e400}}]}')
    # A missing value (None) is not NaN: the measure is renormalised away.
    snap = custfit.snapshot_from_json({"as_of": "2024-06-01", "columns": {"account_id": ["a"], "x": [None], "y": [3]}})
    card = custfit.Scorecard({"measures": [RAMP, {**RAMP, "name": "n", "metric": "y"}]})
    (row,) = card.score(snap).rows()
    assert row["score"] == 30 and [m["points"] for m in row["measures"]] == [None, 30]


def test_unknown_metric_names_the_measure_and_suggests():
    snap = custfit.snapshot_from_json({"as_of": "2024-06-01", "columns": {"account_id": ["a"], "logins_7d": [3]}})
    card = custfit.Scorecard({"measures": [{**RAMP, "metric": "logins_7"}]})
    before = snap.to_dict()
    with pytest.raises(custfit.UnknownMetricError) as info:
        card.score(snap)
    assert info.value.code == "unknown_metric" and isinstance(info.value, KeyError)
    assert "logins_7d" in str(info.value)
    assert snap.to_dict() == before


@pytest.mark.parametrize(
    ("config", "code", "exc"),
    [
        ({"measures": []}, "invalid_config", custfit.InvalidInputError),
        ({"measures": [{**RAMP, "weight": -1}]}, "invalid_config", custfit.InvalidInputError),
        ({"version": 2, "measures": [RAMP]}, "unsupported_version", custfit.UnsupportedVersionError),
        ({"measures": [RAMP], "colour": "red"}, "parse_error", custfit.ParseError),
        ("{not json", "parse_error", custfit.ParseError),
        (42, "invalid_argument", custfit.InvalidInputError),
    ],
)
def test_bad_scorecards(config, code, exc):
    with pytest.raises(exc) as info:
        custfit.Scorecard(config)
    assert info.value.code == code, str(info.value)


def test_bad_inputs_leave_nothing_changed(sim):
    ds = sim.dataset
    counts = (ds.account_count, ds.event_count)
    cases = [
        (lambda: custfit.health_snapshot(ds, "not a date"), "invalid_timestamp"),
        (lambda: custfit.health_snapshot(ds, sim.end, None, {"burst": {"min_z": -1}}), "invalid_config"),
        (lambda: custfit.detect_flags(ds, sim.end, {"version": 9}), "unsupported_version"),
        (lambda: custfit.backtest(ds, custfit.Scorecard.starter(), {"dates": []}), "invalid_config"),
        (lambda: custfit.backtest(ds, custfit.Scorecard.starter(), {}), "parse_error"),
        (lambda: custfit.backtest(ds, 3, {"dates": [sim.end]}), "invalid_argument"),
        (lambda: custfit.health_history(ds, custfit.Scorecard.starter(), "2024-05-01"), "invalid_argument"),
        (lambda: custfit.backtest_grid("2024-01-01", "2024-02-01", -1), "invalid_argument"),
        (lambda: custfit.add_flag_columns(ds.snapshot(sim.end), [{"account_id": "x"}]), "parse_error"),
    ]
    for call, code in cases:
        with pytest.raises(custfit.CustfitError) as info:
            call()
        assert info.value.code == code, str(info.value)
    assert (ds.account_count, ds.event_count) == counts


def test_scorecard_set_and_rollup():
    snap = custfit.snapshot_from_json(
        {
            "as_of": "2024-06-01",
            "columns": {
                "account_id": ["parent", "child-1", "child-2"],
                "parent_id": [None, "parent", "parent"],
                "plan": ["enterprise", "smb", "smb"],
                "x": [10, 5, 0],
                "mrr": [100.0, 300.0, 0.0],
            },
        }
    )
    cards = custfit.ScorecardSet(
        {
            "column": "plan",
            "cases": [
                {
                    "values": ["smb"],
                    "scorecard": {"name": "smb", "measures": [{**RAMP, "scoring": {"type": "ramp", "low": 0, "high": 5}}]},
                }
            ],
            "default": {"name": "default", "measures": [RAMP]},
        }
    )
    scores = cards.score(snap)
    assert [r["scorecard"] for r in scores.rows()] == ["default", "smb", "smb"]
    assert scores.scores() == [100, 100, 0]
    (parent,) = scores.rollup(snap, "mrr")
    assert parent["account_id"] == "parent" and parent["descendants"] == 2 and parent["score"] == 100
    with pytest.raises(custfit.UnknownMetricError):
        scores.rollup(snap, "no_such_column")
