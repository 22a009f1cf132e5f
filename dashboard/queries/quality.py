"""Queries behind the data-quality page: coverage, completeness, timeliness, loads, quarantine.

Quality is about files as partners sent them, so these queries look at every feed and ignore
the district and offence filters (a quarantined row may have no valid district at all).
Quarantine reasons are shown without the offending values: a bad cell can hold personal data.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.queries import execute
from svcore.definitions import CODE_COLUMNS, load_definition
from svcore.vocab import SOURCES


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """feed, month, rows: live rows per event feed and month, so a missing month shows."""
    feeds = list(SOURCES)
    return execute(
        con,
        "SELECT table_name AS feed, period_key AS month, sum(rows) AS rows FROM parts "
        "WHERE active AND table_name = ANY($feeds) GROUP BY 1, 2 ORDER BY 1, 2",
        {"feeds": feeds},
    )


def completeness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """feed, rows, and the share of rows with an LSOA, a time of day, an age and a sex."""
    selects = " UNION ALL ".join(
        f"SELECT '{source}' AS feed, count(*) AS rows, count(lsoa_code) AS lsoa, "
        f"count(hour) AS time_of_day, count(age) AS age, "
        f"count(CASE WHEN sex IS NOT NULL AND sex <> 'unknown' THEN 1 END) AS sex "
        f"FROM events_{source}"
        for source in SOURCES
    )
    return execute(con, selects)


def timeliness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """feed, latest month held, last load, and days from a month's end to its (first) load."""
    return execute(
        con,
        "WITH per_period AS ("
        "  SELECT p.table_name AS feed, p.period_key, min(l.finished_at) AS loaded_at "
        "  FROM parts p JOIN loads l USING (load_id) "
        "  WHERE p.table_name = ANY($feeds) GROUP BY 1, 2) "
        "SELECT feed, max(period_key) AS latest_month, max(loaded_at) AS last_load, "
        "median(date_diff('day', last_day(strptime(period_key, '%Y-%m')), loaded_at)) "
        "AS median_days_to_load FROM per_period GROUP BY 1 ORDER BY 1",
        {"feeds": list(SOURCES)},
    )


def load_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The latest loads, with how each applied (mode) and the rows it added, updated and
    removed (blank for loads made before those were kept, or a snapshot published before)."""
    have = {r[0] for r in con.execute("DESCRIBE loads").fetchall()}
    newer = ", ".join(
        c if c in have else f"NULL AS {c}"
        for c in ("mode", "rows_added", "rows_updated", "rows_removed")
    )
    return execute(
        con,
        "SELECT load_id, finished_at, feed, partner, file_name, status, rows_read, rows_loaded, "
        f"rows_quarantined, rows_out_of_area, rows_excluded, {newer}, message FROM loads "
        "ORDER BY load_id DESC LIMIT $limit",
        {"limit": limit},
    )


def codes_not_in_definition(con: duckdb.DuckDBPyConnection, definition: str) -> pd.DataFrame:
    """feed, code, rows: live rows whose offence code (police) or crime type (police.uk) the
    definition names in no group and not as outside serious violence, so they count in no
    serious-violence figure. Raw counts: the caller decides what may be shown."""
    d = load_definition(definition)
    selects, params = [], {}
    for source, column in CODE_COLUMNS.items():
        named = d.named_codes(source)
        if named is None:
            continue
        params[source] = sorted(named)
        selects.append(
            f"SELECT '{source}' AS feed, {column} AS code, count(*) AS rows FROM {source} "
            f"WHERE {column} IS NOT NULL AND NOT list_contains(${source}, {column}) GROUP BY ALL"
        )
    if not selects:
        return pd.DataFrame({"feed": [], "code": [], "rows": []})
    return execute(con, " UNION ALL ".join(selects) + " ORDER BY rows DESC, feed, code", params)


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """feed, column, reason (without the bad value), rows, files, and an example file and line."""
    return execute(
        con,
        "SELECT feed, column_name, split_part(reason, ': ', 1) AS reason, count(*) AS rows, "
        "count(DISTINCT file_name) AS files, min(file_name) AS example_file, "
        "min(line) AS example_line FROM quarantine GROUP BY 1, 2, 3 ORDER BY rows DESC",
    )


def files_in_snapshot(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every loaded file the snapshot still reads (it has a live part), with its SHA-256 and
    its mapping's: the report pack's manifest, so a pack can be traced to its inputs. Names
    and digests only, no counts: the manifest is about files, not people."""
    return execute(
        con,
        "SELECT load_id, feed, partner, file_name, file_sha256, mapping_sha256, "
        "strftime(finished_at, '%Y-%m-%d %H:%M') AS loaded_at FROM loads "
        "WHERE load_id IN (SELECT load_id FROM parts WHERE active) ORDER BY load_id",
        {},
    )
