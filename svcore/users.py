"""Users and roles: who may sign in and which districts they may see.

Stored in ``<warehouse>/users.json`` (mode 0600, replaced atomically). Passwords are hashed with
Argon2id (``argon2-cffi``); the file never holds a password. Roles:

- ``admin``: everything, plus users, loads and the audit log;
- ``analyst``: every district, every page;
- ``duty_holder``: detail only for the listed districts; others only inside partnership totals;
- ``viewer``: every page but data quality, and no report pack.

What each role's numbers are published by (exact or perturbed) is its disclosure tier,
``[disclosure.tiers]`` in the settings (``svcore.disclosure``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

USERS_FILE = "users.json"
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
        u["name"]: User(u["name"], u["role"], tuple(u.get("districts", ())), u["password_hash"])
        for u in data.get("users", [])
    }


def _save(warehouse: Path, users: dict[str, User]) -> None:
    path = users_path(warehouse)
    tmp = path.with_suffix(".tmp")
    body = json.dumps({"users": [asdict(u) for u in sorted(users.values(), key=lambda u: u.name)]},
                      indent=2)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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


def add_user(warehouse: Path, name: str, role: str, password: str,
             districts: tuple[str, ...] = ()) -> User:
    users = load_users(warehouse)
    if name in users:
        raise UserError(f"user {name} already exists (use reset to change the password)")
    districts = tuple(dict.fromkeys(d.upper() for d in districts))
    _check(name, role, districts, password)
    user = User(name, role, districts if role == "duty_holder" else (), _hasher.hash(password))
    users[name] = user
    _save(warehouse, users)
    return user


def remove_user(warehouse: Path, name: str) -> None:
    users = load_users(warehouse)
    if name not in users:
        raise UserError(f"no user {name}")
    del users[name]
    _save(warehouse, users)


def reset_password(warehouse: Path, name: str, password: str) -> User:
    users = load_users(warehouse)
    if name not in users:
        raise UserError(f"no user {name}")
    _check(name, users[name].role, users[name].districts, password)
    user = User(name, users[name].role, users[name].districts, _hasher.hash(password))
    users[name] = user
    _save(warehouse, users)
    return user


def authenticate(warehouse: Path, name: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (in constant-ish time)."""
    user = load_users(warehouse).get(name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user
