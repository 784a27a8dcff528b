"""Files in and out: CSV and JSON Lines."""

from __future__ import annotations

from pathlib import Path

import custfit
import pytest
from conftest import AS_OF, OPTS, counts


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_round_trip(full, tmp_path: Path, fmt):
    getattr(full, f"write_{fmt}")(tmp_path)
    files = {t: tmp_path / f"{t}.{fmt}" for t in ["accounts", "users", "subscriptions", "events"]}
    assert all(p.exists() for p in files.values())
    ds, report = custfit.Dataset.from_files(**files, options=OPTS)
    assert counts(ds) == counts(full)
    assert report["events"]["accepted"] == full.event_count
    assert set(report) == {"accounts", "users", "subscriptions", "events"}
    assert ds.events() == full.events()
    assert ds.snapshot(AS_OF).to_dict() == full.snapshot(AS_OF).to_dict()


def test_str_paths_and_partial_tables(full, tmp_path: Path):
    full.write_csv(str(tmp_path))
    ds, report = custfit.Dataset.from_files(accounts=str(tmp_path / "accounts.csv"))
    assert counts(ds) == (2, 0, 0, 0)
    assert report["events"] == {"accepted": 0, "rejected": [], "duplicates_dropped": 0}


def test_file_errors(tmp_path: Path):
    with pytest.raises(custfit.CustfitIOError) as info:
        custfit.Dataset.from_files(accounts=tmp_path / "missing.csv")
    assert info.value.code == "io_error"
    assert isinstance(info.value, OSError)
    bad = tmp_path / "accounts.csv"
    bad.write_text("name\nAcme\n")
    with pytest.raises(custfit.ParseError) as info:
        custfit.Dataset.from_files(accounts=bad)
    assert info.value.code == "parse_error"
    rows = tmp_path / "accounts.jsonl"
    rows.write_text('{"id": "a", "created_at": "2024-01-01"}\n{"id": "a", "name": "other", "created_at": "2024-01-01"}\n')
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.Dataset.from_files(accounts=rows, options=OPTS)
    assert (info.value.code, info.value.row) == ("duplicate_id", 1)
    ds, report = custfit.Dataset.from_files(accounts=rows, options={**OPTS, "mode": "lenient"})
    assert ds.account_count == 1 and report["accounts"]["rejected"][0]["code"] == "duplicate_id"


def test_write_errors(full, tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(custfit.CustfitIOError):
        full.write_csv(target / "sub")
