"""Caching of repeated query results (flask-caching backends) and the shared sign-in limits."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cachelib import FileSystemCache
from helpers import feed_rows, write_feed

from dashboard.auth import FailedSignIns
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
    assert fs["CACHE_TYPE"] == "FileSystemCache" and fs["CACHE_DIR"] == str(tmp_path / "c" / "results")
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
    one = FailedSignIns(FileSystemCache(str(tmp_path)), limit=3)
    two = FailedSignIns(FileSystemCache(str(tmp_path)), limit=3)
    one.fail("user:ann", "ip:10.0.0.1")
    two.fail("user:ann", "ip:10.0.0.1")
    assert not one.blocked("user:ann")
    one.fail("user:ann")
    assert two.blocked("user:ann") and one.blocked("user:ann")
    assert not two.blocked("user:bob", "ip:10.0.0.1")
    two.clear("user:ann")
    assert not one.blocked("user:ann")
