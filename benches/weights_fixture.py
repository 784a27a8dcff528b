"""Generates tests/cases/churn/learn_weights_*.json: scorecard weights learned from measure points,
with the expected numbers computed here by scikit-learn (an independent implementation of the
procedure in core/src/churn/weights.rs).

Procedure: impute missing points with the measure's mean, scale points to 0–1, fit an L2
logistic regression of churn; while some fitted measure has a coefficient >= 0 (more points,
more churn), drop the one with the largest coefficient and refit; measures whose points never
vary are left out from the start. Shares = -coefficient / sum(-coefficients).

Run with a venv that has scikit-learn (see benches/requirements.txt):
    python benches/weights_fixture.py
"""

import json
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "cases" / "churn"


def ramp(name, metric, group=None, weight=1.0):
    m = {"name": name, "metric": metric, "weight": weight, "scoring": {"type": "ramp", "low": 0, "high": 10}}
    if group:
        m["group"] = group
    return m


def points_data(seed=11, n=400):
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    sentiment = np.clip(50 + 0.4 * (usage - 50) + rng.normal(0, 20, n), 0, 100)
    support = rng.uniform(0, 100, n)  # more points, more churn: the wrong sign
    noise = rng.uniform(0, 100, n)
    flat = np.full(n, 60.0)  # never varies
    z = 1.0 - 0.035 * usage - 0.015 * sentiment + 0.012 * support
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-z))
    pts = np.round(np.column_stack([usage, sentiment, support, noise, flat]), 4)
    pts = pts.astype(object)
    missing = rng.uniform(size=pts.shape) < 0.08
    missing[:, 4] = False
    pts[missing] = None
    return pts, y


def learn(pts, y, c):
    k = pts.shape[1]
    status = ["used"] * k
    cols = []
    for m in range(k):
        present = np.array([v for v in pts[:, m] if v is not None], dtype=float)
        if present.size == 0:
            status[m] = "no_data"
            cols.append(None)
            continue
        mean = present.mean()
        col = np.array([mean if v is None else v for v in pts[:, m]], dtype=float) / 100.0
        cols.append(col)
        if np.all(present == present[0]):
            status[m] = "constant"
    while True:
        active = [m for m in range(k) if status[m] == "used"]
        x = np.column_stack([cols[m] for m in active])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(C=c, solver="lbfgs", tol=1e-12, max_iter=1_000_000).fit(x, y)
        coef = np.zeros(k)
        coef[active] = model.coef_[0]
        wrong = [m for m in active if coef[m] >= 0]
        if not wrong:
            break
        status[max(wrong, key=lambda m: coef[m])] = "wrong_sign"
    coef[[m for m in range(k) if status[m] != "used"]] = 0.0
    shares = -coef / np.sum(-coef)
    return shares, coef, float(model.intercept_[0]), status


def main():
    pts, y = points_data()
    for name, c, grouped in [("learn_weights_flat", 1.0, False), ("learn_weights_groups", 0.5, True)]:
        if grouped:
            card = {
                "name": "grouped",
                "groups": [{"name": "adoption", "weight": 0.5}, {"name": "voice", "weight": 0.5}],
                "measures": [
                    ramp("usage", "a", "adoption"),
                    ramp("sentiment", "b", "voice"),
                    ramp("support", "c", "voice"),
                    ramp("noise", "d", "adoption"),
                    ramp("flat", "e", "voice"),
                ],
            }
        else:
            card = {
                "name": "flat",
                "measures": [ramp(n, m) for n, m in zip(["usage", "sentiment", "support", "noise", "flat"], "abcde")],
            }
        shares, coef, intercept, status = learn(pts, y, c)
        case = {
            "description": f"{name}: shares from scikit-learn {sklearn.__version__} LogisticRegression (lbfgs, C={c}) "
            "on imputed points, wrong-signed measures dropped one at a time, constant ones left out",
            "call": "learn_weights",
            "input": {
                "points": pts.tolist(),
                "y": [int(v) for v in y],
                "config": {"scorecard": card, "logistic": {"penalty": {"type": "l2"}, "c": c}},
            },
            "expected": {
                "shares_after": [float(v) for v in shares],
                "coefficients_per_10_points": [float(v) / 10 for v in coef],
                "intercept": intercept,
                "statuses": status,
            },
            "tolerance": 1e-6,
        }
        (OUT / f"{name}.json").write_text(json.dumps(case, indent=1) + "\n")
        print(name, status, np.round(shares, 4))


if __name__ == "__main__":
    main()
