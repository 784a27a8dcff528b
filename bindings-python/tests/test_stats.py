"""Statistics and outcomes from Python: the golden cases of tests/cases/stats and
tests/cases/outcome (one layout: a call, its input by name, the expected value or error)."""

from __future__ import annotations

import json
from pathlib import Path

import custfit
import pytest

CASES = Path(__file__).resolve().parents[2] / "tests" / "cases"
FILES = sorted((CASES / "stats").glob("*.json")) + sorted((CASES / "outcome").glob("*.json"))
CALLS = {
    "roc_auc": lambda i: custfit.roc_auc(i["risk"], i["labels"]),
    "wilson_interval": lambda i: custfit.wilson_interval(i["k"], i["n"]),
    "monthly_to_annual": lambda i: custfit.monthly_to_annual(i["rate"]),
    "annual_to_monthly": lambda i: custfit.annual_to_monthly(i["rate"]),
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_case(path):
    case = json.loads(path.read_text())
    call = CALLS[case["call"]]
    if "error" in case:
        with pytest.raises(custfit.CustfitError) as err:
            call(case["input"])
        assert err.value.code == case["error"]["code"]
        return
    got = call(case["input"])
    want = case["expected"]["value"]
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, abs=1e-12)
