"""``svdash backup`` and ``svdash restore``: one consistent warehouse in one checked file.

A backup is a plain tar (the parts are zstd already) holding ``manifest.json`` with the size and
SHA-256 of every member, the catalog, every part it lists (live and superseded, so history and
``svdash check`` stay whole), the settings, the users file and the audit log. It is taken under
the write lock, after finishing any interrupted load, from the catalog's committed state, and
written to a temporary name then renamed: a backup file that exists is complete.

Restoring verifies every member against the manifest before touching the warehouse, then moves
the parts in (part names never repeat, so nothing live is overwritten), swaps the catalog and
publishes it as a new snapshot: running dashboards switch at their next request, as after a
load. The pseudonymisation key is never in a backup (it must not live beside the data); keep it
with the backup separately, or references loaded afterwards will not link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.parts import fsync_parts_dirs, sha256_file
from etl.recovery import recover_and_audit
from etl.snapshots import publish
from etl.writer import committed_mark, connect_writer, rebuild_views, write_lock
from svcore import audit
from svcore.config import SETTINGS_FILE
from svcore.users import USERS_FILE
from svcore.warehouse import CATALOG

FORMAT = "svdash-backup/1"
MANIFEST = "manifest.json"
AUDIT_LOG = f"{audit.AUDIT_DIR}/{audit.AUDIT_FILE}"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message names the file and the fix."""


@dataclass(frozen=True)
class BackupSummary:
    path: str
    files: int
    bytes: int
    loads: int
    parts: int


def _listed_parts(catalog_file: Path) -> list[tuple[str, str | None]]:
    con = duckdb.connect(str(catalog_file), read_only=True)
    try:
        cols = {r[0] for r in con.execute("DESCRIBE parts").fetchall()}
        digest = "sha256" if "sha256" in cols else "NULL"
        return [
            tuple(r)
            for r in con.execute(
                f"SELECT DISTINCT path, {digest} FROM parts ORDER BY path"
            ).fetchall()
        ]
    finally:
        con.close()


PART_PATH = re.compile(r"^parts/(?P<table>[a-z_]+)/[A-Za-z0-9_.-]+\.parquet$")
# Files that change without the write lock (sign-ins, exports): read once, then hashed and
# stored from those same bytes, so the manifest always matches what the backup holds.
LIVE_FILES = (SETTINGS_FILE, USERS_FILE, AUDIT_LOG)
MODES = {USERS_FILE: 0o600, AUDIT_LOG: 0o600, SETTINGS_FILE: 0o600}  # and parts: 0o600


def backup(
    warehouse: Path, out: Path, user: str = "", progress: Callable[[int, int], None] | None = None
) -> BackupSummary:
    warehouse = Path(warehouse).resolve()
    out = Path(out)
    if out.is_dir() or not out.suffix:  # a folder: a dated name inside it
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"svdash-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.tar"
    out.parent.mkdir(parents=True, exist_ok=True)
    if warehouse in out.resolve().parents:
        raise BackupError(f"{out}: write the backup outside the warehouse it copies")
    if not (warehouse / CATALOG).exists():
        raise BackupError(f"{warehouse}: no warehouse here to back up")
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    with write_lock(warehouse):
        recover_and_audit(warehouse, user)  # a clean, checkpointed, published catalog
        parts = _listed_parts(warehouse / CATALOG)
        recorded = dict(parts)
        live = {
            name: (warehouse / name).read_bytes()
            for name in LIVE_FILES
            if (warehouse / name).is_file()
        }
        members = [CATALOG, *(p for p, _ in parts)]
        files: dict[str, dict] = {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in live.items()
        }
        for i, rel in enumerate(members, start=1):
            path = warehouse / rel
            if not path.is_file():
                raise BackupError(f"{rel}: listed by the catalog but missing; run `svdash check`")
            digest = sha256_file(path)
            if recorded.get(rel) and recorded[rel] != digest:
                raise BackupError(
                    f"{rel}: checksum mismatch, the part changed after it was written; a backup "
                    "would carry the damage: run `svdash check` and mend it first"
                )
            files[rel] = {"bytes": path.stat().st_size, "sha256": digest}
            if progress:
                progress(i, len(members))
        con = duckdb.connect(str(warehouse / CATALOG), read_only=True)
        try:
            mark = committed_mark(con)
        finally:
            con.close()
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "warehouse": str(warehouse),
            "last_load": mark[0],
            "loads": mark[1],
            "files": files,
        }
        now = int(dt.datetime.now().timestamp())

        def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), now, 0o600
            tar.addfile(info, io.BytesIO(data))

        try:
            # Password hashes and the audit trail are inside: readable by its owner only.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                with tarfile.open(fileobj=fh, mode="w") as tar:
                    add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
                    for name, data in live.items():
                        add_bytes(tar, name, data)
                    for rel in members:
                        tar.add(warehouse / rel, arcname=rel, recursive=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        audit.record(
            warehouse,
            "backup",
            user=user,
            file=out.name,
            detail=f"loads={mark[1]} parts={len(parts)} files={len(files)}",
        )
    return BackupSummary(str(out), len(files), out.stat().st_size, mark[1], len(parts))


def _safe_member(name: str) -> bool:
    p = Path(name)
    return not p.is_absolute() and ".." not in p.parts and name == p.as_posix()


def read_manifest(tar: tarfile.TarFile, source: Path) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
    except (KeyError, json.JSONDecodeError, AttributeError):
        raise BackupError(f"{source}: not an svdash backup (no readable {MANIFEST})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r}, expected {FORMAT}")
    return manifest


def _extract(source: Path, staging: Path) -> dict:
    """Every member checked against the manifest (names, kinds, sizes, then checksums) into
    ``staging``; nothing outside it is written. Returns the manifest."""
    try:
        with tarfile.open(source, "r:") as tar:
            manifest = read_manifest(tar, source)
            files: dict[str, dict] = manifest["files"]
            members = [m for m in tar.getmembers() if m.name != MANIFEST]
            for m in members:
                if m.name not in files or not _safe_member(m.name):
                    raise BackupError(f"{source}: unexpected member {m.name!r}; not restored")
                if not m.isfile():
                    raise BackupError(f"{source}: {m.name} is not a regular file")
                if m.size != files[m.name]["bytes"]:
                    raise BackupError(f"{source}: {m.name} is not the size its manifest gives")
                if m.name.startswith("parts/") and not PART_PATH.match(m.name):
                    raise BackupError(f"{source}: {m.name} is not a part's name; not restored")
            missing = sorted(set(files) - {m.name for m in members})
            if missing:
                raise BackupError(f"{source}: {missing[0]} is in the manifest but not the backup")
            for m in members:
                target = staging / m.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(m) as src, open(target, "wb") as dst:  # type: ignore[union-attr]
                    shutil.copyfileobj(src, dst, 1 << 20)
                    dst.flush()
                    os.fsync(dst.fileno())  # durable before any rename makes it live
                os.chmod(target, MODES.get(m.name, 0o600))
                if sha256_file(target) != files[m.name]["sha256"]:
                    raise BackupError(
                        f"{source}: {m.name} does not match its checksum; the backup is "
                        "damaged and nothing was restored"
                    )
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(
            f"{source}: cannot read the backup ({exc}); nothing was restored"
        ) from None
    return manifest


def restore(source: Path, warehouse: Path, user: str = "") -> BackupSummary:
    """Check the whole backup first; only then change the warehouse (which may not exist).

    Holds the write lock throughout, so no load runs against a half-restored warehouse."""
    source, warehouse = Path(source), Path(warehouse).resolve()
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    warehouse.mkdir(parents=True, exist_ok=True)
    with write_lock(warehouse):
        if (warehouse / CATALOG).exists():
            try:  # merge any write-ahead log, clear leftovers (a damaged catalog is why some restore)
                recover_and_audit(warehouse, user)
            except duckdb.Error:
                aside = warehouse / f"{CATALOG}.damaged-{dt.datetime.now():%Y%m%d-%H%M%S}"
                os.replace(warehouse / CATALOG, aside)
                wal = warehouse / f"{CATALOG}.wal"
                if wal.exists():
                    os.replace(wal, aside.with_name(aside.name + ".wal"))
        staging = warehouse / f".restore-{secrets.token_hex(4)}"
        try:
            manifest = _extract(source, staging)
            files: dict[str, dict] = manifest["files"]
            try:
                parts = [p for p, _ in _listed_parts(staging / CATALOG)]
                for rel in parts:
                    if rel not in files or not PART_PATH.match(rel):
                        raise BackupError(
                            f"{source}: the catalog lists {rel}, which the backup "
                            "does not hold as a part; not restored"
                        )
                # The views are rebuilt from the parts table, never taken on trust.
                con = connect_writer(staging)
                try:
                    rebuild_views(con)
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
            except duckdb.Error as exc:
                raise BackupError(f"{source}: its catalog does not open ({exc})") from None
            for rel in parts:
                dest = warehouse / rel
                if dest.exists():
                    if sha256_file(dest) != files[rel]["sha256"]:
                        raise BackupError(
                            f"{rel}: a different file of that name is in the "
                            "warehouse; nothing was restored"
                        )
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, dest)
            fsync_parts_dirs(warehouse, {Path(rel).parts[1] for rel in parts})
            keep = [n for n in (USERS_FILE, AUDIT_LOG) if (warehouse / n).exists()]
            for name in LIVE_FILES:
                # A live warehouse keeps its own users and its own audit trail: restoring must
                # not bring back a removed account or rewrite the record of what happened.
                if name in files and name not in keep:
                    (warehouse / name).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / name, warehouse / name)
                    if name == AUDIT_LOG:
                        audit.seal(warehouse)  # the checked log gets its head
            (warehouse / f"{CATALOG}.wal").unlink(missing_ok=True)
            os.replace(staging / CATALOG, warehouse / CATALOG)
            publish(warehouse)
            audit.record(
                warehouse,
                "restore",
                user=user,
                file=source.name,
                detail=f"loads={manifest['loads']} parts={len(parts)} "
                f"backup_created={manifest['created']}",
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return BackupSummary(
        str(source), len(files), source.stat().st_size, manifest["loads"], len(parts)
    )
