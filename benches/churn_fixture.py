"""Generates the scikit-learn reference fixtures in tests/cases/churn/logistic_*.json.

Run with a throwaway venv that has scikit-learn (see benches/requirements.txt):
    python benches/churn_fixture.py
The stored JSON is what the Rust, Python and Node suites read; they never need scikit-learn.
"""

import json
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "cases" / "churn"


def data(seed=7, n=300):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + 0.8 * rng.normal(size=n)
    c = rng.exponential(2.0, size=n)
    d = rng.uniform(-1, 1, size=n)
    e = rng.normal(size=n)
    x = np.column_stack([a, b, c, d, e])
    z = -0.8 + 1.2 * a - 0.7 * b + 0.25 * c + 0.1 * d
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-z))
    return np.round(x, 6), y


def fit(x, y, penalty, c, class_weight, fit_intercept=True):
    kw = {"C": c, "fit_intercept": fit_intercept, "max_iter": 1_000_000, "tol": 1e-12}
    if class_weight == "balanced":
        kw["class_weight"] = "balanced"
    if penalty["type"] == "l2":
        kw.update(solver="lbfgs", l1_ratio=0.0)
    elif penalty["type"] == "l1":
        kw.update(solver="saga", l1_ratio=1.0)
    elif penalty["type"] == "elastic_net":
        kw.update(solver="saga", l1_ratio=penalty["l1_ratio"])
    else:
        kw.update(solver="lbfgs", C=np.inf, l1_ratio=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LogisticRegression(**kw).fit(x, y)
    return m


CASES = [
    ("logistic_l2", {"type": "l2"}, 1.0, "none", True),
    ("logistic_l2_strong_no_intercept", {"type": "l2"}, 0.05, "none", False),
    ("logistic_l1", {"type": "l1"}, 0.1, "none", True),
    (
        "logistic_elastic_net",
        {"type": "elastic_net", "l1_ratio": 0.5},
        0.2,
        "none",
        True,
    ),
    ("logistic_l2_balanced", {"type": "l2"}, 0.5, "balanced", True),
    ("logistic_unpenalized", {"type": "none"}, 1.0, "none", True),
]


def main():
    x, y = data()
    for name, penalty, c, cw, intercept in CASES:
        m = fit(x, y, penalty, c, cw, intercept)
        case = {
            "description": f"{name}: coefficients equal scikit-learn {sklearn.__version__} LogisticRegression "
            f"({m.solver}, C={c}, class_weight={cw}, fit_intercept={intercept}) to 1e-6",
            "call": "logistic_fit",
            "input": {
                "x": x.tolist(),
                "y": [int(v) for v in y],
                "config": {"penalty": penalty, "c": c, "fit_intercept": intercept, "class_weight": {"type": cw}},
            },
            "expected": {
                "coefficients": [float(v) for v in m.coef_[0]],
                "intercept": float(m.intercept_[0]) if intercept else 0.0,
                "probabilities_head": [float(v) for v in m.predict_proba(x[:5])[:, 1]],
            },
            "tolerance": 1e-6,
        }
        (OUT / f"{name}.json").write_text(json.dumps(case, indent=1) + "\n")
        print(name, m.n_iter_, m.coef_[0], m.intercept_)
    # Evaluation metrics on probabilities with ties.
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(size=200), 2)
    yy = rng.uniform(size=200) < p
    case = {
        "description": f"evaluation scores equal scikit-learn {sklearn.__version__} (roc_auc_score, average_precision_score, "
        "log_loss, brier_score_loss) on rounded probabilities with ties",
        "call": "evaluate",
        "input": {"probabilities": p.tolist(), "labels": [int(v) for v in yy]},
        "expected": {
            "roc_auc": float(roc_auc_score(yy, p)),
            "pr_auc": float(average_precision_score(yy, p)),
            "log_loss": float(log_loss(yy, p)),
            "brier": float(brier_score_loss(yy, p)),
        },
        "tolerance": 1e-12,
    }
    (OUT / "evaluate_sklearn.json").write_text(json.dumps(case, indent=1) + "\n")


if __name__ == "__main__":
    main()
