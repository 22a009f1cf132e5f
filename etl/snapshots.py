"""Published snapshots: copies of the committed catalog that readers open, and their retention.

Readers never open the writer's catalog: ``publish`` copies it, once committed and closed, to a
new numbered snapshot and points ``CURRENT`` at it with an atomic rename, so a dashboard sees
the state before a load or after it, never half of one. The last few snapshots are kept for
readers that still have one open.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from etl.crashpoints import crashpoint
from etl.parts import fsync_dir
from etl.rollups import build_rollups
from etl.writer import committed_mark
from svcore.sql import literal
from svcore.warehouse import CATALOG, CURRENT, SNAPSHOTS

SNAPSHOT_NAME = re.compile(r"^catalog-(\d{6,})(?:-[0-9a-f]{8})?\.duckdb$")

# One in-memory DuckDB per process that snapshots are attached to, read-only, to be looked at:
# starting a DuckDB costs ~20 ms, attaching a file to a running one ~3 ms, and every load's
# recovery check looks at each retained snapshot (a tiny load's largest fixed cost after the
# rollups). Recreated after a fork: a DuckDB's threads do not survive one.
_LOOK = threading.Lock()
_looker: tuple[int, duckdb.DuckDBPyConnection] | None = None
_aliases = itertools.count()


@contextmanager
def opened(snap: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection whose default database is the snapshot file ``snap``, detached
    on exit. Raises ``duckdb.Error`` if the file does not open, as a connect to it would."""
    global _looker
    with _LOOK:
        if _looker is None or _looker[0] != os.getpid():
            _looker = (os.getpid(), duckdb.connect(":memory:"))
        cur = _looker[1].cursor()
    alias = f"snap_{next(_aliases)}"
    try:
        cur.execute(f"ATTACH {literal(snap)} AS {alias} (READ_ONLY)")
        try:
            cur.execute(f"USE {alias}")
            yield cur
        finally:
            cur.execute("USE memory")
            cur.execute(f"DETACH {alias}")
    finally:
        cur.close()


def snapshots(warehouse: Path) -> list[Path]:
    """Published snapshots, oldest first (by number; stray files are not snapshots)."""
    found = [
        (int(m.group(1)), p)
        for p in (warehouse / SNAPSHOTS).glob("catalog-*.duckdb")
        if (m := SNAPSHOT_NAME.match(p.name))
    ]
    return [p for _, p in sorted(found)]


def publish(warehouse: Path, keep: int = 3) -> Path:
    """Copy the committed, closed catalog to a new snapshot; point CURRENT at it atomically.

    The caller checkpoints and closes its writer connection first, so the copy is the whole
    committed state. A snapshot's name carries a random tag as well as its number, so no two
    snapshots anywhere share a name (caches key on it, and a warehouse rebuilt or restored
    into a new folder starts numbering again). Older snapshots beyond ``keep`` are removed (a
    reader that still has one open keeps reading it: unlinking an open file is safe on POSIX).
    """
    snaps = warehouse / SNAPSHOTS
    snaps.mkdir(exist_ok=True)
    existing = snapshots(warehouse)
    seq = int(SNAPSHOT_NAME.match(existing[-1].name).group(1)) + 1 if existing else 1
    name = f"catalog-{seq:06d}-{secrets.token_hex(4)}.duckdb"
    tmp = snaps / f".{name}.tmp"
    pointer_tmp = warehouse / f".{CURRENT}.tmp"
    try:
        shutil.copyfile(warehouse / CATALOG, tmp)
        build_rollups(warehouse, tmp)  # the counts pages read, in the snapshot they describe
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, snaps / name)
        fsync_dir(snaps)
        crashpoint("snapshot-copied")
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, warehouse / CURRENT)
        fsync_dir(warehouse)
    finally:  # a full disk must not leave half a copy behind for every later load to trip on
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        pointer_tmp.unlink(missing_ok=True)
    for old in snapshots(warehouse)[:-keep]:
        old.unlink(missing_ok=True)
    return snaps / name


def published_mark(warehouse: Path) -> tuple[int, int] | None:
    """The mark of the snapshot readers see; None when nothing (readable) is published, so
    the next recovery publishes afresh."""
    pointer = warehouse / CURRENT
    if not pointer.exists():
        return None
    snap = warehouse / SNAPSHOTS / pointer.read_text(encoding="utf-8").strip()
    if not snap.is_file():
        return None
    try:
        with opened(snap) as con:
            return committed_mark(con)
    except duckdb.Error:
        return None


def snapshot_parts(warehouse: Path) -> tuple[set[str], list[Path]]:
    """Every part a retained snapshot lists (a reader may still have any of them open), and
    the snapshots that no longer open (no reader can use those)."""
    paths: set[str] = set()
    unreadable: list[Path] = []
    for snap in snapshots(warehouse):
        try:
            with opened(snap) as con:
                paths.update(r[0] for r in con.execute("SELECT path FROM parts").fetchall())
        except duckdb.Error:
            unreadable.append(snap)
        except FileNotFoundError:  # removed by a publish meanwhile
            continue
    return paths, unreadable
