"""Loading partner files: validate, write parts, commit the catalog, publish a snapshot.

Each file is its own all-or-nothing unit: it is refused whole (warehouse data unchanged) when
it cannot be read, more than the threshold of its rows are bad, or a replacement would remove
more of a period than the settings allow; otherwise its good rows are applied to what the same
partner sent before, its bad rows go to quarantine with line, column and reason, and rows
outside the area are counted and set aside. The same file twice is recognised by its SHA-256
and changes nothing. Every load, refused ones included, gets a row in the load history.

How a file's rows are applied (``mode``):

- **merge** (the default for record feeds with a reference: police ``crime_ref``, A&E
  ``attendance_ref``, youth justice): a row whose key is already held replaces the held row,
  wherever it is held (a crime whose recorded month changed between extracts moves, and is
  counted once); new keys are added; nothing held is removed. Supplements, weekly deltas,
  late-arriving and rolling re-extracts all merge safely.
- **replace** (a partner that sends full extracts says so: mapping ``mode = "replace"`` or
  ``--replace``; always for police.uk months, which are complete as published, probation
  snapshots, indicators and reference data): the periods the file covers are replaced. A
  replacement that would remove more than ``max_replace_removal`` of the rows held for any of
  those periods is refused, naming the period and the counts, unless confirmed (``yes``).

Keys are the stored (HMAC-pseudonymised) references, matched within one partner's rows. Every
loaded police, A&E and youth-justice row has one (the reference is a required column, so a row
with a blank one is quarantined, never loaded keyless); should a keyless row ever reach a merge
it can match nothing, so it is only added, and counted as added.

Why rewrite parts rather than keep tombstones: parts are immutable, so a merge writes, for each
period it touches, a new part holding the held rows it keeps plus the file's rows for that
period, and retires the old parts in the same catalog transaction that lists the new ones. The
cost is paid once, at load time, in proportion to the periods touched (a 20-row supplement to a
4,759-row month rewrites that month). Key-level tombstones would make every load cheap but
every *read* dearer: each view would anti-join its parts against a tombstone list, forever, in
every dashboard query. Readers stay as they are: one view over the live parts, nothing to mask.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from etl import adapters, archive, vintage
from etl.contracts import CONTRACTS, contract
from etl.crashpoints import crashpoint
from etl.mapping import LOAD_MODES, Mapping, MappingError, read_mapping
from etl.parts import (
    fsync_parts_dirs,
    part_digest,
    parts_dir,
    sha256_file,
    write_period_parts,
)
from etl.pseudonymise import PseudonymKey, load_key
from etl.read import FileRefused, drop_temp, read_raw
from etl.recovery import recover_and_audit
from etl.snapshots import publish, published_mark
from etl.validate import counts, quarantine_rows, stored_select, validate
from etl.writer import (
    LOADS_COLUMNS,
    PARTS_COLUMNS,
    committed_mark,
    connect_writer,
    rebuild_views,
    schema_of,
    write_lock,
)
from svcore import audit
from svcore.config import Settings, read_settings, write_settings
from svcore.definitions import CODE_COLUMNS, DefinitionError, load_definition
from svcore.sql import ident, literal, literal_list
from svcore.warehouse import CATALOG, CURRENT

MAX_REPORTED_ERRORS = 1000

# Record feeds: each row is one record with a reference, so a file merges by it, and a held
# record is found in any period (its month may change between extracts). The SQL gives the key
# over a stored row. Youth justice has no offence reference: a proven offence is the young
# person, the offence date and the offence group.
RECORD_KEYS: dict[str, str] = {
    "police": "crime_key",
    "health": "attendance_key",
    "youth_justice": "person_key || '|' || offence_date || '|' || coalesce(offence_group, '')",
}
# Feeds whose files are whole periods (police.uk as published, caseload snapshots): they
# replace their periods; these keys only tell updated rows from added ones within a period.
PERIOD_KEYS: dict[str, str] = {"policeuk": "crime_key", "probation": "person_key"}


@dataclass
class FileReport:
    path: str
    feed: str
    status: str  # loaded | refused | unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_out_of_area: int = 0
    rows_excluded: int = 0
    errors: list[dict] = field(default_factory=list)
    message: str = ""
    load_id: int | None = None
    periods: list[str] = field(default_factory=list)
    mode: str = ""  # merge | replace
    rows_added: int = 0  # file rows whose key was not held
    rows_updated: int = 0  # file rows that replaced a held row with the same key
    rows_removed: int = 0  # held rows gone without a file row in their place
    # Codes that passed validation but that the definition names nowhere: {code: rows}.
    codes_not_in_definition: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class LoadStopped(Exception):
    """A batch stopped at a file by something outside the file (disk full, permissions). The
    files before it are loaded and published; running the same batch again finishes it."""

    def __init__(
        self, path: Path, loaded: list[FileReport], cause: BaseException, message: str = ""
    ) -> None:
        self.path, self.loaded = str(path), loaded
        super().__init__(
            message
            and f"{path}: the load could not publish ({cause}); {message}"
            or (
                f"{path}: the load stopped at this file ({cause}). {len(loaded)} file(s) before it "
                "are loaded and published; nothing of this file was kept. Fix the cause and run the "
                "same command again: files already loaded report unchanged."
            )
        )


def init_warehouse(warehouse: Path, settings: Settings) -> Path:
    """An empty warehouse for an area; running it again with the same area changes nothing."""
    warehouse = Path(warehouse)
    if (warehouse / CURRENT).exists():
        existing = read_settings(warehouse)
        if existing.districts != settings.districts:
            raise ValueError(
                f"{warehouse} is already a warehouse for {', '.join(existing.districts)}; "
                "choose another --warehouse folder for a different area"
            )
        return warehouse
    warehouse.mkdir(parents=True, exist_ok=True)
    write_settings(warehouse, settings)
    with write_lock(warehouse):
        con = connect_writer(warehouse)
        rebuild_views(con)
        con.execute("CHECKPOINT")
        con.close()
        publish(warehouse)
    return warehouse


def _area_places(con: duckdb.DuckDBPyConnection, districts: tuple[str, ...]) -> bool:
    """Temp table of every LSOA, ward and district code inside the area, and every MSOA of
    its LSOAs once an LSOA -> MSOA lookup is loaded; False if no geography is loaded."""
    msoas = (
        "UNION ALL SELECT DISTINCT m.msoa_code, 'msoa', NULL, any_value(g.district_code) "
        "FROM msoa_lookup m JOIN geography g ON g.lsoa_code = m.lsoa_code "
        "WHERE g.district_code = ANY($d) GROUP BY m.msoa_code "
        if vintage._has(con, "msoa_lookup")
        else ""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE area_places AS "
        "SELECT DISTINCT lsoa_code AS code, 'lsoa' AS level, ward_code, district_code "
        "FROM geography WHERE district_code = ANY($d) "
        "UNION ALL SELECT DISTINCT ward_code, 'ward', ward_code, district_code FROM geography "
        "WHERE district_code = ANY($d) "
        "UNION ALL SELECT unnest($d), 'district', NULL, unnest($d) " + msoas,
        {"d": list(districts)},
    )
    return con.execute("SELECT count(*) FROM area_places WHERE level = 'lsoa'").fetchone()[0] > 0


def _already_loaded(
    con, feed: str, partner: str, sha: str, mapping_sha: str | None, mode: str
) -> int | None:
    """The same bytes through the same mapping, in the same mode, while any row that load
    brought is still held: nothing to do. (The same file re-sent with a corrected mapping, or
    with --replace after a merge, is new work; so is one whose rows have all been replaced
    since.)

    A merge rewrites the parts it touches but carries the rows it keeps forward (each row
    keeps the ``load_id`` of the load that brought it), so a superseded part alone does not
    mean a load's rows are gone: they are looked for in the live parts. A load some of whose
    rows later files updated stays loaded: running a batch again must not put older values
    back over newer ones."""
    row = con.execute(
        "SELECT l.load_id, EXISTS (SELECT 1 FROM parts "
        "WHERE parts.load_id = l.load_id AND parts.superseded_by IS NOT NULL) FROM loads l "
        "WHERE l.feed = $f AND l.partner = $p AND "
        "l.file_sha256 = $s AND l.mapping_sha256 IS NOT DISTINCT FROM $m AND "
        "coalesce(l.mode, $mode) = $mode AND l.status = 'loaded' "
        "ORDER BY l.load_id DESC LIMIT 1",
        {"f": feed, "p": partner, "s": sha, "m": mapping_sha, "mode": mode},
    ).fetchone()
    if row is None:
        return None
    load_id, superseded = row
    if not superseded:
        return load_id
    live = _held_parts(con, feed, partner)
    if not live:
        return None
    (held,) = con.execute(
        f"SELECT count(*) FROM read_parquet({literal_list(live)}, union_by_name = true) "
        "WHERE load_id = $id",
        {"id": load_id},
    ).fetchone()
    return load_id if held else None


def _check_key(con, key: PseudonymKey) -> None:
    row = con.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta VALUES ('key_fingerprint', $v)", {"v": key.fingerprint})
    elif row[0] != key.fingerprint:
        # Not one file's fault, so not FileRefused: a ValueError, which callers report plainly.
        raise ValueError(
            f"{key.path}: this pseudonymisation key is not the one the warehouse was built "
            "with, so references would not link; point SVDASH_KEY_FILE at the original key"
        )


def resolve_mode(feed: str, mode: str | None) -> str:
    """The mode a feed's files load in: merge by default for record feeds, replace otherwise;
    a feed without a record reference cannot merge."""
    if mode is not None and mode not in LOAD_MODES:
        raise ValueError(f"unknown load mode {mode!r} (modes: {', '.join(LOAD_MODES)})")
    if feed in RECORD_KEYS:
        return mode or "merge"
    if mode == "merge":
        raise ValueError(
            f"{feed} files cannot merge: they carry no record reference, so each file "
            "replaces the periods it covers"
        )
    return "replace"


def _match_key(feed: str) -> str:
    """SQL over a stored row: what a file row and a held row match on."""
    if feed in RECORD_KEYS:
        return f"({RECORD_KEYS[feed]})"
    if feed in PERIOD_KEYS:
        return f"(period_key || '|' || {PERIOD_KEYS[feed]})"
    return "period_key"  # no key: a period's rows are counted against the period's rows


def _held_parts(con, feed: str, partner: str, periods: list[str] | None = None) -> list[str]:
    sql = "SELECT path FROM parts WHERE table_name = $t AND partner = $p AND active"
    params: dict = {"t": feed, "p": partner}
    if periods is not None:
        sql += " AND list_contains($periods, period_key)"
        params["periods"] = periods
    return [r[0] for r in con.execute(sql + " ORDER BY path", params).fetchall()]


@dataclass
class _Plan:
    """What applying the file in temp table ``good`` does to the partner's held rows."""

    affected: list[str]  # periods whose live parts are retired and rewritten
    added: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0  # held rows carried unchanged into the rewritten parts
    held: bool = False  # temp table ``held`` was made (the partner holds rows of the feed)
    # Per period the file covers: (rows the load would remove, rows held).
    by_period: dict[str, tuple[int, int]] = field(default_factory=dict)


def _plan(con, feed: str, partner: str, mode: str, file_periods: list[str]) -> _Plan:
    """Temp table ``held``: the held rows of every affected period, ``_dropped`` marking those
    the file supersedes (same key; in replace mode, every row of the file's periods).

    Counts per key: of d held rows dropped and f file rows with a key, min(d, f) are updates,
    the rest of the file's rows additions and the rest of the dropped rows removals (with
    unique keys: a held key is updated, a new key added, a held key the file lacks removed).
    """
    mk = _match_key(feed)
    everything = _held_parts(con, feed, partner)
    if not everything:  # the partner holds nothing of this feed: every row is added
        ((rows,),) = con.execute("SELECT count(*) FROM good").fetchall()
        return _Plan(sorted(file_periods), added=rows)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE file_keys AS SELECT {mk} AS _mk, count(*) AS n "
        "FROM good GROUP BY 1 HAVING _mk IS NOT NULL"
    )
    affected = set(file_periods)
    # A record whose period changed since it was sent: its held row is in another period.
    # Only the parts of periods the file does not cover can add one (a part's rows are all of
    # its period), so only those are read: none, when the file spans every period held.
    others = (
        [
            r[0]
            for r in con.execute(
                "SELECT path FROM parts WHERE table_name = $t AND partner = $p AND active "
                "AND NOT list_contains(CAST($periods AS VARCHAR[]), period_key) ORDER BY path",
                {"t": feed, "p": partner, "periods": list(file_periods)},
            ).fetchall()
        ]
        if feed in RECORD_KEYS
        else []
    )
    if others:
        affected |= {
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT h.period_key FROM (SELECT period_key, {mk} AS _mk FROM "
                f"read_parquet({literal_list(others)}, union_by_name = true)) h "
                "SEMI JOIN file_keys f ON h._mk = f._mk"
            ).fetchall()
        }
    plan = _Plan(sorted(affected), held=True)
    paths = _held_parts(con, feed, partner, plan.affected)
    cols = schema_of(feed)
    if paths:
        typed = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in cols)
        source = f"SELECT {typed}, {mk} AS _mk FROM read_parquet({literal_list(paths)}, union_by_name = true)"
    else:
        typed = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in cols)
        source = f"SELECT {typed}, NULL::VARCHAR AS _mk WHERE FALSE"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE held AS SELECT *, coalesce("
        f"{'list_contains($periods, period_key) OR ' if mode == 'replace' else ''}"
        f"_mk IN (SELECT _mk FROM file_keys), FALSE) AS _dropped FROM ({source})",
        {"periods": file_periods} if mode == "replace" else {},
    )
    per_period = con.execute(
        # Numbering a key's dropped rows (a window: it sorts) matters only for the keys held
        # more than once; every other dropped row is its key's first.
        "WITH x AS (SELECT period_key, _mk FROM held WHERE _dropped), "
        "multi AS (SELECT _mk FROM x WHERE _mk IS NOT NULL GROUP BY 1 HAVING count(*) > 1), "
        "d AS (SELECT period_key, _mk, 1 AS rn FROM x "
        "WHERE _mk IS NULL OR _mk NOT IN (SELECT _mk FROM multi) UNION ALL "
        "SELECT period_key, _mk, row_number() OVER (PARTITION BY _mk) FROM x "
        "WHERE _mk IN (SELECT _mk FROM multi)), "
        "r AS (SELECT d.period_key, count(*) AS dropped, "
        "count(*) FILTER (d.rn > coalesce(f.n, 0)) AS removed "
        "FROM d LEFT JOIN file_keys f ON d._mk = f._mk GROUP BY 1), "
        "h AS (SELECT period_key, count(*) AS held, count(*) FILTER (NOT _dropped) AS kept "
        "FROM held GROUP BY 1) "
        "SELECT h.period_key, h.held, h.kept, coalesce(r.dropped, 0), coalesce(r.removed, 0) "
        "FROM h LEFT JOIN r USING (period_key) ORDER BY 1"
    ).fetchall()
    rows = con.execute("SELECT count(*) FROM good").fetchone()[0]
    dropped = 0
    for period, held, kept, d, removed in per_period:
        plan.kept += kept
        plan.removed += removed
        dropped += d
        if period in file_periods:
            plan.by_period[period] = (removed, held)
    plan.updated = dropped - plan.removed
    plan.added = rows - plan.updated
    return plan


def _too_much_removed(plan: _Plan, settings: Settings, feed: str, mode_from_option: bool) -> str:
    """The refusal message when a replacement would empty periods beyond the limit, else ''."""
    limit = settings.max_replace_removal
    over = [
        f"{period}: {removed:,} of the {held:,} rows held ({removed / held:.1%})"
        for period, (removed, held) in sorted(plan.by_period.items())
        if held and removed / held > limit
    ]
    if not over:
        return ""
    how = ""
    if feed in RECORD_KEYS:
        how = (
            " If it only adds or corrects records (a supplement, a delta), load it without "
            + ("--replace" if mode_from_option else 'the mapping\'s mode = "replace"')
            + " and it merges by reference, removing nothing."
        )
    return (
        f"refused: replacing the periods this file covers would remove {'; '.join(over)}, "
        f"above the {limit:.0%} limit (max_replace_removal); nothing was changed. If the file "
        "is the partner's full extract and those rows should go, load it again with --yes." + how
    )


def _codes_not_in_definition(con, feed: str, settings: Settings) -> dict[str, int]:
    """Codes of the loaded rows that the active definition names in no group (nor lists as
    outside serious violence on purpose): they would drop out of every figure unseen."""
    column = CODE_COLUMNS.get(feed)
    if column is None:
        return {}
    try:
        named = load_definition(settings.definition).named_codes(feed)
    except DefinitionError:
        return {}
    if named is None:  # a rule takes every row of the feed
        return {}
    return dict(
        con.execute(
            f"SELECT {column}, count(*) FROM good WHERE {column} IS NOT NULL AND NOT "
            f"list_contains($named, {column}) GROUP BY 1 ORDER BY 2 DESC, 1",
            {"named": sorted(named)},
        ).fetchall()
    )


def _part_name(feed: str, load_id: int, token: str, i: int) -> str:
    """A part's path in the warehouse: the load, a random tag (no two loads' names can
    meet, even after a restore), and the index of its period among those the load touches."""
    return f"parts/{feed}/L{load_id:06d}-{token}-{i:04d}.parquet"


def _record_refusal(
    con,
    feed: str,
    partner: str,
    path: Path,
    mapping: Mapping,
    mode: str,
    exc: FileRefused,
    started: dt.datetime,
) -> int:
    """A file refused before its rows were checked (unreadable, a column missing) still gets
    its row in the load history; nothing else changes."""
    sha = None
    try:
        if path.is_file():
            sha = sha256_file(path)
    except OSError:
        pass
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT INTO loads ({LOADS_COLUMNS}) VALUES ($id, $feed, $partner, $file, "
            "$sha, $msha, 'refused', 0, 0, 0, 0, 0, [], $msg, NULL, $start, $end, $mode, "
            "0, 0, 0, 0)",
            {
                "id": load_id,
                "feed": feed,
                "partner": partner,
                "file": path.name,
                "sha": sha,
                "msha": mapping.sha256,
                "msg": str(exc),
                "start": started,
                "end": dt.datetime.now(),
                "mode": mode,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return load_id


def _load_one(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    settings: Settings,
    feed: str,
    path: Path,
    mapping: Mapping,
    partner: str,
    key: PseudonymKey,
    mode: str,
    yes: bool = False,
    mode_from_option: bool = False,
) -> FileReport:
    c = contract(feed)
    report = FileReport(path=str(path), feed=feed, status="refused", mode=mode)
    started = dt.datetime.now()
    if not path.is_file():
        raise FileRefused(path, "is a folder, not a file" if path.is_dir() else "no such file")
    sha = archive.digest(path)  # a shapefile's covers its .dbf, .shx and .prj too
    if _already_loaded(con, feed, partner, sha, mapping.sha256, mode) is not None:
        report.status = "unchanged"
        report.message = "this file was loaded before; nothing changed"
        return report

    notes: list[str] = []  # what the load did that a reader of the report should know
    raw = None
    if feed == "boundaries":
        notes += adapters.read_boundaries(con, path)
        encoding = "utf-8"
    else:
        # Read in place (not copied) when nothing reshapes the rows before they are checked.
        direct = feed not in adapters.ADAPTERS and not mapping.keep and not mapping.wide
        raw = read_raw(con, path, mapping, direct=direct)
        encoding = raw.encoding
    filtered = adapters.to_canonical(con, path, c, mapping)
    if filtered:
        notes.append(f"excluded by the mapping's filter: {filtered:,}")
    has_geo = _area_places(con, settings.districts)
    if c.kind == "event" and not has_geo:
        raise FileRefused(
            path,
            "no geography lookup for the area is loaded yet, so rows cannot be placed; "
            "load one first with `svdash load geography LOOKUP.csv`",
        )
    carry = vintage.prepare(con, c) if has_geo else None  # LSOA 2011 <-> 2021
    validate(con, c, mapping, key, settings.districts, has_geo, raw.number_lines if raw else None)
    rejects = raw.rejects if raw else []  # a direct read knows them once the rows are read
    for name in ("canon", "raw", "raw_in", "raw_csv"):  # checked holds all it needs now
        drop_temp(con, name)
    n = counts(con, len({r[0] for r in rejects}))  # a short row has one reject per column
    n.rows_read += filtered  # left out by the mapping: excluded, never judged
    n.rows_excluded += filtered
    carried, carry_note = vintage.apply(con, c, carry)
    n.rows_loaded += carried
    notes += [carry_note] if carry_note else []
    report.rows_read, report.rows_loaded = n.rows_read, n.rows_loaded
    report.rows_quarantined, report.rows_out_of_area = n.rows_quarantined, n.rows_out_of_area
    report.rows_excluded = n.rows_excluded
    qrows = [(line, col, reason) for line, col, reason in rejects] + quarantine_rows(con)
    qrows.sort(key=lambda r: r[0])
    report.errors = [
        {"line": line, "column": col, "reason": reason}
        for line, col, reason in qrows[:MAX_REPORTED_ERRORS]
    ]
    judged = n.rows_read - n.rows_out_of_area - n.rows_excluded
    bad_share = n.rows_quarantined / judged if judged else 0.0
    if n.rows_read == 0:
        report.message = f"{path}: the file has a header but no data rows"
    elif n.rows_loaded == 0 and n.rows_quarantined == 0:
        report.message = f"{path}: no rows of this file fall inside the partnership area"
    elif bad_share > settings.bad_row_threshold:
        report.message = (
            f"{path}: refused: {n.rows_quarantined:,} of {judged:,} rows ({bad_share:.1%}) broke the "
            f"feed's rules, above the {settings.bad_row_threshold:.0%} threshold; "
            "nothing from this file was loaded"
        )
    else:
        report.status = "loaded"
    if report.status == "refused" and not report.message:
        report.message = "refused"
    if notes:
        report.message = "; ".join(([report.message] if report.message else []) + notes)

    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    report.load_id = load_id
    token = secrets.token_hex(4)
    new_parts: list[tuple[str, str, str, str, int, int, str]] = []
    plan = _Plan([])
    if report.status == "loaded":
        period_expr = (
            f"strftime({c.period_sql}, '%Y-%m')" if c.kind == "event" else f"({c.period_sql})"
        )
        extra = (
            f", ward_code_ AS ward_code, district_code_ AS district_code, {c.period_sql} AS period"
            if c.kind == "event"
            else ""
        )
        # A view, not a copy: its rows are read once more, when the parts are written.
        drop_temp(con, "good")
        con.execute(
            f"CREATE TEMP VIEW good AS SELECT {stored_select(c)}{extra}, "
            f"{period_expr} AS period_key FROM checked WHERE _status = 'ok'"
        )
        period_rows = con.execute(
            "SELECT period_key, count(*) FROM good GROUP BY period_key ORDER BY period_key"
        ).fetchall()
        periods = [r[0] for r in period_rows]
        report.periods = periods
        report.codes_not_in_definition = _codes_not_in_definition(con, feed, settings)
        plan = _plan(con, feed, partner, mode, periods)
        report.rows_added, report.rows_updated = plan.added, plan.updated
        report.rows_removed = plan.removed
        refusal = (
            _too_much_removed(plan, settings, feed, mode_from_option)
            if (mode == "replace" and not yes)
            else ""
        )
        if refusal:
            report.status, report.message = "refused", f"{path}: {refusal}"
            report.rows_added = report.rows_updated = report.rows_removed = 0
            plan = _Plan([])
    if report.status == "loaded":
        # One new part per affected period: the held rows it keeps, then the file's rows.
        parts_dir(warehouse, feed)
        cols = schema_of(feed)
        names = ", ".join(ident(col) for col, _ in cols)
        fixed = {"partner": "$partner", "load_id": "$load_id"}  # the same for every file row
        from_file = ", ".join(
            f"CAST({fixed.get(col, ident(col))} AS {kind}) AS {ident(col)}" for col, kind in cols
        )
        queries = [(f"SELECT {names} FROM held WHERE NOT _dropped", {})] if plan.held else []
        # ``checked`` is in file order (see etl.validate), so each part is too, without a sort.
        queries.append((f"SELECT {from_file} FROM good", {"partner": partner, "load_id": load_id}))
        index = {period: i for i, period in enumerate(plan.affected)}
        written = write_period_parts(
            con,
            queries,
            lambda period: warehouse / _part_name(feed, load_id, token, index[period]),
            plain=[col.stored_name for col in c.columns if col.pseudonymise],
        )
        # A period whose held rows all moved to another period is retired, not rewritten.
        for part in sorted(written, key=lambda w: index[w.period]):
            rel = _part_name(feed, load_id, token, index[part.period])
            new_parts.append((feed, partner, part.period, rel, part.rows, *part_digest(part.path)))
            crashpoint("part-written")
    if qrows:
        rel = f"parts/quarantine/L{load_id:06d}-{token}.parquet"
        parts_dir(warehouse, "quarantine")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE q AS SELECT $load_id::INTEGER AS load_id, $feed AS feed, "
            "$file AS file_name, line::BIGINT AS line, column_name, reason "
            "FROM (SELECT unnest($lines) AS line, unnest($cols) AS column_name, "
            "unnest($reasons) AS reason)",
            {
                "load_id": load_id,
                "feed": feed,
                "file": path.name,
                "lines": [r[0] for r in qrows],
                "cols": [r[1] for r in qrows],
                "reasons": [r[2] for r in qrows],
            },
        )
        con.execute(
            f"COPY q TO {literal(warehouse.resolve() / rel)} (FORMAT parquet, COMPRESSION zstd)"
        )
        new_parts.append(
            (
                "quarantine",
                partner,
                str(load_id),
                rel,
                len(qrows),
                *part_digest(warehouse / rel),
            )
        )
    if new_parts:
        fsync_parts_dirs(warehouse, {t for t, *_ in new_parts})
    crashpoint("before-commit")

    # The commit: one transaction flips the catalog to the new state.
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT INTO loads ({LOADS_COLUMNS}) VALUES ($id, $feed, $partner, $file, "
            "$sha, $msha, $status, $read, $loaded, $q, $out, $excl, $periods, $msg, $enc, $start, "
            "$end, $mode, $added, $updated, $removed, $kept)",
            {
                "id": load_id,
                "feed": feed,
                "partner": partner,
                "file": path.name,
                "sha": sha,
                "msha": mapping.sha256,
                "status": report.status,
                "read": n.rows_read,
                "loaded": n.rows_loaded if report.status == "loaded" else 0,
                "q": n.rows_quarantined,
                "out": n.rows_out_of_area,
                "excl": n.rows_excluded,
                "periods": report.periods,
                "msg": report.message,
                "enc": encoding,
                "start": started,
                "end": dt.datetime.now(),
                "mode": mode,
                "added": report.rows_added,
                "updated": report.rows_updated,
                "removed": report.rows_removed,
                "kept": plan.kept,
            },
        )
        if report.status == "loaded":
            con.execute(
                "UPDATE parts SET active = FALSE, superseded_by = $id WHERE table_name = $t AND "
                "partner = $p AND active AND list_contains($periods, period_key)",
                {"id": load_id, "t": feed, "p": partner, "periods": plan.affected},
            )
        for table, part_partner, period, rel, rows, size, digest in new_parts:
            con.execute(
                f"INSERT INTO parts ({PARTS_COLUMNS}) "
                "VALUES ($t, $p, $k, $path, $rows, $id, TRUE, NULL, $bytes, $sha)",
                {
                    "t": table,
                    "p": part_partner,
                    "k": period,
                    "path": rel,
                    "rows": rows,
                    "id": load_id,
                    "bytes": size,
                    "sha": digest,
                },
            )
        rebuild_views(con, (feed, "quarantine"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    crashpoint("after-commit")
    return report


def _each_file(paths: Sequence[Path], feed: str, workdir: Path):
    """(path to load or the FileRefused of an unreadable archive, name for the report): each
    given file, or each file inside a .gz or .zip one (see etl.archive)."""
    for given in paths:
        for m in archive.members(Path(given), feed, workdir):
            if m.refused is not None:
                yield m.refused, m.shown
            else:
                yield m.path, m.shown


def load_files(
    warehouse: Path,
    feed: str,
    paths: Sequence[Path],
    mapping_path: Path | None = None,
    partner: str | None = None,
    key_path: Path | None = None,
    progress: Callable[[Path, FileReport], None] | None = None,
    user: str = "",
    replace: bool = False,
    yes: bool = False,
) -> list[FileReport]:
    """Load each file in turn (each all-or-nothing), then publish one snapshot for readers.

    Record feeds merge by key unless ``replace`` (or the mapping's ``mode = "replace"``) says
    the files are full extracts of their periods; ``yes`` confirms a replacement that removes
    more of a period than ``max_replace_removal``. Every file's outcome goes to the audit log,
    with ``user`` (the OS user when empty)."""
    warehouse = Path(warehouse)
    if feed not in CONTRACTS:
        raise ValueError(f"unknown feed {feed!r} (feeds: {', '.join(CONTRACTS)})")
    settings = read_settings(warehouse)
    mapping = read_mapping(mapping_path)
    if mapping.feed and mapping.feed != feed:
        raise MappingError(
            f"{mapping_path}: this mapping is for feed {mapping.feed!r}, not {feed!r}"
        )
    partner = partner or mapping.partner or feed
    try:
        mode = resolve_mode(feed, "replace" if replace else mapping.mode)
    except ValueError as exc:
        if mapping.mode == "merge":
            raise MappingError(f'{mapping_path}: mode = "merge": {exc}') from None
        raise
    key = load_key(key_path, warehouse)
    reports: list[FileReport] = []
    with write_lock(warehouse), tempfile.TemporaryDirectory(prefix="svdash-unpack-") as tmp:
        unpacked = Path(tmp)
        recover_and_audit(warehouse, user)
        con = connect_writer(warehouse)
        try:
            _check_key(con, key)
            for target, shown in _each_file(paths, feed, unpacked):
                path = Path(shown)  # a file unpacked from an archive is named as in it
                started = dt.datetime.now()
                try:
                    if isinstance(target, FileRefused):
                        raise target
                    report = _load_one(
                        con,
                        warehouse,
                        settings,
                        feed,
                        target,
                        mapping,
                        partner,
                        key,
                        mode,
                        yes=yes,
                        mode_from_option=replace,
                    )
                except FileRefused as exc:
                    report = FileReport(
                        path=str(path),
                        feed=feed,
                        status="refused",
                        message=str(exc),
                        errors=[{"line": exc.line, "column": exc.column, "reason": exc.reason}],
                        mode=mode,
                    )
                    report.load_id = _record_refusal(
                        con, feed, partner, path, mapping, mode, exc, started
                    )
                except (OSError, duckdb.IOException) as exc:
                    # Not the file's fault (a full disk, a folder that cannot be written): stop
                    # here, keep the files before it, and say which file to start again from.
                    raise LoadStopped(
                        path, [r for r in reports if r.status == "loaded"], exc
                    ) from exc
                if isinstance(target, Path) and shown != str(target):
                    report.path = shown
                    report.message = report.message.replace(str(target), shown)
                reports.append(report)
                # Audited as soon as it is committed: the batch is published at its end, or by
                # the recovery at the next load if this process dies first, so no load that
                # readers will see goes unrecorded.
                audit.record(
                    warehouse,
                    "load",
                    user=user,
                    detail=(
                        f"feed={feed} partner={partner or feed} load_id={report.load_id} "
                        f"read={report.rows_read} loaded={report.rows_loaded} "
                        f"quarantined={report.rows_quarantined} "
                        f"out_of_area={report.rows_out_of_area} "
                        f"excluded={report.rows_excluded} mode={report.mode} "
                        f"added={report.rows_added} updated={report.rows_updated} "
                        f"removed={report.rows_removed}"
                    ),
                    file=path.name,
                    outcome=report.status,
                )
                if progress:
                    progress(path, report)
            con.execute("CHECKPOINT")
            mark = committed_mark(con)
        except BaseException as stopped:
            # Stopped part-way (an OS error, Ctrl+C): what was committed is whole, so publish
            # it now and clear the stopped file's parts, rather than wait for the next load.
            con.close()
            try:
                recover_and_audit(warehouse, user)
            except Exception as also:  # the full disk that stopped the load may stop this too
                stopped.add_note(f"not tidied up yet ({also}); `svdash check --repair` will")
            raise
        finally:
            con.close()
        crashpoint("before-publish")
        if published_mark(warehouse) != mark:
            try:
                publish(warehouse)
            except (OSError, duckdb.Error) as exc:
                raise LoadStopped(
                    Path(reports[-1].path) if reports else warehouse,
                    [r for r in reports if r.status == "loaded"],
                    exc,
                    "every file is committed, but readers cannot see them until it is "
                    "published: free the space and run `svdash check --repair`",
                ) from exc
        crashpoint("after-publish")
    return reports


def status(warehouse: Path) -> dict:
    """Per feed: rows, periods covered, last load, quarantined; from the published snapshot."""
    from svcore.warehouse import connect_reader

    con = connect_reader(warehouse)
    try:
        out = {}
        for feed in CONTRACTS:
            rows, first, last, nperiods = con.execute(
                "SELECT coalesce(sum(rows), 0), min(period_key), max(period_key), "
                "count(DISTINCT period_key) FROM parts WHERE table_name = $f AND active",
                {"f": feed},
            ).fetchone()
            last_load, q, files = con.execute(
                "SELECT max(finished_at), coalesce(sum(rows_quarantined), 0), "
                "count(*) FILTER (status = 'loaded') FROM loads WHERE feed = $f",
                {"f": feed},
            ).fetchone()
            refused = con.execute(
                "SELECT count(*) FROM loads WHERE feed = $f AND status = 'refused'", {"f": feed}
            ).fetchone()[0]
            out[feed] = {
                "rows": int(rows),
                "periods": int(nperiods),
                "first_period": first,
                "last_period": last,
                "last_load": last_load.isoformat(timespec="seconds") if last_load else None,
                "files_loaded": int(files),
                "files_refused": int(refused),
                "rows_quarantined": int(q),
            }
        return out
    finally:
        con.close()


__all__ = ["FileReport", "LoadStopped", "init_warehouse", "load_files", "status", "CATALOG"]
