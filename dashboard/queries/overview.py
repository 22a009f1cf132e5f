"""Queries behind the overview page: latest month, monthly trend, what is loaded, the pickers."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, snapshot_fact
from dashboard.queries.counts import count_table, events_relation
from svcore.vocab import SOURCES


def held_months(con: duckdb.DuckDBPyConnection, source: str | None) -> list[str]:
    """The months (YYYY-MM) an event source holds rows for, every source's when None.

    Read from the catalog's live parts, which are one per feed, partner and month: a few
    hundred rows instead of a scan of every event's period (40-70 ms at 10M events, and
    growing with them). A snapshot without a ``parts`` table reads the events instead; the
    tests compare the two answers."""
    return list(snapshot_fact(con, ("held_months", source), lambda: _held_months(con, source)))


def _held_months(con: duckdb.DuckDBPyConnection, source: str | None) -> tuple[str, ...]:
    feeds = list(SOURCES) if source is None else [source]
    try:
        rows = con.execute(
            "SELECT DISTINCT period_key FROM parts WHERE active AND rows > 0 "
            "AND table_name = ANY($feeds) ORDER BY 1",
            {"feeds": feeds},
        ).fetchall()
    except duckdb.CatalogException:
        return tuple(held_months_from_events(con, source))
    return tuple(str(r[0]) for r in rows)


def held_months_from_events(con: duckdb.DuckDBPyConnection, source: str | None) -> list[str]:
    """``held_months`` by scanning the events: the reference answer."""
    rows = con.execute(
        f"SELECT DISTINCT strftime(period, '%Y-%m') FROM {events_relation(source)} "
        "WHERE period IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def latest_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    """The last month the filters' source holds (every source's when None)."""
    months = held_months(con, filters.source)
    return months[-1] if months else None


def first_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    """The first month the filters' source holds (YYYY-MM; every source's when None)."""
    months = held_months(con, filters.source)
    return months[0] if months else None


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
    held = held_months(con, None)
    if not held:
        return []
    rows = con.execute(
        "SELECT strftime(m, '%Y-%m') FROM (SELECT unnest(generate_series("
        "strptime($a, '%Y-%m'), strptime($b, '%Y-%m'), INTERVAL 1 MONTH)) AS m) ORDER BY 1",
        {"a": held[0], "b": held[-1]},
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
