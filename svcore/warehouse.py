"""The warehouse's layout on disk, and how readers open a consistent snapshot of it.

Data lives in immutable Parquet parts; the catalog (a DuckDB file) lists which parts are live and
defines a view per table over them. Only the loader opens ``catalog.duckdb``. After each load it
publishes a copy as a numbered snapshot and points ``CURRENT`` at it with an atomic rename, so
readers (the dashboard, exports) never wait on a writer and never see a half-finished load.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

CATALOG = "catalog.duckdb"
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
PARTS = "parts"
LOCK = ".write.lock"


class WarehouseMissing(FileNotFoundError):
    """No warehouse at the path given; the message says how to make one."""


def current_snapshot(warehouse: Path) -> Path:
    pointer = Path(warehouse) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise WarehouseMissing(
            f"no warehouse at {warehouse}: run `svdash demo` for the demo, or "
            "`svdash init --districts CODE,...` for your own area"
        ) from None
    return Path(warehouse) / SNAPSHOTS / name


def search_path(warehouse: Path) -> str:
    """The folder views resolve part paths against. DuckDB reads the setting as a
    comma-separated list, so a comma in the folder's path would split it: refused plainly."""
    text = str(Path(warehouse).resolve())
    if "," in text:
        raise ValueError(f"{text}: a warehouse folder's path cannot contain a comma; move it")
    return text


def connect_reader(warehouse: Path, snapshot: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot (or the one given); views resolve parts
    in the warehouse."""
    warehouse = Path(warehouse).resolve()
    snap = snapshot or current_snapshot(warehouse)
    con = duckdb.connect(str(snap), read_only=True)
    con.execute("SET file_search_path = $p", {"p": search_path(warehouse)})
    return con


DAMAGED_FILE = re.compile(r"(parts/[A-Za-z_]+/[\w.-]+\.parquet)")


class WarehouseDamaged(RuntimeError):
    """A part the published snapshot lists is missing or damaged. Figures are withheld rather
    than drawn from what is left: a missing month would otherwise read as a fall in violence."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        first = "; ".join(f"{path} is {reason}" for path, reason in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(
            f"The warehouse is damaged: {first}{more}. Figures are withheld until it is "
            "mended: an administrator should run `svdash check` and restore a backup or "
            "re-load the file."
        )


def damaged_parts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[tuple[str, str]]:
    """Live parts of a snapshot that are not on disk whole: a stat per part, cheap enough to
    run whenever a reader opens a new snapshot (checksums are ``svdash check``'s job)."""
    cols = {r[0] for r in con.execute("DESCRIBE parts").fetchall()}
    size = "bytes" if "bytes" in cols else "NULL"
    problems = []
    for rel, want in con.execute(f"SELECT path, {size} FROM parts WHERE active").fetchall():
        path = Path(warehouse) / rel
        try:
            got = path.stat().st_size
        except FileNotFoundError:
            problems.append((rel, "missing"))
            continue
        if want is not None and got != want:
            problems.append((rel, f"{got:,} bytes where {want:,} were written"))
    return problems


MISSING = ("No files found", "No such file", "Cannot open file", "Could not open file")
CORRUPT = (
    "No magic bytes",
    "Failed to read file",
    "Decompression",
    "Corrupt",
    "corrupt",
    "Invalid Parquet",
    "out of bounds",
    "Unexpected end",
)


def damage_from(exc: BaseException) -> WarehouseDamaged | None:
    """The damage behind a DuckDB error reading a part (a file gone or corrupt since the
    snapshot was checked), or None when the error is something else: only a missing file or
    corrupt data in a named part counts, so a bug is never passed off as damage."""
    if isinstance(exc, WarehouseDamaged):
        return exc
    if not isinstance(exc, duckdb.IOException | duckdb.InvalidInputException):
        return None
    text = str(exc)
    found = DAMAGED_FILE.search(text)
    if found is None:
        return None
    if any(m in text for m in MISSING):
        return WarehouseDamaged([(found.group(1), "missing")])
    if any(m in text for m in CORRUPT):
        return WarehouseDamaged([(found.group(1), "unreadable")])
    return None
