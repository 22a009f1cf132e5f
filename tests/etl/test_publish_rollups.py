"""Rollups published with each snapshot: exact, additive, incremental, atomic.

- Any union of a rollup's cells has the count and cell key of the same events read directly:
  ``count = sum(n)``, ``ckey = sum(keysum) % 256`` is ``cell_key_sql``'s value (property test).
- A load publishes rollups with its snapshot; months whose parts did not change are copied from
  the previous snapshot, and the result is the table a build from scratch makes.
- A snapshot has its rollups or is not published: a build killed part-way leaves the old
  snapshot current (the crash harness kills at ``rollups-built`` too); older snapshots keep
  theirs; retention removes them with the snapshot; nothing is left behind.
- A build that cannot run (a damaged part) publishes the snapshot without rollups, and readers
  read events, as before rollups.
- The probation caseload (distinct people over a window: no rollup adds up to it) is read from
  the snapshot's own copy of its rows, the same rows the parts hold.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from helpers import feed_rows, fuzz, write_feed
from hypothesis import given
from hypothesis import strategies as st

from dashboard.filters import parse_filters
from dashboard.queries import rollups as router
from dashboard.queries.counts import count_table, events_count_table
from etl.rollups import (
    ALL_GROUPS,
    DEFINITIONS_TABLE,
    PERSON_ROWS,
    ROLLUPS,
    build_rollups,
    last_build,
    rollup_sizes,
)
from etl.snapshots import snapshots
from svcore.config import read_settings, write_settings
from svcore.definitions import load_definition
from svcore.disclosure import cell_key_sql
from svcore.sql import Params
from svcore.vocab import SOURCES
from svcore.warehouse import CATALOG, SNAPSHOTS, connect_reader, current_snapshot

DEFINITION = load_definition("home_office")


@pytest.fixture(scope="module")
def demo(demo_warehouse: Path):
    con = connect_reader(demo_warehouse)
    yield con
    con.close()


def _values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list:
    return [
        r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table} ORDER BY 1").fetchall()
    ]


@fuzz(150)
@given(data=st.data())
def test_any_union_of_cells_has_the_events_count_and_cell_key(demo, data) -> None:
    """Pick a rollup, a source, a group (or all violence) and any subset of the cells' values
    on each column: the rollup's sums equal the events' count and cell key exactly."""
    rollup = data.draw(st.sampled_from(ROLLUPS))
    source = data.draw(st.sampled_from(tuple(SOURCES)))
    group = data.draw(st.sampled_from((None, *DEFINITION.group_keys(source))))
    rp, ep = Params(), Params()  # the rollup's query and the events' query
    r_conds = [
        f"r.definition = {rp.add('home_office')}",
        f"r.source = {rp.add(source)}",
        f"r.grp = {rp.add(group or ALL_GROUPS)}",
    ]
    e_conds = [DEFINITION.predicate(source, ep, group)]
    columns = [
        ("period", "e.period"),
        ("district_code", "e.district_code"),
        ("ward_code", "e.ward_code"),
        *((col, expr) for _, col, expr in rollup.dims),
    ]
    for col, expr in columns:
        values = _values(demo, rollup.name, col)
        if not values or not data.draw(st.booleans()):
            continue
        chosen = data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=4, unique=True))
        known = [v for v in chosen if v is not None]
        for conds, params, a in ((r_conds, rp, f"r.{col}"), (e_conds, ep, f"({expr})")):
            tests = [f"{a} = ANY({params.add(known)})"] if known else []
            tests += [f"{a} IS NULL"] if None in chosen else []
            conds.append("(" + " OR ".join(tests) + ")")
    n, ckey = demo.execute(
        f"SELECT coalesce(sum(r.n), 0), coalesce(sum(r.keysum), 0) % 256 FROM {rollup.name} r "
        f"WHERE {' AND '.join(r_conds)}",
        rp.values,
    ).fetchone()
    want = demo.execute(
        f"SELECT count(*), {cell_key_sql('e')} FROM events_{source} e WHERE {' AND '.join(e_conds)}",
        ep.values,
    ).fetchone()
    assert (int(n), int(ckey)) == (int(want[0]), int(want[1]))


def test_all_violence_is_not_the_sum_of_groups(demo) -> None:
    """An event in two groups counts once in all serious violence, once in each group."""
    total, in_groups = demo.execute(
        "SELECT sum(n) FILTER (WHERE grp = ''), sum(n) FILTER (WHERE grp <> '') "
        "FROM rollup_ward WHERE source = 'police' AND definition = 'home_office'"
    ).fetchone()
    events = demo.execute(
        f"SELECT count(*) FROM events_police e WHERE {DEFINITION.predicate('police', p := Params())}",
        p.values,
    ).fetchone()[0]
    assert total == events and in_groups > total


def test_every_rollup_counts_every_event_once(demo) -> None:
    """Each rollup's all-violence rows add up to the same total per source."""
    for source in SOURCES:
        totals = {
            r.name: demo.execute(
                f"SELECT coalesce(sum(n), 0) FROM {r.name} WHERE source = $s AND grp = ''",
                {"s": source},
            ).fetchone()[0]
            for r in ROLLUPS
        }
        assert len(set(totals.values())) == 1, (source, totals)


def _police(path: Path, month: str, n: int, start: int, **kw: str) -> Path:
    rows = feed_rows(
        "police", n, start, offence_date=f"{month}-09", recorded_date=f"{month}-10", **kw
    )
    return write_feed(path, "police", rows)


def _rows(snapshot: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return sorted(
            con.execute(f"SELECT * FROM {table}").fetchall(), key=lambda r: tuple(map(str, r))
        )
    finally:
        con.close()


def test_a_load_publishes_rollups_reusing_unchanged_months(
    warehouse: Path, load: Callable, tmp_path: Path
) -> None:
    for i, month in enumerate(("2024-01", "2024-02", "2024-03")):
        (r,) = load(warehouse, "police", _police(tmp_path / f"{month}.csv", month, 40, i * 100))
        assert r.status == "loaded"
    before = current_snapshot(warehouse)
    old_counts = _rows(before, "rollup_ward")
    # February again, with 10 more crimes (a merge: its part is rewritten), and April.
    (r,) = load(warehouse, "police", _police(tmp_path / "feb2.csv", "2024-02", 50, 100))
    (r2,) = load(warehouse, "police", _police(tmp_path / "apr.csv", "2024-04", 7, 900))
    assert r.status == r2.status == "loaded"
    snap = current_snapshot(warehouse)
    build = last_build(snap)
    assert build["units_built"] == 1 and build["units_reused"] == 3  # April only; Feb before
    # The same tables as a build from nothing.
    fresh = tmp_path / "fresh.duckdb"
    shutil.copyfile(warehouse / CATALOG, fresh)
    full = build_rollups(warehouse, fresh, reuse=False)
    assert full.built and full.units_reused == 0 and full.units_built == 4
    for r in ROLLUPS:
        assert _rows(snap, r.name) == _rows(fresh, r.name), r.name
    # Readers see the new counts; the older snapshot still has its own rollups.
    c = connect_reader(warehouse)
    try:
        f = parse_filters("")
        assert router.choose(c, f, ["month"]) == "rollup_ward"
        got = dict(count_table(c, f, ["month"])[["month", "count"]].itertuples(index=False))
        assert got == {"2024-01": 40, "2024-02": 50, "2024-03": 40, "2024-04": 7}
        assert count_table(c, f, ["month"]).equals(events_count_table(c, f, ["month"]))
    finally:
        c.close()
    if before.exists():  # still retained (keep=3)
        assert _rows(before, "rollup_ward") == old_counts


def test_retention_removes_rollups_with_their_snapshot(
    warehouse: Path, load: Callable, tmp_path: Path
) -> None:
    for i in range(5):
        month = f"2024-{i + 1:02d}"
        load(warehouse, "police", _police(tmp_path / f"{month}.csv", month, 5, i * 10))
    snaps = snapshots(warehouse)
    assert len(snaps) == 3 and all(rollup_sizes(s) for s in snaps)
    # Nothing else is left in the snapshots folder: no temporary copy, log or spill folder.
    assert sorted(p.name for p in (warehouse / SNAPSHOTS).iterdir()) == sorted(
        p.name for p in snaps
    )
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in snaps)


def test_a_build_that_cannot_run_publishes_without_rollups(
    warehouse: Path, load: Callable, tmp_path: Path
) -> None:
    load(warehouse, "police", _police(tmp_path / "jan.csv", "2024-01", 30, 1))
    con = duckdb.connect(str(warehouse / CATALOG), read_only=True)
    (part,) = con.execute("SELECT path FROM parts WHERE table_name = 'police'").fetchone()
    con.close()
    shutil.move(warehouse / part, tmp_path / "kept-aside.parquet")
    snap = tmp_path / "snap.duckdb"
    shutil.copyfile(warehouse / CATALOG, snap)
    result = build_rollups(warehouse, snap, reuse=False)
    assert not result.built and "parts/police/" in result.error
    assert rollup_sizes(snap) == {}  # no half-built tables: readers read events
    c = duckdb.connect(str(snap), read_only=True)
    try:
        assert router.choose(c, parse_filters(""), ["month"]) is None
    finally:
        c.close()


def test_a_changed_definition_is_not_read_from_old_rollups(
    warehouse: Path, load: Callable, tmp_path: Path
) -> None:
    """Rollups carry their definition's fingerprint: after the partnership's own definition
    file changes, its old rollups are not read (events are), and the next publish rebuilds."""
    own = tmp_path / "ours.toml"
    text = (Path(__file__).parents[2] / "svcore/definitions/home_office.toml").read_text()
    own.write_text(text)
    write_settings(warehouse, read_settings(warehouse).with_(definition=str(own)))
    load(warehouse, "police", _police(tmp_path / "jan.csv", "2024-01", 30, 1))
    c = connect_reader(warehouse)
    f = parse_filters("", default_definition=str(own))
    assert f.definition == str(own)
    assert router.choose(c, f, ["month"]) == "rollup_ward"
    listed = dict(c.execute(f"SELECT * FROM {DEFINITIONS_TABLE}").fetchall())
    assert set(listed) == {"home_office", str(own)}
    c.close()
    # Robbery gains an offence code: the same events no longer make the same counts.
    edited = text.replace(
        'ho_offence_code = ["34A", "34B"]', 'ho_offence_code = ["34A", "34B", "8N"]'
    )
    assert edited != text
    own.write_text(edited)
    load_definition.cache_clear()
    try:
        assert load_definition(str(own)) != load_definition("home_office")
        c = connect_reader(warehouse)
        try:
            assert router.choose(c, f, ["month"]) is None  # stale: read events
            assert router.choose(c, f.with_(definition="home_office"), ["month"]) == "rollup_ward"
        finally:
            c.close()
        load(warehouse, "police", _police(tmp_path / "feb.csv", "2024-02", 3, 100))
        c = connect_reader(warehouse)
        try:
            assert router.choose(c, f, ["month"]) == "rollup_ward"
        finally:
            c.close()
    finally:
        load_definition.cache_clear()


@pytest.mark.parametrize("feed", sorted(PERSON_ROWS))
def test_the_snapshot_reads_people_from_its_copy_of_the_parts_rows(
    demo_warehouse: Path, feed: str
) -> None:
    """A published snapshot holds the rows of the feeds counted as distinct people (the
    probation caseload, youth justice), and ``events_<feed>`` reads them: the same rows,
    columns and types as the committed catalog's view over the Parquet parts."""
    snap = connect_reader(demo_warehouse)
    catalog = duckdb.connect(str(demo_warehouse / CATALOG), read_only=True)
    try:
        catalog.execute("SET file_search_path = $p", {"p": str(demo_warehouse.resolve())})
        view = snap.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = $v", {"v": f"events_{feed}"}
        ).fetchall()[0][0]
        assert PERSON_ROWS[feed] in view
        published = snap.sql(f"SELECT * FROM events_{feed} ORDER BY ALL")
        parts = catalog.sql(f"SELECT * FROM events_{feed} ORDER BY ALL")
        assert published.types == parts.types and published.columns == parts.columns
        rows = published.fetchall()
        assert rows and rows == parts.fetchall()
    finally:
        snap.close()
        catalog.close()
