"""The writer's side of the warehouse: the catalog's schema, the views over parts, the lock.

A load writes its Parquet parts first (unreferenced, so invisible; see ``etl.parts``), then
flips the catalog in one DuckDB transaction: the load row, the parts it adds, the parts it
supersedes and the views that read them. Only then is a snapshot published
(``etl.snapshots``). A crash before the commit leaves only orphan files nobody reads; a crash
after it leaves a committed catalog that the next publish (or ``svdash check``) brings readers
up to (``etl.recovery``).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from etl.contracts import CONTRACTS
from etl.events import events_view_sql
from etl.validate import stored_schema
from svcore.files import private_dir, tighten_warehouse
from svcore.sql import ident, literal_list
from svcore.warehouse import CATALOG, LOCK, search_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY, feed VARCHAR, partner VARCHAR, file_name VARCHAR,
    file_sha256 VARCHAR, mapping_sha256 VARCHAR, status VARCHAR, rows_read BIGINT,
    rows_loaded BIGINT, rows_quarantined BIGINT, rows_out_of_area BIGINT, rows_excluded BIGINT,
    periods VARCHAR[], message VARCHAR, encoding VARCHAR, started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS parts (
    table_name VARCHAR, partner VARCHAR, period_key VARCHAR, path VARCHAR, rows BIGINT,
    load_id INTEGER, active BOOLEAN, superseded_by INTEGER, bytes BIGINT, sha256 VARCHAR
);
ALTER TABLE parts ADD COLUMN IF NOT EXISTS bytes BIGINT;
ALTER TABLE parts ADD COLUMN IF NOT EXISTS sha256 VARCHAR;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS mode VARCHAR;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS rows_added BIGINT;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS rows_updated BIGINT;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS rows_removed BIGINT;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS rows_kept BIGINT;
"""
# Added after the first release (ALTER ... IF NOT EXISTS, so older catalogs gain them when a
# writer opens them): how a load was applied (merge | replace), what it did to the rows held
# (added, updated, removed), and ``rows_kept``, the held rows it carried unchanged into the
# parts it rewrote, so that its parts hold ``rows_loaded + rows_kept`` rows.
LOADS_COLUMNS = (
    "load_id, feed, partner, file_name, file_sha256, mapping_sha256, status, rows_read, "
    "rows_loaded, rows_quarantined, rows_out_of_area, rows_excluded, periods, message, "
    "encoding, started_at, finished_at, mode, rows_added, rows_updated, rows_removed, rows_kept"
)
PARTS_COLUMNS = (
    "table_name, partner, period_key, path, rows, load_id, active, superseded_by, bytes, sha256"
)

QUARANTINE_SCHEMA = [
    ("load_id", "INTEGER"),
    ("feed", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("line", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("reason", "VARCHAR"),
]

TABLES = (*CONTRACTS, "quarantine")


def schema_of(table: str) -> list[tuple[str, str]]:
    return QUARANTINE_SCHEMA if table == "quarantine" else stored_schema(CONTRACTS[table])


def view_sql(table: str, paths: list[str]) -> str:
    """A view over a table's live parts, typed and empty when there are none."""
    cols = schema_of(table)
    if not paths:
        body = ", ".join(f"CAST(NULL AS {t}) AS {ident(c)}" for c, t in cols)
        return f"CREATE OR REPLACE VIEW {ident(table)} AS SELECT {body} WHERE FALSE"
    body = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in cols)
    return (
        f"CREATE OR REPLACE VIEW {ident(table)} AS SELECT {body} "
        f"FROM read_parquet({literal_list(paths)}, union_by_name = true)"
    )


# What the writer's DuckDB may hold in memory. A load stages a file's rows in temp tables
# (the text as read, then typed and checked): about 500 MB a million police rows, so a
# 10-million-row extract would take 5 GB without a bound. With one, DuckDB spills what does
# not fit to ``catalog.duckdb.tmp/`` in the warehouse (private, like the rest; removed when
# the writer closes) and the loader stays well inside 2 GB whatever the file's size.
WRITER_MEMORY_LIMIT = "1GB"


def connect_writer(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The catalog's one writer connection (callers hold ``write_lock``)."""
    con = duckdb.connect(str(warehouse / CATALOG), config={"memory_limit": WRITER_MEMORY_LIMIT})
    con.execute(SCHEMA)
    con.execute("SET file_search_path = $p", {"p": search_path(warehouse)})
    return con


def rebuild_views(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = TABLES) -> None:
    for table in tables:
        paths = [
            r[0]
            for r in con.execute(
                "SELECT path FROM parts WHERE table_name = $t AND active ORDER BY path",
                {"t": table},
            ).fetchall()
        ]
        con.execute(view_sql(table, paths))
    if set(tables) >= set(TABLES):
        for statement in events_view_sql():
            con.execute(statement)


@contextmanager
def write_lock(warehouse: Path, timeout: float = 600.0) -> Iterator[None]:
    """One writer at a time; a second load waits for the first rather than racing it.

    Whatever the writer makes while it holds the lock (parts, the catalog and its WAL,
    snapshots, restored files) is private: the umask is 077 for the block, and folders and
    files an older version left readable are tightened to 0700 and 0600 first."""
    private_dir(warehouse)
    fh = open(warehouse / LOCK, "a+")  # noqa: SIM115 - held for the block's duration
    deadline = time.monotonic() + timeout
    old_umask = os.umask(0o077)
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another load is still writing to {warehouse}; try again later"
                    ) from None
                time.sleep(0.2)
        tighten_warehouse(warehouse)
        yield
    finally:
        os.umask(old_umask)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def committed_mark(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """What a catalog holds, as (last load id, number of loads): equal marks, equal states,
    because every commit adds exactly one load row."""
    last, n = con.execute("SELECT coalesce(max(load_id), 0), count(*) FROM loads").fetchall()[0]
    return int(last), int(n)
