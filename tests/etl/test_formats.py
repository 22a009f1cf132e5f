"""Files as portals publish them: mapping filters, workbook sheets, .csv.gz and .zip archives.

The DfE NEET file (national and regional rows with a blank LA code) loads through a mapping
that keeps its local-authority rows; those left out are counted as excluded, never as bad.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import REALDATA, feed_rows, reader_rows, write_csv, write_feed

from etl import archive
from etl.load import load_files
from etl.mapping import MappingError, read_mapping

NEET = REALDATA / "indicators" / "UD_NEETNK_LA_dashboard_2023_final_dfe.csv"
WY = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")

NEET_MAPPING = """\
partner = "dfe"
feed = "indicators"

[columns]
new_la_code = "area_code"
time_period = "period"

[filter]
geographic_level = "Local authority"

[wide.columns]
NEET_percent = "neet_16_17_percent"
Notknown_percent = "not_known_16_17_percent"
NEET_not_known_percent = "neet_or_not_known_16_17_percent"

[defaults]
unit = "percent"
source = "DfE, 16-17 year olds NEET or not known, 2023"
"""


def test_filter_in_a_mapping_file(tmp_path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        '[filter]\n"Geographic Level" = "Local authority"\nkind = ["a", "B "]\n', encoding="utf-8"
    )
    assert read_mapping(path).keep == {"geographic_level": ("local authority",), "kind": ("a", "b")}
    for bad in ("[filter]\nx = []\n", "[filter]\nx = { a = 1 }\n", "filter = 3\n", "sheet = 3\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(MappingError, match=str(path)):
            read_mapping(path)


def test_rows_left_out_by_the_filter_are_excluded_not_bad(warehouse, load, tmp_path) -> None:
    header = ["level", "indicator_code", "area_code", "period", "value"]
    rows = [
        ["District", "neet", "E08000001", "2023", "5.1"],
        ["District", "neet", "E08000002", "2023", "4.2"],
        ["National", "neet", "", "2023", "4.9"],
        ["", "neet", "", "2023", "4.9"],
        ["district ", "neet", "E08000009", "2023", "3.0"],
    ]
    path = write_csv(tmp_path / "ind.csv", header, rows)
    (refused,) = load(warehouse, "indicators", path)
    assert refused.status == "refused"  # 2 of 5 rows have no area code
    mapping = tmp_path / "m.toml"
    mapping.write_text('[filter]\nlevel = "district"\n', encoding="utf-8")
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "loaded", r.message
    assert (
        r.rows_read,
        r.rows_loaded,
        r.rows_excluded,
        r.rows_out_of_area,
        r.rows_quarantined,
    ) == (5, 2, 2, 1, 0)
    assert "excluded by the mapping's filter: 2" in r.message
    assert reader_rows(
        warehouse,
        "SELECT rows_excluded, message FROM loads WHERE status = 'loaded' AND feed = 'indicators'",
    ) == [(2, r.message)]

    mapping.write_text('[filter]\nregion = "North"\n', encoding="utf-8")
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "refused" and "[filter] names column 'region'" in r.message


@pytest.mark.skipif(not NEET.exists(), reason="real DfE NEET file not present")
def test_dfe_neet_file_loads_through_a_mapping(make_warehouse, load, tmp_path) -> None:
    with open(NEET, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    national = [r for r in rows if r["geographic_level"] != "Local authority"]
    assert len(rows) == 160 and len(national) == 10
    assert all(not r["new_la_code"] for r in national)
    mine = {r["new_la_code"]: r for r in rows if r["new_la_code"] in WY}
    assert len(mine) == 5

    wh = make_warehouse(districts=WY, geography=False)
    (geo,) = load(wh, "geography", REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv")
    assert geo.status == "loaded"
    (without,) = load(wh, "indicators", NEET)
    assert without.status == "refused"

    mapping = tmp_path / "dfe-neet.toml"
    mapping.write_text(NEET_MAPPING, encoding="utf-8")
    (r,) = load(wh, "indicators", NEET, mapping_path=mapping)
    measures = 3
    assert r.status == "loaded", r.message
    assert r.rows_read == len(rows) * measures
    assert r.rows_excluded == len(national) * measures  # national and regional rows
    assert r.rows_quarantined == 0 and r.errors == []
    assert r.rows_loaded == 5 * measures
    assert r.rows_out_of_area == (len(rows) - len(national) - 5) * measures
    assert f"excluded by the mapping's filter: {len(national) * measures}" in r.message
    got = reader_rows(
        wh, "SELECT area_code, indicator_code, period, value, unit FROM indicators ORDER BY 1, 2"
    )
    assert got == sorted(
        (code, ind, "2023", float(mine[code][col]), "percent")
        for code in WY
        for col, ind in (
            ("NEET_percent", "neet_16_17_percent"),
            ("Notknown_percent", "not_known_16_17_percent"),
            ("NEET_not_known_percent", "neet_or_not_known_16_17_percent"),
        )
    )


def test_mapping_names_the_workbook_sheet(warehouse, load, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["This workbook holds the extract on the next sheet"])
    ws = wb.create_sheet("Crimes Jan")
    rows = feed_rows("police", 4)
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    path = tmp_path / "extract.xlsx"
    wb.save(path)
    (first,) = load(warehouse, "police", path)
    assert first.status == "refused"  # the notes sheet has no crime columns
    mapping = tmp_path / "m.toml"
    mapping.write_text('sheet = "crimes jan"\n', encoding="utf-8")
    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "loaded" and r.rows_loaded == 4
    mapping.write_text('sheet = "Feb"\n', encoding="utf-8")
    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "refused" and "no sheet 'Feb'" in r.message and "Crimes Jan" in r.message


def test_a_batch_through_a_mapping_with_defaults(warehouse, load, tmp_path) -> None:
    """Two files in one batch, each given a constant column: the second is not tripped up by
    what the first left behind."""
    header = [c for c in feed_rows("health", 1)[0] if c != "site_code"]
    a = write_csv(tmp_path / "a.csv", header, feed_rows("health", 3))
    b = write_csv(
        tmp_path / "b.csv",
        header,
        feed_rows(
            "health",
            3,
            start=10,
            arrival_datetime="2024-02-10 23:15",
            assault_datetime="2024-02-10 22:50",
        ),
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text('[defaults]\nsite_code = "RR801"\n', encoding="utf-8")
    reports = load(warehouse, "health", a, b, mapping_path=mapping)
    assert [r.status for r in reports] == ["loaded", "loaded"], [r.message for r in reports]


# ---- .csv.gz, .zip and the police.uk archive ---------------------------------------------

POLICEUK_FILES = sorted((REALDATA / "police-uk").glob("2021-0[1-6]-city-of-london-street.csv"))
STOP_SEARCH = REALDATA / "police-uk" / "2021-08-west-yorkshire-stop-and-search.csv"
OUTCOMES_HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
)


def outcomes_rows(street: Path, n: int) -> list[list[str]]:
    """Outcome rows in police.uk's published layout for the first ``n`` crimes of a street file."""
    with open(street, encoding="utf-8-sig", newline="") as fh:
        crimes = [r for r in csv.DictReader(fh) if r["Crime ID"]][:n]
    return [
        [
            r["Crime ID"],
            r["Month"],
            r["Reported by"],
            r["Falls within"],
            r["Longitude"],
            r["Latitude"],
            r["Location"],
            r["LSOA code"],
            r["LSOA name"],
            ("Investigation complete; no suspect identified", "Suspect charged")[i % 2],
        ]
        for i, r in enumerate(crimes)
    ]


def policeuk_archive(path: Path) -> Path:
    """The police.uk download: a zip of YYYY-MM/ folders of street, outcomes and
    stop-and-search files (built here from the real City of London street files)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in POLICEUK_FILES:
            month = f.name[:7]
            zf.write(f, f"{month}/{f.name}")
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(OUTCOMES_HEADER)
            w.writerows(outcomes_rows(f, 20))
            zf.writestr(f"{month}/{month}-city-of-london-outcomes.csv", out.getvalue())
        if STOP_SEARCH.exists():
            zf.write(STOP_SEARCH, f"2021-08/{STOP_SEARCH.name}")
    return path


COUNTS = (
    "status",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_out_of_area",
    "rows_excluded",
    "periods",
)


@pytest.mark.skipif(len(POLICEUK_FILES) != 6, reason="real police.uk files not present")
def test_policeuk_archive_loads_as_its_files_one_by_one(city_of_london, key_file, tmp_path) -> None:
    zipped = Path(shutil.copytree(city_of_london, tmp_path / "zipped"))
    singly = Path(shutil.copytree(city_of_london, tmp_path / "singly"))
    archive = policeuk_archive(tmp_path / "police-uk-2021.zip")

    from_zip = load_files(zipped, "policeuk", [archive], key_path=key_file)
    one_by_one = [load_files(singly, "policeuk", [f], key_path=key_file)[0] for f in POLICEUK_FILES]
    assert [r.path for r in from_zip] == [
        f"{archive}/{f.name[:7]}/{f.name}" for f in POLICEUK_FILES
    ]  # street files only
    assert [[getattr(r, k) for k in COUNTS] for r in from_zip] == [
        [getattr(r, k) for k in COUNTS] for r in one_by_one
    ]
    assert all(r.status == "loaded" for r in from_zip)
    table = "SELECT period, lsoa_code, crime_type, crime_key, ward_code FROM policeuk ORDER BY ALL"
    assert reader_rows(zipped, table) == reader_rows(singly, table)
    assert (
        reader_rows(zipped, "SELECT file_name, file_sha256 FROM loads ORDER BY load_id")[1:]
        == reader_rows(singly, "SELECT file_name, file_sha256 FROM loads ORDER BY load_id")[1:]
    )
    total = sum(r.rows_loaded for r in from_zip)
    assert total > 1000 and reader_rows(zipped, "SELECT count(*) FROM policeuk") == [(total,)]
    # The same archive again, or one of its files unpacked by hand: nothing changes.
    assert {r.status for r in load_files(zipped, "policeuk", [archive], key_path=key_file)} == {
        "unchanged"
    }
    (again,) = load_files(zipped, "policeuk", POLICEUK_FILES[:1], key_path=key_file)
    assert again.status == "unchanged"


def test_gzip_and_zip_of_one_csv(warehouse, load, tmp_path) -> None:
    plain = write_feed(tmp_path / "police-jan.csv", "police", feed_rows("police", 5))
    gz = tmp_path / "police-feb.csv.gz"
    gz.write_bytes(
        gzip.compress(
            write_feed(
                tmp_path / "feb.csv",
                "police",
                feed_rows("police", 4, start=100, recorded_date="2024-02-10"),
            ).read_bytes()
        )
    )
    zipped = tmp_path / "police-mar.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr(
            "export/police-mar.csv",
            (tmp_path / "feb.csv")
            .read_text()
            .replace("2024-02-10", "2024-03-10")
            .replace("CRQX00001", "CRQX00002"),
        )
        zf.writestr("__MACOSX/export/._police-mar.csv", b"\x00\x05\x16\x07")
        zf.writestr("export/readme.pdf", b"%PDF-1.4")
    reports = load(warehouse, "police", plain, gz, zipped)
    assert [(r.status, r.rows_loaded) for r in reports] == [
        ("loaded", 5),
        ("loaded", 4),
        ("loaded", 4),
    ]
    assert reports[1].path == str(gz) and reports[2].path == f"{zipped}/export/police-mar.csv"
    assert reader_rows(
        warehouse, "SELECT file_name FROM loads WHERE feed = 'police' ORDER BY load_id"
    ) == [("police-jan.csv",), ("police-feb.csv",), ("police-mar.csv",)]
    assert reader_rows(
        warehouse, "SELECT strftime(period, '%Y-%m'), count(*) FROM police GROUP BY 1 ORDER BY 1"
    ) == [("2024-01", 5), ("2024-02", 4), ("2024-03", 4)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.csv.gz", b"\x1f\x8b\x08\x00garbage", "is not a readable gzip file"),
        ("x.csv.gz", gzip.compress(b"crime_ref,recorded_date\n")[:-6], "is not a readable gzip"),
        ("x.zip", b"PK\x03\x04 not really", "is not a readable zip archive"),
        ("x.zip", b"", "is not a readable zip archive"),
    ],
    ids=["gz-garbage", "gz-truncated", "zip-garbage", "zip-empty"],
)
def test_unreadable_archives_are_refused_by_name(
    warehouse, load, tmp_path, name, data, message
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    (r,) = load(warehouse, "police", path)
    assert r.status == "refused" and r.message.startswith(str(path)) and message in r.message


def test_zip_without_a_usable_file_is_refused(warehouse, load, tmp_path) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.pdf", b"%PDF")
    (r,) = load(warehouse, "police", path)
    assert r.status == "refused" and "holds no CSV or Excel file (found: notes.pdf)" in r.message
    (r,) = load(warehouse, "policeuk", path)
    assert r.status == "refused" and "police.uk street file" in r.message


# ---- boundaries: make_valid, shapefiles in British National Grid, GeoPackage, any CRS -------

LSOA11 = REALDATA / "boundaries" / "lsoa11_E47000003_west-yorkshire-ca.geojson"
LOOKUP11 = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
needs_boundaries = pytest.mark.skipif(
    not (LSOA11.exists() and LOOKUP11.exists()), reason="real boundaries not present"
)


def bow_tie(ring: list) -> list:
    """The ring with two neighbouring vertices swapped: its edges cross (self-intersecting)."""
    import shapely

    for i in range(len(ring) // 3, len(ring) - 3):
        out = ring[:i] + [ring[i + 1], ring[i]] + ring[i + 2 :]
        if not shapely.Polygon(out).is_valid:
            return out
    raise AssertionError("no swap made the ring invalid")


@pytest.fixture(scope="module")
def wy11(tmp_path_factory, key_file):
    from etl.load import init_warehouse
    from svcore.config import Settings

    wh = init_warehouse(tmp_path_factory.mktemp("wy11") / "wh", Settings(districts=WY))
    (r,) = load_files(wh, "geography", [LOOKUP11], key_path=key_file)
    assert r.status == "loaded"
    return wh


def areas(wh: Path) -> dict[str, tuple[float, float, float]]:
    return {
        code: (lon, lat, km2)
        for code, lon, lat, km2 in reader_rows(
            wh,
            "SELECT area_code, centroid_lon, centroid_lat, area_km2 FROM boundaries "
            "WHERE level = 'lsoa'",
        )
    }


@needs_boundaries
def test_geojson_with_self_intersecting_polygons_loads_every_feature(
    wy11, key_file, tmp_path
) -> None:
    import shapely
    from shapely.geometry import shape

    doc = json.loads(LSOA11.read_text(encoding="utf-8"))
    broken = []
    for feat in doc["features"][::400]:  # four of them
        geom = feat["geometry"]
        if geom["type"] == "Polygon":
            geom["coordinates"][0] = bow_tie(geom["coordinates"][0])
        else:
            geom["coordinates"][0][0] = bow_tie(geom["coordinates"][0][0])
        assert not shape(geom).is_valid
        broken.append(feat["properties"]["LSOA11CD"])
    path = tmp_path / "lsoa11-republished.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    wh = Path(shutil.copytree(wy11, tmp_path / "wh"))
    (r,) = load_files(wh, "boundaries", [path], key_path=key_file)
    assert r.status == "loaded", r.message
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (1388, 1388, 0)
    assert f"{len(broken)} invalid polygon(s)" in r.message and "make_valid" in r.message
    assert all(code in r.message for code in broken)
    got = reader_rows(
        wh, "SELECT area_code, geometry FROM boundaries WHERE area_code = ANY($c)", {"c": broken}
    )
    assert len(got) == len(broken)
    assert all(shapely.from_geojson(g).is_valid for _, g in got)


@needs_boundaries
def test_bng_shapefile_geopackage_and_zip_load_every_feature(wy11, key_file, tmp_path) -> None:
    import numpy as np
    import pyogrio
    import shapely
    from pyproj import Transformer

    doc = json.loads(LSOA11.read_text(encoding="utf-8"))
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    geoms = [
        shapely.transform(
            shapely.from_geojson(json.dumps(f["geometry"])),
            lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1])),
        )
        for f in doc["features"]
    ]
    assert all(
        350_000 < g.centroid.x < 500_000 and 380_000 < g.centroid.y < 480_000 for g in geoms
    )  # metres, not degrees
    fields = ["LSOA11CD", "LSOA11NM"]
    data = [np.array([f["properties"][k] for f in doc["features"]], dtype=object) for k in fields]
    wkb = np.array(shapely.to_wkb(geoms), dtype=object)
    folder = tmp_path / "lsoa11_bng"
    folder.mkdir()
    pyogrio.raw.write(
        folder / "lsoa11_bng.shp",
        wkb,
        data,
        fields,
        crs="EPSG:27700",
        geometry_type="MultiPolygon",
        driver="ESRI Shapefile",
    )
    assert (folder / "lsoa11_bng.prj").exists()
    gpkg = tmp_path / "lsoa11.gpkg"
    pyogrio.raw.write(
        gpkg,
        wkb[:40],
        [d[:40] for d in data],
        fields,
        crs="EPSG:27700",
        geometry_type="MultiPolygon",
        driver="GPKG",
        layer="lsoa11",
    )
    part = tmp_path / "part"  # a zipped shapefile, as e-mailed: the first 200 features
    part.mkdir()
    pyogrio.raw.write(
        part / "lsoa11_bng.shp",
        wkb[:200],
        [d[:200] for d in data],
        fields,
        crs="EPSG:27700",
        geometry_type="MultiPolygon",
        driver="ESRI Shapefile",
    )
    zipped = tmp_path / "lsoa11_bng.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in sorted(part.iterdir()):
            zf.write(f, f"LSOA_2011_BNG/{f.name}")

    reference = Path(shutil.copytree(wy11, tmp_path / "ref"))
    (ref,) = load_files(reference, "boundaries", [LSOA11], key_path=key_file)
    expected = areas(reference)
    for name, given, n in (("folder", folder, 1388), ("gpkg", gpkg, 40), ("zip", zipped, 200)):
        wh = Path(shutil.copytree(wy11, tmp_path / name))
        (r,) = load_files(wh, "boundaries", [given], key_path=key_file)
        assert r.status == "loaded", (name, r.message)
        assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (n, n, 0), name
        assert "reprojected from OSGB36 / British National Grid" in r.message
        got = areas(wh)
        assert len(got) == n
        for code, (lon, lat, km2) in got.items():
            elon, elat, ekm2 = expected[code]
            assert abs(km2 - ekm2) <= 0.001 * ekm2 + 1e-4, (name, code)
            assert abs(lon - elon) < 1e-3 and abs(lat - elat) < 1e-3, (name, code)
        if name == "zip":
            assert r.path == str(zipped)
        if name == "folder":  # the same shapefile again: unchanged; a corrected .prj: new work
            (again,) = load_files(wh, "boundaries", [folder], key_path=key_file)
            assert again.status == "unchanged"
            prj = folder / "lsoa11_bng.prj"
            prj.write_text(prj.read_text() + "\n", encoding="utf-8")
            assert (
                archive.digest(folder / "lsoa11_bng.shp")
                != reader_rows(wh, "SELECT file_sha256 FROM loads WHERE feed = 'boundaries'")[0][0]
            )
    assert ref.rows_loaded == 1388


def test_bow_tie_geojson_in_any_crs(warehouse, load, tmp_path) -> None:
    """A small GeoJSON in Web Mercator (EPSG:3857) with one bow-tie polygon."""
    from pyproj import Transformer

    merc = Transformer.from_crs(4326, 3857, always_xy=True)

    def ring(points):
        return [list(merc.transform(x, y)) for x, y in points]

    square = [(-1.55, 53.79), (-1.54, 53.79), (-1.54, 53.80), (-1.55, 53.80), (-1.55, 53.79)]
    tie = [(-1.55, 53.79), (-1.54, 53.80), (-1.54, 53.79), (-1.55, 53.80), (-1.55, 53.79)]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"LSOA21CD": code},
                "geometry": {"type": "Polygon", "coordinates": [ring(pts)]},
            }
            for code, pts in (("E01000001", square), ("E01000002", tie))
        ],
    }
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    (r,) = load(warehouse, "boundaries", path)
    assert r.status == "loaded" and (r.rows_loaded, r.rows_quarantined) == (2, 0), r.message
    assert "1 invalid polygon(s)" in r.message and "E01000002" in r.message
    assert "reprojected from WGS 84 / Pseudo-Mercator" in r.message
    got = {
        c: (lon, lat, km2)
        for c, lon, lat, km2 in reader_rows(
            warehouse, "SELECT area_code, centroid_lon, centroid_lat, area_km2 FROM boundaries"
        )
    }
    lon, lat, km2 = got["E01000001"]
    assert -1.55 < lon < -1.54 and 53.79 < lat < 53.80 and 0.6 < km2 < 0.8  # ~660 m x 1,110 m
    assert 0.3 * km2 < got["E01000002"][2] < 0.7 * km2  # the two triangles of the bow tie


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.shp", b"garbage", "is not a readable shapefile or GeoPackage"),
        ("x.gpkg", b"SQLite format 3\x00", "is not a readable shapefile or GeoPackage"),
        ("x.zip", b"PK\x05\x06" + b"\x00" * 18, "holds no boundary file"),
        (
            "x.geojson",
            json.dumps(
                {"crs": {"type": "name", "properties": {"name": "EPSG:99999"}}, "features": []}
            ).encode(),
            "is not known",
        ),
        (
            "x.geojson",
            json.dumps(
                {
                    "features": [
                        {
                            "properties": {"LSOA21CD": "E01000001"},
                            "geometry": {"type": "Point", "coordinates": [430000, 433000]},
                        }
                    ]
                }
            ).encode(),
            "look like British National Grid",
        ),
    ],
    ids=["shp", "gpkg", "zip", "crs", "bng-undeclared"],
)
def test_unreadable_boundary_files_are_refused_by_name(
    warehouse, load, tmp_path, name, data, message
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    (r,) = load(warehouse, "boundaries", path)
    assert r.status == "refused" and r.message.startswith(str(path)), r.message
    assert message in r.message


@pytest.mark.skipif(len(POLICEUK_FILES) != 6, reason="real police.uk files not present")
def test_policeuk_outcomes_are_a_feed_joined_to_crimes(city_of_london, key_file, tmp_path) -> None:
    wh = Path(shutil.copytree(city_of_london, tmp_path / "wh"))
    archive = policeuk_archive(tmp_path / "police-uk-2021.zip")
    crimes = load_files(wh, "policeuk", [archive], key_path=key_file)
    outcomes = load_files(wh, "policeuk_outcomes", [archive], key_path=key_file)
    assert [r.path for r in outcomes] == [
        f"{archive}/{f.name[:7]}/{f.name[:7]}-city-of-london-outcomes.csv" for f in POLICEUK_FILES
    ]
    city = {c for (c,) in reader_rows(wh, "SELECT lsoa_code FROM geography")}
    for f, r in zip(POLICEUK_FILES, outcomes, strict=True):
        rows = outcomes_rows(f, 20)
        inside = [x for x in rows if not x[7] or x[7] in city]
        assert r.status == "loaded", r.message
        assert (r.rows_read, r.rows_loaded, r.rows_out_of_area, r.rows_quarantined) == (
            20,
            len(inside),
            20 - len(inside),
            0,
        )
        assert r.periods == [f.name[:7]]
    assert all(r.status == "loaded" for r in crimes)
    # Every outcome of a crime in the area joins its crime by the keyed Crime ID.
    n_out = sum(r.rows_loaded for r in outcomes)
    assert reader_rows(
        wh,
        "SELECT count(*), count(*) FILTER (EXISTS (SELECT 1 FROM policeuk c "
        "WHERE c.crime_key = o.crime_key)) FROM policeuk_outcomes o",
    ) == [(n_out, n_out)]
    assert reader_rows(wh, "SELECT DISTINCT outcome_type FROM policeuk_outcomes ORDER BY 1") == [
        ("Investigation complete; no suspect identified",),
        ("Suspect charged",),
    ]
    stored = {r[0] for r in reader_rows(wh, "DESCRIBE policeuk_outcomes")}
    assert "crime_id" not in stored and "location" not in stored and "longitude" not in stored
    # A crime's outcome in the events is its latest in the outcomes files, else the street
    # file's last outcome category.
    got = dict(
        reader_rows(
            wh,
            "SELECT record_key, outcome FROM events_policeuk WHERE record_key IN "
            "(SELECT crime_key FROM policeuk_outcomes)",
        )
    )
    latest = dict(
        reader_rows(
            wh,
            "SELECT crime_key, max(month || outcome_type)[8:] FROM policeuk_outcomes GROUP BY 1",
        )
    )
    assert got and got == {k: v for k, v in latest.items() if k in got}
    assert reader_rows(
        wh,
        "SELECT count(*) FROM events_policeuk e "
        "WHERE e.record_key NOT IN (SELECT crime_key FROM policeuk_outcomes) AND NOT EXISTS "
        "(SELECT 1 FROM policeuk p WHERE p.crime_key = e.record_key "
        "AND p.last_outcome_category IS NOT DISTINCT FROM e.outcome)",
    ) == [(0,)]
