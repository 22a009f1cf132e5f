"""Queries behind disproportionality: victims and suspects by Census ethnic group, age band
and sex, and the residents each group has in the area in scope (the rate denominators).

Counts come from ``count_table`` (raw, with cell keys: the views layer publishes them).
Residents are public reference data (Census 2021 TS021 by LSOA; ONS mid-year estimates by
LSOA, or by MSOA where no LSOA estimates by age are loaded) summed over the areas in scope.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, scalar
from dashboard.queries.counts import count_table
from dashboard.queries.scope import area_conditions
from svcore.sql import Params
from svcore.vocab import CENSUS_ETHNIC_GROUPS, age_band_sql

# Who is counted: (source, ethnicity, sex and age-band dimensions of ``count_table``).
PEOPLE = {
    "victims": ("police", "victim_ethnicity", "sex", "age_band"),
    "suspects": ("police", "suspect_ethnicity", "suspect_sex", "suspect_age_band"),
}


def _scope(filters: Filters, params: Params, alias: str = "g") -> str:
    return " AND ".join(["TRUE", *area_conditions(filters, params, alias)])


def people_by_ethnicity(con: duckdb.DuckDBPyConnection, filters: Filters, who: str) -> pd.DataFrame:
    """ethnic group (Census broad code, NULL for not stated or unrecorded), count, ckey."""
    source, dim, _, _ = PEOPLE[who]
    frame = count_table(con, filters.with_(source=source), [dim])
    return frame.rename(columns={dim: "ethnic_group"})


def people_by_age_sex(
    con: duckdb.DuckDBPyConnection, filters: Filters, who: str, by_sex: bool = True
) -> pd.DataFrame:
    """sex, age_band, count, ckey of police-recorded victims or suspects; without ``by_sex``
    each age band is one cell of both sexes (sex ``persons``), for persons-only estimates."""
    source, _, sex, band = PEOPLE[who]
    if not by_sex:
        frame = count_table(con, filters.with_(source=source), [band])
        frame.insert(0, "sex", "persons")
        return frame.rename(columns={band: "age_band"}).dropna(subset=["age_band"])
    frame = count_table(con, filters.with_(source=source), [sex, band])
    return frame.rename(columns={sex: "sex", band: "age_band"}).dropna(subset=["age_band"])


def census_year(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        year = scalar(con, "SELECT max(census_year) FROM census_ethnicity")
    except duckdb.CatalogException:  # a snapshot from before the feed existed
        return None
    return None if year is None else int(year)


def residents_by_ethnicity(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """ethnic_group (the five broad codes, in vocabulary order), residents: the latest
    Census's usual residents of the LSOAs in scope. Empty without the Census feed."""
    year = census_year(con)
    if year is None:
        return pd.DataFrame(
            {"ethnic_group": pd.Series(dtype="object"), "residents": pd.Series(dtype="float64")}
        )
    params = Params()
    frame = execute(
        con,
        "SELECT c.ethnic_group_broad AS ethnic_group, sum(c.population) AS residents "
        "FROM census_ethnicity c JOIN geography g ON g.lsoa_code = c.lsoa_code "
        f"WHERE c.census_year = {params.add(year)} AND {_scope(filters, params)} GROUP BY 1",
        params.values,
    )
    order = {code: i for i, code in enumerate(CENSUS_ETHNIC_GROUPS)}
    return frame.sort_values("ethnic_group", key=lambda s: s.map(order)).reset_index(drop=True)


def residents_by_age_sex(
    con: duckdb.DuckDBPyConnection, filters: Filters, year: int | None
) -> pd.DataFrame:
    """sex (F, M, or persons), age_band, residents, level: the mid-year estimate of ``year``
    for the areas in scope, from LSOA estimates by sex and age when loaded; else from MSOA
    estimates (by sex, or persons only as the SAPE tables are), which are placed in districts
    through the LSOA -> MSOA lookup and so serve district-wide or area-wide filters only (an
    MSOA is not inside one ward)."""
    empty = pd.DataFrame(
        {
            "sex": pd.Series(dtype="object"),
            "age_band": pd.Series(dtype="object"),
            "residents": pd.Series(dtype="float64"),
            "level": pd.Series(dtype="object"),
        }
    )
    if year is None:
        return empty
    params = Params()
    band = age_band_sql("p.age")
    frame = execute(
        con,
        f"SELECT p.sex, {band} AS age_band, sum(p.population) AS residents, 'lsoa' AS level "
        "FROM population p JOIN geography g ON g.lsoa_code = p.area_code "
        f"WHERE p.year = {params.add(year)} AND p.age IS NOT NULL AND p.sex IN ('F', 'M') "
        f"AND {_scope(filters, params)} GROUP BY 1, 2",
        params.values,
    )
    if len(frame) or filters.wards:
        return frame.dropna(subset=["age_band"]).reset_index(drop=True)
    params = Params()
    try:
        scalar(con, "SELECT count(*) FROM msoa_lookup")
    except duckdb.CatalogException:  # a snapshot from before the feed existed
        return empty
    frame = execute(
        con,
        f"SELECT p.sex, {band} AS age_band, sum(p.population) AS residents, 'msoa' AS level "
        "FROM population p JOIN (SELECT DISTINCT m.msoa_code, g.district_code "
        "  FROM msoa_lookup m JOIN geography g ON g.lsoa_code = m.lsoa_code) g "
        "ON g.msoa_code = p.area_code "
        f"WHERE p.year = {params.add(year)} AND p.age IS NOT NULL AND {_scope(filters, params)} "
        "GROUP BY 1, 2",
        params.values,
    )
    return frame.dropna(subset=["age_band"]).reset_index(drop=True) if len(frame) else empty


def age_population_year(con: duckdb.DuckDBPyConnection, filters: Filters) -> int | None:
    """The mid-year estimate by age used for rates: the period's last year, else the nearest
    year that has estimates by single year of age."""
    params = Params()
    target = int(filters.date_to[:4]) if filters.date_to else 9999
    year = scalar(
        con,
        "SELECT year FROM (SELECT DISTINCT year FROM population WHERE age IS NOT NULL) "
        f"ORDER BY abs(year - {params.add(target)}), year DESC LIMIT 1",
        params.values,
    )
    return None if year is None else int(year)
