"""Crash recovery: bringing a warehouse to a clean state after a loader was killed.

Each file's load is committed whole or not at all (``etl.writer``), so a killed loader can
leave only two kinds of mess: files nobody lists (parts of an uncommitted load, temp copies, a
restore's staging folder) and committed loads that never reached readers (killed between the
commit and the publish). ``recover`` removes the first and publishes the second; every writer
runs it under the lock before it starts, and ``svdash check --repair`` runs it on demand.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from etl.snapshots import publish, published_mark, snapshot_parts
from etl.writer import committed_mark, connect_writer
from svcore.warehouse import CURRENT, PARTS, SNAPSHOTS


def unfinished_files(warehouse: Path, referenced: set[str]) -> list[Path]:
    """Files an interrupted writer left: parts no catalog or snapshot lists, temp copies, and
    the staging folder of an interrupted restore."""
    found = [
        p
        for p in sorted((warehouse / PARTS).glob("*/*.parquet"))
        if p.relative_to(warehouse).as_posix() not in referenced
    ]
    found += sorted((warehouse / SNAPSHOTS).glob(".*.tmp"))
    found += sorted(warehouse.glob(f".{CURRENT}.tmp"))
    found += sorted(warehouse.glob(".restore-*"))
    return found


@dataclass
class Recovery:
    """What finishing an interrupted load did; empty when there was nothing to finish."""

    published: tuple[int, int] | None = None  # loads (first id, last id) made visible
    removed: list[str] = field(default_factory=list)  # unfinished files deleted
    loads: list[dict] = field(default_factory=list)  # the loads it made visible

    def __bool__(self) -> bool:
        return bool(self.published or self.removed)

    def describe(self) -> str:
        out = []
        if self.published:
            first, last = self.published
            out.append(f"published loads {first}-{last}, committed before an interrupted run")
        if self.removed:
            out.append(f"removed {len(self.removed)} unfinished file(s) of an interrupted run")
        return "; ".join(out)


def recover(warehouse: Path) -> Recovery:
    """Bring the warehouse to a clean state after a loader was killed; call under the lock.

    Opening the writer replays DuckDB's write-ahead log, so a committed file stays committed
    and an uncommitted one is gone; parts nobody lists are removed, with snapshots that no
    longer open; and a committed state that never reached readers is published now.
    """
    warehouse = Path(warehouse)
    seen = published_mark(warehouse)
    con = connect_writer(warehouse)
    try:
        con.execute("CHECKPOINT")
        mark = committed_mark(con)
        referenced = {r[0] for r in con.execute("SELECT path FROM parts").fetchall()}
        cols = (
            "load_id",
            "feed",
            "partner",
            "file_name",
            "status",
            "rows_read",
            "rows_loaded",
            "rows_quarantined",
            "rows_out_of_area",
            "rows_excluded",
            "mode",
            "rows_added",
            "rows_updated",
            "rows_removed",
        )
        unpublished = (
            [
                dict(zip(cols, r, strict=True))
                for r in con.execute(
                    f"SELECT {', '.join(cols)} FROM loads WHERE load_id > $after ORDER BY load_id",
                    {"after": seen[0] if seen else 0},
                ).fetchall()
            ]
            if seen != mark
            else []
        )
    finally:
        con.close()
    result = Recovery()
    listed, unreadable = snapshot_parts(warehouse)
    if seen != mark:
        publish(warehouse)
        result.published = ((seen[0] if seen else 0) + 1, mark[0])
        result.loads = unpublished
    current = (warehouse / CURRENT).read_text(encoding="utf-8").strip()
    for p in [
        *unfinished_files(warehouse, referenced | listed),
        *(u for u in unreadable if u.name != current),
    ]:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        result.removed.append(p.relative_to(warehouse).as_posix())
    return result


def recover_and_audit(warehouse: Path, user: str = "") -> Recovery:
    """``recover``, then the audit trail: a ``repair`` record, and a ``load`` record for any
    load it published that was never recorded (its loader died between commit and record)."""
    from svcore import audit

    done = recover(warehouse)
    if not done:
        return done
    audit.record(warehouse, "repair", user=user, detail=done.describe())
    if done.loads:
        recorded = {
            word.removeprefix("load_id=")
            for e in audit.entries(warehouse)
            if e.get("action") == "load"
            for word in e.get("detail", "").split()
            if word.startswith("load_id=")
        }
        for load in done.loads:
            if str(load["load_id"]) in recorded:
                continue
            audit.record(
                warehouse,
                "load",
                user=user,
                detail=(
                    f"feed={load['feed']} partner={load['partner']} "
                    f"load_id={load['load_id']} read={load['rows_read']} "
                    f"loaded={load['rows_loaded']} quarantined={load['rows_quarantined']} "
                    f"out_of_area={load['rows_out_of_area']} "
                    f"excluded={load['rows_excluded']} mode={load['mode']} "
                    f"added={load['rows_added']} updated={load['rows_updated']} "
                    f"removed={load['rows_removed']} (recorded at recovery)"
                ),
                file=load["file_name"],
                outcome=load["status"],
            )
    return done
