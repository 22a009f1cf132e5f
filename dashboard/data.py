"""Where callbacks get a warehouse connection: one read-only connection per snapshot and thread.

No global DataFrames: callbacks ask for a connection, run query functions, and let go. When a
load publishes a new snapshot, the next request opens it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb
from cachelib import BaseCache, SimpleCache
from flask import g, has_request_context

from dashboard.queries import pin_snapshot
from svcore.config import SETTINGS_FILE, Settings, read_settings
from svcore.warehouse import WarehouseDamaged, connect_reader, current_snapshot, damaged_parts

T = TypeVar("T")
_MISSING = object()
FLIGHT_WAIT = 30.0  # seconds a request waits for another's build of the same value
log = logging.getLogger(__name__)


class WarehouseSource:
    def __init__(
        self,
        warehouse: Path,
        memo_size: int = 512,
        cache: BaseCache | None = None,
        pinned: bool = False,
    ) -> None:
        """``pinned``: read one snapshot for this object's whole life (a report pack or an
        export from the command line: every figure from the same state, even if a load
        publishes meanwhile). A web server leaves it off; each request pins its own."""
        self.warehouse = Path(warehouse)
        self.pinned = pinned
        self._pin: Path | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._memo: OrderedDict = OrderedDict()
        self._newest: Path | None = None  # the newest snapshot this process has seen
        self._sound: set[Path] = set()  # snapshots whose parts were all found whole
        self.memo_size = memo_size
        self._cache_warned = float("-inf")
        self._settings: tuple[tuple, Settings] | None = None
        self._flights: dict[object, threading.Lock] = {}  # values being built, by key
        # Query results: flask-caching's backend in the app (``dashboard.cache``), a private
        # in-memory one for the command line and tests.
        self.cache: BaseCache = cache if cache is not None else SimpleCache(threshold=memo_size)

    def settings(self) -> Settings:
        """The warehouse's settings, parsed again only when ``svdash.toml`` changes (every
        callback asks, and parsing it took more than a millisecond each time)."""
        try:
            st = (self.warehouse / SETTINGS_FILE).stat()
        except FileNotFoundError:
            return read_settings(self.warehouse)  # says what is missing
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        held = self._settings
        if held is not None and held[0] == stamp:
            return held[1]
        settings = read_settings(self.warehouse)
        self._settings = (stamp, settings)
        return settings

    def _forget_older(self, snap: Path) -> None:
        """A newer snapshot is published: drop this process's memo of older ones. Shared cache
        entries are not cleared (other workers, and the sign-in counters, may share the
        backend): their keys name an older snapshot, so nothing asks for them again and the
        backend's threshold and timeout retire them, oldest first. A request still pinned to an
        older snapshot leaves what newer ones have built alone."""
        with self._lock:
            if self._newest is None or snap.name > self._newest.name:
                self._newest = snap
                self._memo = OrderedDict()

    def memo(self, key: tuple, build: Callable[[], T], shared: bool = True) -> T:
        """A value computed once per published snapshot (repeated query results, parsed
        boundaries). ``shared`` values go through the cache backend, pickled, so every worker
        can reuse them and every caller gets its own copy; the rest (large parsed objects that
        are costly to pickle) stay in this process, in a bounded least-recently-used memo.
        """
        snap = self._snapshot()
        self._forget_older(snap)
        if shared:
            name = f"svdash:{snap.stem}:" + hashlib.sha256(repr(key).encode()).hexdigest()[:40]
            try:
                value = self.cache.get(name)
            except Exception as exc:  # a shared cache that is down is a miss, not an outage
                self._cache_down(exc)
                return build()
            if value is not None:
                return value
            with self._one_flight(name):
                try:
                    value = self.cache.get(name)  # built meanwhile by the thread waited for?
                except Exception as exc:
                    self._cache_down(exc)
                    value = None
                if value is None:
                    value = build()
                    try:
                        self.cache.set(name, value)
                    except Exception as exc:
                        self._cache_down(exc)
            return value
        held = self._held(snap, key)
        if held is not _MISSING:
            return held
        with self._one_flight((snap, key)):
            held = self._held(snap, key)
            if held is not _MISSING:
                return held
            value = build()
            with self._lock:
                self._memo[(snap, key)] = value
                while len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
        return value

    def _held(self, snap: Path, key: tuple) -> object:
        with self._lock:
            if (snap, key) in self._memo:
                self._memo.move_to_end((snap, key))
                return self._memo[(snap, key)]
        return _MISSING

    @contextmanager
    def _one_flight(self, name: object) -> Iterator[None]:
        """One build at a time of the same value in this process: the browser asks for a
        page's views at once, and views share their parts (the map and its top-ten table the
        published areas, the headline and the sources table each source's figures), so the
        second waits for the first instead of computing it again. A wait longer than
        ``FLIGHT_WAIT`` builds anyway: never a stall, at worst the old duplicate work."""
        with self._lock:
            lock = self._flights.setdefault(name, threading.Lock())
        got = lock.acquire(timeout=FLIGHT_WAIT)
        try:
            yield
        finally:
            if got:
                with self._lock:
                    if self._flights.get(name) is lock:
                        del self._flights[name]
                lock.release()

    def _cache_down(self, exc: Exception) -> None:
        """Say once a minute that the shared cache is unreachable: figures are computed
        afresh meanwhile (slower, never wrong)."""
        now = time.monotonic()
        if now - self._cache_warned > 60:
            self._cache_warned = now
            log.warning("the results cache is unreachable (%s): computing without it", exc)

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
        if self.pinned:
            with self._lock:
                if self._pin is None:
                    self._pin = current_snapshot(self.warehouse)
                return self._pin
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
        pin_snapshot(con)  # it reads this one snapshot until it is closed
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
