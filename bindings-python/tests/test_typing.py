"""The typed results (custfit.types) are right and usable:

* ``mypy --strict`` accepts the package (stubs included) and tests/typecheck/check_types.py,
  which uses the API through annotated variables (and proves a wrong key is an error);
* ``stubtest`` finds the stub of ``custfit._native`` consistent with the built module;
* every function whose stub returns a ``custfit.types`` type really returns that shape on a
  simulated customer base: keys (required ⊆ keys ⊆ required + optional) and value types,
  recursively.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import custfit
import custfit.types as T
import pytest

if sys.version_info >= (3, 11):
    from typing import get_type_hints, is_typeddict
else:  # NotRequired comes from typing_extensions there
    from typing_extensions import get_type_hints, is_typeddict

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = HERE.parent / "python"
STUB = PACKAGE_DIR / "custfit" / "_native.pyi"
CHECK = HERE / "typecheck" / "check_types.py"
ALLOWLIST = HERE / "typecheck" / "stubtest-allowlist.txt"


# --- static checks ---------------------------------------------------------------------------


def run_mypy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(PACKAGE_DIR)}
    cmd = [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", "--no-error-summary", "--config-file", os.devnull]
    cmd += ["--cache-dir", str(tmp_path / "mypy-cache"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)


def test_mypy_strict_on_the_package(tmp_path):
    r = run_mypy(tmp_path, "-p", "custfit")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_the_check_script(tmp_path):
    r = run_mypy(tmp_path, str(CHECK))
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_catches_a_wrong_key(tmp_path):
    """The check script's ignores are needed: without them mypy reports the wrong keys."""
    text = CHECK.read_text()
    mark = "  # type: ignore[typeddict-item]\n"
    assert text.count(mark) >= 2
    broken = tmp_path / "broken.py"
    broken.write_text(text.replace(mark, "\n"))
    r = run_mypy(tmp_path, str(broken))
    assert r.returncode == 1
    assert r.stdout.count("error:") == r.stdout.count("[typeddict-item]") == text.count(mark), r.stdout


def test_stubtest(tmp_path):
    cmd = [sys.executable, "-m", "mypy.stubtest", "custfit._native", "--allowlist", str(ALLOWLIST)]
    cmd += ["--mypy-config-file", os.devnull]
    env = {**os.environ, "MYPYPATH": str(PACKAGE_DIR)}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


# --- runtime shapes --------------------------------------------------------------------------

LIST_CAP = 300  # elements of a list checked (enough to meet every variant on the simulator)


def mismatches(value: Any, tp: Any, path: str = "$") -> list[str]:
    """Where ``value`` does not have type ``tp`` (empty when it does)."""
    origin = get_origin(tp)
    if tp is Any:
        return []
    if tp is None or tp is type(None):
        return [] if value is None else [f"{path}: expected None, got {value!r}"]
    if origin is Union:
        attempts = [mismatches(value, t, path) for t in get_args(tp)]
        if any(not a for a in attempts):
            return []
        return [f"{path}: {value!r} matches no member of {tp}"] + [m for a in attempts for m in a]
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{path}: {value!r} is not one of {get_args(tp)}"]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: expected a dict ({tp.__name__}), got {type(value).__name__}"]
        keys, required, optional = set(value), set(tp.__required_keys__), set(tp.__optional_keys__)
        out = []
        if not required <= keys:
            out.append(f"{path}: {tp.__name__} misses {sorted(required - keys)}")
        if not keys <= required | optional:
            out.append(f"{path}: {tp.__name__} has unexpected {sorted(keys - required - optional)}")
        hints = get_type_hints(tp)
        for k in keys & set(hints):
            out += mismatches(value[k], hints[k], f"{path}.{k}")
        return out
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item,) = get_args(tp)
        return [m for i, v in enumerate(value[:LIST_CAP]) for m in mismatches(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected a dict, got {type(value).__name__}"]
        kt, vt = get_args(tp)
        return [m for k, v in value.items() for m in mismatches(k, kt, f"{path}<key>") + mismatches(v, vt, f"{path}[{k!r}]")]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, float)
    elif tp is dt.datetime:
        ok = isinstance(value, dt.datetime) and value.tzinfo is not None
    else:
        ok = isinstance(value, tp)
    return [] if ok else [f"{path}: expected {getattr(tp, '__name__', tp)}, got {value!r}"]


def test_the_checker_can_fail():
    good: T.Band = {"name": "green", "color": "#0a0", "min": 75.0, "max": 100.0}
    assert mismatches(good, T.Band) == []
    assert mismatches({**good, "extra": 1}, T.Band)
    assert mismatches({k: v for k, v in good.items() if k != "max"}, T.Band)
    assert mismatches({**good, "min": 75}, T.Band)  # an int where a float is declared
    assert mismatches([good, {**good, "name": None}], list[T.Band])
    assert mismatches({"score": True}, dict[str, int])
    assert mismatches("red", Literal["green", "yellow"])
    # NotRequired keys may be absent, but not wrong.
    doc = custfit.Scorecard.starter().to_dict()
    assert mismatches({**doc, "groups": "x"}, T.ScorecardDocument)
    naive = {"day": dt.datetime(2024, 1, 1), "active_users": 0, "events": 0, "logins": 0}
    assert mismatches(naive, T.DailyActivity)  # datetimes are aware


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=120, days=300, seed=4, activity_scale=0.3)


def small_card() -> dict[str, Any]:
    def ramp(name: str, metric: str, lo: float, hi: float, d: str = "higher_is_better") -> dict[str, Any]:
        return {"name": name, "metric": metric, "direction": d, "scoring": {"type": "ramp", "low": lo, "high": hi}}

    return {
        "name": "small",
        "measures": [
            ramp("active", "active_days_30d", 0, 20),
            ramp("trend", "usage_trend_30d", -1, 1),
            ramp("tickets", "support_tickets_60d", 0, 5, "lower_is_better"),
        ],
    }


def full_card(overridden: tuple[str, str] = ("x", "y")) -> dict[str, Any]:
    """A scorecard with every optional part (groups, weights, penalties, overrides)."""
    return {
        "name": "full",
        "measures": [
            {
                "name": "active",
                "metric": "active_days_30d",
                "weight": 2,
                "group": "usage",
                "scoring": {"type": "tiers", "tiers": [{"max": 5, "points": 0}, {"min": 5, "points": 100}]},
            },
            {
                "name": "logins",
                "metric": "logins_30d",
                "group": "usage",
                "missing": {"type": "default", "points": 50},
                "scoring": {"type": "percentile", "peers": {"type": "bins", "column": "mrr", "edges": [100, 1000]}},
            },
            {
                "name": "mrr",
                "metric": "mrr",
                "group": "money",
                "missing": {"type": "worst"},
                "scoring": {"type": "ramp", "low": 0, "high": 1e5},
            },
        ],
        "groups": [{"name": "usage", "weight": 3}, {"name": "money", "weight": 1}],
        "penalties": [{"column": "flag_extraction_burst", "points": 20}],
        "overrides": [
            {
                "account_id": overridden[0],
                "score": 10,
                "reason": "r",
                "set_by": "csm",
                "set_at": "2024-01-01",
                "expires_at": "2099-01-01",
            },
            {"account_id": overridden[1], "score": 10, "reason": "r", "expires_at": "2099-01-01"},
        ],
    }


def family() -> custfit.Dataset:
    """A parent with two children (for rollups), attributes of every kind, one user per role."""
    ds = custfit.Dataset()
    opts = {"now": "2024-03-10T00:00:00Z"}
    attributes = {"since": dt.date(2023, 1, 1), "employees": 40, "region": "EMEA", "partner": True}
    ds.add_accounts(
        [
            {"id": "p", "name": "Parent", "created_at": "2024-01-01", "owner": "csm", "seats": 5},
            {"id": "c1", "name": "Child 1", "created_at": "2024-01-01", "parent_id": "p", "attributes": attributes},
            {"id": "c2", "name": "Child 2", "created_at": "2024-01-01", "parent_id": "p"},
        ],
        opts,
    )
    roles = ["admin", "champion", "executive", "member"]
    ds.add_users(
        [{"id": r, "account_id": "c1", "role": r, "created_at": "2024-01-02", "deactivated_at": "2024-02-01"} for r in roles],
        opts,
    )
    ds.add_subscriptions(
        [
            {
                "account_id": "c1",
                "plan": "a",
                "start": "2024-01-01",
                "end": "2025-01-01",
                "mrr": {"minor": 1000, "currency": "USD"},
            },
            {"account_id": "c2", "plan": "b", "start": "2024-01-01", "mrr": {"minor": 500, "currency": "USD"}, "status": "trial"},
        ],
        opts,
    )
    ds.add_events(
        [{"account_id": "c1", "timestamp": "2024-02-01", "name": "x", "properties": {"n": 1, "s": "t", "b": False}}], opts
    )
    return ds


def results(sim: custfit.Simulation) -> dict[str, tuple[Any, Any]]:
    """``{name: (value, declared type)}`` for every function and method with a typed result."""
    ds = sim.dataset
    end = sim.end
    snap = custfit.health_snapshot(ds, end)
    first = ds.accounts()[0]["id"]
    out: dict[str, tuple[Any, Any]] = {}

    def add(name: str, value: Any, tp: Any) -> None:
        out[name] = (value, tp)

    # data and simulator
    add("Dataset.add_accounts", custfit.Dataset().add_accounts(ds.accounts()[:3]), T.IngestReport)
    mixed = custfit.Dataset()
    mixed.add_accounts([{"id": "a", "name": "A", "created_at": "2024-01-01", "seats": 3, "owner": "o"}])
    rep = mixed.add_users(
        [{"id": "u", "account_id": "a", "created_at": "2024-01-02"}, {"id": "v", "account_id": "zz", "created_at": "x"}],
        {"mode": "lenient"},
    )
    assert rep["rejected"], rep
    add("Dataset.add_users", rep, T.IngestReport)
    late = custfit.Dataset()  # a subscription starting before its account: counted in the report
    late.add_accounts([{"id": "l", "created_at": "2024-02-01"}], {"now": "2024-03-01"})
    early = {"account_id": "l", "plan": "p", "start": "2024-01-01", "mrr": {"minor": 1, "currency": "USD"}}
    add("Dataset.add_subscriptions", late.add_subscriptions([early]), T.IngestReport)
    add("Dataset.add_events", custfit.Dataset().add_events([]), T.IngestReport)
    with tempfile.TemporaryDirectory() as tmp:  # rows set aside from a file carry their location
        (Path(tmp) / "accounts.csv").write_text("id,created_at\na,2024-01-01\na,2024-01-02\n")
        _, loaded = custfit.Dataset.from_files(accounts=Path(tmp) / "accounts.csv", options={"mode": "lenient"})
    assert loaded["accounts"]["rejected"][0]["location"].endswith("accounts.csv line 3"), loaded
    add("Dataset.from_files", loaded, T.LoadReport)
    add("Dataset.memory_usage", ds.memory_usage(), T.MemoryUsage)
    fam = family()
    add("Dataset.accounts", ds.accounts() + fam.accounts(), list[T.AccountRow])
    add("Dataset.users", ds.users() + fam.users(), list[T.UserRow])
    add("Dataset.subscriptions", fam.subscriptions() + ds.subscriptions(), list[T.SubscriptionRow])
    add("Dataset.events", ds.events() + fam.events(), list[T.EventRow])
    add("Dataset.daily_activity", ds.daily_activity(first, end, 14), list[T.DailyActivity])
    add("Simulation.truth", sim.truth, list[T.AccountTruth])
    add("Simulation.config", sim.config, T.SimulationConfig)
    add("metric_catalog", custfit.metric_catalog(), list[T.MetricInfo])

    # churn
    features = ["active_days_30d", "usage_trend_30d", "days_to_renewal", "support_tickets_60d"]
    ts = custfit.build_training_set(
        ds, {"features": {"metrics": features}, "horizon": {"amount": 60, "unit": "days"}}, known_at=end
    )
    train, test = ts.time_split(0.3)
    lr = custfit.ChurnModel.fit(train)
    gb = custfit.ChurnModel.fit(train, {"model": {"type": "boosted_trees", "settings": {"trees": 10}}})
    add("ChurnModel.explain", lr.explain([3.0, None, 30.0, 1.0]), T.Explanation)
    add("ChurnModel.coefficients", lr.coefficients(), Union[list[T.CoefficientReport], None])
    assert gb.coefficients() is None
    add("ChurnModel.evaluate", gb.evaluate(test), T.Evaluation)
    add("ChurnModel.forecast", gb.forecast(ds, end, top=2), list[T.RiskEntry])
    add("churn_backtest", custfit.churn_backtest(ts, None, folds=2), T.ChurnBacktest)
    xs = [[float(i)] for i in range(12)]
    add("fit_logistic", custfit.fit_logistic(xs, [i % 2 == 0 for i in range(12)]), T.LogisticFit)
    p = lr.predict(test.x)
    add("evaluate_churn", custfit.evaluate_churn(p, test.y), T.Evaluation)
    add("mrr_churn", custfit.mrr_churn(ds, sim.start, end), T.MrrChurn)
    add("choose_inactivity_window", custfit.choose_inactivity_window(ds, end, 0.9, 3), T.InactivityWindowChoice)
    dates = [sim.start + dt.timedelta(days=60 + 30 * k) for k in range(4)]
    learned = custfit.learn_scorecard_weights(ds, small_card(), {"dates": dates, "horizon": {"amount": 60, "unit": "days"}})
    add("learn_scorecard_weights", learned, T.LearnedScorecard)
    points = [[float(i % 100), float((i * 7) % 100), None] for i in range(60)]
    add("learn_weights", custfit.learn_weights(small_card(), points, [i % 3 == 0 for i in range(60)]), T.LearnedWeights)

    # segmentation
    add(
        "segment_rules",
        custfit.segment_rules(snap, {"segments": [{"name": "quiet", "condition": "logins_30d == 0"}]}),
        T.SegmentAssignment,
    )
    tiers = custfit.pareto_tiers(snap)
    add("pareto_tiers", tiers, T.ParetoTiers)
    add("quantile_buckets", custfit.quantile_buckets(snap, {"metric": "usage_trend_30d"}), T.QuantileBuckets)
    add("rfm_scores", custfit.rfm_scores(snap), T.RfmScores)
    add("fit_clusters", custfit.fit_clusters(snap, {"metrics": ["logins_30d", "events_30d", "mrr"], "seed": 1}), T.Clustering)
    labels = [tiers["tiers"][i]["name"] for i in tiers["assignment"]]
    plan = {"account_hours_per_year": {"tier_1": 60, "tier_2": 15, "tier_3": 0}, "csm_hours_per_year": 1500}
    add("capacity_plan", custfit.capacity_plan(snap, plan, tiers=labels), T.CapacityPlan)

    # health
    starter = custfit.Scorecard.starter()
    full = custfit.Scorecard(full_card())
    scores = starter.score(snap)
    earlier = starter.score(custfit.health_snapshot(ds, end - dt.timedelta(days=30)))
    add("Scorecard.bands", starter.bands, list[T.Band])
    add(
        "Scorecard.to_dict",
        [starter.to_dict(), full.to_dict(), custfit.Scorecard(small_card()).to_dict()],
        list[T.ScorecardDocument],
    )
    card_set = custfit.ScorecardSet(
        {"column": "plan", "cases": [{"values": ["growth"], "scorecard": full_card()}], "default": small_card()}
    )
    add("ScorecardSet.to_dict", card_set.to_dict(), T.ScorecardSetDocument)
    add("HealthScores.bands", scores.bands, list[T.Band])
    add("HealthScores.row", [scores.row(0), scores.row(10**6)], list[Union[T.AccountHealth, None]])
    add("HealthScores.account", [scores.account(first), scores.account("nobody")], list[Union[T.AccountHealth, None]])
    ids = snap.account_ids
    overridden = custfit.Scorecard(full_card((ids[0], ids[1]))).score(snap).rows()
    add("HealthScores.rows", scores.rows() + overridden, list[T.AccountHealth])
    assert overridden[0]["override"] is not None and overridden[2]["override"] is None
    add("HealthScores.changes_since", scores.changes_since(earlier), list[T.ScoreChange])
    fam_snap = custfit.health_snapshot(fam, "2024-03-01")
    add("HealthScores.rollup", starter.score(fam_snap).rollup(fam_snap), list[T.Rollup])
    flags = custfit.detect_flags(ds, end)
    add("detect_flags", flags, list[T.AccountFlags])
    add("default_bands", custfit.default_bands(), list[T.Band])
    grid = custfit.backtest_grid(sim.start + dt.timedelta(days=60), end - dt.timedelta(days=91), 30)
    add("backtest", custfit.backtest(ds, starter, {"dates": [*grid, end]}), T.BacktestReport)
    hist = custfit.health_history(ds, starter, grid[:2])
    add("account_history", custfit.account_history(hist, first) + custfit.account_history(hist, "nobody"), list[T.HistoryPoint])

    # goals and ingestion reports
    goal = {"name": "weekly logins", "metric": {"type": "logins"}, "period": "weekly", "target": 2}
    lookback = {"amount": 12, "unit": "weeks"}
    add("goal_progress", custfit.goal_progress(ds, first, goal, end, lookback), T.GoalProgress)
    add("goal_progress_all", custfit.goal_progress_all(ds, goal, end, lookback), list[T.GoalProgress])

    # plays: every variant of trigger and firing, a skip, a closed action, reasons of each kind
    book = custfit.Playbook(
        {
            "name": "typed",
            "limits": {"max_active_per_account": 1},
            "suppress": {"accounts": [first], "when": "seats < 0"},
            "plays": [
                {
                    "id": "quiet",
                    "cohort": "plan != ''",
                    "trigger": {"type": "condition", "when": "days_since_last_activity >= 0"},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "call", "effort_hours": 0.5, "payload": {"template": "t"}},
                    "max_per_run": 5,
                },
                {
                    "id": "review",
                    "trigger": {"type": "schedule", "every": {"amount": 1, "unit": "months"}, "anchor": "created_at"},
                    "firing": {"type": "level", "cooldown": {"amount": 7, "unit": "days"}},
                    "goal": "mrr > 1e9",
                    "reentry": {"amount": 30, "unit": "days"},
                    "rank_by": "mrr",
                    "tactic": {"kind": "meeting"},
                },
            ],
        }
    )
    run, state = custfit.run_playbook(book, snap)
    assert run["fired"] and run["skipped"]
    state.close(run["fired"][0]["key"], "done", end)
    # holdouts: a play's own (stratified and not) and the global one; held-out actions carry `arm`
    trigger = {"type": "condition", "when": "days_since_last_activity >= 0"}
    held = custfit.Playbook(
        {
            "name": "held",
            "holdout": {"share": 0.2, "salt": "g"},
            "plays": [
                {
                    "id": "stratified",
                    "trigger": trigger,
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "call"},
                    "holdout": {"share": 0.5, "salt": "2026", "stratify_by": "plan"},
                },
                {
                    "id": "drawn",
                    "trigger": trigger,
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "email"},
                    "holdout": {"share": 0.3},
                },
            ],
        }
    )
    held_run, held_state = custfit.run_playbook(held, snap)
    assert held_run["held_out"] and {a["arm"] for a in held_run["held_out"]} == {"holdout", "global_holdout"}
    add("run_playbook", [run, held_run], list[T.PlayRun])
    add("Playbook.to_dict", [book.to_dict(), held.to_dict()], list[T.PlaybookDocument])
    add("PlayState.to_dict", [state.to_dict(), held_state.to_dict()], list[T.PlayStateDocument])
    add("PlayState.actions", state.actions(), list[T.Action])
    add("PlayState.open_actions", state.open_actions(), list[T.Action])

    # a dry run of the starter playbook: every frame column it reads, outcomes observed
    start = end - dt.timedelta(weeks=8)
    metrics = ["active_days_30d", "usage_trend_30d", "days_to_renewal"]
    model = custfit.ChurnModel.fit(custfit.build_training_set(ds, {"features": {"metrics": metrics}}, known_at=start))
    recipe = {"version": 1, "scorecard": custfit.Scorecard.starter().to_dict(), "tiers": {"version": 1}}
    week = {"amount": 7, "unit": "days"}
    config = {"from": start.isoformat(), "to": end.isoformat(), "step": week, "horizon": {"amount": 14, "unit": "days"}}
    dry, _ = custfit.dry_run(custfit.Playbook.starter(), ds, recipe, config, churn_model=model)
    assert any(p["observed"] for p in dry["plays"]) and any(p["fired"] == 0 for p in dry["plays"])
    add("dry_run", dry, T.DryRun)

    # experiments: the statistics on small samples, then the analysis of a ledger with holdouts
    add("sample_ratio_mismatch", custfit.sample_ratio_mismatch([9463, 7681], [0.5, 0.5]), T.SampleRatioCheck)
    add("sample_size_proportions", custfit.sample_size_proportions(0.8, 0.05), T.SampleSize)
    add("sample_size_means", custfit.sample_size_means(3.0, 1.0), T.SampleSize)
    c, t = [3.1, 2.4, 5.6, 4.0, 3.3], [4.2, 5.1, 3.9, 6.0, 4.8]
    effect = custfit.welch(c, t)
    add("welch", effect, T.Effect)
    arm_a, arm_b = {"n": 10, "mean": 0.0, "variance": 1.0}, {"n": 10, "mean": 1.0, "variance": 1.0}
    add("welch_summary", custfit.welch_summary(arm_a, arm_b), T.Effect)
    add("sequential", custfit.sequential(effect), T.SequentialInterval)
    pre_c, pre_t = [1.0, 2.0, 3.0, 4.0, 2.0], [2.0, 3.0, 1.0, 4.0, 3.0]
    add("cuped", custfit.cuped({"y": c, "x": pre_c}, {"y": t, "x": pre_t}), T.CupedEffect)
    durations, events = [5.0, 8.0, 8.0, 12.0, 15.0], [True, True, False, True, False]
    add("kaplan_meier", custfit.kaplan_meier(durations, events), T.KaplanMeier)
    other = {"durations": [3.0, 6.0], "events": [True, False]}
    add("log_rank", custfit.log_rank({"durations": durations, "events": events}, other), T.LogRank)
    weekly = {"from": (end - dt.timedelta(days=150)).isoformat(), "to": (end - dt.timedelta(days=40)).isoformat()}
    weekly["step"] = week
    replay, ledger = custfit.dry_run(held, ds, {"version": 1}, weekly)
    retention = {"version": 1, "outcome": {"type": "retention", "horizon": {"amount": 30, "unit": "days"}}}
    metric = {"version": 1, "outcome": {"type": "metric", "metric": "active_days_30d"}, "sequential": {"tuning": 500}}
    revenue = {"version": 1, "outcome": {"type": "revenue"}, "plays": ["drawn"]}
    reports = [custfit.analyse(held, ledger, ds, config) for config in (retention, metric, revenue)]
    assert {r["outcome"] for r in reports} == {"retention", "metric:active_days_30d", "revenue"}
    add("analyse", reports, list[T.ExperimentReport])
    observations = custfit.experiment_observations(held, ledger, ds, retention)
    add("experiment_observations", observations + custfit.experiment_observations(held, ledger, ds, metric), list[T.Observation])
    add("analyse_observations", custfit.analyse_observations(observations, retention), T.ExperimentReport)
    plan = custfit.power_plan(held, replay, {"outcome": {"type": "rate", "baseline": 0.8}})
    assert [p["play"] for p in plan] == ["stratified", "drawn"]
    add("power_plan", plan, list[T.PlayPower])
    simulated = {
        "simulation": {"accounts": 120, "days": 200, "seed": 4, "activity_scale": 0.3},
        "playbook": held.to_dict(),
        "dry_run": {"from": "2024-04-01", "to": "2024-06-01", "step": week},
        "effects": [{"play": "drawn", "engagement": 0.4}],
        "analysis": metric,
    }
    add("simulate_experiment", custfit.simulate_experiment(simulated)[0], T.SimulatedExperimentResult)

    # lifecycle: months with churn (a quick ratio) and without (None), accounts never active
    growth = custfit.growth_accounting(ds, end)
    assert any(p["quick_ratio"] is None for p in growth.periods) and any(p["quick_ratio"] is not None for p in growth.periods)
    weekly = custfit.growth_accounting(fam, "2024-03-01", {"period": "week"})
    assert None in weekly.buckets
    add("GrowthAccounting.periods", growth.periods + weekly.periods, list[T.GrowthPeriod])
    add("GrowthAccounting.to_dict", [growth.to_dict(), weekly.to_dict()], list[T.GrowthAccountingDocument])
    cohorts = [
        custfit.retention_cohorts(ds, end),
        custfit.retention_cohorts(ds, end, {"period": "week", "start": "first_activity", "measure": "active", "periods": 4}),
        custfit.retention_cohorts(fam, "2024-03-01", {"start": "created"}),
    ]
    assert any(None in r["gross_revenue"] for c in cohorts for r in c["rows"])
    add("retention_cohorts", cohorts, list[T.RetentionCohorts])

    # engagement moments: every status, done moments and open ones, cadences held and not yet
    moments = custfit.engagement_moments(ds, end, onboarding_moments(sim.start))
    statuses = {p["status"] for j in moments.journeys for p in j["moments"]}
    assert {"done", "stuck", "waiting"} <= statuses, statuses
    assert {c["last"] is None for j in moments.journeys for c in j["cadences"]} == {True, False}
    add("EngagementMoments.journeys", moments.journeys, list[T.Journey])
    add("EngagementMoments.summary", moments.summary, list[T.MomentSummary])
    add("EngagementMoments.to_dict", moments.to_dict(), T.EngagementMomentsDocument)
    # phases: accounts in a phase, in none (no rule held) and not created yet
    rules = [{"name": "new", "condition": "tenure_days < 45"}, {"name": "busy", "condition": "active_days_30d > 10"}]
    phases = {"segments": rules}
    history = custfit.phase_history(ds, [end - dt.timedelta(days=28 * k) for k in range(10, -1, -1)], phases)
    assert None in history["current"] and any(t["from"] and t["to"] for t in history["transitions"])
    add("phase_history", history, T.PhaseHistory)

    # effectiveness: accounts below the first phase and at the top (no plan), plans with a stretch
    # target and without, peers by plan
    assessment = custfit.assess_maturity(ds.snapshot(end), maturity_model())
    assert assessment.counts[0] and assessment.counts[-1]
    assert {s["stretch"] is None for a in assessment.accounts for s in a["plan"]} == {True, False}
    add("MaturityAssessment.accounts", assessment.accounts, list[T.AccountMaturity])
    add("MaturityAssessment.to_dict", assessment.to_dict(), T.MaturityAssessmentDocument)

    # tracking against the plan: monthly checks with plans open and closed (achieved, regressed,
    # expired), accounts on track, behind and at the top
    tracker = custfit.PlanTracker({"horizon": {"amount": 60, "unit": "days"}})
    for k in (4, 3, 2, 1, 0):
        check = tracker.track(ds.snapshot(end - dt.timedelta(days=30 * k)), maturity_model())
    assert {p.get("outcome") for p in tracker.plans} == {None, "achieved", "regressed", "expired"}
    assert {a["status"] for a in check.accounts} == {"on_track", "behind", "top"}
    planned = next(a["account_id"] for a in check.accounts if a["closed"] is not None)
    add("PlanTracker.plans", tracker.plans, list[T.ImprovementPlan])
    add("PlanTracker.actuals", tracker.actuals, list[T.PlanActual])
    add("PlanTracker.policy", tracker.policy, T.TrackingPolicy)
    add("PlanTracker.plans_of", tracker.plans_of(planned), list[T.ImprovementPlan])
    add("PlanTracker.actuals_of", tracker.actuals_of(planned), list[T.PlanActual])
    add("PlanTracker.to_dict", tracker.to_dict(), T.PlanTrackerDocument)
    add("PlanCheck.accounts", check.accounts, list[T.PlanProgress])
    add("PlanCheck.to_dict", check.to_dict(), T.PlanCheckDocument)
    return out


def maturity_model(segment_by: str | None = "plan") -> T.MaturityModel:
    """A maturity model over the simulator's metrics, with peers by ``segment_by`` (None: none)."""
    model: T.MaturityModel = {
        "version": 1,
        "best_in_class": 0.9,
        "phases": [
            {"name": "started", "behaviours": [{"name": "active", "metric": "active_days_30d", "at_least": 1.0}]},
            {
                "name": "adopting",
                "behaviours": [
                    {"name": "weekly", "metric": "active_days_30d", "at_least": 8.0},
                    {"name": "recent", "metric": "days_since_last_activity", "at_most": 7.0},
                ],
            },
            {"name": "mature", "behaviours": [{"name": "broad", "metric": "features_used_30d", "at_least": 5.0}]},
        ],
    }
    if segment_by is not None:
        model["segment_by"] = segment_by
    return model


def onboarding_moments(start: dt.datetime) -> dict[str, Any]:
    """The simulator's onboarding as engagement moments, and a check-in every 30 days."""

    def step(name: str, value: str, days: int, **more: Any) -> dict[str, Any]:
        rule = {"property": "step", "in": [value]}
        return {"name": name, "event": "onboarding_step", "filter": rule, "expected": {"amount": days, "unit": "days"}, **more}

    return {
        "from": start.isoformat(),
        "moments": [
            step("kickoff", "kickoff", 7),
            step("training", "training_done", 14, after="previous"),
            step("first_value", "first_value", 14, after="previous"),  # waiting while training is stuck
        ],
        "cadences": [{"name": "check_in", "event": "touch", "every": {"amount": 30, "unit": "days"}}],
    }


@pytest.fixture(scope="module")
def checked(sim: custfit.Simulation) -> dict[str, tuple[Any, Any]]:
    return results(sim)


def documents(sim: custfit.Simulation) -> list[tuple[Any, Any]]:
    """Documents the API only reads (no function returns them), each read by the API here, with
    their declared types: the parts of a frame recipe (a snapshot config with every kind of
    metric, a fitted churn model as saved now and before 0.2), a dry run config, and the
    experiment documents (an analysis config, treatments, power plan configs)."""
    ds, end = sim.dataset, sim.end
    week: T.Window = {"amount": 7, "unit": "days"}
    sso: T.PropertyFilter = {"property": "feature", "in": ["sso"]}
    snapshot: T.SnapshotConfigDocument = {
        "version": 1,
        "metrics": [
            {"type": "count", "name": "sso_uses", "window": week, "event": "feature_used", "filter": sso},
            {"type": "count", "name": "any_events_7d", "window": week},
            {"type": "sum", "name": "sso_sum", "property": "seats", "window": week, "event": "feature_used", "filter": sso},
            {"type": "sum", "name": "seats_sum", "property": "seats", "window": week},
            {"type": "distinct_users", "name": "any_users_7d", "window": week},
            {"type": "distinct_users", "name": "sso_users", "window": week, "event": "feature_used", "filter": sso},
            {"type": "ratio", "name": "sso_share", "numerator": "sso_uses", "denominator": "any_events_7d"},
        ],
        "activity": {
            "non_activity_events": ["support_ticket", "survey_response", "invoice_paid", "touch"],
            "pricing_pages": ["pricing"],
            "high_severity": ["high"],
            "high_severity_at_least": 3.0,
        },
    }
    start = end - dt.timedelta(weeks=6)
    model = custfit.ChurnModel.fit(custfit.build_training_set(ds, {"features": {"metrics": ["active_days_30d"]}}, known_at=start))
    saved = json.loads(model.to_json())
    old = {k: v for k, v in saved.items() if k not in ("checksum", "library_version")}  # a file from before 0.2
    assert custfit.ChurnModel.from_json(json.dumps(old)).to_json() == model.to_json()
    config = {"from": start.isoformat(), "to": end.isoformat(), "step": week, "horizon": week}
    recipe = {"version": 1, "snapshot": snapshot, "churn_model": saved}
    trigger = {"type": "condition", "when": "sso_share > 0.5 && churn_probability > 0"}
    play = {"id": "sso", "trigger": trigger, "firing": {"type": "edge"}, "tactic": {"kind": "email"}}
    book = {"version": 1, "name": "sso", "plays": [play]}
    dry, _ = custfit.dry_run(book, ds, recipe, config)
    assert len(dry["runs"]) == 7
    one_thread = {**config, "threads": 1}  # frames built one at a time: the same result
    assert custfit.dry_run(book, ds, recipe, one_thread)[0] == dry
    out = [(snapshot, T.SnapshotConfigDocument), (saved, T.ChurnModelDocument), (old, T.ChurnModelDocument)]
    full = {"version": 1, **config, "churn": {"gap_tolerance": {"amount": 30, "unit": "days"}}}
    assert custfit.dry_run(book, ds, recipe, full)[0] == dry
    out += [(full, T.DryRunConfig), ({**full, "threads": 1}, T.DryRunConfig)]
    # experiment documents in full: an analysis config and treatments of the simulator
    analysis: T.AnalysisConfig = {
        "version": 1,
        "outcome": {"type": "revenue", "horizon": {"amount": 60, "unit": "days"}},
        "plays": [],
        "groups": {"both": ["sso"]},
        "control": "auto",
        "from": start.isoformat(),
        "to": None,
        "known_at": None,
        "confidence": 0.9,
        "srm_threshold": 0.01,
        "min_per_arm": 5,
        "cuped": False,
        "sequential": {"tuning": 1000.0},
        "higher_is_better": True,
        "expected_control_share": {"both": 0.5},
    }
    report = custfit.analyse(book, custfit.dry_run(book, ds, recipe, config)[1], ds, analysis)
    assert [r["group"] for r in report["results"]] == ["both"]
    first = ds.accounts()[0]["id"]
    treatments: list[T.Treatment] = [{"account_id": first, "start": start.isoformat(), "engagement": 0.5, "churn_odds": 0.8}]
    treated, untreated = (custfit.simulate(sim.config, treatments=t).dataset for t in (treatments, []))
    assert treated.event_count != untreated.event_count
    out += [(analysis, T.AnalysisConfig), (treatments, list[T.Treatment])]
    # power plan configs in full, one per outcome
    rate: T.PowerPlanConfig = {
        "version": 1,
        "outcome": {"type": "rate", "baseline": 0.8},
        "months": 6.0,
        "alpha": 0.1,
        "power": 0.9,
    }
    mean: T.PowerPlanConfig = {**rate, "outcome": {"type": "mean", "sd": 2.5}}
    assert [p["play"] for p in custfit.power_plan(book, dry, rate)] == [p["play"] for p in custfit.power_plan(book, dry, mean)]
    out += [(rate, T.PowerPlanConfig), (mean, T.PowerPlanConfig)]
    # lifecycle configs in full
    activity: T.ActivityRules = {
        "non_activity_events": ["support_ticket", "invoice_paid"],
        "pricing_pages": [],
        "high_severity": [],
        "high_severity_at_least": 3.0,
    }
    lifecycle: T.LifecycleConfig = {"version": 1, "period": "week", "from": start.isoformat(), "activity": activity}
    cohort: T.CohortConfig = {
        "version": 1,
        "period": "month",
        "start": "first_activity",
        "measure": "active",
        "periods": 6,
        "from": None,
        "activity": activity,
    }
    assert custfit.growth_accounting(ds, end, lifecycle).period == "week"
    assert custfit.retention_cohorts(ds, end, cohort)["measure"] == "active"
    out += [(lifecycle, T.LifecycleConfig), (cohort, T.CohortConfig)]
    # a moments config and phases in full: moments and cadences with and without a filter, a rule
    # with and without a description
    touch: T.PropertyFilter = {"property": "channel", "in": ["call"]}
    month: T.Window = {"amount": 30, "unit": "days"}
    csm = {"owner_role": "csm"}
    moments: T.MomentsConfig = {
        "version": 1,
        "start": "first_subscription",
        "from": None,
        "moments": [
            {"name": "call", "event": "touch", "filter": touch, "expected": week, "after": "start", "tolerance": week, **csm},
            {"name": "login", "event": "login", "expected": week, "after": "previous", "tolerance": month, "owner_role": "user"},
            {"name": "active", "condition": "active_days_7d >= 2", "expected": month, "after": "start", "tolerance": week, **csm},
        ],
        "first_value": "login",
        "checks": {"every": week, "snapshot": {"version": 1, "metrics": [], "activity": activity}},
        "cadences": [
            {"name": "check_in", "event": "touch", "every": month, "owner_role": "csm"},
            {"name": "call_review", "event": "touch", "filter": touch, "every": month, "owner_role": "csm"},
        ],
    }
    limits: T.ExprLimits = {"max_source_len": 4096, "max_depth": 64, "max_nodes": 1024, "max_cost": 10_000_000_000}
    phases: T.RuleSegmentation = {
        "version": 1,
        "mode": "first_match",
        "segments": [
            {"name": "onboarding", "condition": "tenure_days < 45", "description": "the first weeks"},
            {"name": "adoption", "condition": "true"},
        ],
        "default_segment": None,
        "limits": limits,
    }
    assert custfit.engagement_moments(ds, end, moments).cadences == ["check_in", "call_review"]
    # conditions checked daily (at most 1,000 checks: journeys from 400 days before `end`)
    daily = {**{k: v for k, v in moments.items() if k != "checks"}, "from": (end - dt.timedelta(days=400)).isoformat()}
    assert custfit.engagement_moments(ds, end, daily).moments == ["call", "login", "active"]
    assert set(custfit.phase_history(ds, [start, end], phases)["current"]) <= {"onboarding", "adoption", None}
    out += [(moments, T.MomentsConfig), (daily, T.MomentsConfig), (phases, T.RuleSegmentation)]
    # maturity models with peer groups and without (every account a peer of every other)
    for model in (maturity_model(), maturity_model(None)):
        assert custfit.assess_maturity(ds.snapshot(end), model).phases == ["started", "adopting", "mature"]
        out.append((model, T.MaturityModel))
    # tracking policies, and a tracker document as saved (read back by PlanTracker.from_json)
    policy: T.TrackingPolicy = {"horizon": {"amount": 3, "unit": "months"}}
    tracker = custfit.PlanTracker(policy)
    assert tracker.policy == policy
    tracker.track(ds.snapshot(end), maturity_model())
    saved = tracker.to_dict()
    assert custfit.PlanTracker.from_json(saved) == tracker
    out += [(policy, T.TrackingPolicy), (saved, T.PlanTrackerDocument)]
    assert not [m for value, tp in out for m in mismatches(value, tp)]
    return out


def typed_functions() -> set[str]:
    """Functions and methods of the stub whose result mentions a custfit.types name."""
    tree = ast.parse(STUB.read_text())
    types_names = {
        a.asname or a.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "custfit.types"
        for a in node.names
        if is_typeddict(getattr(T, a.name))
    }

    def typed(fn: ast.FunctionDef) -> bool:
        return fn.returns is not None and any(isinstance(n, ast.Name) and n.id in types_names for n in ast.walk(fn.returns))

    out = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and typed(n)}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        out |= {f"{cls.name}.{m.name}" for m in cls.body if isinstance(m, ast.FunctionDef) and typed(m)}
    return out


def test_every_typed_function_is_checked(checked):
    assert len(typed_functions()) > 40
    assert set(checked) == typed_functions()


@pytest.mark.parametrize("name", sorted(typed_functions()))
def test_result_shape(checked, name):
    value, tp = checked[name]
    problems = mismatches(value, tp)
    assert not problems, "\n".join(problems[:20])
    if isinstance(value, list):
        assert value, f"{name} returned an empty list: nothing was checked"


def test_every_optional_key_is_met(checked, sim):
    """Each NotRequired key is both present and absent somewhere in the checked results."""
    seen: dict[tuple[str, str], set[bool]] = {}

    def walk(value: Any, tp: Any) -> None:
        if get_origin(tp) is Union:
            for t in get_args(tp):
                if not mismatches(value, t):
                    walk(value, t)
        elif is_typeddict(tp) and isinstance(value, dict):
            for k in tp.__optional_keys__:
                seen.setdefault((tp.__name__, k), set()).add(k in value)
            hints = get_type_hints(tp)
            for k, v in value.items():
                walk(v, hints[k])
        elif get_origin(tp) is list and isinstance(value, list):
            for v in value[:LIST_CAP]:
                walk(v, get_args(tp)[0])

    for value, tp in [*checked.values(), *documents(sim)]:
        walk(value, tp)
    optional = {(t.__name__, k) for t in vars(T).values() if is_typeddict(t) for k in t.__optional_keys__}
    assert optional and {k for k, v in seen.items() if v == {True, False}} == optional, seen


def test_from_files_report(tmp_path, sim):
    small = custfit.simulate(accounts=5, days=20, seed=1).dataset
    small.write_csv(tmp_path)
    ds, report = custfit.Dataset.from_files(*(tmp_path / f"{t}.csv" for t in ("accounts", "users", "subscriptions", "events")))
    assert isinstance(ds, custfit.Dataset)
    assert mismatches(report, T.LoadReport) == []


def test_exported_types_are_typeddicts_or_aliases():
    for name in T.__all__:
        obj = getattr(T, name)
        assert is_typeddict(obj) or get_origin(obj) in (Union, Literal), name
        if is_typeddict(obj):
            assert obj.__required_keys__ | obj.__optional_keys__ == set(get_type_hints(obj)), name
