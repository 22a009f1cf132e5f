"""Where repeated query results are kept: flask-caching, chosen by ``SVDASH_CACHE``.

- ``simple`` (default): in each server process, up to 512 results.
- ``filesystem:DIR``: shared by every gunicorn worker on the host (made mode 0700: results are
  counts before suppression, so the folder must be as private as the warehouse).
- ``redis://HOST:PORT/DB``: shared across hosts (needs the ``redis`` package).
- ``none``: no caching.

Keys carry the published snapshot's name, so a load makes every earlier result unreachable the
moment it publishes; older entries age out by the backend's threshold and timeout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV = "SVDASH_CACHE"
TIMEOUT_ENV = "SVDASH_CACHE_TIMEOUT"


class CacheConfigError(ValueError):
    """A ``SVDASH_CACHE`` value the server cannot use; raised at start-up, not mid-request."""


def cache_config(env: Mapping[str, str] = os.environ, purpose: str = "results") -> dict[str, object]:
    """Flask-Caching settings for query ``results`` or for ``signins`` (failed sign-in counts,
    kept apart so that a busy results cache can never evict them)."""
    spec = env.get(ENV, "simple").strip() or "simple"
    timeout = int(env.get(TIMEOUT_ENV, "86400"))
    if purpose == "signins" and spec == "none":
        spec = "simple"  # the limits hold even with result caching off
    if spec == "simple":
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 512,
                "CACHE_DEFAULT_TIMEOUT": timeout}
    if spec == "none":
        return {"CACHE_TYPE": "NullCache"}
    if spec.startswith("filesystem:"):
        base = Path(spec.removeprefix("filesystem:")).expanduser()
        if not base.is_absolute():
            raise CacheConfigError(f"{ENV}: give the cache folder as an absolute path, not {base}")
        folder = base / purpose  # one folder per purpose: the backend prunes whole folders
        for d in (base, folder):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            d.chmod(0o700)
        return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(folder),
                "CACHE_THRESHOLD": 5000, "CACHE_DEFAULT_TIMEOUT": timeout,
                "CACHE_OPTIONS": {"mode": 0o600}}
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": spec,
                "CACHE_KEY_PREFIX": f"svdash-{purpose}:", "CACHE_DEFAULT_TIMEOUT": timeout}
    raise CacheConfigError(
        f"{ENV}={spec!r}: use simple, none, filesystem:/private/folder or redis://host:port/db"
    )
