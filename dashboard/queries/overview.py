"""Queries behind the overview page: headline counts, monthly trend, what is loaded."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries import execute, scalar
from dashboard.queries.counts import count_table, events_relation
from svcore.definitions import Params
from svcore.vocab import SOURCES


def latest_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    params = Params()
    where = "TRUE"
    if filters.source:
        where = f"source = {params.add(filters.source)}"
    value = scalar(con, f"SELECT strftime(max(period), '%Y-%m') FROM {events_relation(filters.source)} WHERE {where}", params.values)
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
        "max(p.period_key) AS last_period, max(l.finished_at) AS last_load "
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


def _last_two_years(monthly: pd.DataFrame) -> tuple[int, int | None, str | None]:
    """Events in the last 12 months of ``monthly`` and the 12 before (None if not all held)."""
    if monthly.empty:
        return 0, None, None
    counts = monthly.set_index("month")["count"].astype("int64")
    last = counts.index.max()
    months = pd.period_range(end=pd.Period(last, "M"), periods=24, freq="M").strftime("%Y-%m")
    recent = int(counts.reindex(months[12:]).fillna(0).sum())
    held = counts.index.min() <= months[0]
    before = int(counts.reindex(months[:12]).fillna(0).sum()) if held else None
    return recent, before, last


def headline(con: duckdb.DuckDBPyConnection, filters: Filters, rule) -> dict:
    """The count (suppressed), annual rate per 1,000 and change on the previous 12 months."""
    from dashboard.queries.areas import months_covered, population_by_area, population_year
    from svcore.disclosure import suppress_counts

    total = count_table(con, filters, [])
    raw = int(total["count"].iloc[0]) if len(total) else 0
    shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
    pop = population_by_area(con, filters, "district", population_year(con, filters))
    people = float(pop["population"].sum()) if len(pop) else 0.0
    months = months_covered(con, filters)
    rate = raw / people / months * 12 * 1000 if people and months and raw >= rule.min_events_for_rate else None
    recent, before, last = _last_two_years(monthly_trend(con, filters) if filters.source else pd.DataFrame())
    change = None
    if before is not None and min(recent, before) >= rule.min_events_for_rate:
        change = recent / before - 1
    return {"count": shown, "rate": rate, "change": change, "last12": recent, "last_month": last}


def source_totals(settings, con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """source, count (suppressed by that source's rule), change on the previous 12 months."""
    from svcore.disclosure import rule_for, suppress_counts

    rows = []
    for source in SOURCES:
        f = filters.with_(source=source)
        rule = rule_for(settings, source)
        monthly = monthly_trend(con, f)
        raw = int(monthly["count"].sum()) if len(monthly) else 0
        recent, before, _ = _last_two_years(monthly)
        change = None
        if before is not None and min(recent, before) >= rule.min_events_for_rate:
            change = recent / before - 1
        shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
        rows.append({"source": source, "count": shown, "change": change})
    return pd.DataFrame(rows)


def area_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """GSS code -> name for every district and ward (for titles and notes)."""
    rows = con.sql(
        "SELECT district_code, any_value(district_name) FROM geography GROUP BY 1 UNION ALL "
        "SELECT ward_code, any_value(ward_name) FROM geography GROUP BY 1"
    ).fetchall()
    return {code: name for code, name in rows if name}
