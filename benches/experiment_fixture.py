"""Writes tests/cases/experiment/*.json from independent references: SciPy for Welch, Kaplan-Meier
and the log-rank test, a Python transcription of the holdout draw and the stratified dealing
described in the guide, published figures (R's power.prop.test, GrowthBook's gbstats tests).

Run with a venv holding numpy and scipy (benches/requirements.txt):
    .venv-bench/bin/python benches/experiment_fixture.py
"""

import json
import math
import re
from pathlib import Path

import numpy as np
from scipy import stats

OUT = Path(__file__).resolve().parent.parent / "tests" / "cases" / "experiment"
MASK = (1 << 64) - 1


def draw(account: str, play: str, salt: str) -> float:
    """The holdout draw, transcribed from its description in the guide."""
    h = 0xCBF29CE484222325
    for b in salt.encode() + b"\x1f" + play.encode() + b"\x1f" + account.encode():
        h ^= b
        h = (h * 0x100000001B3) & MASK
    x = h
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    x ^= x >> 31
    return (x >> 11) / float(1 << 53)


def write(name: str, case: dict) -> None:
    text = json.dumps(case, indent=1, ensure_ascii=False)
    # Arrays of scalars on one line.
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    (OUT / f"{name}.json").write_text(text + "\n")


def frame(as_of, ids, **cols):
    columns = {"account_id": ids}
    columns.update(cols)
    return {"as_of": as_of, "columns": columns}


# ---- assignment
accounts = ["acc-1", "acc-2", "acc-000123", "Ünïcødé-客户", ""]
for i, (acc, play, salt) in enumerate([(a, "check_in_call", "2026") for a in accounts] + [("acc-1", "", "g"), ("acc-1", "p", "")]):
    write(
        f"holdout_draw_{i}",
        {
            "description": "The holdout draw: FNV-1a 64 of salt 0x1F play 0x1F account, splitmix64's finaliser, top 53 bits / 2^53 — "
            "reproduced by a Python transcription of that description",
            "call": "holdout_draw",
            "input": {"account": acc, "play": play, "salt": salt},
            "expected": {"value": draw(acc, play, salt)},
            "tolerance": 1e-15,
        },
    )

LEVEL = {"type": "level", "cooldown": {"amount": 7, "unit": "days"}}


def play_book(holdout, global_holdout=None):
    book = {
        "version": 1,
        "name": "exp",
        "plays": [
            {
                "id": "check_in",
                "trigger": {"type": "condition", "when": "x > 10"},
                "firing": LEVEL,
                "tactic": {"kind": "call"},
                "holdout": holdout,
            }
        ],
    }
    if global_holdout:
        book["holdout"] = global_holdout
    return book



ids1 = [f"a{i:02d}" for i in range(12)]
ids2 = [f"a{i:02d}" for i in range(24)]
held1 = [a for a in ids1 if draw(a, "check_in", "s") < 0.5]
fired1 = [a for a in ids1 if a not in held1]
# Second run, eight days later, with the share grown to 0.8 and a new salt: the accounts of the
# first run keep their arms (both runs fire: the cooldown is 7 days), new ones are dealt at 0.8.
held2 = sorted(held1 + [a for a in ids2 if a not in ids1 and draw(a, "check_in", "t") < 0.8])
write(
    "play_holdout_grows",
    {
        "description": "A play's holdout: accounts whose draw is below the share are recorded with arm holdout and status held_out "
        "(not fired). Eight days later (past the 7-day cooldown) with the share grown to 80 % and a new salt, every account of the "
        "first run keeps its arm (arms are kept per play version) and new accounts are held out when their draw under the new salt "
        "is below 0.8",
        "call": "play_run",
        "input": {
            "playbook": play_book({"share": 0.5, "salt": "s"}),
            "runs": [
                {
                    "frame": frame("2024-03-01", ids1, x=[20.0] * 12),
                    "close": [{"key": f"check_in@1:{a}:2024-03-01", "status": "done", "at": "2024-03-02T00:00:00Z"} for a in fired1],
                },
                {"playbook": play_book({"share": 0.8, "salt": "t"}), "frame": frame("2024-03-09", ids2, x=[20.0] * 24)},
            ],
        },
        "expected": {
            "runs": [
                {
                    "held_out": [
                        {"account_id": a, "arm": "holdout", "status": "held_out", "closed_at": "2024-03-01T00:00:00Z", "reasons": {"x": 20.0}}
                        for a in held1
                    ],
                    "fired": [{"account_id": a, "status": "open"} for a in fired1],
                },
                {
                    "held_out": [{"account_id": a, "arm": "holdout"} for a in held2],
                    "fired": [{"account_id": a} for a in ids2 if a not in held2],
                },
            ]
        },
    },
)

# Stratified dealing, transcribed: per stratum, the new accounts in draw order (then id) are held
# out until the stratum's holdout count reaches round-half-up(share x enrolled).
tiers = {a: ("gold" if i % 3 == 0 else "silver") for i, a in enumerate(ids2)}
def deal(new, enrolled, share, salt):
    held = []
    for tier in sorted(set(tiers.values())):
        rows = sorted((draw(a, "check_in", salt), a) for a in new if tiers[a] == tier)
        h = sum(1 for a, arm in enrolled.items() if tiers[a] == tier and arm == "holdout")
        t = sum(1 for a in enrolled if tiers[a] == tier)
        k = max(0, min(len(rows), math.floor(0.3 * (t + len(rows)) + 0.5) - h))
        held += [a for _, a in rows[:k]]
    return sorted(held)
run1 = ids2[:10]
s_held1 = deal(run1, {}, 0.3, "s")
enrolled = {a: ("holdout" if a in s_held1 else "treatment") for a in run1}
run2 = ids2[:24]
s_held2 = sorted(set(s_held1) | set(deal([a for a in run2 if a not in run1], enrolled, 0.3, "s")))
book = play_book({"share": 0.3, "salt": "s", "stratify_by": "tier"})
write(
    "play_holdout_stratified",
    {
        "description": "A stratified holdout (30 %, by tier): within each tier the new accounts of a run, in draw order then id, are "
        "held out until the tier's holdout count reaches 30 % of its enrolled accounts (rounded half up), counting the accounts the "
        "ledger already holds; the second run deals only the new accounts and keeps the first run's arms",
        "call": "play_run",
        "input": {
            "playbook": book,
            "runs": [
                {
                    "frame": frame("2024-03-01", run1, x=[20.0] * 10, tier=[tiers[a] for a in run1]),
                    "close": [{"key": f"check_in@1:{a}:2024-03-01", "status": "done", "at": "2024-03-02T00:00:00Z"} for a in run1 if a not in s_held1],
                },
                {"frame": frame("2024-03-09", run2, x=[20.0] * 24, tier=[tiers[a] for a in run2])},
            ],
        },
        "expected": {
            "runs": [
                {"held_out": [{"account_id": a} for a in s_held1]},
                {"held_out": [{"account_id": a} for a in s_held2]},
            ]
        },
    },
)

g_held = [a for a in ids1 if draw(a, "", "g") < 0.25]
p_held = [a for a in ids1 if a not in g_held and draw(a, "check_in", "s") < 0.5]
write(
    "play_global_holdout",
    {
        "description": "The global holdout (25 %, salt g; the draw's play is empty) comes first: its accounts are recorded as "
        "global_holdout by every play that would act on them; of the rest, the play's own holdout takes those below its share",
        "call": "play_run",
        "input": {
            "playbook": play_book({"share": 0.5, "salt": "s"}, {"share": 0.25, "salt": "g"}),
            "runs": [{"frame": frame("2024-03-01", ids1, x=[20.0] * 12)}],
        },
        "expected": {
            "runs": [
                {
                    "held_out": [
                        {"account_id": a, "arm": "global_holdout" if a in g_held else "holdout"} for a in sorted(g_held + p_held)
                    ],
                    "fired": [{"account_id": a} for a in ids1 if a not in g_held and a not in p_held],
                }
            ]
        },
    },
)

write(
    "error_holdout_share",
    {
        "description": "A holdout share outside 0..=0.9 is a config error naming the play's holdout",
        "call": "play_run",
        "input": {"playbook": play_book({"share": 0.95}), "runs": [{"frame": frame("2024-03-01", ["a"], x=[20.0])}]},
        "error": {"code": "invalid_config"},
    },
)

# ---- sample ratio mismatch
chi = sum((o - 8572.0) ** 2 / 8572.0 for o in (9463, 7681))
write(
    "srm_published",
    {
        "description": "The sample-ratio check of 9,463 vs 7,681 accounts at 50/50: chi-square about 185.2 (the figure published "
        "with the SRM checker's documentation), a mismatch",
        "call": "sample_ratio_mismatch",
        "input": {"observed": [9463, 7681], "shares": [0.5, 0.5], "threshold": 0.001},
        "expected": {"chi_square": chi, "degrees_of_freedom": 1, "mismatch": True, "exact": True, "expected": [8572.0, 8572.0]},
        "tolerance": 1e-9,
    },
)
p_exact = stats.binomtest(12, 40, 0.5).pvalue
write(
    "srm_small_exact",
    {
        "description": "Small arms get the exact two-sided binomial test (SciPy binomtest(12, 40, 0.5))",
        "call": "sample_ratio_mismatch",
        "input": {"observed": [12, 28], "shares": [1, 1], "threshold": 0.01},
        "expected": {"p_value": p_exact, "exact": True, "mismatch": False},
        "tolerance": 1e-9,
    },
)
obs3 = [480, 260, 260]
exp3 = [500.0, 250.0, 250.0]
chi3 = sum((o - e) ** 2 / e for o, e in zip(obs3, exp3))
write(
    "srm_three_arms",
    {
        "description": "Three arms: Pearson's chi-square with two degrees of freedom (SciPy chisquare)",
        "call": "sample_ratio_mismatch",
        "input": {"observed": obs3, "shares": [0.5, 0.25, 0.25], "threshold": 0.001},
        "expected": {"chi_square": chi3, "p_value": stats.chisquare(obs3, exp3).pvalue, "degrees_of_freedom": 2, "exact": False},
        "tolerance": 1e-9,
    },
)
write(
    "error_srm_shares",
    {
        "description": "As many shares as arms are needed",
        "call": "sample_ratio_mismatch",
        "input": {"observed": [10, 20], "shares": [1.0], "threshold": 0.001},
        "error": {"code": "invalid_argument"},
    },
)

# ---- power
write(
    "power_prop_test",
    {
        "description": "R's power.prop.test(p1 = .50, p2 = .75, power = .90): n = 76.7 per group",
        "call": "sample_size_proportions",
        "input": {"baseline": 0.5, "mde": 0.25, "alpha": 0.05, "power": 0.9, "ratio": 1.0},
        "expected": {"control": 77, "treatment": 77, "control_exact": 76.65},
        "tolerance": 1e-3,
    },
)
write(
    "power_prop_test_reverse",
    {
        "description": "R's power.prop.test(n = 50, p1 = .50, p2 = .75) has power 0.7401659: with 50 accounts per arm at that "
        "power, the detectable lift from 0.5 is 0.25",
        "call": "mde_proportions",
        "input": {"baseline": 0.5, "control": 50, "treatment": 50, "alpha": 0.05, "power": 0.7401659},
        "expected": {"value": 0.25},
        "tolerance": 1e-5,
    },
)
z = stats.norm.ppf
n_means = ((z(0.975) + z(0.8)) * 12.0 / 2.0) ** 2 * (1 + 1 / 2.0)
write(
    "power_means",
    {
        "description": "Accounts per arm for a 2-day change of a mean with sd 12, 80 % power at 5 %, two treated per control "
        "((z_0.975 + z_0.8) sd / mde)^2 (1 + 1/ratio)",
        "call": "sample_size_means",
        "input": {"sd": 12.0, "mde": 2.0, "alpha": 0.05, "power": 0.8, "ratio": 2.0},
        "expected": {"control_exact": n_means, "control": math.ceil(n_means), "treatment": math.ceil(2 * math.ceil(n_means))},
        "tolerance": 1e-9,
    },
)
write(
    "power_mde_means",
    {
        "description": "The smallest change of a mean (sd 12) detectable with 400 and 400 accounts, 80 % power at 5 %",
        "call": "mde_means",
        "input": {"sd": 12.0, "control": 400, "treatment": 400, "alpha": 0.05, "power": 0.8},
        "expected": {"value": (z(0.975) + z(0.8)) * 12.0 * math.sqrt(2 / 400)},
        "tolerance": 1e-9,
    },
)
write(
    "error_power_levels",
    {
        "description": "A power below 0.5 is refused",
        "call": "sample_size_means",
        "input": {"sd": 1.0, "mde": 0.1, "alpha": 0.05, "power": 0.3, "ratio": 1.0},
        "error": {"code": "invalid_argument"},
    },
)

# ---- estimators
C = [3.1, 2.4, 5.6, 4.0, 3.3, 2.9, 4.4, 3.8]
T = [4.2, 5.1, 3.9, 6.0, 4.8, 5.5, 4.1, 5.0, 4.6]
r = stats.ttest_ind(T, C, equal_var=False)
ci = r.confidence_interval(0.95)
write(
    "welch_scipy",
    {
        "description": "Welch's difference of means equals SciPy's ttest_ind(treatment, control, equal_var=False): statistic, "
        "p-value, degrees of freedom, 95 % interval",
        "call": "welch",
        "input": {"control": C, "treatment": T, "confidence": 0.95},
        "expected": {
            "difference": float(np.mean(T) - np.mean(C)),
            "std_error": float((np.mean(T) - np.mean(C)) / r.statistic),
            "p_value": float(r.pvalue),
            "degrees_of_freedom": float(r.df),
            "ci_low": float(ci.low),
            "ci_high": float(ci.high),
            "relative_lift": float((np.mean(T) - np.mean(C)) / np.mean(C)),
            "control_n": 8,
            "treatment_n": 9,
        },
        "tolerance": 1e-9,
    },
)
write(
    "error_welch_short",
    {
        "description": "An arm needs at least two values",
        "call": "welch",
        "input": {"control": [1.0], "treatment": T, "confidence": 0.95},
        "error": {"code": "invalid_argument"},
    },
)
A = {"n": 3407, "sum": 1396.87, "sum_squares": 52377.9767}
B = {"n": 3461, "sum": 2422.7, "sum_squares": 134698.29}
write(
    "welch_summary_growthbook",
    {
        "description": "GrowthBook's gbstats TwoSidedTTest figures (5 decimals): absolute 0.29, CI (0.04538, 0.53462), sd 0.12478, "
        "p 0.02016; relative 0.70732, CI (-0.03526, 1.44989), sd 0.37879",
        "call": "welch_summary",
        "input": {"control": A, "treatment": B, "confidence": 0.95},
        "expected": {
            "effect": {
                "difference": 0.29,
                "ci_low": 0.04538,
                "ci_high": 0.53462,
                "std_error": 0.12478,
                "p_value": 0.02016,
                "relative_lift": 0.70732,
                "relative_ci_low": -0.03526,
                "relative_ci_high": 1.44989,
                "relative_std_error": 0.37879,
            },
            "sequential": None,
        },
        "tolerance": 5e-5,
    },
)
write(
    "sequential_growthbook",
    {
        "description": "GrowthBook's gbstats SequentialTwoSidedTTest with tuning 1000 (control n 3000): relative 0.50336, CI "
        "(-0.55844, 1.56516), sd 0.33341, p 1",
        "call": "welch_summary",
        "input": {"control": dict(A, n=3000), "treatment": B, "confidence": 0.95, "tuning": 1000},
        "expected": {
            "effect": {"relative_lift": 0.50336, "relative_std_error": 0.33341},
            "sequential": {"relative_ci_low": -0.55844, "relative_ci_high": 1.56516, "p_value": 1.0, "tuning": 1000.0},
        },
        "tolerance": 5e-5,
    },
)

rng = np.random.default_rng(7)
xc = rng.normal(10, 3, 40).round(3)
xt = rng.normal(10, 3, 44).round(3)
yc = (0.8 * xc + rng.normal(0, 1, 40)).round(3)
yt = (0.8 * xt + 0.5 + rng.normal(0, 1, 44)).round(3)
sxx = ((xc - xc.mean()) ** 2).sum() + ((xt - xt.mean()) ** 2).sum()
sxy = ((xc - xc.mean()) * (yc - yc.mean())).sum() + ((xt - xt.mean()) * (yt - yt.mean())).sum()
theta = sxy / sxx
mx = np.concatenate([xc, xt]).mean()
ac, at = yc - theta * (xc - mx), yt - theta * (xt - mx)
syy = ((yc - yc.mean()) ** 2).sum() + ((yt - yt.mean()) ** 2).sum()
saa = ((ac - ac.mean()) ** 2).sum() + ((at - at.mean()) ** 2).sum()
rc = stats.ttest_ind(at, ac, equal_var=False)
cic = rc.confidence_interval(0.95)
write(
    "cuped_reference",
    {
        "description": "CUPED: theta pooled within arms (numpy), the adjusted outcome y - theta (x - mean x) compared by SciPy's "
        "Welch test, the variance reduction 1 - SS(adjusted) / SS(y) within arms",
        "call": "cuped",
        "input": {"control": {"y": yc.tolist(), "x": xc.tolist()}, "treatment": {"y": yt.tolist(), "x": xt.tolist()}, "confidence": 0.95},
        "expected": {
            "theta": float(theta),
            "variance_reduction": float(1 - saa / syy),
            "effect": {"difference": float(at.mean() - ac.mean()), "p_value": float(rc.pvalue), "ci_low": float(cic.low), "ci_high": float(cic.high)},
        },
        "tolerance": 1e-9,
    },
)

DA = [5.0, 8.0, 8.0, 12.0, 15.0, 20.0, 22.0, 30.0, 30.0, 30.0, 35.0, 40.0]
EA = [True, True, False, True, False, True, True, False, False, True, True, False]
DB = [3.0, 6.0, 6.0, 9.0, 10.0, 14.0, 18.0, 21.0, 25.0, 28.0]
EB = [True, True, True, False, True, True, False, True, True, True]
def censored(d, e):
    return stats.CensoredData(uncensored=[x for x, f in zip(d, e) if f], right=[x for x, f in zip(d, e) if not f])
res = stats.ecdf(censored(DA, EA))
sf = res.sf
ci_km = sf.confidence_interval(0.95, method="log-log")
times = sorted({x for x, f in zip(DA, EA) if f})
steps = []
for t in times:
    k = list(sf.quantiles).index(t)
    steps.append({"time": t, "survival": float(sf.probabilities[k]), "ci_low": float(ci_km.low.probabilities[k]), "ci_high": float(ci_km.high.probabilities[k])})
write(
    "kaplan_meier_scipy",
    {
        "description": "Kaplan-Meier survival with its log(-log) 95 % interval equals SciPy's ecdf on censored data",
        "call": "kaplan_meier",
        "input": {"durations": DA, "events": EA, "confidence": 0.95},
        "expected": {"subjects": 12, "events": 7, "steps": steps},
        "tolerance": 1e-9,
    },
)
lr = stats.logrank(censored(DA, EA), censored(DB, EB))
write(
    "log_rank_scipy",
    {
        "description": "The log-rank test equals SciPy's logrank: chi-square = statistic^2, p-value",
        "call": "log_rank",
        "input": {"a": {"durations": DA, "events": EA}, "b": {"durations": DB, "events": EB}},
        "expected": {"chi_square": float(lr.statistic) ** 2, "p_value": float(lr.pvalue), "observed": [7, 8]},
        "tolerance": 1e-9,
    },
)

# ---- analysis of observations
obs = []
vals_t = [12.0, 15.0, 9.0, 14.0, 16.0, 11.0, 13.0, 17.0]
vals_c = [10.0, 8.0, 11.0, 9.0, 12.0, 7.0, 10.0]
pre_t = [10.0, 12.0, 8.0, 11.0, 13.0, 9.0, 10.0, 14.0]
pre_c = [9.0, 8.0, 10.0, 9.0, 11.0, 6.0, 9.0]
for i, (v, p) in enumerate(zip(vals_t, pre_t)):
    obs.append({"group": "check_in", "account_id": f"t{i}", "arm": "treatment", "entered": "2024-03-01T00:00:00Z", "value": v, "pre": p})
for i, (v, p) in enumerate(zip(vals_c, pre_c)):
    obs.append({"group": "check_in", "account_id": f"c{i}", "arm": "holdout", "entered": "2024-03-01T00:00:00Z", "value": v, "pre": p})
obs.append({"group": "check_in", "account_id": "late", "arm": "treatment", "entered": "2024-03-20T00:00:00Z", "value": None, "pre": 5.0})
rw = stats.ttest_ind(vals_t, vals_c, equal_var=False)
cw = rw.confidence_interval(0.95)
write(
    "analyse_metric_plain",
    {
        "description": "A metric outcome without CUPED: Welch on the observed accounts (SciPy); an account not observed yet counts "
        "in its arm's size, not in the estimate; 8 and 7 observed accounts with min_per_arm 5 and an interval above 0: works",
        "call": "analyse_observations",
        "input": {
            "observations": obs,
            "config": {"version": 1, "outcome": {"type": "metric", "metric": "active_days_30d"}, "cuped": False, "min_per_arm": 5},
        },
        "expected": {
            "outcome": "metric:active_days_30d",
            "results": [
                {
                    "group": "check_in",
                    "control": "holdout",
                    "treatment_accounts": 9,
                    "control_accounts": 7,
                    "treatment_observed": 8,
                    "control_observed": 7,
                    "treatment_value": float(np.mean(vals_t)),
                    "control_value": float(np.mean(vals_c)),
                    "difference": float(np.mean(vals_t) - np.mean(vals_c)),
                    "p_value": float(rw.pvalue),
                    "ci_low": float(cw.low),
                    "ci_high": float(cw.high),
                    "cuped": None,
                    "srm": None,
                    "verdict": "works",
                }
            ],
        },
        "tolerance": 1e-9,
    },
)
write(
    "analyse_metric_srm",
    {
        "description": "With an expected control share of 0.1, 9 treated vs 7 control accounts is a sample ratio mismatch "
        "(exact binomial p below 0.001): the verdict says to check the assignment first",
        "call": "analyse_observations",
        "input": {
            "observations": obs,
            "config": {
                "version": 1,
                "outcome": {"type": "metric", "metric": "active_days_30d"},
                "min_per_arm": 5,
                "expected_control_share": {"check_in": 0.1},
            },
        },
        "expected": {
            "results": [
                {
                    "srm": {"observed": [9, 7], "exact": True, "mismatch": True, "p_value": float(stats.binomtest(7, 16, 0.1).pvalue)},
                    "verdict": "sample_ratio_mismatch",
                }
            ]
        },
        "tolerance": 1e-9,
    },
)
write(
    "analyse_not_enough_data",
    {
        "description": "Fewer observed accounts than min_per_arm (default 30): not enough data, whatever the interval",
        "call": "analyse_observations",
        "input": {"observations": obs, "config": {"version": 1, "outcome": {"type": "metric", "metric": "active_days_30d"}}},
        "expected": {"results": [{"verdict": "not_enough_data", "cuped": {}}]},
    },
)
# Retention observations: durations and churn flags; the survival at 30 days per arm.
ret = []
for i, (d, e) in enumerate(zip(DA, EA)):
    ret.append({"group": "renewal_review", "account_id": f"t{i}", "arm": "treatment", "entered": "2024-01-01T00:00:00Z", "duration_days": d, "churned": e})
for i, (d, e) in enumerate(zip(DB, EB)):
    ret.append({"group": "renewal_review", "account_id": f"c{i}", "arm": "global_holdout", "entered": "2024-01-01T00:00:00Z", "duration_days": d, "churned": e})
st = stats.ecdf(censored(DA, EA)).sf.evaluate(30.0)
sc = stats.ecdf(censored(DB, EB)).sf.evaluate(30.0)
write(
    "analyse_retention",
    {
        "description": "Retention as a censored outcome: without a play holdout the global holdout is the control (control auto); "
        "each arm's Kaplan-Meier survival at the 30-day horizon (SciPy ecdf) and the log-rank test (SciPy logrank)",
        "call": "analyse_observations",
        "input": {
            "observations": ret,
            "config": {"version": 1, "outcome": {"type": "retention", "horizon": {"amount": 30, "unit": "days"}}, "min_per_arm": 5},
        },
        "expected": {
            "outcome": "retention",
            "results": [
                {
                    "control": "global_holdout",
                    "treatment_value": float(st),
                    "control_value": float(sc),
                    "difference": float(st - sc),
                    "retention": {"horizon_days": 30.0, "log_rank": {"p_value": float(lr.pvalue)}},
                }
            ],
        },
        "tolerance": 1e-9,
    },
)
write(
    "error_analyse_config",
    {
        "description": "A confidence outside (0.5, 1) is a config error",
        "call": "analyse_observations",
        "input": {"observations": obs, "config": {"version": 1, "outcome": {"type": "revenue"}, "confidence": 1.5}},
        "error": {"code": "invalid_config"},
    },
)
write(
    "error_analyse_duplicate",
    {
        "description": "An account may appear once per group",
        "call": "analyse_observations",
        "input": {"observations": obs + obs[:1], "config": {"version": 1, "outcome": {"type": "revenue"}}},
        "error": {"code": "invalid_argument"},
    },
)
print("written", len(list(OUT.glob("*.json"))))
