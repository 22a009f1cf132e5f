"""Real police.uk street-level files (City of London Police, Jan-Jun 2021) for area E09000001.

Loaded with the real ONS lookup; every count is checked against an independent recount of the
files with the csv module, through to ``svdash export table``.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from helpers import reader_rows
from typer.testing import CliRunner

from etl.load import load_files
from svcore.vocab import POLICEUK_SERIOUS_TYPES
from svdash.cli import app

REALDATA = Path(__file__).parents[2].parent / "shared" / "realdata"
FILES = sorted((REALDATA / "police-uk").glob("2021-0[1-6]-city-of-london-street.csv"))
LOOKUP = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
CITY = "E09000001"
SERIOUS = {"Violence and sexual offences", "Robbery", "Possession of weapons"}

pytestmark = pytest.mark.skipif(len(FILES) != 6, reason="real police.uk files not present")


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def city_lsoas() -> set[str]:
    with open(LOOKUP, encoding="utf-8-sig", newline="") as fh:
        return {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD19CD"] == CITY}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, key_file, city_of_london):
    wh = Path(shutil.copytree(city_of_london, tmp_path_factory.mktemp("policeuk") / "wh"))
    reports = load_files(wh, "policeuk", FILES, key_path=key_file)
    return wh, reports


def test_recount_is_meaningful(city_lsoas) -> None:
    assert len(city_lsoas) == 6
    assert set(POLICEUK_SERIOUS_TYPES) == SERIOUS
    rows = [r for f in FILES for r in read(f)]
    assert sum(1 for r in rows if not r["Crime ID"]) > 0  # anti-social behaviour rows
    assert (
        sum(
            1 for r in rows if r["Crime ID"] and r["LSOA code"] and r["LSOA code"] not in city_lsoas
        )
        > 0
    )  # neighbouring boroughs


@pytest.mark.parametrize("index", range(6), ids=[f.name[:7] for f in FILES])
def test_file_report_matches_a_recount(loaded, city_lsoas, index) -> None:
    _, reports = loaded
    report, rows = reports[index], read(FILES[index])
    blank_id = [r for r in rows if not r["Crime ID"]]
    crimes = [r for r in rows if r["Crime ID"]]
    outside = [r for r in crimes if r["LSOA code"] and r["LSOA code"] not in city_lsoas]
    assert report.status == "loaded", report.message
    assert report.rows_read == len(rows)
    assert report.rows_excluded == len(blank_id)  # blank Crime ID: not a crime
    assert report.rows_out_of_area == len(outside)
    assert report.rows_quarantined == 0 and report.errors == []
    assert report.rows_loaded == len(crimes) - len(outside)
    assert report.periods == [FILES[index].name[:7]]


def test_warehouse_rows_match_a_recount(loaded, city_lsoas) -> None:
    wh, _ = loaded
    expected = Counter()
    for f in FILES:
        for r in read(f):
            if r["Crime ID"] and (not r["LSOA code"] or r["LSOA code"] in city_lsoas):
                expected[(r["Month"], r["LSOA code"] or None, r["Crime type"])] += 1
    got = reader_rows(
        wh,
        "SELECT strftime(period, '%Y-%m'), lsoa_code, crime_type, count(*) FROM policeuk "
        "GROUP BY ALL",
    )
    assert {(m, lsoa, t): n for m, lsoa, t, n in got} == dict(expected)
    # Rows with an LSOA carry the City's ward and district from the lookup.
    assert reader_rows(
        wh, "SELECT DISTINCT district_code FROM policeuk WHERE lsoa_code IS NOT NULL"
    ) == [(CITY,)]


def test_crime_ids_are_pseudonymised(loaded) -> None:
    wh, _ = loaded
    ids = {r["Crime ID"] for f in FILES for r in read(f) if r["Crime ID"]}
    keys = {k for (k,) in reader_rows(wh, "SELECT crime_key FROM policeuk")}
    assert keys and all(re.fullmatch("[0-9a-f]{64}", k) for k in keys)
    assert not keys & ids
    leaked = set()
    for path in wh.rglob("*"):
        if path.is_file():
            leaked |= {h.decode() for h in re.findall(rb"[0-9a-f]{64}", path.read_bytes())} & ids
    assert leaked == set()


def test_export_by_month_and_lsoa_matches_a_recount(loaded, city_lsoas, tmp_path) -> None:
    wh, _ = loaded
    out = tmp_path / "policeuk.csv"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "table",
            "--by",
            "month,lsoa",
            "--source",
            "policeuk",
            "--format",
            "csv",
            "--out",
            str(out),
            "--warehouse",
            str(wh),
        ],
    )
    assert result.exit_code == 0, result.output

    recount: Counter[tuple[str, str]] = Counter()
    for f in FILES:
        for r in read(f):
            if (
                r["Crime ID"]
                and r["Crime type"] in SERIOUS
                and (r["LSOA code"] in city_lsoas or not r["LSOA code"])
            ):
                recount[(r["Month"], r["LSOA code"])] += 1
    with open(out, encoding="utf-8", newline="") as fh:
        exported = {(r["month"], r["lsoa"]): r["count"] for r in csv.DictReader(fh)}

    assert set(exported) == set(recount)
    shown = {k: v for k, v in exported.items() if v != "[c]"}
    hidden = {k for k, v in exported.items() if v == "[c]"}
    assert len(shown) >= 10 and hidden
    for key, value in shown.items():
        assert int(value) == recount[key], key
        assert int(value) == 0 or int(value) >= 5  # nothing 1-4 is ever shown
    for key, n in recount.items():
        if 1 <= n <= 4:
            assert exported[key] == "[c]", key
    assert all(recount[k] >= 1 for k in hidden)
    # Secondary suppression: the hidden cells together are never a small, recoverable number.
    assert sum(recount[k] for k in hidden) >= 5
