"""The audit log: who logged in, loaded or exported what, and when. Append-only and chained.

Each record is one JSON line in ``<warehouse>/audit/audit.jsonl``, written with ``O_APPEND`` under
a lock and fsynced. Every record carries the SHA-256 of the previous line, so a line edited or
removed after the fact breaks the chain and ``verify`` names the first broken line. Nothing here
overwrites or deletes; rotating the file is an administrator's job outside the tool.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
ACTIONS = (
    "login", "login_failed", "logout", "load", "export", "report", "users", "denied", "repair",
    "backup", "restore",
)
FIELDS = ("seq", "at", "user", "role", "action", "detail", "filters", "file", "outcome", "prev")


def audit_path(warehouse: Path) -> Path:
    return Path(warehouse) / AUDIT_DIR / AUDIT_FILE


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _last(path: Path) -> tuple[int, str]:
    """The last record's sequence number and the hash the next record must carry."""
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        size = 65536
        while True:
            # Split on bytes, then decode only the whole last line: a cut through the middle of
            # a multi-byte character (a file named in any script) must not break the log.
            fh.seek(max(0, end - size))
            chunk = fh.read().rstrip(b"\n")
            if b"\n" in chunk or size >= end:
                break
            size *= 4  # a last line longer than the window: look further back
        tail = chunk.rsplit(b"\n", 1)[-1].decode("utf-8")
    return int(json.loads(tail)["seq"]), _digest(tail)


def record(
    warehouse: Path,
    action: str,
    *,
    user: str = "",
    role: str = "",
    detail: str = "",
    filters: str = "",
    file: str = "",
    outcome: str = "ok",
) -> dict:
    """Append one event. ``filters`` is the canonical query string, ``file`` what was written
    or read. Never holds personal data from the feeds: only names of users and files."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    path = audit_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _last(path)
        entry = {
            "seq": seq + 1,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "user": user or os.environ.get("USER", ""),
            "role": role,
            "action": action,
            "detail": detail,
            "filters": filters,
            "file": file,
            "outcome": outcome,
            "prev": prev,
        }
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return entry


def entries(warehouse: Path) -> Iterator[dict]:
    path = audit_path(warehouse)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    records: int
    message: str


def verify(warehouse: Path) -> Verdict:
    """Walk the chain: every record must carry the hash of the line before it."""
    path = audit_path(warehouse)
    if not path.exists():
        return Verdict(True, 0, "no audit log yet")
    prev, n = GENESIS, 0
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            text = line.rstrip("\n")
            try:
                entry = json.loads(text)
            except json.JSONDecodeError:
                return Verdict(False, n, f"line {n} is not a JSON record")
            if entry.get("prev") != prev or entry.get("seq") != n:
                return Verdict(False, n, f"line {n} does not follow line {n - 1}: edited or removed")
            prev = _digest(text)
    return Verdict(True, n, f"{n} records, chain intact")


def to_csv(warehouse: Path) -> str:
    """The log as CSV for administrators (formula-safe: cells cannot start a formula)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for entry in entries(warehouse):
        writer.writerow({
            k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
            for k, v in entry.items()
        })
    return buf.getvalue()
