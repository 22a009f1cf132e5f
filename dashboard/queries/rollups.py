"""Reading the rollups: which requests they answer, and the SQL that answers them.

``etl.rollups`` aggregates, at publish time, the counts the pages read (by ward and month,
by LSOA, by weekday and hour, by each breakdown) for every definition and offence group.
``count_table`` asks ``choose`` for the smallest rollup that holds every dimension a request
groups or filters by; when there is none (another dimension, a person-distinct count, a
definition the snapshot did not roll up, a "who" filter, a snapshot older than rollups) it reads events, with
the same result: the tests compare the two paths frame for frame.

``SVDASH_ROLLUPS=off`` in the environment makes every request read events.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import duckdb

from dashboard.filters import Filters
from dashboard.queries import snapshot_fact
from dashboard.queries.scope import area_conditions, period_and_click_conditions
from etl.rollups import ALL_GROUPS, DEFINITIONS_TABLE, TABLES_TABLE, fingerprint
from svcore.definitions import DefinitionError, load_definition
from svcore.disclosure import KEY_SPACE
from svcore.outcomes import OUTCOME_GROUPS
from svcore.sql import Params
from svcore.vocab import AGE_BANDS, SOURCES, WEEKDAYS

ENV = "SVDASH_ROLLUPS"
# Dimensions every rollup has (as columns of its rows), and how each reads from them.
BASE_DIMENSIONS = frozenset({"source", "district", "ward", "month", "year", "offence_group"})
DIMENSIONS: dict[str, str] = {
    "source": "r.source",
    "district": "r.district_code",
    "ward": "r.ward_code",
    "lsoa": "r.lsoa_code",
    "month": "r.period",
    "year": "CAST(year(r.period) AS INTEGER)",
    "offence_group": "r.grp",
}
# The click filters, as (Filters field, rollup dimension).
CLICKS = (("weapon", "weapon"), ("location", "location_type"), ("weekday", "weekday"))


def _band_floor(column: str) -> str:
    whens = " ".join(f"WHEN '{label}' THEN {lo}" for label, lo, _ in AGE_BANDS)
    return f"CASE {column} {whens} END"


# The sort keys of ``counts.ORDER`` in rollup terms: ``min(isodow(event_date))`` is the
# weekday's place in the week, ``min(age)`` orders bands as their lowest age does.
ORDER: dict[str, str] = {
    "weekday": "min(list_position([" + ", ".join(f"'{d}'" for d in WEEKDAYS) + "], r.weekday))",
    "age_band": f"min({_band_floor('r.age_band')})",
    "suspect_age_band": f"min({_band_floor('r.suspect_age_band')})",
    "outcome_group": "min(list_position(["
    + ", ".join(f"'{k}'" for k in OUTCOME_GROUPS)
    + "], r.outcome_group))",
}
COUNT = "CAST(coalesce(sum(r.n), 0) AS BIGINT)"
CKEY = f"CAST(coalesce(sum(r.keysum), 0) % {KEY_SPACE} AS INTEGER)"


def enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() not in ("0", "off", "false", "no")


def needed(filters: Filters, by: Iterable[str]) -> frozenset[str]:
    """The dimensions a request reads beyond every rollup's own: its ``by`` and its clicks."""
    dims = set(by) - BASE_DIMENSIONS
    dims |= {dim for field, dim in CLICKS if getattr(filters, field) is not None}
    if filters.hour is not None:
        dims.add("hour")
    return frozenset(dims)


def choose(
    con: duckdb.DuckDBPyConnection, filters: Filters, by: Iterable[str], people: bool = False
) -> str | None:
    """The smallest rollup that answers the request exactly, or None to read events.

    Rollups hold counts of events for every source, definition and group: they cannot count
    distinct people (``people``, a probation caseload), and they answer a definition only if
    the snapshot rolled up this very definition (same groups and rules: the fingerprint)."""
    if not enabled() or people or filters.source == "probation":
        return None
    if filters.has_who():
        return None  # rollups hold no person's age band, sex and ethnicity together per source
    if filters.source is not None and filters.source not in SOURCES:
        return None  # the events path says why
    try:
        definition = load_definition(filters.definition)
    except DefinitionError:
        return None
    if filters.group and filters.group not in definition.group_keys():
        return None
    want = needed(filters, by)
    stamp = fingerprint(definition)
    rows = snapshot_fact(
        con,
        ("rollup_tables", filters.definition, stamp),
        lambda: _tables(con, filters.definition, stamp),
    )
    for name, dims, _rows in rows:
        if want <= dims:
            return name
    return None


def _tables(
    con: duckdb.DuckDBPyConnection, definition: str, fingerprint_: str
) -> tuple[tuple[str, frozenset[str], int], ...]:
    """The snapshot's rollups of this very definition, smallest first."""
    try:
        rows = con.execute(
            f"SELECT t.name, t.dimensions, t.rows FROM {TABLES_TABLE} t, {DEFINITIONS_TABLE} d "
            "WHERE d.definition = $d AND d.fingerprint = $f "
            "ORDER BY t.rows, len(t.dimensions), t.name",
            {"d": definition, "f": fingerprint_},
        ).fetchall()
    except duckdb.CatalogException:  # a snapshot published before rollups
        return ()
    return tuple((name, frozenset(dims), n) for name, dims, n in rows)


def where_clause(filters: Filters, params: Params, by_group: bool = False) -> str:
    """The filter bar over a rollup ``r``: the counterpart of ``counts.where_clause``.

    ``by_group``: the request groups by offence group, so it reads every group's rows (or the
    filter's group), not the all-violence rows."""
    conds = [f"r.definition = {params.add(filters.definition)}"]
    if by_group:
        conds.append(f"r.grp <> {params.add(ALL_GROUPS)}")
        if filters.group:
            conds.append(f"r.grp = {params.add(filters.group)}")
    else:
        conds.append(f"r.grp = {params.add(filters.group or ALL_GROUPS)}")
    if filters.source:
        conds.append(f"r.source = {params.add(filters.source)}")
    conds += area_conditions(filters, params, "r")
    conds += period_and_click_conditions(filters, params, "r")
    return " AND ".join(conds)


def count_sql(table: str, filters: Filters, by: list[str], params: Params) -> str:
    """``count_table``'s query over a rollup: the same columns, types and order."""
    dims = [f"{DIMENSIONS.get(d, f'r.{d}')} AS d_{d}" for d in by]
    where = where_clause(filters, params, by_group="offence_group" in by)
    sql = f"SELECT {', '.join([*dims, f'{COUNT} AS count', f'{CKEY} AS ckey'])} FROM {table} r "
    sql += f"WHERE {where}"
    if by:
        group_by = ", ".join(str(i + 1) for i in range(len(by)))
        order = ", ".join(f"{ORDER.get(d, f'd_{d}')} NULLS LAST" for d in by)
        sql += f" GROUP BY {group_by} ORDER BY {order}"
    return sql


def group_counts(
    con: duckdb.DuckDBPyConnection, table: str, filters: Filters
) -> dict[str, tuple[int, int]]:
    """Per offence group: (count, cell key), for ``counts._groups_one_pass``'s frame."""
    params = Params()
    rows = con.execute(
        f"SELECT r.grp, {COUNT}, {CKEY} FROM {table} r "
        f"WHERE {where_clause(filters, params, by_group=True)} GROUP BY 1",
        params.values,
    ).fetchall()
    return {grp: (int(n), int(k)) for grp, n, k in rows}
