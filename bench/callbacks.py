"""Benchmark: every page callback of the dashboard over HTTP, under 20 clients, vs plain pandas.

    python bench/callbacks.py [--events N ...] [--requests-per-page N] [--clients 20]
                              [--server gunicorn|dev] [--workdir DIR] [--only svdash|pandas]
                              [--time-limit S] [--build-only] [--quick]

For each warehouse size (default 1M and 10M police events):

1. Build the warehouse once (cached under ``--workdir``, default /tmp/svdash-bench): the demo
   (``etl.demo.build.build_demo``, one year: geography, boundaries, population, IMD, indicators
   and every partner feed) through the real ETL, then synthetic police extracts for 2021-01 to
   2025-12 loaded with ``etl.load.load_files`` in files of about 1M rows (each file a block of
   months, so the force's 2021 demo months are replaced and the police feed holds exactly N
   events). Rows are in area, on the warehouse's own LSOAs (weighted by population and
   deprivation, with a few hot spots), with realistic offence, weapon, time and victim mixes.
2. Serve the real app (``dashboard.app.create_app``) over HTTP on 127.0.0.1 and read
   ``/_dash-dependencies`` for the exact payload of each page callback (overview, where: map,
   hotspots, gap; when, how, who, factors, quality). Every payload is checked (200, JSON with
   a ``response``) before anything is timed.
3. Serve a plain-pandas baseline of the same callbacks: a Flask app holding the whole
   ``events`` table in one global DataFrame (per-source row slices of it, derived month, weekday
   and age-band columns computed once at start-up, which favours the baseline), filtering with
   boolean masks and aggregating with ``groupby`` per request, then drawing the same figures
   (the dashboard's own pure ``dashboard.figures`` functions, plotly ``graph_objects``) and
   tables, serialised with plotly's JSON encoder as Dash does. Its chart descriptions (alt
   texts, which carry the numbers) are compared with the app's as a check of equivalence.
4. Drive both with the same seeded, shuffled list of (page, filters) requests from ``--clients``
   concurrent clients (one ``requests.Session`` per thread): districts, wards, periods, offence
   groups and sources vary; 100 requests per page (50 above 2M events, where a request costs
   seconds). Reports p50/p95 per page and overall, requests/s, errors and the
   servers' RSS (psutil, the server process and its children, peak sampled during the run; PSS
   too, since forked workers share pages).

Both servers run the same way: gunicorn, ``gthread`` workers (default 2 workers x 4 threads for
a 2-core machine; the baseline with ``--preload`` so its workers share the loaded frame), or
with ``--server dev`` the development servers (``svdash serve``, Flask threaded). Results go to
``bench/results/callbacks-<events>.json``. No assertions on timings: this is a measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project's packages
    sys.path.insert(1, str(ROOT))

from load import OUTCOMES, POLICE_COLUMNS  # noqa: E402  (bench/load.py, beside this file)

from dashboard import ids  # noqa: E402
from etl.demo.events import MONTH_SEASON as SEASON  # noqa: E402
from etl.demo.events import OFFENCES  # noqa: E402

PAGES = ("overview", "where_map", "where_hotspots", "where_gap", "when", "how", "who",
         "factors", "quality")
# The first output of each page's callback identifies it in /_dash-dependencies.
FIRST_OUTPUT = {
    "overview": ids.OVERVIEW_HEADLINE, "where_map": ids.WHERE_MAP,
    "where_hotspots": ids.WHERE_HOTSPOTS, "where_gap": ids.WHERE_GAP, "when": ids.WHEN_HEATMAP,
    "how": ids.HOW_GROUP, "who": ids.WHO_VICTIMS, "factors": ids.FACTORS_CHOICE,
    "quality": ids.QUALITY_COVERAGE,
}
DISTRICTS = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")
GROUPS = ("knife_sharp", "robbery", "violence_with_injury", "homicide")
FIRST_MONTH, LAST_MONTH = "2021-01", "2025-12"
ROWS_PER_FILE = 1_000_000
MB = 1024 * 1024


# ---- synthetic police extracts ---------------------------------------------------------------

# The offence mix (Home Office code, description, weight, knife, firearm, domestic-abuse and
# female-victim shares) and the monthly seasonality are the demo's own, calibrated to West
# Yorkshire: one definition, in etl/demo/events.py.
LOCATIONS = ("street", "dwelling", "licensed_premises", "retail", "transport", "education",
             "open_space", "other", "unknown")
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
    months = pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")
    vol = SEASON[months.month - 1] * (1 + 0.025 * np.arange(len(months)) / 12)
    return months, rng.multinomial(events, vol / vol.sum())


def write_police_csv(path: Path, months: pd.PeriodIndex, counts: np.ndarray, lsoas: np.ndarray,
                     weights: np.ndarray, rng: np.random.Generator, ref_prefix: str) -> int:
    """One force extract (the ``police`` contract's columns) covering ``months``; returns rows.

    Vectorised numpy written through Arrow, as ``bench/load.py`` does; every row is valid and in
    the area, except the realistic blanks (2% no LSOA, 8% no time, some ages unknown).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = int(counts.sum())
    start = months.to_timestamp().to_numpy().astype("datetime64[D]")
    days = months.days_in_month.to_numpy()
    recorded = np.repeat(start, counts) + (rng.random(n) * np.repeat(days, counts)).astype(
        "timedelta64[D]")
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
        rng.choice(4, size=n, p=(0.08, 0.04, 0.68, 0.20))]
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
        rows = write_police_csv(path, months[block], per_month[block], lsoas, weights, rng,
                                ref_prefix=f"BENCH{i:03d}-")
        gen_s += time.perf_counter() - t
        size = path.stat().st_size / MB
        t = time.perf_counter()
        (report,) = load_files(wh, "police", [path], key_path=key)
        load_s += time.perf_counter() - t
        path.unlink()
        if report.status != "loaded":
            raise SystemExit(f"{path.name} was {report.status}: {report.message}")
        loaded += report.rows_loaded
        say(f"  file {i + 1}/{n_files} {first}..{last}: {rows:,} rows ({size:,.0f} MB), "
            f"loaded {report.rows_loaded:,}, quarantined {report.rows_quarantined:,} "
            f"[{time.perf_counter() - t0:.0f} s]")
    shutil.rmtree(csv_dir, ignore_errors=True)
    con = connect_reader(wh)
    try:
        held = dict(con.sql("SELECT source, count(*) FROM events GROUP BY 1").fetchall())
        parts = con.sql("SELECT count(*) FROM parts WHERE active AND table_name = 'police'"
                        ).fetchall()[0][0]
    finally:
        con.close()
    info = {
        "warehouse": str(wh), "events_requested": events, "events_by_source": held,
        "police_parts": int(parts), "files": n_files, "build_seconds": time.perf_counter() - t0,
        "demo_seconds": demo_s, "generate_seconds": gen_s, "load_seconds": load_s,
        "load_rows_per_second": loaded / load_s if load_s else None,
        "size_mb": sum(p.stat().st_size for p in wh.rglob("*") if p.is_file()) / MB,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    marker.write_text(json.dumps(info, indent=2))
    say(f"built in {info['build_seconds']:.0f} s (demo {demo_s:.0f} s, generate {gen_s:.0f} s, "
        f"load {load_s:.0f} s = {info['load_rows_per_second']:,.0f} rows/s); "
        f"police events {held.get('police', 0):,} in {parts} parts, {info['size_mb']:,.0f} MB")
    return {**info, "cached": False}


# ---- the plain-pandas baseline ---------------------------------------------------------------


# The pages' own constants, copied so the baseline does not break when the app's callbacks are
# reorganised (the chart descriptions it is checked against would show a real divergence).
LEVEL_WORDS = {"district": "district", "ward": "ward", "lsoa": "LSOA"}
HOW_CHARTS = (  # dimension, title, source override
    ("offence_group", "Serious violence by offence group", None),
    ("weapon", "Weapon used (police) or assault method (A&E)", None),
    ("location_type", "Where it happened: type of location", None),
    ("domestic_abuse", "Domestic-abuse related", None),
    ("relationship", "A&E: relationship to the assailant", "health"),
)
QUALITY_FIELDS = (("lsoa", "LSOA"), ("time_of_day", "Time of day"), ("age", "Age"),
                  ("sex", "Sex"))
GAP_POLICE_GROUP = "violence_with_injury"
IMD_DOMAINS = {
    "imd": "Index of Multiple Deprivation (overall)",
    "income": "Income deprivation",
    "employment": "Employment deprivation",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability",
    "crime": "Crime",
    "barriers": "Barriers to housing and services",
    "living_environment": "Living environment",
}
ENGLAND_LSOAS_2019 = 32_844


def drill_level(filters) -> str:
    """The map level that follows the filters: wards inside districts, LSOAs inside wards."""
    return "lsoa" if filters.wards else "ward" if filters.districts else "district"


def _age_band(age: pd.Series) -> pd.Series:
    from svcore.vocab import AGE_BANDS

    bins = [AGE_BANDS[0][1] - 0.5] + [hi + 0.5 for _, _, hi in AGE_BANDS]
    return pd.cut(age, bins=bins, labels=[b for b, _, _ in AGE_BANDS])


def _last_two_years(monthly: pd.DataFrame) -> tuple[int, int | None, str | None]:
    if monthly.empty:
        return 0, None, None
    counts = monthly.set_index("month")["count"].astype("int64")
    last = counts.index.max()
    months = pd.period_range(end=pd.Period(last, "M"), periods=24, freq="M").strftime("%Y-%m")
    recent = int(counts.reindex(months[12:]).fillna(0).sum())
    held = counts.index.min() <= months[0]
    before = int(counts.reindex(months[:12]).fillna(0).sum()) if held else None
    return recent, before, last


def with_alt(fig) -> tuple:
    from dashboard.figures import alt_text

    return fig, alt_text(fig)


@dataclass
class PageRequest:
    """What a baseline page starts from (as ``dashboard.callbacks.common.Request``, no DuckDB)."""

    settings: object
    filters: object
    rule: object
    definition: object
    names: dict

    def context(self, title: str, source: object = "same", note: str = ""):
        from dashboard.figures import Context
        from svcore.disclosure import rule_for
        from svcore.vocab import SOURCES

        src = self.filters.source if source == "same" else source
        line = SOURCES.get(src, "all partner feeds") if src else "all partner feeds"
        group = self.definition.group(self.filters.group).label if self.filters.group else None
        return Context(
            title=title, period=self.filters.with_(source=src).describe(self.names),
            definition=self.definition.title + (f": {group}" if group else ""),
            source_line=line,
            note=" ".join(x for x in (note, rule_for(self.settings, src).note()) if x))

    def rule_for(self, source: str | None):
        from svcore.disclosure import rule_for

        return rule_for(self.settings, source)


class PandasBaseline:
    """The same page callbacks over one global events DataFrame: masks, groupby, figures."""

    LEVEL_COL = {"district": "district_code", "ward": "ward_code", "lsoa": "lsoa_code"}
    # count_table's dimensions that are not simply a column of the events view
    DIM_COL = {**LEVEL_COL, "relationship": "relationship_to_assailant"}
    LEVEL_NAME = {"district": "district_name", "ward": "ward_name", "lsoa": "lsoa_name"}

    def __init__(self, warehouse: Path) -> None:
        from svcore.config import read_settings
        from svcore.vocab import SOURCES
        from svcore.warehouse import connect_reader

        self.settings = read_settings(warehouse)
        con = connect_reader(warehouse)

        def frame(sql: str) -> pd.DataFrame:
            return con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)

        try:
            events = frame("SELECT * FROM events")
            self.geography = frame(
                "SELECT lsoa_code, lsoa_name, ward_code, ward_name, district_code, district_name "
                "FROM geography")
            self.population = frame("SELECT area_code, year, sex, population FROM population")
            self.imd = frame("SELECT lsoa_code, domain, score, rank, decile FROM imd")
            self.indicators = frame("SELECT indicator_code, indicator_name, area_code, period, "
                                    "value, unit FROM indicators")
            bounds = frame("SELECT level, area_code, geometry, centroid_lon AS lon, "
                           "centroid_lat AS lat FROM boundaries")
            self.parts = frame("SELECT * FROM parts")
            self.loads = frame("SELECT * FROM loads")
            self.quarantine = frame("SELECT * FROM quarantine")
        finally:
            con.close()
        # One frame, each source's rows contiguous (the view is a UNION ALL per source), so
        # per-source views are slices of it, not copies.
        src = events["source"].to_numpy()
        if int((src[1:] != src[:-1]).sum()) + 1 > len(set(src)):
            order = {s: i for i, s in enumerate(SOURCES)}
            events = events.iloc[np.argsort(events["source"].map(order).to_numpy(),
                                            kind="stable")].reset_index(drop=True)
            src = events["source"].to_numpy()
        events["month"] = pd.array(np.datetime_as_string(
            events["period"].to_numpy().astype("datetime64[M]"), unit="M"), dtype="str")
        events["weekday"] = events["event_date"].dt.day_name()
        events["age_band"] = _age_band(events["age"])
        events["suspect_age_band"] = _age_band(events["suspect_age"])
        self.events = events
        self.by_source = {}
        for s in SOURCES:
            idx = np.flatnonzero(src == s)
            lo, hi = (int(idx[0]), int(idx[-1]) + 1) if len(idx) else (0, 0)
            self.by_source[s] = events.iloc[lo:hi]
        self.boundaries = {
            level: {"type": "FeatureCollection", "features": [
                {"type": "Feature", "id": c, "properties": {}, "geometry": json.loads(g)}
                for c, g in zip(part["area_code"], part["geometry"], strict=True)]}
            for level, part in bounds.groupby("level")
        }
        self.centroids = bounds[["level", "area_code", "lon", "lat"]]
        self.names = {
            **dict(zip(self.geography["district_code"], self.geography["district_name"],
                       strict=True)),
            **dict(zip(self.geography["ward_code"], self.geography["ward_name"], strict=True)),
        }
        self.population_years = sorted(int(y) for y in self.population["year"].unique())

    # -- the query layer, in pandas ----------------------------------------------------------

    def definition_mask(self, d: pd.DataFrame, source: str, group: str | None,
                        definition_name: str) -> np.ndarray:
        """Serious violence (or one group) for a source; one ``isin`` per column where rules
        test a single column, as anyone writing it by hand would."""
        from svcore.definitions import load_definition

        definition = load_definition(definition_name)
        groups = [definition.group(group)] if group else list(definition.groups)
        single: dict[str, set] = {}
        compound: list = []
        for g in groups:
            for rule in g.rules:
                if rule.source != source:
                    continue
                if len(rule.conditions) == 1:
                    col, values = rule.conditions[0]
                    single.setdefault(col, set()).update(values)
                else:
                    compound.append(rule.conditions)
        n = len(d)
        if any(not r for r in compound):
            return np.ones(n, dtype=bool)
        m = np.zeros(n, dtype=bool)
        for col, values in single.items():
            m |= d[col].isin(list(values)).to_numpy(dtype=bool)
        for conditions in compound:
            rm = np.ones(n, dtype=bool)
            for col, values in conditions:
                rm &= d[col].isin(list(values)).to_numpy(dtype=bool)
            m |= rm
        return m

    def mask(self, d: pd.DataFrame, f) -> np.ndarray:
        m = self.definition_mask(d, f.source, f.group, f.definition)
        if f.districts:
            m &= d["district_code"].isin(list(f.districts)).to_numpy(dtype=bool)
        if f.wards:
            m &= d["ward_code"].isin(list(f.wards)).to_numpy(dtype=bool)
        if f.date_from:
            m &= (d["period"] >= pd.Timestamp(f"{f.date_from}-01")).to_numpy(dtype=bool)
        if f.date_to:
            m &= (d["period"] <= pd.Timestamp(f"{f.date_to}-01")).to_numpy(dtype=bool)
        return m

    @staticmethod
    def _order(out: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        from svcore.vocab import ROSH_LEVELS, WEEKDAYS

        keys = {}
        for i, dim in enumerate(by):
            col = out[dim]
            if dim == "weekday":
                key = col.map({w: j for j, w in enumerate(WEEKDAYS)})
            elif dim == "rosh_level":
                key = col.map({r: j for j, r in enumerate(ROSH_LEVELS)})
            elif isinstance(col.dtype, pd.CategoricalDtype):
                key = pd.Series(col.cat.codes, index=col.index).replace(-1, np.nan)
            else:
                key = col
            keys[f"_k{i}"] = key
        out = out.assign(**keys).sort_values(list(keys), na_position="last", kind="stable")
        out = out.drop(columns=list(keys)).reset_index(drop=True)
        for dim in by:
            col = out[dim]
            if isinstance(col.dtype, pd.CategoricalDtype):
                out[dim] = col.astype(object).where(col.notna(), None)
            elif col.dtype.kind == "f" and col.notna().all() and (col % 1 == 0).all():
                out[dim] = col.astype("int64")  # as Arrow gives an integer column with no NULL
        return out

    def count(self, f, by: list[str], people: bool = False) -> pd.DataFrame:
        """``count_table``: serious-violence events under the filters by ``by`` dimensions
        (distinct people for probation, or for any person-level feed with ``people``)."""
        from svcore.definitions import load_definition
        from svcore.vocab import SOURCES

        by = list(by)
        if f.source is None:  # every source: add up each source's table
            parts = [self.count(f.with_(source=s), by, people).assign(source=s)
                     for s in SOURCES]
            out = pd.concat(parts, ignore_index=True)
            if not by:
                return pd.DataFrame({"count": [int(out["count"].sum())]})
            return self._order(out.groupby(by, dropna=False)["count"].sum().reset_index(), by)
        d = self.by_source[f.source]
        m = self.mask(d, f)
        if by == ["offence_group"]:
            definition = load_definition(f.definition)
            rows = []
            for g in definition.groups:
                if f.source not in g.sources() or (f.group and g.key != f.group):
                    continue
                n = int((m & self.definition_mask(d, f.source, g.key, f.definition)).sum())
                if n:
                    rows.append((g.key, n))
            return pd.DataFrame(rows, columns=["offence_group", "count"]).sort_values(
                "offence_group", ignore_index=True)
        people = people or f.source == "probation"
        if not by:
            n = d.loc[m, "person_key"].nunique() if people else int(m.sum())
            return pd.DataFrame({"count": [int(n)]})
        cols = [self.DIM_COL.get(dim, dim) for dim in by]
        sub = d.loc[m, cols + (["person_key"] if people else [])]
        grouped = sub.groupby(cols, dropna=False, observed=True, sort=False)
        counts = grouped["person_key"].nunique() if people else grouped.size()
        out = counts.rename("count").reset_index().rename(columns=dict(zip(cols, by, strict=True)))
        out = self._order(out, by)
        out["count"] = out["count"].astype("int64")
        return out

    def months_covered(self, f) -> int:
        d = self.by_source[f.source] if f.source else self.events
        m = np.ones(len(d), dtype=bool)
        if f.date_from:
            m &= (d["period"] >= pd.Timestamp(f"{f.date_from}-01")).to_numpy(dtype=bool)
        if f.date_to:
            m &= (d["period"] <= pd.Timestamp(f"{f.date_to}-01")).to_numpy(dtype=bool)
        return int(d.loc[m, "period"].nunique())

    def scope(self, f) -> pd.DataFrame:
        g = self.geography
        m = np.ones(len(g), dtype=bool)
        if f.districts:
            m &= g["district_code"].isin(list(f.districts)).to_numpy(dtype=bool)
        if f.wards:
            m &= g["ward_code"].isin(list(f.wards)).to_numpy(dtype=bool)
        return g[m]

    def areas_in_scope(self, f, level: str) -> pd.DataFrame:
        code, name = self.LEVEL_COL[level], self.LEVEL_NAME[level]
        g = self.scope(f).groupby(code, sort=True).agg(
            area_name=(name, "first"), district_code=("district_code", "first"),
            ward_code=("ward_code", "first"))
        return g.rename_axis("area_code").reset_index()

    def population_year(self, f) -> int | None:
        if not self.population_years:
            return None
        target = int(f.date_to[:4]) if f.date_to else 9999
        return min(self.population_years, key=lambda y: (abs(y - target), -y))

    def population_by_area(self, f, level: str, year: int | None) -> pd.DataFrame:
        if year is None:
            return pd.DataFrame({"area_code": [], "population": []})
        p = self.population
        p = p[(p["year"] == year) & p["sex"].isin(["F", "M", "persons"])]
        code = self.LEVEL_COL[level]
        scope = self.scope(f)[list(dict.fromkeys(["lsoa_code", code]))]
        merged = p.merge(scope, left_on="area_code", right_on="lsoa_code")
        out = merged.groupby(code)["population"].sum()
        return out.rename_axis("area_code").reset_index()

    def area_table(self, f, level: str) -> pd.DataFrame:
        areas = self.areas_in_scope(f, level)
        counts = self.count(f, [level])[[level, "count"]].rename(columns={level: "area_code"})
        pop = self.population_by_area(f, level, self.population_year(f))
        out = areas.merge(counts, on="area_code", how="left").merge(pop, on="area_code",
                                                                     how="left")
        out["count"] = out["count"].fillna(0).astype("int64")
        denom = out["population"].astype("float64") * self.months_covered(f) / 12
        out["rate"] = (out["count"] / denom * 1000).where(denom > 0)
        return out

    def headline(self, f, rule) -> dict:
        from svcore.disclosure import suppress_counts

        raw = int(self.count(f, [])["count"].iloc[0])
        shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
        pop = self.population_by_area(f, "district", self.population_year(f))
        people = float(pop["population"].sum()) if len(pop) else 0.0
        months = self.months_covered(f)
        rate = (raw / people / months * 12 * 1000
                if people and months and raw >= rule.min_events_for_rate else None)
        monthly = self.count(f, ["month"]) if f.source else pd.DataFrame()
        recent, before, last = _last_two_years(monthly)
        change = None
        if before is not None and min(recent, before) >= rule.min_events_for_rate:
            change = recent / before - 1
        return {"count": shown, "rate": rate, "change": change, "last12": recent,
                "last_month": last}

    def indicator_catalogue(self) -> pd.DataFrame:
        ind = self.indicators
        wards, districts = set(self.geography["ward_code"]), set(self.geography["district_code"])
        out = ind.assign(is_ward=ind["area_code"].isin(wards),
                         is_district=ind["area_code"].isin(districts)).groupby(
            "indicator_code", sort=True).agg(
            indicator_name=("indicator_name", "first"), unit=("unit", "first"),
            is_ward=("is_ward", "any"), is_district=("is_district", "any"),
            latest_period=("period", "max")).reset_index()
        out["level"] = np.where(out["is_ward"], "ward",
                                np.where(out["is_district"], "district", "lsoa"))
        return out.drop(columns=["is_ward", "is_district"])

    def indicator_values(self, f, code: str) -> pd.DataFrame:
        ind = self.indicators[self.indicators["indicator_code"] == code]
        end = f.date_to[:4] if f.date_to else "9999"
        upto = ind.loc[ind["period"].str[:4] <= end, "period"]
        period = upto.max() if len(upto) else ind["period"].min()
        out = ind[(ind["period"] == period) & ind["value"].notna()]
        return out[["area_code", "value", "period"]].sort_values("area_code", ignore_index=True)

    def imd_scores(self, f) -> pd.DataFrame:

        i = self.imd.merge(self.scope(f)[["lsoa_code"]], on="lsoa_code")
        score = i["score"].fillna(100.0 * (1 - (i["rank"] - 1) / ENGLAND_LSOAS_2019))
        out = pd.DataFrame({"area_code": i["lsoa_code"], "domain": i["domain"],
                            "score": score.astype("float64"), "is_score": i["score"].notna(),
                            "decile": i["decile"]})
        return out.sort_values(["area_code", "domain"], ignore_index=True)

    def decile_profile(self, f) -> pd.DataFrame:
        dec = self.imd[self.imd["domain"] == "imd"].merge(
            self.scope(f)[["lsoa_code"]], on="lsoa_code")[["lsoa_code", "decile"]]
        d = self.by_source[f.source] if f.source else self.events
        m = self.mask(d, f)
        decile_of = dict(zip(dec["lsoa_code"], dec["decile"], strict=True))
        ev = d.loc[m, ["lsoa_code", "person_key"]]
        ev = ev.assign(decile=ev["lsoa_code"].map(decile_of)).dropna(subset=["decile"])
        ev["decile"] = ev["decile"].astype("int64")
        if f.source == "probation":
            counts = ev.groupby("decile")["person_key"].nunique()
        else:
            counts = ev.groupby("decile").size()
        year = self.population_year(f) or 0
        p = self.population[self.population["year"] == year].merge(
            dec, left_on="area_code", right_on="lsoa_code")
        pop = p.groupby("decile")["population"].sum().rename("population")
        out = pop.reset_index().merge(counts.rename("count").reset_index(), on="decile",
                                      how="left")
        out["count"] = out["count"].fillna(0).astype("int64")
        out = out[["decile", "count", "population"]].sort_values("decile", ignore_index=True)
        denom = out["population"].astype("float64") * self.months_covered(f) / 12
        out["rate"] = (out["count"] / denom * 1000).where(denom > 0)
        return out

    def geojson(self, level: str) -> dict | str:
        """As the app does: maps reference the boundaries by a URL the browser caches (served
        at /geojson/<level>.json) rather than carrying them in every response."""
        return f"/geojson/{level}.json" if level in self.boundaries else {}

    # -- the pages (the same outputs, in the same order, as dashboard/callbacks) -------------

    def request(self, query: str) -> PageRequest:
        from dashboard.filters import parse_filters
        from svcore.definitions import load_definition
        from svcore.disclosure import rule_for

        filters = parse_filters(query, default_definition=self.settings.definition)
        return PageRequest(settings=self.settings, filters=filters,
                           rule=rule_for(self.settings, filters.source),
                           definition=load_definition(filters.definition), names=self.names)

    def overview(self, query: str, **_) -> tuple:
        from dash import html

        from dashboard.components import table
        from dashboard.figures.trend import trend_figure
        from svcore.disclosure import SUPPRESSED, rule_for, suppress_counts
        from svcore.vocab import SOURCES

        req = self.request(query)
        f = req.filters
        head = self.headline(f, req.rule)
        monthly = self.count(f, ["month"] if f.source else ["source", "month"])
        fig, alt = with_alt(trend_figure(suppress_counts(monthly, req.rule),
                                         req.context("Serious violence by month")))
        number = head["count"]
        facts = []
        if head["rate"] is not None:
            facts.append(f"{head['rate']:,.1f} per 1,000 residents a year")
        if head["change"] is not None:
            facts.append(f"{head['change']:+.0%} on the previous 12 months ({head['last12']:,} "
                         f"in the 12 months to {head['last_month']})")
        block = html.Div([html.Div([
            html.Span(f"{number:,}" if number != SUPPRESSED else SUPPRESSED,
                      className="headline-number"),
            html.Span(" serious-violence events, " + f.describe(req.names),
                      className="headline-label")]),
            html.Ul([html.Li(x) for x in facts])])
        rows = []
        for source in SOURCES:
            rule = rule_for(self.settings, source)
            m = self.count(f.with_(source=source), ["month"])
            raw = int(m["count"].sum()) if len(m) else 0
            recent, before, _ = _last_two_years(m)
            change = (recent / before - 1 if before is not None
                      and min(recent, before) >= rule.min_events_for_rate else None)
            shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
            rows.append({"source": SOURCES.get(source, source), "count": shown, "change": change})
        sources = table(
            pd.DataFrame(rows),
            [("source", "Source"), ("count", "Events in period"),
             ("change", "Change on previous year")],
            caption="Serious violence by partner source for the filters (sources are not "
                    "additive)", formats={"count": ",", "change": "+.0%"})
        p = self.parts[self.parts["active"] & (self.parts["table_name"] != "quarantine")]
        feeds = p.merge(self.loads[["load_id", "finished_at"]], on="load_id").groupby(
            "table_name").agg(rows=("rows", "sum"), first_period=("period_key", "min"),
                              last_period=("period_key", "max"),
                              last_load=("finished_at", "max")).rename_axis("feed").reset_index()
        loaded = table(
            feeds.assign(last_load=feeds["last_load"].astype(str).str[:16]),
            [("feed", "Feed"), ("rows", "Rows"), ("first_period", "From"),
             ("last_period", "To"), ("last_load", "Last load")],
            caption="Feeds loaded in the warehouse", formats={"rows": ","})
        return block, fig, alt, sources, loaded

    def where_map(self, query: str, level: str = "auto", measure: str = "rate", **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.maps import choropleth_figure
        from svcore.disclosure import suppress_counts, suppress_rates

        req = self.request(query)
        lvl = drill_level(req.filters) if level == "auto" else level
        areas = suppress_rates(suppress_counts(self.area_table(req.filters, lvl), req.rule),
                               req.rule)
        title = f"Serious violence by {LEVEL_WORDS[lvl]}" + (
            ", rate per 1,000 residents a year" if measure == "rate" else ", events")
        fig, alt = with_alt(choropleth_figure(areas, self.geojson(lvl), req.context(title),
                                              measure))
        ranked = areas.dropna(subset=["rate"]).sort_values("rate", ascending=False).head(10)
        top = table(
            ranked, [("area_name", LEVEL_WORDS[lvl].capitalize()), ("area_code", "GSS code"),
                     ("count", "Events"), ("population", "Residents"),
                     ("rate", "Rate per 1,000 a year")],
            caption=f"Top 10 {LEVEL_WORDS[lvl]}s by rate, {req.filters.describe(req.names)}",
            formats={"count": ",", "population": ",.0f", "rate": ",.1f"},
            note="Areas with fewer than 10 events have no rate and are not ranked.")
        return fig, alt, top

    def where_hotspots(self, query: str, **_) -> tuple:
        from dashboard.analysis.hotspots import getis_ord
        from dashboard.components import table
        from dashboard.figures.maps import hotspot_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        areas = self.area_table(req.filters, "lsoa")
        c = self.centroids
        cents = c[(c["level"] == "lsoa") & c["area_code"].isin(areas["area_code"])]
        cents = cents[["area_code", "lon", "lat"]].sort_values("area_code")
        stats = getis_ord(areas.merge(cents, on="area_code"), value="rate")
        fig, alt = with_alt(hotspot_figure(stats, self.geojson("lsoa"),
                                           req.context("Hotspots of serious violence (Gi*)")))
        hot = stats[stats["hotspot"].str.startswith("Hot")].sort_values(
            "gi_z", ascending=False).head(15)
        listing = table(
            suppress_counts(hot, req.rule),
            [("area_name", "LSOA"), ("area_code", "GSS code"), ("hotspot", "Class"),
             ("gi_z", "Gi* z-score"), ("gi_p", "p (999 permutations)"), ("count", "Events")],
            caption="The strongest hot spots",
            formats={"gi_z": ".2f", "gi_p": ".3f", "count": ","})
        return fig, alt, listing

    def where_gap(self, query: str, level: str = "auto", **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.bars import grouped_bars_figure
        from svcore.disclosure import SUPPRESSED, suppress_counts

        req = self.request(query)
        f = req.filters
        lvl = drill_level(f) if level == "auto" else level
        lvl = "ward" if lvl == "lsoa" else lvl
        areas = self.areas_in_scope(f, lvl)[["area_code", "area_name"]]
        health = self.count(f.with_(source="health", group=None), [lvl])
        group = GAP_POLICE_GROUP if GAP_POLICE_GROUP in req.definition.group_keys() else None
        police = self.count(f.with_(source="police", group=group), [lvl])
        gap = areas.merge(
            health[[lvl, "count"]].rename(columns={lvl: "area_code", "count": "health"}),
            on="area_code", how="left").merge(
            police[[lvl, "count"]].rename(columns={lvl: "area_code", "count": "police"}),
            on="area_code", how="left")
        gap[["health", "police"]] = gap[["health", "police"]].fillna(0).astype("int64")
        rule_health, rule_police = req.rule_for("health"), req.rule_for("police")
        gap = suppress_counts(gap, rule_health, column="health")
        gap = suppress_counts(gap, rule_police, column="police")
        ok = (gap["health"] != SUPPRESSED) & (gap["police"] != SUPPRESSED)
        h = gap["health"].where(ok).astype("float64")
        p = gap["police"].where(ok).astype("float64")
        enough = (h >= rule_health.min_events_for_rate) & (p >= rule_police.min_events_for_rate)
        gap["per_100"] = (h / p * 100).where(enough)
        long = gap.melt(id_vars=["area_code", "area_name"], value_vars=["police", "health"],
                        var_name="source", value_name="count").rename(
            columns={"area_name": "area"})
        ctx = req.context(
            "A&E assault attendances and police-recorded violence with injury, by "
            f"{LEVEL_WORDS[lvl]}", source=None,
            note="A&E: all assault attendances; police: violence with injury.")
        fig, alt = with_alt(grouped_bars_figure(long, "area", "source", ctx))
        listing = table(
            gap.sort_values("per_100", ascending=False, na_position="last"),
            [("area_name", LEVEL_WORDS[lvl].capitalize()), ("health", "A&E assault attendances"),
             ("police", "Police violence with injury"), ("per_100", "A&E per 100 police records")],
            caption="Where violence reaches hospitals but not police records",
            formats={"per_100": ",.0f", "health": ",", "police": ","})
        return fig, alt, listing

    def when(self, query: str, **_) -> tuple:
        from dashboard.figures.heatmap import hour_weekday_figure, nte_share
        from dashboard.figures.trend import seasonality_figure, trend_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        f = req.filters
        hw = self.count(f, ["weekday", "hour"]).dropna(subset=["weekday", "hour"])
        hw = hw.reset_index(drop=True)
        share, total = nte_share(hw)
        if total >= req.rule.min_events_for_rate:
            nte = (f"{share:.0%} of the {total:,} events with a recorded time happened in the "
                   "night-time economy window (Friday and Saturday, 20:00 to 03:59), which is "
                   f"{16 / 168:.0%} of the week's hours.")
        else:
            nte = "Too few events with a recorded time to give the night-time economy share."
        heat, heat_alt = with_alt(hour_weekday_figure(
            suppress_counts(hw, req.rule), req.context("Serious violence by hour and day of week")))
        trend_frame = suppress_counts(
            self.count(f, ["month"] if f.source else ["source", "month"]), req.rule)
        trend, trend_alt = with_alt(trend_figure(trend_frame,
                                                 req.context("Serious violence by month")))
        season, season_alt = with_alt(seasonality_figure(
            trend_frame if f.source else trend_frame.iloc[0:0],
            req.context("Seasonality: average events in each calendar month")))
        parts = []
        for source in ("police", "health"):
            part = self.count(f.with_(source=source), ["month"])
            parts.append(suppress_counts(part, req.rule_for(source)).assign(source=source))
        compare, compare_alt = with_alt(trend_figure(
            pd.concat(parts, ignore_index=True)[["source", "month", "count"]],
            req.context("Police-recorded and A&E-recorded serious violence by month",
                        source=None), rolling=False))
        return heat, heat_alt, nte, trend, trend_alt, season, season_alt, compare, compare_alt

    def how(self, query: str, **_) -> tuple:
        from dashboard.figures.bars import breakdown_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        out: list = []
        for dimension, title, override in HOW_CHARTS:
            f = req.filters.with_(source=override) if override else req.filters
            rule = req.rule_for(f.source)
            frame = suppress_counts(self.count(f, [dimension]), rule)
            is_group = dimension == "offence_group"
            labels = {g.key: g.label for g in req.definition.groups} if is_group else None
            ctx = req.context(title, source=f.source,
                              note="An event can fall in several groups." if is_group else "")
            out += with_alt(breakdown_figure(frame, dimension, ctx, labels=labels,
                                             min_events_for_share=rule.min_events_for_rate))
        return tuple(out)

    def who(self, query: str, **_) -> tuple:
        from dashboard.figures.bars import breakdown_figure
        from dashboard.figures.pyramid import pyramid_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        f = req.filters
        people = {"police": "Victims", "health": "Patients"}.get(f.source or "", "People")
        victims = self.count(f, ["sex", "age_band"]).dropna(subset=["age_band"])
        suspects = self.count(f.with_(source="police"), ["suspect_sex", "suspect_age_band"])
        suspects = suspects.dropna(subset=["suspect_age_band"]).reset_index(drop=True)
        figs = [
            pyramid_figure(suppress_counts(victims, req.rule),
                           req.context(f"{people} by age and sex")),
            pyramid_figure(suppress_counts(suspects, req.rule_for("police")),
                           req.context("Police-recorded suspects by age and sex",
                                       source="police"),
                           sex="suspect_sex", band="suspect_age_band"),
            breakdown_figure(suppress_counts(self.count(f, ["ethnicity"]), req.rule),
                             "ethnicity", req.context(f"{people} by ethnicity", note=(
                                 "Population by ethnicity is not loaded, so shares are of people "
                                 "with a record, not rates.")),
                             min_events_for_share=req.rule.min_events_for_rate),
        ]
        for src, by, title in (
            ("probation", "rosh_level", "Probation caseload by risk of serious harm"),
            ("probation", "index_offence_group", "Probation caseload by index offence"),
            ("youth_justice", "age", "Youth justice: children with proven offences by age"),
        ):
            rule = req.rule_for(src)
            figs.append(breakdown_figure(
                suppress_counts(self.count(f.with_(source=src), [by], people=True), rule), by,
                req.context(title, source=src, note="People counted once."),
                min_events_for_share=rule.min_events_for_rate, unit="People",
                ordered=by in ("rosh_level", "age")))
        yj = f.with_(source="youth_justice")
        d = self.by_source["youth_justice"]
        keys = d.loc[self.mask(d, yj), "person_key"].dropna()
        times = keys.value_counts()
        bucket = np.where(times >= 3, "3 or more", times.astype(str))
        repeat = pd.Series(bucket).value_counts().rename_axis("times").rename("count")
        repeat = repeat.reset_index().sort_values("times", ignore_index=True)
        rule = req.rule_for("youth_justice")
        figs.append(breakdown_figure(
            suppress_counts(repeat, rule), "times",
            req.context("Youth justice: proven offences per child in the period",
                        source="youth_justice"),
            labels={"1": "1 offence", "2": "2 offences", "3 or more": "3 or more offences"},
            min_events_for_share=rule.min_events_for_rate, unit="Children", ordered=True))
        out: list = []
        for fig in figs:
            out += with_alt(fig)
        return tuple(out)

    def _factor_frame(self, req, choice: str, cache: dict) -> tuple[pd.DataFrame, str, str]:

        kind, _, key = choice.partition(":")
        cat = self.indicator_catalogue().set_index("indicator_code")
        if kind == "ind" and key not in cat.index:
            kind, key = "imd", "imd"
        if kind == "ind":
            level = str(cat.loc[key, "level"])
            label = str(cat.loc[key, "indicator_name"])
            values = self.indicator_values(req.filters, key).rename(columns={"value": "factor"})
        else:
            key = key if key in IMD_DOMAINS else "imd"
            if "imd" not in cache:
                cache["imd"] = self.imd_scores(req.filters)
            scores = cache["imd"][cache["imd"]["domain"] == key]
            kind_word = ("score" if scores["is_score"].all()
                         else "national percentile, 100 = most deprived")
            level, label = "lsoa", f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
            values = scores[["area_code", "score"]].rename(columns={"score": "factor"})
        if level not in cache:
            cache[level] = self.area_table(req.filters, level)
        frame = cache[level].merge(values[["area_code", "factor"]], on="area_code", how="inner")
        return frame, label, level

    def factors(self, query: str, choice: str = "imd:imd", **_) -> tuple:
        from dashboard.analysis.stats import correlate
        from dashboard.components import table
        from dashboard.figures.bars import rate_bars_figure
        from dashboard.figures.scatter import factor_scatter_figure
        from svcore.disclosure import suppress_counts, suppress_rates

        req = self.request(query)
        options = [{"label": f"IMD 2019: {name}", "value": f"imd:{key}"}
                   for key, name in IMD_DOMAINS.items()]
        for r in self.indicator_catalogue().itertuples():
            options.append({"label": f"{r.indicator_name} ({r.level})",
                            "value": f"ind:{r.indicator_code}"})
        cache: dict = {}
        frame, label, level = self._factor_frame(req, choice or "imd:imd", cache)
        corr = correlate(frame["factor"], frame["rate"])
        shown = suppress_rates(suppress_counts(frame, req.rule), req.rule)
        ctx = req.context(f"Violence rate against {label}", note=(
            f"Each point is an area ({level}); areas with fewer than "
            f"{req.rule.min_events_for_rate} events are not drawn but are in the correlation."))
        scatter, scatter_alt = with_alt(factor_scatter_figure(
            shown, corr, ctx, x_title=label, y_title="Rate per 1,000 residents a year"))
        rows = []
        for opt in options:
            f2, lab, lvl = self._factor_frame(req, opt["value"], cache)
            c = correlate(f2["factor"], f2["rate"])
            rows.append({"factor": lab, "level": lvl, "n": c.n, "r": c.r, "low": c.r_low,
                         "high": c.r_high, "rho": c.rho})
        ranked = pd.DataFrame(rows)
        ranked = ranked.reindex(ranked["r"].abs().sort_values(ascending=False).index)
        ranked_table = table(
            ranked, [("factor", "Factor"), ("level", "Areas"), ("n", "n"), ("r", "Pearson r"),
                     ("low", "95% CI low"), ("high", "95% CI high"), ("rho", "Spearman rho")],
            caption="Area factors ranked by the strength of their correlation with the violence "
                    "rate", formats={"r": ".2f", "low": ".2f", "high": ".2f", "rho": ".2f"},
            note="Correlations across areas (ecological): they describe places, not "
                 "individuals. District-level indicators rest on very few areas; read their "
                 "intervals.")
        deciles = suppress_rates(suppress_counts(self.decile_profile(req.filters), req.rule),
                                 req.rule)
        decile_fig, decile_alt = with_alt(rate_bars_figure(
            deciles, "decile",
            req.context("Violence rate by deprivation decile (IMD 2019, 1 = most deprived)"),
            x_title="Decile"))
        return options, scatter, scatter_alt, ranked_table, decile_fig, decile_alt

    def quality(self, query: str, **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.coverage import coverage_figure
        from svcore.disclosure import suppress_counts
        from svcore.vocab import SOURCES

        req = self.request(query)
        parts = self.parts
        live = parts[parts["active"] & parts["table_name"].isin(list(SOURCES))]
        cov = live.groupby(["table_name", "period_key"], sort=True)["rows"].sum().reset_index()
        cov = cov.rename(columns={"table_name": "feed", "period_key": "month"})
        cov = suppress_counts(cov, req.rule_for(None), column="rows")
        fig, alt = with_alt(coverage_figure(
            cov, req.context("Rows loaded per feed and month", source=None)))
        rows = []
        for source in SOURCES:
            d = self.by_source[source]
            sex = d["sex"]
            rows.append({"feed": source, "rows": len(d), "lsoa": int(d["lsoa_code"].notna().sum()),
                         "time_of_day": int(d["hour"].notna().sum()),
                         "age": int(d["age"].notna().sum()),
                         "sex": int((sex.notna() & (sex != "unknown")).sum())})
        comp = pd.DataFrame(rows)
        for field, _ in QUALITY_FIELDS:
            share = comp[field] / comp["rows"].where(comp["rows"] > 0)
            comp[field] = ["not in this feed" if n == 0 else f"{s:.1%}"
                           for n, s in zip(comp[field], share, strict=True)]
        comp["feed"] = comp["feed"].map(lambda s: SOURCES.get(s, s))
        completeness_table = table(
            comp, [("feed", "Feed"), ("rows", "Rows"), *QUALITY_FIELDS],
            caption="Share of live rows with each key field recorded", formats={"rows": ","})
        per = parts[parts["table_name"].isin(list(SOURCES))].merge(
            self.loads[["load_id", "finished_at"]], on="load_id").groupby(
            ["table_name", "period_key"])["finished_at"].min().reset_index()
        month_end = pd.to_datetime(per["period_key"], format="%Y-%m") + pd.offsets.MonthEnd(0)
        per["days"] = (per["finished_at"].dt.normalize() - month_end).dt.days
        tl = per.groupby("table_name").agg(latest_month=("period_key", "max"),
                                           last_load=("finished_at", "max"),
                                           median_days_to_load=("days", "median"))
        tl = tl.rename_axis("feed").reset_index()
        tl["feed"] = tl["feed"].map(lambda s: SOURCES.get(s, s))
        tl["last_load"] = tl["last_load"].astype(str).str[:16]
        timeliness_table = table(
            tl, [("feed", "Feed"), ("latest_month", "Latest month held"),
                 ("last_load", "Last load"),
                 ("median_days_to_load", "Median days from month end to load")],
            caption="How fresh each feed is", formats={"median_days_to_load": ",.0f"})
        q = self.quarantine.assign(reason=self.quarantine["reason"].str.split(": ").str[0])
        reasons = q.groupby(["feed", "column_name", "reason"]).agg(
            rows=("line", "size"), files=("file_name", "nunique"),
            example_file=("file_name", "min"), example_line=("line", "min"))
        reasons = reasons.reset_index().sort_values("rows", ascending=False)
        reasons_table = table(
            reasons,
            [("feed", "Feed"), ("column_name", "Column"), ("reason", "Reason"), ("rows", "Rows"),
             ("files", "Files"), ("example_file", "Example file"), ("example_line", "Line")],
            caption="Quarantined rows by reason (bad values are not shown: they may be personal "
                    "data)", formats={"rows": ",", "files": ","})
        hist = self.loads.sort_values("load_id", ascending=False).head(50).copy()
        hist["finished_at"] = hist["finished_at"].astype(str).str[:16]
        history = table(
            hist, [("load_id", "Load"), ("finished_at", "Finished"), ("feed", "Feed"),
                   ("partner", "Partner"), ("file_name", "File"), ("status", "Status"),
                   ("rows_read", "Read"), ("rows_loaded", "Loaded"),
                   ("rows_quarantined", "Quarantined"), ("rows_out_of_area", "Out of area"),
                   ("rows_excluded", "Excluded"), ("message", "Message")],
            caption="The latest 50 loads, newest first (svdash status lists them all)",
            formats={c: "," for c in ("rows_read", "rows_loaded", "rows_quarantined",
                                      "rows_out_of_area", "rows_excluded")})
        return fig, alt, completeness_table, timeliness_table, reasons_table, history


def pandas_wsgi(warehouse: str):
    """The baseline's Flask app: POST /page/<name> with {query, level, measure, choice}."""
    from flask import Flask, Response, request
    from plotly.io.json import to_json_plotly

    base = PandasBaseline(Path(warehouse))
    app = Flask("pandas-baseline")

    @app.get("/")
    def index():
        return "ok"

    @app.get("/geojson/<level>.json")
    def geojson(level: str):
        return Response(json.dumps(base.boundaries.get(level, {})), mimetype="application/json")

    @app.post("/page/<name>")
    def page(name: str):
        if name not in PAGES:
            return Response("unknown page", status=404)
        body = request.get_json()
        out = getattr(base, name)(**body)
        return Response(to_json_plotly({"response": list(out)}), mimetype="application/json")

    return app


def svdash_wsgi(warehouse: str):
    """The real app's Flask server, for gunicorn."""
    from dashboard.analysis.hotspots import warm_up
    from dashboard.app import create_app

    server = create_app(Path(warehouse)).server
    warm_up()  # as dashboard.wsgi does
    return server


# ---- servers, memory, load --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MemorySampler(threading.Thread):
    """Peak RSS and PSS of a process tree (the server and its workers), sampled in the
    background; ``mark()`` starts a new window so the timed run has its own peak."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_rss = self.peak_pss = 0
        self.window_rss = self.window_pss = 0
        self.last_rss = self.last_pss = 0

    def sample(self) -> None:
        import psutil

        rss = pss = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            try:
                info = p.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.last_rss, self.last_pss = rss, pss
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        self.window_rss, self.window_pss = max(self.window_rss, rss), max(self.window_pss, pss)

    def mark(self) -> None:
        self.sample()
        self.window_rss, self.window_pss = self.last_rss, self.last_pss

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()


@dataclass
class Server:
    kind: str
    url: str
    proc: subprocess.Popen
    log: Path
    startup_seconds: float
    description: str
    sampler: MemorySampler

    def stop(self) -> None:
        self.sampler.stop_event.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def start_server(kind: str, how: str, warehouse: Path, workers: int, threads: int,
                 logdir: Path) -> Server:
    import requests

    port = free_port()
    env = {**os.environ, "SVDASH_WAREHOUSE": str(warehouse),
           "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if how == "gunicorn":
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
               str(threads), "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
               "--timeout", "900", "--graceful-timeout", "10", "--backlog", "256",
               "--log-level", "warning", "--chdir", str(ROOT)]
        if kind == "pandas":
            cmd.append("--preload")  # load the frame once; workers share its pages
        cmd.append(f"callbacks:{kind}_wsgi({str(warehouse)!r})")
        description = (f"gunicorn gthread, {workers} workers x {threads} threads"
                       + (", --preload" if kind == "pandas" else ""))
    elif kind == "svdash":
        cmd = [sys.executable, "-m", "svdash.cli", "serve", "--port", str(port), "--no-demo"]
        description = "svdash serve (Dash/Flask development server, threaded, 1 process)"
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-pandas", str(warehouse),
               "--port", str(port)]
        description = "Flask development server, threaded, 1 process"
    log = logdir / f"server-{kind}-{port}.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1800
    while True:
        try:
            if requests.get(url + "/", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            sampler.stop_event.set()
            if proc.poll() is None:
                proc.kill()
            raise SystemExit(f"the {kind} server did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)
    return Server(kind, url, proc, log, time.perf_counter() - t0, description, sampler)


@dataclass(frozen=True)
class Item:
    page: str
    query: str
    level: str = "auto"
    measure: str = "rate"
    choice: str = "imd:imd"


def random_query(rng: np.random.Generator, wards: dict[str, list[str]]) -> str:
    pairs: list[tuple[str, str]] = []
    u = rng.random()
    districts = ([str(rng.choice(DISTRICTS))] if u < 0.5 else
                 [str(d) for d in rng.choice(DISTRICTS, 2, replace=False)] if u < 0.6 else [])
    pairs += [("district", d) for d in districts]
    if districts and wards.get(districts[0]) and rng.random() < 0.15:
        pairs.append(("ward", str(rng.choice(wards[districts[0]]))))
    u = rng.random()
    year = int(rng.integers(2021, 2026))
    if u < 0.2:
        pass  # every month held
    elif u < 0.55:
        pairs += [("from", f"{year}-01"), ("to", f"{year}-12")]
    elif u < 0.8:
        q = int(rng.integers(0, 4))
        pairs += [("from", f"{year}-{3 * q + 1:02d}"), ("to", f"{year}-{3 * q + 3:02d}")]
    else:  # the 12 months to a month
        end = pd.Period("2022-12", "M") + int(rng.integers(0, 37))
        pairs += [("from", str(end - 11)), ("to", str(end))]
    if rng.random() < 0.5:
        pairs.append(("group", str(rng.choice(GROUPS))))
    if rng.random() < 0.25:
        pairs.append(("source", "health"))
    return urllib.parse.urlencode(pairs)


def make_plan(seed: int, per_page: int, wards: dict[str, list[str]],
              factors: list[str]) -> list[Item]:
    """``per_page`` requests for every page with seeded filters, shuffled into one stream."""
    rng = np.random.default_rng(seed)
    plan = []
    for page in PAGES:
        for _ in range(per_page):
            q = random_query(rng, wards)
            if page == "where_map":
                level = str(rng.choice(["auto"] * 5 + ["district", "ward", "lsoa"]))
                plan.append(Item(page, q, level=level,
                                 measure=str(rng.choice(["rate", "rate", "count"]))))
            elif page == "where_gap":
                plan.append(Item(page, q, level=str(rng.choice(["auto"] * 3 + ["district"]))))
            elif page == "factors":
                plan.append(Item(page, q, choice=str(rng.choice(factors))))
            else:
                plan.append(Item(page, q))
    order = rng.permutation(len(plan))
    return [plan[i] for i in order]


def reference_choices(warehouse: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Wards per district and the factor choices (IMD domains and loaded indicators)."""
    from svcore.warehouse import connect_reader

    con = connect_reader(warehouse)
    try:
        rows = con.sql("SELECT DISTINCT district_code, ward_code FROM geography ORDER BY 1, 2"
                       ).fetchall()
        codes = [r[0] for r in con.sql(
            "SELECT DISTINCT indicator_code FROM indicators ORDER BY 1").fetchall()]
    finally:
        con.close()
    wards: dict[str, list[str]] = {}
    for district, ward in rows:
        wards.setdefault(district, []).append(ward)
    return wards, [f"imd:{k}" for k in IMD_DOMAINS] + [f"ind:{c}" for c in codes]


class Payloads:
    """Request bodies for one server: Dash's ``/_dash-update-component`` or the baseline's."""

    def __init__(self, server: Server) -> None:
        import requests

        self.server = server
        self.callbacks: dict[str, dict] = {}
        if server.kind == "svdash":
            deps = requests.get(server.url + "/_dash-dependencies", timeout=60).json()
            for page, first in FIRST_OUTPUT.items():
                for cb in deps:
                    outputs = self.outputs_of(cb["output"])
                    if outputs and outputs[0]["id"] == first:
                        self.callbacks[page] = {**cb, "outputs": outputs}
                        break
                else:
                    raise SystemExit(f"no callback for the {page} page in /_dash-dependencies")

    @staticmethod
    def outputs_of(output: str) -> list[dict]:
        """``..a.figure...b.children..`` (or ``a.figure``) -> [{id, property}, ...]."""
        text = output[2:-2] if output.startswith("..") else output
        out = []
        for part in text.split("..."):
            cid, _, prop = part.rpartition(".")
            if cid.startswith("{"):
                return []  # pattern-matching ids belong to other callbacks
            out.append({"id": cid, "property": prop})
        return out

    def request(self, item: Item) -> tuple[str, bytes]:
        if self.server.kind == "pandas":
            body = {"query": item.query, "level": item.level, "measure": item.measure,
                    "choice": item.choice}
            return f"{self.server.url}/page/{item.page}", json.dumps(body).encode()
        cb = self.callbacks[item.page]
        values = {(ids.FILTERS, "data"): item.query, (ids.WHERE_LEVEL, "value"): item.level,
                  (ids.WHERE_MEASURE, "value"): item.measure,
                  (ids.FACTORS_CHOICE, "value"): item.choice}

        def filled(deps: list[dict]) -> list[dict]:
            return [{"id": d["id"], "property": d["property"],
                     "value": values.get((d["id"], d["property"]))} for d in deps]

        body = {
            "output": cb["output"], "outputs": cb["outputs"], "inputs": filled(cb["inputs"]),
            "changedPropIds": [f"{ids.FILTERS}.data"], "state": filled(cb.get("state", [])),
        }
        return f"{self.server.url}/_dash-update-component", json.dumps(body).encode()

    def ordered_outputs(self, item: Item, payload: dict) -> list:
        """The response's outputs as a list in the callback's order (as the baseline sends)."""
        if self.server.kind == "pandas":
            return payload["response"]
        resp = payload["response"]
        return [resp.get(o["id"], {}).get(o["property"]) for o in
                self.callbacks[item.page]["outputs"]]


HEADERS = {"Content-Type": "application/json"}


def verify(payloads: Payloads, items: list[Item]) -> dict[str, dict]:
    """One request per page, in turn: must be 200 and JSON with a response; returns per page
    the size, time and the string outputs (chart descriptions) to compare across servers."""
    import requests

    out = {}
    with requests.Session() as s:
        for item in items:
            url, body = payloads.request(item)
            t0 = time.perf_counter()
            r = s.post(url, data=body, headers=HEADERS, timeout=900)
            seconds = time.perf_counter() - t0
            if r.status_code != 200:
                raise SystemExit(f"{payloads.server.kind} {item.page}: HTTP {r.status_code}\n"
                                 f"{r.text[:2000]}\n(see {payloads.server.log})")
            payload = r.json()
            if "response" not in payload:
                raise SystemExit(f"{payloads.server.kind} {item.page}: no response in "
                                 f"{r.text[:500]}")
            values = payloads.ordered_outputs(item, payload)
            if any(v is None for v in values):
                raise SystemExit(f"{payloads.server.kind} {item.page}: missing outputs")
            out[item.page] = {"bytes": len(r.content), "seconds": seconds,
                              "texts": [v for v in values if isinstance(v, str)]}
    return out


def drive(payloads: Payloads, plan: list[Item], clients: int,
          time_limit: float | None) -> tuple[list[tuple[str, float, bool]], float, int]:
    """``clients`` threads, each with its own session, pull the next item until none is left.

    Returns (page, seconds, ok) per request, the wall time and how many were not sent because
    the time limit was reached.
    """
    import requests

    bodies = [payloads.request(item) for item in plan]
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    start = time.perf_counter()

    def client() -> list[tuple[str, float, bool]]:
        done = []
        with requests.Session() as s:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None or (time_limit and time.perf_counter() - start > time_limit):
                    return done
                url, body = bodies[i]
                t0 = time.perf_counter()
                try:
                    r = s.post(url, data=body, headers=HEADERS, timeout=900)
                    ok = r.status_code == 200 and b'"response"' in r.content[:64]
                except requests.RequestException:
                    ok = False
                done.append((plan[i].page, time.perf_counter() - t0, ok))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client) for _ in range(clients)]
        results = [r for fut in futures for r in fut.result()]
    wall = time.perf_counter() - start
    return results, wall, len(plan) - len(results)


def summarise(results: list[tuple[str, float, bool]], wall: float) -> dict:
    def stats(times: list[float]) -> dict:
        if not times:
            return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
        a = np.array(times) * 1000
        return {"n": len(a), "p50_ms": float(np.percentile(a, 50)),
                "p95_ms": float(np.percentile(a, 95)), "mean_ms": float(a.mean()),
                "max_ms": float(a.max())}

    pages = {p: stats([t for page, t, ok in results if page == p and ok]) for p in PAGES}
    errors = {p: sum(1 for page, _, ok in results if page == p and not ok) for p in PAGES}
    for p in PAGES:
        pages[p]["errors"] = errors[p]
    overall = stats([t for _, t, ok in results if ok])
    overall["errors"] = sum(errors.values())
    return {"pages": pages, "overall": overall, "wall_seconds": wall,
            "requests_per_second": len(results) / wall if wall else None}


def run_server(kind: str, args: argparse.Namespace, warehouse: Path, plan: list[Item],
               warmup: list[Item], checks: list[Item], say: Callable[[str], None]) -> dict:
    logdir = args.workdir / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    say(f"{kind}: starting ({args.server}) ...")
    server = start_server(kind, args.server, warehouse, args.workers, args.threads, logdir)
    try:
        say(f"{kind}: up in {server.startup_seconds:.1f} s ({server.description}); "
            f"RSS {server.sampler.last_rss / MB:,.0f} MB")
        payloads = Payloads(server)
        checked = verify(payloads, checks)
        say(f"{kind}: every page answered 200 with a response; first-call times: "
            + ", ".join(f"{p} {c['seconds'] * 1000:,.0f} ms/{c['bytes'] / 1024:,.0f} KiB"
                        for p, c in checked.items()))
        drive(payloads, warmup, args.clients, None)
        server.sampler.mark()
        idle_rss, idle_pss = server.sampler.last_rss, server.sampler.last_pss
        say(f"{kind}: warmed up; timing {len(plan)} requests from {args.clients} clients ...")
        results, wall, skipped = drive(payloads, plan, args.clients, args.time_limit)
        server.sampler.sample()
        summary = summarise(results, wall)
        summary.update({
            "server": server.description, "startup_seconds": server.startup_seconds,
            "skipped_for_time_limit": skipped,
            "rss_mb_after_warmup": idle_rss / MB, "pss_mb_after_warmup": idle_pss / MB,
            "rss_mb_peak_during_run": server.sampler.window_rss / MB,
            "pss_mb_peak_during_run": server.sampler.window_pss / MB,
            "rss_mb_peak_lifetime": server.sampler.peak_rss / MB,
            "pss_mb_peak_lifetime": server.sampler.peak_pss / MB,
            "verification": {p: {k: v for k, v in c.items() if k != "texts"}
                             for p, c in checked.items()},
        })
        say(f"{kind}: {len(results)} requests in {wall:.0f} s "
            f"({summary['requests_per_second']:.2f}/s), errors {summary['overall']['errors']}, "
            f"peak RSS {summary['rss_mb_peak_during_run']:,.0f} MB")
        return {"summary": summary, "texts": {p: c["texts"] for p, c in checked.items()}}
    finally:
        server.stop()


def compare_texts(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict:
    """How many chart descriptions (they carry the numbers) the two servers agree on."""
    same = total = 0
    differ = []
    for page in PAGES:
        for x, y in zip(a.get(page, []), b.get(page, []), strict=False):
            total += 1
            if x == y:
                same += 1
            else:
                differ.append({"page": page, "svdash": x[:300], "pandas": y[:300]})
    return {"same": same, "total": total, "differences": differ}


# ---- report ----------------------------------------------------------------------------------


def fmt_ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def ratios(servers: dict) -> dict:
    """pandas / svdash for p50 and p95, per page and overall (above 1: svdash is faster)."""
    def pick(kind: str, page: str) -> dict:
        x = servers[kind]
        return x["overall"] if page == "overall" else x["pages"][page]

    return {page: {q: ratio(pick("pandas", page)[f"{q}_ms"], pick("svdash", page)[f"{q}_ms"])
                   for q in ("p50", "p95")} for page in (*PAGES, "overall")}


def print_report(result: dict, console) -> None:
    from rich.table import Table

    sv, pd_ = result["servers"]["svdash"], result["servers"]["pandas"]
    cfg = result["config"]
    t = Table(title=f"{result['events']:,} police events · {cfg['clients']} clients · "
                    f"{cfg['requests_per_page']} requests per page · {sv['server']}",
              title_justify="left")
    t.add_column("page")
    for col in ("n", "svdash p50 ms", "svdash p95 ms", "pandas p50 ms", "pandas p95 ms",
                "p50 ratio", "p95 ratio"):
        t.add_column(col, justify="right")
    rows = [(p, sv["pages"][p], pd_["pages"][p]) for p in PAGES]
    rows.append(("all pages", sv["overall"], pd_["overall"]))
    for name, a, b in rows:
        r50, r95 = ratio(b["p50_ms"], a["p50_ms"]), ratio(b["p95_ms"], a["p95_ms"])
        t.add_row(name, f"{a['n']}/{b['n']}", fmt_ms(a["p50_ms"]), fmt_ms(a["p95_ms"]),
                  fmt_ms(b["p50_ms"]), fmt_ms(b["p95_ms"]),
                  "–" if r50 is None else f"{r50:.2f}x", "–" if r95 is None else f"{r95:.2f}x",
                  end_section=name == PAGES[-1])
    console.print(t)
    s = Table(title="servers (ratio = pandas / svdash: above 1 means svdash is faster)",
              title_justify="left")
    for col in ("server", "req/s", "errors", "wall s", "start s", "RSS idle MB",
                "RSS peak MB", "PSS peak MB"):
        s.add_column(col, justify="right" if col != "server" else "left")
    for name, x in (("svdash", sv), ("pandas", pd_)):
        s.add_row(name, f"{x['requests_per_second']:.2f}", str(x["overall"]["errors"]),
                  f"{x['wall_seconds']:.0f}", f"{x['startup_seconds']:.1f}",
                  f"{x['rss_mb_after_warmup']:,.0f}", f"{x['rss_mb_peak_during_run']:,.0f}",
                  f"{x['pss_mb_peak_during_run']:,.0f}")
    console.print(s)
    b = result["build"]
    console.print(
        f"warehouse: {b['events_by_source'].get('police', 0):,} police events "
        f"({sum(b['events_by_source'].values()):,} events in all) in {b['police_parts']} police "
        f"parts, {b['size_mb']:,.0f} MB; built in {b['build_seconds']:.0f} s (demo "
        f"{b['demo_seconds']:.0f} s, generate {b['generate_seconds']:.0f} s, load "
        f"{b['load_seconds']:.0f} s){' [cached: not rebuilt this run]' if b['cached'] else ''}")
    agree = result["equivalence"]
    console.print(f"baseline check: {agree['same']} of {agree['total']} chart descriptions "
                  "identical between svdash and pandas for the verification requests")
    for d in agree["differences"][:5]:
        console.print(f"  differs on {d['page']}: svdash {d['svdash'][:140]!r}\n"
                      f"{'':>14} pandas {d['pandas'][:140]!r}", highlight=False, markup=False)


def code_state() -> dict:
    """The commit measured, and whether the app's code had uncommitted changes."""
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = git("status", "--porcelain", "--", "dashboard", "svcore", "etl", "svdash")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted": dirty.splitlines()}


def machine() -> dict:
    import dash
    import duckdb
    import plotly
    import psutil

    return {"cpus": os.cpu_count(), "memory_gb": psutil.virtual_memory().total / 1024 ** 3,
            "python": platform.python_version(), "platform": platform.platform(),
            "dash": dash.__version__, "duckdb": duckdb.__version__, "pandas": pd.__version__,
            "plotly": plotly.__version__}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, action="append",
                    help="police events in the warehouse (repeatable; default 1M and 10M)")
    ap.add_argument("--requests-per-page", type=int,
                    help="requests per page callback (default 100; 50 above 2M events)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--server", choices=("gunicorn", "dev"), default="gunicorn")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="stop sending after this many seconds per server (default: none)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/svdash-bench"))
    ap.add_argument("--only", choices=("svdash", "pandas"), help="run one server only")
    ap.add_argument("--build-only", action="store_true", help="build (or reuse) the warehouses")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 200k events, 5 requests per page")
    ap.add_argument("--serve-pandas", metavar="WAREHOUSE", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_pandas:
        pandas_wsgi(args.serve_pandas).run(host="127.0.0.1", port=args.port, threaded=True)
        return 0

    from rich.console import Console
    from rich.markup import escape

    console = Console()
    if not console.is_terminal:  # piped to a file: wide enough for the tables
        console = Console(width=120)

    def say(msg: str) -> None:
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}", highlight=False)

    if args.quick:
        args.events = args.events or [200_000]
        args.requests_per_page = min(args.requests_per_page or 5, 5)
    events_list = args.events or [1_000_000, 10_000_000]
    args.workdir.mkdir(parents=True, exist_ok=True)
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    kinds = [args.only] if args.only else ["svdash", "pandas"]
    failed = False
    for events in events_list:
        build = build_warehouse(args.workdir, events, args.seed, say)
        if args.build_only:
            continue
        warehouse = Path(build["warehouse"])
        wards, factors = reference_choices(warehouse)
        per_page = args.requests_per_page or (100 if events <= 2_000_000 else 50)
        plan = make_plan(args.seed, per_page, wards, factors)
        warmup = make_plan(args.seed + 1, 2, wards, factors)
        checks = [next(i for i in plan if i.page == page) for page in PAGES]
        config = {"clients": args.clients, "requests_per_page": per_page,
                  "distinct_requests": len(set(plan)), "requests": len(plan),
                  "server": args.server, "workers": args.workers, "threads": args.threads,
                  "seed": args.seed, "time_limit": args.time_limit, "pages": list(PAGES)}
        out = results_dir / f"callbacks-{events}.json"
        result = {"events": events, "build": build, "servers": {}, "texts": {},
                  "config": config, "machine": machine()}
        if args.only and out.exists():  # keep the other server's run of the same plan
            old = json.loads(out.read_text())
            if old.get("config") == config:
                for kind in old.get("servers", {}):
                    if kind != args.only:
                        result["servers"][kind] = old["servers"][kind]
                        result["texts"][kind] = old.get("texts", {}).get(kind, {})
        for kind in kinds:
            code = code_state()
            try:
                got = run_server(kind, args, warehouse, plan, warmup, checks, say)
            except SystemExit as exc:  # report it, keep what the other server measured
                say(f"[red]{kind} failed:[/] {escape(str(exc))}")
                result["servers"].pop(kind, None)
                result.setdefault("failures", {})[kind] = str(exc)[:4000]
                continue
            result["servers"][kind] = {**got["summary"], "code": code}
            result["texts"][kind] = got["texts"]
            result["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
            out.write_text(json.dumps(result, indent=2, default=str))
        servers = result["servers"]
        if {"svdash", "pandas"} <= set(servers):
            result["equivalence"] = compare_texts(result["texts"]["svdash"],
                                                  result["texts"]["pandas"])
            result["ratios"] = ratios(servers)
            print_report(result, console)
        out.write_text(json.dumps(result, indent=2, default=str))
        say(f"results written to {out}")
        failed = failed or bool(result.get("failures"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
