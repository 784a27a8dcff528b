"""The account lifecycle from Python: growth accounting and retention cohorts on a simulated base,
each equal to an independent DuckDB computation from the CSV files the dataset writes; the
buckets as snapshot columns a play triggers on; engagement moments recovering the simulator's
onboarding (first value on day 21, the accounts it makes stuck flagged on their training) and
their columns in a play; phase history replayed against ``segment_rules`` date by date; configs
as dicts or JSON text; bad configs and arguments (stable ``.code``). The golden cases of
tests/cases/lifecycle run in test_cases.py; docs/src/lifecycle.md includes the ANCHOR regions of
this file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import custfit
import duckdb
import pytest

NON_ACTIVITY = ("support_ticket", "survey_response", "invoice_paid", "touch")


@pytest.fixture(scope="module")
def sim() -> custfit.Simulation:
    # The same base as bindings-node/__test__/lifecycle.test.mjs, which checks the same figures.
    return custfit.simulate(accounts=300, days=200, seed=21, activity_scale=0.3)


@pytest.fixture(scope="module")
def growth(sim) -> custfit.GrowthAccounting:
    return custfit.growth_accounting(sim.dataset, sim.end)


@pytest.fixture(scope="module")
def files(sim, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lifecycle")
    sim.dataset.write_csv(out)
    return out


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def duck(files: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB over the CSV files, instants as naive UTC timestamps (every file holds UTC)."""
    con = duckdb.connect()
    con.execute("CREATE MACRO instant(text) AS CAST(replace(nullif(text, ''), 'Z', '') AS TIMESTAMP)")
    con.execute(
        """CREATE TABLE events AS SELECT account_id, name, instant(timestamp) AS ts
           FROM read_csv($path, all_varchar = true)""",
        {"path": str(files / "events.csv")},
    )
    con.execute(
        """CREATE TABLE subscriptions AS SELECT account_id, status, instant(start) AS start, instant("end") AS "end",
             CAST(mrr_minor AS BIGINT) / 100 AS mrr, currency
           FROM read_csv($path, all_varchar = true)""",
        {"path": str(files / "subscriptions.csv")},
    )
    return con


def test_growth_accounting():
    # ANCHOR: growth
    sim = custfit.simulate(accounts=300, days=200, seed=21, activity_scale=0.3)
    growth = custfit.growth_accounting(sim.dataset, sim.end)  # monthly; or a config: {"period": "week"}
    for p in growth.periods:  # dicts, oldest first; the last month is still running
        counts = [p[k] for k in ("active", "new", "returning", "resurrecting", "dormant", "churned")]
        print(p["start"][:7], *counts, p["quick_ratio"])
    # 2024-01 211 211 0 0 0 0 None
    # 2024-02 214 10 204 0 7 7 1.4285714285714286
    # ...
    # 2024-07 221 11 210 0 78 18 0.6111111111111112
    print(growth.buckets[:3])  # each account's bucket this month (None: never active)
    # ['returning', 'returning', 'returning']
    # ANCHOR_END: growth
    assert growth.period == "month" and growth.as_of == sim.end
    assert [p["start"][:7] for p in growth.periods] == [f"2024-0{m}" for m in range(1, 8)]
    assert [p["complete"] for p in growth.periods] == [True] * 6 + [False]
    before = 0  # accounts active in or before the previous period
    for p in growth.periods:
        assert p["active"] == p["new"] + p["returning"] + p["resurrecting"]
        assert p["new"] + p["returning"] + p["resurrecting"] + p["dormant"] == before + p["new"]
        before += p["new"]
        assert p["quick_ratio"] == (None if p["churned"] == 0 else (p["new"] + p["resurrecting"]) / p["churned"])
    last = growth.periods[-1]
    assert sum(b is not None for b in growth.buckets) == before == sum(t is not None for t in growth.first_active)
    assert growth.buckets.count("dormant") == last["dormant"]
    assert growth.buckets.count("returning") == last["returning"]
    assert len(growth.account_ids) == len(growth.buckets) == sim.dataset.account_count
    # The figures the Node suite checks on the same base.
    assert [p["active"] for p in growth.periods] == FIGURES["active"]
    assert [p["churned"] for p in growth.periods] == FIGURES["churned"]
    assert growth.buckets.count("dormant") == FIGURES["dormant_now"]


# Figures of the simulated base above; bindings-node/__test__/lifecycle.test.mjs asserts the same.
FIGURES = {"active": [211, 214, 231, 235, 234, 228, 221], "churned": [0, 7, 8, 13, 17, 17, 18], "dormant_now": 78}


GROWTH_SQL = """
WITH act AS (  -- (account, month) with a product event, up to as_of
  SELECT DISTINCT account_id, date_trunc('month', ts) AS m FROM events
  WHERE name NOT IN (SELECT unnest($non_activity)) AND ts <= $as_of
), first_active AS (
  SELECT account_id, min(m) AS first FROM act GROUP BY account_id
), months AS (
  SELECT unnest(generate_series((SELECT min(first) FROM first_active), date_trunc('month', $as_of), INTERVAL 1 MONTH)) AS m
), grid AS (  -- every account already started, every month
  SELECT months.m, f.account_id, f.first, cur.m IS NOT NULL AS active, prev.m IS NOT NULL AS active_before
  FROM months JOIN first_active f ON f.first <= months.m
  LEFT JOIN act cur ON cur.account_id = f.account_id AND cur.m = months.m
  LEFT JOIN act prev ON prev.account_id = f.account_id AND prev.m = months.m - INTERVAL 1 MONTH
)
SELECT m, account_id, first,
  CASE WHEN active AND first = m THEN 'new' WHEN active AND active_before THEN 'returning'
       WHEN active THEN 'resurrecting' ELSE 'dormant' END AS bucket,
  active_before AND NOT active AS churned
FROM grid
"""


def test_growth_accounting_equals_duckdb(sim, growth, files):
    """Every month's counts, each account's bucket and first active month, computed in SQL from
    the events file: activity is an event not named in the default non-activity list."""
    con = duck(files)
    as_of = sim.end.astimezone(timezone.utc).replace(tzinfo=None)
    con.execute(f"CREATE TABLE grid AS {GROWTH_SQL}", {"non_activity": list(NON_ACTIVITY), "as_of": as_of})
    months = con.execute(
        """SELECT m, count(*) FILTER (bucket <> 'dormant'), count(*) FILTER (bucket = 'new'),
             count(*) FILTER (bucket = 'returning'), count(*) FILTER (bucket = 'resurrecting'),
             count(*) FILTER (bucket = 'dormant'), count(*) FILTER (churned)
           FROM grid GROUP BY m ORDER BY m"""
    ).fetchall()
    keys = ["active", "new", "returning", "resurrecting", "dormant", "churned"]
    expected = [{"start": m.replace(tzinfo=timezone.utc), **dict(zip(keys, counts))} for m, *counts in months]
    got = [{"start": utc(p["start"]), **{k: p[k] for k in keys}} for p in growth.periods]
    assert got == expected
    assert len(got) == 7 and sum(p["resurrecting"] for p in got) > 0 and sum(p["churned"] for p in got) > 0

    now = dict(con.execute("SELECT account_id, bucket FROM grid WHERE m = (SELECT max(m) FROM grid)").fetchall())
    assert dict(zip(growth.account_ids, growth.buckets)) == {a: now.get(a) for a in growth.account_ids}
    firsts = dict(con.execute("SELECT DISTINCT account_id, first FROM grid").fetchall())
    expected_first = {a: firsts[a].replace(tzinfo=timezone.utc) if a in firsts else None for a in growth.account_ids}
    assert dict(zip(growth.account_ids, growth.first_active)) == expected_first


COHORT_SQL = """
WITH paid AS (SELECT * FROM subscriptions WHERE status <> 'trial'),
members AS (  -- each account's cohort: the month of its first subscription, trials aside
  SELECT account_id, date_trunc('month', min(start)) AS cohort FROM paid GROUP BY account_id HAVING min(start) <= $as_of
), cells AS (  -- period k of each member ends at `period_end`; what it has in force just before
  SELECT cohort, k, account_id, cohort + to_months(k + 1) - INTERVAL 1 MILLISECOND AS t
  FROM members, range(0, $periods + 1) AS r(k)
), at_end AS (
  SELECT c.cohort, c.k, c.account_id, c.t, count(s.account_id) > 0 AS subscribed, coalesce(sum(s.mrr), 0) AS mrr
  FROM cells c LEFT JOIN paid s ON s.account_id = c.account_id AND s.start <= c.t AND (s."end" IS NULL OR c.t < s."end")
  GROUP BY ALL
), starting AS (  -- MRR at the end of the start month (at as_of while it runs)
  SELECT m.account_id, coalesce(sum(s.mrr), 0) AS mrr
  FROM members m LEFT JOIN paid s ON s.account_id = m.account_id
    AND s.start <= least(m.cohort + INTERVAL 1 MONTH - INTERVAL 1 MILLISECOND, $as_of)
    AND (s."end" IS NULL OR least(m.cohort + INTERVAL 1 MONTH - INTERVAL 1 MILLISECOND, $as_of) < s."end")
  GROUP BY m.account_id
)
SELECT e.cohort, e.k, e.t <= $as_of AS over, count(*) AS accounts, sum(st.mrr) AS starting_mrr,
  avg(CAST(e.subscribed AS DOUBLE)) AS logo, sum(least(e.mrr, st.mrr)) AS capped, sum(e.mrr) AS total
FROM at_end e JOIN starting st USING (account_id)
GROUP BY e.cohort, e.k, e.t ORDER BY e.cohort, e.k
"""


def test_retention_cohorts(sim):
    # ANCHOR: cohorts
    config = {"period": "month", "start": "first_subscription", "measure": "subscribed", "periods": 6}
    cohorts = custfit.retention_cohorts(sim.dataset, sim.end, config)
    for row in cohorts["rows"][-4:]:  # the latest cohorts; periods not over yet are None
        print(row["cohort"][:7], row["accounts"], row["logo"], row["net_revenue"])
    # ...
    # 2024-05 17 [1.0, 0.8823529411764706, None, None, None, None, None] [1.0, 0.8310091363007996, None, ...]
    # 2024-06 10 [1.0, None, None, None, None, None, None] [1.0, None, None, None, None, None, None]
    # ANCHOR_END: cohorts
    rows = cohorts["rows"]
    assert (cohorts["period"], cohorts["start"], cohorts["measure"]) == ("month", "first_subscription", "subscribed")
    assert all(len(r["logo"]) == 7 for r in rows)
    assert [r["cohort"] for r in rows] == sorted(r["cohort"] for r in rows)
    assert all(0.0 <= x <= 1.0 for r in rows for x in r["logo"] if x is not None)
    assert rows[-1]["logo"] == [None] * 7  # July 2024 is not over on July 18


@pytest.mark.parametrize("periods", [12, 3])
def test_retention_cohorts_equal_duckdb(sim, files, periods):
    """Logo, gross and net revenue retention of the monthly subscribed cohorts, in SQL from the
    subscriptions file."""
    cohorts = custfit.retention_cohorts(sim.dataset, sim.end, {"periods": periods})
    con = duck(files)
    assert con.execute("SELECT DISTINCT currency FROM subscriptions").fetchall() == [("USD",)]  # cents
    as_of = sim.end.astimezone(timezone.utc).replace(tzinfo=None)
    cells = con.execute(COHORT_SQL, {"as_of": as_of, "periods": periods}).fetchall()
    expected: dict[datetime, dict] = {}
    for cohort, k, over, accounts, starting, logo, capped, total in cells:
        row = expected.setdefault(cohort.replace(tzinfo=timezone.utc), {"accounts": accounts, "starting_mrr": starting})
        assert k == len(row.setdefault("logo", [])) and row["accounts"] == accounts
        row["logo"].append(logo if over else None)
        row.setdefault("gross_revenue", []).append(capped / starting if over and starting > 0 else None)
        row.setdefault("net_revenue", []).append(total / starting if over and starting > 0 else None)
    got = {utc(r.pop("cohort")): r for r in cohorts["rows"]}
    assert list(got) == list(expected)
    (subscribed,) = con.execute("SELECT count(DISTINCT account_id) FROM subscriptions WHERE status <> 'trial'").fetchone()
    assert len(got) > 12 and sum(r["accounts"] for r in got.values()) == subscribed
    for cohort, want in expected.items():
        have = got[cohort]
        assert have["accounts"] == want["accounts"], cohort
        assert have["starting_mrr"] == pytest.approx(want["starting_mrr"], rel=1e-12), cohort
        for key in ("logo", "gross_revenue", "net_revenue"):
            assert [x is None for x in have[key]] == [x is None for x in want[key]], (cohort, key)
            assert [x for x in have[key] if x is not None] == pytest.approx([x for x in want[key] if x is not None], rel=1e-12)
    # Something was lost, somewhere: the check is not only of ones.
    assert any(x is not None and x < 1 for r in got.values() for x in r["logo"])
    assert any(x is not None and x > 1 for r in got.values() for x in r["net_revenue"]) or any(
        x is not None and x < 1 for r in got.values() for x in r["gross_revenue"]
    )


def test_buckets_as_columns_a_play_triggers_on(sim, growth):
    # ANCHOR: columns
    growth = custfit.growth_accounting(sim.dataset, sim.end)
    frame = sim.dataset.snapshot(sim.end).with_columns(growth, "lifecycle")  # lifecycle, lifecycle_first_active
    book = custfit.Playbook(
        {
            "name": "win back",
            "plays": [
                {
                    "id": "dormant_paying",
                    "cohort": "mrr > 0",
                    "trigger": {"type": "condition", "when": 'lifecycle == "dormant"'},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "email", "payload": {"template": "we-miss-you"}},
                }
            ],
        }
    )
    run, state = custfit.run_playbook(book, frame)
    # ANCHOR_END: columns
    assert frame.schema["lifecycle"] == "str" and frame.schema["lifecycle_first_active"] == "timestamp"
    table = frame.to_dict()
    bucket = dict(zip(growth.account_ids, growth.buckets))
    assert [bucket[a] for a in table["account_id"]] == table["lifecycle"]
    dormant_paying = {a for a, b, m in zip(table["account_id"], table["lifecycle"], table["mrr"]) if b == "dormant" and m}
    assert dormant_paying
    assert {a["account_id"] for a in run["fired"]} | {s["account_id"] for s in run["skipped"]} == dormant_paying
    assert all(a["reasons"]["lifecycle"] == "dormant" for a in run["fired"])
    # The default name, and the same columns as an Arrow table.
    assert {"lifecycle", "lifecycle_first_active"} <= set(sim.dataset.snapshot(sim.end).with_columns(growth).column_names)
    arrow = custfit.to_arrow(growth, "phase")
    assert arrow.column_names == ["account_id", "phase", "phase_first_active"]
    assert arrow.column("phase").to_pylist() == growth.buckets


def test_weeks_days_and_from(sim, growth):
    weekly = custfit.growth_accounting(sim.dataset, sim.end, {"period": "week"})
    assert weekly.period == "week"
    starts = [utc(p["start"]) for p in weekly.periods]
    assert all(s.weekday() == 0 for s in starts) and all(b - a == timedelta(weeks=1) for a, b in zip(starts, starts[1:]))
    assert utc(weekly.periods[-1]["end"]) > sim.end >= starts[-1]
    daily = custfit.growth_accounting(sim.dataset, sim.end, '{"period": "day"}')
    assert len(daily.periods) == 200
    # Over any period kind, the accounts ever active are the same.
    ever = sum(b is not None for b in growth.buckets)
    assert [sum(b is not None for b in g.buckets) for g in (weekly, daily)] == [ever, ever]
    # `from` drops earlier periods but not what they tell: nobody is new again.
    later = custfit.growth_accounting(sim.dataset, sim.end, {"from": datetime(2024, 4, 10, tzinfo=timezone.utc)})
    assert later.periods == growth.periods[3:]
    assert later.buckets == growth.buckets
    # Activity rules are the config's: with only logins and onboarding counting, fewer accounts are active.
    logins = {"activity": {"non_activity_events": [*NON_ACTIVITY, "feature_used", "page_view"]}}
    narrow = custfit.growth_accounting(sim.dataset, sim.end, logins)
    assert all(n["active"] <= p["active"] for n, p in zip(narrow.periods, growth.periods))


def test_results_and_configs_round_trip(sim, growth):
    doc = growth.to_dict()
    assert json.loads(growth.to_json()) == doc
    assert set(doc) == {"period", "as_of", "periods", "account_ids", "buckets", "first_active"}
    assert doc["periods"] == growth.periods and doc["buckets"] == growth.buckets
    assert doc["as_of"] == "2024-07-18T23:59:59Z"
    assert repr(growth) == 'GrowthAccounting(period="month", as_of=2024-07-18T23:59:59Z, periods=7, accounts=300)'
    # The defaults are the documents' defaults; JSON text reads as the dict does.
    assert custfit.growth_accounting(sim.dataset, sim.end, {"version": 1}).to_dict() == doc
    assert custfit.growth_accounting(sim.dataset, sim.end, None).to_dict() == doc
    default = custfit.retention_cohorts(sim.dataset, sim.end)
    assert custfit.retention_cohorts(sim.dataset, sim.end, '{"version": 1, "periods": 12}') == default
    assert custfit.retention_cohorts(sim.dataset, sim.end.isoformat(), {}) == default
    # Cohorts by first activity, measured by activity.
    active = custfit.retention_cohorts(sim.dataset, sim.end, {"start": "first_activity", "measure": "active", "periods": 3})
    assert (active["start"], active["measure"]) == ("first_activity", "active")
    assert sum(r["accounts"] for r in active["rows"]) == sum(b is not None for b in growth.buckets)
    assert all(r["logo"][0] == 1.0 for r in active["rows"] if r["logo"][0] is not None)


def test_bad_configs_and_arguments(sim):
    ds, end = sim.dataset, sim.end
    bad = [
        (custfit.growth_accounting, {"version": 9}, "unsupported_version", custfit.UnsupportedVersionError),
        (custfit.retention_cohorts, {"version": 9}, "unsupported_version", custfit.UnsupportedVersionError),
        (custfit.retention_cohorts, {"periods": 241}, "invalid_config", custfit.InvalidInputError),
        (custfit.growth_accounting, {"from": end + timedelta(days=1)}, "invalid_config", custfit.InvalidInputError),
        (custfit.growth_accounting, {"period": "year"}, "parse_error", custfit.ParseError),
        (custfit.retention_cohorts, {"measure": "happy"}, "parse_error", custfit.ParseError),
        (custfit.growth_accounting, {"periods": 3}, "parse_error", custfit.ParseError),  # a cohort field
        (custfit.growth_accounting, "{", "parse_error", custfit.ParseError),
        (custfit.growth_accounting, {"period": "day", "from": "1990-01-01"}, "invalid_config", custfit.InvalidInputError),
        (custfit.retention_cohorts, 5, "invalid_argument", custfit.InvalidInputError),
    ]
    for call, config, code, cls in bad:
        with pytest.raises(cls) as e:
            call(ds, end, config)
        assert e.value.code == code, (call.__name__, config, e.value)
    with pytest.raises(custfit.InvalidInputError, match="`from`") as e:
        custfit.growth_accounting(ds, end, {"from": end + timedelta(days=1)})
    with pytest.raises(custfit.InvalidInputError, match="`periods`"):
        custfit.retention_cohorts(ds, end, {"periods": 241})
    with pytest.raises(custfit.InvalidInputError, match="`config`"):
        custfit.growth_accounting(ds, end, [1])
    with pytest.raises(custfit.CustfitError) as e:
        custfit.growth_accounting(ds, "never")
    assert e.value.code == "invalid_timestamp"
    with pytest.raises(TypeError):
        custfit.growth_accounting(sim.dataset.snapshot(end), end)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        custfit.GrowthAccounting()  # type: ignore[call-arg]
    # An empty dataset has nothing to report but is not an error.
    empty = custfit.growth_accounting(custfit.Dataset(), end)
    assert len(empty.periods) == 1 and empty.periods[0]["active"] == 0 and empty.buckets == []
    assert custfit.retention_cohorts(custfit.Dataset(), end)["rows"] == []


# ------------------------------------------------------------------- engagement moments, phases


@pytest.fixture(scope="module")
def journeys() -> custfit.Simulation:
    # The base of the guide's Rust snippet; bindings-node/__test__/lifecycle.test.mjs uses it too.
    return custfit.simulate(accounts=400, days=180, activity_scale=0.3)


def onboarding(sim: custfit.Simulation) -> dict:
    """The simulator's onboarding as moments (kickoff, training done, first value: each some days
    after the one before) and a CSM check-in every 30 days."""

    def step(name: str, value: str, days: int, **more: object) -> dict:
        rule = {"property": "step", "in": [value]}
        return {"name": name, "event": "onboarding_step", "filter": rule, "expected": {"amount": days, "unit": "days"}, **more}

    return {
        "version": 1,
        "from": sim.start,
        "moments": [
            step("kickoff", "kickoff", 7),
            step("training", "training_done", 14, after="previous", owner_role="onboarding"),
            step("first_value", "first_value", 30, tolerance={"amount": 14, "unit": "days"}),
        ],
        "cadences": [{"name": "check_in", "event": "touch", "every": {"amount": 30, "unit": "days"}}],
    }


# Figures of the base above; bindings-node/__test__/lifecycle.test.mjs asserts the same ones.
MOMENT_FIGURES = {
    "journeys": 115,
    "done": [114, 91, 77],
    "stuck": [0, 14, 16],
    "median_days": [2.809728009259259, 9.0, 20.83798611111111],
    "stuck_accounts": 17,
}


def test_engagement_moments(journeys):
    # ANCHOR: moments
    sim = custfit.simulate(accounts=400, days=180, activity_scale=0.3)

    def step(name, value, days, **more):  # a moment marked by an onboarding_step event
        rule = {"property": "step", "in": [value]}
        return {"name": name, "event": "onboarding_step", "filter": rule, "expected": {"amount": days, "unit": "days"}, **more}

    config = {
        "from": sim.start,  # only journeys that started within the data
        "moments": [
            step("kickoff", "kickoff", 7),
            step("training", "training_done", 14, after="previous", owner_role="onboarding"),
            step("first_value", "first_value", 30, tolerance={"amount": 14, "unit": "days"}),
        ],
        "cadences": [{"name": "check_in", "event": "touch", "every": {"amount": 30, "unit": "days"}}],
    }
    moments = custfit.engagement_moments(sim.dataset, sim.end, config)
    for m in moments.summary:  # where the time goes, where accounts get stuck
        print(m["name"], m["done"], "of", m["reached"], "done, median", round(m["median_days"], 1), "days,", m["stuck"], "stuck")
    # kickoff 114 of 115 done, median 2.8 days, 0 stuck
    # training 91 of 114 done, median 9.0 days, 14 stuck
    # first_value 77 of 115 done, median 20.8 days, 16 stuck
    # ANCHOR_END: moments
    assert moments.to_dict() == custfit.engagement_moments(journeys.dataset, journeys.end, onboarding(journeys)).to_dict()
    assert moments.moments == ["kickoff", "training", "first_value"] and moments.cadences == ["check_in"]
    assert moments.as_of == sim.end
    # Only accounts created within the simulated period are on a journey.
    created = {a["id"]: a["created_at"] for a in sim.dataset.accounts()}
    new = [a for a, t in created.items() if utc(t) >= sim.start]
    assert [j["account_id"] for j in moments.journeys] == new
    # Every moment happened when the simulator made it happen; first value takes about 20 days.
    truth = {a["id"]: t for a, t in zip(sim.dataset.accounts(), sim.truth)}
    for j in moments.journeys:
        t = truth[j["account_id"]]
        assert [p["at"] for p in j["moments"]] == [t["kickoff_at"], t["training_done_at"], t["first_value_at"]]
    kickoff, training, first_value = moments.summary
    assert 15.0 <= first_value["median_days"] <= 25.0
    assert first_value["p90_days"] > first_value["p75_days"] >= first_value["median_days"]
    # The accounts the simulator makes stuck never train, or train and never reach value: stuck on
    # the moment they wait for once it is overdue past its tolerance.
    old = [j for j in moments.journeys if (sim.end - utc(j["start"])).days >= 60]
    stuck = [j for j in old if truth[j["account_id"]]["onboarding_stuck"]]
    assert len(stuck) > 3
    for j in stuck:
        waiting = "training" if truth[j["account_id"]]["training_done_at"] is None else "first_value"
        assert j["stuck"] and j["current"] == waiting and j["moments"][moments.moments.index(waiting)]["status"] == "stuck", j
        assert j["time_to_first_value_days"] is None
    assert training["stuck"] > 0 and first_value["stuck"] > 0 and training["on_time_share"] < 1.0
    for j in moments.journeys:
        done = [p["status"] == "done" for p in j["moments"]]
        assert j["current"] == (None if all(done) else moments.moments[done.index(False)])
        assert j["stuck"] == any(p["status"] == "stuck" for p in j["moments"])
        assert (j["time_to_first_value_days"] is None) == (j["moments"][2]["at"] is None)
    # The figures Node checks on the same base.
    figures = {
        "journeys": len(moments.journeys),
        "done": [m["done"] for m in moments.summary],
        "stuck": [m["stuck"] for m in moments.summary],
        "median_days": [m["median_days"] for m in moments.summary],
        "stuck_accounts": sum(j["stuck"] for j in moments.journeys),
    }
    assert figures == MOMENT_FIGURES


def test_condition_moments(journeys):
    sim = journeys
    # ANCHOR: moments_condition
    config = {
        "from": sim.start,
        "moments": [
            {
                "name": "first_value",
                "event": "onboarding_step",
                "filter": {"property": "step", "in": ["first_value"]},
                "expected": {"amount": 30, "unit": "days"},
            },
            # Adopted: three active days in a week — a condition over snapshot columns, checked weekly.
            {
                "name": "adopted",
                "condition": "active_days_7d >= 3",
                "after": "previous",
                "expected": {"amount": 14, "unit": "days"},
            },
        ],
        "checks": {"every": {"amount": 7, "unit": "days"}},  # and "snapshot": a snapshot config
    }
    moments = custfit.engagement_moments(sim.dataset, sim.end, config)
    adopted = moments.summary[1]
    median = round(adopted["median_days"], 1)
    print(adopted["done"], "of", adopted["reached"], "adopted; median", median, "days after first value")
    # 70 of 77 adopted; median 4.5 days after first value
    # ANCHOR_END: moments_condition
    assert (adopted["done"], adopted["reached"]) == (70, 77)
    # Checked independently: the weekly grid from the midnight of the first journey's day; an
    # account adopted at the first check at or after its first value where its snapshot holds it.
    first = min(utc(j["start"]) for j in moments.journeys).replace(hour=0, minute=0, second=0)
    grid = [first + timedelta(days=7 * k) for k in range(60) if first + timedelta(days=7 * k) < sim.end] + [sim.end]
    active = {t: dict(zip(s.account_ids, s.column("active_days_7d"))) for t in grid for s in [sim.dataset.snapshot(t)]}
    for j in moments.journeys:
        value, done = j["moments"]
        if value["at"] is None:
            assert done["status"] == "waiting"
            continue
        hits = [t for t in grid if t >= utc(value["at"]) and (active[t].get(j["account_id"]) or 0) >= 3]
        assert utc(done["at"]) == hits[0] if hits else done["at"] is None, j


def test_moments_as_columns_a_play_triggers_on(journeys):
    sim = journeys
    moments = custfit.engagement_moments(sim.dataset, sim.end, onboarding(sim))
    frame = sim.dataset.snapshot(sim.end).with_columns(moments, "onboarding")
    book = custfit.Playbook(
        {
            "name": "onboarding rescue",
            "plays": [
                {
                    "id": "stuck",
                    "trigger": {"type": "condition", "when": 'onboarding_stuck && onboarding_current == "training"'},
                    "firing": {"type": "edge"},
                    "tactic": {"kind": "task", "payload": {"owner": "onboarding"}},
                }
            ],
        }
    )
    run, _ = custfit.run_playbook(book, frame)
    types = frame.schema
    expected = {
        "onboarding_current": "str",
        "onboarding_status": "str",
        "onboarding_overdue_days": "float",
        "onboarding_stuck": "bool",
        "onboarding_ttfv_days": "float",
        "onboarding_check_in_next_due": "timestamp",
        "onboarding_check_in_overdue": "bool",
        "onboarding_kickoff": "str",
        "onboarding_training": "str",
        "onboarding_first_value": "str",
    }
    assert {k: types[k] for k in expected} == expected
    table = frame.to_dict()
    journey = {j["account_id"]: j for j in moments.journeys}
    # Accounts not on a journey have no value.
    assert [journey[a]["stuck"] if a in journey else None for a in table["account_id"]] == table["onboarding_stuck"]
    assert [journey[a]["current"] if a in journey else None for a in table["account_id"]] == table["onboarding_current"]
    on_training = {j["account_id"] for j in moments.journeys if j["stuck"] and j["current"] == "training"}
    assert on_training
    assert {a["account_id"] for a in run["fired"]} | {s["account_id"] for s in run["skipped"]} == on_training
    # The default name, and the same columns as an Arrow table.
    assert "moments_stuck" in sim.dataset.snapshot(sim.end).with_columns(moments).column_names
    arrow = custfit.to_arrow(moments)
    heads = ("current", "status", "overdue_days", "stuck", "ttfv_days")
    assert arrow.column_names[:6] == ["account_id", *(f"moments_{c}" for c in heads)]
    assert arrow.column("account_id").to_pylist() == [j["account_id"] for j in moments.journeys]


def test_moments_round_trip(journeys):
    sim = journeys
    moments = custfit.engagement_moments(sim.dataset, sim.end, onboarding(sim))
    doc = moments.to_dict()
    assert set(doc) == {"as_of", "moments", "cadences", "journeys", "summary"}
    assert json.loads(moments.to_json()) == doc
    assert doc["journeys"] == moments.journeys and doc["summary"] == moments.summary
    assert repr(moments) == (
        f'EngagementMoments(as_of={doc["as_of"]}, moments=["kickoff", "training", "first_value"], '
        f'cadences=["check_in"], journeys={len(doc["journeys"])})'
    )
    # JSON text reads as the dict does (instants as text).
    text = json.dumps({**onboarding(sim), "from": sim.start.isoformat()})
    assert custfit.engagement_moments(sim.dataset, sim.end.isoformat(), text).to_dict() == doc


def test_phase_history(journeys):
    sim = journeys
    # ANCHOR: phases
    phases = {
        "segments": [  # first match wins: an account is in one phase at a time
            {"name": "onboarding", "condition": "tenure_days < 45"},
            {"name": "renewal", "condition": "days_to_renewal <= 60"},
            {"name": "adoption", "condition": "active_days_30d < 12"},
            {"name": "expansion", "condition": "true"},
        ]
    }
    dates = [sim.start + timedelta(days=60 + 14 * k) for k in range(8)]
    history = custfit.phase_history(sim.dataset, dates, phases)
    for t in [t for t in history["transitions"] if t["from"]][:3]:
        print(t["account_id"], "moved from", t["from"], "to", t["to"], "on", t["at"][:10])
    # acc-000009 moved from onboarding to renewal on 2024-03-15
    # acc-000012 moved from renewal to expansion on 2024-03-15
    # acc-000024 moved from renewal to adoption on 2024-03-15
    # ANCHOR_END: phases
    assert set(history) == {"dates", "account_ids", "current", "transitions"}
    assert [utc(d) for d in history["dates"]] == dates
    assert history["account_ids"] == [a["id"] for a in sim.dataset.accounts()]
    transitions = history["transitions"]
    assert all(t["from"] != t["to"] for t in transitions)
    assert [utc(t["at"]) for t in transitions] == sorted(utc(t["at"]) for t in transitions)
    assert any(t["from"] == "onboarding" for t in transitions) and any(t["from"] is None for t in transitions)
    # Each account's current phase is the segmentation of the last date's snapshot, and its
    # transitions chain from None to it.
    snapshot = sim.dataset.snapshot(dates[-1])
    last = custfit.segment_rules(snapshot, phases)
    phase = dict(zip(snapshot.to_dict()["account_id"], last["label"]))  # (not yet created: no phase)
    assert history["current"] == [phase.get(a) for a in history["account_ids"]]
    assert len(phase) < len(history["account_ids"])
    chain: dict[str, str | None] = {}
    for t in transitions:
        assert chain.get(t["account_id"]) == t["from"]
        chain[t["account_id"]] = t["to"]
    assert {a: chain.get(a) for a in history["account_ids"]} == dict(zip(history["account_ids"], history["current"]))
    # The figures Node checks on the same base.
    assert (len(transitions), sum(t["from"] is not None for t in transitions)) == PHASE_FIGURES["transitions"]
    current = {p: history["current"].count(p) for p in ("onboarding", "renewal", "adoption", "expansion")}
    assert current == PHASE_FIGURES["current"]
    # A snapshot config is the phases' metrics; JSON text reads as the dict does.
    again = custfit.phase_history(sim.dataset, [d.isoformat() for d in dates], json.dumps(phases), {"version": 1})
    assert again == history


# Figures of the phase history above; lifecycle.test.mjs asserts the same ones.
PHASE_FIGURES = {"transitions": (583, 200), "current": {"onboarding": 28, "renewal": 189, "adoption": 94, "expansion": 72}}


def test_bad_moments_and_phases(journeys):
    sim = journeys
    ds, end = sim.dataset, sim.end
    config = onboarding(sim)
    phases = {"segments": [{"name": "new", "condition": "tenure_days < 45"}, {"name": "rest", "condition": "true"}]}
    dates = [end - timedelta(days=30), end]
    with pytest.raises(custfit.UnsupportedVersionError) as e:
        custfit.engagement_moments(ds, end, {**config, "version": 9})
    assert e.value.code == "unsupported_version"
    bad_name = {**config, "moments": [{**config["moments"][0], "name": "a b"}]}
    with pytest.raises(custfit.InvalidInputError, match=r"moments\[0\]\.name") as e:
        custfit.engagement_moments(ds, end, bad_name)
    assert e.value.code == "invalid_config"
    bad = [
        ({**config, "moments": []}, "invalid_config", "`moments`"),
        ({**config, "first_value": "zz"}, "invalid_config", "`first_value`"),
        ({**config, "moments": [{**config["moments"][1]}]}, "invalid_config", "moments[0].after"),
        ({**config, "cadences": [{**config["cadences"][0], "name": "kickoff"}]}, "invalid_config", "cadences[0].name"),
        ({**config, "start": "signup"}, "parse_error", "signup"),
        ({**config, "stages": []}, "parse_error", "stages"),
        ("{", "parse_error", ""),
        (5, "invalid_argument", "`config`"),
    ]
    for doc, code, names in bad:
        with pytest.raises(custfit.CustfitError) as e:
            custfit.engagement_moments(ds, end, doc)
        assert e.value.code == code and names in str(e.value), (doc, e.value)
    with pytest.raises(custfit.InvalidInputError, match="`dates`") as e:
        custfit.phase_history(ds, dates[::-1], phases)
    assert e.value.code == "invalid_argument"
    for wrong in ([], [end, end], "2024-01-01", 5):
        with pytest.raises(custfit.InvalidInputError, match="`dates`") as e:
            custfit.phase_history(ds, wrong, phases)
        assert e.value.code == "invalid_argument"
    with pytest.raises(custfit.InvalidInputError, match="`mode`") as e:
        custfit.phase_history(ds, dates, {**phases, "mode": "multi_label"})
    assert e.value.code == "invalid_config"
    with pytest.raises(custfit.CustfitError) as e:
        custfit.phase_history(ds, dates, {"segments": [{"name": "x", "condition": "no_such_metric > 1"}]})
    assert e.value.code == "unknown_name"
    with pytest.raises(custfit.InvalidInputError, match="`phases`"):
        custfit.phase_history(ds, dates, [1])
    with pytest.raises(custfit.CustfitError) as e:
        custfit.engagement_moments(ds, "never", config)
    assert e.value.code == "invalid_timestamp"
    with pytest.raises(TypeError):
        custfit.engagement_moments(ds, end)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        custfit.phase_history(ds.snapshot(end), dates, phases)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        custfit.EngagementMoments()  # type: ignore[call-arg]
    # An empty dataset has no journeys and no phases, but is not an error.
    empty = custfit.engagement_moments(custfit.Dataset(), end, config)
    assert empty.journeys == [] and [m["reached"] for m in empty.summary] == [0, 0, 0]
    assert custfit.phase_history(custfit.Dataset(), dates, phases)["transitions"] == []
