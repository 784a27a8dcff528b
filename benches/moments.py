"""polars and DuckDB peers of `moments`: the same engagement moments — each account's kickoff
(first kickoff event at or after its creation), training (first training event at or after the
kickoff), first value (first first-value event at or after the creation), their statuses
(on track, behind, stuck, waiting) and the per-moment summary (reached, done, median / p75 / p90
days, share on time, behind, stuck), and the check-in cadence's overdue flag — on the tables
`target/release/moments` wrote, each value checked against custfit's. custfit runs through the
Python binding on the same base (the simulator is seeded), interleaved with the peers in one
process: five rounds of custfit, polars, DuckDB; medians. Loading is timed for no one (custfit's
Dataset and the peers' frames are built before the rounds).

    cargo run --release -p custfit-benches --bin moments
    .venv/bin/python benches/moments.py
"""

import json
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

DIR = Path("/tmp/custfit_moments_bench")
DAY = 86_400_000
# (name, kind of event, anchor: "start" or the previous moment, expected days, tolerance days)
MOMENTS = [("kickoff", 0, "start", 7, 7), ("training", 1, "previous", 14, 7), ("first_value", 2, "start", 30, 14)]
CHECK_IN_EVERY = 30 * DAY


def median_time(fn):
    times, out = [], None
    for _ in range(5):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[2], out


def load():
    created = np.fromfile(DIR / "accounts.bin", dtype="<i8")
    raw = np.fromfile(DIR / "events.bin", dtype=np.dtype([("account", "<u4"), ("ts", "<i8"), ("kind", "u1")]))
    ev = pl.DataFrame({"account": raw["account"], "ts": raw["ts"], "kind": raw["kind"]})
    acc = pl.DataFrame({"account": np.arange(len(created), dtype=np.uint32), "start": created})
    ref = json.loads((DIR / "custfit.json").read_text())
    at = np.fromfile(DIR / "custfit_at.bin", dtype="<i8").reshape(-1, len(MOMENTS))
    return acc, ev, ref, at


def summarise(frame: pl.DataFrame, as_of: int) -> list[dict]:
    """The per-moment summary from per-account `{name}_anchor` / `{name}_at` columns."""
    out = []
    for name, _, _, expected, tolerance in MOMENTS:
        anchor, at = pl.col(f"{name}_anchor"), pl.col(f"{name}_at")
        due = anchor + expected * DAY
        taken = ((at - anchor) / DAY).alias("taken")
        s = frame.select(
            reached=anchor.is_not_null().sum(),
            done=at.is_not_null().sum(),
            median=taken.quantile(0.5, "linear"),
            p75=taken.quantile(0.75, "linear"),
            p90=taken.quantile(0.9, "linear"),
            judged=(at.is_not_null() | (anchor.is_not_null() & (due < as_of))).sum(),
            on_time=(at.is_not_null() & (at <= due)).sum(),
            behind=(anchor.is_not_null() & at.is_null() & (due < as_of) & (as_of <= due + tolerance * DAY)).sum(),
            stuck=(anchor.is_not_null() & at.is_null() & (as_of > due + tolerance * DAY)).sum(),
        ).row(0, named=True)
        out.append(s)
    return out


def moments_polars(acc: pl.DataFrame, ev: pl.DataFrame, as_of: int):
    lazy = ev.lazy().filter(pl.col("ts") <= as_of)

    def first_after(anchors: pl.LazyFrame, kind: int, name: str) -> pl.LazyFrame:
        return (
            lazy.filter(pl.col("kind") == kind)
            .join(anchors, on="account")
            .filter(pl.col("ts") >= pl.col("anchor"))
            .group_by("account")
            .agg(pl.col("ts").min().alias(f"{name}_at"))
        )

    starts = acc.lazy().rename({"start": "anchor"})
    frame = acc.lazy().filter(pl.col("start") <= as_of)
    previous = None
    for name, kind, after, _, _ in MOMENTS:
        anchor = pl.col("start") if after == "start" else pl.col(f"{previous}_at")
        frame = frame.with_columns(anchor.alias(f"{name}_anchor"))
        anchors = frame.select("account", pl.col(f"{name}_anchor").alias("anchor")).drop_nulls()
        frame = frame.join(first_after(anchors if after != "start" else starts, kind, name), on="account", how="left")
        previous = name
    last_touch = (
        lazy.filter(pl.col("kind") == 3)
        .join(acc.lazy(), on="account")
        .filter(pl.col("ts") >= pl.col("start"))
        .group_by("account")
        .agg(last=pl.col("ts").max())
    )
    frame = (
        frame.join(last_touch, on="account", how="left")
        .with_columns(overdue=(pl.coalesce("last", "start") + CHECK_IN_EVERY) < as_of)
        .sort("account")
        .collect()
    )
    return frame, summarise(frame, as_of)


DUCK_SQL = """
WITH e AS (SELECT * FROM ev WHERE ts <= $as_of),
j AS (SELECT account, start FROM acc WHERE start <= $as_of),
k AS (SELECT j.account, min(e.ts) AS at FROM j JOIN e ON e.account = j.account AND e.kind = 0 AND e.ts >= j.start
      GROUP BY j.account),
t AS (SELECT k.account, min(e.ts) AS at FROM k JOIN e ON e.account = k.account AND e.kind = 1 AND e.ts >= k.at
      GROUP BY k.account),
v AS (SELECT j.account, min(e.ts) AS at FROM j JOIN e ON e.account = j.account AND e.kind = 2 AND e.ts >= j.start
      GROUP BY j.account),
c AS (SELECT j.account, max(e.ts) AS last FROM j JOIN e ON e.account = j.account AND e.kind = 3 AND e.ts >= j.start
      GROUP BY j.account)
SELECT j.account, j.start AS kickoff_anchor, k.at AS kickoff_at, k.at AS training_anchor, t.at AS training_at,
       j.start AS first_value_anchor, v.at AS first_value_at,
       coalesce(c.last, j.start) + $every < $as_of AS overdue
FROM j LEFT JOIN k USING (account) LEFT JOIN t USING (account) LEFT JOIN v USING (account) LEFT JOIN c USING (account)
ORDER BY j.account
"""


def moments_duckdb(con, as_of: int):
    cursor = con.execute(DUCK_SQL, {"as_of": as_of, "every": CHECK_IN_EVERY})
    fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table  # renamed in DuckDB 2
    frame = pl.from_arrow(fetch())
    return frame, summarise(frame, as_of)


def check(frame: pl.DataFrame, summary: list[dict], ref: dict, at: np.ndarray, who: str) -> None:
    assert frame.height == ref["journeys"] == len(at), (who, frame.height, ref["journeys"])
    for k, (name, *_rest) in enumerate(MOMENTS):
        mine = frame[f"{name}_at"].fill_null(-1).to_numpy()
        assert np.array_equal(mine, at[:, k]), (who, name, int((mine != at[:, k]).sum()))
    for s, r in zip(summary, ref["summary"], strict=True):
        assert (s["reached"], s["done"], s["behind"], s["stuck"]) == (r["reached"], r["done"], r["behind"], r["stuck"]), (who, s, r)
        for mine, theirs in ((s["median"], r["median_days"]), (s["p75"], r["p75_days"]), (s["p90"], r["p90_days"])):
            assert (mine is None and theirs is None) or abs(mine - theirs) < 1e-9, (who, s, r)
        share = s["on_time"] / s["judged"] if s["judged"] else None
        assert (share is None and r["on_time_share"] is None) or abs(share - r["on_time_share"]) < 1e-12, (who, share, r)
    assert int(frame["overdue"].sum()) == ref["check_in_overdue"], (who, int(frame["overdue"].sum()), ref["check_in_overdue"])


def main() -> None:
    acc, ev, ref, at = load()
    as_of = ref["as_of"]
    print(f"{ref['accounts']:,} accounts, {ev.height:,} moment events of {ref['events']:,}; custfit (Rust) {ref['seconds']:.3f} s")
    # custfit through the Python binding, on the same simulated base (the simulator is seeded).
    import custfit

    t = time.perf_counter()
    sim = custfit.simulate(accounts=ref["accounts"], days=ref["days"], activity_scale=ref["activity_scale"])
    assert sim.dataset.event_count == ref["events"]
    print(f"simulated the same base in Python in {time.perf_counter() - t:.1f} s")
    config = json.loads((DIR / "config.json").read_text())
    con = duckdb.connect()
    con.register("ev", ev.to_arrow())
    con.register("acc", acc.to_arrow())
    runs = {
        "custfit": lambda: custfit.engagement_moments(sim.dataset, sim.end, config),
        "polars": lambda: moments_polars(acc, ev, as_of),
        "duckdb": lambda: moments_duckdb(con, as_of),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    out = {}
    for _ in range(5):  # interleaved rounds
        for name, fn in runs.items():
            t = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t)
    med = {k: sorted(v)[2] for k, v in times.items()}
    assert out["custfit"].summary == ref["summary"], "the binding's summary is the Rust run's"
    check(*out["polars"], ref, at, "polars")
    check(*out["duckdb"], ref, at, "duckdb")
    base = med["custfit"]
    print(
        f"median of 5 interleaved: custfit {base:.3f} s, polars {med['polars']:.3f} s ({med['polars'] / base:.1f}x), "
        f"DuckDB {med['duckdb']:.3f} s ({med['duckdb'] / base:.1f}x)"
    )
    print("every moment's instant per account, the summary and the overdue count are equal")


if __name__ == "__main__":
    sys.exit(main())
