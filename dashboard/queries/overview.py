"""Queries behind the overview page: latest month, monthly trend, what is loaded, the pickers."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, scalar
from dashboard.queries.counts import count_table, events_relation
from svcore.sql import Params


def latest_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    params = Params()
    where = "TRUE"
    if filters.source:
        where = f"source = {params.add(filters.source)}"
    value = scalar(
        con,
        f"SELECT strftime(max(period), '%Y-%m') FROM {events_relation(filters.source)} WHERE {where}",
        params.values,
    )
    return None if value is None else str(value)


def first_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    """The first month the filters' source holds (YYYY-MM)."""
    params = Params()
    where = "TRUE"
    if filters.source:
        where = f"source = {params.add(filters.source)}"
    value = scalar(
        con,
        f"SELECT strftime(min(period), '%Y-%m') FROM {events_relation(filters.source)} WHERE {where}",
        params.values,
    )
    return None if value is None else str(value)


def monthly_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Serious-violence events per month (the filters' source, or every source)."""
    by = ["month"] if filters.source else ["source", "month"]
    return count_table(con, filters, by)


def loaded_feeds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per feed: rows live, months covered and when it was last loaded."""
    return execute(
        con,
        "SELECT p.table_name AS feed, sum(p.rows) AS rows, min(p.period_key) AS first_period, "
        "max(p.period_key) AS last_period, list(DISTINCT p.period_key ORDER BY p.period_key) "
        "AS periods, max(l.finished_at) AS last_load "
        "FROM parts p JOIN loads l USING (load_id) WHERE p.active AND p.table_name <> 'quarantine' "
        "GROUP BY 1 ORDER BY 1",
    )


def months_available(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month from the first to the last event held (YYYY-MM), for the period pickers."""
    rows = con.sql(
        "SELECT strftime(m, '%Y-%m') FROM (SELECT unnest(generate_series(min(period), "
        "max(period), INTERVAL 1 MONTH)) AS m FROM events WHERE period IS NOT NULL) ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def wards_of(con: duckdb.DuckDBPyConnection, districts: list[str]) -> list[tuple[str, str]]:
    """(ward code, ward name) inside the districts (every ward when none are chosen)."""
    params: dict = {}
    where = "TRUE"
    if districts:
        where, params = "district_code = ANY($d)", {"d": list(districts)}
    return [
        (r[0], r[1] or r[0])
        for r in con.sql(
            f"SELECT ward_code, any_value(ward_name) FROM geography WHERE {where} "
            "GROUP BY 1 ORDER BY 2",
            params=params,
        ).fetchall()
    ]


def districts_held(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [
        (r[0], r[1] or r[0])
        for r in con.sql(
            "SELECT district_code, any_value(district_name) FROM geography GROUP BY 1 ORDER BY 2"
        ).fetchall()
    ]


def area_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """GSS code -> name for every district and ward (for titles and notes)."""
    rows = con.sql(
        "SELECT district_code, any_value(district_name) FROM geography GROUP BY 1 UNION ALL "
        "SELECT ward_code, any_value(ward_name) FROM geography GROUP BY 1"
    ).fetchall()
    return {code: name for code, name in rows if name}
