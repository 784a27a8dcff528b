"""The conditions language from Python, and the golden cases of tests/cases/expr."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import custfit
import pytest

CASES = Path(__file__).resolve().parents[2] / "tests" / "cases"
EXPR_FILES = sorted((CASES / "expr").glob("*.json"))
CASE_KEYS = {"description", "input", "expression", "limits", "expected", "error"}


def close(expected, actual) -> bool:
    """Recursive equality; numbers within 1e-9 (relative); dicts: expected keys only."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(close(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and close(v, actual[k]) for k, v in expected.items())
    return expected == actual


def check_error(expected: dict, err: custfit.CustfitError) -> None:
    assert err.code == expected["code"], str(err)
    if "position" in expected:
        assert err.position == expected["position"], str(err)
    if "suggestion" in expected:
        assert err.suggestion == expected["suggestion"], str(err)


def plain(v):
    return v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v


def test_there_are_cases():
    assert len(EXPR_FILES) >= 30


@pytest.mark.parametrize("path", EXPR_FILES, ids=lambda p: p.stem)
def test_golden_case(path):
    case = json.loads(path.read_text())
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    snap = custfit.snapshot_from_json(case["input"])
    try:
        expr = custfit.Expr(case["expression"], snap, limits=case.get("limits"))
        values = [plain(v) for v in expr.evaluate(snap)]
    except custfit.CustfitError as err:
        assert "error" in case, f"unexpected error {err}"
        check_error(case["error"], err)
        return
    assert "expected" in case, f"expected an error, got {values}"
    assert expr.result_type == case["expected"]["type"]
    assert close(case["expected"]["values"], values), values


# ANCHOR: expr_python
def test_guide_expr():
    snap = custfit.snapshot_from_json(
        {
            "as_of": "2024-06-01T00:00:00Z",
            "columns": {
                "account_id": ["a", "b", "c"],
                "mrr": [6000.0, 80.0, None],
                "plan": ["enterprise", "starter", "enterprise"],
            },
        }
    )
    rule = custfit.Expr('mrr >= 5000 && plan == "enterprise"', snap)
    assert rule.evaluate(snap) == [True, False, None]  # missing mrr → missing result
    assert rule.matches(snap) == [True, False, False]  # only true matches

    with pytest.raises(custfit.UnknownMetricError) as info:
        custfit.Expr("mrrr > 5", snap)
    assert info.value.code == "unknown_name"
    assert (info.value.position, info.value.suggestion) == (0, "mrr")


# ANCHOR_END: expr_python


def test_schema_dict_and_errors():
    e = custfit.Expr("days > 30 && mrr >= 5000.5", {"days": "int", "mrr": "float"})
    assert e.result_type == "bool"
    assert e.columns == {"days": "int", "mrr": "float"}
    with pytest.raises(custfit.ParseError) as info:
        custfit.Expr("days >", {"days": "int"})
    assert info.value.code == "expr_syntax"
    with pytest.raises(custfit.InvalidInputError):
        custfit.Expr("days", {"days": "decimal"})
