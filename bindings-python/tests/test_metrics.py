"""Snapshots: values, conversions to pyarrow / polars / pandas, configs and their errors."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import custfit
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import AS_OF


def test_snapshot_values(full):
    snap = full.snapshot(AS_OF)
    assert snap.as_of == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert len(snap) == 2
    assert snap.account_ids == ["a1", "a2"]
    assert snap.column_names[:5] == ["name", "owner", "parent_id", "created_at", "seats"]
    assert snap.value("a1", "mau") == 2
    assert snap.value("a1", "dau") == 1
    assert snap.value("a1", "stickiness") == 0.5
    assert snap.value("a1", "seat_utilization") == pytest.approx(0.2)
    assert snap.value("a1", "mrr") == 1200.0
    assert snap.value("a1", "mrr_minor") == 120000
    assert snap.value("a2", "mrr") == 0.0  # trial
    assert snap.value("a1", "days_to_renewal") == 306
    assert snap.value("a2", "days_to_renewal") is None
    assert snap.value("a2", "high_severity_tickets_60d") == 1
    assert snap.value("a1", "last_survey_score") == 9.0
    assert snap.value("a1", "current_plan") == "growth"
    assert snap.value("a2", "region") == "NA"
    assert snap.value("a1", "created_at") == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert snap.column("account_id") == ["a1", "a2"]
    assert snap.column("seats") == [10, None]
    assert snap.schema["account_id"] == "str" and snap.schema["mau"] == "int"
    assert list(snap.schema)[1:] == snap.column_names
    d = snap.to_dict()
    assert list(d) == ["account_id", *snap.column_names]
    assert d["mau"] == snap.column("mau")
    assert repr(snap).startswith("Snapshot(as_of=2024-03-01T00:00:00Z, rows=2")


@pytest.mark.parametrize(
    "as_of",
    [AS_OF, "2024-03-01", date(2024, 3, 1), datetime(2024, 3, 1), datetime(2024, 3, 1, tzinfo=timezone.utc), 1709251200000],
)
def test_as_of_forms(full, as_of):
    assert full.snapshot(as_of).as_of == datetime(2024, 3, 1, tzinfo=timezone.utc)


def test_accounts_created_later_are_absent(full):
    assert full.snapshot("2024-01-10").account_ids == ["a1"]


def test_to_arrow_polars_pandas(full):
    snap = full.snapshot(AS_OF)
    table = snap.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.column_names == ["account_id", *snap.column_names]
    assert table.schema.field("account_id").type == pa.string()
    assert table.schema.field("mau").type == pa.int64()
    assert table.schema.field("stickiness").type == pa.float64()
    assert table.schema.field("created_at").type == pa.timestamp("ms", "UTC")
    assert table.column("seats").to_pylist() == [10, None]
    assert pa.table(snap).equals(table)  # __arrow_c_stream__
    df = snap.to_polars()
    assert isinstance(df, pl.DataFrame) and df.shape == (2, len(snap.column_names) + 1)
    assert df["mau"].to_list() == [2, 1]
    assert pl.DataFrame(snap).equals(df)
    pdf = snap.to_pandas()
    assert isinstance(pdf, pd.DataFrame)
    assert str(pdf["created_at"].dtype) == "datetime64[ms, UTC]"
    assert pdf["days_to_renewal"].isna().tolist() == [False, True]


USER_DEFINED = {
    "version": 1,
    "metrics": [
        {
            "type": "count",
            "name": "reports_30d",
            "event": "feature_used",
            "filter": {"property": "feature", "in": ["reports"]},
            "window": {"amount": 30, "unit": "days"},
        },
        {"type": "distinct_users", "name": "feature_users_4w", "event": "feature_used", "window": {"amount": 4, "unit": "weeks"}},
        {"type": "ratio", "name": "reports_per_login", "numerator": "reports_30d", "denominator": "logins_30d"},
    ],
}


@pytest.mark.parametrize("as_json", [False, True], ids=["dict", "json"])
def test_user_defined_metrics(full, as_json):
    config = json.dumps(USER_DEFINED) if as_json else USER_DEFINED
    snap = full.snapshot(AS_OF, config)
    assert snap.column_names[-3:] == ["reports_30d", "feature_users_4w", "reports_per_login"]
    assert snap.column("reports_30d") == [1, 0]
    assert snap.column("feature_users_4w") == [2, 0]
    assert snap.column("reports_per_login") == [1.0, 0.0]


def test_config_errors(full):
    with pytest.raises(custfit.ParseError) as info:
        full.snapshot(AS_OF, '{"metrics": [')
    assert info.value.code == "parse_error"
    with pytest.raises(custfit.ParseError):
        full.snapshot(AS_OF, {"metricz": []})  # unknown field
    bad_ratio = {"metrics": [{"type": "ratio", "name": "r", "numerator": "mua", "denominator": "mau"}]}
    with pytest.raises(custfit.UnknownMetricError) as info:
        full.snapshot(AS_OF, bad_ratio)
    assert info.value.code == "unknown_metric"
    assert "mau" in str(info.value)  # did you mean
    assert isinstance(info.value, KeyError)
    dup = {"metrics": [{"type": "count", "name": "mau", "window": {"amount": 1, "unit": "days"}}]}
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot(AS_OF, dup)
    assert info.value.code == "duplicate_metric"
    zero = {"metrics": [{"type": "count", "name": "x", "window": {"amount": 0, "unit": "days"}}]}
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot(AS_OF, zero)
    assert (info.value.code, info.value.field) == ("invalid_config", "metrics[0].window")
    with pytest.raises(custfit.UnsupportedVersionError) as info:
        full.snapshot(AS_OF, {"version": 99})
    assert info.value.code == "unsupported_version"
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot(AS_OF, 42)
    assert info.value.code == "invalid_argument"


def test_snapshot_argument_errors(full):
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot("3000-01-01")
    assert info.value.code == "invalid_timestamp"
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot("yesterday")
    assert (info.value.code, info.value.field) == ("invalid_timestamp", "as_of")
    with pytest.raises(custfit.InvalidInputError) as info:
        full.snapshot(3.5)
    assert info.value.code == "invalid_argument"
    snap = full.snapshot(AS_OF)
    with pytest.raises(custfit.UnknownMetricError) as info:
        snap.column("mua")
    assert str(info.value) == "unknown metric `mua` (did you mean `mau`?)"
    with pytest.raises(custfit.InvalidInputError) as info:
        snap.value("zz", "mau")
    assert info.value.code == "unknown_account"


def test_metric_catalog():
    catalog = custfit.metric_catalog()
    names = [m["name"] for m in catalog]
    assert "mau" in names and "days_to_renewal" in names
    assert all(set(m) == {"name", "data_type", "description"} for m in catalog)
    snap = custfit.Dataset().snapshot(AS_OF)
    assert len(snap) == 0
    assert snap.column_names[-len(names) :] == names
    types = {m["name"]: m["data_type"] for m in catalog}
    assert all(snap.schema[n] == types[n] for n in names)
