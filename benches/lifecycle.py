"""polars and DuckDB peers of `lifecycle`: the same growth accounting (by month and by ISO week)
and monthly retention cohorts (by first subscription, still subscribed, with gross and net
revenue; by first activity, active) on the tables `target/release/lifecycle` wrote, each value
checked against custfit's. custfit runs through the Python binding on the same base (the
simulator is seeded), interleaved with the peers in one process: five rounds of each in turn,
medians; the Rust binary's own timing is shown beside. Loading is timed for no one (custfit's
Dataset and the peers' frames are built before the rounds).

    cargo run --release -p custfit-benches --bin lifecycle
    .venv/bin/python benches/lifecycle.py
"""

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

DIR = Path("/tmp/custfit_lifecycle_bench")
PERIODS = 12


def frame(cursor):
    """The result as a polars frame through Arrow (DuckDB 2 renamed fetch_arrow_table)."""
    fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
    return pl.from_arrow(fetch())


def interleaved(runs):
    """Five rounds of every run in turn; each run's median time and last output."""
    times = {k: [] for k in runs}
    out = {}
    for _ in range(5):
        for name, fn in runs.items():
            t = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {k: sorted(v)[2] for k, v in times.items()}, out


def load():
    raw = np.fromfile(DIR / "events.bin", dtype=np.dtype([("account", "<u4"), ("ts", "<i8"), ("act", "u1")]))
    ev = pl.DataFrame({"account": raw["account"], "ts": raw["ts"], "act": raw["act"].astype(bool)})
    subs = pl.DataFrame(json.loads((DIR / "subscriptions.json").read_text()))
    ref = json.loads((DIR / "custfit.json").read_text())
    return ev, subs, ref


def growth_polars(ev, as_of, every):
    active = (
        ev.lazy()
        .filter(pl.col("act") & (pl.col("ts") <= as_of))
        .select("account", period=pl.from_epoch("ts", time_unit="ms").dt.truncate(every))
        .unique()
        .sort("account", "period")
        .with_columns(prev=pl.col("period").shift(1).over("account"))
        .with_columns(
            step=pl.col("period").dt.offset_by("-" + every),
        )
        .with_columns(
            kind=pl.when(pl.col("prev").is_null())
            .then(pl.lit("new"))
            .when(pl.col("prev") == pl.col("step"))
            .then(pl.lit("returning"))
            .otherwise(pl.lit("resurrecting"))
        )
        .collect()
    )
    counts = active.group_by("period", "kind").len().pivot(on="kind", index="period", values="len").fill_null(0).sort("period")
    for k in ("new", "returning", "resurrecting"):
        if k not in counts.columns:
            counts = counts.with_columns(pl.lit(0, dtype=pl.UInt32).alias(k))
    counts = counts.with_columns(
        active=pl.col("new") + pl.col("returning") + pl.col("resurrecting"),
        started_before=pl.col("new").cum_sum() - pl.col("new"),
    ).with_columns(
        dormant=pl.col("started_before") - pl.col("returning") - pl.col("resurrecting"),
        churned=pl.col("active").shift(1).fill_null(0) - pl.col("returning"),
    )
    return counts


def growth_duckdb(con, as_of, unit):
    return frame(con.execute(
        f"""
        WITH p AS (
          SELECT DISTINCT account, date_trunc('{unit}', make_timestamp(ts * 1000)) AS period
          FROM ev WHERE act AND ts <= ?
        ), k AS (
          SELECT period,
                 CASE WHEN lag(period) OVER w IS NULL THEN 'new'
                      WHEN lag(period) OVER w = period - INTERVAL 1 {unit} THEN 'returning'
                      ELSE 'resurrecting' END AS kind
          FROM p WINDOW w AS (PARTITION BY account ORDER BY period)
        ), c AS (
          SELECT period,
                 count(*) FILTER (WHERE kind = 'new') AS new,
                 count(*) FILTER (WHERE kind = 'returning') AS "returning",
                 count(*) FILTER (WHERE kind = 'resurrecting') AS resurrecting,
                 count(*) AS active
          FROM k GROUP BY period
        )
        SELECT period, new, "returning", resurrecting, active,
               sum(new) OVER (ORDER BY period) - new - "returning" - resurrecting AS dormant,
               coalesce(lag(active) OVER (ORDER BY period), 0) - "returning" AS churned
        FROM c ORDER BY period
        """,
        [as_of],
    ))


def month_ends(as_of):
    """The end (exclusive, ms) of every month from 1990 to as_of's month."""
    d = datetime.fromtimestamp(as_of / 1000, tz=UTC)
    out = {}
    y, m = 1990, 1
    while (y, m) <= (d.year, d.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out[(y, m)] = int(datetime(ny, nm, 1, tzinfo=UTC).timestamp() * 1000)
        y, m = ny, nm
    return out


def cohorts_subscribed_duckdb(con, as_of):
    return frame(con.execute(
        f"""
        WITH starts AS (
          SELECT account, date_trunc('month', make_timestamp(min(start) * 1000)) AS cohort
          FROM subs WHERE NOT trial GROUP BY account HAVING min(start) <= ?
        ), cells AS (
          SELECT s.account, s.cohort, k,
                 epoch_ms(s.cohort + to_months(k + 1)) AS end_ms
          FROM starts s, range(0, {PERIODS + 1}) t(k)
        ), mrr AS (
          SELECT c.account, c.cohort, c.k, c.end_ms,
                 coalesce(sum(x.mrr), 0) AS mrr, count(x.account) > 0 AS subscribed
          FROM cells c LEFT JOIN subs x
            ON x.account = c.account AND NOT x.trial AND x.start <= c.end_ms - 1
               AND (x."end" IS NULL OR c.end_ms - 1 < x."end")
          GROUP BY ALL
        ), base AS (
          SELECT account, mrr AS mrr0 FROM mrr WHERE k = 0
        )
        SELECT m.cohort, m.k, count(*) AS accounts, avg(m.subscribed::INT) AS logo,
               sum(least(m.mrr, b.mrr0)) / nullif(sum(b.mrr0), 0) AS gross,
               sum(m.mrr) / nullif(sum(b.mrr0), 0) AS net
        FROM mrr m JOIN base b USING (account)
        WHERE m.end_ms <= ?
        GROUP BY m.cohort, m.k ORDER BY m.cohort, m.k
        """,
        [as_of, as_of],
    ))


def cohorts_active_polars(ev, as_of):
    act = (
        ev.lazy()
        .filter(pl.col("act") & (pl.col("ts") <= as_of))
        .select("account", month=pl.from_epoch("ts", time_unit="ms").dt.truncate("1mo"))
        .unique()
        .with_columns(cohort=pl.col("month").min().over("account"))
        .with_columns(k=(pl.col("month").dt.year() - pl.col("cohort").dt.year()) * 12 + pl.col("month").dt.month() - pl.col("cohort").dt.month())
        .filter(pl.col("k") <= PERIODS)
        .collect()
    )
    size = act.filter(pl.col("k") == 0).group_by("cohort").len().rename({"len": "accounts"})
    return act.group_by("cohort", "k").len().join(size, on="cohort").with_columns(logo=pl.col("len") / pl.col("accounts")).sort("cohort", "k")


def check(name, ok):
    print(f"  {name}: {'equal' if ok else 'DIFFERENT'}")
    if not ok:
        sys.exit(f"{name} differs from custfit")


def main():
    ev, subs, ref = load()
    as_of = ref["as_of"]
    print(f"{ref['accounts']} accounts, {ref['events']} events")
    # custfit through the Python binding, on the same simulated base (the simulator is seeded).
    import custfit

    sim = custfit.simulate(accounts=ref["accounts"], days=ref["days"], activity_scale=ref["activity_scale"])
    assert sim.dataset.event_count == ref["events"]
    ds, end = sim.dataset, sim.end
    con = duckdb.connect()
    con.register("ev", ev.to_arrow())
    con.register("subs", subs.with_columns(pl.col("account").cast(pl.Int64)).to_arrow())
    rows = []
    for label, every, unit in (("month", "1mo", "month"), ("week", "1w", "week")):
        med, out = interleaved(
            {
                "custfit": lambda label=label: custfit.growth_accounting(ds, end, {"period": label}),
                "polars": lambda every=every: growth_polars(ev, as_of, every),
                "duckdb": lambda unit=unit: growth_duckdb(con, as_of, unit),
            }
        )
        c_s, p_s, d_s, p, d = med["custfit"], med["polars"], med["duckdb"], out["polars"], out["duckdb"]
        check(f"growth by {label}, custfit through the binding", out["custfit"].periods == ref[label])
        ours = ref[label]
        for theirs, who in ((p, "polars"), (d, "duckdb")):
            got = [tuple(int(r[k]) for k in ("new", "returning", "resurrecting", "dormant", "churned")) for r in theirs.iter_rows(named=True)]
            want = [(r["new"], r["returning"], r["resurrecting"], r["dormant"], r["churned"]) for r in ours]
            check(f"growth by {label}, {who}", got == want)
        rows.append((f"growth by {label}", c_s, ref["seconds"][label], p_s, d_s))
    # Cohorts, subscribed: DuckDB (a range join is its strength); active: polars.
    subscribed = {"period": "month", "start": "first_subscription", "measure": "subscribed"}
    med, out = interleaved(
        {"custfit": lambda: custfit.retention_cohorts(ds, end, subscribed), "duckdb": lambda: cohorts_subscribed_duckdb(con, as_of)}
    )
    c_s, d_s, d = med["custfit"], med["duckdb"], out["duckdb"]
    check("cohorts subscribed, custfit through the binding", out["custfit"]["rows"] == ref["subscribed"])
    want = {}
    for r in ref["subscribed"]:
        c = r["cohort"]
        for k, logo in enumerate(r["logo"]):
            if logo is not None:
                want[(c, k)] = (r["accounts"], logo, r["gross_revenue"][k], r["net_revenue"][k])
    got = {}
    for r in d.iter_rows(named=True):
        c = r["cohort"].replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        got[(c, r["k"])] = (r["accounts"], r["logo"], r["gross"], r["net"])
    close = lambda a, b: (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)
    same = want.keys() == got.keys() and all(w[0] == got[k][0] and all(close(x, y) for x, y in zip(w[1:], got[k][1:])) for k, w in want.items())
    check("cohorts subscribed, duckdb", same)
    rows.append(("cohorts subscribed (gross, net)", c_s, ref["seconds"]["subscribed"], None, d_s))
    active = {"period": "month", "start": "first_activity", "measure": "active"}
    med, out = interleaved({"custfit": lambda: custfit.retention_cohorts(ds, end, active), "polars": lambda: cohorts_active_polars(ev, as_of)})
    c_s, p_s, p = med["custfit"], med["polars"], out["polars"]
    check("cohorts active, custfit through the binding", out["custfit"]["rows"] == ref["active"])
    want = {(r["cohort"], k): l for r in ref["active"] for k, l in enumerate(r["logo"]) if l is not None}
    got = {(r["cohort"].strftime("%Y-%m-%dT%H:%M:%SZ"), r["k"]): r["logo"] for r in p.iter_rows(named=True)}
    got = {k: v for k, v in got.items() if k in want}
    check("cohorts active, polars", all(abs(want[k] - got.get(k, 0.0)) < 1e-12 for k in want))
    rows.append(("cohorts active", c_s, ref["seconds"]["active"], p_s, None))
    print(f"\n{'':34} {'custfit':>9} {'(Rust)':>9} {'polars':>9} {'duckdb':>9}")
    for name, c, r, p_s, d_s in rows:
        fmt = lambda x: f"{x:9.3f}" if x is not None else f"{'-':>9}"
        print(f"{name:34} {c:9.3f} {r:9.3f} {fmt(p_s)} {fmt(d_s)}")


if __name__ == "__main__":
    main()
