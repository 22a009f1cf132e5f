"""The audit log: who signed in, viewed, loaded or exported what, and when. Append-only, chained.

Each record is one JSON line in ``<warehouse>/audit/audit.jsonl``, written with ``O_APPEND`` under
a lock and fsynced. Every record carries the SHA-256 of the previous line, so a line edited or
removed after the fact breaks the chain and ``verify`` names the first broken line. A chain alone
cannot show that its *last* lines were cut off, so every write also rewrites the chain's head
(``audit/head.json``: the count and the hash of the last record); ``verify`` compares the log
with it, and a write that finds the log shorter than its head keeps the alarm in the head, so
appending more records cannot hide a truncation. Nothing here overwrites or deletes records;
rotating the file is an administrator's job outside the tool.

The web server writes a record for every data response. Those go through a ``Buffer``: records
are chained and fsynced in batches (every ``FLUSH_RECORDS`` records or ``FLUSH_SECONDS``, and at
exit), so a busy server does not fsync once per callback. Failed sign-ins by people who are not
signed in are only counted (per address and minute), so an attacker cannot flood the log with
the names they type.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import pwd
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"
HEAD_FILE = "head.json"
GENESIS = "0" * 64
ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "load",
    "export",
    "report",
    "users",
    "denied",
    "repair",
    "backup",
    "restore",
    "view",
    "signout",
    "saved_view",
)
FIELDS = (
    "seq",
    "at",
    "user",
    "role",
    "action",
    "detail",
    "filters",
    "file",
    "outcome",
    "host",
    "tier",
    "prev",
)
FLUSH_RECORDS = 200
FLUSH_SECONDS = 2.0
MAX_TEXT = 4096  # no field may carry more than this (a forged callback can send megabytes)


def audit_path(warehouse: Path) -> Path:
    return Path(warehouse) / AUDIT_DIR / AUDIT_FILE


def head_path(warehouse: Path) -> Path:
    return Path(warehouse) / AUDIT_DIR / HEAD_FILE


def os_user() -> str:
    """Who runs this process, from the OS (``$USER`` is whatever the caller set, or nothing
    under cron and systemd)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def tier(settings: object, role: str) -> str | None:
    """The disclosure method the role's figures were published by, for the record."""
    from svcore.disclosure import tier_for

    return tier_for(settings, role)


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


def _read_head(warehouse: Path) -> dict | None:
    try:
        head = json.loads(head_path(warehouse).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"seq": -1, "hash": "", "alarms": ["the head file is not readable JSON"]}
    return head if isinstance(head, dict) else {"seq": -1, "hash": "", "alarms": ["bad head"]}


def _write_head(warehouse: Path, seq: int, digest: str, alarms: list[str]) -> None:
    """Replace the head atomically (a unique temporary name, never a fixed one)."""
    path = head_path(warehouse)
    tmp = path.with_name(f".{HEAD_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"seq": seq, "hash": digest, "alarms": alarms}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _alarms(head: dict | None, seq: int, last: str, log_has_heads: bool) -> list[str]:
    """Alarms to carry forward: the head's own, plus one if the log no longer reaches it."""
    if head is None:
        return (
            ["the head file was missing while the log held records written with one"]
            if log_has_heads
            else []
        )
    alarms = [str(a) for a in head.get("alarms", [])][:100]
    want = int(head.get("seq", 0) or 0)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if want > seq:
        alarms.append(
            f"at {now} the log held {seq} records where {want} had been written: "
            f"the last {want - seq} were removed"
        )
    elif want == seq and head.get("hash") != last:
        alarms.append(f"at {now} record {seq} was not the one written (replaced)")
    return alarms


def _append(warehouse: Path, batch: list[dict]) -> list[dict]:
    """Chain and append records in one write and one fsync, then move the head on."""
    path = audit_path(warehouse)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _last(path)
        head = _read_head(warehouse)
        alarms = _alarms(head, seq, prev, head is None and seq > 0 and _has_host(path))
        lines = []
        for entry in batch:
            seq += 1
            full = {k: entry.get(k, "") for k in FIELDS} | {"seq": seq, "prev": prev}
            line = json.dumps(full, ensure_ascii=False)
            lines.append(line)
            prev = _digest(line)
        os.write(fd, "".join(line + "\n" for line in lines).encode("utf-8"))
        os.fsync(fd)
        _write_head(warehouse, seq, prev, alarms)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return [json.loads(line) for line in lines]


def _has_host(path: Path) -> bool:
    """Whether the log's last record was written by a version that keeps a head."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 65536))
            tail = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return "host" in json.loads(tail)
    except (OSError, ValueError):
        return False


def seal(warehouse: Path) -> None:
    """Write the head for the log as it stands, with no alarms: for ``restore``, which puts a
    backup's (checked) log in place of none."""
    path = audit_path(warehouse)
    if not path.exists():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, last = _last(path)
        _write_head(warehouse, seq, last, [])
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _clip(value: object) -> object:
    return value[:MAX_TEXT] if isinstance(value, str) else value


def make_entry(
    action: str,
    *,
    user: str = "",
    role: str = "",
    detail: str = "",
    filters: str = "",
    file: str = "",
    outcome: str = "ok",
    origin: str | None = None,
    tier: str | None = None,
    at: str | None = None,
) -> dict:
    """One record before it is chained. ``origin`` is the client's address for records the web
    server writes; without one the record comes from this machine's command line, and names
    the OS user (when no user is given) and this host."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if origin is None:
        user, host = user or os_user(), socket.gethostname()
    else:
        host = origin
    return {
        k: _clip(v)
        for k, v in {
            "at": at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "user": user,
            "role": role,
            "action": action,
            "detail": detail,
            "filters": filters,
            "file": file,
            "outcome": outcome,
            "host": host,
            "tier": tier,
        }.items()
    }


def record(warehouse: Path, action: str, **fields: object) -> dict:
    """Append one event now (fsynced before returning). ``filters`` is the canonical query
    string, ``file`` what was written or read. Never holds personal data from the feeds: only
    names of users and files. Fields as ``make_entry``."""
    return _append(warehouse, [make_entry(action, **fields)])[0]  # type: ignore[arg-type]


@dataclass
class _Failures:
    failed: int = 0
    blocked: int = 0
    names: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)


class Buffer:
    """Records from the web server, chained and written in batches.

    ``add`` queues a record; the queue is written when it holds ``FLUSH_RECORDS``, by a
    background thread every ``FLUSH_SECONDS``, and at exit. A crash loses at most those
    seconds of view records; sign-ins, refusals and exports are written at once (``now=True``).
    Failed anonymous sign-ins are counted per address and minute and written as one record
    each when the minute is over."""

    def __init__(
        self, warehouse: Path, max_records: int = FLUSH_RECORDS, max_seconds: float = FLUSH_SECONDS
    ) -> None:
        self.warehouse = Path(warehouse)
        self.max_records, self.max_seconds = max_records, max_seconds
        self._pending: list[dict] = []
        self._failures: dict[tuple[str, str, str], _Failures] = {}
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, action: str, now: bool = False, **fields: object) -> None:
        entry = make_entry(action, **fields)  # type: ignore[arg-type]
        with self._lock:
            self._forked()
            self._pending.append(entry)
            full = now or len(self._pending) >= self.max_records
        if full:
            self.flush()
        else:
            self._ensure_thread()

    def failed_sign_in(
        self,
        address: str,
        name: str,
        account: str | None,
        blocked: bool = False,
        kind: str = "sign-in",
    ) -> None:
        """Count a refused anonymous sign-in (``account``: the name, if it is a real user),
        or with ``kind="request"`` a data request sent without a session."""
        minute = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M")
        with self._lock:
            self._forked()
            agg = self._failures.setdefault((address, minute, kind), _Failures())
            if blocked:
                agg.blocked += 1
            else:
                agg.failed += 1
            if name and len(agg.names) < 10_000:
                agg.names.add(name.lower())
            if account:
                agg.accounts.add(account)
        self._ensure_thread()

    def _forked(self) -> None:
        """A forked worker (gunicorn --preload) starts with an empty queue and no thread: the
        parent writes what it queued itself."""
        if os.getpid() != self._pid:
            self._pid, self._pending, self._failures, self._thread = os.getpid(), [], {}, None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="audit-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.max_seconds):
            self.flush()

    @staticmethod
    def _summary(address: str, at: str, kind: str, agg: _Failures) -> dict:
        if kind == "request":
            return make_entry(
                "denied",
                origin=address,
                outcome="refused",
                at=f"{at}:00+00:00",
                detail=f"{agg.blocked + agg.failed} data requests without a "
                f"session from {address} in the minute from {at} UTC",
            )
        words = [
            f"{agg.failed} failed sign-ins" if agg.failed else "",
            f"{agg.blocked} refused by the sign-in limit" if agg.blocked else "",
        ]
        detail = (
            " and ".join(w for w in words if w)
            + f" from {address} in the minute from {at} UTC; "
            + f"{len(agg.names)} user name(s) tried"
        )
        if agg.accounts:
            detail += "; accounts: " + ", ".join(sorted(agg.accounts)[:20])
        return make_entry(
            "login_failed",
            detail=detail,
            origin=address,
            at=f"{at}:00+00:00",
            outcome="blocked" if agg.blocked and not agg.failed else "refused",
        )

    def flush(self, final: bool = False) -> int:
        """Write what is queued (and failure counts of minutes that are over, or all of them
        when ``final``); returns how many records were written."""
        minute = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M")
        with self._write:
            with self._lock:
                self._forked()
                batch, self._pending = self._pending, []
                done = [k for k in self._failures if final or k[1] < minute]
                counts = [(k, self._failures.pop(k)) for k in sorted(done, key=lambda k: k[1])]
            for (address, at, kind), agg in counts:
                batch.append(self._summary(address, at, kind, agg))
            if batch:
                _append(self.warehouse, batch)
            return len(batch)


_buffers: dict[Path, Buffer] = {}
_buffers_lock = threading.Lock()


def buffer(warehouse: Path) -> Buffer:
    """The one buffer of this process for a warehouse (flushed at exit)."""
    key = Path(warehouse).resolve()
    with _buffers_lock:
        if key not in _buffers:
            _buffers[key] = Buffer(key)
        return _buffers[key]


@atexit.register
def _flush_all() -> None:
    for buf in list(_buffers.values()):
        with contextlib.suppress(OSError):  # a warehouse removed under a running process
            buf.flush(final=True)


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
    """Walk the chain (every record carries the hash of the line before it), then hold its
    end against the head: a log cut short, or a head that recorded an earlier cut, fails."""
    path = audit_path(warehouse)
    head = _read_head(warehouse)
    if not path.exists():
        if head and int(head.get("seq", 0) or 0) > 0:
            return Verdict(
                False,
                0,
                f"the audit log is gone but its head records {head['seq']} records: removed",
            )
        return Verdict(True, 0, "no audit log yet")
    prev, n, digests, has_host = GENESIS, 0, {}, False
    want = int(head.get("seq", 0) or 0) if head else 0
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            text = line.rstrip("\n")
            try:
                entry = json.loads(text)
            except json.JSONDecodeError:
                return Verdict(False, n, f"line {n} is not a JSON record")
            if entry.get("prev") != prev or entry.get("seq") != n:
                return Verdict(
                    False, n, f"line {n} does not follow line {n - 1}: edited or removed"
                )
            prev = _digest(text)
            has_host = "host" in entry
            if n == want:
                digests[n] = prev
    if head is None:
        if n and has_host:
            return Verdict(
                False,
                n,
                f"{n} records but the head file ({HEAD_FILE}) is missing: "
                "the end of the log cannot be checked; removed",
            )
        return Verdict(
            True, n, f"{n} records, chain intact (no head yet: written by an older version)"
        )
    if head.get("alarms"):
        return Verdict(False, n, f"{n} records; earlier damage recorded: {head['alarms'][0]}")
    if want > n:
        return Verdict(
            False,
            n,
            f"the log ends at record {n} but {want} were written: the last {want - n} were removed",
        )
    if want and digests.get(want) != head.get("hash"):
        return Verdict(False, n, f"record {want} is not the one written: edited or replaced")
    return Verdict(True, n, f"{n} records, chain intact")


def to_csv(warehouse: Path) -> str:
    """The log as CSV for administrators (formula-safe: cells cannot start a formula)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for entry in entries(warehouse):
        writer.writerow(
            {
                k: (
                    "'" + v
                    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
                    else v
                )
                for k, v in entry.items()
            }
        )
    return buf.getvalue()
