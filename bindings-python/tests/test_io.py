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


def test_existing_files_are_kept_unless_overwrite(full, tmp_path: Path):
    full.write_csv(tmp_path)
    before = (tmp_path / "events.csv").read_bytes()
    (tmp_path / "accounts.csv").write_text("mine")
    with pytest.raises(custfit.InvalidInputError) as info:
        full.write_csv(tmp_path)
    assert info.value.code == "invalid_argument" and "overwrite" in str(info.value)
    assert (tmp_path / "accounts.csv").read_text() == "mine"
    full.write_csv(tmp_path, overwrite=True)
    assert (tmp_path / "events.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "events.csv", "subscriptions.csv", "users.csv"]


def test_a_failed_write_leaves_nothing(full, tmp_path: Path):
    # events.csv is a directory: the fourth file cannot be written, so none of the four is.
    (tmp_path / "events.csv").mkdir()
    with pytest.raises(custfit.CustfitIOError):
        full.write_csv(tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]


def test_formula_cells_are_escaped_and_read_back(tmp_path: Path):
    ds = custfit.Dataset()
    names = ["=HYPERLINK(\"http://x\")", "+1", "-2 apples", "@sum", "'=already", "plain"]
    ds.add_accounts([{"id": f"a{i}", "name": n, "created_at": "2024-01-01"} for i, n in enumerate(names)])
    ds.write_csv(tmp_path)
    text = (tmp_path / "accounts.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2 apples" in text and "''=already" in text
    back, _ = custfit.Dataset.from_files(accounts=tmp_path / "accounts.csv")
    assert [a["name"] for a in back.accounts()] == names


def test_row_errors_name_file_and_line(tmp_path: Path):
    (tmp_path / "accounts.csv").write_text("id,name,created_at\na,A,2024-01-01\n")
    events = tmp_path / "events.csv"
    events.write_text("account_id,timestamp,name\na,2024-01-02,login\nzzz,2024-01-03,login\n")
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.Dataset.from_files(accounts=tmp_path / "accounts.csv", events=events)
    assert (info.value.code, info.value.row, info.value.location) == ("unknown_account", 1, f"{events} line 3")
    assert f"({events} line 3)" in str(info.value)
    _, report = custfit.Dataset.from_files(accounts=tmp_path / "accounts.csv", events=events, options={"mode": "lenient"})
    assert report["events"]["rejected"][0]["location"] == f"{events} line 3"
