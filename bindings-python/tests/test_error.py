"""The exception tree and the shared list of stable codes."""

from __future__ import annotations

import json
from pathlib import Path

import custfit
import pytest
from conftest import OPTS

CODES = Path(__file__).resolve().parents[2] / "tests" / "cases" / "error_codes.json"


def test_codes_match_the_shared_list():
    assert custfit.error_codes() == json.loads(CODES.read_text())


def test_exception_tree():
    c = custfit
    assert issubclass(c.CustfitError, Exception)
    for cls, builtin in [
        (c.InvalidInputError, ValueError),
        (c.UnknownMetricError, KeyError),
        (c.ParseError, ValueError),
        (c.CustfitIOError, OSError),
        (c.UnsupportedVersionError, ValueError),
    ]:
        assert issubclass(cls, c.CustfitError) and issubclass(cls, builtin)
        assert cls.__module__ == "custfit" and cls.__doc__
    assert c.CustfitError.code is None


def test_row_error_attributes(full):
    with pytest.raises(ValueError) as info:  # catchable as the builtin
        full.add_users([{"id": "u9", "account_id": "zz", "created_at": "2024-01-01"}], OPTS)
    err = info.value
    assert isinstance(err, custfit.InvalidInputError)
    assert (err.code, err.row, err.field, err.entity) == ("unknown_account", 0, "account_id", "user")
    assert str(err) == "user row 0, field `account_id`: no account `zz` in the dataset"


def test_errors_are_caught_by_except_exception(full):
    try:
        full.snapshot("never")
    except Exception as e:  # noqa: BLE001 - the point of the test
        assert isinstance(e, custfit.CustfitError)
    else:
        raise AssertionError("expected an error")


def test_every_error_code_is_a_string():
    assert all(isinstance(code, str) and code == code.lower() for code in custfit.error_codes())


@pytest.mark.parametrize("value", [-1, 10**12, 10**40])
def test_whole_number_arguments_out_of_range_are_coded(full, value):
    # A negative or huge count is invalid_argument naming the parameter, not a bare OverflowError.
    calls = {
        "days": lambda: full.daily_activity("a1", "2024-03-01", value),
        "k": lambda: custfit.wilson_interval(value, 10),
        "accounts": lambda: custfit.simulate(accounts=value),
    }
    for name, call in calls.items():
        with pytest.raises(custfit.InvalidInputError) as info:
            call()
        # out of the binding's integer range: invalid_argument; in range but refused by the
        # core (e.g. more accounts than the simulator allows): the core's own code
        assert info.value.code in ("invalid_argument", "invalid_config")
        assert f"`{name}`" in str(info.value)


def test_whole_number_arguments_refuse_other_types(full):
    with pytest.raises(TypeError):
        full.daily_activity("a1", "2024-03-01", 7.5)
    with pytest.raises(TypeError):
        custfit.simulate(days=True)
    # the largest seed still fits
    assert custfit.simulate(accounts=3, days=20, seed=2**64 - 1).dataset.account_count == 3
