"""The simulator."""

from __future__ import annotations

from datetime import datetime, timezone

import custfit
import pytest


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=120, days=90, seed=3, start="2024-01-01", activity_scale=0.5)


def test_simulate(sim):
    ds = sim.dataset
    assert ds is sim.dataset  # the same object every time
    assert ds.account_count == 120 and ds.event_count > 0 and ds.currency == "USD"
    assert sim.start == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert sim.end == datetime(2024, 3, 30, 23, 59, 59, tzinfo=timezone.utc)
    assert len(sim.truth) == 120
    t = sim.truth[0]
    assert t["account_id"] == "acc-000001" and t["cadence"] in {"daily", "weekly", "monthly"}
    assert sim.config["accounts"] == 120 and sim.config["seed"] == 3
    snap = ds.snapshot(sim.end)
    assert len(snap) <= 120 and max(snap.column("mau")) > 0
    assert repr(sim).startswith("Simulation(accounts=120, seed=3")


def test_deterministic_and_config_forms(sim):
    again = custfit.simulate(sim.config)
    assert again.dataset.event_count == sim.dataset.event_count
    assert again.truth == sim.truth
    overridden = custfit.simulate(sim.config, seed=4)
    assert overridden.config["seed"] == 4
    assert overridden.truth != sim.truth
    from_json = custfit.simulate('{"accounts": 5, "days": 10}', start=datetime(2023, 6, 1))
    assert from_json.dataset.account_count == 5
    assert from_json.start == datetime(2023, 6, 1, tzinfo=timezone.utc)


def test_simulation_dataset_is_a_dataset(sim):
    copy = sim.dataset.copy()
    copy.add_accounts([{"id": "extra", "created_at": "2024-01-01"}], {"now": "2024-06-01"})
    assert copy.account_count == sim.dataset.account_count + 1


def test_invalid_config():
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.simulate(accounts=0)
    assert (info.value.code, info.value.field) == ("invalid_config", "accounts")
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.simulate({"acounts": 10})
    assert info.value.code == "invalid_config"
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.simulate(accounts=5, activity_scale=float("nan"))
    assert info.value.code == "invalid_config"
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.simulate(accounts=5, start="2199-06-01")
    assert info.value.code == "invalid_config"
