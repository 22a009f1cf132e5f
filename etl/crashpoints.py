"""Named points where the crash harness can kill the loader, to prove each window is safe.

A random SIGKILL rarely lands in the short windows that matter most (between the catalog commit
and the snapshot publish, say), so ``tests/etl/test_crash.py`` also kills the loader exactly at
each of these points. Off unless ``SVDASH_CRASH_AT`` names a point (``NAME`` or ``NAME:N`` for
its N-th pass); the check is one dictionary lookup, so it costs nothing in production.
"""

from __future__ import annotations

import os
import signal

ENV = "SVDASH_CRASH_AT"
POINTS = (
    "part-written",  # a Parquet part is on disk, the catalog does not list it yet
    "before-commit",  # every part of a file is written; the catalog transaction has not run
    "after-commit",  # the catalog lists the file; no snapshot shows it yet
    "before-publish",  # the batch is committed and checkpointed; CURRENT still old
    "rollups-built",  # the new snapshot's copy holds its rollups; not yet renamed into place
    "snapshot-copied",  # a new snapshot file exists; CURRENT not yet pointed at it
    "after-publish",  # published; the loader has not returned
)
_passes: dict[str, int] = {}


def crashpoint(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    assert name in POINTS, name
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
