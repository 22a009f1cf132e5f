"""The query layer: every SQL string the app runs, each taking parameters only.

Functions take a connection and a ``Filters`` and return a small tidy DataFrame: aggregation
happens in DuckDB, and only what a chart draws comes back.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable
from typing import TypeVar

import duckdb
import pandas as pd

T = TypeVar("T")
# Facts of a published snapshot that many queries of one request need (the months a source
# holds, the rollup tables): read once per connection that ``pin_snapshot`` marks as bound to
# one immutable snapshot. A connection that is not pinned (a writer, a test's) reads afresh.
_FACTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FACTS_LOCK = threading.Lock()
# ``execute`` fetches Arrow from the connection's own result: DuckDB warns that this copies the
# rows once more, which for the app's results (what a chart draws: tens to thousands of rows)
# costs microseconds against the milliseconds a relation's extra binding costs.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run parameterised SQL and return a DataFrame through Arrow (5x faster than ``.df()``).

    Run with ``execute``, not as a relation (``con.sql``): a relation is bound and prepared
    again when it is fetched, 1-3 ms a query, and a page runs a dozen or more."""
    return con.execute(sql, params or {}).to_arrow_table().to_pandas()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> object:
    """The first value of the first row, or None for no rows."""
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def pin_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    """Say that ``con`` reads one published snapshot for its whole life (the app's read-only
    connections): its snapshot facts may then be kept with it (``snapshot_fact``)."""
    with _FACTS_LOCK:
        _FACTS.setdefault(con, {})


def snapshot_fact(con: duckdb.DuckDBPyConnection, key: tuple, read: Callable[[], T]) -> T:
    """A small fact of the snapshot ``con`` reads (a list of months, of rollup tables), read
    once per pinned connection: each costs a few milliseconds of DuckDB's planning and a page
    asks for them a dozen times. Values must be immutable (tuples, strings)."""
    with _FACTS_LOCK:
        facts = _FACTS.get(con)
        if facts is not None and key in facts:
            return facts[key]
    value = read()
    if facts is not None:
        with _FACTS_LOCK:
            facts[key] = value
    return value
