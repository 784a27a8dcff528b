"""Daily activity series."""

from __future__ import annotations

from datetime import datetime, timezone

import custfit
import pytest


def test_daily_activity(full):
    days = full.daily_activity("a1", "2024-02-29T23:00:00Z", 10)
    assert len(days) == 10
    assert days[0]["day"] == datetime(2024, 2, 20, tzinfo=timezone.utc)
    assert days[-1] == {"day": datetime(2024, 2, 29, tzinfo=timezone.utc), "active_users": 1, "events": 2, "logins": 1}
    assert days[0]["events"] == 1 and days[0]["active_users"] == 1
    assert sum(d["events"] for d in days) == 3  # the survey response is not activity


def test_daily_activity_errors(full):
    with pytest.raises(custfit.InvalidInputError) as info:
        full.daily_activity("zz", "2024-03-01", 7)
    assert info.value.code == "unknown_account"
    with pytest.raises(custfit.InvalidInputError) as info:
        full.daily_activity("a1", "2024-03-01", 0)
    assert (info.value.code, info.value.field) == ("invalid_argument", "days")
    with pytest.raises(custfit.InvalidInputError) as info:
        full.daily_activity("a1", "2024-03-01", -1)
    assert (info.value.code, info.value.field) == ("invalid_argument", "days")
