"""Rollups: the counts the pages read, aggregated once at publish time, inside the snapshot.

Every chart is a count of events under the definition's predicates, by a few dimensions,
within districts, wards and months. Scanning the events (and testing every event against the
definition's rules) for each request costs seconds at ten million events; these tables hold
the same counts already aggregated, so a request reads thousands of rows instead.

Each rollup table has one row per cell of

    source, definition, grp, period (the month), district_code, ward_code, <its dimensions>

with ``n`` (events) and ``keysum`` (the sum of the events' record keys, the bytes
``svcore.disclosure.record_key_sql`` gives). Both are additive, so any union of cells has
``count = sum(n)`` and cell key ``sum(keysum) % 256``: exactly what ``cell_key_sql`` gives
over the same events. ``grp`` is ``''`` for "all serious violence" (the definition's predicate)
and a group's key for that group's events; an event can be in several groups, so the
all-violence rows are not the sum of the group rows. Person-distinct counts (a probation
caseload, a cohort profile) are not additive and are not rolled up: they keep reading events.

Rollups are native tables of the snapshot file itself (``etl.snapshots.publish`` builds them in
the snapshot's temporary copy, before its fsync and rename), so publishing stays one atomic
rename: a snapshot readers can open has its rollups, a snapshot killed mid-build is never
published, retention removes a snapshot's rollups with it, and nothing else on disk has to be
tracked. They are built for every definition a request may name (the built-in ones and the
partnership's own), and incrementally: a (source, month) whose Parquet parts are the ones the
previous snapshot rolled up is copied from it, so a monthly load aggregates only its months.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from etl.contracts import EVENT_FEEDS
from etl.crashpoints import crashpoint
from svcore.config import read_settings
from svcore.definitions import Definition, DefinitionError, builtin_names, load_definition
from svcore.disclosure import record_key_sql
from svcore.sql import Params, literal
from svcore.vocab import age_band_sql, census_broad_sql
from svcore.warehouse import CURRENT, SNAPSHOTS, search_path

log = logging.getLogger(__name__)

# Bump when what a rollup row means changes: rollups of an older version are rebuilt.
ROLLUP_VERSION = 1
# Columns every rollup has before its own dimensions, and its two measures.
BASE_COLUMNS = ("source", "definition", "grp", "period", "district_code", "ward_code")
MEASURES = ("n", "keysum")
ALL_GROUPS = ""  # ``grp`` of the all-serious-violence rows
# Events aggregated per pass (whole months of one source): bounds the build's memory.
CHUNK_ROWS = 2_000_000
MAX_GROUPS = 62  # groups a source may have rules in: one bit each of a BIGINT mask


@dataclass(frozen=True)
class Rollup:
    """A rollup table: ``dims`` are (count_table dimension, column, SQL over the events ``e``)."""

    name: str
    dims: tuple[tuple[str, str, str], ...] = ()

    @property
    def dimensions(self) -> frozenset[str]:
        return frozenset(d for d, _, _ in self.dims)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*BASE_COLUMNS, *(c for _, c, _ in self.dims), *MEASURES)


# The dimension sets the pages read, each by ward and month (LSOAs for the map). The SQL of
# each dimension is that of ``dashboard.queries.counts.DIMENSIONS``; the equality tests compare
# every rollup with the events it came from.
ROLLUPS: tuple[Rollup, ...] = (
    Rollup("rollup_ward"),
    Rollup("rollup_area", (("lsoa", "lsoa_code", "e.lsoa_code"),)),
    Rollup(
        "rollup_time",
        (("weekday", "weekday", "dayname(e.event_date)"), ("hour", "hour", "e.hour")),
    ),
    Rollup("rollup_weapon", (("weapon", "weapon", "e.weapon"),)),
    Rollup("rollup_location_type", (("location_type", "location_type", "e.location_type"),)),
    Rollup("rollup_domestic_abuse", (("domestic_abuse", "domestic_abuse", "e.domestic_abuse"),)),
    Rollup(
        "rollup_relationship",
        (("relationship", "relationship", "e.relationship_to_assailant"),),
    ),
    # With the victim's Census 2021 broad group beside the recorded ethnicity (a function of it:
    # no more rows), for the rates by ethnic group.
    Rollup(
        "rollup_ethnicity",
        (
            ("ethnicity", "ethnicity", "e.ethnicity"),
            ("victim_ethnicity", "victim_ethnicity", census_broad_sql("e.ethnicity")),
        ),
    ),
    Rollup(
        "rollup_victim",
        (("sex", "sex", "e.sex"), ("age_band", "age_band", age_band_sql("e.age"))),
    ),
    Rollup(
        "rollup_suspect",
        (
            ("suspect_sex", "suspect_sex", "e.suspect_sex"),
            ("suspect_age_band", "suspect_age_band", age_band_sql("e.suspect_age")),
        ),
    ),
    # The /outcomes page: outcome groups by themselves, by month, place and offence group, by
    # the outcome as recorded (the disposals tables), and by the suspect's ethnicity.
    Rollup(
        "rollup_outcome",
        (
            ("outcome_group", "outcome_group", "e.outcome_group"),
            ("outcome", "outcome", "e.outcome"),
        ),
    ),
    Rollup(
        "rollup_outcome_ethnicity",
        (
            ("outcome_group", "outcome_group", "e.outcome_group"),
            ("suspect_ethnicity", "suspect_ethnicity", census_broad_sql("e.suspect_ethnicity")),
        ),
    ),
)
ROLLUP_NAMES = tuple(r.name for r in ROLLUPS)
# What the snapshot records about its rollups: the definitions and their fingerprints, the
# tables and their sizes, and the parts each (source, month) was aggregated from.
DEFINITIONS_TABLE = "rollup_definitions"
TABLES_TABLE = "rollup_tables"
INPUTS_TABLE = "rollup_inputs"
BUILD_TABLE = "rollup_build"  # what the build did: months reused and aggregated, seconds
# The probation caseload's rows, copied into the snapshot (``materialise_person_rows``), and
# the youth justice feed's: the two feeds whose counts are of distinct people.
CASELOAD_TABLE = "caseload_rows"
YOUTH_JUSTICE_TABLE = "youth_justice_rows"
PERSON_ROWS = {"probation": CASELOAD_TABLE, "youth_justice": YOUTH_JUSTICE_TABLE}


def _event_columns() -> dict[str, str]:
    """Every dimension column of any rollup, once: the per-event columns a pass extracts."""
    out: dict[str, str] = {}
    for r in ROLLUPS:
        for _, col, expr in r.dims:
            out.setdefault(col, expr)
    return out


@cache
def fingerprint(definition: Definition) -> str:
    """What a definition's rollups were built from: its groups' rules, the rollups' layout and
    the record key. A reader uses a rollup only when its own definition has the same one, so
    an edited definition file or a newer svdash never reads stale counts."""
    spec = repr(
        (
            ROLLUP_VERSION,
            definition.groups,
            [(r.name, r.dims) for r in ROLLUPS],
            record_key_sql("e"),
        )
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:32]


def definitions_to_roll_up(warehouse: Path) -> dict[str, Definition]:
    """Every definition a request may name (``dashboard.filters.parse_filters`` accepts the
    built-in ones and the partnership's configured one), by the name a request uses. One that
    does not load is left out (requests naming it fail the same way on the events path)."""
    names = list(builtin_names())
    try:
        configured = read_settings(warehouse).definition
    except (OSError, ValueError):
        configured = None
    if configured and configured not in names:
        names.append(configured)
    found = {}
    for name in names:
        try:
            found[name] = load_definition(name)
        except DefinitionError as exc:
            log.warning("no rollups for definition %s: %s", name, exc)
    return found


@dataclass
class RollupBuild:
    """What a publish's rollup build did (for the bench and the tests)."""

    built: bool = False
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    units_reused: int = 0  # (definition, source, month) copied from the previous snapshot
    units_built: int = 0  # aggregated from events
    events_read: int = 0
    error: str = ""


def build_rollups(warehouse: Path, snapshot: Path, reuse: bool = True) -> RollupBuild:
    """Aggregate the rollups into ``snapshot`` (the committed catalog's copy being published),
    and copy the probation caseload's rows into it (``materialise_person_rows``): everything the
    pages read that publish derives from the parts, in the snapshot it describes.

    Called under the write lock, before the copy is fsynced and renamed into place, so the
    rename publishes the snapshot and its rollups together. ``rollup_definitions`` is written
    last: readers use the rollups of a definition only when it lists it. If DuckDB cannot build
    them (a damaged part, a full disk), the snapshot is published without rollups and readers
    read events, as before: the damage is then reported by the readers' own checks, not turned
    into a load that cannot publish. ``reuse=False`` aggregates every month afresh.
    """
    warehouse = Path(warehouse).resolve()
    started = time.perf_counter()
    result = RollupBuild()
    _remove_leftovers(warehouse)
    spill = warehouse / SNAPSHOTS / f".rollups-spill-{snapshot.name}.tmp"
    definitions = definitions_to_roll_up(warehouse)
    con = duckdb.connect(str(snapshot))
    try:
        con.execute("SET file_search_path = $p", {"p": search_path(warehouse)})
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET temp_directory = {literal(spill)}")
        previous = reuse and _attach_previous(con, warehouse)
        try:
            _build(con, definitions, previous, result)
            result.built = True
            result.seconds = time.perf_counter() - started
            con.execute(
                f"CREATE OR REPLACE TABLE main.{BUILD_TABLE} AS SELECT $r AS units_reused, "
                "$b AS units_built, $e AS events_read, $s AS seconds",
                {
                    "r": result.units_reused,
                    "b": result.units_built,
                    "e": result.events_read,
                    "s": result.seconds,
                },
            )
        except duckdb.Error as exc:
            result.error = str(exc).splitlines()[0]
            log.warning("published without rollups (readers read events): %s", result.error)
            for name in (DEFINITIONS_TABLE, TABLES_TABLE, INPUTS_TABLE, BUILD_TABLE, *ROLLUP_NAMES):
                con.execute(f"DROP TABLE IF EXISTS main.{name}")
        if previous:
            con.execute("DETACH previous")
        materialise_person_rows(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    crashpoint("rollups-built")
    return result


def materialise_person_rows(con: duckdb.DuckDBPyConnection) -> bool:
    """Copy the rows of the feeds counted as distinct people (the probation caseload, the
    children of the youth justice feed) into the snapshot, and point ``events_<feed>`` at the
    copy: the snapshot's own view of exactly the same rows, columns and types.

    Distinct people over a window are no sum of months, so no rollup holds their counts: they
    are read from the rows. Read from the month-by-month Parquet parts (files opened on every
    query) a caseload's count took ~20 ms at 10M events, a youth justice cohort ~12 ms over
    5,000 rows; from a table of the snapshot a third of that. The rows are few, the copy is
    made at every publish, and the committed catalog keeps reading the parts. If DuckDB
    cannot copy a feed, its view stays as it was and readers read the parts; returns whether
    every feed was copied."""
    copied = True
    for feed, table in PERSON_ROWS.items():
        try:
            con.execute(f"CREATE OR REPLACE TABLE main.{table} AS SELECT * FROM main.events_{feed}")
            con.execute(f"CREATE OR REPLACE VIEW main.events_{feed} AS SELECT * FROM main.{table}")
        except duckdb.Error as exc:
            log.warning("%s is read from its parts: %s", feed, str(exc).splitlines()[0])
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DROP TABLE IF EXISTS main.{table}")
            copied = False
    return copied


def _remove_leftovers(warehouse: Path) -> None:
    """A build killed part-way leaves its temporary snapshot's write-ahead log (the snapshot
    itself is a ``.tmp`` that recovery removes) and maybe its spill folder; we hold the lock."""
    for p in (warehouse / SNAPSHOTS).glob(".*.tmp.wal"):
        p.unlink(missing_ok=True)
    for p in (warehouse / SNAPSHOTS).glob(".rollups-spill-*.tmp"):
        shutil.rmtree(p, ignore_errors=True)


def _attach_previous(con: duckdb.DuckDBPyConnection, warehouse: Path) -> bool:
    """Attach the snapshot readers see now, if it has rollups to reuse; False if not."""
    pointer = warehouse / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return False
    path = warehouse / SNAPSHOTS / name
    if not name or not path.is_file():
        return False
    try:
        con.execute(f"ATTACH {literal(path)} AS previous (READ_ONLY)")
    except duckdb.Error:
        return False
    have = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'previous'"
        ).fetchall()
    }
    if not {DEFINITIONS_TABLE, INPUTS_TABLE, *ROLLUP_NAMES} <= have:
        con.execute("DETACH previous")
        return False
    return True


def _build(
    con: duckdb.DuckDBPyConnection,
    definitions: dict[str, Definition],
    previous: bool,
    result: RollupBuild,
) -> None:
    # The units of work: each event source's months, with the parts that hold them (every
    # event of a part is of the part's month: ``period_key`` is its period as YYYY-MM).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rollup_units AS SELECT table_name AS source, period_key, "
        "list(path ORDER BY path) AS paths, sum(rows) AS rows FROM parts "
        f"WHERE active AND table_name IN {_feeds()} GROUP BY 1, 2"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rollup_kept (definition VARCHAR, source VARCHAR, period DATE)"
    )
    old_prints = (
        dict(con.execute(f"SELECT * FROM previous.{DEFINITIONS_TABLE}").fetchall())
        if previous
        else {}
    )
    for name, definition in definitions.items():
        if previous and old_prints.get(name) == fingerprint(definition):
            con.execute(
                "INSERT INTO rollup_kept SELECT $d, u.source, strptime(u.period_key, '%Y-%m') "
                f"FROM rollup_units u JOIN previous.{INPUTS_TABLE} p "
                "ON p.source = u.source AND p.period_key = u.period_key AND p.paths = u.paths",
                {"d": name},
            )
    result.units_reused = con.execute("SELECT count(*) FROM rollup_kept").fetchone()[0]
    types = _column_types(con)
    for rollup in ROLLUPS:
        cols = ", ".join(
            f"{c} {t}" for c, t in zip(rollup.columns, types[rollup.name], strict=True)
        )
        con.execute(f"CREATE OR REPLACE TABLE main.{rollup.name} ({cols})")
        if result.units_reused:  # same fingerprint, so the same columns
            # The months whose parts are unchanged: their cells, as the last publish made them.
            con.execute(
                f"INSERT INTO main.{rollup.name} SELECT {', '.join(rollup.columns)} "
                f"FROM previous.{rollup.name} p WHERE EXISTS (SELECT 1 FROM rollup_kept k "
                "WHERE k.definition = p.definition AND k.source = p.source "
                "AND k.period = p.period)"
            )
    for name, definition in definitions.items():
        todo = con.execute(
            "SELECT u.source, u.period_key, u.rows FROM rollup_units u "
            "WHERE NOT EXISTS (SELECT 1 FROM rollup_kept k WHERE k.definition = $d "
            "AND k.source = u.source AND k.period = strptime(u.period_key, '%Y-%m')) "
            "ORDER BY 1, 2",
            {"d": name},
        ).fetchall()
        result.units_built += len(todo)
        for source, months in _chunks(todo):
            result.events_read += _aggregate(con, name, definition, source, months)
    for rollup in ROLLUPS:
        result.rows[rollup.name] = con.execute(
            f"SELECT count(*) FROM main.{rollup.name}"
        ).fetchone()[0]
    con.execute(
        f"CREATE OR REPLACE TABLE main.{INPUTS_TABLE} AS "
        "SELECT source, period_key, paths, rows FROM rollup_units ORDER BY 1, 2"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE main.{TABLES_TABLE} "
        "(name VARCHAR, dimensions VARCHAR[], rows BIGINT)"
    )
    con.executemany(
        f"INSERT INTO main.{TABLES_TABLE} VALUES (?, ?, ?)",
        [(r.name, sorted(r.dimensions), result.rows[r.name]) for r in ROLLUPS],
    )
    con.execute(
        f"CREATE OR REPLACE TABLE main.{DEFINITIONS_TABLE} "
        "(definition VARCHAR, fingerprint VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO main.{DEFINITIONS_TABLE} VALUES (?, ?)",
        [(n, fingerprint(d)) for n, d in definitions.items()],
    )


def _feeds() -> str:
    return "(" + ", ".join(literal(f) for f in EVENT_FEEDS) + ")"


def _column_types(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The SQL types of each rollup's columns: its dimensions' types as the events view has
    them. One query binds every dimension (binding the events view, a union of every
    source's columns, took 60 ms a time: 0.6 s a publish when each rollup bound it), and
    ``DESCRIBE`` binds it once where a relation's ``.types`` took three times as long."""
    base = ("source", "'x'", "'x'", "period", "district_code", "ward_code")
    dims = [expr for r in ROLLUPS for _, _, expr in r.dims]
    described = con.execute(f"DESCRIBE SELECT {', '.join((*base, *dims))} FROM events e").fetchall()
    types = [row[1] for row in described]
    out, at = {}, len(base)
    for r in ROLLUPS:
        out[r.name] = [*types[: len(base)], *types[at : at + len(r.dims)], "BIGINT", "BIGINT"]
        at += len(r.dims)
    return out


def _chunks(todo: Iterable[tuple[str, str, int]]) -> Iterable[tuple[str, list[str]]]:
    """Whole months of one source, about ``CHUNK_ROWS`` events at a time."""
    source, months, rows = None, [], 0
    for s, month, n in todo:
        if months and (s != source or rows + n > CHUNK_ROWS):
            yield source, months
            months, rows = [], 0
        source = s
        months.append(month)
        rows += int(n or 0)
    if months:
        yield source, months


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    name: str,
    definition: Definition,
    source: str,
    months: list[str],
) -> int:
    """One pass over some months of one source: each event's columns, record key and groups
    (the definition's predicates tested once), then every rollup aggregated from that.

    An event's groups are a bit mask (``groups_list_sql``'s tests, one bit per group the
    source has rules in): cells are aggregated per mask first, which is cheap on an integer,
    then spread over the mask's groups and the all-violence row, and summed again."""
    params = Params()
    cols = _event_columns()
    firsts = [dt.date(int(m[:4]), int(m[5:7]), 1) for m in months]
    keys = definition.group_keys(source)
    if len(keys) > MAX_GROUPS:
        raise duckdb.InvalidInputException(f"{name}: more than {MAX_GROUPS} groups for {source}")
    bits = [
        f"CASE WHEN {definition.predicate(source, params, k)} THEN {1 << i} ELSE 0 END"
        for i, k in enumerate(keys)
    ]
    mask = f"CAST({' + '.join(bits) or '0'} AS BIGINT)"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rollup_events AS SELECT e.period, e.district_code, "
        f"e.ward_code, {', '.join(f'{expr} AS {col}' for col, expr in cols.items())}, "
        f"{record_key_sql('e')} AS k, {mask} AS gmask FROM events_{source} e "
        f"WHERE e.period = ANY({params.add(firsts)}) AND "
        f"{definition.predicate(source, params, None)}",
        params.values,
    )
    masks = [r[0] for r in con.execute("SELECT DISTINCT gmask FROM rollup_events").fetchall()]
    if not masks:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE rollup_masks (gmask BIGINT, grp VARCHAR)")
    con.executemany(
        "INSERT INTO rollup_masks VALUES (?, ?)",
        [(m, ALL_GROUPS) for m in masks]
        + [(m, k) for m in masks for i, k in enumerate(keys) if m >> i & 1],
    )
    for rollup in ROLLUPS:
        dims = ", ".join(["period", "district_code", "ward_code", *(c for _, c, _ in rollup.dims)])
        con.execute(
            f"INSERT INTO main.{rollup.name} SELECT $s, $d, m.grp, {dims}, "
            "CAST(sum(a.n) AS BIGINT), CAST(sum(a.keysum) AS BIGINT) FROM ("
            f"SELECT {dims}, gmask, count(*) AS n, sum(k) AS keysum FROM rollup_events "
            f"GROUP BY ALL) a JOIN rollup_masks m USING (gmask) GROUP BY m.grp, {dims}",
            {"s": source, "d": name},
        )
    return int(con.execute("SELECT count(*) FROM rollup_events").fetchone()[0])


def rollup_sizes(snapshot: Path) -> dict[str, int]:
    """Rows per rollup table of a snapshot (empty when it has none)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return dict(con.execute(f"SELECT name, rows FROM {TABLES_TABLE}").fetchall())
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()


def last_build(snapshot: Path) -> dict[str, float] | None:
    """What the build of a snapshot's rollups did (None when it has none)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM {BUILD_TABLE}")
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
