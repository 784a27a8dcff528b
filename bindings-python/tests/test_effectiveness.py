"""The effectiveness (maturity) model from Python: five accounts built by hand, placed in their
phases, benchmarked against their peers (gold's percentiles, median and best in class worked out
by hand) and given an improvement plan; the assessment as snapshot columns a play triggers on and
as an Arrow table; models as dicts or JSON text; bad models and arguments (stable ``.code``). The
golden cases of tests/cases/effectiveness run in test_cases.py; docs/src/effectiveness.md includes
the ANCHOR region of this file."""

from __future__ import annotations

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
