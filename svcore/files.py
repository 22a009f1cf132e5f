"""Private by default: the modes the warehouse, its keys and its backups are kept at.

A warehouse holds counts before suppression, password hashes and the audit trail, so nothing in
it is for other local users: folders 0700, files 0600. Keys (the pseudonymisation key, the
session key) are refused, with the fix in the message, when others could read them: a key
someone else has read is no longer a secret, and saying so beats quietly tightening it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class SharedKeyError(ValueError):
    """A key file other users can read (or write): a usage error the command reports plainly."""


def refuse_if_shared(path: Path, what: str) -> None:
    """Raise ``SharedKeyError`` if the group or others have any access to ``path``."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise SharedKeyError(
            f"the {what} {path} can be read by other users (mode {mode:04o}); anyone who read "
            f"it may hold the secret. Make it private with `chmod 600 {path}` (and replace the "
            "key if others may have copied it), then try again"
        )


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) and tighten it to 0700; our own folders only."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR:
        os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Tighten a file the warehouse wrote to 0600 (DuckDB and tarfile create files 0644)."""
    if stat.S_IMODE(os.stat(path).st_mode) != PRIVATE_FILE:
        os.chmod(path, PRIVATE_FILE)
    return path


def tighten_warehouse(warehouse: Path) -> None:
    """Bring a warehouse written by an older version to 0700 folders and 0600 files (each run
    of a writer does this under the write lock; a no-op once done)."""
    warehouse = Path(warehouse)
    for root, dirs, files in os.walk(warehouse):
        private_dir(Path(root))
        for name in files:
            p = Path(root) / name
            if not p.is_symlink():
                private_file(p)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
