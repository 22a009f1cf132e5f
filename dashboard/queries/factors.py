"""Queries behind the influential-factors page: area factors beside the violence rate.

Factors are IMD 2019 (overall and each domain, LSOA level) and any loaded indicator (at the
level it was published: ward or district). Rates come from ``areas.area_table``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute
from dashboard.queries.scope import area_conditions
from svcore.sql import Params
from svcore.vocab import ENGLAND_LSOAS_2019

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


def imd_scores(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """lsoa code, domain, score, decile for LSOAs in scope (decile 1 = most deprived).

    The published score where it was loaded (IoD File 5); otherwise the rank as a national
    percentile (IoD Files 1 and 2 carry ranks only), where 100 is the most deprived.
    """
    params = Params()
    conds = ["TRUE", *area_conditions(filters, params, "g")]
    return execute(
        con,
        "SELECT i.lsoa_code AS area_code, i.domain, CAST(coalesce(i.score, "
        f"100.0 * (1 - (i.rank - 1) / {params.add(float(ENGLAND_LSOAS_2019))})) AS DOUBLE) AS score, "
        "i.score IS NOT NULL AS is_score, i.decile "
        "FROM imd i JOIN geography g ON g.lsoa_code = i.lsoa_code "
        f"WHERE {' AND '.join(conds)} ORDER BY 1, 2",
        params.values,
    )


def indicator_catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """indicator_code, name, unit, level (ward/district), periods: what can be correlated."""
    return execute(
        con,
        "SELECT i.indicator_code, any_value(i.indicator_name) AS indicator_name, "
        "any_value(i.unit) AS unit, "
        "CASE WHEN bool_or(i.area_code IN (SELECT ward_code FROM geography)) THEN 'ward' "
        "WHEN bool_or(i.area_code IN (SELECT district_code FROM geography)) THEN 'district' "
        "ELSE 'lsoa' END AS level, max(i.period) AS latest_period "
        "FROM indicators i GROUP BY 1 ORDER BY 1",
    )


def indicator_values(
    con: duckdb.DuckDBPyConnection, filters: Filters, indicator_code: str | None = None
) -> pd.DataFrame:
    """indicator_code, area_code, value, period for every indicator (or the one asked): each
    at its latest period at or before the year the filters end in, else its earliest.

    One query for all of them, because the ranked-factors table and the risk index ask for every
    indicator on the same request: one scan of the small indicators table instead of one a code.
    """
    params = Params()
    end = filters.date_to[:4] if filters.date_to else "9999"
    only = f"AND indicator_code = {params.add(indicator_code)} " if indicator_code else ""
    return execute(
        con,
        "WITH chosen AS (SELECT indicator_code, coalesce(max(period) FILTER "
        f"(WHERE left(period, 4) <= {params.add(end)}), min(period)) AS period "
        f"FROM indicators WHERE TRUE {only}GROUP BY 1) "
        "SELECT i.indicator_code, i.area_code, CAST(i.value AS DOUBLE) AS value, i.period "
        "FROM indicators i JOIN chosen c ON c.indicator_code = i.indicator_code "
        "AND c.period = i.period WHERE i.value IS NOT NULL ORDER BY 1, 2",
        params.values,
    )
