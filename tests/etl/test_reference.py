"""Official reference files, as published, through the real loaders (skipped without them).

ONS LSOA -> ward -> district lookup, LSOA and ward boundaries (GeoJSON), and the IoD 2019
files with their quirks (UTF-8 BOM, CRLF line ends, numbers written "29,199"). Every figure is
checked against an independent recount of the file with the csv module.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from helpers import reader_rows

from etl.load import init_warehouse, load_files
from svcore.config import WEST_YORKSHIRE, Settings

REALDATA = Path(__file__).parents[2].parent / "shared" / "realdata"
LOOKUP = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
BOUNDARIES = REALDATA / "boundaries"
IMD = REALDATA / "imd2019"
WY = tuple(WEST_YORKSHIRE)  # E08000032..E08000036
CITY = "E09000001"

pytestmark = pytest.mark.skipif(not LOOKUP.exists(), reason="real reference data not present")


def lookup_rows() -> list[dict[str, str]]:
    with open(LOOKUP, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def wy(tmp_path_factory, key_file):
    wh = init_warehouse(tmp_path_factory.mktemp("wy") / "wh", Settings(districts=WY))
    (report,) = load_files(wh, "geography", [LOOKUP], key_path=key_file)
    return wh, report


def test_lookup_gives_the_lsoas_of_each_district(wy) -> None:
    wh, report = wy
    rows = lookup_rows()
    mine = [r for r in rows if r["LAD19CD"] in WY]
    assert report.status == "loaded"
    assert (
        report.rows_read,
        report.rows_loaded,
        report.rows_out_of_area,
        report.rows_quarantined,
    ) == (len(rows), len(mine), len(rows) - len(mine), 0)

    lsoas = Counter(r["LAD19CD"] for r in mine)
    wards = {d: len({r["WD19CD"] for r in mine if r["LAD19CD"] == d}) for d in WY}
    got = reader_rows(
        wh,
        "SELECT district_code, count(*), count(DISTINCT lsoa_code), "
        "count(DISTINCT ward_code) FROM geography GROUP BY 1 ORDER BY 1",
    )
    assert got == [(d, lsoas[d], lsoas[d], wards[d]) for d in WY]
    assert sum(lsoas.values()) == 1388  # West Yorkshire's LSOAs (2011)
    # Names and the LSOA vintage, read from the column suffix (LSOA11CD -> 2011).
    sample = mine[0]
    assert reader_rows(
        wh,
        "SELECT lsoa_name, ward_code, ward_name, district_name, lsoa_year FROM geography "
        "WHERE lsoa_code = $c",
        {"c": sample["LSOA11CD"]},
    ) == [(sample["LSOA11NM"], sample["WD19CD"], sample["WD19NM"], sample["LAD19NM"], 2011)]


BOUNDARY_FILES = [
    ("lsoa11_E47000003_west-yorkshire-ca.geojson", "LSOA11CD", "lsoa", 2011, 1388),
    ("lsoa_E47000003_west-yorkshire-ca.geojson", "LSOA21CD", "lsoa", 2021, 1404),
    ("ward_E47000003_west-yorkshire-ca.geojson", "WD25CD", "ward", 2025, 124),
]


@pytest.mark.parametrize(
    ("name", "prop", "level", "vintage", "features"),
    BOUNDARY_FILES,
    ids=["lsoa2011", "lsoa2021", "ward2025"],
)
def test_boundaries_load(wy, key_file, name, prop, level, vintage, features) -> None:
    wh, _ = wy
    path = BOUNDARIES / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    codes = {f["properties"][prop] for f in doc["features"]}
    assert len(doc["features"]) == len(codes) == features

    (r,) = load_files(wh, "boundaries", [path], key_path=key_file)
    assert r.status == "loaded", r.message
    assert r.rows_read == features and r.rows_quarantined == 0
    assert r.rows_loaded + r.rows_out_of_area == features
    # Codes not in the area's lookup are set aside (the lookup here is the 2011 one).
    in_lookup = {
        row[0]
        for row in reader_rows(
            wh, f"SELECT DISTINCT {'lsoa' if level == 'lsoa' else 'ward'}_code FROM geography"
        )
    }
    assert r.rows_loaded == len(codes & in_lookup)
    if vintage == 2011:
        assert r.rows_loaded == features  # the 2011 boundaries match the 2011 lookup exactly

    got = reader_rows(
        wh,
        "SELECT area_code, area_name, geometry, centroid_lon, centroid_lat, area_km2 "
        "FROM boundaries WHERE level = $l AND vintage = $v",
        {"l": level, "v": vintage},
    )
    assert len(got) == r.rows_loaded
    assert {g[0] for g in got} == codes & in_lookup
    for code, area_name, geometry, lon, lat, km2 in got:
        assert area_name
        assert json.loads(geometry)["type"] in ("Polygon", "MultiPolygon")
        assert -2.3 < lon < -1.1 and 53.5 < lat < 54.0, code  # in West Yorkshire, WGS84
        assert km2 > 0
    if vintage == 2011:
        # The LSOAs tile the county (about 2,029 km²).
        assert 1900 < sum(g[5] for g in got) < 2100


# ---- IoD 2019 ---------------------------------------------------------------------------

IMD_FILES = {
    "file1": "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
    "file2": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
}
DOMAINS = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "barriers",
    "Living Environment": "living_environment",
}


def imd_recount(path: Path, district: str) -> dict[tuple[str, str], dict[str, int]]:
    """(lsoa, domain) -> {rank, decile} for one district, straight from the file."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Local Authority District code (2019)"] != district:
                continue
            for header, value in row.items():
                m = re.match(r"(.+?) (Rank|Decile)\b", header)
                if m and m.group(1) in DOMAINS:
                    key = (row["LSOA code (2011)"], DOMAINS[m.group(1)])
                    out[key][m.group(2).lower()] = int(value.replace(",", ""))
    return dict(out)


@pytest.fixture(scope="module", params=list(IMD_FILES))
def imd(request, tmp_path_factory, key_file, city_of_london):
    root = tmp_path_factory.mktemp(f"imd-{request.param}")
    path = root / IMD_FILES[request.param].removesuffix(".gz")
    path.write_bytes(gzip.decompress((IMD / IMD_FILES[request.param]).read_bytes()))
    wh = Path(shutil.copytree(city_of_london, root / "wh"))
    (report,) = load_files(wh, "imd", [path], key_path=key_file)
    return request.param, path, wh, report


def test_imd_file_has_the_published_quirks(imd) -> None:
    which, path, _, _ = imd
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    assert b"\r\n" in data and data.count(b"\r\n") == data.count(b"\n")  # CRLF
    if which == "file1":
        assert b'E01000001,City of London 001A,E09000001,City of London,"29,199",9\r\n' in data


def test_imd_loads_for_the_area(imd) -> None:
    which, path, wh, report = imd
    with open(path, encoding="utf-8-sig", newline="") as fh:
        n_lsoas = sum(1 for _ in csv.DictReader(fh))
    assert n_lsoas == 32844
    domains = 1 if which == "file1" else 8
    assert report.status == "loaded", report.message
    assert report.rows_quarantined == 0 and report.errors == []
    assert report.rows_read == n_lsoas * domains
    assert report.rows_loaded == 6 * domains
    assert report.rows_out_of_area == (n_lsoas - 6) * domains


def test_imd_values_match_a_recount(imd) -> None:
    _, path, wh, _ = imd
    expected = imd_recount(path, CITY)
    got = {
        (lsoa, domain): {"rank": rank, "decile": decile}
        for lsoa, domain, rank, decile, district in reader_rows(
            wh, "SELECT lsoa_code, domain, rank, decile, district_code FROM imd"
        )
        if district == CITY
    }
    assert got == expected
    # The thousands separator is read, not refused or truncated: "29,199" is 29199.
    assert got[("E01000001", "imd")] == {"rank": 29199, "decile": 9}
