"""Where repeated query results are kept: flask-caching, chosen by ``SVDASH_CACHE``.

- ``simple`` (default): in each server process, up to 20,000 results (query results and
  whole view outputs, a few kB each).
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
# Entries kept (in memory, on disk) before the oldest go: every view of a few filter sets per
# snapshot fits (prewarming builds about 550). Sign-in counters are tiny and must
# not be pushed out by a flood of made-up names: they expire by their own 15-minute timeout.
THRESHOLDS = {"results": (20_000, 20_000), "signins": (1_000_000, 1_000_000)}


class CacheConfigError(ValueError):
    """A ``SVDASH_CACHE`` value the server cannot use; raised at start-up, not mid-request."""


def cache_config(
    env: Mapping[str, str] = os.environ, purpose: str = "results"
) -> dict[str, object]:
    """Flask-Caching settings for query ``results`` or for ``signins`` (failed sign-in counts,
    kept apart so that a busy results cache can never evict them)."""
    spec = env.get(ENV, "simple").strip() or "simple"
    timeout = int(env.get(TIMEOUT_ENV, "86400"))
    if purpose == "signins" and spec == "none":
        spec = "simple"  # the limits hold even with result caching off
    if spec == "simple":
        return {
            "CACHE_TYPE": "SimpleCache",
            "CACHE_THRESHOLD": THRESHOLDS[purpose][0],
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }
    if spec == "none":
        return {"CACHE_TYPE": "NullCache"}
    if spec.startswith("filesystem:"):
        base = Path(spec.removeprefix("filesystem:")).expanduser()
        if not base.is_absolute():
            raise CacheConfigError(f"{ENV}: give the cache folder as an absolute path, not {base}")
        folder = base / purpose  # one folder per purpose: the backend prunes whole folders
        for d in (base, folder):
            if not d.exists():
                d.mkdir(mode=0o700, parents=True)
            elif d.stat().st_mode & 0o077:
                # Never loosen or tighten someone else's folder: ask for a private one.
                raise CacheConfigError(
                    f"{ENV}: {d} is open to other users (mode {oct(d.stat().st_mode & 0o777)}); "
                    "results are counts before suppression, so give a folder only the "
                    "server's user can read (chmod 700), or a new path"
                )
        return {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(folder),
            "CACHE_THRESHOLD": THRESHOLDS[purpose][1],
            "CACHE_DEFAULT_TIMEOUT": timeout,
            "CACHE_OPTIONS": {"mode": 0o600},
        }
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": spec,
            "CACHE_KEY_PREFIX": f"svdash-{purpose}:",
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }
    raise CacheConfigError(
        f"{ENV}={spec!r}: use simple, none, filesystem:/private/folder or redis://host:port/db"
    )
