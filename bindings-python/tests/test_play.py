"""Plays and playbooks from Python: a playbook run over a simulated customer base (who fired and
why, capacity, the rerun that fires nothing, ``prev_<column>`` changes, a frame with added
columns), the ledger (JSON and file round trips, closing actions) and bad input (stable
``.code``). The golden cases of tests/cases/play run in test_cases.py; docs/src/play.md includes
the ANCHOR regions of this file."""

from __future__ import annotations

import json
from datetime import datetime as dt
from datetime import timedelta
from pathlib import Path

import custfit
import pytest

# ANCHOR: playbook
PLAYBOOK = {
    "version": 1,
    "name": "retention",
    # Each owner (the `owner` column) gives at most 2 hours per run; accounts without an owner
    # share the same default.
    "limits": {"default_capacity_hours": 2.0},
    "plays": [
        {
            "id": "check_in_call",
            "description": "A paying account quiet for two weeks: its CSM calls.",
            "cohort": "mrr > 0",
            "trigger": {"type": "condition", "when": "days_since_last_activity > 14"},
            "firing": {"type": "edge"},
            "tactic": {"kind": "call", "priority": 1, "effort_hours": 0.5},
        },
        {
            "id": "win_back",
            "description": "A lapsed account quiet for a month: a win-back email, monthly.",
            "cohort": "mrr == 0",
            "trigger": {"type": "condition", "when": "days_since_last_activity > 30"},
            "firing": {"type": "level", "cooldown": {"amount": 30, "unit": "days"}},
            "rank_by": "tenure_days",
            "tactic": {"kind": "email", "effort_hours": 0.25, "payload": {"template": "we-miss-you"}},
        },
    ],
}
# ANCHOR_END: playbook


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    return custfit.simulate(accounts=150, days=200, seed=11)


@pytest.fixture(scope="module")
def snap(sim) -> custfit.Snapshot:
    return sim.dataset.snapshot(sim.end)


def rows(snap: custfit.Snapshot) -> dict[str, dict]:
    table = snap.to_dict()
    return {a: {c: table[c][i] for c in table} for i, a in enumerate(table["account_id"])}


def test_playbook_document_round_trips():
    book = custfit.Playbook(PLAYBOOK)
    assert book.name == "retention"
    assert book.play_ids == ["check_in_call", "win_back"]
    assert custfit.Playbook(book.to_json()) == book
    assert custfit.Playbook(book.to_dict()) == book
    doc = book.to_dict()
    # Defaults are written out: the same file reads the same in Rust and Node.
    assert doc["plays"][0]["version"] == 1 and doc["plays"][0]["tactic"]["owner_role"] == "csm"
    assert doc["limits"]["owner_column"] == "owner"
    assert json.loads(book.to_json()) == doc
    assert "retention" in repr(book)


def test_a_run_fires_plays_with_reasons_and_spends_capacity(sim, snap):
    # ANCHOR: run
    book = custfit.Playbook(PLAYBOOK)
    snap = sim.dataset.snapshot(sim.end)  # any frame: a Snapshot, with any added columns
    run, state = custfit.run_playbook(book, snap)  # a first run: the state starts empty

    for action in run["fired"]:  # dicts in the core's serde form
        print(action["key"], action["kind"], action["owner"], action["reasons"])
    # check_in_call@1:acc-000055:2024-07-18 call csm-06 {'days_since_last_activity': 16, 'mrr': 1980.91}
    for skip in run["skipped"]:  # every eligible account without an action, and why
        print(skip["play"], skip["account_id"], skip["reason"], skip["detail"])
    # win_back acc-000091 capacity_exhausted (no owner): 2 of 2 hours spent, this needs 0.25
    # ANCHOR_END: run
    data = rows(snap)
    day = sim.end.date().isoformat()
    known = {a: r for a, r in data.items() if r["mrr"] is not None and r["days_since_last_activity"] is not None}
    quiet_paying = {a for a, r in known.items() if r["mrr"] > 0 and r["days_since_last_activity"] > 14}
    lapsed = {a for a, r in known.items() if r["mrr"] == 0 and r["days_since_last_activity"] > 30}
    assert quiet_paying and lapsed

    # Every eligible account got an action or a skip with a reason; no other account appears.
    for play, eligible in (("check_in_call", quiet_paying), ("win_back", lapsed)):
        fired = [a["account_id"] for a in run["fired"] if a["play"] == play]
        skipped = [s["account_id"] for s in run["skipped"] if s["play"] == play]
        assert sorted(fired + skipped) == sorted(eligible), play
    assert {s["reason"] for s in run["skipped"]} == {"capacity_exhausted"}

    # Calls (priority 1) are served before emails; within a play, by rank_by (then id).
    kinds = [a["kind"] for a in run["fired"]]
    assert kinds == sorted(kinds)  # "call" < "email"
    emails = [a for a in run["fired"] if a["play"] == "win_back"]
    tenure = [data[a["account_id"]]["tenure_days"] for a in emails]
    for owner in {a["owner"] for a in emails}:
        mine = [t for a, t in zip(emails, tenure) if a["owner"] == owner]
        assert mine == sorted(mine, reverse=True)

    # No owner spends more than the 2 hours of a run.
    spent: dict[str | None, float] = {}
    for a in run["fired"]:
        spent[a["owner"]] = spent.get(a["owner"], 0.0) + a["effort_hours"]
    assert max(spent.values()) <= 2.0

    for a in run["fired"]:
        r = data[a["account_id"]]
        assert a["key"] == f"{a['play']}@1:{a['account_id']}:{day}"
        assert a["reasons"] == {"mrr": r["mrr"], "days_since_last_activity": r["days_since_last_activity"]}
        assert a["owner"] == r["owner"] and a["status"] == "open" and a["closed_at"] is None
        assert a["created_at"] == a["updated_at"] == run["as_of"]
        assert a["payload"] == ({"template": "we-miss-you"} if a["play"] == "win_back" else None)
    assert run["updated"] == [] and run["closed"] == [] and run["held_out"] == []  # no holdout: nobody held out
    assert state.actions() == run["fired"] == state.open_actions()
    assert state.last_run == sim.end == snap.as_of
    assert state.playbook == "retention"


def test_rerunning_the_same_frame_fires_nothing(snap):
    # ANCHOR: rerun
    book = custfit.Playbook(PLAYBOOK)
    first, state = custfit.run_playbook(book, snap)
    again, state_again = custfit.run_playbook(book, snap, state)
    assert again["fired"] == []  # the same run: nothing new, whatever the limits
    assert state_again.actions() == state.actions()
    # ANCHOR_END: rerun
    # The level play's open actions are refreshed, not duplicated; the edge play saw its trigger
    # already holding.
    open_emails = [a["key"] for a in first["fired"] if a["play"] == "win_back"]
    assert again["updated"] == open_emails
    # The returned state is a new object: the one passed in is not changed.
    assert custfit.run_playbook(PLAYBOOK, snap, state)[1] == state_again
    assert state.actions() == first["fired"]


def test_prev_columns_fire_on_change(sim):
    # ANCHOR: changes
    book = {
        "version": 1,
        "name": "usage",
        "plays": [
            {
                "id": "usage_halved",
                "cohort": "mrr > 0",
                "trigger": {"type": "condition", "when": "logins_30d < prev_logins_30d * 0.5"},
                "firing": {"type": "edge"},
                "tactic": {"kind": "alert_owner", "owner_role": "csm"},
            }
        ],
    }
    month_ago = sim.dataset.snapshot(sim.end - timedelta(days=30))
    now = sim.dataset.snapshot(sim.end)
    first, state = custfit.run_playbook(book, month_ago)  # no previous run: nothing changed
    second, state = custfit.run_playbook(book, now, state)
    # ANCHOR_END: changes
    assert first["fired"] == []
    before, after = rows(month_ago), rows(now)
    expected = sorted(
        a
        for a, r in after.items()
        if a in before
        and (r["mrr"] or 0) > 0
        and r["logins_30d"] is not None
        and before[a]["logins_30d"] is not None
        and r["logins_30d"] < before[a]["logins_30d"] * 0.5
    )
    assert expected, "the simulator has accounts whose usage halved"
    assert [a["account_id"] for a in second["fired"]] == expected
    for a in second["fired"]:
        assert a["reasons"]["prev_logins_30d"] == before[a["account_id"]]["logins_30d"]
        assert a["reasons"]["logins_30d"] == after[a["account_id"]]["logins_30d"]
    # The ledger keeps the column values the next run reads as prev_logins_30d.
    memory = state.to_dict()["memory"]
    assert set(memory["columns"]) == {"logins_30d"}
    assert memory["columns"]["logins_30d"]["type"] == "int"
    # One value per account of the memory (sorted by id), missing values None.
    assert memory["accounts"] == sorted(after)
    assert memory["columns"]["logins_30d"]["values"] == [after[a]["logins_30d"] for a in memory["accounts"]]


def test_a_frame_with_added_columns(sim):
    hs = custfit.health_snapshot(sim.dataset, sim.end)
    frame = custfit.Scorecard.starter().score(hs).add_to_snapshot(hs)
    book = {
        "version": 1,
        "name": "health",
        "plays": [
            {
                "id": "red_review",
                "trigger": {"type": "condition", "when": "health_band == 'red'"},
                "firing": {"type": "edge"},
                "tactic": {"kind": "meeting"},
            }
        ],
    }
    run, _ = custfit.run_playbook(book, frame)
    red = sorted(a for a, r in rows(frame).items() if r["health_band"] == "red")
    assert red and [a["account_id"] for a in run["fired"]] == red
    assert all(a["reasons"] == {"health_band": "red"} for a in run["fired"])


def test_the_ledger_round_trips_and_closes_actions(tmp_path: Path, snap):
    run, state = custfit.run_playbook(PLAYBOOK, snap)
    # ANCHOR: ledger
    path = tmp_path / "ledger.json"
    state.save(path)  # atomic: a temporary file beside it, renamed over it
    state = custfit.PlayState.load(path)  # next time, before the next run

    key = state.open_actions()[0]["key"]
    state.close(key, "done", snap.as_of)  # the CSM reports the call was made
    assert key not in [a["key"] for a in state.open_actions()]
    # ANCHOR_END: ledger
    assert custfit.PlayState.load(str(path)) != state  # closed after the save
    state.save(str(path))
    assert custfit.PlayState.load(path) == state
    assert custfit.PlayState.from_json(state.to_json()) == state
    assert json.loads(state.to_json()) == state.to_dict()

    closed = next(a for a in state.actions() if a["key"] == key)
    assert closed["status"] == "done" and closed["closed_at"] == run["as_of"]
    assert len(state.open_actions()) == len(run["fired"]) - 1
    state.close(key, "done", snap.as_of)  # again with the same status: nothing changes
    with pytest.raises(custfit.InvalidInputError) as info:
        state.close(key, "cancelled", snap.as_of)
    assert info.value.code == "invalid_argument" and "already closed as done" in str(info.value)
    other = state.open_actions()[0]["key"]
    state.close(other, "cancelled", snap.as_of.isoformat())
    assert [a["status"] for a in state.actions() if a["key"] == other] == ["cancelled"]

    # A new ledger is empty; the pieces a run fills in are None or empty.
    empty = custfit.PlayState()
    assert empty.last_run is None and empty.playbook is None and empty.actions() == [] == empty.open_actions()
    memory = {"accounts": [], "held": {}, "columns": {}}
    assert empty.to_dict() == {"version": 1, "playbook": None, "last_run": None, "actions": [], "memory": memory}


def test_the_ledger_as_arrow_tables(snap):
    run, state = custfit.run_playbook(PLAYBOOK, snap)
    # ANCHOR: arrow
    actions, memory = state.to_arrow()  # two pyarrow Tables: one row per action, per account
    frame = actions.to_pandas()  # or polars.from_arrow(actions)
    back = custfit.PlayState.from_arrow(actions, memory)
    # ANCHOR_END: arrow
    assert back == state
    assert len(frame) == len(state.actions()) == len(run["fired"])
    assert list(frame["key"]) == [a["key"] for a in state.actions()]
    assert json.loads(frame["reasons"][0]) == state.actions()[0]["reasons"]
    assert memory.column("account_id").to_pylist() == state.to_dict()["memory"]["accounts"]
    assert actions.schema.metadata[b"custfit.play_state.version"] == b"1"
    # Without the ledger's metadata the tables are refused, coded.
    with pytest.raises(custfit.ParseError) as info:
        custfit.PlayState.from_arrow(actions.replace_schema_metadata({}), memory.replace_schema_metadata({}))
    assert info.value.code == "parse_error"
    newer = {b"custfit.play_state.version": b"2"}
    with pytest.raises(custfit.UnsupportedVersionError):
        custfit.PlayState.from_arrow(actions.replace_schema_metadata(newer), memory.replace_schema_metadata(newer))


def test_closing_wrong_actions_is_coded(snap):
    run, state = custfit.run_playbook(PLAYBOOK, snap)
    key = run["fired"][0]["key"]
    attempts = {
        "unknown key": lambda: state.close("nope", "done", snap.as_of),
        "a status the engine sets": lambda: state.close(key, "goal_met", snap.as_of),
        "an unknown status": lambda: state.close(key, "finished", snap.as_of),
        "before the action was created": lambda: state.close(key, "done", "2000-01-01"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(custfit.InvalidInputError) as info:
            attempt()
        assert info.value.code == "invalid_argument", what
    with pytest.raises(custfit.InvalidInputError) as info:
        state.close(key, "done", "not a date")
    assert info.value.code == "invalid_timestamp"
    assert state.open_actions() == run["fired"]  # nothing changed


def bad(**changes):
    return {**PLAYBOOK, **changes}


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (bad(plays=PLAYBOOK["plays"] + PLAYBOOK["plays"][:1]), "invalid_config"),  # an id used twice
        (bad(plays=[{**PLAYBOOK["plays"][0], "tactic": {"kind": "call", "effort_hours": -1}}]), "invalid_config"),
        (bad(bogus=True), "parse_error"),
        (bad(plays=[{**PLAYBOOK["plays"][0], "firing": {"type": "sometimes"}}]), "parse_error"),
        ("{", "parse_error"),
        (bad(version=2), "unsupported_version"),
    ],
)
def test_bad_playbooks_are_coded(snap, document, code):
    with pytest.raises(custfit.CustfitError) as info:
        custfit.Playbook(document)
    assert info.value.code == code
    with pytest.raises(custfit.CustfitError) as info:
        custfit.run_playbook(document, snap)
    assert info.value.code == code


def test_bad_runs_are_coded(sim, snap):
    _, state = custfit.run_playbook(PLAYBOOK, snap)
    newer = {**json.loads(state.to_json()), "version": 2}
    with pytest.raises(custfit.UnsupportedVersionError) as info:
        custfit.PlayState.from_json(json.dumps(newer))
    assert info.value.code == "unsupported_version"
    corrupt = json.loads(state.to_json())
    corrupt["actions"].append(corrupt["actions"][0])  # a key twice
    with pytest.raises(custfit.ParseError) as info:
        custfit.PlayState.from_json(json.dumps(corrupt))
    assert info.value.code == "parse_error"
    with pytest.raises(custfit.CustfitIOError) as info:
        custfit.PlayState.load("/nonexistent/ledger.json")
    assert info.value.code == "io_error"

    unknown = bad(plays=[{**PLAYBOOK["plays"][0], "cohort": "mrrr > 0"}])
    with pytest.raises(custfit.UnknownMetricError) as info:
        custfit.run_playbook(unknown, snap)
    assert info.value.code == "unknown_name" and info.value.suggestion == "mrr"

    yesterday = sim.dataset.snapshot(sim.end - timedelta(days=1))
    cases = {
        "a state of another playbook": lambda: custfit.run_playbook(bad(name="other"), snap, state),
        "a run before the last one": lambda: custfit.run_playbook(PLAYBOOK, yesterday, state),
        "not a playbook": lambda: custfit.run_playbook(42, snap),
        "not a state": lambda: custfit.run_playbook(PLAYBOOK, snap, {"version": 1}),
    }
    for what, attempt in cases.items():
        with pytest.raises(custfit.InvalidInputError) as info:
            attempt()
        assert info.value.code == "invalid_argument", what
    with pytest.raises(TypeError):
        custfit.run_playbook(PLAYBOOK, sim.dataset)  # the frame is a Snapshot


def test_the_starter_playbook():
    # ANCHOR: starter
    book = custfit.Playbook.starter()  # 25 plays: lifecycle, segment and event plays
    print(book.play_ids[:3])
    # ['check_in_call_high_value', 'feature_highlights_drip', 'onboarding_welcome']
    print(custfit.starter_columns())  # what a frame needs besides the built-in metrics
    # ['health_band', 'churn_probability', 'tier']
    # ANCHOR_END: starter
    assert len(book.play_ids) == 25 and len(set(book.play_ids)) == 25
    assert book.name == "starter"
    assert custfit.Playbook(book.to_json()) == book == custfit.Playbook.starter()
    assert custfit.starter_columns() == ["health_band", "churn_probability", "tier"]


FEATURES = ["active_days_30d", "usage_trend_30d", "days_to_renewal", "support_tickets_60d"]


@pytest.fixture(scope="module")
def history() -> custfit.Simulation:
    return custfit.simulate(accounts=150, days=500, seed=3)


def test_a_dry_run_of_the_starter_playbook(history):
    sim = history
    # ANCHOR: dry_run
    first = sim.end - timedelta(weeks=7)  # weekly over the last 8 weeks
    # A churn model fitted on what was known at the first run: the replay must not see the future.
    training = custfit.build_training_set(sim.dataset, {"features": {"metrics": FEATURES}}, known_at=first)
    model = custfit.ChurnModel.fit(training)
    recipe = {  # how each run's frame is built from the data as of its date
        "version": 1,
        "scorecard": custfit.Scorecard.starter().to_dict(),  # adds health_score, health_band
        "tiers": {"version": 1},  # Pareto tiers by MRR: adds tier
    }
    config = {
        "from": first.isoformat(),
        "to": sim.end.isoformat(),
        "step": {"amount": 7, "unit": "days"},
        "horizon": {"amount": 30, "unit": "days"},  # how long after an action its outcome is measured
    }
    dry, state = custfit.dry_run(custfit.Playbook.starter(), sim.dataset, recipe, config, churn_model=model)
    for play in dry["plays"]:
        if play["fired"]:
            print(play["play"], play["fired"], play["observed"], play["churn_rate"])
    # onboarding_welcome 4 2 0.0
    # …
    # sudden_usage_decline 17 13 0.23076923076923078
    # ANCHOR_END: dry_run
    runs = dry["runs"]
    assert len(runs) == 8
    as_of = [dt.fromisoformat(r["as_of"].replace("Z", "+00:00")) for r in runs]
    assert as_of == [first + timedelta(weeks=k) for k in range(8)]
    starter = custfit.Playbook.starter()
    assert [p["play"] for p in dry["plays"]] == starter.play_ids
    fired = [a for r in runs for a in r["fired"]]
    assert fired and sum(p["fired"] for p in dry["plays"]) == len(fired)
    for p in dry["plays"]:
        mine = [a for a in fired if a["play"] == p["play"]]
        assert p["fired"] == len(mine) and p["accounts"] == len({a["account_id"] for a in mine})
        assert 0 <= p["churned"] <= p["observed"] <= p["fired"]
        assert p["churn_rate"] == (p["churned"] / p["observed"] if p["observed"] else None)
    assert any(p["observed"] for p in dry["plays"])
    assert state.last_run == as_of[-1] and state.to_dict() == dry["state"]
    assert len(state.actions()) == len(fired)

    # The same as running the engine step by step on frames built by hand.
    card = custfit.Scorecard.starter()
    steps, ledger = [], custfit.PlayState()
    for t in as_of:
        frame = custfit.health_snapshot(sim.dataset, t)
        frame = frame.with_columns(custfit.pareto_tiers(frame), "tier")
        frame = frame.with_columns(card.score(frame), "health")
        frame = frame.with_columns(model.forecast(sim.dataset, t, 1), "churn")
        run, ledger = custfit.run_playbook(starter, frame, ledger)
        steps.append(run)
    assert steps == runs
    assert ledger == state

    # The model may be given inside the recipe too; a state carries on from an earlier run.
    inside = {**recipe, "churn_model": json.loads(model.to_json())}
    assert custfit.dry_run(starter, sim.dataset, json.dumps(inside), config)[0] == dry
    later = {**config, "from": sim.end.isoformat()}
    again, _ = custfit.dry_run(starter, sim.dataset, inside, later, state)
    assert again["runs"][0]["fired"] == [] and len(again["runs"]) == 1


def test_bad_dry_runs_are_coded(history):
    sim = history
    recipe = {"version": 1, "tiers": {"version": 1}}
    top = {"type": "condition", "when": "tier == 'tier_1'"}
    play = {"id": "top", "trigger": top, "firing": {"type": "edge"}, "tactic": {"kind": "call"}}
    book = {"version": 1, "name": "tiers", "plays": [play]}
    week = {"amount": 7, "unit": "days"}
    start = sim.end - timedelta(weeks=2)
    config = {"from": start.isoformat(), "to": sim.end.isoformat(), "step": week}
    dry, _ = custfit.dry_run(book, sim.dataset, recipe, config)
    assert len(dry["runs"]) == 3 and dry["runs"][0]["fired"]

    after_end = {**config, "to": (sim.end + timedelta(days=30)).isoformat()}
    cases = [
        (book, recipe, after_end, "invalid_config"),  # the data has not reached it
        (book, recipe, {**config, "to": (start - timedelta(days=1)).isoformat()}, "invalid_config"),
        (book, recipe, {**config, "step": {"amount": 0, "unit": "days"}}, "invalid_config"),
        (book, recipe, {**config, "bogus": 1}, "parse_error"),
        (book, {**recipe, "tiers": {"version": 1, "cuts": {"type": "nope"}}}, config, "parse_error"),
        (book, {**recipe, "bogus": True}, config, "parse_error"),
        (book, "{", config, "parse_error"),
        (book, {**recipe, "tiers": {"version": 1, "cuts": {"type": "customer_share", "marks": [2.0]}}}, config, "invalid_config"),
        (book, {**recipe, "version": 2}, config, "unsupported_version"),
        (book, {"version": 1}, config, "unknown_name"),  # no tier column without tiers
        ({**book, "bogus": 1}, recipe, config, "parse_error"),
    ]
    for playbook, r, c, code in cases:
        with pytest.raises(custfit.CustfitError) as info:
            custfit.dry_run(playbook, sim.dataset, r, c)
        assert info.value.code == code, (r, c)

    training = custfit.build_training_set(sim.dataset, {"features": {"metrics": FEATURES}}, known_at=start)
    model = custfit.ChurnModel.fit(training)
    twice = {**recipe, "churn_model": json.loads(model.to_json())}
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.dry_run(book, sim.dataset, twice, config, churn_model=model)
    assert info.value.code == "invalid_argument"
    with pytest.raises(custfit.InvalidInputError) as info:
        custfit.dry_run(book, sim.dataset, recipe, config, {"version": 1})
    assert info.value.code == "invalid_argument"
    with pytest.raises(TypeError):
        custfit.dry_run(book, sim.dataset, recipe, config, churn_model=json.loads(model.to_json()))
    with pytest.raises(TypeError):
        custfit.dry_run(book, sim.dataset.snapshot(sim.end), recipe, config)
