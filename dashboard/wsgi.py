"""The WSGI entry point for production servers: ``gunicorn 'dashboard.wsgi:server'``.

The warehouse comes from ``SVDASH_WAREHOUSE`` (default ``data/warehouse``); each worker opens
its own read-only connections, and loads publish snapshots they pick up at their next request.
"""

from __future__ import annotations

from dashboard.app import create_app
from svcore.config import warehouse_path

app = create_app(warehouse_path())
server = app.server
