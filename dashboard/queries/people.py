"""Queries behind the "who" page: victims, suspects and the probation and youth-justice cohorts."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute
from dashboard.queries.counts import count_table, events_relation, where_clause
from svcore.disclosure import cell_key_sql
from svcore.sql import Params

PERSON_SOURCES = ("probation", "youth_justice")


def victim_pyramid(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """sex, age_band, count of victims (police) or patients (A&E) or people (cohorts)."""
    return count_table(con, filters, ["sex", "age_band"]).dropna(subset=["age_band"])


def suspect_pyramid(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """suspect_sex, suspect_age_band, count: police-recorded suspects (first named suspect)."""
    frame = count_table(con, filters.with_(source="police"), ["suspect_sex", "suspect_age_band"])
    return frame.dropna(subset=["suspect_age_band"]).reset_index(drop=True)


def ethnicity(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return count_table(con, filters, ["ethnicity"])


def cohort_profile(
    con: duckdb.DuckDBPyConnection, filters: Filters, source: str, by: str
) -> pd.DataFrame:
    """People in a probation or youth-justice cohort by one dimension (distinct people)."""
    if source not in PERSON_SOURCES:
        raise ValueError(f"{source} is not a cohort feed")
    return count_table(con, filters.with_(source=source), [by], people=True)


def repeat_presence(con: duckdb.DuckDBPyConnection, filters: Filters, source: str) -> pd.DataFrame:
    """times (1, 2, 3+), people: how often the same person appears in the period."""
    if source not in PERSON_SOURCES:
        raise ValueError(f"{source} is not a cohort feed")
    f = filters.with_(source=source)
    params = Params()
    where = where_clause(f, params)
    # Probation snapshots repeat monthly, so presence counts the months a person is on caseload.
    return execute(
        con,
        "SELECT CASE WHEN n >= 3 THEN '3 or more' ELSE CAST(n AS VARCHAR) END AS times, "
        f"count(*) AS count, {cell_key_sql('p', True, ref='p.person_key')} AS ckey "
        "FROM (SELECT e.person_key, count(*) AS n "
        f"FROM {events_relation(source)} e WHERE {where} AND e.person_key IS NOT NULL "
        "GROUP BY 1) p GROUP BY 1 ORDER BY 1",
        params.values,
    )
