"""Benchmark: the page queries read from rollups against the same queries over events, and what
building the rollups adds to a publish.

    python bench/rollups.py [--events N ...] [--repeat 5] [--workdir DIR]

For each warehouse size (default 1M and 10M police events, the cached warehouses of
``bench/synthetic.py``), on a copy of it:

1. Publish twice (as the first load after an upgrade does, then as a load that changes
   nothing): the rollup build's seconds, the snapshot's size, each rollup's rows.
2. Time each query (``count_table`` by month, LSOA, weekday x hour, weapon, offence group;
   ``area_table`` by district and LSOA; ``decile_profile``) with and without filters
   (district, a year, an offence group), from events (``SVDASH_ROLLUPS=off``) and from
   rollups: the median of ``--repeat`` runs each, and a check that both give the same frame.
3. Load one more month of police extract (a realistic monthly load): its total seconds and the
   rollup build's share of them.

Results go to ``bench/results/rollups-<events>.json``. No assertions on timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # python bench/rollups.py: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import BENCH, MB  # noqa: E402
from bench.synthetic import build_warehouse  # noqa: E402

QUERIES = (
    ("count by month", "count", ("month",)),
    ("count by LSOA", "count", ("lsoa",)),
    ("count by weekday x hour", "count", ("weekday", "hour")),
    ("count by weapon", "count", ("weapon",)),
    ("count by offence group", "count", ("offence_group",)),
    ("headline (total)", "count", ()),
    ("area_table district", "area", "district"),
    ("area_table LSOA", "area", "lsoa"),
    ("decile_profile", "deciles", None),
)
FILTERS = (
    ("no filter", ""),
    ("district + year", "district=E08000035&from=2024-01&to=2024-12"),
    ("group", "group=knife_sharp"),
    ("district + year + group", "district=E08000035&from=2024-01&to=2024-12&group=knife_sharp"),
    ("all sources", "source=all"),
)


def run_query(con, kind: str, arg, f):
    from dashboard.queries.areas import area_table
    from dashboard.queries.counts import count_table
    from dashboard.queries.deciles import decile_profile

    if kind == "count":
        return count_table(con, f, list(arg))
    if kind == "area":
        return area_table(con, f, arg)
    return decile_profile(con, f)


def timed(repeat: int, *call) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = run_query(*call)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def publish_now(wh: Path) -> dict:
    from etl.rollups import last_build, rollup_sizes
    from etl.snapshots import publish
    from etl.writer import write_lock

    t = time.perf_counter()
    with write_lock(wh):
        snap = publish(wh)
    return {
        "publish_seconds": time.perf_counter() - t,
        "build": last_build(snap),
        "snapshot_mb": snap.stat().st_size / MB,
        "rows": rollup_sizes(snap),
    }


def catalog_mb(wh: Path) -> float:
    from svcore.warehouse import CATALOG

    return (wh / CATALOG).stat().st_size / MB


def monthly_load(wh: Path, key: Path, events: int, seed: int) -> dict:
    """One more month of police crimes (2025-12, new references), loaded as a partner would."""
    import numpy as np
    import pandas as pd

    from bench.synthetic import lsoa_weights, write_police_csv
    from etl.load import load_files
    from etl.rollups import last_build
    from svcore.warehouse import current_snapshot

    rng = np.random.default_rng(seed + 1)
    lsoas, weights = lsoa_weights(wh, rng)
    months = pd.period_range("2025-12", "2025-12", freq="M")
    path = wh.parent / f"{wh.name}-monthly.csv"
    rows = write_police_csv(
        path, months, np.array([events // 60]), lsoas, weights, rng, ref_prefix="BENCHMONTH-"
    )
    t = time.perf_counter()
    (report,) = load_files(wh, "police", [path], key_path=key)
    seconds = time.perf_counter() - t
    path.unlink()
    return {
        "rows": rows,
        "status": report.status,
        "load_seconds": seconds,
        "build": last_build(current_snapshot(wh)),
    }


def bench_size(args: argparse.Namespace, events: int, say) -> dict:
    import pandas as pd

    from dashboard.filters import parse_filters
    from dashboard.queries import rollups
    from svcore.warehouse import connect_reader

    info = build_warehouse(args.workdir, events, args.seed, say)
    source = Path(info["warehouse"])
    key = args.workdir / "keys" / f"warehouse-{events}.key"
    wh = args.workdir / f"rollup-bench-{events}"
    shutil.rmtree(wh, ignore_errors=True)
    shutil.copytree(source, wh)
    out: dict = {"events": events, "build": info, "catalog_mb": catalog_mb(wh)}
    say(f"{events:,} events: first publish (every month aggregated) ...")
    out["first_publish"] = publish_now(wh)
    say(
        f"  {out['first_publish']['build']['seconds']:.1f} s, snapshot "
        f"{out['first_publish']['snapshot_mb']:.1f} MB (catalog {out['catalog_mb']:.1f} MB)"
    )
    out["unchanged_publish"] = publish_now(wh)
    say(f"  a publish changing nothing: {out['unchanged_publish']['build']['seconds']:.1f} s")
    con = connect_reader(wh)
    results = []
    try:
        for fname, query in FILTERS:
            f = parse_filters(query)
            for qname, kind, arg in QUERIES:
                os.environ[rollups.ENV] = "off"
                try:
                    ev_s, ev = timed(args.repeat, con, kind, arg, f)
                finally:
                    os.environ.pop(rollups.ENV)
                ro_s, ro = timed(args.repeat, con, kind, arg, f)
                pd.testing.assert_frame_equal(ro, ev, check_exact=True)
                table = rollups.choose(con, f, list(arg) if kind == "count" else ["lsoa"])
                results.append(
                    {
                        "query": qname,
                        "filters": fname,
                        "events_ms": ev_s * 1000,
                        "rollups_ms": ro_s * 1000,
                        "rollup": table,
                        "speedup": ev_s / ro_s if ro_s else None,
                    }
                )
                say(
                    f"  {qname:<26} {fname:<24} events {ev_s * 1000:8.1f} ms  "
                    f"rollups {ro_s * 1000:7.1f} ms  x{ev_s / ro_s:6.1f}  ({table})"
                )
    finally:
        con.close()
    out["queries"] = results
    say("  loading one more month of police extract ...")
    out["monthly_load"] = monthly_load(wh, key, events, args.seed)
    m = out["monthly_load"]
    say(
        f"  {m['rows']:,} rows loaded in {m['load_seconds']:.1f} s, of which the rollups "
        f"{m['build']['seconds']:.1f} s ({m['build']['units_built']} month(s) aggregated, "
        f"{m['build']['units_reused']} reused)"
    )
    out["measured_at"] = dt.datetime.now().isoformat(timespec="seconds")
    shutil.rmtree(wh, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/svdash-bench"))
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    (BENCH / "results").mkdir(exist_ok=True)
    for events in args.events:
        out = bench_size(args, events, lambda s: print(s, flush=True))
        path = BENCH / "results" / f"rollups-{events}.json"
        path.write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
