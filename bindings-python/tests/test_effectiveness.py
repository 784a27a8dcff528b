"""The effectiveness (maturity) model from Python: five accounts built by hand, placed in their
phases, benchmarked against their peers (gold's percentiles, median and best in class worked out
by hand) and given an improvement plan; the assessment as snapshot columns a play triggers on and
as an Arrow table; models as dicts or JSON text; bad models and arguments (stable ``.code``).
Tracking against the plan: a simulated base checked monthly (the same figures as the Node suite
and the Rust guide), the invariants of the ledger, its plan columns in a play, idempotent checks
in time order, bad policies, documents and arguments. The golden cases of
tests/cases/effectiveness run in test_cases.py; docs/src/effectiveness.md includes the ANCHOR
regions of this file."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import custfit
import pytest

# The same frame and model as bindings-node/__test__/effectiveness.test.mjs.
FRAME = {
    "as_of": "2024-06-01T00:00:00Z",
    "columns": {
        "account_id": ["a0", "a1", "a2", "a3", "a4"],
        "days": [0.0, 3.0, 10.0, 12.0, 20.0],
        "silence": [30.0, 2.0, 2.0, 1.0, 10.0],
        "features": [0.0, 9.0, 3.0, 6.0, 8.0],
        "tier": ["gold", "gold", "gold", "gold", "other"],
    },
    "types": {"days": "float", "silence": "float", "features": "float", "tier": "str"},
}

MODEL: dict[str, Any] = {
    "version": 1,
    "segment_by": "tier",
    "phases": [
        {"name": "started", "behaviours": [{"name": "active", "metric": "days", "at_least": 1}]},
        {
            "name": "adopting",
            "behaviours": [
                {"name": "weekly", "metric": "days", "at_least": 8},
                {"name": "recent", "metric": "silence", "at_most": 7},
            ],
        },
        {"name": "mature", "behaviours": [{"name": "broad", "metric": "features", "at_least": 5}]},
    ],
}


@pytest.fixture()
def frame() -> custfit.Snapshot:
    return custfit.snapshot_from_json(FRAME)


def test_assess(frame):
    # ANCHOR: assess
    model = {
        "version": 1,
        "segment_by": "tier",  # peers: accounts of the same tier
        "phases": [  # lowest first; each account is in the highest phase it meets with every earlier one
            {"name": "started", "behaviours": [{"name": "active", "metric": "days", "at_least": 1}]},
            {
                "name": "adopting",
                "behaviours": [
                    {"name": "weekly", "metric": "days", "at_least": 8},
                    {"name": "recent", "metric": "silence", "at_most": 7},  # lower is better
                ],
            },
            {"name": "mature", "behaviours": [{"name": "broad", "metric": "features", "at_least": 5}]},
        ],
    }
    assessment = custfit.assess_maturity(frame, model)
    print([a["phase"] for a in assessment.accounts])
    # [None, 'started', 'adopting', 'mature', 'started']
    print(assessment.counts)  # below the first phase, then one per phase
    # [1, 2, 1, 1]
    print(assessment.accounts[1]["plan"])  # what a1 needs for the next phase
    # [{'baseline': 3.0, 'behaviour': 'weekly', 'gap': 5.0, 'metric': 'days', 'stretch': 11.4, 'target': 8.0}]
    # ANCHOR_END: assess
    assert assessment.phases == ["started", "adopting", "mature"]
    assert [a["phase"] for a in assessment.accounts] == [None, "started", "adopting", "mature", "started"]
    assert [a["level"] for a in assessment.accounts] == [0, 1, 2, 3, 1]
    assert [a["next_phase"] for a in assessment.accounts] == ["started", "adopting", "mature", None, "adopting"]
    assert assessment.counts == [1, 2, 1, 1]
    a1 = assessment.accounts[1]
    assert a1["segment"] == "gold"
    [step] = a1["plan"]
    assert (step["behaviour"], step["metric"], step["baseline"], step["target"], step["gap"]) == ("weekly", "days", 3.0, 8.0, 5.0)
    assert step["stretch"] == pytest.approx(11.4)  # gold's 90th percentile of days: 0, 3, 10, 12
    # a2 does at least as well as 3 of its 4 gold peers on `weekly`; their median is (3 + 10) / 2.
    weekly = next(b for b in assessment.accounts[2]["behaviours"] if b["behaviour"] == "weekly")
    assert weekly["met"] and weekly["value"] == 10.0
    assert weekly["percentile"] == pytest.approx(0.75) and weekly["peer_median"] == pytest.approx(6.5)
    # At the top there is nothing left to plan; below the first phase the plan is the first one.
    assert assessment.accounts[3]["plan"] == []
    assert [s["behaviour"] for s in assessment.accounts[0]["plan"]] == ["active"]
    # a4 (alone in its tier) misses `recent`: silence 10 against at most 7.
    [recent] = assessment.accounts[4]["plan"]
    assert (recent["behaviour"], recent["baseline"], recent["target"], recent["gap"]) == ("recent", 10.0, 7.0, 3.0)


def test_columns_in_a_play(frame):
    assessment = custfit.assess_maturity(frame, MODEL)
    with_maturity = frame.with_columns(assessment, "maturity")
    schema = with_maturity.schema
    assert (schema["maturity"], schema["maturity_level"], schema["maturity_next"], schema["maturity_gaps"]) == (
        "str",
        "int",
        "str",
        "int",
    )
    table = with_maturity.to_dict()
    assert table["maturity"] == [None, "started", "adopting", "mature", "started"]
    assert table["maturity_level"] == [0, 1, 2, 3, 1]
    assert table["maturity_gaps"] == [1, 1, 1, 0, 1]
    book = custfit.Playbook(
        {
            "name": "grow",
            "plays": [
                {
                    "id": "coach",
                    "trigger": {"type": "condition", "when": "maturity_level < 2"},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "email", "payload": {"template": "next-steps"}},
                }
            ],
        }
    )
    run, _ = custfit.run_playbook(book, with_maturity)
    assert sorted(a["account_id"] for a in run["fired"]) == ["a0", "a1", "a4"]
    # The default name, and the same columns as an Arrow table.
    assert {"maturity", "maturity_level", "maturity_next", "maturity_gaps"} <= set(frame.with_columns(assessment).column_names)
    arrow = custfit.to_arrow(assessment, "phase")
    assert arrow.column_names == ["account_id", "phase", "phase_level", "phase_next", "phase_gaps"]
    assert arrow.column("phase").to_pylist() == [a["phase"] for a in assessment.accounts]


def test_round_trip_and_json_text(frame):
    assessment = custfit.assess_maturity(frame, MODEL)
    doc = assessment.to_dict()
    assert json.loads(assessment.to_json()) == doc
    assert set(doc) == {"phases", "counts", "accounts"}
    assert doc["accounts"] == assessment.accounts
    assert repr(assessment) == 'MaturityAssessment(phases=["started", "adopting", "mature"], counts=[1, 2, 1, 1])'
    # JSON text reads as the dict does; without peer groups every account is a peer of every other.
    assert custfit.assess_maturity(frame, json.dumps(MODEL)).to_dict() == doc
    everyone = custfit.assess_maturity(frame, {k: v for k, v in MODEL.items() if k != "segment_by"})
    assert everyone.counts == doc["counts"] and {a["segment"] for a in everyone.accounts} == {None}
    weekly = next(b for b in everyone.accounts[2]["behaviours"] if b["behaviour"] == "weekly")
    assert weekly["percentile"] == pytest.approx(0.6) and weekly["peer_median"] == pytest.approx(10.0)


def with_phases(phases: list[dict[str, Any]]) -> dict[str, Any]:
    return {**MODEL, "phases": phases}


def test_bad_models_and_arguments(frame):
    phases = MODEL["phases"]
    both = {"name": "broad", "metric": "features", "at_least": 5, "at_most": 9}
    bad = [
        (with_phases(phases[:2]), "invalid_config", custfit.InvalidInputError, "`phases`"),
        (
            with_phases([*phases[:2], {"name": "mature", "behaviours": [both]}]),
            "invalid_config",
            custfit.InvalidInputError,
            "`phases[2].behaviours[0]`",
        ),
        ({**MODEL, "version": 9}, "unsupported_version", custfit.UnsupportedVersionError, "maturity model"),
        ({**MODEL, "segment_by": "region"}, "unknown_metric", custfit.UnknownMetricError, "region"),
        ({**MODEL, "colour": "red"}, "parse_error", custfit.ParseError, "colour"),
        ("{", "parse_error", custfit.ParseError, "maturity model"),
        (5, "invalid_argument", custfit.InvalidInputError, "`model`"),
    ]
    for model, code, cls, names in bad:
        with pytest.raises(cls, match=re.escape(names)) as e:
            custfit.assess_maturity(frame, model)
        assert e.value.code == code, (model, e.value)
    with pytest.raises(TypeError):
        custfit.assess_maturity(custfit.Dataset(), MODEL)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        custfit.assess_maturity(frame)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        custfit.MaturityAssessment()  # type: ignore[call-arg]


# -------------------------------------------------------------------------------- tracking

# What the guide snippet prints (the same in bindings-node/__test__/effectiveness.test.mjs and, in
# substance, core/tests/guide.rs): the two languages are checked against each other.
TRACKING_LINES = [
    "2024-01-30: 273 plans made, 0 achieved, 0 regressed, 0 expired, 0 behind",
    "2024-02-29: 87 plans made, 35 achieved, 30 regressed, 0 expired, 174 behind",
    "2024-03-30: 89 plans made, 21 achieved, 42 regressed, 0 expired, 211 behind",
    "2024-04-29: 268 plans made, 36 achieved, 36 regressed, 159 expired, 76 behind",
    "plan 1 (initial) for adopting: achieved",
    "plan 2 (achieved) for mature: regressed",
    "plan 3 (regressed) for adopting: achieved",
    "plan 4 (achieved) for mature: open",
]


def test_tracking(capsys):
    # ANCHOR: tracking
    sim = custfit.simulate(accounts=400, days=120, activity_scale=0.3)
    model = {
        "version": 1,
        "segment_by": "plan",
        "phases": [
            {"name": "started", "behaviours": [{"name": "active", "metric": "active_days_30d", "at_least": 1}]},
            {
                "name": "adopting",
                "behaviours": [
                    {"name": "weekly_use", "metric": "active_days_30d", "at_least": 8},
                    {"name": "recent", "metric": "days_since_last_activity", "at_most": 7},
                ],
            },
            {
                "name": "mature",
                "behaviours": [
                    {"name": "broad_use", "metric": "features_used_30d", "at_least": 5},
                    {"name": "most_seats", "metric": "seat_utilization", "at_least": 0.6},
                ],
            },
        ],
    }
    tracker = custfit.PlanTracker({"horizon": {"amount": 90, "unit": "days"}})  # plans due 90 days after they are made
    for month in range(1, 5):  # checked monthly, at the end of each 30 days
        snapshot = sim.dataset.snapshot(sim.start + dt.timedelta(days=30 * month, seconds=-1))
        check = tracker.track(snapshot, model)
        behind = sum(a["status"] == "behind" for a in check.accounts)
        print(
            f"{check.at:%Y-%m-%d}: {check.plans_made} plans made, {check.achieved} achieved, "
            f"{check.regressed} regressed, {check.expired} expired, {behind} behind"
        )
    # 2024-01-30: 273 plans made, 0 achieved, 0 regressed, 0 expired, 0 behind
    # 2024-02-29: 87 plans made, 35 achieved, 30 regressed, 0 expired, 174 behind
    # 2024-03-30: 89 plans made, 21 achieved, 42 regressed, 0 expired, 211 behind
    # 2024-04-29: 268 plans made, 36 achieved, 36 regressed, 159 expired, 76 behind
    for plan in tracker.plans_of("acc-000060"):  # one account's plan and re-plans
        print(f"plan {plan['revision']} ({plan['reason']}) for {plan['target_phase']}: {plan.get('outcome', 'open')}")
    # plan 1 (initial) for adopting: achieved
    # plan 2 (achieved) for mature: regressed
    # plan 3 (regressed) for adopting: achieved
    # plan 4 (achieved) for mature: open
    # Columns for plays: plan_status ("on_track", "behind", "top"), plan_progress, plan_elapsed,
    # plan_target, plan_due, plan_revision.
    frame = snapshot.with_columns(check, "plan")
    # ANCHOR_END: tracking
    assert capsys.readouterr().out.splitlines() == TRACKING_LINES
    assert isinstance(check, custfit.PlanCheck) and check.at == sim.end
    assert tracker.checks == [sim.start + dt.timedelta(days=30 * m, seconds=-1) for m in range(1, 5)]
    assert tracker.policy == {"horizon": {"amount": 90, "unit": "days"}}
    # Each account below the top has exactly one open plan, for its next phase; the top has none.
    open_plans: dict[str, list[dict[str, Any]]] = {}
    for p in tracker.plans:
        if "closed_at" not in p:
            open_plans.setdefault(p["account_id"], []).append(p)
    assert len(check.accounts) == 400
    for a in check.accounts:
        mine = open_plans.get(a["account_id"], [])
        if a["status"] == "top":
            assert mine == [] and a["revision"] is None, a
        else:
            assert [(p["revision"], p["target_phase"]) for p in mine] == [(a["revision"], a["target_phase"])], a
            assert 0.0 <= a["progress"] <= 1.0 and 0.0 <= a["elapsed"] <= 1.0
            assert (a["status"] == "behind") == (a["progress"] < a["elapsed"])
    assert sum(len(v) for v in open_plans.values()) == 358 == 400 - sum(a["status"] == "top" for a in check.accounts)
    # Every check recorded an actual for each plan open before it (no account leaves the frame).
    for at in (c.isoformat().replace("+00:00", "Z") for c in tracker.checks):
        was_open = [p for p in tracker.plans if p["made_at"] < at and p.get("closed_at", "9999") >= at]
        assert len([x for x in tracker.actuals if x["at"] == at]) == len(was_open)
    assert (len(tracker.plans), len(tracker.actuals)) == (717, 889)
    # (its first plan was made at the first check: its actuals start at the second)
    assert [x["at"][:10] for x in tracker.actuals_of("acc-000060")] == ["2024-02-29", "2024-03-30", "2024-04-29"]
    assert tracker.plans_of("nobody") == [] and tracker.actuals_of("nobody") == []
    # The document reads back as it was, from JSON text or a dict.
    again = custfit.PlanTracker.from_json(tracker.to_json())
    assert again == tracker and again.to_dict() == tracker.to_dict() == json.loads(tracker.to_json())
    assert custfit.PlanTracker.from_json(tracker.to_dict()) == tracker
    assert json.loads(check.to_json()) == check.to_dict()
    assert repr(tracker) == 'PlanTracker(checks=4, plans=717, open=358, last_check=Some("2024-04-29T23:59:59Z"))'
    # The plan columns in a play: `plan_status == "behind"` fires on exactly the accounts behind.
    schema = frame.schema
    types = [schema[f"plan_{c}"] for c in ("status", "progress", "elapsed", "target", "due", "revision")]
    assert types == ["str", "float", "float", "str", "timestamp", "int"]
    book = custfit.Playbook(
        {
            "name": "plans",
            "plays": [
                {
                    "id": "nudge",
                    "trigger": {"type": "condition", "when": 'plan_status == "behind"'},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "email", "payload": {"template": "plan-check-in"}},
                }
            ],
        }
    )
    run, _ = custfit.run_playbook(book, frame)
    behind_ids = sorted(a["account_id"] for a in check.accounts if a["status"] == "behind")
    assert sorted(a["account_id"] for a in run["fired"]) == behind_ids and len(behind_ids) == 76
    # The default name, and the same columns as an Arrow table.
    assert "plan_status" in snapshot.with_columns(check).column_names
    arrow = custfit.to_arrow(check)
    columns = ["plan_status", "plan_progress", "plan_elapsed", "plan_target", "plan_due", "plan_revision"]
    assert arrow.column_names == ["account_id", *columns]
    assert arrow.column("plan_status").to_pylist() == [a["status"] for a in check.accounts]


def frame_at(as_of: str, days: list[float], features: list[float]) -> custfit.Snapshot:
    """Three accounts of one tier as of ``as_of`` (``MODEL``'s columns)."""
    columns = {"account_id": ["a0", "a1", "a2"], "days": days, "silence": [2.0] * 3, "features": features, "tier": ["g"] * 3}
    return custfit.snapshot_from_json({**FRAME, "as_of": as_of, "columns": columns})


def test_checks_are_idempotent_in_time_order_and_all_or_nothing():
    tracker = custfit.PlanTracker()
    june = frame_at("2024-06-01", [3.0, 9.0, 12.0], [0.0, 2.0, 6.0])
    july = frame_at("2024-07-01", [5.5, 9.0, 12.0], [0.0, 2.5, 6.0])
    first = tracker.track(june, MODEL)
    assert (first.plans_made, [a["status"] for a in first.accounts]) == (2, ["on_track", "on_track", "top"])
    check = tracker.track(july, json.dumps(MODEL))  # the model as JSON text
    assert [a["status"] for a in check.accounts] == ["on_track", "behind", "top"]
    assert check.accounts[1]["progress"] == pytest.approx(1 / 6) and check.accounts[1]["elapsed"] == pytest.approx(1 / 3)
    kept = tracker.to_dict()
    # The same check again: nothing changes, the same result.
    assert tracker.track(july, MODEL).to_dict() == check.to_dict()
    assert tracker.to_dict() == kept
    # An earlier check, or a different one at the same instant, is refused and changes nothing.
    other = frame_at("2024-07-01", [6.0, 9.0, 12.0], [0.0, 2.5, 6.0])
    for frame, names in [(june, "before the last check"), (other, "a different check is already recorded")]:
        with pytest.raises(custfit.InvalidInputError, match=names) as e:
            tracker.track(frame, MODEL)
        assert e.value.code == "invalid_argument"
        assert tracker.to_dict() == kept
    # Bad models are refused before anything changes.
    for model, code in [
        ({**MODEL, "version": 9}, "unsupported_version"),
        (with_phases(MODEL["phases"][:2]), "invalid_config"),
        ({**MODEL, "segment_by": "region"}, "unknown_metric"),
        ("{", "parse_error"),
        (5, "invalid_argument"),
    ]:
        with pytest.raises(custfit.CustfitError) as e:
            tracker.track(frame_at("2024-08-01", [9.0, 9.0, 12.0], [0.0, 3.0, 6.0]), model)
        assert e.value.code == code, (model, e.value)
        assert tracker.to_dict() == kept
    # A new model closes the plans made from the old one (their model's digest differs).
    broad = {"name": "broad", "metric": "features", "at_least": 4}
    changed = with_phases([*MODEL["phases"][:2], {"name": "mature", "behaviours": [broad]}])
    later = tracker.track(frame_at("2024-08-01", [5.5, 9.0, 12.0], [0.0, 2.5, 6.0]), changed)
    assert (later.model_changed, later.plans_made) == (2, 2)
    assert [p["reason"] for p in tracker.plans_of("a1")] == ["initial", "model_changed"]
    assert repr(later).startswith("PlanCheck(at=2024-08-01T00:00:00Z, accounts=3, plans_made=2")


def test_bad_policies_documents_and_arguments():
    horizon = {"horizon": {"amount": 2, "unit": "weeks"}}
    assert custfit.PlanTracker(horizon).policy == horizon == custfit.PlanTracker(json.dumps(horizon)).policy
    assert custfit.PlanTracker().policy == custfit.PlanTracker({}).policy == custfit.PlanTracker(None).policy
    bad_policies = [
        ({"horizon": {"amount": 0, "unit": "days"}}, "invalid_config", custfit.InvalidInputError, "`policy.horizon`"),
        ({"horizon": {"amount": 90, "unit": "years"}}, "parse_error", custfit.ParseError, "policy"),
        ({"colour": "red"}, "parse_error", custfit.ParseError, "colour"),
        ("{", "parse_error", custfit.ParseError, "policy"),
        (5, "invalid_argument", custfit.InvalidInputError, "`policy`"),
    ]
    for policy, code, cls, names in bad_policies:
        with pytest.raises(cls, match=re.escape(names)) as e:
            custfit.PlanTracker(policy)
        assert e.value.code == code, (policy, e.value)
    tracker = custfit.PlanTracker()
    tracker.track(frame_at("2024-06-01", [3.0, 9.0, 12.0], [0.0, 2.0, 6.0]), MODEL)
    doc = tracker.to_dict()
    gap = {**doc, "plans": [doc["plans"][0], {**doc["plans"][1], "revision": 3}]}
    bad_documents = [
        (gap, "invalid_config", custfit.InvalidInputError, "plans[1]"),
        ({**doc, "checks": ["2024-07-01T00:00:00Z", *doc["checks"]]}, "invalid_config", custfit.InvalidInputError, "checks"),
        ({**doc, "version": 9}, "unsupported_version", custfit.UnsupportedVersionError, "plan tracker"),
        ({**doc, "colour": "red"}, "parse_error", custfit.ParseError, "colour"),
        ("{", "parse_error", custfit.ParseError, "plan tracker"),
        (5, "invalid_argument", custfit.InvalidInputError, "`document`"),
    ]
    for document, code, cls, names in bad_documents:
        with pytest.raises(cls, match=re.escape(names)) as e:
            custfit.PlanTracker.from_json(document)
        assert e.value.code == code, (document, e.value)
    assert custfit.PlanTracker.from_json({"version": 1}) == custfit.PlanTracker()  # every part has a default
    with pytest.raises(TypeError):
        tracker.track(custfit.Dataset(), MODEL)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tracker.track(frame_at("2024-07-01", [3.0, 9.0, 12.0], [0.0, 2.0, 6.0]))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        tracker.plans_of(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        custfit.PlanCheck()  # type: ignore[call-arg]
    assert tracker.to_dict() == doc
