"""Runs the language-neutral golden cases of tests/cases/data and tests/cases/metrics (the same
files the Rust and Node suites run). Unknown case keys fail: nothing is skipped silently."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import custfit
import pytest

CASES = Path(__file__).resolve().parents[2] / "tests" / "cases"
DOMAINS = ["data", "metrics"]
TABLES = ["accounts", "users", "subscriptions", "events"]
CASE_KEYS = {"description", "input", "options", "as_of", "config", "expected", "error"}
EXPECTED_KEYS = {"counts", "reports", "rows", "row_count"}
ERROR_KEYS = {"stage", "code", "row"}

FILES = sorted(p for d in DOMAINS for p in (CASES / d).glob("*.json"))


def test_there_are_cases():
    for d in DOMAINS:
        assert list((CASES / d).glob("*.json")), f"no golden cases in {CASES / d}"


def counts(ds: custfit.Dataset) -> dict[str, int]:
    return {
        "accounts": ds.account_count,
        "users": ds.user_count,
        "subscriptions": ds.subscription_count,
        "events": ds.event_count,
    }


def as_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def subset(expected, actual, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            subset(v, actual.get(k), f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: expected {expected!r}, got {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, f"{path}[{i}]")
    elif isinstance(expected, bool) or expected is None:
        assert actual is expected, f"{path}: expected {expected!r}, got {actual!r}"
    elif isinstance(expected, (int, float)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), f"{path}: got {actual!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), f"{path}: expected {expected}, got {actual}"
    elif isinstance(expected, str) and isinstance(actual, datetime):
        assert actual == as_instant(expected), f"{path}: expected {expected}, got {actual.isoformat()}"
    else:
        assert actual == expected, f"{path}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    assert not set(case) - CASE_KEYS, f"unknown case keys {set(case) - CASE_KEYS}"
    expected = case.get("expected", {})
    error = case.get("error")
    inputs = case.get("input", {})
    assert not set(expected) - EXPECTED_KEYS, f"unknown expected keys {set(expected) - EXPECTED_KEYS}"
    assert not set(inputs) - set(TABLES), f"unknown input tables {set(inputs) - set(TABLES)}"
    assert error is None or not set(error) - ERROR_KEYS, f"unknown error keys {set(error) - ERROR_KEYS}"
    options = case.get("options")

    ds = custfit.Dataset()
    reports: dict = {}
    failed: tuple[str, custfit.CustfitError] | None = None
    before = counts(ds)
    for table in TABLES:
        if table not in inputs:
            continue
        before = counts(ds)
        try:
            reports[table] = getattr(ds, f"add_{table}")(inputs[table], options)
        except custfit.CustfitError as e:
            failed = (table, e)
            break
    snap = None
    if failed is None and "as_of" in case:
        try:
            snap = ds.snapshot(case["as_of"], case.get("config"))
        except custfit.CustfitError as e:
            failed = ("snapshot", e)

    if error is not None:
        assert failed is not None, f"expected error {error}, got success"
        stage, e = failed
        assert stage == error["stage"], f"failing stage: {stage} ({e})"
        assert e.code == error["code"], f"code: {e.code} ({e})"
        if "row" in error:
            assert e.row == error["row"], f"row: {e.row} ({e})"
        if stage != "snapshot":
            assert counts(ds) == before, "dataset changed by a failed call"
    elif failed is not None:
        stage, e = failed
        pytest.fail(f"unexpected error at {stage}: [{e.code}] {e}")

    if "counts" in expected:
        subset(expected["counts"], counts(ds), "counts")
    if "reports" in expected:
        subset(expected["reports"], reports, "reports")
    if ("rows" in expected or "row_count" in expected) and error is None:
        assert snap is not None, "expected snapshot rows but the case has no as_of"
    if snap is not None:
        if "row_count" in expected:
            assert len(snap) == expected["row_count"]
        for account, cells in expected.get("rows", {}).items():
            for column, want in cells.items():
                subset(want, snap.value(account, column), f"{account}.{column}")
