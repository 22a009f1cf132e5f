"""Users and roles: who may sign in and which districts they may see.

Stored in ``<warehouse>/users.json`` (mode 0600, replaced atomically, every change made under a
lock so two commands or workers cannot lose each other's change). Passwords are hashed with
Argon2id (``argon2-cffi``); the file never holds a password. Each user has a session ``epoch``:
a session carries the epoch it was opened under and ends when the epoch moves on, which sign-out,
``svdash users signout``, a password reset and a role change do. Roles:

- ``admin``: everything, plus users, loads and the audit log;
- ``analyst``: every district, every page;
- ``duty_holder``: detail only for the listed districts; others only inside partnership totals;
- ``viewer``: every page but data quality, and no report pack.

What each role's numbers are published by (exact or perturbed) is its disclosure tier,
``[disclosure.tiers]`` in the settings (``svcore.disclosure``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

USERS_FILE = "users.json"
USERS_LOCK = ".users.lock"
ROLES = ("admin", "analyst", "duty_holder", "viewer")
NAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
DISTRICT = re.compile(r"^[EW]0[6789]\d{6}$")
MIN_PASSWORD = 12

_hasher = PasswordHasher()
# A hash of a random password: verifying against it for unknown users costs the same time,
# so response times do not reveal which user names exist.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: str
    districts: tuple[str, ...] = ()
    password_hash: str = field(default="", repr=False)
    epoch: int = 0  # sessions opened under an earlier epoch are over

    @property
    def all_districts(self) -> bool:
        return self.role in ("admin", "analyst", "viewer")

    def public(self) -> dict:
        return {"name": self.name, "role": self.role, "districts": list(self.districts)}


def users_path(warehouse: Path) -> Path:
    return Path(warehouse) / USERS_FILE


def load_users(warehouse: Path) -> dict[str, User]:
    path = users_path(warehouse)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        u["name"]: User(
            u["name"],
            u["role"],
            tuple(u.get("districts", ())),
            u["password_hash"],
            int(u.get("epoch", 0)),
        )
        for u in data.get("users", [])
    }


def _save(warehouse: Path, users: dict[str, User]) -> None:
    """Write a whole new file under a name no one else uses, then rename it into place."""
    path = users_path(warehouse)
    tmp = path.with_name(f".{USERS_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    body = json.dumps(
        {"users": [asdict(u) for u in sorted(users.values(), key=lambda u: u.name)]}, indent=2
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
def _editing(warehouse: Path) -> Iterator[dict[str, User]]:
    """The users, read and written back under an exclusive lock: a sign-out in the web server
    and ``svdash users add`` at the same moment both land."""
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(warehouse) / USERS_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        users = load_users(warehouse)
        before = dict(users)
        yield users
        if users != before:
            _save(warehouse, users)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _check(name: str, role: str, districts: tuple[str, ...], password: str | None) -> None:
    if not NAME.match(name):
        raise UserError("a user name is 2-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    bad = [d for d in districts if not DISTRICT.match(d)]
    if bad:
        raise UserError(f"not district GSS codes: {', '.join(bad)}")
    if role == "duty_holder" and not districts:
        raise UserError("a duty holder needs at least one --district")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"passwords need at least {MIN_PASSWORD} characters")


def add_user(
    warehouse: Path, name: str, role: str, password: str, districts: tuple[str, ...] = ()
) -> User:
    districts = tuple(dict.fromkeys(d.upper() for d in districts))
    _check(name, role, districts, password)
    with _editing(warehouse) as users:
        if name in users:
            raise UserError(f"user {name} already exists (use reset to change the password)")
        user = User(name, role, districts if role == "duty_holder" else (), _hasher.hash(password))
        users[name] = user
    return user


def remove_user(warehouse: Path, name: str) -> None:
    with _editing(warehouse) as users:
        if name not in users:
            raise UserError(f"no user {name}")
        del users[name]


def reset_password(warehouse: Path, name: str, password: str) -> User:
    """A new password; every session the user has open ends (the old one may be known)."""
    with _editing(warehouse) as users:
        if name not in users:
            raise UserError(f"no user {name}")
        _check(name, users[name].role, users[name].districts, password)
        user = replace(
            users[name], password_hash=_hasher.hash(password), epoch=users[name].epoch + 1
        )
        users[name] = user
    return user


def set_role(warehouse: Path, name: str, role: str, districts: tuple[str, ...] = ()) -> User:
    """A new role (and districts); open sessions end so none keeps the old role's reach."""
    districts = tuple(dict.fromkeys(d.upper() for d in districts))
    _check(name, role, districts, None)
    with _editing(warehouse) as users:
        if name not in users:
            raise UserError(f"no user {name}")
        user = replace(
            users[name],
            role=role,
            districts=districts if role == "duty_holder" else (),
            epoch=users[name].epoch + 1,
        )
        users[name] = user
    return user


def sign_out_everywhere(warehouse: Path, name: str) -> User:
    """End every session of a user on every device (their cookies stop working at once)."""
    with _editing(warehouse) as users:
        if name not in users:
            raise UserError(f"no user {name}")
        user = replace(users[name], epoch=users[name].epoch + 1)
        users[name] = user
    return user


def authenticate(warehouse: Path, name: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (in constant-ish time)."""
    user = load_users(warehouse).get(name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user
