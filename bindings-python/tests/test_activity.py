"""Activity from Python: the daily steps series, and goals (checks on the simulator, and bad
input: stable ``.code``, nothing mutated). The golden cases of tests/cases/activity run in
test_cases.py."""

from __future__ import annotations

import json

import custfit
import pytest


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=40, days=120, seed=2, activity_scale=0.5)


def test_goals_on_the_simulator(sim):
    goal = {"name": "weekly logins", "metric": {"type": "logins"}, "period": "weekly", "target": 5}
    lookback = {"amount": 90, "unit": "days"}
    everyone = custfit.goal_progress_all(sim.dataset, goal, sim.end, lookback)
    assert everyone and [p["account_id"] for p in everyone] == sim.dataset.snapshot(sim.end).account_ids
    for p in everyone:
        assert p["goal"] == "weekly logins" and len(p["days"]) == 91
        assert p["current_streak"] <= max(p["longest_streak"], 1)
        assert all(abs(x["attainment"] - x["value"] / p["target"]) < 1e-12 for x in p["periods"])
    assert any(c["kind"] == "first_week_at_goal" for p in everyone for c in p["celebrations"])
    # The steps chart is the same series Dataset.daily_activity gives (there as datetimes).
    one = everyone[0]
    days = sim.dataset.daily_activity(one["account_id"], sim.end, 91)
    assert [d["logins"] for d in days] == [d["logins"] for d in one["days"]]
    # Per-account targets; the goal as JSON text.
    goal["account_targets"] = {one["account_id"]: 1}
    mine = custfit.goal_progress(sim.dataset, one["account_id"], json.dumps(goal), sim.end, json.dumps(lookback))
    assert mine["target"] == 1


def test_bad_goal_input_leaves_the_dataset_unchanged(sim):
    ds = sim.dataset
    before = (ds.account_count, ds.event_count)
    account = ds.accounts()[0]["id"]
    goal = {"metric": {"type": "events"}, "period": "daily", "target": 3}
    week = {"amount": 1, "unit": "weeks"}
    cases = [
        (lambda: custfit.goal_progress(ds, account, {**goal, "target": 0}, sim.end, week), "invalid_config"),
        (lambda: custfit.goal_progress(ds, account, {**goal, "target": float("nan")}, sim.end, week), "parse_error"),
        (lambda: custfit.goal_progress(ds, account, {**goal, "version": 7}, sim.end, week), "unsupported_version"),
        (lambda: custfit.goal_progress(ds, account, {**goal, "metric": {"type": "steps"}}, sim.end, week), "parse_error"),
        (lambda: custfit.goal_progress(ds, "日本", goal, sim.end, week), "unknown_account"),
        (lambda: custfit.goal_progress(ds, account, goal, "yesterday", week), "invalid_timestamp"),
        (lambda: custfit.goal_progress(ds, account, goal, sim.end, {"amount": 0, "unit": "days"}), "invalid_config"),
        (lambda: custfit.goal_progress(ds, account, goal, sim.end, 7), "invalid_argument"),
        (lambda: custfit.goal_progress_all(ds, ["not", "a", "goal"], sim.end, week), "invalid_argument"),
    ]
    for call, code in cases:
        with pytest.raises(custfit.CustfitError) as info:
            call()
        assert info.value.code == code, str(info.value)
    assert (ds.account_count, ds.event_count) == before


def test_unicode_account_and_event_names():
    ds = custfit.Dataset()
    ds.add_accounts([{"id": "Büro 日本 🚀", "name": "Büro", "created_at": "2024-01-01"}])
    ds.add_events(
        [
            {"account_id": "Büro 日本 🚀", "timestamp": "2024-03-04T09:00:00Z", "name": "rapport_créé"},
            {"account_id": "Büro 日本 🚀", "timestamp": "2024-03-05T09:00:00Z", "name": "rapport_créé"},
        ]
    )
    goal = {"metric": {"type": "event_count", "name": "rapport_créé"}, "period": "daily", "target": 1}
    p = custfit.goal_progress(ds, "Büro 日本 🚀", goal, "2024-03-05T12:00:00Z", {"amount": 1, "unit": "days"})
    assert p["account_id"] == "Büro 日本 🚀"
    assert [x["met"] for x in p["periods"]] == [True, True]
    assert p["current_streak"] == 2

def test_daily_activity(full):
    days = full.daily_activity("a1", "2024-02-29T23:00:00Z", 10)
    assert len(days) == 10
    assert days[0]["day"] == "2024-02-20T00:00:00Z"
    assert days[-1] == {"day": "2024-02-29T00:00:00Z", "active_users": 1, "events": 2, "logins": 1}
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
