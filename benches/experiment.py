"""The SciPy peer of `experiment --speed`: the same statistics of 100 plays over 1M ledger
entries, written the way a careful analyst would (the data grouped by play once with a stable
sort, then per play: CUPED with theta pooled within arms, SciPy's Welch test and interval, the
delta-method lift, the always-valid interval, the exact binomial sample-ratio check; for
retention SciPy's ecdf per arm read at 90 days and its log-rank test). Times the median of 5,
then checks every play's numbers against custfit's.

    cargo run --release -p custfit-benches --bin experiment -- --speed
    .venv-bench/bin/python benches/experiment.py
"""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

DIR = Path("/tmp/custfit_experiment_bench")


def load():
    col = {name: np.fromfile(DIR / f"{name}.bin", dtype="<f8") for name in ("play", "held", "value", "pre", "duration", "churned")}
    return col


def groups(col):
    order = np.argsort(col["play"], kind="stable")
    plays = col["play"][order]
    cuts = np.flatnonzero(np.diff(plays)) + 1
    return [(int(col["play"][s[0]]), s) for s in np.split(order, cuts)]


def sequential_half(se, n, tuning=5000.0, alpha=0.05):
    rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning
    k = n * rho2
    return math.sqrt(se * se * (1 + 1 / k) * (math.log(1 + k) - 2 * math.log(alpha)))


def metric(col, parts):
    out = {}
    for play, idx in parts:
        held = col["held"][idx] == 1.0
        y, x = col["value"][idx], col["pre"][idx]
        yc, yt, xc, xt = y[held], y[~held], x[held], x[~held]
        sxx = ((xc - xc.mean()) ** 2).sum() + ((xt - xt.mean()) ** 2).sum()
        sxy = ((xc - xc.mean()) * (yc - yc.mean())).sum() + ((xt - xt.mean()) * (yt - yt.mean())).sum()
        theta = sxy / sxx
        mx = x.mean()
        ac, at = yc - theta * (xc - mx), yt - theta * (xt - mx)
        r = stats.ttest_ind(at, ac, equal_var=False)
        ci = r.confidence_interval(0.95)
        diff = at.mean() - ac.mean()
        se = diff / r.statistic
        srm = stats.binomtest(int(held.sum()), int(held.size), 0.1).pvalue
        half = sequential_half(se, held.size)
        out[play] = {"difference": diff, "p_value": r.pvalue, "ci_low": ci.low, "ci_high": ci.high, "srm": srm, "seq_low": diff - half}
    return out


def retention(col, parts):
    out = {}
    for play, idx in parts:
        held = col["held"][idx] == 1.0
        d, e = col["duration"][idx], col["churned"][idx] == 1.0

        def data(mask, d=d, e=e):
            return stats.CensoredData(uncensored=d[mask & e], right=d[mask & ~e])

        st = stats.ecdf(data(~held)).sf.evaluate(90.0)
        sc = stats.ecdf(data(held)).sf.evaluate(90.0)
        lr = stats.logrank(data(~held), data(held))
        out[play] = {"difference": float(st - sc), "log_rank_p": lr.pvalue}
    return out


def main():
    col = load()
    reference = json.loads((DIR / "custfit.json").read_text())
    for name, fn in (("metric", metric), ("retention", retention)):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            parts = groups(col)
            result = fn(col, parts)
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"{name:9}: {col['play'].size} observations, {len(result)} plays: median {times[2]:.3f} s (min {times[0]:.3f})")
        worst = 0.0
        for r in reference[name]:
            play = int(r["group"][5:])
            ours = result[play]
            pairs = [("difference", r["difference"])]
            if name == "metric":
                pairs += [("p_value", r["p_value"]), ("ci_low", r["ci_low"]), ("ci_high", r["ci_high"]), ("srm", r["srm"]["p_value"])]
                pairs += [("seq_low", r["sequential"]["ci_low"])]
            else:
                pairs += [("log_rank_p", r["retention"]["log_rank"]["p_value"])]
            for key, value in pairs:
                worst = max(worst, abs(ours[key] - value) / max(1.0, abs(value)))
        print(f"           largest relative difference from custfit over every play and figure: {worst:.1e}")
        if worst > 1e-9:
            sys.exit("the numbers differ")


if __name__ == "__main__":
    main()
