"""The WSGI entry point for production servers: ``gunicorn 'dashboard.wsgi:server'``.

The warehouse comes from ``SVDASH_WAREHOUSE`` (default ``data/warehouse``); each worker opens
its own read-only connections, and loads publish snapshots they pick up at their next request.
Views of the default filters and each district are prewarmed after each load
(``dashboard.prewarm``; ``SVDASH_PREWARM=0`` turns it off). Importing this module also compiles
the hotspot kernels, so with ``gunicorn --preload`` that is
done once, before the workers fork, and no user waits for it.
"""

from __future__ import annotations

import os

os.environ.setdefault("SVDASH_PREWARM", "1")  # build the first views after each load

from dashboard.analysis.hotspots import warm_up
from dashboard.app import create_app
from svcore.config import warehouse_path

app = create_app(warehouse_path())
warm_up()
server = app.server
