"""Frames: per-account results added to a snapshot as columns, then read by conditions and
scorecard sets (custfit.frame in Rust; Snapshot.with_columns here, withColumns in Node)."""

from __future__ import annotations

import custfit
import pyarrow as pa
import pytest

TIER_SET = {
    "version": 1,
    "column": "tier",
    "cases": [
        {
            "values": ["tier_1"],
            "scorecard": {
                "name": "high_touch",
                "measures": [{"name": "active", "metric": "active_days_30d", "scoring": {"type": "ramp", "low": 0, "high": 25}}],
            },
        }
    ],
    "default": {
        "name": "tech_touch",
        "measures": [{"name": "active", "metric": "active_days_30d", "scoring": {"type": "ramp", "low": 0, "high": 10}}],
    },
}


@pytest.fixture(scope="module")
def sim():
    return custfit.simulate(accounts=200, days=240, seed=3, activity_scale=0.3)


def test_pareto_tiers_key_a_scorecard_set(sim):
    # ANCHOR: frame_python
    snap = sim.dataset.snapshot(sim.end)
    tiers = custfit.pareto_tiers(snap)
    framed = snap.with_columns(tiers)  # a new snapshot with a "tier" column
    scores = custfit.ScorecardSet(TIER_SET).score(framed)  # a scorecard per tier
    # ANCHOR_END: frame_python
    assert "tier" not in snap.column_names  # the original is unchanged
    tier = framed.column("tier")
    assert set(tier) == {"tier_1", "tier_2", "tier_3"}
    rows = [scores.row(i) for i in range(len(scores))]
    by_card = {r["scorecard"] for r in rows}
    assert by_card == {"high_touch", "tech_touch"}
    for r, t in zip(rows, tier):
        assert r["scorecard"] == ("high_touch" if t == "tier_1" else "tech_touch")
    # Without the tier column the set cannot choose a scorecard.
    with pytest.raises(custfit.CustfitError) as err:
        custfit.ScorecardSet(TIER_SET).score(snap)
    assert err.value.code == "unknown_metric"


def test_churn_risk_and_health_band_in_one_condition(sim):
    ts = custfit.build_training_set(
        sim.dataset,
        {
            "features": {"metrics": ["active_days_30d", "usage_trend_30d", "days_to_renewal"]},
            "horizon": {"amount": 60, "unit": "days"},
        },
        known_at=sim.end,
    )
    model = custfit.ChurnModel.fit(ts)
    risk = model.forecast(sim.dataset, sim.end, top=2)
    snap = sim.dataset.snapshot(sim.end)
    health = custfit.Scorecard.starter().score(custfit.health_snapshot(sim.dataset, sim.end))
    # ANCHOR: frame_python_risk
    frame = snap.with_columns(risk).with_columns(health)  # churn_probability, health_band, ...
    # ANCHOR_END: frame_python_risk
    for name in ["churn_probability", "churn_rank", "churn_top_driver", "churn_opportunity_at", "health_score", "health_band"]:
        assert name in frame.column_names
    at_risk = custfit.Expr('churn_probability > 0.2 && health_band in ["red", "orange"]', frame).matches(frame)
    ids = frame.account_ids
    p = dict(zip(ids, frame.column("churn_probability")))
    band = dict(zip(ids, frame.column("health_band")))
    expected = [p[i] is not None and p[i] > 0.2 and band[i] in ("red", "orange") for i in ids]
    assert at_risk == expected
    # Accounts without a subscription in force have no forecast: missing, not zero.
    assert len(risk) <= len(ids)
    assert sum(v is None for v in frame.column("churn_probability")) == len(ids) - len(risk)


def test_arrow_pandas_polars_and_dicts(sim):
    snap = sim.dataset.snapshot(sim.end)
    ids = snap.account_ids
    n = len(ids)
    table = pa.table({"account_id": ids[::-1], "score": [float(i) for i in range(n)], "vip": [i % 2 == 0 for i in range(n)]})
    a = snap.with_columns(table)
    assert a.value(ids[-1], "score") == 0.0 and a.value(ids[-1], "vip") is True
    b = snap.with_columns(table.to_pandas())
    assert b.column("score") == a.column("score")
    pl = pytest.importorskip("polars")
    c = snap.with_columns(pl.from_arrow(table))
    assert c.column("vip") == a.column("vip")
    d = snap.with_columns({"flagged": [True] * len(ids)})
    assert d.column("flagged") == [True] * len(ids)
    e = snap.with_columns({"account_id": [ids[0]], "note": ["call"]})
    assert e.column("note")[0] == "call" and e.column("note")[1:] == [None] * (len(ids) - 1)
    # A frame is still a snapshot: Arrow out works, and the added columns are there.
    assert "note" in e.to_arrow().column_names
    # The JSON form round-trips, added columns and types included.
    again = custfit.snapshot_from_json(e.to_json())
    assert again.column("note") == e.column("note") and again.schema == e.schema
    # Per-account results as a table: add them, keep the columns of interest, hand over Arrow.
    tiers = snap.with_columns(custfit.pareto_tiers(snap)).select(["mrr", "tier"])
    assert tiers.to_arrow().column_names == ["account_id", "mrr", "tier"]
    assert list(tiers.to_pandas().columns) == ["account_id", "mrr", "tier"]
    with pytest.raises(custfit.UnknownMetricError):
        snap.select(["nope"])


def test_datetime_columns_stay_timestamps(sim):
    snap = sim.dataset.snapshot(sim.end)
    cols = snap.to_dict()
    again = snap.with_columns({"account_id": cols["account_id"], "created_again": cols["created_at"]})
    assert again.schema["created_again"] == "timestamp"
    assert again.column("created_again") == snap.column("created_at")


def test_results_as_arrow_tables(sim):
    snap = sim.dataset.snapshot(sim.end)
    ids = snap.account_ids
    tiers = custfit.to_arrow(custfit.pareto_tiers(snap))
    assert isinstance(tiers, pa.Table)
    # Results computed from a snapshot's rows carry no ids: their rows are the snapshot's rows.
    assert tiers.column_names == ["tier"] and tiers.num_rows == len(ids)
    assert tiers.column("tier").to_pylist() == snap.with_columns(custfit.pareto_tiers(snap)).column("tier")
    # ANCHOR: to_arrow_python
    scores = custfit.Scorecard.starter().score(custfit.health_snapshot(sim.dataset, sim.end))
    df = custfit.to_arrow(scores).to_pandas()  # account_id, health_score, health_band, …
    # ANCHOR_END: to_arrow_python
    assert list(df.columns[:3]) == ["account_id", "health_score", "health_band"]
    assert df["health_score"].tolist() == pytest.approx([r["score"] for r in scores.rows()], nan_ok=True)
    config = {"features": {"metrics": ["active_days_30d", "days_to_renewal"]}, "horizon": {"amount": 60, "unit": "days"}}
    risk = custfit.ChurnModel.fit(custfit.build_training_set(sim.dataset, config, sim.end)).forecast(sim.dataset, sim.end)
    table = custfit.to_arrow(risk)
    assert table.num_rows == len(risk) and str(table.schema.field("churn_opportunity_at").type) == "timestamp[ms, tz=UTC]"
    pl = pytest.importorskip("polars")
    assert pl.from_arrow(custfit.to_arrow(scores, "h")).columns[:3] == ["account_id", "h_score", "h_band"]
    with pytest.raises(custfit.InvalidInputError):
        custfit.to_arrow({"a": [1, 2], "b": [1]})


def test_bad_columns_have_codes(sim):
    snap = sim.dataset.snapshot(sim.end)
    ids = snap.account_ids

    def code(source, name=None):
        with pytest.raises(custfit.CustfitError) as err:
            snap.with_columns(source, name)
        return err.value.code

    assert code({"account_id": ["nope"], "x": [1]}) == "unknown_account"
    assert code({"account_id": [ids[0], ids[0]], "x": [1, 2]}) == "duplicate_id"
    assert code({"mau": [1] * len(ids)}) == "duplicate_metric"
    assert code({"x": [1, 2]}) == "invalid_argument"
    assert code({"x": [1, "a"] + [None] * (len(ids) - 2)}) == "invalid_argument"
    assert code({"assignment": 3, "tiers": [], "chart": {}}) == "parse_error"
    assert code([1, 2, 3]) == "invalid_argument"
    with pytest.raises(TypeError):
        snap.with_columns(42)
