"""Violence rates by IMD 2019 deprivation decile (1 = most deprived tenth of LSOAs in England)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, rollups
from dashboard.queries.areas import months_covered, population_year
from dashboard.queries.counts import events_relation, measure_sql, where_clause
from dashboard.queries.scope import area_conditions
from svcore.disclosure import KEY_SPACE, cell_key_sql
from svcore.sql import Params


def decile_profile(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """decile, count, its cell key, population and person-years — aggregated in DuckDB."""
    params = Params()
    year = population_year(con, filters)
    scope = ["TRUE", *area_conditions(filters, params, "g")]
    table = rollups.choose(con, filters, ["lsoa"])
    if table is None:
        where = where_clause(filters, params)
        count, ckey = measure_sql(filters), cell_key_sql("e", filters.source == "probation")
        relation, alias = events_relation(filters.source), "e"
    else:  # the same counts from the LSOA rollup
        where, count, ckey = rollups.where_clause(filters, params), rollups.COUNT, rollups.CKEY
        relation, alias = table, "r"
    sql = (
        "WITH dec AS (SELECT i.lsoa_code, i.decile FROM imd i JOIN geography g "
        f"ON g.lsoa_code = i.lsoa_code WHERE i.domain = 'imd' AND {' AND '.join(scope)}), "
        f"ev AS (SELECT d.decile, {count} AS count, {ckey} AS ckey FROM {relation} {alias} "
        f"JOIN dec d ON d.lsoa_code = {alias}.lsoa_code WHERE {where} GROUP BY 1), "
        "pop AS (SELECT d.decile, sum(p.population) AS population FROM population p "
        f"JOIN dec d ON d.lsoa_code = p.area_code WHERE p.year = {params.add(year or 0)} "
        "GROUP BY 1) "
        "SELECT pop.decile, coalesce(ev.count, 0) AS count, coalesce(ev.ckey, 0) AS ckey, "
        "pop.population FROM pop "
        "LEFT JOIN ev USING (decile) ORDER BY 1"
    )
    out = execute(con, sql, params.values)
    months = months_covered(con, filters)
    out["count"] = out["count"].astype("int64")
    out["ckey"] = out["ckey"].astype("int64")
    out["person_years"] = out["population"].astype("float64") * months / 12
    return out


def deciles_from_areas(lsoas: pd.DataFrame, imd: pd.DataFrame, months: int) -> pd.DataFrame:
    """``decile_profile`` from the LSOA ``area_table`` (count, ckey, population per LSOA) and
    the LSOAs' IMD deciles (``factors.imd_scores``): the LSOA counts an analyst's page has
    already queried, summed by decile, instead of another scan of the events. A cell's key is
    the sum of its records' keys (mod 256), so the LSOAs' keys sum to the decile's. Not for
    counts of distinct people (probation): a person in two LSOAs of a decile is one person.
    """
    deciles = imd.loc[imd["domain"] == "imd", ["area_code", "decile"]]
    rows = lsoas[["area_code", "count", "ckey", "population"]].merge(deciles, on="area_code")
    out = (
        rows.groupby("decile", sort=True)
        .agg(
            count=("count", "sum"),
            ckey=("ckey", "sum"),
            population=("population", lambda p: p.sum(min_count=1)),
        )
        .reset_index()
    )
    out = out[out["population"].notna()].reset_index(drop=True)  # deciles with residents
    out["decile"] = out["decile"].astype("int64")
    out["count"] = out["count"].astype("int64")
    out["ckey"] = (out["ckey"] % KEY_SPACE).astype("int64")
    out["population"] = out["population"].astype("float64")
    out["person_years"] = out["population"] * months / 12
    return out
