"""Prewarming builds what a person's request would build: the same cache entries."""

from __future__ import annotations

from pathlib import Path

import flask
import pytest
from cachelib import SimpleCache

from dashboard import prewarm
from dashboard.auth import Viewer
from dashboard.callbacks.common import request
from dashboard.callbacks.views import output_key, rendered
from dashboard.charts.catalogue import CHARTS
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters


def test_a_prewarmed_view_has_the_key_of_a_persons_request(demo_warehouse: Path) -> None:
    source = WarehouseSource(demo_warehouse)
    spec = CHARTS["how-weapon"]
    app = flask.Flask("t")
    with app.test_request_context("/_dash-update-component"):
        live = request(source, "", page=spec.page)  # the demo's analyst, default filters
        live_key = output_key(live, spec, {})
    warm = make_request(
        source, parse_filters("", source.settings().definition), Viewer("prewarm", "analyst")
    )
    assert output_key(warm, spec, {}) == live_key


def test_prewarm_fills_the_cache_each_view_then_reads(warehouse: Path) -> None:
    cache = SimpleCache(threshold=50_000)
    source = WarehouseSource(warehouse, cache=cache)
    built = prewarm.prewarm(source)
    # Every screen view, for the default filters and each district, for three kinds of viewer
    # (a viewer and a duty holder do not open the data-quality page).
    assert built > 2 * (1 + len(source.settings().districts)) * 20
    entries = len(cache._cache)
    pinned = WarehouseSource(warehouse, cache=cache, pinned=True)
    req = make_request(
        pinned, parse_filters("", pinned.settings().definition), Viewer("prewarm", "analyst")
    )
    rendered(req, CHARTS["where-map"], {"level": "auto", "measure": "rate"})
    rendered(req, CHARTS["how-weapon"], {})
    assert len(cache._cache) == entries  # served from the cache: nothing new was built


def test_prewarm_is_off_unless_asked() -> None:
    assert not prewarm.wanted({})
    assert prewarm.wanted({"SVDASH_PREWARM": "1"})
    assert not prewarm.wanted({"SVDASH_PREWARM": "0"})


def test_the_watcher_starts_with_a_process_first_request(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not when the app is built (under ``gunicorn --preload`` that is the master, and a
    thread does not survive the fork): at the first request of each process, once."""
    import os

    from dashboard.app import create_app

    monkeypatch.setenv("SVDASH_PREWARM", "1")
    prewarm._started.pop(os.getpid(), None)
    app = create_app(warehouse)
    assert os.getpid() not in prewarm._started
    client = app.server.test_client()
    client.get("/")
    thread = prewarm._started[os.getpid()]
    assert thread.is_alive() and thread.daemon
    client.get("/")
    assert prewarm._started[os.getpid()] is thread  # one watcher a process
