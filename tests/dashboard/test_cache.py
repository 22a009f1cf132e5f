"""Caching of repeated query results (flask-caching backends) and the shared sign-in limits."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cachelib import FileSystemCache
from helpers import feed_rows, write_feed

from dashboard.auth import SignInThrottle
from dashboard.cache import CacheConfigError, cache_config
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from etl.load import load_files


def test_cache_settings_come_from_one_variable(tmp_path: Path) -> None:
    assert cache_config({})["CACHE_TYPE"] == "SimpleCache"
    assert cache_config({"SVDASH_CACHE": "none"})["CACHE_TYPE"] == "NullCache"
    assert cache_config({"SVDASH_CACHE": "none"}, "signins")["CACHE_TYPE"] == "SimpleCache"
    fs = cache_config({"SVDASH_CACHE": f"filesystem:{tmp_path / 'c'}"})
    assert fs["CACHE_TYPE"] == "FileSystemCache" and fs["CACHE_DIR"] == str(
        tmp_path / "c" / "results"
    )
    for d in (tmp_path / "c", tmp_path / "c" / "results"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700  # counts before suppression: private
    redis = cache_config({"SVDASH_CACHE": "redis://localhost:6379/3"}, "signins")
    assert redis["CACHE_KEY_PREFIX"] == "svdash-signins:"
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # a folder like /tmp: refused, and left as it was
    with pytest.raises(CacheConfigError, match="open to other users"):
        cache_config({"SVDASH_CACHE": f"filesystem:{shared}"})
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    for bad in ("memcached://x", "filesystem:relative/dir"):
        with pytest.raises(CacheConfigError, match="SVDASH_CACHE"):
            cache_config({"SVDASH_CACHE": bad})


def test_workers_share_results_and_a_load_invalidates_them(make_warehouse, tmp_path: Path) -> None:
    wh = make_warehouse()
    shared = tmp_path / "cache"
    a = WarehouseSource(wh, cache=FileSystemCache(str(shared)))
    b = WarehouseSource(wh, cache=FileSystemCache(str(shared)))  # another worker, same host
    filters = parse_filters("")
    calls: list[str] = []

    def counted(source: WarehouseSource, who: str):
        def build():
            calls.append(who)
            return count_table(source.connection(), filters, ["district"])

        return source.memo(("districts", filters), build)

    first = counted(a, "a")
    total = int(first["count"].sum())
    assert counted(b, "b").equals(first) and calls == ["a"]  # b reused a's result
    first.loc[:, "count"] = -1  # callers get copies: this changes nothing cached
    assert (counted(b, "b")["count"] >= 0).all() and calls == ["a"]

    rows = feed_rows("police", 25)
    load_files(wh, "police", [write_feed(tmp_path / "p.csv", "police", rows)])
    after = counted(b, "b")
    assert calls == ["a", "b"] and int(after["count"].sum()) == total + 25


def test_sign_in_failures_are_counted_across_workers(tmp_path: Path) -> None:
    one = SignInThrottle(FileSystemCache(str(tmp_path)), limit=3, address_limit=5)
    two = SignInThrottle(FileSystemCache(str(tmp_path)), limit=3, address_limit=5)
    one.fail("ann", "10.0.0.1")
    two.fail("ann", "10.0.0.1")
    assert not one.retry_after("ann", "10.0.0.1")
    one.fail("ANN", "10.0.0.1")  # names count case-blind
    assert two.retry_after("ann", "10.0.0.1") > 0 and one.retry_after("ann", "10.0.0.1") > 0
    assert not two.retry_after("ann", "10.0.0.2")  # the owner, elsewhere, is not locked out
    assert not two.retry_after("bob", "10.0.0.1")  # the address has 3 of its 5
    two.fail("bob", "10.0.0.1")
    two.succeeded("bob", "10.0.0.1")  # clears bob's pair only, not the address's count
    one.fail("cat", "10.0.0.1")
    assert one.retry_after("dan", "10.0.0.1") > 0  # 5 from the address: all names wait
    one.succeeded("ann", "10.0.0.1")
    assert one.retry_after("ann", "10.0.0.1") > 0  # the address lock stands


def test_sign_in_locks_double_with_each_round_of_failures() -> None:
    t = SignInThrottle(limit=2, address_limit=1000, lock_seconds=60)
    waits = []
    for _ in range(3):
        t.fail("ann", "10.0.0.1")
        t.fail("ann", "10.0.0.1")
        waits.append(t.retry_after("ann", "10.0.0.1"))
    assert [round(w / 60) for w in waits] == [1, 2, 4]


def test_an_unreachable_shared_cache_is_a_miss_not_an_outage(warehouse: Path) -> None:
    """Redis down: figures are computed afresh (slower), never a 500."""
    import socket

    from cachelib import RedisCache

    from dashboard.data import WarehouseSource

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = RedisCache(host="127.0.0.1", port=port, socket_connect_timeout=0.5, retry=None)
    source = WarehouseSource(warehouse, cache=cache)
    calls = []
    assert source.memo(("k",), lambda: calls.append(1) or 42) == 42
    assert source.memo(("k",), lambda: calls.append(1) or 42) == 42
    assert len(calls) == 2
