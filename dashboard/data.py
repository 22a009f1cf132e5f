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
from flask import g, has_request_context

from svcore.config import Settings, read_settings
from svcore.warehouse import WarehouseDamaged, connect_reader, current_snapshot, damaged_parts

T = TypeVar("T")


class WarehouseSource:
    def __init__(self, warehouse: Path, memo_size: int = 512) -> None:
        self.warehouse = Path(warehouse)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._memo: OrderedDict = OrderedDict()
        self._memo_snap: object = None
        self._sound: set[Path] = set()  # snapshots whose parts were all found whole
        self.memo_size = memo_size

    def settings(self) -> Settings:
        return read_settings(self.warehouse)

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """A value computed once per published snapshot and shared by threads (parsed
        boundaries, repeated query results). Bounded (least recently used goes first); a load
        publishes a new snapshot and every old value is dropped, so nothing stale is served.
        DataFrames come back as copies, so a caller cannot change what the next one gets.
        """
        snap = self._snapshot()
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
        return self._snapshot().stem

    def _snapshot(self) -> Path:
        """The snapshot this request reads. Pinned at its first use within a web request, so a
        load published mid-request cannot mix old and new numbers in one response."""
        if has_request_context():
            snap = g.get("svdash_snapshot")
            if snap is None:
                snap = g.svdash_snapshot = current_snapshot(self.warehouse)
            return snap
        return current_snapshot(self.warehouse)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection to the published snapshot. A snapshot is checked once, when
        first opened: any live part missing or resized raises ``WarehouseDamaged``, every time,
        until the warehouse is mended."""
        snap = self._snapshot()
        cached = getattr(self._local, "con", None)
        if cached is not None and self._local.snap == snap:
            return cached
        if cached is not None:
            cached.close()
            self._local.con = None
        con = connect_reader(self.warehouse, snap)
        if snap not in self._sound:
            problems = damaged_parts(con, self.warehouse)
            if problems:
                con.close()
                raise WarehouseDamaged(problems)
            with self._lock:
                self._sound.add(snap)
        self._local.con = con
        self._local.snap = snap
        return con
