"""Shared fixtures: a small, fully known dataset in the serde (dict) form and as Arrow tables."""

from __future__ import annotations

import custfit
import pyarrow as pa
import pytest

NOW = "2024-03-10T00:00:00Z"
OPTS = {"now": NOW}
AS_OF = "2024-03-01T00:00:00Z"

ACCOUNTS = [
    {
        "id": "a1",
        "name": "Acme",
        "created_at": "2024-01-01T00:00:00Z",
        "seats": 10,
        "attributes": {"region": "EMEA", "employees": 40},
    },
    {"id": "a2", "name": "Büro GmbH", "created_at": "2024-01-15T00:00:00Z", "owner": "csm-1", "attributes": {"region": "NA"}},
]
USERS = [
    {"id": "u1", "account_id": "a1", "role": "champion", "created_at": "2024-01-02T00:00:00Z"},
    {"id": "u2", "account_id": "a1", "created_at": "2024-01-02T00:00:00Z"},
    {"id": "u3", "account_id": "a2", "role": "admin", "created_at": "2024-01-16T00:00:00Z"},
]
SUBSCRIPTIONS = [
    {
        "account_id": "a1",
        "plan": "growth",
        "start": "2024-01-01T00:00:00Z",
        "end": "2025-01-01T00:00:00Z",
        "mrr": {"minor": 120000, "currency": "USD"},
    },
    {
        "account_id": "a2",
        "plan": "starter",
        "start": "2024-01-15T00:00:00Z",
        "mrr": {"minor": 5000, "currency": "USD"},
        "status": "trial",
    },
]
EVENTS = [
    {"account_id": "a1", "user_id": "u1", "timestamp": "2024-02-29T10:00:00Z", "name": "login"},
    {
        "account_id": "a1",
        "user_id": "u1",
        "timestamp": "2024-02-29T10:05:00Z",
        "name": "feature_used",
        "properties": {"feature": "reports"},
    },
    {
        "account_id": "a1",
        "user_id": "u2",
        "timestamp": "2024-02-20T09:00:00Z",
        "name": "feature_used",
        "properties": {"feature": "alerts"},
    },
    {"account_id": "a2", "user_id": "u3", "timestamp": "2024-02-25T12:00:00Z", "name": "login"},
    {"account_id": "a2", "timestamp": "2024-02-26T12:00:00Z", "name": "support_ticket", "properties": {"severity": "high"}},
    {"account_id": "a1", "timestamp": "2024-02-10T00:00:00Z", "name": "survey_response", "properties": {"score": 9}},
]


def counts(ds: custfit.Dataset) -> tuple[int, int, int, int]:
    return (ds.account_count, ds.user_count, ds.subscription_count, ds.event_count)


def events_table(rows: list[dict] = EVENTS) -> pa.Table:
    """The events as a flat Arrow table: one column per property."""
    keys = sorted({k for r in rows for k in r.get("properties", {})})
    cols = {
        "account_id": [r["account_id"] for r in rows],
        "user_id": [r.get("user_id") for r in rows],
        "timestamp": pa.array([r["timestamp"] for r in rows]).cast(pa.timestamp("ms", "UTC")),
        "name": [r["name"] for r in rows],
    }
    for k in keys:
        cols[k] = [r.get("properties", {}).get(k) for r in rows]
    return pa.table(cols)


def base_dataset() -> custfit.Dataset:
    ds = custfit.Dataset()
    ds.add_accounts(ACCOUNTS, OPTS)
    ds.add_users(USERS, OPTS)
    ds.add_subscriptions(SUBSCRIPTIONS, OPTS)
    return ds


@pytest.fixture
def base() -> custfit.Dataset:
    """Accounts, users and subscriptions; no events."""
    return base_dataset()


@pytest.fixture
def full() -> custfit.Dataset:
    """The whole fixture dataset, events included."""
    ds = base_dataset()
    ds.add_events(EVENTS, OPTS)
    return ds


def assert_rejected(ds: custfit.Dataset, call, code: str, exc: type = custfit.CustfitError) -> custfit.CustfitError:
    """`call()` raises `exc` with `code`, and the dataset is unchanged."""
    before = counts(ds)
    before_events = ds.events()
    with pytest.raises(exc) as info:
        call()
    assert info.value.code == code, str(info.value)
    assert counts(ds) == before
    assert ds.events() == before_events
    return info.value
