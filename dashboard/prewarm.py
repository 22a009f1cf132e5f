"""Prewarming: after a load publishes, build the views analysts open first, before they ask.

The views of the default filters and of each district, for each kind of viewer (an analyst, a
duty holder of that district, a viewer), go into the shared cache that the view callbacks read
(``dashboard.callbacks.views.rendered``), so the first person to open a page after a load does
not wait for it. One worker of one instance does it per snapshot: the first to take the
snapshot's claim in the shared cache (``add`` is atomic in Redis and within a process).

Opt-in with ``SVDASH_PREWARM=1`` (``dashboard.wsgi`` turns it on for production): a test or
development server has no need of a background thread building pages nobody opens.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS
from dashboard.charts.request import make_request
from dashboard.controls import controls_of
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from svcore.warehouse import current_snapshot

log = logging.getLogger(__name__)
ENV = "SVDASH_PREWARM"
POLL_SECONDS = 2.0


def wanted(env: dict[str, str] | None = None) -> bool:
    return (env if env is not None else os.environ).get(ENV, "0").strip() in ("1", "true", "yes")


def prewarm(source: WarehouseSource) -> int:
    """Build every screen view for the default filters and each district, per kind of viewer,
    on one pinned snapshot; returns how many views were built or found built."""
    from dashboard.callbacks.views import controls_for, rendered

    pinned = WarehouseSource(source.warehouse, cache=source.cache, pinned=True)
    settings = pinned.settings()
    base = parse_filters("", settings.definition)
    plans: list[tuple[Viewer, object]] = []
    for district in ("", *settings.districts):
        filters = base.with_(districts=(district,)) if district else base
        plans.append((Viewer("prewarm", "analyst"), filters))
        plans.append((Viewer("prewarm", "viewer"), filters))
        if district:
            plans.append((Viewer("prewarm", "duty_holder", (district,)), base))
    done = 0
    for viewer, filters in plans:
        req = make_request(pinned, filters, viewer)
        for spec in CHARTS.values():
            if not spec.screen or not viewer.may_open(spec.page):
                continue
            options = {c.key: c.default for c in controls_of(spec.page) if c in controls_for(spec)}
            try:
                rendered(req, spec, options)
                done += 1
            except Exception:  # a view that cannot be built now fails for its user, not here
                log.exception("prewarm: %s for %s", spec.name, viewer.role)
    return done


_started: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def start(source: WarehouseSource) -> threading.Thread | None:
    """The watcher of this process (if ``wanted``): a daemon thread that prewarms each
    snapshot once it is published. Started from the first request a process serves, not when
    the app is built: under ``gunicorn --preload`` the app is built in the master, and a thread
    does not survive the fork into the workers (nor should the master compute anything)."""
    if not wanted():
        return None
    pid = os.getpid()
    with _lock:
        if pid in _started:
            return _started[pid]

        def watch() -> None:
            seen: Path | None = None
            while True:
                try:
                    snap = current_snapshot(source.warehouse)
                    if snap != seen:
                        seen = snap
                        claim = f"svdash:{snap.stem}:prewarm"
                        if source.cache.add(claim, pid, timeout=3600):
                            started = time.perf_counter()
                            n = prewarm(source)
                            log.info(
                                "prewarmed %d views of %s in %.1f s",
                                n,
                                snap.stem,
                                time.perf_counter() - started,
                            )
                except Exception:
                    log.exception("prewarm watcher")
                time.sleep(POLL_SECONDS)

        thread = threading.Thread(target=watch, name="svdash-prewarm", daemon=True)
        thread.start()
        _started[pid] = thread
        return thread
