"""Where repeated query results are kept: flask-caching, chosen by ``SVDASH_CACHE``.

- ``simple`` (default): in each server process, up to 512 results.
- ``filesystem:DIR``: shared by every gunicorn worker on the host (made mode 0700: results are
  counts before suppression, so the folder must be as private as the warehouse).
- ``redis://HOST:PORT/DB``: shared across hosts (needs the ``redis`` package).
- ``none``: no caching.

Keys carry the published snapshot's name, so a load makes every earlier result unreachable the
moment it publishes, and the first request that sees the new snapshot clears the old ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV = "SVDASH_CACHE"
TIMEOUT_ENV = "SVDASH_CACHE_TIMEOUT"


class CacheConfigError(ValueError):
    """A ``SVDASH_CACHE`` value the server cannot use; raised at start-up, not mid-request."""


def cache_config(env: Mapping[str, str] = os.environ) -> dict[str, object]:
    spec = env.get(ENV, "simple").strip() or "simple"
    timeout = int(env.get(TIMEOUT_ENV, "86400"))
    if spec == "simple":
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 512,
                "CACHE_DEFAULT_TIMEOUT": timeout}
    if spec == "none":
        return {"CACHE_TYPE": "NullCache"}
    if spec.startswith("filesystem:"):
        folder = Path(spec.removeprefix("filesystem:")).expanduser()
        if not folder.is_absolute():
            raise CacheConfigError(f"{ENV}: give the cache folder as an absolute path, not {folder}")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(folder),
                "CACHE_THRESHOLD": 5000, "CACHE_DEFAULT_TIMEOUT": timeout,
                "CACHE_OPTIONS": {"mode": 0o600}}
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": spec,
                "CACHE_DEFAULT_TIMEOUT": timeout}
    raise CacheConfigError(
        f"{ENV}={spec!r}: use simple, none, filesystem:/private/folder or redis://host:port/db"
    )
