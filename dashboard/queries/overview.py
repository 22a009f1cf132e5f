"""Queries behind the overview page: headline counts, monthly trend, what is loaded."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute
from dashboard.queries.counts import count_table
from svcore.definitions import Params


def latest_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    params = Params()
    where = "TRUE"
    if filters.source:
        where = f"source = {params.add(filters.source)}"
    row = con.sql(
        f"SELECT strftime(max(period), '%Y-%m') FROM events WHERE {where}", params=params.values
    ).fetchone()
    return row[0] if row else None


def monthly_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Serious-violence events per month (the filters' source, or every source)."""
    by = ["month"] if filters.source else ["source", "month"]
    return count_table(con, filters, by)


def loaded_feeds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per feed: rows live, months covered and when it was last loaded."""
    return execute(
        con,
        "SELECT p.table_name AS feed, sum(p.rows) AS rows, min(p.period_key) AS first_period, "
        "max(p.period_key) AS last_period, max(l.finished_at) AS last_load "
        "FROM parts p JOIN loads l USING (load_id) WHERE p.active AND p.table_name <> 'quarantine' "
        "GROUP BY 1 ORDER BY 1",
    )
