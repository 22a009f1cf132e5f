"""Saved views: a user's own named addresses (a page or board with its filters and controls).

Kept in ``<warehouse>/saved_views.json`` beside ``users.json`` and kept the same way: mode 0600,
replaced atomically, every change made under a lock. Each user sees and changes only their own
list. A saved view holds an address on this site and nothing else: no figures, and opening it
runs the views again under the reader's role, scope and disclosure tier. Every save and delete
is written to the audit log by the caller (``dashboard.saved``), with who and from where.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

SAVED_FILE = "saved_views.json"
SAVED_LOCK = ".saved_views.lock"
MAX_NAME = 80
MAX_URL = 2000
MAX_PER_USER = 100
# A path on this site: letters, digits and - _ / only (the pages' and boards' addresses).
PATH = re.compile(r"/[A-Za-z0-9/_-]{0,200}")


class SavedViewError(ValueError):
    pass


@dataclass(frozen=True)
class SavedView:
    name: str
    url: str  # a path on this site with its query: "/where?district=E08000035&level=ward"
    saved_at: str


def saved_path(warehouse: Path) -> Path:
    return Path(warehouse) / SAVED_FILE


def clean_name(name: object) -> str:
    """A name as it is kept: text, spaces collapsed, no control characters, 1-80 long."""
    if not isinstance(name, str):
        raise SavedViewError("give the view a name")
    text = " ".join(
        "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in name).split()
    )
    if not text:
        raise SavedViewError("give the view a name")
    if len(text) > MAX_NAME:
        raise SavedViewError(f"a name is at most {MAX_NAME} characters")
    return text


def clean_url(url: object) -> str:
    """A path on this site with its query, or ``SavedViewError``: never another site, a
    scheme, a fragment or a path the pages do not use."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise SavedViewError(f"a view is an address on this site of up to {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not PATH.fullmatch(parts.path) or "//" in parts.path:
        raise SavedViewError("a view is an address on this site")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in parts.query):
        raise SavedViewError("the address holds characters a link cannot")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _load(warehouse: Path) -> dict[str, list[SavedView]]:
    path = saved_path(warehouse)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        str(user): [SavedView(str(v["name"]), str(v["url"]), str(v["saved_at"])) for v in views]
        for user, views in (data.get("users") or {}).items()
    }


def saved_views(warehouse: Path, user: str) -> list[SavedView]:
    """The user's saved views, in the order saved."""
    return list(_load(warehouse).get(user, []))


def _save(warehouse: Path, data: dict[str, list[SavedView]]) -> None:
    path = saved_path(warehouse)
    tmp = path.with_name(f".{SAVED_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    body = json.dumps(
        {"users": {u: [asdict(v) for v in views] for u, views in sorted(data.items()) if views}},
        indent=2,
        ensure_ascii=False,
    )
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _editing(warehouse: Path) -> Iterator[dict[str, list[SavedView]]]:
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(warehouse) / SAVED_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = _load(warehouse)
        yield data
        _save(warehouse, data)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def save_view(warehouse: Path, user: str, name: object, url: object) -> SavedView:
    """Save (or, under a name already used, replace) one of the user's views."""
    if not isinstance(user, str) or not user:
        raise SavedViewError("saving a view needs a signed-in user")
    view = SavedView(
        clean_name(name), clean_url(url), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    with _editing(warehouse) as data:
        mine = [v for v in data.get(user, []) if v.name != view.name]
        if len(mine) >= MAX_PER_USER:
            raise SavedViewError(f"at most {MAX_PER_USER} saved views each: delete one first")
        data[user] = [*mine, view]
    return view


def delete_view(warehouse: Path, user: str, name: object) -> bool:
    """Delete one of the user's views by name; False when they have none of that name."""
    if not isinstance(name, str):
        return False
    with _editing(warehouse) as data:
        mine = data.get(user, [])
        kept = [v for v in mine if v.name != name]
        data[user] = kept
    return len(kept) != len(mine)
