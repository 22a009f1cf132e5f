"""Census 2021 TS021 (ethnic group by LSOA), the LSOA -> MSOA lookup and population by MSOA
and single year of age: hand-built files in the published layouts, then the real files
(skipped without ../shared/realdata), each figure checked against a recount of the file."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from helpers import GEO_ROWS, REALDATA, errors_at, feed_rows, reader_rows, write_csv, write_feed

from etl.load import init_warehouse, load_files
from svcore.config import WEST_YORKSHIRE, Settings
from svcore.vocab import CENSUS_ETHNIC_GROUPS, CENSUS_ETHNIC_GROUPS_DETAILED

BROAD_LABELS = {label: code for code, label in CENSUS_ETHNIC_GROUPS.items()}


def bulk_header() -> list[str]:
    """The ONS bulk file's header: date, geography, code, total, each broad group then its
    detailed groups (as census2021-ts021-lsoa.csv from the bulk download)."""
    header = ["date", "geography", "geography code", "Ethnic group: Total: All usual residents"]
    for code, label in CENSUS_ETHNIC_GROUPS.items():
        header.append(f"Ethnic group: {label}")
        header += [
            f"Ethnic group: {label}: {d}"
            for b, d in CENSUS_ETHNIC_GROUPS_DETAILED.values()
            if b == code
        ]
    return header


def bulk_row(lsoa: str, name: str, detailed: list[int]) -> list[object]:
    row: list[object] = [2021, name, lsoa, sum(detailed)]
    codes = list(CENSUS_ETHNIC_GROUPS_DETAILED)
    for code in CENSUS_ETHNIC_GROUPS:
        members = [i for i, d in enumerate(codes) if CENSUS_ETHNIC_GROUPS_DETAILED[d][0] == code]
        row.append(sum(detailed[i] for i in members))
        row += [detailed[i] for i in members]
    return row


def test_ons_bulk_layout_loads_detailed_groups(warehouse: Path, load, tmp_path: Path) -> None:
    values = {r[0]: [10 * (i + 1) + j for j in range(19)] for i, r in enumerate(GEO_ROWS)}
    rows = [bulk_row(r[0], r[1], values[r[0]]) for r in GEO_ROWS]
    rows[1][6] = "lots"  # E01000002, Asian: Bangladeshi
    path = write_csv(tmp_path / "census2021-ts021-lsoa.csv", bulk_header(), rows)
    (r,) = load(warehouse, "census_ethnicity", path)
    assert r.status == "loaded", r.message
    in_area = [g for g in GEO_ROWS if g[4] in ("E08000001", "E08000002")]
    assert r.rows_read == len(GEO_ROWS) * 19  # one row per LSOA and detailed group
    assert r.rows_out_of_area == 2 * 19  # the two Gamma LSOAs
    assert r.rows_quarantined == 1 and r.rows_loaded == len(in_area) * 19 - 1
    assert errors_at(r, 3) == [("population", "not a number: lots")]  # the line, the column
    got = dict(
        reader_rows(
            warehouse,
            "SELECT ethnic_group_detailed, population FROM census_ethnicity "
            "WHERE lsoa_code = 'E01000001' AND census_year = 2021",
        )
    )
    assert got == dict(zip(CENSUS_ETHNIC_GROUPS_DETAILED, values["E01000001"], strict=True))
    broad = dict(
        reader_rows(
            warehouse,
            "SELECT ethnic_group_broad, sum(population) FROM census_ethnicity "
            "WHERE lsoa_code = 'E01000003' GROUP BY 1",
        )
    )
    codes = list(CENSUS_ETHNIC_GROUPS_DETAILED)
    expect = defaultdict(float)
    for i, d in enumerate(codes):
        expect[CENSUS_ETHNIC_GROUPS_DETAILED[d][0]] += values["E01000003"][i]
    assert broad == dict(expect)  # broad = the sum of its detailed groups, stored once


NOMIS = """TS021 - Ethnic group,,,,,,,,,,,,
ONS Crown Copyright Reserved [from Nomis on 25 June 2024],,,,,,,,,,,,
Population :,All usual residents,,,,,,,,,,,
Units      :,Persons,,,,,,,,,,,
Date       :,2021,,,,,,,,,,,
,,,,,,,,,,,,
2021 super output area - lower layer,Total: All usual residents,%,"Asian, Asian British or Asian Welsh",%,"Black, Black British, Black Welsh, Caribbean or African",%,Mixed or Multiple ethnic groups,%,White,%,Other ethnic group,%
,,,,,,,,,,,,
E01000001 : Alpha 001A,1000,100,100,10,50,5,30,3,800,80,20,2
E01000002 : Alpha 001B,500,100,40,8,10,2,10,2,430,86,10,2
E0100000X : Alpha 002A,500,100,40,8,10,2,10,2,430,86,10,2
E01000009 : Gamma 001A,900,100,90,10,0,0,0,0,810,90,0,0
,,,,,,,,,,,,
,"In order to protect against disclosure of personal information, records",,,,,,,,,,,
,affected.,,,,,,,,,,,
"""


def test_nomis_export_loads_broad_groups(make_warehouse, load, tmp_path: Path) -> None:
    warehouse = make_warehouse(bad_row_threshold=0.5)  # a third of these rows are bad
    path = tmp_path / "census2021-ts021-lsoa.csv"
    path.write_text(NOMIS, encoding="utf-8")
    (r,) = load(warehouse, "census_ethnicity", path)
    assert r.status == "loaded", r.message
    # Title, heading, blank and footer lines are not rows: 4 areas x 5 groups are.
    assert r.rows_read == 20 and r.rows_out_of_area == 5
    assert r.rows_quarantined == 5 and r.rows_loaded == 10
    assert {e["line"] for e in r.errors} == {11}  # the malformed LSOA code's line
    assert errors_at(r, 11)[0][0] == "lsoa_code"
    got = reader_rows(
        warehouse,
        "SELECT lsoa_code, ethnic_group_broad, ethnic_group_detailed, population, census_year "
        "FROM census_ethnicity ORDER BY 1, 2",
    )
    assert got[:5] == [
        ("E01000001", "asian", None, 100.0, 2021),
        ("E01000001", "black", None, 50.0, 2021),
        ("E01000001", "mixed", None, 30.0, 2021),
        ("E01000001", "other", None, 20.0, 2021),
        ("E01000001", "white", None, 800.0, 2021),
    ]


def test_a_file_that_is_not_ts021_is_refused(warehouse: Path, load, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ts021.csv", ["area", "people"], [["E01000001", "5"]])
    (r,) = load(warehouse, "census_ethnicity", path)
    assert r.status == "refused" and "TS021" in r.message


def test_msoa_population_needs_the_msoa_lookup(warehouse: Path, load, tmp_path: Path) -> None:
    header = ["MSOA Code", *[str(a) for a in range(90)], "90+"]
    rows = [["E02000001", *[a + 1 for a in range(90)], "1,009"], ["E02000009", *([5] * 91)]]
    sape = write_csv(tmp_path / "SAPE23DT4_mid2020_msoa.csv", header, rows)
    (before,) = load(warehouse, "population", sape)
    assert before.status == "refused"  # no MSOA of the area is known yet: none placed
    # An output-area lookup: LSOAs repeat once per output area, one row each is kept.
    lookup = write_csv(
        tmp_path / "OA21_LSOA21_MSOA21_LU.csv",
        ["OA21CD", "LSOA21CD", "LSOA21NM", "MSOA21CD", "MSOA21NM"],
        [
            ["E00000001", "E01000001", "Alpha 001A", "E02000001", "Alpha 001"],
            ["E00000002", "E01000001", "Alpha 001A", "E02000001", "Alpha 001"],
            ["E00000003", "E01000002", "Alpha 001B", "E02000001", "Alpha 001"],
            ["E00000004", "E01000009", "Gamma 001A", "E02000009", "Gamma 001"],
        ],
    )
    (m,) = load(warehouse, "msoa_lookup", lookup)
    assert m.status == "loaded" and (m.rows_read, m.rows_loaded, m.rows_out_of_area) == (3, 2, 1)
    assert reader_rows(warehouse, "SELECT DISTINCT msoa_code, msoa_year FROM msoa_lookup") == [
        ("E02000001", 2021)
    ]
    (r,) = load(warehouse, "population", sape)
    assert r.status == "loaded", r.message
    assert (r.rows_read, r.rows_loaded, r.rows_out_of_area) == (182, 91, 91)
    got = reader_rows(
        warehouse,
        "SELECT level, year, sex, count(*), sum(population), max(age) FROM population GROUP BY ALL",
    )
    assert got == [("msoa", 2020, "persons", 91, sum(range(1, 91)) + 1009, 90)]


def test_msoa_lookup_refuses_an_lsoa_in_two_msoas(warehouse: Path, load, tmp_path: Path) -> None:
    lookup = write_csv(
        tmp_path / "LSOA21_MSOA21_LU.csv",
        ["LSOA21CD", "MSOA21CD"],
        [["E01000001", "E02000001"], ["E01000001", "E02000002"]]
        + [[r[0], "E02000003"] for r in GEO_ROWS[1:5]],
    )
    (m,) = load(warehouse, "msoa_lookup", lookup)
    assert m.rows_quarantined == 1
    assert errors_at(m, 3)[0][1].startswith("duplicate lsoa_code (first on line 2)")


# ---- the real files ------------------------------------------------------------------------

CENSUS = REALDATA / "census2021" / "census2021-ts021-lsoa.csv"
SAPE = REALDATA / "lookups" / "SAPE23DT4_mid2020_msoa_single_year_age.csv"
GEOGRAPHY = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
LSOA_LOOKUP = (
    REALDATA
    / "lookups"
    / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
)
MSOA_BOUNDARIES = REALDATA / "boundaries" / "msoa11_E47000003_west-yorkshire-ca.geojson"
WY = tuple(WEST_YORKSHIRE)
real = pytest.mark.skipif(not CENSUS.exists(), reason="real reference data not present")


def msoa_lookup_file(path: Path) -> Path:
    """LSOA 2011 -> MSOA 2011 for West Yorkshire in the ONS lookup's layout, built from the
    real files: ONS names an LSOA after its MSOA and a letter (``Leeds 001A`` is in MSOA
    ``Leeds 001``), and the real MSOA boundaries give each MSOA name its code."""
    doc = json.loads(MSOA_BOUNDARIES.read_text(encoding="utf-8"))
    code_of = {f["properties"]["MSOA11NM"]: f["properties"]["MSOA11CD"] for f in doc["features"]}
    rows = []
    with open(GEOGRAPHY, encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["LAD19CD"] in WY:
                name = r["LSOA11NM"][:-1]
                rows.append([r["LSOA11CD"], r["LSOA11NM"], code_of[name], name])
    return write_csv(path, ["LSOA11CD", "LSOA11NM", "MSOA11CD", "MSOA11NM"], rows)


@pytest.fixture(scope="module")
def real_wy(tmp_path_factory, key_file):
    """West Yorkshire on the real 2011 lookup, the real LSOA 2011 -> 2021 lookup, the real
    TS021 Nomis export (2021 codes, carried to 2011) and the real MSOA mid-2020 file."""
    if not CENSUS.exists():
        pytest.skip("real reference data not present")
    root = tmp_path_factory.mktemp("real-census")
    wh = init_warehouse(root / "wh", Settings(districts=WY))
    reports = {}
    for feed, path in (
        ("geography", GEOGRAPHY),
        ("lsoa_lookup", LSOA_LOOKUP),
        ("census_ethnicity", CENSUS),
        ("msoa_lookup", msoa_lookup_file(root / "LSOA11_MSOA11_LU.csv")),
        ("population", SAPE),
    ):
        (reports[feed],) = load_files(wh, feed, [path], key_path=key_file)
        assert reports[feed].status == "loaded", reports[feed].message
    (police,) = load_files(wh, "police", [wy_police(root / "police_2021.csv")], key_path=key_file)
    assert police.status == "loaded" and police.rows_quarantined == 0, police.message
    return wh, reports


# Police-recorded victims of 2021 by ethnicity, spread over real West Yorkshire LSOAs (2011
# codes, as the geography): there is no real force extract, so these are hand-made rows.
WY_VICTIMS = {"white": 240, "asian": 130, "black": 25, "mixed": 18, "other": 6, "not_stated": 9}


def wy_police(path: Path) -> Path:
    with open(GEOGRAPHY, encoding="utf-8-sig", newline="") as fh:
        lsoas = [r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD19CD"] in WY]
    rows, i = [], 1
    for group, n in WY_VICTIMS.items():
        for k in range(n):
            month = 1 + i % 12
            rows += feed_rows(
                "police",
                1,
                i,
                victim_ethnicity=group,
                lsoa_code=lsoas[(i * 37) % len(lsoas)],
                offence_date=f"2021-{month:02d}-10",
                recorded_date=f"2021-{month:02d}-11",
                suspect_ethnicity="white" if k % 3 else group,
            )
            i += 1
    return write_feed(path, "police", rows)


def census_recount() -> dict[str, int]:
    """West Yorkshire's usual residents by broad group, straight from the Nomis export (its
    LSOAs told by the real LSOA 2021 lookup's district)."""
    with open(LSOA_LOOKUP, encoding="utf-8-sig", newline="") as fh:
        wy21 = {r["LSOA21CD"] for r in csv.DictReader(fh) if r["LAD22CD"] in WY}
    lines = CENSUS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("2021 super output"))
    reader = csv.reader(lines[start:])
    header = next(reader)
    out: dict[str, int] = defaultdict(int)
    n = 0
    for row in reader:
        if not row or not row[0]:
            continue
        if row[0].split(" : ")[0] not in wy21:
            continue
        n += 1
        for label, value in zip(header, row, strict=True):
            if label in BROAD_LABELS:
                out[BROAD_LABELS[label]] += int(value)
    assert n == 1404  # every West Yorkshire LSOA (2021)
    return dict(out)


@real
def test_real_ts021_nomis_export_loads_as_published(real_wy) -> None:
    wh, reports = real_wy
    r = reports["census_ethnicity"]
    assert r.rows_quarantined == 0 and r.errors == []
    assert r.rows_read == 35672 * 5  # every LSOA of England and Wales, 5 groups
    assert "carried to LSOA 2011" in r.message  # the warehouse's geography is 2011
    got = dict(
        reader_rows(
            wh,
            "SELECT ethnic_group_broad, round(sum(population)) FROM census_ethnicity "
            "WHERE census_year = 2021 GROUP BY 1",
        )
    )
    assert got == pytest.approx(census_recount())
    # On the warehouse's own LSOAs: each of the 1,388 (2011) has its five groups.
    assert reader_rows(
        wh,
        "SELECT count(DISTINCT c.lsoa_code), count(*) FROM census_ethnicity c "
        "JOIN geography g USING (lsoa_code)",
    ) == [(1388, 1388 * 5)]


@real
def test_real_msoa_single_year_of_age_loads_as_published(real_wy) -> None:
    wh, reports = real_wy
    with open(SAPE, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert header[0] == "MSOA Code" and header[-1] == "90+" and len(header) == 92
    wy_msoas = {c for (c,) in reader_rows(wh, "SELECT DISTINCT msoa_code FROM msoa_lookup")}
    assert len(wy_msoas) == 299
    expect = sum(int(v.replace(",", "")) for r in rows if r[0] in wy_msoas for v in r[1:])
    r = reports["population"]
    assert r.rows_quarantined == 0
    assert r.rows_read == len(rows) * 91 and r.rows_loaded == 299 * 91
    got = reader_rows(
        wh,
        "SELECT level, year, sex, count(DISTINCT area_code), sum(population) FROM population "
        "GROUP BY ALL",
    )
    assert got == [("msoa", 2020, "persons", 299, float(expect))]


@real
def test_west_yorkshire_rates_by_ethnic_group_on_the_real_census(real_wy) -> None:
    """Victims per 1,000 residents a year by ethnic group, and the RRI against White, for
    West Yorkshire in 2021: the views' figures against the Census recount of the file."""
    from dashboard.auth import Viewer
    from dashboard.charts.catalogue import build
    from dashboard.charts.request import make_request
    from dashboard.data import WarehouseSource
    from dashboard.filters import parse_filters

    wh, _ = real_wy
    residents = census_recount()
    req = make_request(
        WarehouseSource(wh), parse_filters("from=2021-01&to=2021-12"), Viewer("ann", "analyst")
    )
    data = build("who-victim-rates-ethnicity", req).data.set_index("ethnic_group")
    for group in CENSUS_ETHNIC_GROUPS:
        n = WY_VICTIMS[group]
        assert data.loc[group, "count"] == n
        assert data.loc[group, "residents"] == pytest.approx(residents[group])
        if n >= 10:  # twelve months: a year's rate is count / residents * 1,000
            assert data.loc[group, "rate"] == pytest.approx(n / residents[group] * 1000)
        else:
            assert pd.isna(data.loc[group, "rate"])
    # West Yorkshire's White residents, Census 2021: 1,801,314; Asian 372,719.
    assert (residents["white"], residents["asian"]) == (1801314, 372719)
    rri = build("who-rri-victims", req).data.set_index("ethnic_group")
    a, n1, c, n2 = WY_VICTIMS["asian"], residents["asian"], WY_VICTIMS["white"], residents["white"]
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    want = (a / n1) / (c / n2)
    assert rri.loc["asian", "rri"] == pytest.approx(want)
    assert rri.loc["asian", "rri_low"] == pytest.approx(want * math.exp(-1.96 * se), rel=1e-4)
    assert rri.loc["asian", "rri_high"] == pytest.approx(want * math.exp(1.96 * se), rel=1e-4)
    assert rri.loc["asian", "flag"] == "higher"  # 130 of 372,719 against 240 of 1,801,314
    assert pd.isna(rri.loc["other", "rri"])  # 6 events: no rate, no RRI
    # Per district: Bradford's residents are its own LSOAs' (the lookup places each LSOA).
    brad = make_request(
        WarehouseSource(wh),
        parse_filters("district=E08000032&from=2021-01&to=2021-12"),
        Viewer("ann", "analyst"),
    )
    bd = build("who-victim-rates-ethnicity", brad).data.set_index("ethnic_group")
    assert 0 < bd["residents"].sum() < sum(residents.values())
    # Age rates from the MSOA persons-only estimates: district-wide, persons (no sex split),
    # so the pyramid by sex has no rate and says so.
    pyramid = build("who-victims", req, measure="rate")
    assert pyramid.data["rate"].isna().all()
    assert "no residents by age and sex" in pyramid.alt
    # ...and the age-band rates are for both sexes together, from the MSOA estimates.
    ages = build("who-rates-age-sex", req).data
    assert set(ages["sex"]) == {"persons"}
    wy = reader_rows(
        wh,
        "SELECT sum(population) FROM population WHERE age BETWEEN 18 AND 24 AND year = 2020",
    )[0][0]
    row = ages[(ages["who"] == "victims") & (ages["age_band"] == "18-24")].iloc[0]
    assert row["residents"] == pytest.approx(wy)
    assert row["rate"] == pytest.approx(row["count"] / wy * 1000)
