"""Python ``ChurnModel.predict`` on a 1M-row NumPy matrix: custfit read in place (no Python
object per row or cell) against the list-of-rows path and against scikit-learn's
``predict_proba`` with the same coefficients (the peer a notebook user would otherwise call).

Run with the bench venv: ``.venv-bench/bin/python benches/predict.py`` after ``make python``
(custfit importable) — or any venv holding custfit, numpy and scikit-learn. Interleaved runs with
equal thread counts: custfit splits rows over the machine's cores (at most 8); scikit-learn's
BLAS matrix-vector product gets as many (OMP/OPENBLAS_NUM_THREADS).
"""

from __future__ import annotations

import os

THREADS = str(min(os.cpu_count() or 1, 8))
os.environ.setdefault("OMP_NUM_THREADS", THREADS)
os.environ.setdefault("OPENBLAS_NUM_THREADS", THREADS)

import statistics
import sys
import time

import custfit
import numpy as np

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
FEATURES = 30


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(ROWS, FEATURES))
    beta = rng.normal(scale=0.3, size=FEATURES)
    y = rng.random(ROWS) < 1 / (1 + np.exp(-(x @ beta - 1.0)))
    names = [f"f{j}" for j in range(FEATURES)]
    train = custfit.TrainingSet.from_matrix(names, x[:50_000], y[:50_000].tolist())
    model = custfit.ChurnModel.fit(
        train,
        {"model": {"type": "logistic"}, "preprocess": {"skew_threshold": None, "standardize": False, "correlation_threshold": None}},
    )
    coef = {r["feature"]: r["coefficient"] for r in model.coefficients()}
    rows = x[:200_000].tolist()  # the list path, on a fifth of the rows (it is slow)

    peer = None
    try:
        from sklearn.linear_model import LogisticRegression

        peer = LogisticRegression()
        peer.classes_ = np.array([False, True])
        peer.coef_ = np.array([[coef[n] for n in names]])
        peer.intercept_ = np.array([model_intercept(model)])
    except ImportError:
        print("scikit-learn not installed: custfit only")

    runs: dict[str, list[float]] = {"custfit numpy": [], "custfit rows (per 1M)": [], "sklearn predict_proba": []}
    for _ in range(5):
        t, p = timed(lambda: model.predict(x))
        runs["custfit numpy"].append(t)
        t, _ = timed(lambda: model.predict(rows))
        runs["custfit rows (per 1M)"].append(t * ROWS / len(rows))
        if peer is not None:
            t, q = timed(lambda: peer.predict_proba(x)[:, 1])
            runs["sklearn predict_proba"].append(t)
            assert np.allclose(p, q, atol=1e-9), float(np.abs(p - q).max())
    print(f"{ROWS:,} rows x {FEATURES} features, {THREADS} threads, load {os.getloadavg()[0]:.2f}")
    base = statistics.median(runs["custfit numpy"])
    for k, v in runs.items():
        if v:
            m = statistics.median(v)
            print(f"  {k:24s} median {m * 1000:8.1f} ms  ({m / base:5.2f}x custfit numpy)")


def model_intercept(model: custfit.ChurnModel) -> float:
    doc = __import__("json").loads(model.to_json())
    return doc["model"]["model"]["intercept"]


if __name__ == "__main__":
    main()
