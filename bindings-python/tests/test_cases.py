"""The one golden-case runner: every ``tests/cases/<folder>/*.json`` is ``{"description", "call",
"input", "expected" | "error", "tolerance"?}`` (the files the Rust and Node suites run). ``call``
picks a handler below, which runs the call through the public Python API on ``input`` and
returns its result as JSON-like data; the runner compares ``expected`` (a subset) and ``error``
(a subset of ``{"code", "row", "position", "suggestion", "stage"}``) exactly like
``core/tests/cases.rs``. Unknown case keys and unknown calls fail: nothing is skipped silently.

``CUSTFIT_CASES_DIR`` (optional) points the runner at another copy of ``tests/cases``."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import custfit
import pytest

CASES = Path(os.environ.get("CUSTFIT_CASES_DIR") or Path(__file__).resolve().parents[2] / "tests" / "cases")
# The folders of golden cases (the Rust runner's FOLDERS).
FOLDERS = [
    "data",
    "metrics",
    "document",
    "stats",
    "outcome",
    "expr",
    "frame",
    "segment",
    "health",
    "activity",
    "churn",
    "play",
    "experiment",
    "lifecycle",
    "effectiveness",
]
CASE_KEYS = {"description", "call", "input", "expected", "error", "tolerance"}
TABLES = ["accounts", "users", "subscriptions", "events"]
DEFAULT_TOLERANCE = 1e-9

FILES = [p for folder in FOLDERS for p in sorted((CASES / folder).glob("*.json"))]


# ------------------------------------------------------------------------------------ helpers


def rfc3339(dt: datetime) -> str:
    """An instant as the core writes it: UTC, ``Z``, milliseconds only when not whole seconds."""
    dt = dt.astimezone(timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    millis = dt.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def to_json(v: Any) -> Any:
    """A Python result in its JSON form, as serde_json would give it: instants as RFC 3339 text,
    tuples as lists, non-finite floats as null."""
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, datetime):
        return rfc3339(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def error_json(e: custfit.CustfitError) -> dict:
    """The error fields the cases can name; the same in every language (None reads as absent)."""
    return {
        "code": e.code,
        "row": e.row,
        "position": getattr(e, "position", None),
        "suggestion": getattr(e, "suggestion", None),
    }


def bad_case(what: str, reason: str) -> custfit.CustfitError:
    """A malformed case: ``parse_error``, as the Rust runner reports it."""
    e = custfit.ParseError(f"case {what}: {reason}")
    e.code = "parse_error"
    return e


def labels(v: Any) -> list[bool]:
    """1 or true is a positive label; anything else is negative (the Rust runner's `labels`)."""
    return [b is True or (type(b) is int and b == 1) for b in v or []]


def json_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def snapshot(v: Any) -> custfit.Snapshot:
    return custfit.snapshot_from_json(v)


def snapshot_rows(snap: custfit.Snapshot) -> dict:
    """``{account: {column: value}}`` of every cell, read through the Python cell values."""
    table = snap.to_dict()
    names = snap.column_names
    return {account: {c: table[c][i] for c in names} for i, account in enumerate(snap.account_ids)}


def snapshot_json(snap: custfit.Snapshot) -> dict:
    """The snapshot's JSON form ``{"as_of", "columns", "types"}``, built from the Python values."""
    types = {k: t for k, t in snap.schema.items() if k != "account_id"}
    return {"as_of": snap.as_of, "columns": snap.to_dict(), "types": types}


# ------------------------------------------------------------------------------------ handlers


def counts(ds: custfit.Dataset) -> dict[str, int]:
    return {
        "accounts": ds.account_count,
        "users": ds.user_count,
        "subscriptions": ds.subscription_count,
        "events": ds.event_count,
    }


def dataset(inp: dict) -> dict:
    """Adds each table of ``input`` as one batch (accounts, users, subscriptions, events) with
    ``options``, then with ``as_of`` takes a snapshot with ``config``: ``counts``, ``reports`` per
    table, ``row_count`` and ``rows``; on a failing call also ``error`` with its ``stage``. A
    failed add must leave the dataset unchanged."""
    options = inp.get("options")
    ds = custfit.Dataset()
    reports: dict = {}
    for table in TABLES:
        if table not in inp:
            continue
        before = counts(ds)
        try:
            reports[table] = getattr(ds, f"add_{table}")(inp[table], options)
        except custfit.CustfitError as e:
            assert counts(ds) == before, f"a failed add of {table} changed the dataset"
            return {"error": {**error_json(e), "stage": table}, "counts": counts(ds), "reports": reports}
    out: dict = {"counts": counts(ds), "reports": reports}
    if "as_of" in inp:
        try:
            snap = ds.snapshot(inp["as_of"], inp.get("config"))
        except custfit.CustfitError as e:
            out["error"] = {**error_json(e), "stage": "snapshot"}
            return out
        out["row_count"] = len(snap)
        out["rows"] = snapshot_rows(snap)
    return out


EMPTY = custfit.Dataset()
EMPTY_SNAPSHOT = EMPTY.snapshot("2024-01-01")
# Python has no bare document reader: each kind is read by a call that reads it first. The ones
# that then work on the (empty) data may fail with `insufficient_data` after the document read.
READ = {
    "scorecard": (custfit.Scorecard, False),
    "scorecard_set": (custfit.ScorecardSet, False),
    "snapshot_config": (lambda d: EMPTY.snapshot("2024-01-01", d), False),
    "training_set_config": (lambda d: custfit.build_training_set(EMPTY, d, known_at="2024-01-01"), True),
    "pareto_config": (lambda d: custfit.pareto_tiers(EMPTY_SNAPSHOT, d), True),
    "rule_segmentation": (lambda d: custfit.segment_rules(EMPTY_SNAPSHOT, d), True),
    "churn_model": (lambda d: custfit.ChurnModel.from_json(json_text(d)), False),
}


def read_document(inp: dict) -> dict:
    """``{kind, document}`` read by the kind's reader; ``{"ok": true}`` when it reads."""
    kind = inp.get("kind")
    if kind not in READ:
        raise bad_case("kind", f"unknown document kind `{kind}`")
    read, needs_data = READ[kind]
    try:
        read(inp.get("document"))
    except custfit.CustfitError as e:
        if not (needs_data and e.code == "insufficient_data"):
            raise
    return {"ok": True}


def expr(inp: dict) -> dict:
    """``expression`` compiled against ``snapshot``'s schema (with ``limits``) and evaluated."""
    snap = snapshot(inp.get("snapshot"))
    compiled = custfit.Expr(inp.get("expression", ""), snap, limits=inp.get("limits"))
    return {"type": compiled.result_type, "values": compiled.evaluate(snap)}


def with_columns(inp: dict) -> dict:
    """``source`` (a result's JSON form or a column map, named ``name``) added to ``snapshot``."""
    snap = snapshot(inp.get("snapshot"))
    return snapshot_json(snap.with_columns(inp.get("source"), inp.get("name")))


def segment(run: Callable[[custfit.Snapshot, Any], Any]) -> Callable[[dict], Any]:
    return lambda inp: run(snapshot(inp.get("snapshot")), inp.get("config"))


def score(inp: dict) -> dict:
    """``snapshot`` scored by ``scorecard`` or ``scorecard_set``: ``rows``, plus ``changes`` since
    the scores of ``earlier`` and ``rollup`` by ``rollup_weight`` when given."""
    snap = snapshot(inp.get("snapshot"))

    def score_with(s: custfit.Snapshot) -> custfit.HealthScores:
        if "scorecard" in inp:
            return custfit.Scorecard(inp["scorecard"]).score(s)
        return custfit.ScorecardSet(inp.get("scorecard_set")).score(s)

    scores = score_with(snap)
    out: dict = {"rows": scores.rows()}
    if "earlier" in inp:
        out["changes"] = scores.changes_since(score_with(snapshot(inp["earlier"])))
    if isinstance(inp.get("rollup_weight"), str):
        out["rollup"] = scores.rollup(snap, inp["rollup_weight"])
    return out


def loaded(inp: dict) -> custfit.Dataset:
    """The ``accounts``, ``users``, ``subscriptions`` and ``events`` of ``inp`` (those given)."""
    ds = custfit.Dataset()
    ds.add_accounts(inp.get("accounts"))
    for table, add in (("users", ds.add_users), ("subscriptions", ds.add_subscriptions), ("events", ds.add_events)):
        if table in inp:
            add(inp[table])
    return ds


def churn_dates(inp: dict, activity: bool) -> dict:
    """Subscription (or activity) churn instants per account known by ``known_at``, and the data's end."""
    ds = loaded(inp)
    call = custfit.activity_churn_dates if activity else custfit.churn_dates
    return {"data_end": ds.data_end, "dates": call(ds, inp.get("known_at"), inp.get("config"))}


def growth_accounting(inp: dict) -> Any:
    """The rows loaded, then growth accounting as of ``as_of`` under ``config``, as its dict."""
    return custfit.growth_accounting(loaded(inp), inp.get("as_of"), inp.get("config")).to_dict()


def engagement_moments(inp: dict) -> Any:
    """The rows loaded, then the engagement moments as of ``as_of`` under ``config``, as its dict."""
    return custfit.engagement_moments(loaded(inp), inp.get("as_of"), inp.get("config")).to_dict()


def track_plans(inp: dict) -> dict:
    """A plan tracker (``tracker``, a saved document, or an empty one) checked at each of
    ``checks`` (``{"snapshot", "model"?}``: a check's own model, else ``model``): ``{"checks",
    "tracker"}``, each check and the tracker as their dicts."""
    tracker = custfit.PlanTracker.from_json(inp["tracker"]) if inp.get("tracker") is not None else custfit.PlanTracker()
    checks = []
    for step in inp.get("checks") or []:
        model = step["model"] if "model" in step else inp.get("model")
        checks.append(tracker.track(snapshot(step.get("snapshot")), model).to_dict())
    return {"checks": checks, "tracker": tracker.to_dict()}


def goal_progress(inp: dict) -> Any:
    """``accounts``, ``users``, ``events`` loaded, then the progress of ``account_id`` towards
    ``goal`` as of ``as_of`` over ``lookback``."""
    ds = loaded(inp)
    account = inp.get("account_id") if isinstance(inp.get("account_id"), str) else ""
    return custfit.goal_progress(ds, account, inp.get("goal"), inp.get("as_of"), inp.get("lookback"))


def logistic_fit(inp: dict) -> dict:
    m = custfit.fit_logistic(inp["x"], labels(inp.get("y")), inp.get("config"))
    head = [1 / (1 + math.exp(-(m["intercept"] + sum(a * b for a, b in zip(r, m["coefficients"]))))) for r in inp["x"][:5]]
    return {"coefficients": m["coefficients"], "intercept": m["intercept"], "probabilities_head": head}


def rate_conversion(inp: dict) -> dict:
    annual = custfit.monthly_to_annual(inp["monthly"])
    return {"annual": annual, "monthly_again": custfit.annual_to_monthly(annual)}


def model_fit(inp: dict) -> dict:
    ts = custfit.TrainingSet.from_matrix(inp["features"], inp["x"], labels(inp.get("y")))
    return {"probabilities": custfit.ChurnModel.fit(ts, inp.get("config")).predict(inp["x"])}


def model_predict(inp: dict) -> dict:
    m = custfit.ChurnModel.from_json(json_text(inp.get("model")))
    probabilities = m.predict(inp["rows"])
    drivers = [d["feature"] for d in m.explain(inp["rows"][0])["drivers"][:3]]
    return {"probabilities": probabilities, "top_drivers_first_row": drivers}


def learn_weights(inp: dict) -> dict:
    config = inp.get("config") or {}
    r = custfit.learn_weights(config.get("scorecard"), inp["points"], labels(inp.get("y")), config.get("logistic"))
    return {
        "shares_after": [w["share_after"] for w in r["weights"]],
        "coefficients_per_10_points": [w["coefficient_per_10_points"] for w in r["weights"]],
        "intercept": r["intercept"],
        "statuses": [w["status"] for w in r["weights"]],
        "scorecard": r["scorecard"],
    }


def play_run(inp: dict) -> dict:
    """``playbook`` run over each of ``runs`` in turn (``{"frame": <snapshot>, "close": [{"key",
    "status", "at"}]}``: the run's frame, then the actions the caller closes), starting from
    ``state`` (a saved ledger, object or text) or an empty one: ``{"runs", "state"}`` (each run whole:
``fired``, ``updated``, ``held_out``, ``closed``, ``skipped``). A run may bring its own
``playbook``."""
    book = custfit.Playbook(inp.get("playbook"))
    state = custfit.PlayState.from_json(json_text(inp["state"])) if "state" in inp else custfit.PlayState()
    runs = []
    for step in inp.get("runs") or []:
        # A run may bring its own playbook (a play changed between runs).
        own = custfit.Playbook(step["playbook"]) if "playbook" in step else book
        run, state = custfit.run_playbook(own, snapshot(step.get("frame")), state)
        for c in step.get("close") or []:
            state.close(c.get("key", ""), c.get("status"), c.get("at"))
        runs.append(run)
    return {"runs": runs, "state": state.to_dict()}


def num(inp: dict, key: str) -> float:
    """A number of ``input`` (NaN when absent or not a number, as the Rust runner reads it)."""
    v = inp.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def nums(inp: dict, *keys: str) -> list[float]:
    return [num(inp, k) for k in keys]


def floats(v: Any) -> list[float]:
    """Numbers of a JSON array (NaN for anything else, as the Rust runner reads them)."""
    return [float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else math.nan for x in v or []]


def text(inp: dict, key: str) -> str:
    return inp.get(key) if isinstance(inp.get(key), str) else ""


def welch_summary(inp: dict) -> dict:
    """``control`` and ``treatment`` as ``{n, mean, variance}`` or ``{n, sum, sum_squares}``:
    ``{"effect", "sequential"}`` (the always-valid interval when ``tuning`` is given, else None)."""
    effect = custfit.welch_summary(inp.get("control"), inp.get("treatment"), num(inp, "confidence"))
    sequential = custfit.sequential(effect, num(inp, "tuning")) if "tuning" in inp else None
    return {"effect": effect, "sequential": sequential}


def cuped(inp: dict) -> Any:
    """``control`` and ``treatment`` as ``{y, x}``."""

    def arm(k: str) -> dict:
        a = inp.get(k) or {}
        return {"y": floats(a.get("y")), "x": floats(a.get("x"))}

    return custfit.cuped(arm("control"), arm("treatment"), num(inp, "confidence"))


def log_rank(inp: dict) -> Any:
    """``a`` and ``b`` as ``{durations, events}``."""

    def arm(k: str) -> dict:
        a = inp.get(k) or {}
        return {"durations": floats(a.get("durations")), "events": labels(a.get("events"))}

    return custfit.log_rank(arm("a"), arm("b"))


HANDLERS: dict[str, Callable[[dict], Any]] = {
    "dataset": dataset,
    "read_document": read_document,
    "roc_auc": lambda i: {"value": custfit.roc_auc(i["risk"], labels(i.get("labels")))},
    "wilson_interval": lambda i: {"value": custfit.wilson_interval(i["k"], i["n"])},
    "monthly_to_annual": lambda i: {"value": custfit.monthly_to_annual(i["rate"])},
    "annual_to_monthly": lambda i: {"value": custfit.annual_to_monthly(i["rate"])},
    "expr": expr,
    "with_columns": with_columns,
    "segment_rules": segment(custfit.segment_rules),
    "pareto_tiers": segment(custfit.pareto_tiers),
    "quantile_buckets": segment(custfit.quantile_buckets),
    "rfm_scores": segment(custfit.rfm_scores),
    "fit_clusters": segment(custfit.fit_clusters),
    "capacity_plan": segment(custfit.capacity_plan),
    "score": score,
    "goal_progress": goal_progress,
    "churn_dates": lambda i: churn_dates(i, activity=False),
    "activity_churn_dates": lambda i: churn_dates(i, activity=True),
    "logistic_fit": logistic_fit,
    "evaluate": lambda i: custfit.evaluate_churn(i["probabilities"], labels(i.get("labels"))),
    "rate_conversion": rate_conversion,
    "model_fit": model_fit,
    "model_predict": model_predict,
    "learn_weights": learn_weights,
    "play_run": play_run,
    "holdout_draw": lambda i: {"value": custfit.holdout_draw(text(i, "account"), text(i, "play"), text(i, "salt"))},
    "sample_ratio_mismatch": lambda i: custfit.sample_ratio_mismatch(i["observed"], floats(i.get("shares")), num(i, "threshold")),
    "sample_size_proportions": lambda i: custfit.sample_size_proportions(*nums(i, "baseline", "mde", "alpha", "power", "ratio")),
    "sample_size_means": lambda i: custfit.sample_size_means(*nums(i, "sd", "mde", "alpha", "power", "ratio")),
    "mde_proportions": lambda i: {
        "value": custfit.mde_proportions(num(i, "baseline"), i["control"], i["treatment"], num(i, "alpha"), num(i, "power"))
    },
    "mde_means": lambda i: {
        "value": custfit.mde_means(num(i, "sd"), i["control"], i["treatment"], num(i, "alpha"), num(i, "power"))
    },
    "welch": lambda i: custfit.welch(floats(i.get("control")), floats(i.get("treatment")), num(i, "confidence")),
    "welch_summary": welch_summary,
    "cuped": cuped,
    "kaplan_meier": lambda i: custfit.kaplan_meier(floats(i.get("durations")), labels(i.get("events")), num(i, "confidence")),
    "log_rank": log_rank,
    "analyse_observations": lambda i: custfit.analyse_observations(i.get("observations"), i.get("config")),
    "growth_accounting": growth_accounting,
    "retention_cohorts": lambda i: custfit.retention_cohorts(loaded(i), i.get("as_of"), i.get("config")),
    "engagement_moments": engagement_moments,
    # (the MaturityAssessment object, as its dict)
    "assess_maturity": lambda i: custfit.assess_maturity(snapshot(i.get("snapshot")), i.get("model")).to_dict(),
    "track_plans": track_plans,
}


# ------------------------------------------------------------------------------------ the runner


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def subset(expected: Any, actual: Any, tol: float, path: str) -> None:
    """Every key of an expected object matches (a key the result lacks reads as None; extra keys
    are ignored), arrays element by element with equal length, numbers within
    ``tol * max(1, |expected|)``, everything else equal (JSON types: a bool is not a number)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected {json.dumps(expected)}, got {actual!r}"
        for k, v in expected.items():
            subset(v, actual.get(k), tol, f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected {json.dumps(expected)}, got {actual!r}"
        assert len(actual) == len(expected), f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, tol, f"{path}[{i}]")
    elif is_number(expected) and is_number(actual):
        within = abs(expected - actual) <= tol * max(1.0, abs(expected))
        assert within, f"{path}: expected {expected}, got {actual} (tolerance {tol})"
    else:
        same = type(expected) is type(actual) or (is_number(expected) and is_number(actual))
        assert same and expected == actual, f"{path}: expected {json.dumps(expected)}, got {actual!r}"


def load(path: Path) -> dict:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), "a case is a JSON object"
    unknown = sorted(set(case) - CASE_KEYS)
    assert not unknown, f"unknown key `{unknown[0]}`"
    return case


def test_there_are_cases():
    for folder in FOLDERS:
        assert list((CASES / folder).glob("*.json")), f"no golden cases in {CASES / folder}"
    assert len(FILES) >= 150, f"only {len(FILES)} golden cases"
    calls = {json.loads(p.read_text(encoding="utf-8")).get("call") for p in FILES}
    assert calls <= set(HANDLERS), f"calls without a handler: {sorted(map(str, calls - set(HANDLERS)))}"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_case(path: Path) -> None:
    case = load(path)
    call = case.get("call")
    assert isinstance(call, str), "no `call`"
    assert call in HANDLERS, f"unknown call `{call}`"
    try:
        outcome = to_json(HANDLERS[call](case.get("input")))
    except custfit.CustfitError as e:
        outcome = {"error": to_json(error_json(e))}
    assert isinstance(outcome, dict), f"{call} returned {outcome!r}, not an object"
    tol = case.get("tolerance", DEFAULT_TOLERANCE)
    want_error, got_error = case.get("error"), outcome.get("error")
    if want_error is not None:
        assert got_error is not None, f"expected error {json.dumps(want_error)}, got {outcome!r}"
        subset(want_error, got_error, tol, "error")
    else:
        assert got_error is None, f"unexpected error {got_error!r}"
    if "expected" in case:
        subset(case["expected"], outcome, tol, "expected")
    else:
        assert "error" in case, "neither `expected` nor `error`"
