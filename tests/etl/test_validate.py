"""Every validation rule of every event feed, end to end through ``load_files``.

The rule cases are derived from the contracts (every required column blanked, every enum given
a stray code, every date, time, number and LSOA column given a bad value, every range, unique,
comparison and not-in-the-future rule broken), so a rule added to a contract is tested here
without editing this file. Each feed's cases share one file (one bad row per case, each breaking
one rule only), loaded once per module; each case then checks the errors reported on its line.
"""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from helpers import (
    POLICEUK_HEADER,
    REF_COLUMN,
    VALID,
    build_warehouse,
    count,
    errors_at,
    feed_rows,
    future,
    reader_rows,
    write_csv,
    write_feed,
)

from etl.contracts import EVENT_FEEDS, Column, contract
from etl.load import load_files
from etl.mapping import normalise_name


def header_of(feed: str) -> dict[str, str]:
    """Canonical column name -> the header the test file uses for it."""
    if feed == "policeuk":
        return {normalise_name(h): h for h in POLICEUK_HEADER}
    return {c: c for c in VALID[feed]}


@dataclass(frozen=True)
class Case:
    feed: str
    name: str
    values: dict[str, str]  # canonical column -> raw value on the bad row
    expected: tuple[tuple[str, str], ...]  # (column, substring of reason), exactly these errors

    @property
    def id(self) -> str:
        return f"{self.feed}-{self.name}"


BAD_PATTERN = {
    "ho_offence_code": "ABC",
    "month": "2024-13",
    "site_code": "rr8!",
}


def _future_value(col: Column) -> str:
    day = future(60)
    return f"{day.isoformat()} 12:00" if col.type == "datetime" else day.isoformat()


def column_cases(feed: str, col: Column) -> list[Case]:
    n = col.name
    cases: list[Case] = []

    def add(name: str, value: str, reason: str) -> None:
        cases.append(Case(feed, f"{n}-{name}", {n: value}, ((n, reason),)))

    if col.required:
        add("blank", "", "required value is blank")
    if col.type == "enum":
        add("bad-enum", "sometimes", "not one of")
    elif col.type == "date":
        add("bad-date", "2024-02-30", "not a date")
        add("uk-date-without-mapping", "09/01/2024", "not a date")
    elif col.type == "datetime":
        add("bad-datetime", "2024-01-10 25:61", "not a date and time")
        add("uk-datetime-without-mapping", "10/01/2024 22:00", "not a date and time")
    elif col.type == "time":
        add("bad-time", "25:99", "not a time")
        add("words", "9pm", "not a time")
    elif col.type == "int":
        add("not-number", "twelve", "not a whole number")
        add("fraction", "24.5", "not a whole number")
    elif col.type == "decimal":
        add("not-number", "north", "not a number")
    elif col.type == "bool":
        add("bad-bool", "maybe", "not Y or N")
    elif col.type == "lsoa":
        add("short", "E0100001", "not an LSOA")
        add("ward-code", "E05000001", "not an LSOA")
    if col.type in ("int", "decimal"):
        if col.min is not None:
            add("below-min", str(int(col.min) - 1), "out of range")
        if col.max is not None:
            add("above-max", str(int(col.max) + 1), "out of range")
    if col.pattern and col.type in ("text", "period"):
        add("bad-form", BAD_PATTERN[n], "not in the expected form")
    return cases


def feed_cases(feed: str) -> list[Case]:
    c = contract(feed)
    cases = [case for col in c.columns for case in column_cases(feed, col)]
    ref = normalise_name(REF_COLUMN[feed])
    for col in c.columns:
        if col.unique:
            # The control row (line 2) holds the first use of this reference.
            first = feed_rows(feed, 1)[0][REF_COLUMN[feed]]
            cases.append(
                Case(feed, f"{col.name}-duplicate", {col.name: first}, ((col.name, "duplicate"),))
            )
    for cmp in c.comparisons:
        right = c.column(cmp.right)
        base = VALID[feed][header_of(feed)[cmp.right]]
        later = (
            "2024-01-11 09:00"
            if right.type == "datetime"
            else (dt.date.fromisoformat(base) + dt.timedelta(days=3)).isoformat()
        )
        cases.append(
            Case(
                feed, f"{cmp.left}-after-{cmp.right}", {cmp.left: later}, ((cmp.left, cmp.reason),)
            )
        )
    for name in c.not_future:
        col = c.column(name)
        values = {name: _future_value(col)}
        expected = [(name, "is in the future")]
        # Keep comparisons satisfied: push the later column into the future as well.
        for cmp in c.comparisons:
            if cmp.left == name:
                values[cmp.right] = _future_value(c.column(cmp.right))
                if cmp.right in c.not_future:
                    expected.append((cmp.right, "is in the future"))
        if any(name == e[0] for e in expected[1:]):
            continue
        cases.append(Case(feed, f"{name}-future", values, tuple(expected)))
    assert ref in c.names
    return cases


ALL_CASES = [case for feed in EVENT_FEEDS for case in feed_cases(feed)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, key_file: Path):
    """Per feed: one file (control row on line 2, then one row per case), loaded once."""
    root = tmp_path_factory.mktemp("validate")
    wh = build_warehouse(root / "wh", key_file)
    out = {}
    for feed in EVENT_FEEDS:
        cases = [c for c in ALL_CASES if c.feed == feed]
        heads = header_of(feed)
        rows = feed_rows(feed, len(cases) + 1)
        lines = {}
        for i, case in enumerate(cases, start=1):
            for col, value in case.values.items():
                rows[i][heads[col]] = value
            lines[case.id] = i + 2
        path = write_feed(root / f"{feed}.csv", feed, rows)
        (report,) = load_files(wh, feed, [path], key_path=key_file)
        out[feed] = (report, lines)
    return wh, out


def test_every_event_feed_has_cases() -> None:
    feeds = {c.feed for c in ALL_CASES}
    assert feeds == set(EVENT_FEEDS)
    names = {c.id for c in ALL_CASES}
    for must in (
        "police-crime_ref-blank",
        "police-location_type-bad-enum",
        "police-recorded_date-bad-date",
        "police-offence_date-uk-date-without-mapping",
        "police-recorded_date-future",
        "police-offence_date-after-recorded_date",
        "police-crime_ref-duplicate",
        "police-victim_age-above-max",
        "police-lsoa_code-short",
        "health-assault_datetime-after-arrival_datetime",
        "health-attendance_ref-duplicate",
        "youth_justice-age-above-max",
        "youth_justice-age-below-min",
        "probation-case_start_date-after-snapshot_date",
    ):
        assert must in names


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_rule(batch, case: Case) -> None:
    _, reports = batch
    report, lines = reports[case.feed]
    got = errors_at(report, lines[case.id])
    assert len(got) == len(case.expected), got
    for column, reason in case.expected:
        assert any(col == column and reason in why for col, why in got), (column, reason, got)


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_control_row_is_clean_and_bad_rows_refuse_the_file(batch, feed: str) -> None:
    wh, reports = batch
    report, lines = reports[feed]
    assert errors_at(report, 2) == []
    assert report.status == "refused"
    assert report.rows_quarantined == len(lines)
    assert "threshold" in report.message
    assert count(wh, feed) == 0


def test_duplicate_reason_names_first_line_but_not_the_reference(batch) -> None:
    _, reports = batch
    report, lines = reports["police"]
    ((_, reason),) = errors_at(report, lines["police-crime_ref-duplicate"])
    assert reason == "duplicate crime_ref (first on line 2)"
    assert feed_rows("police", 1)[0]["crime_ref"] not in reason


def test_bad_value_is_quoted_in_the_reason(batch) -> None:
    _, reports = batch
    report, lines = reports["police"]
    ((_, reason),) = errors_at(report, lines["police-location_type-bad-enum"])
    assert reason.startswith("not one of street, dwelling")
    assert reason.endswith(": sometimes")


# ---- single-file rules -------------------------------------------------------------------


def test_uk_dates_accepted_only_through_a_mapping(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 30, recorded_date="10/01/2024", offence_date="09/01/2024")
    path = write_feed(tmp_path / "uk.csv", "police", rows)
    (refused,) = load(warehouse, "police", path)
    assert refused.status == "refused"
    assert {(e["column"], e["reason"].split(" (")[0]) for e in refused.errors} == {
        ("recorded_date", "not a date"),
        ("offence_date", "not a date"),
    }
    mapping = tmp_path / "uk.toml"
    mapping.write_text('[dates]\nformats = ["%d/%m/%Y"]\n', encoding="utf-8")
    (ok,) = load(warehouse, "police", path, mapping_path=mapping)
    assert ok.status == "loaded", ok.errors[:3]
    assert ok.rows_loaded == 30
    # Day first: 10/01/2024 is the 10th of January, never the 1st of October.
    assert reader_rows(warehouse, "SELECT DISTINCT recorded_date, offence_date FROM police") == [
        (dt.date(2024, 1, 10), dt.date(2024, 1, 9))
    ]


def test_uk_datetimes_through_a_mapping(warehouse, load, tmp_path) -> None:
    rows = feed_rows(
        "health", 20, arrival_datetime="10/01/2024 23:15", assault_datetime="10/01/2024 22:50"
    )
    path = write_feed(tmp_path / "uk.csv", "health", rows)
    mapping = tmp_path / "uk.toml"
    mapping.write_text('[dates]\ndatetime_formats = ["%d/%m/%Y %H:%M"]\n', encoding="utf-8")
    (ok,) = load(warehouse, "health", path, mapping_path=mapping)
    assert ok.status == "loaded", ok.errors[:3]
    assert reader_rows(warehouse, "SELECT DISTINCT arrival_datetime FROM health") == [
        (dt.datetime(2024, 1, 10, 23, 15),)
    ]


def test_a_few_bad_rows_are_quarantined_and_the_rest_loads(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 40)
    rows[9]["victim_age"] = "130"  # line 11
    path = write_feed(tmp_path / "p.csv", "police", rows)
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded"
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (40, 39, 1)
    assert r.errors == [{"line": 11, "column": "victim_age", "reason": "out of range 0–120: 130"}]
    assert count(warehouse, "police") == 39


def test_enum_codes_are_case_insensitive_and_stored_canonically(warehouse, load, tmp_path):
    rows = feed_rows(
        "police",
        5,
        location_type="STREET",
        weapon="Knife_Sharp",
        victim_sex="m",
        victim_ethnicity="White",
    )
    (r,) = load(warehouse, "police", write_feed(tmp_path / "p.csv", "police", rows))
    assert r.status == "loaded" and r.rows_loaded == 5
    assert reader_rows(
        warehouse, "SELECT DISTINCT location_type, weapon, victim_sex, victim_ethnicity FROM police"
    ) == [("street", "knife_sharp", "M", "white")]


def test_blank_optional_values_are_unknown_not_defaults(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 5, offence_time="", domestic_abuse="", victim_age="", lsoa_code="")
    (r,) = load(warehouse, "police", write_feed(tmp_path / "p.csv", "police", rows))
    assert r.status == "loaded" and r.rows_loaded == 5
    # A blank time is "unknown", not midnight; a blank LSOA still counts in the totals.
    assert reader_rows(
        warehouse,
        "SELECT DISTINCT offence_time, domestic_abuse, victim_age, lsoa_code, "
        "district_code FROM police",
    ) == [(None, None, None, None, None)]


def test_malformed_csv_rows_are_quarantined_with_their_lines(warehouse, load, tmp_path) -> None:
    header = tuple(VALID["police"])
    rows = [[r[h] for h in header] for r in feed_rows("police", 60)]
    rows[4] = rows[4] + ["surplus"]  # line 6: too many values
    rows[9] = rows[9][:-3]  # line 11: too few values
    rows[14][0] = "multi\nline ref"  # line 16: one record over two physical lines
    rows[19][header.index("victim_age")] = "999"  # line 21: a rule, after the multi-line record
    path = write_csv(tmp_path / "m.csv", header, rows)
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded"
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (60, 57, 3)
    assert sorted({e["line"] for e in r.errors}) == [6, 11, 21]
    assert all("too many values" in e["reason"] for e in r.errors if e["line"] == 6)
    # A short row is reported once per missing column, and counted once.
    assert {e["column"] for e in r.errors if e["line"] == 11} == {
        "victim_ethnicity",
        "suspect_ethnicity",
        "outcome",
    }
    assert all("too few values" in e["reason"] for e in r.errors if e["line"] == 11)
    assert errors_at(r, 21) == [("victim_age", "out of range 0–120: 999")]
    # The two-line record is one row and loaded whole.
    assert count(warehouse, "police") == 57


def test_windows_1252_file_is_converted(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 5, offence_description="Café brawl – bottle, £20 taken")
    path = write_feed(tmp_path / "excel.csv", "police", rows, encoding="cp1252", newline="\r\n")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded" and r.rows_loaded == 5
    assert reader_rows(warehouse, "SELECT DISTINCT offence_description FROM police") == [
        ("Café brawl – bottle, £20 taken",)
    ]
    assert reader_rows(warehouse, "SELECT encoding FROM loads WHERE feed = 'police'") == [
        ("cp1252",)
    ]


def test_double_encoded_mojibake_is_refused(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 5)
    rows[3]["offence_description"] = "CafÃ© brawl"  # 'Café' UTF-8 bytes read as cp1252
    path = write_feed(tmp_path / "mojibake.csv", "police", rows)
    (r,) = load(warehouse, "police", path)
    assert r.status == "refused"
    assert "double-encoded" in r.message
    assert r.errors[0]["line"] == 5
    assert count(warehouse, "police") == 0


def test_utf8_bom_is_accepted(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 5, offence_description="Café")
    path = write_feed(tmp_path / "bom.csv", "police", rows, encoding="utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded" and r.rows_loaded == 5, r.message
    assert reader_rows(warehouse, "SELECT DISTINCT offence_description FROM police") == [("Café",)]


def test_utf16_excel_export_is_converted(warehouse, load, tmp_path) -> None:
    rows = feed_rows("police", 5, offence_description="Café")
    path = write_feed(tmp_path / "u16.csv", "police", rows, encoding="utf-16")
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded" and r.rows_loaded == 5, r.message


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_missing_required_column_refuses_and_names_it(warehouse, load, tmp_path, feed) -> None:
    required = contract(feed).required
    dropped = header_of(feed)[required[-1]]
    header = [h for h in (POLICEUK_HEADER if feed == "policeuk" else VALID[feed]) if h != dropped]
    path = write_csv(tmp_path / "cols.csv", header, feed_rows(feed, 5))
    (r,) = load(warehouse, feed, path)
    assert r.status == "refused"
    assert r.message.startswith(str(path))  # the message names the file
    ((error),) = r.errors
    assert (error["line"], error["column"]) == (1, required[-1])
    assert error["reason"].startswith(f"missing required column(s) {required[-1]} ")
    assert r.message.endswith(error["reason"])


def test_column_names_are_case_and_space_insensitive(warehouse, load, tmp_path) -> None:
    header = [f"  {h.replace('_', ' ').upper()} " for h in VALID["police"]]
    rows = [list(r.values()) for r in feed_rows("police", 5)]
    (r,) = load(warehouse, "police", write_csv(tmp_path / "p.csv", header, rows))
    assert r.status == "loaded" and r.rows_loaded == 5, r.message


def test_xlsx_input(warehouse, load, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    header = list(VALID["police"])
    ws.append(header)
    for row in feed_rows("police", 6):
        values: list[object] = [row[h] for h in header]
        values[header.index("recorded_date")] = dt.datetime(2024, 1, 10)
        values[header.index("offence_date")] = dt.date(2024, 1, 9)
        values[header.index("offence_time")] = dt.time(21, 30)
        values[header.index("victim_age")] = 24.0
        ws.append(values)
    path = tmp_path / "p.xlsx"
    wb.save(path)
    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded" and r.rows_loaded == 6, r.errors[:3]
    assert reader_rows(
        warehouse, "SELECT DISTINCT recorded_date, offence_time, victim_age FROM police"
    ) == [(dt.date(2024, 1, 10), dt.time(21, 30), 24)]


def test_validator_sql_is_parameterised_not_spliced(tmp_path, key_file) -> None:
    """A value full of SQL quotes is data: it lands in a reason, it does not break the query."""
    wh = build_warehouse(tmp_path / "wh", key_file)
    rows = feed_rows("police", 30)
    rows[0]["location_type"] = "x'); DROP TABLE loads; --"
    (r,) = load_files(
        wh, "police", [write_feed(tmp_path / "p.csv", "police", rows)], key_path=key_file
    )
    assert r.status == "loaded"
    assert "DROP TABLE" in r.errors[0]["reason"]
    con = duckdb.connect(str(wh / "catalog.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 2
    finally:
        con.close()


def test_a_header_naming_a_column_twice_is_refused(make_warehouse, tmp_path) -> None:
    """DuckDB would call the second one weapon_1 and it would be ignored without a word."""
    header = (*VALID["police"], "weapon")
    rows = [[*r.values(), "firearm"] for r in feed_rows("police", 3)]
    (report,) = load_files(
        make_warehouse(), "police", [write_csv(tmp_path / "p.csv", header, rows)]
    )
    assert report.status == "refused" and "'weapon' twice" in report.message
    assert errors_at(report, 1) == [("weapon", report.errors[0]["reason"])]
