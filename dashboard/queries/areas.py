"""Queries behind the map: counts and rates per area, the areas in scope, and their boundaries.

Rates are per 1,000 residents a year, so a five-year period and a single month are comparable:
``count / months * 12 / population * 1000``. Population is the ONS mid-year estimate of the
period's last year (or the nearest year loaded), summed from LSOA to ward and district.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, scalar
from dashboard.queries.counts import count_table
from dashboard.queries.scope import area_conditions
from svcore.sql import Params

LEVELS = ("district", "ward", "lsoa")
# Level -> the geography column holding its code (a whitelist: nothing else reaches SQL text).
_CODE = {"district": "district_code", "ward": "ward_code", "lsoa": "lsoa_code"}
_NAME = {"district": "district_name", "ward": "ward_name", "lsoa": "lsoa_name"}


def drill_level(filters: Filters) -> str:
    """The natural map level for the filters: wards inside districts, LSOAs inside wards."""
    if filters.wards:
        return "lsoa"
    if filters.districts:
        return "ward"
    return "district"


def _scope(filters: Filters, params: Params, alias: str = "g") -> str:
    return " AND ".join(["TRUE", *area_conditions(filters, params, alias)])


def areas_in_scope(con: duckdb.DuckDBPyConnection, filters: Filters, level: str) -> pd.DataFrame:
    """Every area of ``level`` inside the filter's districts/wards, with its name and parent."""
    params = Params()
    code, name = _CODE[level], _NAME[level]
    return execute(
        con,
        f"SELECT g.{code} AS area_code, any_value(g.{name}) AS area_name, "
        f"any_value(g.district_code) AS district_code, any_value(g.ward_code) AS ward_code "
        f"FROM geography g WHERE {_scope(filters, params)} GROUP BY 1 ORDER BY 1",
        params.values,
    )


def population_year(con: duckdb.DuckDBPyConnection, filters: Filters) -> int | None:
    """The mid-year estimate used for rates: the period's last year, else the nearest loaded."""
    params = Params()
    target = int(filters.date_to[:4]) if filters.date_to else 9999
    year = scalar(
        con,
        # LSOA estimates only: an MSOA-only year would leave every area without residents.
        "SELECT year FROM (SELECT DISTINCT year FROM population "
        "WHERE coalesce(level, 'lsoa') = 'lsoa') "
        f"ORDER BY abs(year - {params.add(target)}), year DESC LIMIT 1",
        params.values,
    )
    return None if year is None else int(year)


def population_by_area(
    con: duckdb.DuckDBPyConnection, filters: Filters, level: str, year: int | None
) -> pd.DataFrame:
    """Residents per area, summed from LSOA estimates (all ages, both sexes)."""
    if year is None:
        return pd.DataFrame({"area_code": [], "population": []})
    params = Params()
    code = _CODE[level]
    return execute(
        con,
        f"SELECT g.{code} AS area_code, sum(p.population) AS population "
        f"FROM population p JOIN geography g ON p.area_code = g.lsoa_code "
        f"WHERE p.year = {params.add(year)} AND p.sex IN ('F', 'M', 'persons') "
        f"AND {_scope(filters, params)} GROUP BY 1",
        params.values,
    )


def months_covered(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    """Months of data inside the period for the source (the denominator of annual rates)."""
    from dashboard.queries.overview import held_months

    lo, hi = filters.date_from or "0000-00", filters.date_to or "9999-99"
    return sum(1 for m in held_months(con, filters.source) if lo <= m <= hi)


def area_table(con: duckdb.DuckDBPyConnection, filters: Filters, level: str) -> pd.DataFrame:
    """Per area in scope: code, name, count (0 where none), its cell key, population and
    person-years (population x months / 12, the denominator of an annual rate).

    Raw: the views layer publishes the counts and computes rates from what it published.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return join_area_table(
        areas_in_scope(con, filters, level),
        count_table(con, filters, [level]),
        population_by_area(con, filters, level, population_year(con, filters)),
        months_covered(con, filters),
        level,
    )


def join_area_table(
    areas: pd.DataFrame, counts: pd.DataFrame, pop: pd.DataFrame, months: int, level: str
) -> pd.DataFrame:
    """``area_table`` from its parts, which the views layer memoises apart: the areas and
    residents depend only on the place (and the population year), so every period and offence
    group of a place shares them."""
    # Left joins on the area code, by position (``Index.get_indexer``: a few hundred
    # microseconds where two merges, fills and casts took ~8 ms a call; both lookups hold one
    # row per area, and a repeated code raises rather than doubling an area).
    codes = areas["area_code"]
    at = pd.Index(counts[level]).get_indexer(codes)
    held = at >= 0
    out = areas.reset_index(drop=True)
    for col in ("count", "ckey"):
        values = np.zeros(len(out), dtype="int64")
        values[held] = counts[col].to_numpy("int64")[at[held]]
        out[col] = values
    at = pd.Index(pop["area_code"]).get_indexer(codes)
    population = np.full(len(out), np.nan)
    population[at >= 0] = pop["population"].to_numpy("float64")[at[at >= 0]]
    out["population"] = population
    out["person_years"] = population * months / 12
    return out


def place_only(filters: Filters) -> Filters:
    """The filters an area lookup depends on (districts, wards, the viewer's scope), so the
    lookup is shared by every period, group and source of the same place."""
    return Filters(districts=filters.districts, wards=filters.wards, scope=filters.scope)


def year_end_only(filters: Filters) -> Filters:
    """What ``population_year`` (and an indicator's period) depends on: the year the period
    ends in, so every period ending in the same year shares the lookup."""
    return Filters(date_to=f"{filters.date_to[:4]}-12" if filters.date_to else None)


def period_only(filters: Filters) -> Filters:
    """What ``months_covered`` depends on: the source and the period."""
    return Filters(source=filters.source, date_from=filters.date_from, date_to=filters.date_to)


# LSOA boundaries of 2011 and 2021 may both be loaded (codes of unchanged areas are in both):
# draw the vintage of the geography lookup when it is loaded, else the latest, one per code.
ONE_VINTAGE = (
    "(level <> 'lsoa' OR vintage IS NULL OR vintage = coalesce((SELECT max(lsoa_year) "
    "FROM geography WHERE lsoa_year IN (SELECT vintage FROM boundaries WHERE level = 'lsoa')), "
    "(SELECT max(vintage) FROM boundaries WHERE level = 'lsoa'))) "
    "QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY vintage DESC NULLS LAST) = 1"
)


def boundaries(con: duckdb.DuckDBPyConnection, level: str, codes: list[str] | None) -> dict:
    """GeoJSON of the areas (every area of the level when ``codes`` is None), keyed by GSS code.

    Geometries were simplified at load time, so the whole of a partnership's LSOAs is a few
    hundred kilobytes; figures keep only the features they draw.
    """
    params: dict = {"level": level}
    where = "level = $level"
    if codes is not None:
        where += " AND area_code = ANY($codes)"
        params["codes"] = list(codes)
    rows = con.sql(
        f"SELECT area_code, geometry FROM boundaries WHERE {where} AND {ONE_VINTAGE}", params=params
    ).fetchall()
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": code, "properties": {}, "geometry": json.loads(geometry)}
            for code, geometry in rows
        ],
    }


def centroids(
    con: duckdb.DuckDBPyConnection, level: str, codes: list[str] | None = None
) -> pd.DataFrame:
    """Area centroids (for neighbour weights in hotspot statistics and the district names on
    maps), ordered by code: of ``codes``, or of every area of the level when None."""
    params: dict = {"level": level}
    where = "level = $level"
    if codes is not None:
        where += " AND area_code = ANY($codes)"
        params["codes"] = list(codes)
    return execute(
        con,
        "SELECT area_code, centroid_lon AS lon, centroid_lat AS lat FROM boundaries "
        f"WHERE {where} AND {ONE_VINTAGE} ORDER BY area_code",
        params,
    )
