"""Where callbacks get a warehouse connection: one read-only connection per snapshot and thread.

No global DataFrames: callbacks ask for a connection, run query functions, and let go. When a
load publishes a new snapshot, the next request opens it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from svcore.config import Settings, read_settings
from svcore.warehouse import connect_reader, current_snapshot

T = TypeVar("T")


class WarehouseSource:
    def __init__(self, warehouse: Path, memo_size: int = 512) -> None:
        self.warehouse = Path(warehouse)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._memo: OrderedDict = OrderedDict()
        self._memo_snap: object = None
        self.memo_size = memo_size

    def settings(self) -> Settings:
        return read_settings(self.warehouse)

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """A value computed once per published snapshot and shared by threads (parsed
        boundaries, repeated query results). Bounded (least recently used goes first); a load
        publishes a new snapshot and every old value is dropped, so nothing stale is served.
        DataFrames come back as copies, so a caller cannot change what the next one gets.
        """
        snap = current_snapshot(self.warehouse)
        with self._lock:
            if self._memo_snap != snap:
                self._memo, self._memo_snap = OrderedDict(), snap
            if key in self._memo:
                self._memo.move_to_end(key)
                value = self._memo[key]
                return value.copy() if isinstance(value, pd.DataFrame) else value
        value = build()
        with self._lock:
            if self._memo_snap == snap:
                self._memo[key] = value
                while len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
        return value.copy() if isinstance(value, pd.DataFrame) else value

    def snapshot_id(self) -> str:
        """The published snapshot's name: a cache-buster for files derived from it."""
        return current_snapshot(self.warehouse).stem

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
