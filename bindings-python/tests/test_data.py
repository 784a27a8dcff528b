"""Dataset ingestion: lists of dicts and Arrow tables (pyarrow, polars, pandas), every bad input
with its stable code, and the dataset unchanged after a failed call."""

from __future__ import annotations

import math
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone

import custfit
import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import (
    AS_OF,
    EVENTS,
    NOW,
    OPTS,
    SUBSCRIPTIONS,
    USERS,
    assert_rejected,
    base_dataset,
    counts,
    events_table,
)


def test_lists_of_dicts(full):
    assert counts(full) == (2, 3, 2, 6)
    assert full.currency == "USD"
    accounts = full.accounts()
    assert accounts[1]["name"] == "Büro GmbH"
    assert accounts[0]["attributes"] == {"region": "EMEA", "employees": 40.0}
    assert accounts[0]["created_at"] == "2024-01-01T00:00:00Z"  # rows are the serde form
    assert full.users()[0]["role"] == "champion"
    assert full.subscriptions()[1]["status"] == "trial"
    events = full.events()
    assert [e["account_id"] for e in events] == ["a1"] * 4 + ["a2"] * 2  # sorted by account, time
    assert events[0]["properties"] == {"score": 9.0}


def test_rows_out_are_valid_rows_in(full):
    copy = custfit.Dataset()
    copy.add_accounts(full.accounts(), OPTS)
    copy.add_users(full.users(), OPTS)
    copy.add_subscriptions(full.subscriptions(), OPTS)
    copy.add_events(full.events(), OPTS)
    assert counts(copy) == counts(full)
    assert copy.events() == full.events()
    assert copy.snapshot(AS_OF).to_dict() == full.snapshot(AS_OF).to_dict()


def test_report_shape(base):
    rep = base.add_events(EVENTS, OPTS)
    assert rep == {"accepted": 6, "rejected": [], "duplicates_dropped": 0}


@pytest.mark.parametrize(
    "to_frame",
    [
        pytest.param(lambda t: t, id="pyarrow-table"),
        pytest.param(lambda t: t.to_batches()[0], id="pyarrow-batch"),
        pytest.param(lambda t: pa.RecordBatchReader.from_batches(t.schema, t.to_batches()), id="pyarrow-reader"),
        pytest.param(lambda t: pl.from_arrow(t), id="polars"),
        pytest.param(lambda t: t.to_pandas(), id="pandas"),
        pytest.param(lambda t: duckdb.sql("select * from t"), id="duckdb"),
    ],
)
def test_events_from_arrow_capable_tables(to_frame, full):
    ds = base_dataset()
    rep = ds.add_events(to_frame(events_table()), OPTS)
    assert rep["accepted"] == 6
    assert ds.events() == full.events()


def test_polars_frame_built_natively(full):
    df = pl.DataFrame(
        {
            "account_id": [e["account_id"] for e in EVENTS],
            "user_id": [e.get("user_id") for e in EVENTS],
            "timestamp": [datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")) for e in EVENTS],
            "name": [e["name"] for e in EVENTS],
            "feature": [e.get("properties", {}).get("feature") for e in EVENTS],
            "severity": [e.get("properties", {}).get("severity") for e in EVENTS],
            "score": [e.get("properties", {}).get("score") for e in EVENTS],
        }
    ).with_columns(pl.col("account_id").cast(pl.Categorical))
    ds = base_dataset()
    ds.add_events(df, OPTS)
    assert ds.events() == full.events()


def test_pandas_index_is_not_a_property(full):
    df = events_table().to_pandas()
    df.index = [f"r{i}" for i in range(len(df))]
    ds = base_dataset()
    ds.add_events(df, OPTS)
    assert ds.events() == full.events()


def test_accounts_users_subscriptions_from_arrow(full):
    accounts = pa.table(
        {
            "id": ["a1", "a2"],
            "name": ["Acme", "Büro GmbH"],
            "created_at": pa.array([datetime(2024, 1, 1), datetime(2024, 1, 15)], pa.timestamp("us")),
            "owner": [None, "csm-1"],
            "seats": pa.array([10, None], pa.int32()),
            "region": ["EMEA", "NA"],
            "employees": [40, None],
        }
    )
    users = pd.DataFrame(
        {
            "id": ["u1", "u2", "u3"],
            "account_id": ["a1", "a1", "a2"],
            "role": ["champion", None, "admin"],
            "created_at": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-16"], utc=True),
        }
    )
    subscriptions = pl.DataFrame(
        {
            "account_id": ["a1", "a2"],
            "plan": ["growth", "starter"],
            "start": [date(2024, 1, 1), date(2024, 1, 15)],
            "end": [date(2025, 1, 1), None],
            "mrr_minor": [120000, 5000],
            "currency": ["USD", "USD"],
            "status": ["active", "trial"],
        }
    )
    ds = custfit.Dataset()
    assert ds.add_accounts(accounts, OPTS)["accepted"] == 2
    assert ds.add_users(users, OPTS)["accepted"] == 3
    assert ds.add_subscriptions(subscriptions, OPTS)["accepted"] == 2
    assert ds.accounts() == full.accounts()
    assert ds.users() == full.users()
    assert ds.subscriptions() == full.subscriptions()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 2, 29, 10, 0),  # naive = UTC
        datetime(2024, 2, 29, 11, 0, tzinfo=timezone(timedelta(hours=1))),
        pd.Timestamp("2024-02-29T10:00:00Z"),
        "2024-02-29T10:00:00Z",
        "2024-02-29 10:00:00",
        1709200800000,
    ],
    ids=["naive", "aware", "pandas", "rfc3339", "space", "int-ms"],
)
def test_timestamp_forms(base, value):
    base.add_events([{"account_id": "a1", "timestamp": value, "name": "login"}], OPTS)
    assert base.events()[0]["timestamp"] == "2024-02-29T10:00:00Z"


def test_integer_seconds_are_refused_not_read_as_1970(base):
    for rows in (
        [{"account_id": "a1", "timestamp": 1709200800, "name": "login"}],
        pa.table({"account_id": ["a1"], "timestamp": pa.array([1709200800], pa.int64()), "name": ["login"]}),
    ):
        err = assert_rejected(base, lambda rows=rows: base.add_events(rows, OPTS), "invalid_timestamp")
        assert "seconds" in str(err) and err.row == 0
    with pytest.raises(custfit.InvalidInputError, match="seconds"):
        base.snapshot(1709200800)
    # A datetime is explicit: even one near 1970 is not mistaken for seconds.
    early = {"id": "old", "created_at": datetime(1970, 1, 5, tzinfo=timezone.utc)}
    assert base.add_accounts([early], {**OPTS})["accepted"] == 1


def test_date_timestamps_are_midnight_utc(base):
    base.add_events([{"account_id": "a1", "timestamp": date(2024, 2, 29), "name": "login"}], OPTS)
    assert base.events()[0]["timestamp"] == "2024-02-29T00:00:00Z"


def test_date_attributes(base):
    base.add_accounts([{"id": "a3", "created_at": "2024-01-01", "attributes": {"renews": date(2024, 6, 1)}}], OPTS)
    assert base.accounts()[2]["attributes"]["renews"] == {"date": "2024-06-01T00:00:00Z"}
    snap = base.snapshot(AS_OF)
    assert snap.schema["renews"] == "timestamp"


# ---------------------------------------------------------------- bad input, every code


def test_empty_batches_are_fine(base):
    before = counts(base)
    assert base.add_events([], OPTS) == {"accepted": 0, "rejected": [], "duplicates_dropped": 0}
    assert base.add_events(events_table().slice(0, 0), OPTS)["accepted"] == 0
    assert base.add_accounts([], OPTS)["accepted"] == 0
    assert counts(base) == before


def bad_event(**fields) -> dict:
    row = {"account_id": "a1", "user_id": "u1", "timestamp": "2024-02-01T00:00:00Z", "name": "login"}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


EVENT_CASES = [
    ("unknown_account", bad_event(account_id="nope"), "account_id"),
    ("unknown_user", bad_event(user_id="nobody"), "user_id"),
    ("invalid_event", bad_event(user_id="u3"), "user_id"),  # u3 belongs to a2
    ("future_timestamp", bad_event(timestamp="2024-04-01T00:00:00Z"), "timestamp"),
    ("invalid_timestamp", bad_event(timestamp="3000-01-01T00:00:00Z"), "timestamp"),
    ("invalid_timestamp", bad_event(timestamp=datetime(3000, 1, 1)), "timestamp"),
    ("invalid_event", bad_event(properties={"score": math.nan}), "properties.score"),
    ("invalid_event", bad_event(name=""), "name"),
]


@pytest.mark.parametrize("code,row,field", EVENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(EVENT_CASES)])
def test_bad_event_rows(full, code, row, field):
    batch = [bad_event(), bad_event(timestamp="2024-02-02T00:00:00Z"), row]
    err = assert_rejected(full, lambda: full.add_events(batch, OPTS), code)
    assert (err.row, err.field, err.entity) == (2, field, "event")
    assert isinstance(err, custfit.InvalidInputError) and isinstance(err, ValueError)


@pytest.mark.parametrize("code,row,field", EVENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(EVENT_CASES)])
def test_bad_event_rows_in_arrow(full, code, row, field):
    good = [bad_event(), bad_event(timestamp="2024-02-02T00:00:00Z")]
    if isinstance(row["timestamp"], datetime):
        row = {**row, "timestamp": "3000-01-01T00:00:00Z"}
    table = pa.Table.from_pylist(
        [{**r, "score": r.get("properties", {}).get("score"), "properties": None} for r in [*good, row]]
    ).drop_columns(["properties"])
    if table.schema.field("score").type == pa.null():
        table = table.drop_columns(["score"])
    err = assert_rejected(full, lambda: full.add_events(table, OPTS), code)
    assert (err.row, err.field) == (2, field)


def test_unsupported_arrow_column_is_a_parse_error(full):
    table = events_table().append_column("when", pa.array([date(2024, 1, 1)] * len(EVENTS)))
    err = assert_rejected(full, lambda: full.add_events(table, OPTS), "parse_error", custfit.ParseError)
    assert "`when`" in str(err)
    missing = events_table().drop_columns(["name"])
    assert_rejected(full, lambda: full.add_events(missing, OPTS), "parse_error")


def test_arrow_batches_are_one_batch(full):
    good = events_table().slice(0, 2)
    bad = pa.Table.from_pylist([bad_event(account_id="nope")]).cast(
        good.select(["account_id", "user_id", "timestamp", "name"]).schema
    )
    stream = pa.RecordBatchReader.from_batches(bad.schema, [*good.select(bad.schema.names).to_batches(), *bad.to_batches()])
    err = assert_rejected(full, lambda: full.add_events(stream, {**OPTS, "duplicates": "keep"}), "unknown_account")
    assert err.row == 2  # counted across batches


def test_out_of_order_events_give_the_same_snapshot(base, full):
    base.add_events(list(reversed(EVENTS)), OPTS)
    assert base.events() == full.events()
    assert base.snapshot(AS_OF).to_dict() == full.snapshot(AS_OF).to_dict()


def test_duplicate_policies(full):
    # drop (default): re-ingesting is harmless
    rep = full.add_events(EVENTS, OPTS)
    assert (rep["accepted"], rep["duplicates_dropped"]) == (0, 6)
    assert full.event_count == 6
    # reject: strict fails with duplicate_event, dataset unchanged
    err = assert_rejected(full, lambda: full.add_events(EVENTS[:2], {**OPTS, "duplicates": "reject"}), "duplicate_event")
    assert err.row == 0
    # reject + lenient: the duplicates come back as rejected rows
    rep = full.add_events(EVENTS[:2], {**OPTS, "duplicates": "reject", "mode": "lenient"})
    assert [r["code"] for r in rep["rejected"]] == ["duplicate_event", "duplicate_event"]
    # keep
    rep = full.add_events(EVENTS[:2], {**OPTS, "duplicates": "keep"})
    assert rep["accepted"] == 2 and full.event_count == 8


def test_duplicate_ids(full):
    assert_rejected(full, lambda: full.add_accounts([{"id": "a1", "created_at": "2024-01-01"}], OPTS), "duplicate_id")
    twice = [{"id": "x", "created_at": "2024-01-01"}, {"id": "x", "name": "other", "created_at": "2024-01-01"}]
    err = assert_rejected(full, lambda: full.add_accounts(twice, OPTS), "duplicate_id")
    assert (err.row, err.field, err.entity) == (1, "id", "account")
    # The same row twice is a re-send: dropped and counted, for every entity.
    report = full.add_accounts([{"id": "x", "created_at": "2024-01-01"}] * 2, OPTS)
    assert (report["accepted"], report["duplicates_dropped"]) == (1, 1)
    assert full.add_accounts([{"id": "x", "created_at": "2024-01-01"}], OPTS)["duplicates_dropped"] == 1
    sub = {"account_id": "x", "plan": "p", "start": "2024-01-01", "mrr": {"minor": 100, "currency": "USD"}}
    assert full.add_subscriptions([sub, sub], OPTS)["duplicates_dropped"] == 1
    assert full.add_subscriptions([sub], OPTS)["duplicates_dropped"] == 1
    user = {"id": "u1", "account_id": "a1", "created_at": "2024-01-01"}
    assert_rejected(full, lambda: full.add_users([user], OPTS), "duplicate_id")


def test_huge_values(full):
    err = assert_rejected(
        full,
        lambda: full.add_accounts([{"id": "big", "created_at": "2024-01-01", "seats": 2**32}], OPTS),
        "invalid_account",
    )
    assert err.field == "seats"
    seats = pa.table({"id": ["big"], "created_at": ["2024-01-01"], "seats": [2**32]})
    assert_rejected(full, lambda: full.add_accounts(seats, OPTS), "invalid_account")
    huge = [{"account_id": "a1", "plan": "x", "start": "2024-01-01", "mrr": {"minor": 10**15 + 1, "currency": "USD"}}]
    assert_rejected(full, lambda: full.add_subscriptions(huge, OPTS), "invalid_subscription")
    beyond_i64 = [{**huge[0], "mrr": {"minor": 10**30, "currency": "USD"}}]
    assert_rejected(full, lambda: full.add_subscriptions(beyond_i64, OPTS), "invalid_subscription")
    flat = pa.table(
        {"account_id": ["a1"], "plan": ["x"], "start": ["2024-01-01"], "mrr_minor": [10**15 + 1], "currency": ["USD"]}
    )
    assert_rejected(full, lambda: full.add_subscriptions(flat, OPTS), "invalid_subscription")
    assert_rejected(
        full,
        lambda: full.add_users([{"id": "u9", "account_id": "a1", "created_at": datetime(3000, 1, 1)}], OPTS),
        "invalid_timestamp",
    )
    assert_rejected(
        full,
        lambda: full.add_events([bad_event(timestamp=10**18)], OPTS),
        "invalid_timestamp",
    )


def test_other_table_errors(full):
    other_currency = [{**SUBSCRIPTIONS[0], "mrr": {"minor": 1, "currency": "EUR"}}]
    assert_rejected(full, lambda: full.add_subscriptions(other_currency, OPTS), "currency_mismatch")
    assert_rejected(full, lambda: full.add_users([{**USERS[0], "id": "u9", "account_id": "zz"}], OPTS), "unknown_account")
    assert_rejected(full, lambda: full.add_users([{**USERS[0], "id": "u9", "role": "boss"}], OPTS), "invalid_user")
    assert_rejected(full, lambda: full.add_accounts([{"id": "x"}], OPTS), "invalid_account")  # no created_at
    assert_rejected(
        full, lambda: full.add_accounts([{"id": "x", "created_at": "2024-01-01", "colour": 1}], OPTS), "invalid_account"
    )  # unknown field
    assert_rejected(full, lambda: full.add_accounts(["not a dict"], OPTS), "invalid_account")
    assert_rejected(full, lambda: full.add_events([bad_event(properties={"when": date(2024, 1, 1)})], OPTS), "invalid_event")


def test_wrong_argument_types(full):
    with pytest.raises(TypeError):
        full.add_events(42, OPTS)
    with pytest.raises(custfit.InvalidInputError) as info:
        full.add_events(EVENTS, {"mode": "sloppy"})
    assert info.value.code == "invalid_argument"
    assert "lenient" in str(info.value)


def test_unicode_ids_and_names():
    ds = custfit.Dataset()
    ds.add_accounts([{"id": "Ω-株式会社-1", "name": "Société Générale 🚀", "created_at": "2024-01-01"}], OPTS)
    ds.add_users([{"id": "usuário-ñ", "account_id": "Ω-株式会社-1", "created_at": "2024-01-01"}], OPTS)
    ds.add_events(
        pa.table(
            {
                "account_id": ["Ω-株式会社-1"],
                "user_id": ["usuário-ñ"],
                "timestamp": ["2024-02-29T00:00:00Z"],
                "name": ["ログイン"],
                "página": ["índice"],
            }
        ),
        OPTS,
    )
    assert ds.accounts()[0]["name"] == "Société Générale 🚀"
    assert ds.events()[0]["properties"] == {"página": "índice"}
    snap = ds.snapshot(AS_OF)
    assert snap.account_ids == ["Ω-株式会社-1"]
    assert snap.value("Ω-株式会社-1", "mau") == 1


def test_lenient_mode_returns_rejected_rows(full):
    batch = [
        bad_event(timestamp="2024-02-03T00:00:00Z"),
        bad_event(user_id="nobody"),
        {"account_id": "a1", "name": "login"},  # no timestamp: cannot even be read
        bad_event(account_id="nope"),
        bad_event(timestamp="2024-02-04T00:00:00Z"),
    ]
    rep = full.add_events(batch, {**OPTS, "mode": "lenient"})
    assert rep["accepted"] == 2
    assert [(r["row"], r["code"]) for r in rep["rejected"]] == [
        (1, "unknown_user"),
        (2, "invalid_event"),
        (3, "unknown_account"),
    ]
    assert rep["rejected"][1]["field"] == "timestamp"
    assert full.event_count == 8


def test_lenient_arrow(full):
    table = pa.Table.from_pylist([bad_event(timestamp="2024-02-03T00:00:00Z"), bad_event(account_id="nope")])
    rep = full.add_events(table, {**OPTS, "mode": "lenient"})
    assert rep["accepted"] == 1
    assert rep["rejected"][0]["row"] == 1 and rep["rejected"][0]["code"] == "unknown_account"


def test_options_forms(base):
    now = datetime(2024, 3, 10, tzinfo=timezone.utc)
    base.add_events(EVENTS[:1], {"now": now, "future_tolerance_hours": 1})
    base.add_events(EVENTS[1:2], '{"now": "2024-03-10T00:00:00Z"}')
    base.add_events([bad_event(timestamp="2030-01-01T00:00:00Z")], {"allow_future": True})
    assert base.event_count == 3
    assert NOW  # the fixture's now is the same instant


def test_memory_usage_and_copy(full):
    m = full.memory_usage()
    assert m["events"] == 6 and m["event_bytes"] > 0
    clone = full.copy()
    clone.add_events([bad_event(timestamp="2024-02-05T00:00:00Z")], OPTS)
    assert (full.event_count, clone.event_count) == (6, 7)
    assert repr(full) == "Dataset(accounts=2, users=3, subscriptions=2, events=6)"


def test_million_events_go_through_arrow():
    """1M events from a pyarrow table: read in place, with no Python object per row."""
    n_accounts, n = 1_000, 1_000_000
    ds = custfit.Dataset()
    ds.add_accounts(pa.table({"id": [f"acc-{i}" for i in range(n_accounts)], "created_at": ["2023-01-01"] * n_accounts}), OPTS)
    rng = np.random.default_rng(7)
    start = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    ts = start + np.arange(n, dtype=np.int64) * 5_000  # distinct instants: no duplicates
    ids = pa.array([f"acc-{i}" for i in range(n_accounts)])
    table = pa.table(
        {
            "account_id": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, n_accounts, n), pa.int32()), ids),
            "timestamp": pa.array(ts, pa.timestamp("ms", "UTC")),
            "name": pa.array(np.where(rng.random(n) < 0.3, "login", "feature_used")),
            "feature": pa.array(rng.choice(["reports", "alerts", "api"], n)),
        }
    )
    tracemalloc.start()
    t0 = time.perf_counter()
    rep = ds.add_events(table, {"allow_future": True})
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rep["accepted"] == n and ds.event_count == n
    # A row-wise path would allocate hundreds of bytes of Python objects per row.
    assert peak < 5_000_000, peak
    print(f"\n1M events via Arrow: {elapsed:.2f} s, Python peak {peak / 1e3:.0f} kB")
