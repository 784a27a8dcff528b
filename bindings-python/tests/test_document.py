"""Documents (configs and fitted models) from Python. The golden cases of tests/cases/document
(the same document gives the same error code in Rust, Python and Node) run in test_cases.py."""

from __future__ import annotations

import custfit
import pytest

EMPTY = custfit.Dataset()


def test_camel_case_key_names_the_snake_case_one():
    with pytest.raises(custfit.CustfitError) as err:
        custfit.build_training_set(EMPTY, {"firstObservation": "2024-01-01"}, known_at="2024-01-01")
    assert "first_observation" in str(err.value)
