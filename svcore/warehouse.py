"""The warehouse's layout on disk, and how readers open a consistent snapshot of it.

Data lives in immutable Parquet parts; the catalog (a DuckDB file) lists which parts are live and
defines a view per table over them. Only the loader opens ``catalog.duckdb``. After each load it
publishes a copy as a numbered snapshot and points ``CURRENT`` at it with an atomic rename, so
readers (the dashboard, exports) never wait on a writer and never see a half-finished load.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

CATALOG = "catalog.duckdb"
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
PARTS = "parts"
LOCK = ".write.lock"


class WarehouseMissing(FileNotFoundError):
    """No warehouse at the path given; the message says how to make one."""


def current_snapshot(warehouse: Path) -> Path:
    pointer = Path(warehouse) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise WarehouseMissing(
            f"no warehouse at {warehouse}: run `svdash demo` for the demo, or "
            "`svdash init --districts CODE,...` for your own area"
        ) from None
    return Path(warehouse) / SNAPSHOTS / name


def connect_reader(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot; views resolve parts in the warehouse."""
    warehouse = Path(warehouse).resolve()
    snap = current_snapshot(warehouse)
    con = duckdb.connect(str(snap), read_only=True)
    con.execute("SET file_search_path = $p", {"p": str(warehouse)})
    return con
