"""Churn models from Python: a simulator round trip, errors. The golden cases of tests/cases/churn run in
test_cases.py."""

import datetime
import json
import math

import custfit
import pytest


def test_simulator_round_trip(tmp_path):
    sim = custfit.simulate(accounts=200, days=240, seed=3, activity_scale=0.3)
    features = [
        "active_days_30d",
        "usage_trend_30d",
        "days_to_renewal",
        "pricing_page_views_30d",
        "support_tickets_60d",
    ]
    ts = custfit.build_training_set(
        sim.dataset,
        {"features": {"metrics": features}, "horizon": {"amount": 60, "unit": "days"}},
        known_at=sim.end,
    )
    assert len(ts) > 100 and ts.feature_names == features
    train, test = ts.time_split(0.3)
    assert max(train.observed_at) < min(test.observed_at)
    lr = custfit.ChurnModel.fit(train)
    gb = custfit.ChurnModel.fit(train, {"model": {"type": "boosted_trees", "settings": {"trees": 30}}})
    assert lr.model_type == "logistic" and gb.model_type == "boosted_trees"
    report = lr.coefficients()
    assert [r["feature"] for r in report] == features
    assert all(math.isclose(r["odds_ratio"], math.exp(r["coefficient"])) for r in report)
    assert gb.coefficients() is None
    e = gb.evaluate(test)
    assert 0.5 < e["roc_auc"] <= 1 and len(e["calibration"]) == 10
    risk = gb.forecast(sim.dataset, sim.end, top=3)
    assert risk[0]["rank"] == 1 and len(risk[0]["drivers"]) == 3
    assert all(a["probability"] >= b["probability"] for a, b in zip(risk, risk[1:]))
    path = tmp_path / "model.json"
    gb.save(path)  # a pathlib.Path or str
    again = custfit.ChurnModel.load(path)
    assert again.predict(test.x).tolist() == gb.predict(test.x).tolist()
    assert custfit.ChurnModel.load(str(path)).to_json() == gb.to_json()
    # A failed save leaves nothing behind and the old file intact.
    with pytest.raises(custfit.CustfitIOError):
        gb.save(tmp_path / "missing-dir" / "model.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    assert again.predict(test.x.tolist()) == gb.predict(test.x).tolist()  # rows in, a list out
    bt = custfit.churn_backtest(ts, None, folds=2)
    assert len(bt["folds"]) == 2


def test_definitions():
    sim = custfit.simulate(accounts=60, days=120, seed=5, activity_scale=0.3)
    m = custfit.mrr_churn(sim.dataset, sim.start, sim.end)
    assert 0 <= m["mrr_churn_rate"] <= 1
    dates = custfit.churn_dates(sim.dataset, sim.end)
    assert len(dates) == sim.dataset.account_count
    w = custfit.choose_inactivity_window(sim.dataset, sim.end, share=0.9, min_gap_days=3)
    assert w["window"]["unit"] == "days" and w["share_covered"] >= 0.9


def test_bad_inputs_have_codes():
    with pytest.raises(custfit.CustfitError) as info:
        custfit.monthly_to_annual(2.0)
    assert info.value.code == "invalid_argument"
    with pytest.raises(custfit.CustfitError) as info:
        custfit.ChurnModel.from_json("{not json")
    assert info.value.code == "parse_error"


def test_learn_scorecard_weights_from_simulation():
    sim = custfit.simulate(accounts=300, days=400, seed=5)
    end = sim.end
    dates = [sim.start + datetime.timedelta(days=90 + 30 * k) for k in range(8)]
    config = {"dates": [d.isoformat() for d in dates if d <= end - datetime.timedelta(days=121)]}
    card = _small_card()
    r = custfit.learn_scorecard_weights(sim.dataset, card, json.dumps(config))
    shares = [w["share_after"] for w in r["weights"]]
    assert abs(sum(shares) - 1) < 1e-9 and min(shares) >= 0
    assert r["holdout_auc_after"] is not None and r["observations"] > 0
    assert {w["status"] for w in r["weights"]} <= {"used", "wrong_sign", "constant", "no_data"}
    # a Scorecard object is taken as well as its document, with the same answer
    assert custfit.learn_scorecard_weights(sim.dataset, custfit.Scorecard(card), config) == r
    cards = custfit.ScorecardSet({"column": "plan", "cases": [], "default": card})
    with pytest.raises(custfit.CustfitError) as info:
        custfit.learn_scorecard_weights(sim.dataset, cards, config)
    assert info.value.code == "invalid_argument"
    with pytest.raises(custfit.CustfitError) as info:
        custfit.learn_scorecard_weights(sim.dataset, card, {"dates": [end.isoformat()]})
    assert info.value.code == "insufficient_data"
    with pytest.raises(custfit.CustfitError) as info:
        custfit.learn_scorecard_weights(sim.dataset, card, {"dates": config["dates"], "holdout_share": 2})
    assert info.value.code == "invalid_config"


def _small_card():
    ramp = lambda name, metric, lo, hi, d="higher_is_better": {  # noqa: E731
        "name": name, "metric": metric, "direction": d, "scoring": {"type": "ramp", "low": lo, "high": hi}
    }
    return {
        "measures": [
            ramp("active_days", "active_days_30d", 0, 20),
            ramp("logins", "logins_7d", 0, 30),
            ramp("trend", "usage_trend_30d", -50, 50),
            ramp("tickets", "support_tickets_60d", 0, 6, "lower_is_better"),
        ]
    }


def test_matrices_cross_as_numpy():
    np = pytest.importorskip("numpy")
    sim = custfit.simulate(accounts=120, days=200, seed=4, activity_scale=0.3)
    features = ["active_days_30d", "usage_trend_30d", "days_to_renewal"]
    ts = custfit.build_training_set(sim.dataset, {"features": {"metrics": features}}, known_at=sim.end)
    assert isinstance(ts.x, np.ndarray) and ts.x.dtype == np.float64 and ts.x.shape == (len(ts), 3)
    assert ts.y.dtype == np.bool_ and ts.y.shape == (len(ts),)
    # ANCHOR: numpy_predict
    model = custfit.ChurnModel.fit(ts)
    p = model.predict(ts.x)  # ts.x: a 2-D float64 array, read in place; p: a float64 array
    # ANCHOR_END: numpy_predict
    assert isinstance(p, np.ndarray) and p.shape == (len(ts),)
    # The same numbers from every form of the matrix: rows, Fortran order, ints, a view.
    assert p.tolist() == model.predict(ts.x.tolist())
    assert np.array_equal(model.predict(np.asfortranarray(ts.x)), p, equal_nan=True)
    filled = np.nan_to_num(ts.x)
    assert np.array_equal(model.predict(filled.astype(np.int64)), model.predict(np.trunc(filled)))
    assert np.array_equal(model.predict(ts.x[::2]), p[::2])
    # A matrix of the wrong width is refused instead of read misaligned.
    with pytest.raises(custfit.InvalidInputError) as err:
        model.predict(np.zeros((4, 6)))
    assert err.value.code == "invalid_argument" and "3 values" in str(err.value)
    again = custfit.TrainingSet.from_matrix(features, ts.x, ts.y.tolist())
    assert np.array_equal(again.x, ts.x, equal_nan=True)
    fit = custfit.fit_logistic(np.nan_to_num(ts.x), ts.y.tolist())
    assert len(fit["coefficients"]) == 3
