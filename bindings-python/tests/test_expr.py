"""The conditions language from Python (the golden cases of tests/cases/expr run in test_cases.py)."""

from __future__ import annotations

import custfit
import pytest


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
