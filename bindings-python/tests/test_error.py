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


def test_junk_arguments_never_escape_as_anything_but_coded_or_type_errors():
    # Every public function and method, each argument in turn replaced by junk (wrong types,
    # NaN, inf, huge ints, unicode, the wrong custfit object): the only exceptions allowed are a
    # coded CustfitError or a TypeError for a wrong Python type. No panic, no OverflowError,
    # no SystemError.
    import inspect

    sim = custfit.simulate(accounts=30, days=90, seed=2)
    ds, end = sim.dataset, sim.end
    snap = ds.snapshot(end)
    card = custfit.Scorecard.starter()
    junk = [None, "", "x", "{", "[]", -1, 0, 2**70, float("nan"), float("inf"), [], [None], {},
            {"a": 1}, "ü🙂", b"\x00", object(), ds, snap, end, True, [[float("nan")]]]
    escaped, calls = [], 0

    def call(f, args, label):
        nonlocal calls
        calls += 1
        try:
            f(*args)
        except (custfit.CustfitError, TypeError) as e:
            if isinstance(e, custfit.CustfitError):
                assert e.code in custfit.error_codes(), label
        except BaseException as e:  # noqa: BLE001 - the point is to see everything
            escaped.append(f"{label}: {type(e).__name__}: {e}")

    on_snapshot = ("pareto", "quantile", "rfm", "fit_clusters", "capacity", "segment", "add_flag", "assign")
    for name in dir(custfit):
        f = getattr(custfit, name)
        if name.startswith("_") or name == "simulate" or not callable(f) or inspect.isclass(f):
            continue
        params = inspect.signature(f).parameters.values()
        required = sum(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
        base = [snap, {}, {}] if name.startswith(on_snapshot) else [ds, end, {}, {}, {}]
        for j in junk:
            for pos in range(max(required, 1)):
                args = base[:required]
                args[pos:pos + 1] = [j]
                call(f, args, f"{name}[{pos}]={j!r:.30}")
    objects = {"dataset": ds, "snapshot": snap, "scorecard": card, "simulation": sim,
               "scores": card.score(custfit.health_snapshot(ds, end)), "expr": custfit.Expr("mrr > 1", snap)}
    first = snap.account_ids[0]
    for oname, o in objects.items():
        for m in dir(o):
            method = getattr(o, m)
            if m.startswith("_") or not callable(method) or m in ("write_csv", "write_jsonl"):
                continue
            for j in junk:
                for args in ([j], [j, j], [j, end, 7], [first, j, 7], [first, end, j]):
                    call(method, args, f"{oname}.{m}{tuple(args)!r:.60}")
    assert calls > 5000
    assert escaped == []


def test_lone_surrogates_have_codes():
    ds = custfit.Dataset()
    with pytest.raises(custfit.InvalidInputError) as info:
        ds.add_accounts([{"id": "\ud800", "created_at": "2024-01-01"}])
    assert info.value.code == "invalid_account" and "Unicode" in str(info.value)
    with pytest.raises(custfit.ParseError):
        custfit.Scorecard({"name": "\ud800", "measures": []})
    assert ds.account_count == 0


def test_writing_while_another_thread_reads_is_a_coded_error():
    import threading

    sim = custfit.simulate(accounts=400, days=200, seed=3)
    ds = sim.dataset
    errors: list[BaseException] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            ds.snapshot(sim.end)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(200):
            try:
                ds.add_events([], {"now": "2030-01-01"})
            except custfit.CustfitError as e:
                errors.append(e)
    finally:
        stop.set()
        reader.join()
    # Whether or not a write met a running read, nothing uncoded escaped and nothing changed.
    assert all(e.code == "invalid_argument" and "another thread" in str(e) for e in errors)
    assert ds.event_count == sim.dataset.event_count
