"""Documents (configs and fitted models) from Python, and the golden cases of
tests/cases/document: the same document gives the same error code in Rust, Python and Node."""

from __future__ import annotations

import json
from pathlib import Path

import custfit
import pytest

CASES = Path(__file__).resolve().parents[2] / "tests" / "cases" / "document"
FILES = sorted(CASES.glob("*.json"))
EMPTY = custfit.Dataset()
SNAPSHOT = EMPTY.snapshot("2024-01-01")

READ = {
    "scorecard": custfit.Scorecard,
    "scorecard_set": custfit.ScorecardSet,
    "snapshot_config": lambda doc: EMPTY.snapshot("2024-01-01", doc),
    "training_set_config": lambda doc: custfit.build_training_set(EMPTY, doc, known_at="2024-01-01"),
    "pareto_config": lambda doc: custfit.pareto_tiers(SNAPSHOT, doc),
    "rule_segmentation": lambda doc: custfit.segment_rules(SNAPSHOT, doc),
    "churn_model": custfit.ChurnModel.from_json,
}


def test_there_are_cases():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_case(path):
    case = json.loads(path.read_text())
    read = READ[case["kind"]]
    if "error" in case:
        with pytest.raises(custfit.CustfitError) as err:
            read(case["document"])
        assert err.value.code == case["error"]["code"], str(err.value)
    else:
        try:
            read(case["document"])
        except custfit.CustfitError as err:
            # The document read; an empty dataset may have nothing to work on.
            assert err.code == "insufficient_data", str(err)
        assert case["expected"]["ok"] is True


def test_camel_case_key_names_the_snake_case_one():
    with pytest.raises(custfit.CustfitError) as err:
        custfit.build_training_set(EMPTY, {"firstObservation": "2024-01-01"}, known_at="2024-01-01")
    assert "first_observation" in str(err.value)
