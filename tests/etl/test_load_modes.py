"""How a file's rows are applied to what is held: merge by key (the default for record feeds),
explicit and guarded replacement, records that change month, and what every load reports."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import feed_rows, reader_rows, write_feed

from etl.integrity import check
from etl.mapping import MappingError
from svcore.warehouse import CATALOG, connect_reader


def months(wh: Path, partner: str | None = None) -> dict[str, int]:
    where = "WHERE partner = $p" if partner else ""
    return dict(
        reader_rows(
            wh,
            f"SELECT strftime(period, '%Y-%m'), count(*) FROM police {where} GROUP BY 1",
            {"p": partner} if partner else None,
        )
    )


def visible(wh: Path) -> dict:
    """Everything readers see of the police feed: rows, live parts and the data itself."""
    con = connect_reader(wh)
    try:
        return {
            "rows": con.execute("SELECT * FROM police ORDER BY crime_key").fetchall(),
            "parts": con.execute(
                "SELECT * FROM parts WHERE table_name = 'police' ORDER BY path"
            ).fetchall(),
        }
    finally:
        con.close()


def history(wh: Path, load_id: int) -> tuple:
    return reader_rows(
        wh,
        "SELECT status, mode, rows_loaded, rows_added, rows_updated, rows_removed "
        "FROM loads WHERE load_id = $i",
        {"i": load_id},
    )[0]


def march(n: int, start: int = 1, **kw: str) -> list[dict[str, str]]:
    return feed_rows(
        "police", n, start=start, recorded_date="2024-03-12", offence_date="2024-03-11", **kw
    )


@pytest.fixture
def held(warehouse, load, tmp_path) -> Path:
    """The force's first extract: 50 crimes in March and 10 in April."""
    april = feed_rows(
        "police", 10, start=501, recorded_date="2024-04-03", offence_date="2024-04-02"
    )
    (r,) = load(
        warehouse,
        "police",
        write_feed(tmp_path / "first.csv", "police", march(50) + april),
        partner="force",
    )
    assert r.status == "loaded" and (r.rows_added, r.rows_updated, r.rows_removed) == (60, 0, 0)
    return warehouse


def test_a_supplement_adds_rows_and_removes_nothing(held, load, tmp_path) -> None:
    supplement = write_feed(tmp_path / "supplement.csv", "police", march(20, start=1001))
    (r,) = load(held, "police", supplement, partner="force")
    assert r.status == "loaded" and r.mode == "merge" and r.rows_loaded == 20
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (20, 0, 0)
    assert months(held) == {"2024-03": 70, "2024-04": 10}
    assert history(held, r.load_id) == ("loaded", "merge", 20, 20, 0, 0)
    assert check(held).problems == []


def test_a_rolling_re_extract_updates_what_it_holds(held, load, tmp_path) -> None:
    """Held crimes re-sent with new values are updated in place; new ones are added."""
    rows = march(30, start=21, outcome="Charged")  # crimes 21-50 are held, with another outcome
    rows += march(5, start=2001)  # and five new ones
    (r,) = load(held, "police", write_feed(tmp_path / "re.csv", "police", rows), partner="force")
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (5, 30, 0)
    assert months(held) == {"2024-03": 55, "2024-04": 10}
    assert reader_rows(held, "SELECT outcome, count(*) FROM police GROUP BY 1 ORDER BY 1") == [
        ("Charged", 30),
        ("Investigation complete", 35),
    ]
    # Each row keeps the load that brought it: the 20 untouched March rows the first load.
    assert reader_rows(
        held, "SELECT count(*) FROM police WHERE load_id = $i", {"i": r.load_id}
    ) == [(35,)]
    assert check(held).problems == []


def test_a_full_re_send_with_mode_replace(held, load, tmp_path) -> None:
    """mode = "replace" in the mapping: changed rows replaced, missing rows gone, exact counts."""
    mapping = tmp_path / "force.toml"
    mapping.write_text('partner = "force"\nfeed = "police"\nmode = "replace"\n', encoding="utf-8")
    rows = march(47)  # crimes 48-50 are no longer in the force's extract: 3 of 50 (6%)
    for row in rows[:5]:
        row["ho_offence_code"] = "5D"  # reclassified
    rows += march(2, start=3001)
    (r,) = load(
        held,
        "police",
        write_feed(tmp_path / "march-full.csv", "police", rows),
        mapping_path=mapping,
    )
    assert r.status == "loaded" and r.mode == "replace"
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (2, 47, 3)
    assert months(held) == {"2024-03": 49, "2024-04": 10}
    assert reader_rows(
        held,
        "SELECT ho_offence_code, count(*) FROM police WHERE "
        "strftime(period, '%Y-%m') = '2024-03' GROUP BY 1 ORDER BY 1",
    ) == [("5D", 5), ("8N", 44)]
    assert history(held, r.load_id) == ("loaded", "replace", 49, 2, 47, 3)
    assert check(held).problems == []


def test_a_shrinking_replacement_is_refused_and_changes_nothing(held, load, tmp_path) -> None:
    before = visible(held)
    path = write_feed(tmp_path / "march-short.csv", "police", march(20))
    (r,) = load(held, "police", path, partner="force", replace=True)
    assert r.status == "refused"
    assert "2024-03: 30 of the 50 rows held (60.0%)" in r.message
    assert "10% limit" in r.message and "--yes" in r.message and "without --replace" in r.message
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 0, 0)
    assert visible(held) == before
    assert history(held, r.load_id) == ("refused", "replace", 0, 0, 0, 0)
    assert check(held).problems == []

    # Confirmed, it goes ahead, and says what it removed.
    (r,) = load(held, "police", path, partner="force", replace=True, yes=True)
    assert r.status == "loaded" and (r.rows_added, r.rows_updated, r.rows_removed) == (0, 20, 30)
    assert months(held) == {"2024-03": 20, "2024-04": 10}


def test_the_guard_is_a_setting(make_warehouse, load, tmp_path) -> None:
    wh = make_warehouse(max_replace_removal=0.5)
    load(wh, "police", write_feed(tmp_path / "a.csv", "police", march(10)))
    (r,) = load(wh, "police", write_feed(tmp_path / "b.csv", "police", march(6)), replace=True)
    assert r.status == "loaded" and r.rows_removed == 4  # 40%, under the 50% set
    (r,) = load(wh, "police", write_feed(tmp_path / "c.csv", "police", march(2)), replace=True)
    assert r.status == "refused" and "50% limit" in r.message


def test_a_crime_that_changes_month_is_counted_once(held, load, tmp_path) -> None:
    # Crime 7 was recorded in March; the next extract has it in April (a correction).
    moved = feed_rows("police", 1, start=7, recorded_date="2024-04-20", offence_date="2024-04-19")
    (r,) = load(held, "police", write_feed(tmp_path / "apr.csv", "police", moved), partner="force")
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 1, 0)
    assert r.periods == ["2024-04"]
    assert months(held) == {"2024-03": 49, "2024-04": 11}
    assert reader_rows(held, "SELECT count(*) - count(DISTINCT crime_key) FROM police") == [(0,)]
    # The same in replace mode: April replaced, the March row it moved from retired too.
    april = feed_rows(
        "police", 10, start=501, recorded_date="2024-04-03", offence_date="2024-04-02"
    )
    moved = feed_rows("police", 1, start=8, recorded_date="2024-04-21", offence_date="2024-04-20")
    (r,) = load(
        held,
        "police",
        write_feed(tmp_path / "apr-full.csv", "police", april + moved),
        partner="force",
        replace=True,
    )
    assert r.status == "loaded", r.message
    # Crime 7 is not in this full April extract: removed; crime 8 moved from March.
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 11, 1)
    assert months(held) == {"2024-03": 48, "2024-04": 11}
    assert reader_rows(held, "SELECT count(*) - count(DISTINCT crime_key) FROM police") == [(0,)]
    assert check(held).problems == []


def test_another_partners_records_are_never_touched(held, load, tmp_path) -> None:
    """Keys are matched within one partner's rows: the same reference from another partner is
    another record."""
    (r,) = load(
        held,
        "police",
        write_feed(tmp_path / "btp.csv", "police", march(5)),
        partner="transport_police",
    )
    assert (r.rows_added, r.rows_updated) == (5, 0)
    assert months(held, "force") == {"2024-03": 50, "2024-04": 10}
    assert months(held, "transport_police") == {"2024-03": 5}


def test_same_file_again_after_a_merge_rewrote_its_parts(held, load, tmp_path) -> None:
    first = tmp_path / "first.csv"
    load(
        held,
        "police",
        write_feed(tmp_path / "s.csv", "police", march(3, start=4001)),
        partner="force",
    )
    before = visible(held)
    (r,) = load(held, "police", first, partner="force")
    assert r.status == "unchanged"  # its rows were carried forward untouched
    assert visible(held) == before
    # With --replace it is other work: a full extract would now remove the supplement's rows.
    (r,) = load(held, "police", first, partner="force", replace=True)
    assert r.status == "loaded" and (r.rows_updated, r.rows_removed) == (60, 3)


def test_files_refused_before_validation_are_in_the_history(warehouse, load, tmp_path) -> None:
    no_column = tmp_path / "no-ref.csv"
    no_column.write_text("recorded_date,offence_date\n2024-01-10,2024-01-09\n", encoding="utf-8")
    missing = tmp_path / "never-sent.csv"
    reports = load(warehouse, "police", no_column, missing)
    assert [r.status for r in reports] == ["refused", "refused"]
    rows = reader_rows(
        warehouse,
        "SELECT load_id, file_name, status, rows_read, message "
        "FROM loads WHERE feed = 'police' ORDER BY load_id",
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (reports[0].load_id, "no-ref.csv", "refused", 0),
        (reports[1].load_id, "never-sent.csv", "refused", 0),
    ]
    assert "crime_ref" in rows[0][4] and "no such file" in rows[1][4]
    assert check(warehouse).problems == []


def test_codes_not_in_the_definition_are_counted(warehouse, load, tmp_path) -> None:
    rows = march(6)
    for row in rows[:3]:
        row["ho_offence_code"] = "008/01"  # a force's own variant: passes the pattern
    rows[3]["ho_offence_code"] = "105A"  # named by the definition as outside serious violence
    (r,) = load(warehouse, "police", write_feed(tmp_path / "m.csv", "police", rows))
    assert r.status == "loaded" and r.codes_not_in_definition == {"008/01": 3}


def test_police_uk_months_replace_and_cannot_merge(warehouse, load, tmp_path) -> None:
    month = feed_rows("policeuk", 20, **{"Month": "2024-03"})
    (r,) = load(warehouse, "policeuk", write_feed(tmp_path / "a.csv", "policeuk", month))
    assert r.mode == "replace" and r.rows_added == 20
    again = feed_rows("policeuk", 19, **{"Month": "2024-03", "Last outcome category": "Charged"})
    (r,) = load(warehouse, "policeuk", write_feed(tmp_path / "b.csv", "policeuk", again))
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 19, 1)
    (r,) = load(warehouse, "policeuk", write_feed(tmp_path / "c.csv", "policeuk", again[:5]))
    assert r.status == "refused" and "2024-03: 14 of the 19 rows held" in r.message
    mapping = tmp_path / "m.toml"
    mapping.write_text('mode = "merge"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="cannot merge"):
        load(warehouse, "policeuk", tmp_path / "a.csv", mapping_path=mapping)


def test_a_mapping_mode_must_be_known(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('mode = "append"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="mode must be one of 'merge', 'replace'"):
        load(warehouse, "police", tmp_path / "x.csv", mapping_path=mapping)


def test_an_older_catalog_gains_the_new_history_columns(held, load, tmp_path) -> None:
    """A warehouse made before loads kept added/updated/removed still checks and loads."""
    con = duckdb.connect(str(held / CATALOG))
    for col in ("mode", "rows_added", "rows_updated", "rows_removed", "rows_kept"):
        con.execute(f"ALTER TABLE loads DROP COLUMN {col}")
    con.close()
    assert check(held).problems == []
    (r,) = load(
        held,
        "police",
        write_feed(tmp_path / "s.csv", "police", march(2, start=9001)),
        partner="force",
    )
    assert r.status == "loaded" and r.rows_added == 2
    assert history(held, r.load_id) == ("loaded", "merge", 2, 2, 0, 0)
    assert reader_rows(held, "SELECT count(*) FROM loads WHERE mode IS NULL") == [(2,)]
    assert check(held).problems == []


def test_the_quality_page_lists_codes_not_in_the_definition(warehouse, load, tmp_path) -> None:
    """Raw per-code counts of the live rows (the page renders them as a table), and the load
    history with what each load did."""
    from dashboard.callbacks.views import view_outputs  # noqa: F401 - the page's wiring imports
    from dashboard.queries.quality import codes_not_in_definition, load_history

    rows = march(7)
    for row in rows[:4]:
        row["ho_offence_code"] = "008/01"
    rows[4]["ho_offence_code"] = "99Z"
    load(warehouse, "police", write_feed(tmp_path / "m.csv", "police", rows))
    uk = feed_rows("policeuk", 3, **{"Month": "2024-03", "Crime type": "Burglary"})
    uk[0]["Crime type"] = "Knife crime (local)"
    load(warehouse, "policeuk", write_feed(tmp_path / "uk.csv", "policeuk", uk))
    con = connect_reader(warehouse)
    try:
        codes = codes_not_in_definition(con, "home_office")
        assert list(codes.itertuples(index=False, name=None)) == [
            ("police", "008/01", 4),
            ("police", "99Z", 1),
            ("policeuk", "Knife crime (local)", 1),
        ]
        hist = load_history(con, limit=2)
        assert list(
            hist[["feed", "mode", "rows_added", "rows_updated", "rows_removed"]].itertuples(
                index=False, name=None
            )
        ) == [("policeuk", "replace", 3, 0, 0), ("police", "merge", 7, 0, 0)]
    finally:
        con.close()


@pytest.mark.parametrize("feed", ["health", "youth_justice"])
def test_other_record_feeds_merge_too(warehouse, load, tmp_path, feed: str) -> None:
    """A&E attendances merge by attendance reference; youth-justice proven offences (no
    offence reference) by young person, offence date and offence group."""
    (r,) = load(warehouse, feed, write_feed(tmp_path / "a.csv", feed, feed_rows(feed, 10)))
    assert (r.mode, r.rows_added) == ("merge", 10)
    again = feed_rows(feed, 4, start=8)  # 8-10 held, 11 new
    (r,) = load(warehouse, feed, write_feed(tmp_path / "b.csv", feed, again))
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (1, 3, 0)
    assert reader_rows(warehouse, f"SELECT count(*) FROM {feed}") == [(11,)]
    assert check(warehouse).problems == []
