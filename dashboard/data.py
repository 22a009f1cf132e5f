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
        self._lock = threading.Lock()
        self._memo: dict = {}
        self._memo_snap: object = None

    def settings(self) -> Settings:
        return read_settings(self.warehouse)

    def memo(self, key: tuple, build):
        """A value computed once per published snapshot (e.g. parsed boundaries), shared by
        threads; a new load publishes a new snapshot and the old values are dropped."""
        snap = current_snapshot(self.warehouse)
        with self._lock:
            if self._memo_snap != snap:
                self._memo, self._memo_snap = {}, snap
            if key in self._memo:
                return self._memo[key]
        value = build()
        with self._lock:
            if self._memo_snap == snap:
                self._memo[key] = value
        return value

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
