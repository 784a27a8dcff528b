"""Foundation benchmark: custfit's snapshot against polars and DuckDB on the same data.

1. `target/release/foundation` simulates a customer base (default 100,000 accounts, ~10M events),
   times custfit's Dataset build and snapshot, and writes the tables and the snapshot as CSV.
2. This script loads the events into polars and DuckDB (load time excluded), computes the same
   metric set as of the same instant with each, checks every value agrees with custfit, times it,
   and times custfit's Python ingestion of the events as one pyarrow table.

Results are printed and written to benches/out/foundation.json. Ratios > 1 mean custfit is faster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benches" / "out"
DAY = 86_400_000
NON_ACTIVITY = ["support_ticket", "survey_response", "invoice_paid", "touch"]
PRICING = ["pricing", "billing", "plans", "upgrade", "cancel", "subscription"]


def duck_table(cursor):
    """The result as a polars frame through Arrow (DuckDB 2 renamed fetch_arrow_table)."""
    fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
    return pl.from_arrow(fetch())


def best_of(fn, repeat=5):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def polars_metrics(ev: pl.DataFrame, as_of: int) -> pl.DataFrame:
    known = ev.filter(pl.col("ts") <= as_of).with_columns(day=((as_of - pl.col("ts")) // DAY))
    act = ~pl.col("name").is_in(NON_ACTIVITY)
    recent = known.filter(pl.col("day") < 90)

    def uniq(expr, cond):
        return expr.filter(cond).n_unique()

    agg = recent.group_by("account_id").agg(
        active_days_7d=uniq(pl.col("day"), act & (pl.col("day") < 7)),
        active_days_30d=uniq(pl.col("day"), act & (pl.col("day") < 30)),
        active_days_90d=uniq(pl.col("day"), act),
        dau=pl.col("user_id").filter(act & (pl.col("day") < 1)).drop_nulls().n_unique(),
        wau=pl.col("user_id").filter(act & (pl.col("day") < 7)).drop_nulls().n_unique(),
        mau=pl.col("user_id").filter(act & (pl.col("day") < 30)).drop_nulls().n_unique(),
        logins_7d=((pl.col("name") == "login") & (pl.col("day") < 7)).sum(),
        logins_30d=((pl.col("name") == "login") & (pl.col("day") < 30)).sum(),
        events_7d=(act & (pl.col("day") < 7)).sum(),
        events_30d=(act & (pl.col("day") < 30)).sum(),
        features_used_30d=pl.col("feature").filter((pl.col("name") == "feature_used") & (pl.col("day") < 30)).drop_nulls().n_unique(),
        pricing_page_views_30d=((pl.col("name") == "page_view") & pl.col("page").is_in(PRICING) & (pl.col("day") < 30)).sum(),
        support_tickets_60d=((pl.col("name") == "support_ticket") & (pl.col("day") < 60)).sum(),
        csm_touches_30d=((pl.col("name") == "touch") & (pl.col("day") < 30)).sum(),
    )
    last = known.filter(act).group_by("account_id").agg(days_since_last_activity=(as_of - pl.col("ts").max()) // DAY)
    return agg.join(last, on="account_id", how="full", coalesce=True)


DUCK_SQL = """
WITH known AS (
  SELECT account_id, user_id, name, feature, page, ts, (? - ts) // 86400000 AS day,
         name NOT IN ('support_ticket','survey_response','invoice_paid','touch') AS act
  FROM ev WHERE ts <= ?
), agg AS (
  SELECT account_id,
    count(DISTINCT CASE WHEN act AND day < 7 THEN day END) AS active_days_7d,
    count(DISTINCT CASE WHEN act AND day < 30 THEN day END) AS active_days_30d,
    count(DISTINCT CASE WHEN act AND day < 90 THEN day END) AS active_days_90d,
    count(DISTINCT CASE WHEN act AND day < 1 THEN user_id END) AS dau,
    count(DISTINCT CASE WHEN act AND day < 7 THEN user_id END) AS wau,
    count(DISTINCT CASE WHEN act AND day < 30 THEN user_id END) AS mau,
    count(*) FILTER (WHERE name = 'login' AND day < 7) AS logins_7d,
    count(*) FILTER (WHERE name = 'login' AND day < 30) AS logins_30d,
    count(*) FILTER (WHERE act AND day < 7) AS events_7d,
    count(*) FILTER (WHERE act AND day < 30) AS events_30d,
    max(ts) FILTER (WHERE act) AS last_ts,
    count(DISTINCT CASE WHEN name = 'feature_used' AND day < 30 THEN feature END) AS features_used_30d,
    count(*) FILTER (WHERE name = 'page_view' AND day < 30
                     AND page IN ('pricing','billing','plans','upgrade','cancel','subscription')) AS pricing_page_views_30d,
    count(*) FILTER (WHERE name = 'support_ticket' AND day < 60) AS support_tickets_60d,
    count(*) FILTER (WHERE name = 'touch' AND day < 30) AS csm_touches_30d
  FROM known GROUP BY account_id
)
SELECT * EXCLUDE (last_ts), (? - last_ts) // 86400000 AS days_since_last_activity FROM agg
"""


def compare(name: str, theirs: pl.DataFrame, ours: pl.DataFrame, metrics: list[str]) -> int:
    joined = ours.join(theirs, on="account_id", how="left", suffix="_peer")
    mismatches = 0
    for m in metrics:
        peer = joined[f"{m}_peer"].cast(pl.Float64)
        if m != "days_since_last_activity":
            peer = peer.fill_null(0.0)
        mine = joined[m].cast(pl.Float64)
        # Both missing (an account never active) agree; one missing does not.
        bad = ((mine - peer).abs() > 1e-9).fill_null(False) | (mine.is_null() != peer.is_null())
        n = int(bad.sum())
        if n:
            print(f"  {name}: {m} differs on {n} accounts", file=sys.stderr)
        mismatches += n
    return mismatches


def main() -> None:
    accounts = os.environ.get("BENCH_ACCOUNTS", "100000")
    days = os.environ.get("BENCH_DAYS", "180")
    scale = os.environ.get("BENCH_SCALE", "0.025")
    exe = ROOT / "target" / "release" / "foundation"
    subprocess.run([str(exe), accounts, days, scale, str(OUT)], check=True)
    rust = json.loads((OUT / "rust.json").read_text())
    as_of = int(pl.Series([rust["as_of"]]).str.to_datetime(time_zone="UTC").dt.epoch("ms")[0])
    metrics = rust["metrics"]

    t = time.perf_counter()
    ev = pl.read_csv(OUT / "events.csv", infer_schema_length=0).with_columns(
        ts=pl.col("timestamp").str.to_datetime(time_zone="UTC").dt.epoch("ms"),
    )
    load_s = time.perf_counter() - t
    ours = pl.read_csv(OUT / "snapshot.csv", schema_overrides={"account_id": pl.Utf8})

    polars_s, pl_result = best_of(lambda: polars_metrics(ev, as_of))
    con = duckdb.connect()
    ev_arrow = ev.select("account_id", "user_id", "name", "feature", "page", "ts").to_arrow()
    con.register("ev", ev_arrow)
    duck_s, duck_result = best_of(lambda: duck_table(con.execute(DUCK_SQL, [as_of, as_of, as_of])))

    mism_polars = compare("polars", pl_result, ours, metrics)
    mism_duck = compare("duckdb", duck_result, ours, metrics)

    ingest = {}
    try:
        import custfit
    except ImportError as exc:  # the binding is optional for the peer comparison
        custfit = None
        ingest = {"python_arrow_ingest_error": repr(exc)}
    if custfit is not None:
        ds, _ = custfit.Dataset.from_files(
            accounts=str(OUT / "accounts.csv"), users=str(OUT / "users.csv"),
            subscriptions=str(OUT / "subscriptions.csv"), options={"allow_future": True},
        )
        table = ev.select("account_id", "user_id", "timestamp", "name", "feature", "page", "severity", "channel").with_columns(
            pl.col("timestamp").str.to_datetime(time_zone="UTC", time_unit="ms")
        ).to_arrow()
        t = time.perf_counter()
        rep = ds.add_events(table, options={"allow_future": True})
        ingest = {"python_arrow_ingest_s": time.perf_counter() - t, "rows": table.num_rows, "accepted": rep["accepted"]}

    result = {
        **rust,
        "polars_s": polars_s,
        "duckdb_s": duck_s,
        "polars_over_custfit": polars_s / rust["snapshot_s"],
        "duckdb_over_custfit": duck_s / rust["snapshot_s"],
        "value_mismatches": {"polars": mism_polars, "duckdb": mism_duck},
        "peer_csv_load_s": load_s,
        "threads": os.cpu_count(),
        "versions": {"polars": pl.__version__, "duckdb": duckdb.__version__, "pyarrow": pa.__version__},
        **ingest,
    }
    (OUT / "foundation.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(
        f"\nsnapshot of {rust['accounts']:,} accounts / {rust['events']:,} events: custfit {rust['snapshot_s']*1e3:.1f} ms, "
        f"polars {polars_s*1e3:.1f} ms ({result['polars_over_custfit']:.1f}x), duckdb {duck_s*1e3:.1f} ms "
        f"({result['duckdb_over_custfit']:.1f}x); {rust['bytes_per_event']:.1f} bytes/event; values agree: "
        f"{mism_polars == 0 and mism_duck == 0}"
    )
    if mism_polars or mism_duck:
        sys.exit(1)


if __name__ == "__main__":
    main()
