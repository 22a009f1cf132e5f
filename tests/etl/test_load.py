"""Loading: all-or-nothing files, idempotency, re-sends, out-of-area rows, quarantine, history,
pseudonymisation and what is never stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import stat
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import (
    DISTRICTS,
    OUT_OF_AREA_LSOA,
    REF_COLUMN,
    build_warehouse,
    count,
    feed_rows,
    reader_rows,
    write_feed,
)

import etl.load
from etl.contracts import CONTRACTS, EVENT_FEEDS, contract
from etl.load import init_warehouse, load_files, status
from svcore.config import Settings
from svcore.warehouse import CATALOG, connect_reader

DATA_TABLES = tuple(CONTRACTS)
PLACE_HEADER = {
    "police": "lsoa_code",
    "policeuk": "LSOA code",
    "health": "assault_lsoa_code",
    "probation": "home_lsoa_code",
    "youth_justice": "home_lsoa_code",
}


def state(warehouse: Path) -> dict:
    """Everything a reader can see: rows of every table and view, and the live parts."""
    con = connect_reader(warehouse)
    try:
        out = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (*DATA_TABLES, "events", "quarantine")
        }
        out["parts"] = con.execute(
            "SELECT table_name, partner, period_key, path, rows FROM parts WHERE active "
            "ORDER BY path"
        ).fetchall()
        out["police_keys"] = con.execute("SELECT crime_key FROM police ORDER BY 1").fetchall()
        return out
    finally:
        con.close()


def catalog_state(warehouse: Path) -> tuple:
    """The writer's catalog itself (not only the published snapshot)."""
    con = duckdb.connect(str(warehouse / CATALOG), read_only=True)
    try:
        return (
            con.execute("SELECT * FROM parts ORDER BY path").fetchall(),
            con.execute("SELECT load_id, status FROM loads ORDER BY load_id").fetchall(),
        )
    finally:
        con.close()


def without_quarantine(s: dict) -> dict:
    s = dict(s)
    s.pop("quarantine")
    s["parts"] = [p for p in s["parts"] if p[0] != "quarantine"]
    return s


# ---- atomicity ---------------------------------------------------------------------------


def test_refused_file_leaves_the_data_unchanged(warehouse, load, tmp_path) -> None:
    (first,) = load(
        warehouse, "police", write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 30))
    )
    assert first.status == "loaded"
    before = state(warehouse)

    # Same partner and period (so it would replace January), but 3 of 20 rows are bad: 15%.
    rows = feed_rows("police", 20, start=100)
    for r in rows[:3]:
        r["weapon"] = "spoon"
    (refused,) = load(warehouse, "police", write_feed(tmp_path / "jan-v2.csv", "police", rows))
    assert refused.status == "refused"
    assert refused.rows_quarantined == 3 and refused.rows_read == 20
    assert "15.0%" in refused.message and "5% threshold" in refused.message

    after = state(warehouse)
    assert without_quarantine(after) == without_quarantine(before)
    # The refusal is on record: its errors are in quarantine (for the analyst), and nothing else.
    new_q = [p for p in after["parts"] if p not in before["parts"]]
    assert [p[0] for p in new_q] == ["quarantine"]
    assert reader_rows(warehouse, "SELECT DISTINCT file_name, load_id FROM quarantine") == [
        ("jan-v2.csv", refused.load_id)
    ]
    assert reader_rows(
        warehouse,
        "SELECT status, rows_loaded FROM loads WHERE load_id = $i",
        {"i": refused.load_id},
    ) == [("refused", 0)]


def test_unreadable_file_changes_nothing_at_all(warehouse, load, tmp_path) -> None:
    load(warehouse, "police", write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 10)))
    before, cat_before = state(warehouse), catalog_state(warehouse)
    rows = feed_rows("police", 10, start=50)
    rows[2]["outcome"] = "RÃ©sultat"
    bad = write_feed(tmp_path / "bad.csv", "police", rows)
    (r,) = load(warehouse, "police", bad)
    assert r.status == "refused"
    assert state(warehouse) == before
    # The data and its parts are as they were; the refusal is in the load history.
    parts, loads = catalog_state(warehouse)
    assert parts == cat_before[0]
    assert loads == [*cat_before[1], (r.load_id, "refused")]
    assert reader_rows(
        warehouse,
        "SELECT file_name, file_sha256, status, rows_read, rows_loaded, "
        "position('RÃ©sultat' IN message) = 0 AND message LIKE '%bad.csv%' FROM loads "
        "WHERE load_id = $i",
        {"i": r.load_id},
    ) == [("bad.csv", hashlib.sha256(bad.read_bytes()).hexdigest(), "refused", 0, 0, True)]


def test_failure_inside_the_commit_rolls_back(warehouse, load, tmp_path, monkeypatch) -> None:
    load(warehouse, "police", write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 10)))
    before, cat_before = state(warehouse), catalog_state(warehouse)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(etl.load, "rebuild_views", boom)
    resend = write_feed(tmp_path / "jan-v2.csv", "police", feed_rows("police", 4, start=90))
    with pytest.raises(RuntimeError, match="disk full"):
        load(warehouse, "police", resend)
    monkeypatch.undo()
    assert state(warehouse) == before
    assert catalog_state(warehouse) == cat_before
    # The warehouse is still usable, and the same file now loads.
    (r,) = load(warehouse, "police", resend)
    assert r.status == "loaded"
    assert count(warehouse, "police") == 14  # four new crimes merged in; nothing removed


def test_each_file_of_a_batch_stands_alone(warehouse, load, tmp_path) -> None:
    good = write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 10))
    bad_rows = feed_rows(
        "police", 10, start=100, recorded_date="2024-02-10", offence_date="2024-02-01"
    )
    bad_rows[0]["crime_ref"] = ""
    bad = write_feed(tmp_path / "feb.csv", "police", bad_rows)
    missing = tmp_path / "mar.csv"
    reports = load(warehouse, "police", good, bad, missing)
    assert [r.status for r in reports] == ["loaded", "refused", "refused"]
    assert reports[2].message == f"{missing}: no such file"
    assert count(warehouse, "police") == 10


# ---- idempotency and re-sends ------------------------------------------------------------


def test_same_file_twice_changes_nothing(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 30)
    rows[5]["victim_age"] = "-1"
    path = write_feed(tmp_path / "jan.csv", "police", rows)
    (first,) = load(warehouse, "police", path)
    assert first.status == "loaded"
    before, cat_before = state(warehouse), catalog_state(warehouse)

    (again,) = load(warehouse, "police", path)
    assert again.status == "unchanged"
    assert "loaded before" in again.message
    # A copy under another name is the same file (the manifest is by content hash).
    copy = tmp_path / "copy-of-jan.csv"
    copy.write_bytes(path.read_bytes())
    (same,) = load(warehouse, "police", copy)
    assert same.status == "unchanged"
    assert state(warehouse) == before
    assert catalog_state(warehouse) == cat_before
    assert status(warehouse)["police"]["files_loaded"] == 1


def test_corrected_resend_replaces_that_partners_period(warehouse, load, tmp_path) -> None:
    jan = feed_rows("police", 20)
    feb = feed_rows("police", 10, start=21, recorded_date="2024-02-03", offence_date="2024-02-02")
    original = write_feed(tmp_path / "force-2024q1.csv", "police", jan + feb)
    (r1,) = load(warehouse, "police", original, partner="force")
    assert r1.periods == ["2024-01", "2024-02"]

    # A full re-send of January without one crime (5%, inside the 10% limit).
    corrected = write_feed(tmp_path / "force-jan-fixed.csv", "police", feed_rows("police", 19))
    (r2,) = load(warehouse, "police", corrected, partner="force", replace=True)
    assert r2.status == "loaded" and r2.periods == ["2024-01"] and r2.mode == "replace"
    assert (r2.rows_added, r2.rows_updated, r2.rows_removed) == (0, 19, 1)
    assert reader_rows(
        warehouse, "SELECT strftime(period, '%Y-%m'), count(*) FROM police GROUP BY 1 ORDER BY 1"
    ) == [("2024-01", 19), ("2024-02", 10)]
    # January's first part is superseded by the correction; February's is untouched.
    parts = reader_rows(
        warehouse,
        "SELECT period_key, load_id, active, superseded_by FROM parts WHERE table_name = 'police' "
        "ORDER BY load_id, period_key",
    )
    assert parts == [
        ("2024-01", r1.load_id, False, r2.load_id),
        ("2024-02", r1.load_id, True, None),
        ("2024-01", r2.load_id, True, None),
    ]

    # Another partner's file for the same month adds to it; it does not replace it.
    other = write_feed(tmp_path / "btp-jan.csv", "police", feed_rows("police", 5, start=900))
    (r3,) = load(warehouse, "police", other, partner="transport_police")
    assert r3.status == "loaded"
    assert reader_rows(
        warehouse,
        "SELECT partner, count(*) FROM police WHERE strftime(period, '%Y-%m') = "
        "'2024-01' GROUP BY 1 ORDER BY 1",
    ) == [("force", 19), ("transport_police", 5)]


def test_partner_from_mapping_file(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('partner = "west_force"\nfeed = "police"\n', encoding="utf-8")
    path = write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 3))
    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "loaded"
    assert reader_rows(warehouse, "SELECT DISTINCT partner FROM police") == [("west_force",)]


# ---- out of area -------------------------------------------------------------------------


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_out_of_area_rows_are_set_aside_not_held_against_the_file(
    warehouse, load, tmp_path, feed
) -> None:
    inside = feed_rows(feed, 20)
    outside = feed_rows(feed, 30, start=100, **{PLACE_HEADER[feed]: OUT_OF_AREA_LSOA})
    (r,) = load(warehouse, feed, write_feed(tmp_path / "f.csv", feed, inside + outside))
    assert r.status == "loaded"  # 60% of rows outside the area is not a defect
    assert (r.rows_read, r.rows_loaded, r.rows_out_of_area, r.rows_quarantined) == (50, 20, 30, 0)
    assert r.errors == []
    assert count(warehouse, feed) == 20
    place = contract(feed).place_column
    assert reader_rows(
        warehouse, f"SELECT count(*) FROM {feed} WHERE {place} = $l", {"l": OUT_OF_AREA_LSOA}
    ) == [(0,)]
    # Rows inside carry their ward and district from the lookup.
    assert reader_rows(warehouse, f"SELECT DISTINCT district_code FROM {feed}") == [(DISTRICTS[0],)]
    assert reader_rows(
        warehouse, "SELECT rows_out_of_area FROM loads WHERE feed = $f", {"f": feed}
    ) == [(30,)]


def test_bad_share_is_of_the_rows_inside_the_area(warehouse, load, tmp_path) -> None:
    inside = feed_rows("police", 10)
    inside[0]["weapon"] = "spoon"  # 1 bad of 10 inside (10%), though 1 of 100 in the file
    outside = feed_rows("police", 90, start=100, lsoa_code=OUT_OF_AREA_LSOA)
    (r,) = load(warehouse, "police", write_feed(tmp_path / "f.csv", "police", inside + outside))
    assert r.status == "refused"
    assert "1 of 10 rows" in r.message


def test_no_geography_no_event_load(make_warehouse, load, tmp_path) -> None:
    wh = make_warehouse("bare", geography=False)
    (r,) = load(wh, "police", write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 3)))
    assert r.status == "refused"
    assert "geography" in r.message


@pytest.mark.parametrize(("good", "status"), [(19, "loaded"), (18, "refused")])
def test_threshold_is_a_share_above_5_percent(warehouse, load, tmp_path, good, status) -> None:
    rows = feed_rows("police", good + 1)
    rows[0]["weapon"] = "spoon"  # 1 of 20 is exactly 5%: loads; 1 of 19 is 5.3%: refused
    (r,) = load(warehouse, "police", write_feed(tmp_path / "jan.csv", "police", rows))
    assert r.status == status
    assert count(warehouse, "police") == (good if status == "loaded" else 0)


def test_configurable_threshold(make_warehouse, load, tmp_path) -> None:
    wh = make_warehouse("lenient", bad_row_threshold=0.25)
    rows = feed_rows("police", 10)
    rows[0]["weapon"] = rows[1]["weapon"] = "spoon"
    (r,) = load(wh, "police", write_feed(tmp_path / "jan.csv", "police", rows))
    assert r.status == "loaded" and r.rows_loaded == 8


# ---- quarantine and history --------------------------------------------------------------


def test_quarantine_holds_file_line_column_reason(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 60)
    rows[9]["victim_age"] = "130"  # line 11
    rows[29]["recorded_date"] = "2024-01-01"  # line 31: offence (9th) after recorded (1st)
    path = write_feed(tmp_path / "force-jan.csv", "police", rows)
    text = path.read_text(encoding="utf-8").splitlines()
    text[40] += ",surplus"  # line 41: a malformed row
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded" and r.rows_loaded == 57
    assert reader_rows(
        warehouse,
        "SELECT load_id, feed, file_name, line, column_name, reason FROM quarantine ORDER BY line",
    ) == [
        (r.load_id, "police", "force-jan.csv", 11, "victim_age", "out of range 0–120: 130"),
        (
            r.load_id,
            "police",
            "force-jan.csv",
            31,
            "offence_date",
            "offence_date is after recorded_date",
        ),
        (
            r.load_id,
            "police",
            "force-jan.csv",
            41,
            None,
            "too many values on the line (malformed CSV row)",
        ),
    ]
    assert status(warehouse)["police"]["rows_quarantined"] == 3


def test_load_history(warehouse, load, tmp_path) -> None:
    good = write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 10))
    bad_rows = feed_rows("police", 10, start=50)
    bad_rows[0]["weapon"] = "spoon"
    bad = write_feed(tmp_path / "jan-bad.csv", "police", bad_rows)
    load(warehouse, "police", good, partner="force")
    load(warehouse, "police", bad, partner="force")
    load(warehouse, "police", good, partner="force")  # unchanged: no new history row
    history = reader_rows(
        warehouse,
        "SELECT feed, partner, file_name, file_sha256, status, rows_read, rows_loaded, "
        "rows_quarantined, rows_out_of_area, rows_excluded, periods, encoding, "
        "started_at <= finished_at FROM loads WHERE feed = 'police' ORDER BY load_id",
    )
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert history == [
        (
            "police",
            "force",
            "jan.csv",
            sha(good),
            "loaded",
            10,
            10,
            0,
            0,
            0,
            ["2024-01"],
            "ascii",
            True,
        ),
        ("police", "force", "jan-bad.csv", sha(bad), "refused", 10, 0, 1, 0, 0, [], "ascii", True),
    ]
    s = status(warehouse)["police"]
    assert (s["rows"], s["periods"], s["first_period"], s["files_loaded"], s["files_refused"]) == (
        10,
        1,
        "2024-01",
        1,
        1,
    )


# ---- pseudonymisation and what is never stored -------------------------------------------


def all_files(warehouse: Path) -> list[Path]:
    return [p for p in warehouse.rglob("*") if p.is_file()]


def parquet_strings(path: Path) -> set[str]:
    table = pq.ParquetFile(path).read()  # (read_table spins up the datasets machinery: slow)
    out: set[str] = set()
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out.update(v for v in col.to_pylist() if v is not None)
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, key_file):
    """Every event feed loaded with distinctive refs and free text (and a duplicate ref)."""
    root = tmp_path_factory.mktemp("everything")
    wh = build_warehouse(root / "wh", key_file)
    refs: dict[str, list[str]] = {}
    for feed in EVENT_FEEDS:
        rows = feed_rows(feed, 40)
        if feed == "health":
            for r in rows:
                r["assault_location_description"] = "behind the QXZFREETEXT kebab shop"
        if feed == "policeuk":
            for r in rows:
                r["Location"] = "On or near QXZFREETEXT Street"
                r["Context"] = "QXZFREETEXT context"
        if contract(feed).column(contract(feed).names[0]).unique:  # the reference column
            rows[-1][REF_COLUMN[feed]] = rows[0][REF_COLUMN[feed]]  # a quarantined duplicate
        refs[feed] = [r[REF_COLUMN[feed]] for r in rows]
        path = write_feed(root / f"{feed}.csv", feed, rows)
        (r,) = load_files(wh, feed, [path], key_path=key_file)
        assert r.status == "loaded", (feed, r.message)
    return wh, refs


def test_keys_are_hmac_sha256_hex(loaded, key_file) -> None:
    warehouse, refs = loaded
    key = key_file.read_bytes()
    expected = {
        "police": ("crime_key", "police"),
        "policeuk": ("crime_key", "policeuk"),
        "health": ("attendance_key", "health"),
        "probation": ("person_key", "probation"),
        "youth_justice": ("person_key", "youth_justice"),
    }
    for feed, (column, table) in expected.items():
        stored = {r[0] for r in reader_rows(warehouse, f"SELECT {column} FROM {table}")}
        assert stored and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in stored)
        mine = {hmac.new(key, ref.encode(), hashlib.sha256).hexdigest() for ref in refs[feed]}
        assert stored <= mine


def test_same_reference_same_key_across_feeds(warehouse, load, tmp_path, key_file) -> None:
    shared = "PERSONQX42"
    for feed in ("probation", "youth_justice"):
        rows = feed_rows(feed, 3)
        rows[0]["person_ref"] = shared
        (r,) = load(warehouse, feed, write_feed(tmp_path / f"{feed}.csv", feed, rows))
        assert r.status == "loaded"
    want = hmac.new(key_file.read_bytes(), shared.encode(), hashlib.sha256).hexdigest()
    for feed in ("probation", "youth_justice"):
        assert reader_rows(
            warehouse, f"SELECT count(*) FROM {feed} WHERE person_key = $k", {"k": want}
        ) == [(1,)]


def test_raw_refs_and_free_text_are_nowhere_in_the_warehouse(loaded) -> None:
    warehouse, refs = loaded
    needles = [r for feed_refs in refs.values() for r in feed_refs] + ["QXZFREETEXT"]
    parquet = [p for p in all_files(warehouse) if p.suffix == ".parquet"]
    assert len(parquet) >= len(EVENT_FEEDS)
    pattern = re.compile("|".join(re.escape(n) for n in needles))
    # Bytes: the prefixes every made-up reference shares (4 letters, 5 digits: never chance),
    # and each police.uk id in full.
    byte_needles = {n.encode()[:9] for n in needles if not re.fullmatch("[0-9a-f]{64}", n)}
    byte_needles |= {n.encode() for n in refs["policeuk"]}
    found = []
    for path in all_files(warehouse):  # parts, quarantine, catalog, snapshots, settings
        data = path.read_bytes()
        found += [(path.name, n) for n in byte_needles if n in data]
    for path in parquet:  # and decompressed, value by value
        found += [(path.name, s) for s in parquet_strings(path) if pattern.search(s)]
    assert found == []


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_unstored_columns_are_not_in_the_parts(loaded, feed) -> None:
    warehouse, _ = loaded
    never = {c.name for c in contract(feed).columns if not c.store}
    refs = {c.name for c in contract(feed).columns if c.pseudonymise}
    (path,) = reader_rows(
        warehouse, "SELECT path FROM parts WHERE table_name = $t AND active", {"t": feed}
    )[0:1]
    names = set(pq.read_schema(warehouse / path[0]).names)
    assert not names & (never | refs)
    if feed == "health":
        assert "assault_location_description" in never
    if feed == "policeuk":
        assert {"longitude", "latitude", "location", "lsoa_name", "context"} <= never


def test_key_lives_outside_the_warehouse(tmp_path) -> None:
    wh = init_warehouse(tmp_path / "wh", Settings(districts=DISTRICTS))
    for inside in (wh / "pseudonymisation.key", wh / "parts" / "k.key"):
        with pytest.raises(ValueError, match="must not live inside the warehouse"):
            load_files(wh, "police", [], key_path=inside)
        assert not inside.exists()


def test_key_is_created_private_on_first_use(tmp_path) -> None:
    wh = init_warehouse(tmp_path / "wh", Settings(districts=DISTRICTS))
    key = tmp_path / "keys" / "new.key"
    load_files(wh, "police", [], key_path=key)
    assert len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list(wh.rglob("*.key"))


def test_another_key_is_refused(warehouse, load, tmp_path) -> None:
    load(warehouse, "police", write_feed(tmp_path / "a.csv", "police", feed_rows("police", 5)))
    before = state(warehouse)
    other = tmp_path / "other.key"
    other.write_bytes(b"k" * 32)
    other.chmod(0o600)  # private, so it is its fingerprint that is refused (whatever the umask)
    path = write_feed(tmp_path / "more.csv", "police", feed_rows("police", 5, start=700))
    with pytest.raises(ValueError, match="SVDASH_KEY_FILE"):
        load_files(warehouse, "police", [path], key_path=other)
    assert state(warehouse) == before
