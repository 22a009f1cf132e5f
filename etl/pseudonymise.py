"""Keyed-hash pseudonymisation of record and person identifiers, done inside DuckDB.

The key lives outside the warehouse (a copy of the warehouse alone cannot be re-identified by
hashing guessed references) and is created on first use. HMAC-SHA256 is computed in SQL from
the key's inner and outer pads, so a million references take about a second, vectorised.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from svcore.files import refuse_if_shared

KEY_ENV = "SVDASH_KEY_FILE"


def default_key_path() -> Path:
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "svdash" / "pseudonymisation.key"


@dataclass(frozen=True)
class PseudonymKey:
    path: Path
    ipad: bytes
    opad: bytes
    fingerprint: str

    def sql(self, expr: str, ipad_param: str = "$hmac_i", opad_param: str = "$hmac_o") -> str:
        """SQL computing HMAC-SHA256 (hex) of a VARCHAR expression."""
        return (
            f"CASE WHEN {expr} IS NULL THEN NULL ELSE "
            f"sha256({opad_param}::BLOB || unhex(sha256({ipad_param}::BLOB || encode({expr})))) END"
        )

    def params(self) -> dict[str, bytes]:
        return {"hmac_i": self.ipad, "hmac_o": self.opad}


def _create_key(path: Path) -> None:
    """A new key under a name only this call uses (``O_EXCL``: never through a file someone
    planted or another process is writing), linked into place: if two loads race, one key wins
    and both use it; an existing key is never replaced."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_key(path: Path | None = None, warehouse: Path | None = None) -> PseudonymKey:
    """The partnership's key, created (0600) on first use; never inside the warehouse, and
    refused when other users could read it (``SharedKeyError`` says how to fix it)."""
    path = Path(path or default_key_path()).expanduser()
    if warehouse is not None:
        wh = Path(warehouse).resolve()
        if wh == path.resolve().parent or wh in path.resolve().parents:
            raise ValueError(
                f"the pseudonymisation key {path} must not live inside the warehouse {warehouse}"
            )
    if not path.exists():
        _create_key(path)
    refuse_if_shared(path, "pseudonymisation key")
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"the pseudonymisation key {path} is too short (need 32 bytes)")
    block = (
        key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    )
    return PseudonymKey(
        path=path,
        ipad=bytes(b ^ 0x36 for b in block),
        opad=bytes(b ^ 0x5C for b in block),
        fingerprint=hashlib.sha256(b"svdash-fingerprint" + key).hexdigest()[:16],
    )
