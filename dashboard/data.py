"""Where callbacks get a warehouse connection: one read-only connection per snapshot and thread.

No global DataFrames: callbacks ask for a connection, run query functions, and let go. When a
load publishes a new snapshot, the next request opens it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from svcore.config import Settings, read_settings
from svcore.warehouse import connect_reader, current_snapshot


class WarehouseSource:
    def __init__(self, warehouse: Path) -> None:
        self.warehouse = Path(warehouse)
        self._local = threading.local()

    def settings(self) -> Settings:
        return read_settings(self.warehouse)

    def connection(self) -> duckdb.DuckDBPyConnection:
        snap = current_snapshot(self.warehouse)
        cached = getattr(self._local, "con", None)
        if cached is not None and self._local.snap == snap:
            return cached
        if cached is not None:
            cached.close()
        self._local.con = connect_reader(self.warehouse)
        self._local.snap = snap
        return self._local.con
