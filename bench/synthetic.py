"""Synthetic police extracts for the benchmarks, and the benchmark warehouses built from them.

Only numpy is imported with the module (pandas and the project inside the functions that use
them): bench/load.py's pipeline workers import it, and their peak RSS is what is measured.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench import MB

if TYPE_CHECKING:
    import pandas as pd

# The ``police`` contract's columns, in order, and the outcomes a synthetic row may carry.
POLICE_COLUMNS = (
    "crime_ref",
    "recorded_date",
    "offence_date",
    "offence_time",
    "ho_offence_code",
    "offence_description",
    "lsoa_code",
    "location_type",
    "weapon",
    "domestic_abuse",
    "victim_age",
    "suspect_age",
    "victim_sex",
    "suspect_sex",
    "victim_ethnicity",
    "suspect_ethnicity",
    "outcome",
)
OUTCOMES = ("Investigation complete", "Under investigation", "Charged", "Caution", "")
FIRST_MONTH, LAST_MONTH = "2021-01", "2025-12"
ROWS_PER_FILE = 1_000_000

# The offence mix (Home Office code, description, weight, knife, firearm, domestic-abuse and
# female-victim shares) and the monthly seasonality are the demo's own, calibrated to West
# Yorkshire: one definition, in etl/demo/events.py.
LOCATIONS = (
    "street",
    "dwelling",
    "licensed_premises",
    "retail",
    "transport",
    "education",
    "open_space",
    "other",
    "unknown",
)
LOCATION_P = (0.38, 0.35, 0.07, 0.06, 0.03, 0.02, 0.04, 0.04, 0.01)
ETHNICITIES = ("white", "asian", "black", "mixed", "other", "not_stated")
ETHNICITY_P = (0.70, 0.17, 0.03, 0.03, 0.01, 0.06)
HHMM = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)])


def hour_weekday_weights() -> np.ndarray:
    """7x24 (Monday first): evening peaks, Friday and Saturday nights strongest."""
    hours = np.arange(24)
    diurnal = 0.25 + 0.75 * np.exp(-0.5 * ((hours - 21.5) / 4.0) ** 2)
    diurnal[:4] += np.array([0.75, 0.6, 0.45, 0.25])
    w = np.tile(diurnal, (7, 1))
    w[4, 20:] *= 1.7
    w[5, :4] *= 2.4
    w[5, 20:] *= 2.0
    w[6, :4] *= 2.6
    return w / w.sum(axis=1, keepdims=True)


def lsoa_weights(warehouse: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The warehouse's LSOAs and a weight each: residents, x3 in the most deprived, hot spots."""
    from svcore.warehouse import connect_reader

    con = connect_reader(warehouse)
    try:
        rows = con.sql(
            "SELECT g.lsoa_code, coalesce(p.people, 0), coalesce(i.decile, 5) FROM geography g "
            "LEFT JOIN (SELECT area_code, sum(population) AS people FROM population "
            "GROUP BY 1) p ON p.area_code = g.lsoa_code "
            "LEFT JOIN imd i ON i.lsoa_code = g.lsoa_code AND i.domain = 'imd' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    codes = np.array([r[0] for r in rows])
    people = np.array([float(r[1]) for r in rows]) + 1.0
    decile = np.array([float(r[2]) for r in rows])
    w = people * (1 + 2.2 * (10 - decile) / 9)
    hot = rng.choice(len(codes), size=max(1, len(codes) // 100), replace=False)
    w[hot] *= 6  # a few city-centre hot spots
    return codes, w / w.sum()


def month_counts(events: int, rng: np.random.Generator) -> tuple[pd.PeriodIndex, np.ndarray]:
    """Events per month from FIRST_MONTH to LAST_MONTH: seasonality and a gentle upward trend."""
    import pandas as pd

    from etl.demo.events import MONTH_SEASON as SEASON

    months = pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")
    vol = SEASON[months.month - 1] * (1 + 0.025 * np.arange(len(months)) / 12)
    return months, rng.multinomial(events, vol / vol.sum())


def write_police_csv(
    path: Path,
    months: pd.PeriodIndex,
    counts: np.ndarray,
    lsoas: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    ref_prefix: str,
) -> int:
    """One force extract (the ``police`` contract's columns) covering ``months``; returns rows.

    Vectorised numpy written through Arrow, as ``bench/load.py`` does; every row is valid and in
    the area, except the realistic blanks (2% no LSOA, 8% no time, some ages unknown).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from etl.demo.events import OFFENCES

    n = int(counts.sum())
    start = months.to_timestamp().to_numpy().astype("datetime64[D]")
    days = months.days_in_month.to_numpy()
    recorded = np.repeat(start, counts) + (rng.random(n) * np.repeat(days, counts)).astype(
        "timedelta64[D]"
    )
    offence = recorded - np.minimum(rng.geometric(0.45, n) - 1, 30).astype("timedelta64[D]")
    weekday = (offence.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    hw = hour_weekday_weights()
    hour = np.empty(n, dtype=np.int64)
    for d in range(7):
        sel = weekday == d
        hour[sel] = rng.choice(24, size=int(sel.sum()), p=hw[d])
    time_txt = HHMM[hour * 60 + rng.integers(0, 60, n)].astype(object)
    time_txt[rng.random(n) < 0.08] = ""

    share = np.array([o[2] for o in OFFENCES], dtype=float)
    k = rng.choice(len(OFFENCES), size=n, p=share / share.sum())
    knife, gun, da, female = (np.array([o[i] for o in OFFENCES])[k] for i in (3, 4, 5, 6))
    u = rng.random(n)
    other = np.array(("blunt", "other", "none", "unknown"))[
        rng.choice(4, size=n, p=(0.08, 0.04, 0.68, 0.20))
    ]
    weapon = np.where(u < knife, "knife_sharp", np.where(u < knife + gun, "firearm", other))
    lsoa = lsoas[rng.choice(len(lsoas), size=n, p=weights)].astype(object)
    lsoa[rng.random(n) < 0.02] = ""
    victim_sex = np.where(rng.random(n) < female, "F", "M").astype(object)
    victim_sex[rng.random(n) < 0.02] = "unknown"
    victim_age = np.clip(rng.gamma(4.0, 6.5, n) + 6, 0, 95).astype(int).astype(str).astype(object)
    victim_age[rng.random(n) < 0.06] = ""
    suspect_age = np.clip(rng.gamma(3.5, 6.0, n) + 12, 10, 90).astype(int).astype(str)
    suspect_age = suspect_age.astype(object)
    suspect_age[rng.random(n) < 0.25] = ""

    def pick(values, p=None):
        return np.asarray(values)[rng.choice(len(values), size=n, p=p)]

    cols = {
        "crime_ref": np.char.add(ref_prefix, np.arange(n).astype(str)),
        "recorded_date": np.datetime_as_string(recorded, unit="D"),
        "offence_date": np.datetime_as_string(offence, unit="D"),
        "offence_time": time_txt,
        "ho_offence_code": np.array([o[0] for o in OFFENCES])[k],
        "offence_description": np.array([o[1] for o in OFFENCES])[k],
        "lsoa_code": lsoa,
        "location_type": pick(LOCATIONS, LOCATION_P),
        "weapon": weapon,
        "domestic_abuse": np.where(rng.random(n) < da, "Y", "N"),
        "victim_age": victim_age,
        "suspect_age": suspect_age,
        "victim_sex": victim_sex,
        "suspect_sex": pick(("M", "F", "unknown"), (0.82, 0.12, 0.06)),
        "victim_ethnicity": pick(ETHNICITIES, ETHNICITY_P),
        "suspect_ethnicity": pick(ETHNICITIES, ETHNICITY_P),
        "outcome": pick(OUTCOMES),
    }
    table = pa.table({c: pa.array(cols[c], pa.string()) for c in POLICE_COLUMNS})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return n


def build_warehouse(workdir: Path, events: int, seed: int, say: Callable[[str], None]) -> dict:
    """The demo plus N police events, built once and reused (``<workdir>/warehouse-N``)."""
    from etl.demo.build import build_demo
    from etl.load import load_files
    from svcore.warehouse import CURRENT, connect_reader

    wh = workdir / f"warehouse-{events}"
    marker = workdir / f"warehouse-{events}.json"
    key = workdir / "keys" / f"warehouse-{events}.key"
    os.environ["SVDASH_KEY_FILE"] = str(key)
    if marker.exists() and (wh / CURRENT).exists():
        info = json.loads(marker.read_text())
        say(f"warehouse {wh} is cached (built in {info['build_seconds']:.0f} s)")
        return {**info, "cached": True}
    for old in (wh, wh.parent / f"{wh.name}-demo-inputs", workdir / f"csv-{events}"):
        shutil.rmtree(old, ignore_errors=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    key.unlink(missing_ok=True)
    t0 = time.perf_counter()
    say(f"building {wh}: the demo (1 year) through the ETL ...")
    build_demo(wh, seed=seed, years=1)
    shutil.rmtree(wh.parent / f"{wh.name}-demo-inputs", ignore_errors=True)
    demo_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    lsoas, weights = lsoa_weights(wh, rng)
    months, per_month = month_counts(events, rng)
    n_files = max(1, math.ceil(events / ROWS_PER_FILE))
    csv_dir = workdir / f"csv-{events}"
    csv_dir.mkdir(parents=True, exist_ok=True)
    gen_s = load_s = 0.0
    loaded = 0
    for i, block in enumerate(np.array_split(np.arange(len(months)), n_files)):
        first, last = months[block[0]], months[block[-1]]
        path = csv_dir / f"force_extract_{first}_{last}.csv"
        t = time.perf_counter()
        rows = write_police_csv(
            path, months[block], per_month[block], lsoas, weights, rng, ref_prefix=f"BENCH{i:03d}-"
        )
        gen_s += time.perf_counter() - t
        size = path.stat().st_size / MB
        t = time.perf_counter()
        (report,) = load_files(wh, "police", [path], key_path=key)
        load_s += time.perf_counter() - t
        path.unlink()
        if report.status != "loaded":
            raise SystemExit(f"{path.name} was {report.status}: {report.message}")
        loaded += report.rows_loaded
        say(
            f"  file {i + 1}/{n_files} {first}..{last}: {rows:,} rows ({size:,.0f} MB), "
            f"loaded {report.rows_loaded:,}, quarantined {report.rows_quarantined:,} "
            f"[{time.perf_counter() - t0:.0f} s]"
        )
    shutil.rmtree(csv_dir, ignore_errors=True)
    con = connect_reader(wh)
    try:
        held = dict(con.sql("SELECT source, count(*) FROM events GROUP BY 1").fetchall())
        parts = con.sql(
            "SELECT count(*) FROM parts WHERE active AND table_name = 'police'"
        ).fetchall()[0][0]
    finally:
        con.close()
    info = {
        "warehouse": str(wh),
        "events_requested": events,
        "events_by_source": held,
        "police_parts": int(parts),
        "files": n_files,
        "build_seconds": time.perf_counter() - t0,
        "demo_seconds": demo_s,
        "generate_seconds": gen_s,
        "load_seconds": load_s,
        "load_rows_per_second": loaded / load_s if load_s else None,
        "size_mb": sum(p.stat().st_size for p in wh.rglob("*") if p.is_file()) / MB,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    marker.write_text(json.dumps(info, indent=2))
    say(
        f"built in {info['build_seconds']:.0f} s (demo {demo_s:.0f} s, generate {gen_s:.0f} s, "
        f"load {load_s:.0f} s = {info['load_rows_per_second']:,.0f} rows/s); "
        f"police events {held.get('police', 0):,} in {parts} parts, {info['size_mb']:,.0f} MB"
    )
    return {**info, "cached": False}
