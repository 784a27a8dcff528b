"""The Python page of the user guide (docs/src/python.md) includes the snippets between the
ANCHOR markers below, so every example in the guide runs here."""

from __future__ import annotations

import doctest
from pathlib import Path


def test_quick_start():
    # ANCHOR: quickstart
    import custfit

    sim = custfit.simulate(accounts=200, days=120, seed=7)
    ds = sim.dataset
    snap = ds.snapshot(sim.end)  # one row per account, one column per metric
    assert len(snap) == ds.account_count

    df = snap.to_polars()  # or snap.to_arrow() / snap.to_pandas(); all through Arrow
    at_risk = df.filter(df["mau"] == 0).select("account_id", "mrr", "days_since_last_activity")
    # ANCHOR_END: quickstart
    assert at_risk.columns == ["account_id", "mrr", "days_since_last_activity"]


def test_ingest():
    # ANCHOR: ingest
    import custfit
    import pyarrow as pa

    ds = custfit.Dataset()
    options = {"now": "2024-03-10T00:00:00Z"}
    ds.add_accounts(
        [{"id": "acme", "name": "Acme", "created_at": "2024-01-01", "seats": 20, "attributes": {"region": "EMEA"}}],
        options,
    )
    ds.add_users([{"id": "ann", "account_id": "acme", "role": "champion", "created_at": "2024-01-02"}], options)
    ds.add_subscriptions(
        [{"account_id": "acme", "plan": "growth", "start": "2024-01-01", "mrr": {"minor": 250_00, "currency": "USD"}}],
        options,
    )
    # Events from any Arrow table (pyarrow, polars, pandas, DuckDB, ...): read in place.
    # Columns other than account_id, user_id, timestamp and name are properties.
    events = pa.table(
        {
            "account_id": ["acme", "acme"],
            "user_id": ["ann", "ann"],
            "timestamp": ["2024-02-28T09:00:00Z", "2024-02-28T09:05:00Z"],
            "name": ["login", "feature_used"],
            "feature": [None, "reports"],
        }
    )
    report = ds.add_events(events, options)
    assert report == {"accepted": 2, "rejected": [], "duplicates_dropped": 0}
    # ANCHOR_END: ingest

    # ANCHOR: errors
    try:
        ds.add_events([{"account_id": "globex", "timestamp": "2024-02-28", "name": "login"}], options)
    except custfit.InvalidInputError as err:  # also a ValueError; every error is a CustfitError
        assert (err.code, err.row, err.field) == ("unknown_account", 0, "account_id")
    assert ds.event_count == 2  # all or nothing: the dataset is unchanged

    report = ds.add_events(
        [
            {"account_id": "acme", "timestamp": "2024-02-29", "name": "login"},
            {"account_id": "globex", "timestamp": "2024-02-29", "name": "login"},
        ],
        {**options, "mode": "lenient"},
    )
    assert report["accepted"] == 1
    assert report["rejected"][0]["code"] == "unknown_account"
    # ANCHOR_END: errors

    # ANCHOR: snapshot
    config = {
        "metrics": [
            {
                "type": "count",
                "name": "reports_30d",
                "event": "feature_used",
                "filter": {"property": "feature", "in": ["reports"]},
                "window": {"amount": 30, "unit": "days"},
            },
            {"type": "ratio", "name": "reports_per_login", "numerator": "reports_30d", "denominator": "logins_30d"},
        ]
    }
    snap = ds.snapshot("2024-03-01", config)  # datetime, date, str or int ms
    assert snap.value("acme", "reports_per_login") == 0.5
    assert snap.value("acme", "mrr") == 250.0
    table = snap.to_arrow()  # pyarrow.Table, zero copy; polars.DataFrame(snap) works too
    # ANCHOR_END: snapshot
    assert table.num_rows == 1


def test_files(tmp_path: Path):
    import custfit

    ds = custfit.simulate(accounts=20, days=30, seed=1).dataset
    # ANCHOR: files
    ds.write_csv(tmp_path)  # accounts.csv, users.csv, subscriptions.csv, events.csv
    loaded, report = custfit.Dataset.from_files(
        accounts=tmp_path / "accounts.csv",
        users=tmp_path / "users.csv",
        subscriptions=tmp_path / "subscriptions.csv",
        events=tmp_path / "events.csv",
        options={"allow_future": True},
    )
    assert report["events"]["accepted"] == ds.event_count
    # ANCHOR_END: files
    assert loaded.event_count == ds.event_count


def test_package_docstring_runs():
    import custfit

    assert doctest.testmod(custfit).failed == 0
    assert custfit._native.__doc__
