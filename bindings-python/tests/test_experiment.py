"""Experiments from Python: holdout draws (the same numbers as Rust and Node), holdouts in a
playbook run, the sample-ratio check, power, Welch with GrowthBook's and SciPy's published
figures, the always-valid interval, CUPED, Kaplan-Meier and log-rank against SciPy, the analysis
of a ledger, the simulated experiment with a known effect, and bad input (stable ``.code``, the
argument named in ``.field``). The golden cases of tests/cases/experiment run in test_cases.py;
the user guide includes the ANCHOR regions of this file."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import custfit
import numpy as np
import pytest

# ------------------------------------------------------------------ holdout draws


def fnv_splitmix(account: str, play: str, salt: str) -> float:
    """The draw as ``holdout_draw`` documents it, written out in Python."""
    mask = (1 << 64) - 1
    h = 0xCBF29CE484222325
    for b in salt.encode() + b"\x1f" + play.encode() + b"\x1f" + account.encode():
        h = ((h ^ b) * 0x100000001B3) & mask
    x = h
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
    x ^= x >> 31
    return (x >> 11) / 2**53


def test_holdout_draws_are_the_rust_numbers():
    # Computed by custfit::play::holdout_draw in Rust; the Node suite asserts the same values.
    assert abs(custfit.holdout_draw("acc-1", "check_in_call", "2026") - 0.4471524387426412) <= 1e-15
    assert abs(custfit.holdout_draw("acc-2", "check_in_call", "2026") - 0.4267940517269929) <= 1e-15
    assert abs(custfit.holdout_draw("acc-1", "", "2026") - 0.4072135654677299) <= 1e-15  # the global holdout's draw
    assert abs(custfit.holdout_draw("acc-000001", "check_in_call", "") - 0.5605077782469768) <= 1e-15
    # The documented algorithm, reproduced in Python, gives the very same numbers.
    for i in range(500):
        account, salt = f"acc-{i:06d}", ("", "2026", "ü🙂")[i % 3]
        assert custfit.holdout_draw(account, "check_in_call", salt) == fnv_splitmix(account, "check_in_call", salt)


def test_held_out_below_the_share_and_nested():
    ids = [f"acc-{i}" for i in range(20_000)]
    for share in (0.1, 0.2, 0.5):
        held = [a for a in ids if custfit.is_held_out(a, "p", "s", share)]
        assert abs(len(held) / len(ids) - share) < 0.015
        assert all(custfit.holdout_draw(a, "p", "s") < share for a in held)
    # Growing the share keeps every earlier holdout account; a new salt deals anew.
    ten = {a for a in ids if custfit.is_held_out(a, "p", "s", 0.1)}
    assert ten <= {a for a in ids if custfit.is_held_out(a, "p", "s", 0.2)}
    assert ten != {a for a in ids if custfit.is_held_out(a, "p", "t", 0.1)}
    # Out-of-range shares are clamped, NaN holds nobody out.
    assert custfit.is_held_out("x", "p", "s", 2.0) and not custfit.is_held_out("x", "p", "s", -1.0)
    assert not custfit.is_held_out("x", "p", "s", math.nan)


# ------------------------------------------------------------------ holdouts in a playbook

TRIGGER = {"type": "condition", "when": "days_since_last_activity > 7"}


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=300, days=200, seed=5, activity_scale=0.3)


def test_a_playbook_with_holdouts(sim):
    snap = sim.dataset.snapshot(sim.end)
    # ANCHOR: holdout
    book = custfit.Playbook(
        {
            "version": 1,
            "name": "proof",
            # 10 % of all accounts no play acts on: the baseline of the whole playbook.
            "holdout": {"share": 0.1, "salt": "2026"},
            "plays": [
                {
                    "id": "check_in_call",
                    "trigger": {"type": "condition", "when": "days_since_last_activity > 7"},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "call", "effort_hours": 0.5},
                    # 20 % of the accounts this play would call, dealt evenly within each tier.
                    "holdout": {"share": 0.2, "salt": "2026", "stratify_by": "tier"},
                }
            ],
        }
    )
    frame = snap.with_columns(custfit.pareto_tiers(snap))  # adds the `tier` column
    run, state = custfit.run_playbook(book, frame)
    for action in run["held_out"]:  # recorded, not acted on: the comparison group
        print(action["account_id"], action["arm"], action["status"])
    # acc-000010 global_holdout held_out
    # acc-000020 holdout held_out
    # …
    # ANCHOR_END: holdout
    fired, held = run["fired"], run["held_out"]
    assert fired and held
    assert all("arm" not in a and a["status"] == "open" for a in fired)  # the treated arm is not written
    for a in held:
        assert a["arm"] in ("holdout", "global_holdout") and a["status"] == "held_out"
        assert a["closed_at"] == a["created_at"] == run["as_of"]
        assert a["key"] == f"check_in_call@1:{a['account_id']}:{sim.end.date().isoformat()}"
    table = frame.to_dict()
    rows = {a: {c: table[c][i] for c in table} for i, a in enumerate(table["account_id"])}
    eligible = {a for a, r in rows.items() if r["days_since_last_activity"] is not None and r["days_since_last_activity"] > 7}
    assert sorted(a["account_id"] for a in fired + held) == sorted(eligible)
    # The global holdout is every eligible account whose draw for the play "" is below 10 %.
    in_global = {a for a in eligible if custfit.holdout_draw(a, "", "2026") < 0.1}
    assert {a["account_id"] for a in held if a["arm"] == "global_holdout"} == in_global
    # Within each tier, the play holds out 20 % of the rest (rounded half up).
    for tier in {r["tier"] for r in rows.values()}:
        dealt = [a for a in fired + held if rows[a["account_id"]]["tier"] == tier and a.get("arm") != "global_holdout"]
        own = sum(a.get("arm") == "holdout" for a in dealt)
        assert own == math.floor(0.2 * len(dealt) + 0.5), tier
    # Held-out actions spend no hours and are in the ledger, closed; a rerun records nothing new.
    assert state.open_actions() == fired
    assert [a["key"] for a in state.actions() if a["status"] == "held_out"] == [a["key"] for a in held]
    again, _ = custfit.run_playbook(book, frame, state)
    assert again["fired"] == [] and again["held_out"] == []
    # The ledger keeps the arm through JSON and Arrow.
    assert custfit.PlayState.from_json(state.to_json()) == state
    assert custfit.PlayState.from_arrow(*state.to_arrow()) == state
    assert "arm" in state.to_arrow()[0].column_names


def test_an_account_keeps_its_arm(sim):
    book = {
        "name": "sticky",
        "plays": [
            {
                "id": "nudge",
                "trigger": TRIGGER,
                "firing": {"type": "level", "cooldown": {"amount": 7, "unit": "days"}},
                "tactic": {"kind": "email"},
                "holdout": {"share": 0.5, "salt": "a"},
            }
        ],
    }
    dry, state = custfit.dry_run(book, sim.dataset, {"version": 1}, weekly(sim, 10))
    arms: dict[str, set[str]] = {}
    for a in state.actions():
        arms.setdefault(a["account_id"], set()).add(a.get("arm", "treatment"))
    assert len(arms) > 50 and all(len(s) == 1 for s in arms.values())
    for account, (arm,) in arms.items():
        assert (arm == "holdout") == custfit.is_held_out(account, "nudge", "a", 0.5)
    assert sum(len(r["held_out"]) for r in dry["runs"]) == sum(a["status"] == "held_out" for a in state.actions())


# ------------------------------------------------------------------ sample ratio and power


def test_sample_ratio_mismatch():
    check = custfit.sample_ratio_mismatch([9463, 7681], [0.5, 0.5])
    assert abs(check["chi_square"] - 185.23) < 0.01
    assert check["mismatch"] and check["exact"] and check["p_value"] < 1e-30
    assert check["expected"] == [8572.0, 8572.0] and check["degrees_of_freedom"] == 1
    fine = custfit.sample_ratio_mismatch([500, 500], [1, 1])
    assert not fine["mismatch"] and abs(fine["p_value"] - 1.0) < 1e-12
    # Three arms: the chi-square distribution (scipy.stats.chisquare([30, 40, 30])).
    three = custfit.sample_ratio_mismatch([30, 40, 30], [1, 1, 1], threshold=0.01)
    assert not three["exact"] and abs(three["p_value"] - 0.3678794411714425) < 1e-9
    # Shares are weights: 10/90 as 0.1/0.9.
    assert custfit.sample_ratio_mismatch([12, 88], [1, 9]) == custfit.sample_ratio_mismatch([12, 88], [0.1, 0.9])


@pytest.fixture(scope="module")
def planned() -> tuple[dict, dict, custfit.PlayState]:
    """A playbook with a play's holdout (20 %) and a global one (5 %), and its weekly dry run over
    a simulated base from day 60 to day 150: (the playbook's document, the dry run, its ledger)."""
    sim = custfit.simulate(accounts=800, days=240, seed=42, activity_scale=0.3)
    book = {
        "version": 1,
        "name": "adoption",
        "holdout": {"share": 0.05, "salt": "2026"},
        "plays": [
            {
                "id": "check_in",
                "trigger": {"type": "condition", "when": "active_days_30d < 8"},
                "firing": {"type": "edge"},
                "tactic": {"kind": "call"},
                "holdout": {"share": 0.2, "salt": "2026"},
            }
        ],
    }
    replay = {
        "from": (sim.start + timedelta(days=60)).isoformat(),
        "to": (sim.start + timedelta(days=150)).isoformat(),
        "step": {"amount": 7, "unit": "days"},
    }
    dry, ledger = custfit.dry_run(book, sim.dataset, {"version": 1}, replay)
    return book, dry, ledger


def test_power_and_sample_size(planned):
    book, dry, _ = planned
    # R: power.prop.test(p1 = 0.5, p2 = 0.75, power = 0.9) gives n = 76.65.
    n = custfit.sample_size_proportions(0.5, 0.25, alpha=0.05, power=0.9)
    assert n["control"] == n["treatment"] == 77 and abs(n["control_exact"] - 76.7) < 0.05
    mde = custfit.mde_proportions(0.5, 77, 77, power=0.9)
    assert mde is not None and 0.245 < mde < 0.25
    assert custfit.mde_proportions(0.5, 2, 2) is None  # no rise up to 100 % is detectable
    # R: power.t.test(delta = 1, sd = 1, power = 0.8) gives n = 16.71 (t); the normal one 15.70.
    assert abs(custfit.sample_size_means(1.0, 1.0)["control_exact"] - 15.698) < 0.001
    assert abs(custfit.mde_means(1.0, 16, 16) - 0.9905) < 0.001
    # An uneven split: fewer control accounts, more treated ones.
    uneven, even = custfit.sample_size_proportions(0.1, 0.02, ratio=9), custfit.sample_size_proportions(0.1, 0.02)
    assert uneven["control"] < even["control"] and uneven["treatment"] > even["treatment"]

    # ANCHOR: power
    # How many accounts per arm to see retention rise 5 points from 80 %?
    need = custfit.sample_size_proportions(baseline=0.80, mde=0.05, alpha=0.05, power=0.8)
    print(need["control"], need["treatment"])
    # 906 906
    # 400 accounts a month enter the play, 20 % held out: after 3 months, what can we see?
    control, treated = int(400 * 3 * 0.2), int(400 * 3 * 0.8)
    print(custfit.mde_proportions(baseline=0.80, control=control, treatment=treated))
    # 0.0728… (7.3 points)
    # From a dry run of a playbook (`dry`, as custfit.dry_run returned it): per play, the
    # accounts it enrolls a month and the smallest rise 3 months of them can detect.
    plan = custfit.power_plan(book, dry, {"outcome": {"type": "rate", "baseline": 0.80}, "months": 3})
    print(plan[0]["play"], plan[0]["accounts_per_month"], plan[0]["detectable_effect"])
    # check_in 108.70… 0.125…
    # ANCHOR_END: power
    assert need == {"control": 906, "treatment": 906, "control_exact": pytest.approx(need["control_exact"])}
    assert 905 < need["control_exact"] <= 906
    detectable = custfit.mde_proportions(0.8, control, treated)
    assert detectable is not None and 0.07 < detectable < 0.08
    # The detectable effect of the planned sample is the planned effect.
    assert abs(custfit.mde_proportions(0.8, 906, 906) - 0.05) < 0.001
    assert plan[0]["play"] == "check_in" and 0 < plan[0]["detectable_effect"] < 0.2


def test_power_plan_from_a_dry_run(planned):
    book, dry, ledger = planned
    # The dry run's outcomes count the held-out records beside the fired ones.
    (outcome,) = dry["plays"]
    assert outcome["play"] == "check_in"
    assert outcome["held_out"] == sum(len(r["held_out"]) for r in dry["runs"]) > 0
    assert outcome["fired"] == sum(len(r["fired"]) for r in dry["runs"]) > outcome["held_out"]

    rate = {"outcome": {"type": "rate", "baseline": 0.8}}
    plan = custfit.power_plan(book, dry, rate)
    assert [p["play"] for p in plan] == [p["id"] for p in book["plays"]]
    (p,) = plan
    assert p["accounts_per_month"] > 0 and p["control_share"] == 0.2  # the play's own holdout
    assert abs(p["control"] + p["treatment"] - p["accounts_per_month"] * 3) <= 2  # 3 months, each arm rounded down
    assert p["control"] == int(p["accounts_per_month"] * 3 * 0.2)
    assert isinstance(p["detectable_effect"], float) and 0 < p["detectable_effect"] < 0.2
    assert p["detectable_effect"] == custfit.mde_proportions(0.8, p["control"], p["treatment"])
    # Accounts a month: those entering the play (first record, either arm) over the dry run's span
    # (first run to last plus one step), per average month.
    entered = {a["account_id"] for r in dry["runs"] for a in r["fired"] + r["held_out"]}
    first, last = (datetime.fromisoformat(dry["runs"][i]["as_of"].replace("Z", "+00:00")) for i in (0, -1))
    span_days = (last - first).days + 7
    assert abs(p["accounts_per_month"] - len(entered) / span_days * 30.4375) < 1e-9

    # The dry run as dry_run returned it (the pair), as JSON text; the playbook as a Playbook.
    assert custfit.power_plan(book, (dry, ledger), rate) == plan
    assert custfit.power_plan(custfit.Playbook(book), json.dumps(dry), json.dumps(rate)) == plan
    # A mean outcome, six months: twice the accounts, the detectable difference of mde_means.
    mean = custfit.power_plan(book, dry, {"version": 1, "outcome": {"type": "mean", "sd": 3.0}, "months": 6, "power": 0.9})
    (m,) = mean
    assert abs(m["control"] + m["treatment"] - 2 * (p["control"] + p["treatment"])) <= 2
    assert m["detectable_effect"] == pytest.approx(custfit.mde_means(3.0, m["control"], m["treatment"], power=0.9))
    # Without a holdout nobody is held out: nothing to compare, nothing detectable.
    unheld = {**book, "holdout": None, "plays": [{k: v for k, v in book["plays"][0].items() if k != "holdout"}]}
    (none,) = custfit.power_plan(unheld, dry, rate)
    assert (none["control_share"], none["control"], none["detectable_effect"]) == (0.0, 0, None)


def test_bad_power_plans_are_coded_and_named(planned):
    book, dry, _ = planned
    rate = {"outcome": {"type": "rate", "baseline": 0.8}}

    def plan(config, dry_run=dry, playbook=book):
        return lambda: custfit.power_plan(playbook, dry_run, config)

    raises("invalid_config", "outcome.baseline", plan({"outcome": {"type": "rate", "baseline": 1.5}}))
    raises("invalid_config", "outcome.sd", plan({"outcome": {"type": "mean", "sd": 0}}))
    raises("invalid_config", "months", plan({**rate, "months": 0}))
    raises("invalid_config", "alpha", plan({**rate, "alpha": 0.9}))
    raises("unsupported_version", None, plan({**rate, "version": 9}))
    raises("parse_error", "power plan config", plan({"outcome": {"type": "odds"}}))
    raises("invalid_argument", "config", plan(0.8))
    raises("invalid_argument", "dry_run", plan(rate, dry_run=42))
    raises("invalid_argument", "dry_run", plan(rate, dry_run=[dry]))
    raises("parse_error", "dry_run", plan(rate, dry_run={"runs": 5}))
    raises("invalid_argument", "playbook", plan(rate, playbook=None))


# ------------------------------------------------------------------ estimates

C = [3.1, 2.4, 5.6, 4.0, 3.3, 2.9, 4.4, 3.8]
T = [4.2, 5.1, 3.9, 6.0, 4.8, 5.5, 4.1, 5.0, 4.6]


def test_welch_equals_scipy():
    # scipy.stats.ttest_ind(T, C, equal_var=False) and its confidence_interval().
    e = custfit.welch(C, T)
    assert abs(e["difference"] - 1.1125) < 1e-12
    assert abs(e["difference"] / e["std_error"] - 2.6361911027648386) < 1e-10
    assert abs(e["degrees_of_freedom"] - 12.179011961347028) < 1e-9
    assert abs(e["p_value"] - 0.021498497970545902) < 1e-9
    assert abs(e["ci_low"] - 0.1945150712942627) < 1e-8 and abs(e["ci_high"] - 2.0304849287057385) < 1e-8
    assert e["control_n"] == 8 and e["treatment_n"] == 9 and e["confidence"] == 0.95
    assert abs(e["relative_lift"] - 1.1125 / 3.6875) < 1e-12
    assert e["relative_ci_low"] < e["relative_lift"] < e["relative_ci_high"]
    # NumPy arrays of any dtype, tuples and lists all give the same result.
    assert custfit.welch(np.array(C), np.array(T)) == e
    assert custfit.welch(np.array(C)[::1], np.repeat(T, 2)[::2]) == e  # a strided view is copied once
    assert custfit.welch(tuple(C), np.asarray(T)) == e
    ints = custfit.welch(np.array([1, 2, 3, 4]), [2, 3, 4, 5])
    assert ints == custfit.welch([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0])
    # A wider interval at a higher confidence.
    wide = custfit.welch(C, T, confidence=0.99)
    assert wide["ci_low"] < e["ci_low"] and wide["ci_high"] > e["ci_high"]


def test_growthbook_published_figures():
    # GrowthBook's gbstats tests (5 decimals): an arm as n, sum and sum of squares.
    r5 = lambda x: round(x, 5)  # noqa: E731
    control = {"n": 3407, "sum": 1396.87, "sum_squares": 52377.9767}
    treatment = {"n": 3461, "sum": 2422.7, "sum_squares": 134698.29}
    e = custfit.welch_summary(control, treatment)
    assert (r5(e["difference"]), r5(e["ci_low"]), r5(e["ci_high"])) == (0.29, 0.04538, 0.53462)
    assert (r5(e["std_error"]), r5(e["p_value"])) == (0.12478, 0.02016)
    assert (r5(e["relative_lift"]), r5(e["relative_ci_low"]), r5(e["relative_ci_high"])) == (0.70732, -0.03526, 1.44989)
    # The same arms as n, mean and sample variance.
    as_moments = {
        "n": 3407,
        "mean": 1396.87 / 3407,
        "variance": (52377.9767 - 1396.87**2 / 3407) / 3406,
    }
    again = custfit.welch_summary(as_moments, treatment)
    assert all(abs(again[k] - e[k]) < 1e-12 for k in ("difference", "std_error", "ci_low", "ci_high", "p_value"))
    # Sequential (always valid), tuning 1000, control n 3000: relative CI (-0.55844, 1.56516), p 1.
    small = custfit.welch_summary({**control, "n": 3000}, treatment)
    s = custfit.sequential(small, tuning=1000)
    assert (r5(s["relative_ci_low"]), r5(s["relative_ci_high"])) == (-0.55844, 1.56516)
    assert s["p_value"] == 1.0 and s["tuning"] == 1000.0
    assert s["ci_low"] < small["ci_low"] and s["ci_high"] > small["ci_high"]  # wider than the fixed interval

    def width(tuning: float) -> float:
        w = custfit.sequential(small, tuning)
        return w["ci_high"] - w["ci_low"]

    assert width(6461) < width(10) and width(6461) < width(1e6)  # tightest near the sample's size
    assert custfit.sequential(small) == custfit.sequential(small, 5000)


def test_cuped_removes_the_variance_the_pre_period_explains():
    rng = np.random.default_rng(7)
    x_c, x_t = 10 + 3 * rng.standard_normal(2000), 10 + 3 * rng.standard_normal(2000)
    y_c = 0.8 * x_c + rng.standard_normal(2000)
    y_t = 0.8 * x_t + 0.5 + rng.standard_normal(2000)
    plain = custfit.welch(y_c, y_t)
    adjusted = custfit.cuped({"y": y_c, "x": x_c}, {"y": y_t, "x": x_t})
    assert abs(adjusted["theta"] - 0.8) < 0.05
    # var(y) = 0.64 * 9 + 1 = 6.76, var(adjusted) ~ 1: about 85 % removed.
    assert abs(adjusted["variance_reduction"] - 0.85) < 0.03
    assert adjusted["effect"]["std_error"] < 0.5 * plain["std_error"]
    assert adjusted["effect"]["ci_low"] < 0.5 < adjusted["effect"]["ci_high"]
    # Sequences work as arrays do; θ is pooled within arms (a shift between them does not leak in).
    assert custfit.cuped({"y": list(y_c), "x": list(x_c)}, {"y": list(y_t), "x": list(x_t)}) == adjusted
    shifted = custfit.cuped({"y": y_c, "x": x_c}, {"y": y_t, "x": x_t + 5})
    assert abs(shifted["theta"] - adjusted["theta"]) < 1e-9


# ------------------------------------------------------------------ retention

DA = [5.0, 8.0, 8.0, 12.0, 15.0, 20.0, 22.0, 30.0, 30.0, 30.0, 35.0, 40.0]
EA = [True, True, False, True, False, True, True, False, False, True, True, False]
DB = [3.0, 6.0, 6.0, 9.0, 10.0, 14.0, 18.0, 21.0, 25.0, 28.0]
EB = [True, True, True, False, True, True, False, True, True, True]


def test_kaplan_meier_and_log_rank_equal_scipy():
    # scipy.stats.ecdf(CensoredData(...)).sf and its log-log 95 % interval.
    km = custfit.kaplan_meier(DA, EA)
    assert [s["time"] for s in km["steps"]] == [5.0, 8.0, 12.0, 20.0, 22.0, 30.0, 35.0]
    assert km["subjects"] == 12 and km["events"] == 7 and km["confidence"] == 0.95
    expect = [
        (0.9166666666666666, 0.5389771805707412, 0.987825565400458),
        (0.8333333333333333, 0.4817149421953787, 0.9555093657280649),
        (0.7407407407407406, 0.39067612760778186, 0.9086238694040617),
        (0.6349206349206348, 0.2887326561438051, 0.8469550915545572),
        (0.529100529100529, 0.20509338256378892, 0.774312106149214),
        (0.4232804232804232, 0.1348821641653659, 0.6914662746606003),
        (0.2116402116402116, 0.014198071247207147, 0.567356350923443),
    ]
    for step, (sv, lo, hi) in zip(km["steps"], expect):
        assert abs(step["survival"] - sv) < 1e-12 and abs(step["ci_low"] - lo) < 1e-9 and abs(step["ci_high"] - hi) < 1e-9
    assert km["steps"][1]["at_risk"] == 11 and km["steps"][1]["events"] == 1
    # Survival at a time: the last step at or before it; 1 before the first event.
    assert custfit.survival_at(km, 4.0) == (1.0, 1.0, 1.0)
    assert custfit.survival_at(km, 16.0) == (km["steps"][2]["survival"], km["steps"][2]["ci_low"], km["steps"][2]["ci_high"])
    assert custfit.kaplan_meier(np.array(DA), np.array(EA)) == km
    # scipy.stats.logrank(a, b): statistic -1.9783003927988274 (the signed root), p 0.04789482883935986.
    lr = custfit.log_rank({"durations": DA, "events": EA}, {"durations": DB, "events": EB})
    assert abs(lr["chi_square"] - 1.9783003927988274**2) < 1e-9
    assert abs(lr["p_value"] - 0.04789482883935986) < 1e-9
    assert lr["observed"] == [7, 8] and abs(sum(lr["expected"]) - 15) < 1e-12


# ------------------------------------------------------------------ the ledger's experiments


def weekly(sim: custfit.Simulation, weeks: int, before_end: int = 35) -> dict:
    """A weekly dry run of `weeks` runs ending `before_end` days before the data's end."""
    last = sim.end - timedelta(days=before_end)
    return {
        "from": (last - timedelta(weeks=weeks - 1)).isoformat(),
        "to": last.isoformat(),
        "step": {"amount": 7, "unit": "days"},
    }


EXPERIMENT = {
    "version": 1,
    "name": "experiment",
    "plays": [
        {
            "id": "check_in",
            "trigger": TRIGGER,
            "firing": {"type": "level", "cooldown": {"amount": 30, "unit": "days"}},
            "tactic": {"kind": "call"},
            "holdout": {"share": 0.5, "salt": "2026"},
        },
        {
            "id": "nudge",
            "cohort": "mrr > 0",
            "trigger": {"type": "condition", "when": "logins_30d < 5"},
            "firing": {"type": "edge"},
            "tactic": {"kind": "email"},
            "holdout": {"share": 0.5, "salt": "2026"},
        },
    ],
}


def test_analyse_a_ledger(sim):
    # ANCHOR: analyse
    book = custfit.Playbook(EXPERIMENT)  # plays with {"holdout": {"share": 0.5, ...}}
    replay = weekly(sim, weeks=12)  # a weekly dry run; a live ledger works the same
    _, ledger = custfit.dry_run(book, sim.dataset, {"version": 1}, replay)
    config = {
        "version": 1,
        "outcome": {"type": "metric", "metric": "active_days_30d", "horizon": {"amount": 30, "unit": "days"}},
    }
    report = custfit.analyse(book, ledger, sim.dataset, config)
    for r in report["results"]:  # one per play: effect, interval, sample-ratio check, verdict
        print(r["group"], r["verdict"], r["difference"], r["ci_low"], r["ci_high"])
    # check_in not_enough_data 0.938… -0.594… 2.471…
    # nudge not_enough_data -1.124… -3.866… 1.616…
    # ANCHOR_END: analyse
    assert report["outcome"] == "metric:active_days_30d" and report["known_at"] is not None
    assert [r["group"] for r in report["results"]] == ["check_in", "nudge"]
    verdicts = {"works", "harmful", "not_enough_data", "sample_ratio_mismatch"}
    entered: dict[str, dict[str, str]] = {}
    for a in ledger.actions():
        entered.setdefault(a["play"], {}).setdefault(a["account_id"], a.get("arm", "treatment"))
    for r in report["results"]:
        assert r["verdict"] in verdicts and r["reason"]
        assert r["plays"] == [r["group"]] and r["control"] == "holdout"
        arms = list(entered[r["group"]].values())
        assert (r["treatment_accounts"], r["control_accounts"]) == (arms.count("treatment"), arms.count("holdout"))
        assert r["expected_control_share"] == 0.5 and r["srm"]["observed"] == [r["treatment_accounts"], r["control_accounts"]]
        assert r["ci_low"] < r["difference"] < r["ci_high"] and r["cuped"] is not None
        assert r["treatment_observed"] <= r["treatment_accounts"] and r["control_observed"] <= r["control_accounts"]

    # The per-account table gives the same statistics through analyse_observations.
    observations = custfit.experiment_observations(book, ledger, sim.dataset, config)
    assert {o["arm"] for o in observations} == {"treatment", "holdout"}
    assert len(observations) == sum(len(v) for v in entered.values())
    shares = {"expected_control_share": {"check_in": 0.5, "nudge": 0.5}}
    again = custfit.analyse_observations(observations, {**config, **shares})
    assert again["results"] == report["results"] and again["known_at"] is None
    # ... and the observations read back from JSON text as well.
    assert custfit.analyse_observations(json.loads(json.dumps(observations)), {**config, **shares}) == again


def test_analyse_retention_and_groups(sim):
    book = custfit.Playbook(EXPERIMENT)
    _, ledger = custfit.dry_run(book, sim.dataset, {"version": 1}, weekly(sim, 12))
    config = {
        "outcome": {"type": "retention", "horizon": {"amount": 60, "unit": "days"}},
        "groups": {"both": ["check_in", "nudge"]},
        "plays": ["check_in"],
        "sequential": {"tuning": 1000},
        "min_per_arm": 5,
    }
    report = custfit.analyse(book, ledger, sim.dataset, config)
    assert [r["group"] for r in report["results"]] == ["check_in", "both"]
    for r in report["results"]:
        detail = r["retention"]
        assert detail["horizon_days"] == 60.0
        assert r["treatment_value"] == detail["treatment"]["survival"] and r["control_value"] == detail["control"]["survival"]
        assert 0 <= detail["log_rank"]["p_value"] <= 1
        # The verdict reads the always-valid interval, wider than the fixed one.
        assert r["sequential"]["ci_low"] <= r["ci_low"] and r["sequential"]["ci_high"] >= r["ci_high"]
    assert report["results"][1]["plays"] == ["check_in", "nudge"]
    # A ledger with a global holdout compares with it when the play has no holdout of its own.
    global_book = {**EXPERIMENT, "holdout": {"share": 0.3, "salt": "g"}, "plays": [{**EXPERIMENT["plays"][1], "holdout": None}]}
    global_book["plays"][0].pop("holdout")
    _, global_ledger = custfit.dry_run(global_book, sim.dataset, {"version": 1}, weekly(sim, 12))
    r = custfit.analyse(global_book, global_ledger, sim.dataset, {"outcome": {"type": "revenue"}})["results"][0]
    assert r["control"] == "global_holdout" and r["control_accounts"] > 0 and r["outcome"] == "revenue"


def test_simulated_experiment_with_a_known_effect():
    # ANCHOR: simulate
    experiment = {
        "simulation": {"accounts": 600, "days": 240, "seed": 3, "activity_scale": 0.3},
        "playbook": {
            "name": "proof",
            "plays": [
                {
                    "id": "check_in",
                    "trigger": {"type": "condition", "when": "days_since_last_activity > 7"},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "call"},
                    "holdout": {"share": 0.5, "salt": "2026"},
                }
            ],
        },
        "dry_run": {"from": "2024-04-01", "to": "2024-06-30", "step": {"amount": 7, "unit": "days"}},
        # The truth we plant: a call lifts the account's engagement by 0.4 standard deviations.
        "effects": [{"play": "check_in", "engagement": 0.4}],
        "analysis": {"outcome": {"type": "metric", "metric": "active_days_30d", "horizon": {"amount": 30, "unit": "days"}}},
    }
    result, ledger = custfit.simulate_experiment(experiment)
    estimate, truth = result["report"]["results"][0], result["truth"][0]
    print(estimate["difference"], (estimate["ci_low"], estimate["ci_high"]), truth["effect"], truth["covered"])
    # 2.736… (1.366…, 4.105…) 1.441… True
    # ANCHOR_END: simulate
    assert estimate["difference"] > 0 and truth["effect"] > 0 and truth["covered"]
    assert estimate["ci_low"] <= truth["effect"] <= estimate["ci_high"]
    assert truth["group"] == "check_in" and estimate["verdict"] in {"works", "not_enough_data"}
    assert isinstance(ledger, custfit.PlayState) and ledger.to_dict() == result["state"]
    # A play without an effect has a true effect of 0; the run is deterministic.
    none = {**experiment, "effects": []}
    assert custfit.simulate_experiment(none)[0]["truth"][0]["effect"] == 0.0
    assert custfit.simulate_experiment(json.dumps(experiment))[0] == result


def test_treatments_change_only_treated_accounts_after_their_start():
    base = {"accounts": 40, "days": 200, "seed": 8, "activity_scale": 0.5}
    treated_id, start = "acc-000003", "2024-05-01T00:00:00Z"
    plain = custfit.simulate(base, treatments=[])
    treated = custfit.simulate(base, treatments=[{"account_id": treated_id, "start": start, "engagement": 2.0}])

    def events(sim: custfit.Simulation, account: str, before: bool) -> list[dict]:
        return [e for e in sim.dataset.events() if e["account_id"] == account and (e["timestamp"] < start) == before]

    assert events(plain, treated_id, True) == events(treated, treated_id, True)
    assert len(events(treated, treated_id, False)) > len(events(plain, treated_id, False))
    assert events(plain, "acc-000004", False) == events(treated, "acc-000004", False)


# ------------------------------------------------------------------ bad input


def raises(code: str, name: str | None, call) -> custfit.CustfitError:
    """``call()`` fails with ``code``, naming ``name``: the argument or config field in ``.field``
    (a parse error names what it could not parse in its message)."""
    with pytest.raises(custfit.CustfitError) as info:
        call()
    e = info.value
    assert e.code == code, str(e)
    if name is not None and code == "parse_error":
        assert f"cannot parse {name}" in str(e), str(e)
    elif name is not None:
        assert e.field == name and f"`{name}`" in str(e), str(e)
    return e


def test_bad_statistics_input_is_coded_and_named():
    raises("invalid_argument", "control", lambda: custfit.welch([1.0, math.nan], [1.0, 2.0]))
    raises("invalid_argument", "treatment", lambda: custfit.welch([1.0, 2.0], np.array([1.0, np.inf])))
    raises("invalid_argument", "treatment", lambda: custfit.welch([1.0, 2.0], [1.0]))
    raises("invalid_argument", "confidence", lambda: custfit.welch(C, T, confidence=1.0))
    raises("invalid_argument", "control", lambda: custfit.cuped({"y": [1.0, 2.0, 3.0], "x": [1.0, 2.0]}, {"y": T, "x": T}))
    raises("invalid_argument", "control.x", lambda: custfit.cuped({"y": C}, {"y": T, "x": T}))
    raises("invalid_argument", "treatment", lambda: custfit.cuped({"y": C, "x": C}, [T, T]))
    raises("invalid_argument", "durations", lambda: custfit.kaplan_meier([1.0, 2.0], [True]))
    raises("invalid_argument", "durations", lambda: custfit.kaplan_meier([-1.0], [True]))
    raises("invalid_argument", "b", lambda: custfit.log_rank({"durations": DA, "events": EA}, {"durations": [1.0], "events": []}))
    raises(
        "invalid_argument",
        "a.events",
        lambda: custfit.log_rank({"durations": [1.0], "events": [1]}, {"durations": DB, "events": EB}),
    )
    raises("invalid_argument", "shares", lambda: custfit.sample_ratio_mismatch([10, 20], [0.5, -0.5]))
    raises("invalid_argument", "shares", lambda: custfit.sample_ratio_mismatch([10, 20], [0.5]))
    raises("invalid_argument", "observed", lambda: custfit.sample_ratio_mismatch([10, -1], [1, 1]))
    raises("invalid_argument", "threshold", lambda: custfit.sample_ratio_mismatch([10, 20], [1, 1], threshold=0.9))
    raises("invalid_argument", "alpha", lambda: custfit.sample_size_proportions(0.5, 0.1, alpha=0.0))
    raises("invalid_argument", "power", lambda: custfit.sample_size_means(1.0, 1.0, power=1.0))
    raises("invalid_argument", "mde", lambda: custfit.sample_size_proportions(0.5, 0.0))
    raises("invalid_argument", "control", lambda: custfit.mde_means(1.0, 0, 10))
    raises("invalid_argument", "control", lambda: custfit.mde_proportions(0.5, -3, 10))
    raises("invalid_argument", "tuning", lambda: custfit.sequential(custfit.welch(C, T), tuning=0))
    raises(
        "invalid_argument",
        "control",
        lambda: custfit.welch_summary({"n": 1, "mean": 0.0, "variance": 1.0}, {"n": 5, "mean": 0.0, "variance": 1.0}),
    )
    raises("invalid_argument", "treatment", lambda: custfit.welch_summary({"n": 5, "sum": 1, "sum_squares": 1}, 5))
    raises("parse_error", "treatment", lambda: custfit.welch_summary({"n": 5, "sum": 1, "sum_squares": 1}, {"n": 5, "sum": 1}))
    raises("parse_error", "effect", lambda: custfit.sequential({"difference": 1.0}))
    raises("parse_error", "curve", lambda: custfit.survival_at({"steps": "x"}, 1.0))
    with pytest.raises(TypeError):
        custfit.welch("1, 2, 3", T)  # a sample is a sequence or an array of numbers
    with pytest.raises(TypeError):
        custfit.welch(np.ones((2, 2)), T)  # of one dimension


def test_bad_experiments_are_coded_and_named(sim):
    book = custfit.Playbook(EXPERIMENT)
    _, ledger = custfit.dry_run(book, sim.dataset, {"version": 1}, weekly(sim, 4))
    metric = {"version": 1, "outcome": {"type": "metric", "metric": "active_days_30d"}}

    def analyse(config, state=ledger, playbook=book):
        return lambda: custfit.analyse(playbook, state, sim.dataset, config)

    # A play the playbook does not have.
    raises("invalid_config", "plays", analyse({**metric, "plays": ["nope"]}))
    # Bad configs: the document reader's codes.
    raises("parse_error", None, analyse({**metric, "outcomes": {}}))
    raises("parse_error", None, analyse({"version": 1}))
    raises("invalid_config", "confidence", analyse({**metric, "confidence": 1.5}))
    raises("invalid_config", "expected_control_share.check_in", analyse({**metric, "expected_control_share": {"check_in": 1.0}}))
    raises("unsupported_version", None, analyse({**metric, "version": 2}))
    raises("unknown_metric", None, analyse({**metric, "outcome": {"type": "metric", "metric": "no_such_metric"}}))
    raises("invalid_argument", "state", analyse(metric, state=ledger.to_dict()))
    raises("invalid_argument", "config", analyse(42))
    raises("invalid_argument", "playbook", analyse(metric, playbook=42))
    with pytest.raises(TypeError):
        custfit.analyse(book, ledger, "dataset", metric)
    # Observations: the shape (parse_error), then the content (invalid_argument).
    raises("parse_error", "observations", lambda: custfit.analyse_observations([{"group": "g"}], metric))
    twice = custfit.experiment_observations(book, ledger, sim.dataset, metric)[:1] * 2
    raises("invalid_argument", "observations", lambda: custfit.analyse_observations(twice, metric))
    raises("invalid_argument", "observations", lambda: custfit.analyse_observations(5, metric))
    # A bad holdout share in the playbook, an effect on an unknown play.
    bad_share = {**EXPERIMENT, "plays": [{**EXPERIMENT["plays"][0], "holdout": {"share": 0.95}}]}
    raises("invalid_config", "plays[0].holdout.share", lambda: custfit.Playbook(bad_share))
    raises("invalid_config", "holdout.share", lambda: custfit.Playbook({**EXPERIMENT, "holdout": {"share": -0.1}}))
    experiment = {
        "simulation": {"accounts": 50, "days": 120, "seed": 1},
        "playbook": EXPERIMENT,
        "dry_run": {"from": "2024-02-01", "to": "2024-03-01", "step": {"amount": 7, "unit": "days"}},
        "effects": [{"play": "nope", "engagement": 0.4}],
        "analysis": metric,
    }
    raises("invalid_config", "effects[0].play", lambda: custfit.simulate_experiment(experiment))
    # The simulated experiment is a versioned document: read by the document reader.
    out_of_range = {**experiment, "effects": [{"play": "check_in", "engagement": 9}]}
    raises("invalid_config", "effects[0].engagement", lambda: custfit.simulate_experiment(out_of_range))
    raises("invalid_config", "effects[0].engagement", lambda: custfit.simulate_experiment(json.dumps(out_of_range)))
    raises("unsupported_version", None, lambda: custfit.simulate_experiment({**experiment, "version": 9}))
    raises("parse_error", "simulated experiment", lambda: custfit.simulate_experiment({**experiment, "surprise": 1}))
    raises("invalid_argument", "config", lambda: custfit.simulate_experiment(["x"]))
    # Treatments of the simulator.
    raises(
        "invalid_argument",
        "treatments",
        lambda: custfit.simulate(accounts=5, treatments=[{"account_id": "nope", "start": "2024-01-02"}]),
    )
    raises(
        "invalid_argument",
        "treatments",
        lambda: custfit.simulate(accounts=5, treatments=[{"account_id": "acc-000001", "start": "2024-01-02", "engagement": 9}]),
    )
    raises("parse_error", "treatments", lambda: custfit.simulate(accounts=5, treatments=[{"account": "acc-000001"}]))
    raises("invalid_argument", "treatments", lambda: custfit.simulate(accounts=5, treatments=7))
