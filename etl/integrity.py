"""``svdash check``: is the warehouse whole, and does it hold what the load history says?

Read-only (``repair`` aside): it opens the catalog and the published snapshot without writing
and reads every part's bytes. What it compares, and why:

- the pointer and snapshot readers open exist and open, and the snapshot is the catalog's
  latest committed state (a killed loader can leave committed loads unpublished);
- every part either lists exists, with the size and SHA-256 recorded when it was written, and
  its Parquet footer holds the rows the catalog says (a truncated, replaced or bit-rotted
  file is named, not read as zero rows);
- each loaded file's parts add up to the rows its load recorded, and each feed's view counts
  the rows of its live parts;
- no unfinished files lie about, and the audit chain is intact.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.parts import sha256_file
from etl.recovery import Recovery, recover_and_audit, unfinished_files
from etl.snapshots import snapshot_parts
from etl.writer import TABLES, committed_mark, write_lock
from svcore import audit
from svcore.warehouse import (
    CATALOG,
    CURRENT,
    SNAPSHOTS,
    WarehouseMissing,
    current_snapshot,
    search_path,
)

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    level: str  # error: readers get wrong or no data; warning: tidy-up, nothing wrong shown
    where: str  # the file or table concerned, relative to the warehouse
    message: str
    fix: str = ""


@dataclass
class CheckReport:
    warehouse: str
    problems: list[Problem] = field(default_factory=list)
    parts_checked: int = 0
    bytes_hashed: int = 0
    rows_checked: int = 0
    loads_checked: int = 0
    unchecksummed: int = 0
    snapshot: str = ""

    @property
    def ok(self) -> bool:
        return not any(p.level == ERROR for p in self.problems)

    def add(self, level: str, where: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(level, where, message, fix))


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _parts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    cols = {r[0] for r in con.execute("DESCRIBE parts").fetchall()}
    extra = "bytes, sha256" if "sha256" in cols else "NULL, NULL"
    rows = con.execute(
        f"SELECT path, table_name, rows, load_id, active, {extra} FROM parts ORDER BY path"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _check_part(
    report: CheckReport,
    warehouse: Path,
    rel: str,
    info: tuple,
    live: bool,
    con: duckdb.DuckDBPyConnection,
    checksums: bool,
) -> bool:
    table, rows, load_id, _active, size, digest = info
    path = warehouse / rel
    level = ERROR if live else WARNING
    refetch = f"restore a backup (`svdash restore`) or re-load the file of load {load_id}"
    if not live:
        refetch = "only older snapshots read it; nothing current is affected"
    if not path.is_file():
        report.add(
            level,
            rel,
            f"missing: the {table} part of load {load_id} ({rows:,} rows) is not on disk",
            refetch,
        )
        return False
    actual = path.stat().st_size
    if size is not None and actual != size:
        report.add(level, rel, f"size {actual:,} bytes, but {size:,} were written", refetch)
        return False
    if checksums and digest:
        report.bytes_hashed += actual
        if sha256_file(path) != digest:
            report.add(
                level, rel, "checksum mismatch: the file changed after it was written", refetch
            )
            return False
    elif checksums:
        # Written before checksums were recorded: decode every page instead, which catches
        # what a damaged compressed page does (though not a flipped bit that still decodes).
        report.unchecksummed += 1
        try:
            con.sql("SELECT * FROM read_parquet($p)", params={"p": str(path)}).to_arrow_table()
        except duckdb.Error as exc:
            report.add(level, rel, f"damaged Parquet data ({str(exc).splitlines()[0]})", refetch)
            return False
    try:
        (n,) = con.execute(
            "SELECT coalesce(sum(row_group_num_rows), 0) FROM "
            "(SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata($p))",
            {"p": str(path)},
        ).fetchall()[0]
    except duckdb.Error as exc:
        report.add(level, rel, f"not a readable Parquet file ({str(exc).splitlines()[0]})", refetch)
        return False
    if n != rows:
        report.add(level, rel, f"holds {n:,} rows, but the catalog lists {rows:,}", refetch)
        return False
    report.rows_checked += int(n)
    return True


def check(
    warehouse: Path, checksums: bool = True, progress: Callable[[int, int], None] | None = None
) -> CheckReport:
    """Every check above, problems in the report rather than raised: a damaged warehouse is
    exactly when a plain list of what is wrong matters most."""
    warehouse = Path(warehouse).resolve()
    report = CheckReport(warehouse=str(warehouse))
    if not (warehouse / CATALOG).exists():
        report.add(
            ERROR,
            CATALOG,
            "no catalog: this is not a warehouse, or it lost its catalog",
            "restore a backup with `svdash restore`",
        )
        return report
    with tempfile.TemporaryDirectory(prefix="svdash-check-") as work:
        # The catalog and the file listing are taken together under the write lock, for a
        # moment: a running load is never blocked for the whole check, and never mistaken for
        # damage (its new parts are not "unfinished" at the moment of the copy).
        with write_lock(warehouse):
            copy = Path(work) / CATALOG
            shutil.copyfile(warehouse / CATALOG, copy)
            if (warehouse / f"{CATALOG}.wal").exists():
                shutil.copyfile(warehouse / f"{CATALOG}.wal", Path(work) / f"{CATALOG}.wal")
            listed, unreadable = snapshot_parts(warehouse)
            on_disk = [
                p.relative_to(warehouse).as_posix() for p in unfinished_files(warehouse, listed)
            ]
        return _check(report, warehouse, copy, listed, unreadable, on_disk, checksums, progress)


def _readable(con: duckdb.DuckDBPyConnection, report: CheckReport, where: str) -> bool:
    """Every catalog table read in full, every view bound: a catalog whose pages are damaged
    fails here rather than on the quality page."""
    try:
        for table in ("meta", "loads", "parts"):
            con.sql(f"SELECT * FROM {table}").to_arrow_table()
        return True
    except duckdb.Error as exc:
        report.add(
            ERROR,
            where,
            f"damaged: {str(exc).splitlines()[0]}",
            "run `svdash check --repair`"
            if where != CATALOG
            else "restore a backup with `svdash restore`",
        )
        return False


def _check(
    report: CheckReport,
    warehouse: Path,
    catalog_copy: Path,
    listed: set[str],
    unreadable: list[Path],
    unlisted: list[str],
    checksums: bool,
    progress: Callable[[int, int], None] | None,
) -> CheckReport:
    try:
        snap = current_snapshot(warehouse)
    except WarehouseMissing:
        report.add(
            ERROR, CURRENT, "nothing is published for readers", "run `svdash check --repair`"
        )
        snap = None
    snap_parts: dict[str, tuple] = {}
    snap_mark = None
    if snap is not None:
        report.snapshot = snap.name
        if not snap.is_file():
            report.add(
                ERROR,
                f"{SNAPSHOTS}/{snap.name}",
                "CURRENT names a snapshot that is missing",
                "run `svdash check --repair` to publish the catalog again",
            )
        else:
            try:
                scon = _open(snap)
                try:
                    if _readable(scon, report, f"{SNAPSHOTS}/{snap.name}"):
                        snap_parts = {p: i for p, i in _parts(scon).items() if i[3]}
                        snap_mark = committed_mark(scon)
                finally:
                    scon.close()
            except duckdb.Error as exc:
                report.add(
                    ERROR,
                    f"{SNAPSHOTS}/{snap.name}",
                    f"the published snapshot does not open ({str(exc).splitlines()[0]})",
                    "run `svdash check --repair` to publish the catalog again",
                )
    for u in unreadable:
        if snap is None or u.name != snap.name:
            report.add(
                WARNING,
                f"{SNAPSHOTS}/{u.name}",
                "an older snapshot no longer opens; readers do not use it",
                "run `svdash check --repair` to remove it",
            )
    try:
        con = _open(catalog_copy)
    except duckdb.Error as exc:
        report.add(
            ERROR,
            CATALOG,
            f"the catalog does not open ({str(exc).splitlines()[0]})",
            "restore a backup with `svdash restore`",
        )
        return report
    try:
        if not _readable(con, report, CATALOG):
            return report
        parts = _parts(con)
        mark = committed_mark(con)
        if snap_mark is not None and snap_mark != mark:
            report.add(
                WARNING,
                CURRENT,
                f"loads {snap_mark[0] + 1}-{mark[0]} are committed but not yet published "
                "(a load was interrupted); readers see the state before them",
                "the next load publishes them, or run `svdash check --repair`",
            )
        live = {p for p, i in parts.items() if i[3]} | set(snap_parts)
        every = sorted(set(parts) | set(snap_parts))
        for i, rel in enumerate(every, start=1):
            info = parts.get(rel) or snap_parts[rel]
            report.parts_checked += 1
            _check_part(report, warehouse, rel, info, rel in live, con, checksums)
            if progress:
                progress(i, len(every))
        # Row counts against the load history, one loaded file at a time. A merge's parts
        # also carry the held rows it kept (``rows_kept``, absent from older catalogs).
        kept = (
            "coalesce(l.rows_kept, 0)"
            if "rows_kept" in {r[0] for r in con.execute("DESCRIBE loads").fetchall()}
            else "0"
        )
        mismatched = con.execute(
            f"SELECT l.load_id, l.feed, l.file_name, l.rows_loaded + {kept}, "
            "coalesce(sum(p.rows), 0) AS rows_in_parts "
            "FROM loads l LEFT JOIN parts p ON p.load_id = l.load_id AND p.table_name = l.feed "
            f"WHERE l.status = 'loaded' GROUP BY ALL HAVING rows_in_parts <> l.rows_loaded + {kept} "
            "ORDER BY l.load_id"
        ).fetchall()
        report.loads_checked = con.execute(
            "SELECT count(*) FROM loads WHERE status = 'loaded'"
        ).fetchall()[0][0]
        for load_id, feed, name, loaded, in_parts in mismatched:
            report.add(
                ERROR,
                f"loads/{load_id}",
                f"{feed} file {name}: the load recorded {loaded:,} rows, its parts hold "
                f"{in_parts:,}",
                "re-load the file",
            )
        con.execute("SET file_search_path = $p", {"p": search_path(warehouse)})
        for table in TABLES:
            listed = sum(i[1] for p, i in parts.items() if i[0] == table and i[3])
            if not listed:
                continue
            try:
                (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
            except duckdb.Error as exc:
                report.add(
                    ERROR,
                    table,
                    f"the {table} view cannot be read ({str(exc).splitlines()[0]})",
                    "see the part problems above",
                )
                continue
            if n != listed:
                report.add(
                    ERROR,
                    table,
                    f"the {table} view counts {n:,} rows; its live parts list {listed:,}",
                )
    finally:
        con.close()
    if report.unchecksummed:
        report.add(
            WARNING,
            "parts",
            f"{report.unchecksummed:,} parts were written before "
            "checksums were recorded, so they were decoded in full instead",
            "re-loading their files records checksums",
        )
    for rel in unlisted:
        if rel in parts:  # listed by the catalog, just not yet by a snapshot
            continue
        report.add(
            WARNING,
            rel,
            "left by an interrupted load or restore; nothing reads it",
            "the next load removes it, or run `svdash check --repair`",
        )
    verdict = audit.verify(warehouse)
    if not verdict.ok:
        report.add(
            ERROR,
            "audit/audit.jsonl",
            f"audit chain broken: {verdict.message}",
            "keep the file as evidence; see `svdash audit verify`",
        )
    return report


def repair(warehouse: Path, user: str = "") -> Recovery:
    """What can be mended in place: publish committed loads, remove unfinished files. Damaged
    parts cannot be: they need a backup or the partner's file again."""
    warehouse = Path(warehouse)
    with write_lock(warehouse):
        return recover_and_audit(warehouse, user)
