"""Parquet parts on disk: their folders, their digests, and making them durable.

Parts are immutable and written before the catalog commit that lists them, so each must be on
disk for good (its bytes and its name) before that commit: otherwise a power cut after the
commit could leave the catalog listing a part that is not there.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from svcore.warehouse import PARTS


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new or renamed names) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parts_dir(warehouse: Path, table: str) -> Path:
    d = warehouse / PARTS / table
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks: partner files, parts, backup members."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def part_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a part, recorded at write time and checked by ``svdash check``.

    The file is fsynced first: a part must be durable before the catalog commit that lists it.
    """
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
    return path.stat().st_size, sha256_file(path)


def fsync_parts_dirs(warehouse: Path, tables: set[str]) -> None:
    """New part names must be durable too, not just their bytes."""
    for table in tables:
        fsync_dir(warehouse / PARTS / table)
    fsync_dir(warehouse / PARTS)  # a table's folder may be new too
