"""Churn models side by side with scikit-learn (lbfgs, saga) and LightGBM.

    cargo build --release -p custfit-benches --bin churn_bench
    python benches/churn.py [rows] [cols]      # default 1,000,000 × 30

Writes a synthetic churn-like matrix (skewed, correlated and interacting features) to
/tmp/custfit-churn-bench, times every fit on the same data, and prints ratios.
"""

import json
import os
import pathlib
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIR = pathlib.Path("/tmp/custfit-churn-bench")


def make(n, p, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, p))
    x = z.copy()
    for j in range(1, p, 3):  # correlated pairs
        x[:, j] = 0.7 * z[:, j - 1] + 0.7 * z[:, j]
    for j in range(2, p, 5):  # skewed counts, standardised
        v = np.log1p(np.exp(1.2 * z[:, j]))
        x[:, j] = (v - v.mean()) / v.std()
    logit = -2.2 + x[:, 0] * 0.9 - 0.6 * x[:, 1] + 0.5 * x[:, 2] - 0.4 * x[:, 3]
    logit += (
        0.8 * (x[:, 4] > 0.5) * (x[:, 5] < 0)
        + 0.6 * np.sin(2 * x[:, 6])
        + 0.3 * x[:, 7] ** 2
    )
    logit += 0.05 * x[:, 8:].sum(axis=1)
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return np.ascontiguousarray(x), y


def auc(y, p):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    DIR.mkdir(exist_ok=True)
    x, y = make(n, p, 1)
    xt, yt = make(200_000, p, 2)
    x.astype("<f8").tofile(DIR / "x.f64")
    y.astype(np.uint8).tofile(DIR / "y.u8")
    xt.astype("<f8").tofile(DIR / "xt.f64")
    yt.astype(np.uint8).tofile(DIR / "yt.u8")
    print(f"{n:,} rows × {p} features, churn rate {y.mean():.3f}")

    exe = os.environ.get(
        "CHURN_BENCH", str(ROOT / "target" / "release" / "churn_bench")
    )
    out = subprocess.run(
        [exe, str(DIR), str(n), str(p)], check=True, capture_output=True, text=True
    ).stdout
    ours = json.loads(out)

    from lightgbm import LGBMClassifier
    from sklearn.linear_model import LogisticRegression

    res = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kw in [
            ("lbfgs", {"solver": "lbfgs", "l1_ratio": 0.0}),
            (
                "lbfgs_tight",
                {"solver": "lbfgs", "l1_ratio": 0.0, "tol": 1e-10, "max_iter": 10_000},
            ),
            ("saga", {"solver": "saga", "l1_ratio": 0.0}),
            ("saga_l1", {"solver": "saga", "l1_ratio": 1.0}),
        ]:
            t = time.perf_counter()
            m = LogisticRegression(C=1.0, **kw).fit(x, y)
            secs = time.perf_counter() - t
            ref = np.array(
                ours["logistic_l1_coef" if name == "saga_l1" else "logistic_coef"]
            )
            res[name] = {
                "fit_s": secs,
                "auc": auc(yt, m.predict_proba(xt)[:, 1]),
                "max_coef_diff": float(np.abs(m.coef_[0] - ref).max()),
            }
    t = time.perf_counter()
    g = LGBMClassifier(
        n_estimators=100,
        learning_rate=0.1,
        num_leaves=31,
        min_child_samples=20,
        max_bin=255,
        verbose=-1,
        n_jobs=2,
    )
    g.fit(x, y)
    res["lightgbm"] = {
        "fit_s": time.perf_counter() - t,
        "auc": auc(yt, g.predict_proba(xt)[:, 1]),
    }

    print(
        f"custfit logistic (L2, Newton):  fit {ours['logistic_fit_s']:.2f} s, AUC {ours['logistic_auc']:.4f}, {ours['logistic_iterations']} iterations"
    )
    for k in ["lbfgs", "lbfgs_tight", "saga"]:
        r = res[k]
        print(
            f"  scikit-learn {k:12s} fit {r['fit_s']:.2f} s (custfit/peer time {ours['logistic_fit_s'] / r['fit_s']:.2f}×), AUC {r['auc']:.4f}, max |Δcoef| {r['max_coef_diff']:.1e}"
        )
    r = res["saga_l1"]
    print(
        f"custfit logistic (L1, prox-Newton): fit {ours['logistic_l1_fit_s']:.2f} s; scikit-learn saga L1 {r['fit_s']:.2f} s "
        f"(ratio {ours['logistic_l1_fit_s'] / r['fit_s']:.2f}×), max |Δcoef| {r['max_coef_diff']:.1e}"
    )
    r = res["lightgbm"]
    print(
        f"custfit boosted trees: fit {ours['boosted_fit_s']:.2f} s, AUC {ours['boosted_auc']:.4f}"
    )
    print(
        f"  LightGBM {r['fit_s']:.2f} s (custfit/peer time {ours['boosted_fit_s'] / r['fit_s']:.2f}×), AUC {r['auc']:.4f} (Δ {ours['boosted_auc'] - r['auc']:+.4f})"
    )


if __name__ == "__main__":
    main()
