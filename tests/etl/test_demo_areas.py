"""The synthetic West Yorkshire geography: shape, codes, numbers and the published file layouts.

The demo runs through the real ETL, so the files must look like the ONS / MHCLG ones, and the
geography must never pass for real small areas (synthetic code ranges, "(synthetic)" names).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from etl.demo import areas as A

TARGETS = {
    "E08000032": ("Bradford", 550_000, 30),
    "E08000033": ("Calderdale", 210_000, 17),
    "E08000034": ("Kirklees", 440_000, 23),
    "E08000035": ("Leeds", 810_000, 33),
    "E08000036": ("Wakefield", 355_000, 21),
}
LEEDS_CENTRE = (-1.549, 53.797)
# Copied from the real IoD2019 File 2 (not from the module) so an edit to the constant shows up.
REAL_FILE2_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority "
    "District name (2019),Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),Income "
    "Rank (where 1 is most deprived),Income Decile (where 1 is most deprived 10% of LSOAs),"
    "Employment Rank (where 1 is most deprived),Employment Decile (where 1 is most deprived 10% "
    'of LSOAs),"Education, Skills and Training Rank (where 1 is most deprived)","Education, '
    'Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",Health Deprivation and '
    "Disability Rank (where 1 is most deprived),Health Deprivation and Disability Decile (where 1 "
    "is most deprived 10% of LSOAs),Crime Rank (where 1 is most deprived),Crime Decile (where 1 "
    "is most deprived 10% of LSOAs),Barriers to Housing and Services Rank (where 1 is most "
    "deprived),Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs),"
    "Living Environment Rank (where 1 is most deprived),Living Environment Decile (where 1 is "
    "most deprived 10% of LSOAs)"
)
RANK_DOMAINS = ("imd", *A.DOMAINS)


@pytest.fixture(scope="module")
def areas() -> A.Areas:
    return A.build_areas(42)


@pytest.fixture(scope="module")
def files(areas: A.Areas, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write_all(areas, tmp_path_factory.mktemp("demo_areas"))


def _write_all(areas: A.Areas, folder: Path) -> dict[str, Path]:
    out = {
        "lookup": A.write_geography_lookup(areas, folder / "lookup.csv"),
        "population": A.write_population(areas, folder / "population_2020.csv", 2020),
        "population_2024": A.write_population(areas, folder / "population_2024.csv", 2024),
        "imd": A.write_imd(areas, folder / "imd_file2.csv"),
    }
    for level in A.LEVELS:
        out[level] = A.write_boundaries(areas, folder / f"{level}.geojson", level)
    return out


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_frames_geometries_and_files(
    areas: A.Areas, files: dict[str, Path], tmp_path: Path
) -> None:
    again = A.build_areas(42)
    for name in ("districts", "wards", "lsoas", "population_by_age", "towns"):
        pd.testing.assert_frame_equal(getattr(areas, name), getattr(again, name))
    for level in A.LEVELS:
        mine, theirs = areas.geoms(level), again.geoms(level)
        assert list(mine) == list(theirs)
        assert all(shapely.to_wkb(mine[c]) == shapely.to_wkb(theirs[c]) for c in mine)
    for key, path in _write_all(again, tmp_path).items():
        assert path.read_bytes() == files[key].read_bytes(), key


def test_different_seed_gives_different_areas(areas: A.Areas) -> None:
    other = A.build_areas(43)
    assert not areas.lsoas["population"].equals(other.lsoas["population"])
    assert not np.allclose(
        areas.lsoas["centroid_lon"].head(50), other.lsoas["centroid_lon"].head(50)
    )
    # the real skeleton stays put
    pd.testing.assert_frame_equal(
        areas.districts[["district_code", "district_name"]],
        other.districts[["district_code", "district_name"]],
    )


# --- counts, codes, names ----------------------------------------------------------------------


def test_counts(areas: A.Areas) -> None:
    assert areas.districts["district_code"].tolist() == list(TARGETS)
    assert areas.districts["district_name"].tolist() == [t[0] for t in TARGETS.values()]
    wards = areas.wards.groupby("district_code").size().to_dict()
    assert wards == {code: t[2] for code, t in TARGETS.items()}
    assert 1300 <= len(areas.lsoas) <= 1700
    assert len(areas.lsoa_geoms) == len(areas.lsoas)
    assert len(areas.ward_geoms) == len(areas.wards)
    assert areas.lsoas["lsoa_code"].is_monotonic_increasing
    assert (areas.wards["lsoa_count"] >= 1).all()


def test_synthetic_codes_and_names(areas: A.Areas) -> None:
    lsoas, wards = areas.lsoas, areas.wards
    assert lsoas["lsoa_code"].str.fullmatch(r"E019\d{5}").all()
    assert wards["ward_code"].str.fullmatch(r"E059\d{5}").all()
    assert lsoas["lsoa_code"].is_unique and wards["ward_code"].is_unique
    assert (
        lsoas["lsoa_name"]
        .str.fullmatch(
            r"(Bradford|Calderdale|Kirklees|Leeds|Wakefield) "
            r"\d{3}[A-Z] \(synthetic\)"
        )
        .all()
    )
    assert lsoas["lsoa_name"].is_unique
    assert wards["ward_name"].str.endswith(" (synthetic)").all()
    assert wards["ward_name"].is_unique
    # parents agree between levels
    merged = lsoas.merge(wards, on="ward_code", suffixes=("", "_w"))
    assert (merged["district_code"] == merged["district_code_w"]).all()
    assert set(areas.towns["district_code"]) == set(TARGETS)


def test_towns_fall_in_their_real_districts(areas: A.Areas) -> None:
    where = dict(zip(areas.towns["town"], areas.towns["district_code"], strict=True))
    assert where["Keighley"] == where["Shipley"] == "E08000032"
    assert where["Todmorden"] == where["Brighouse"] == where["Halifax"] == "E08000033"
    assert where["Dewsbury"] == where["Batley"] == where["Huddersfield"] == "E08000034"
    assert where["Otley"] == where["Wetherby"] == where["Morley"] == "E08000035"
    assert where["Castleford"] == where["Pontefract"] == "E08000036"


# --- geometry ----------------------------------------------------------------------------------


def test_geometries_are_valid_polygons(areas: A.Areas) -> None:
    for level in A.LEVELS:
        geoms = np.asarray(list(areas.geoms(level).values()), dtype=object)
        assert (shapely.get_type_id(geoms) == 3).all(), level  # Polygon
        assert shapely.is_valid(geoms).all(), level
        assert not shapely.is_empty(geoms).any(), level


def test_lsoa_centroids_inside_their_lsoa_ward_and_district(areas: A.Areas) -> None:
    lsoas = areas.lsoas
    points = shapely.points(lsoas["centroid_lon"], lsoas["centroid_lat"])
    own = np.asarray([areas.lsoa_geoms[c] for c in lsoas["lsoa_code"]], dtype=object)
    ward = np.asarray([areas.ward_geoms[c] for c in lsoas["ward_code"]], dtype=object)
    district = np.asarray([areas.district_geoms[c] for c in lsoas["district_code"]], dtype=object)
    assert shapely.contains(own, points).all()
    assert shapely.contains(ward, points).all()
    assert shapely.contains(district, points).all()


def test_lsoas_tile_their_districts(areas: A.Areas) -> None:
    for code, district in areas.district_geoms.items():
        codes = areas.lsoas.loc[areas.lsoas["district_code"] == code, "lsoa_code"]
        union = shapely.union_all([areas.lsoa_geoms[c] for c in codes])
        assert union.area == pytest.approx(district.area, rel=1e-3)


def test_urban_lsoas_are_smaller(areas: A.Areas) -> None:
    lsoas = areas.lsoas.assign(
        km=np.hypot(
            (areas.lsoas["centroid_lon"] - LEEDS_CENTRE[0]) * 66.0,
            (areas.lsoas["centroid_lat"] - LEEDS_CENTRE[1]) * 111.0,
        )
    )
    leeds = lsoas[lsoas["district_code"] == "E08000035"]
    assert (
        leeds.loc[leeds["km"] < 3, "area_km2"].median()
        < leeds.loc[leeds["km"] > 10, "area_km2"].median() / 4
    )


def test_outline_json_is_small_coarse_and_attributed() -> None:
    raw = A.OUTLINE_FILE.read_bytes()
    assert len(raw) < 60_000
    data = json.loads(raw)
    assert "Crown copyright" in data["attribution"]
    assert set(data["districts"]) == set(TARGETS)
    for code, district in data["districts"].items():
        assert district["name"] == TARGETS[code][0]
        assert 40 <= len(district["polygon"]) <= 130
        assert shapely.Polygon(district["polygon"]).is_valid


# --- population --------------------------------------------------------------------------------


def test_populations_hit_targets_and_add_up(areas: A.Areas) -> None:
    by_district = areas.lsoas.groupby("district_code")["population"].sum()
    for code, (_, target, _) in TARGETS.items():
        assert abs(by_district[code] - target) <= 0.1 * target
    assert (areas.districts.set_index("district_code")["population"] == by_district).all()
    assert areas.wards["population"].sum() == areas.lsoas["population"].sum()
    assert areas.lsoas["population"].between(900, 3500).all()

    pba = areas.population_by_age
    assert set(pba["sex"]) == {"F", "M"}
    assert pba["age"].min() == 0 and pba["age"].max() == 90
    assert len(pba) == len(areas.lsoas) * 2 * 91
    assert (pba["population"] >= 0).all()
    sums = pba.groupby("lsoa_code")["population"].sum()
    assert (sums.reindex(areas.lsoas["lsoa_code"]).to_numpy() == areas.lsoas["population"]).all()


def test_age_structure_is_plausible(areas: A.Areas) -> None:
    pba = areas.population_by_age
    ages = pba.groupby("age")["population"].sum()
    share = ages / ages.sum()
    assert 0.15 < share.loc[0:15].sum() < 0.23
    assert 0.13 < share.loc[65:90].sum() < 0.21
    # students: the most student-heavy LSOA is mostly 18-24
    top = areas.lsoas.sort_values("student_share").iloc[-1]["lsoa_code"]
    one = pba[pba["lsoa_code"] == top].groupby("age")["population"].sum()
    assert one.loc[18:24].sum() / one.sum() > 0.35


# --- deprivation -------------------------------------------------------------------------------


def test_imd_ranks_and_deciles(areas: A.Areas) -> None:
    lsoas = areas.lsoas
    for name in RANK_DOMAINS:
        ranks = lsoas[f"{name}_rank"]
        assert ranks.between(1, 32_844).all(), name
        assert ranks.is_unique, name
        expected = [math.ceil(r / 3284.4) for r in ranks]
        assert lsoas[f"{name}_decile"].tolist() == expected, name
    deciles = lsoas["imd_decile"]
    assert 0.15 <= (deciles == 1).mean() <= 0.30
    assert (deciles <= 2).mean() > (deciles >= 9).mean()
    mean_rank = lsoas.groupby("district_name")["imd_rank"].mean()
    assert mean_rank.idxmin() == "Bradford"
    # domains follow the overall index (barriers, as in reality, barely)
    corr = lsoas[[f"{n}_rank" for n in RANK_DOMAINS]].corr(method="spearman")["imd_rank"]
    assert corr["income_rank"] > 0.85 and corr["employment_rank"] > 0.85
    assert corr["crime_rank"] > 0.5


def test_deprivation_is_higher_in_inner_urban_areas(areas: A.Areas) -> None:
    lsoas = areas.lsoas
    assert (
        lsoas.loc[lsoas["urbanity"] > 0.8, "imd_rank"].median()
        < lsoas.loc[lsoas["urbanity"] < 0.2, "imd_rank"].median()
    )


def test_nte_weight_peaks_at_leeds_city_centre(areas: A.Areas) -> None:
    lsoas = areas.lsoas
    assert lsoas["nte_weight"].between(0, 1).all()
    top = lsoas.loc[lsoas["nte_weight"].idxmax()]
    assert top["district_code"] == "E08000035"
    km = math.hypot(
        (top["centroid_lon"] - LEEDS_CENTRE[0]) * 66.0,
        (top["centroid_lat"] - LEEDS_CENTRE[1]) * 111.0,
    )
    assert km < 1.5
    others = lsoas.loc[lsoas["district_code"] != "E08000035", "nte_weight"]
    assert others.max() < top["nte_weight"]
    assert lsoas["nte_weight"].median() < 0.05


# --- files -------------------------------------------------------------------------------------


def test_imd_file_has_the_published_quirks(areas: A.Areas, files: dict[str, Path]) -> None:
    raw = files["imd"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert not text.endswith("\r\n")  # the published file has no final line break
    assert text.split("\r\n")[0] == REAL_FILE2_HEADER
    assert re.search(r',"\d{1,2},\d{3}",', text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(areas.lsoas) + 1
    assert all(len(r) == 20 for r in rows)
    first = rows[1]
    lsoa = areas.lsoas.iloc[0]
    assert first[:4] == [
        lsoa["lsoa_code"],
        lsoa["lsoa_name"],
        lsoa["district_code"],
        lsoa["district_name"],
    ]
    assert int(first[4].replace(",", "")) == lsoa["imd_rank"]
    assert int(first[5]) == lsoa["imd_decile"]


def test_imd_file_can_be_written_without_thousands(areas: A.Areas, tmp_path: Path) -> None:
    path = A.write_imd(areas, tmp_path / "plain.csv", quote_thousands=False)
    body = path.read_bytes().decode("utf-8-sig").split("\r\n", 1)[1]
    assert '"' not in body
    assert body.count("\r\n") == len(areas.lsoas) - 1


def test_geography_lookup(areas: A.Areas, files: dict[str, Path]) -> None:
    text = files["lookup"].read_text(encoding="utf-8")
    assert text.splitlines()[0] == "LSOA21CD,LSOA21NM,WD23CD,WD23NM,LAD23CD,LAD23NM"
    frame = pd.read_csv(files["lookup"], dtype=str)
    assert len(frame) == len(areas.lsoas)
    assert frame["LSOA21CD"].tolist() == areas.lsoas["lsoa_code"].tolist()
    assert frame["LAD23CD"].tolist() == areas.lsoas["district_code"].tolist()


@pytest.mark.parametrize(
    ("level", "props"),
    [
        ("lsoa", ["LSOA21CD", "LSOA21NM"]),
        ("ward", ["WD23CD", "WD23NM", "LAD23CD"]),
        ("district", ["LAD23CD", "LAD23NM"]),
    ],
)
def test_boundary_geojson(
    areas: A.Areas, files: dict[str, Path], level: str, props: list[str]
) -> None:
    data = json.loads(files[level].read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert len(features) == len(areas.geoms(level))
    for feature in features:
        assert list(feature["properties"]) == props
        assert feature["geometry"]["type"] == "Polygon"
    coords = np.asarray(features[0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, np.round(coords, 5))
    lon, lat = coords[:, 0], coords[:, 1]
    assert ((lon > -2.3) & (lon < -1.1) & (lat > 53.4) & (lat < 54.1)).all()
    geoms = shapely.from_geojson(files[level].read_text(encoding="utf-8"))
    assert shapely.get_num_geometries(geoms) == len(features)


def test_bad_level_is_refused(areas: A.Areas, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="level"):
        A.write_boundaries(areas, tmp_path / "x.geojson", "msoa")


def test_population_file(areas: A.Areas, files: dict[str, Path]) -> None:
    header = files["population"].read_text(encoding="utf-8").splitlines()[0].split(",")
    expected = ["LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name", "Total"]
    expected += [f"F{a}" for a in range(91)] + [f"M{a}" for a in range(91)]
    assert header == expected
    base = pd.read_csv(files["population"])
    later = pd.read_csv(files["population_2024"])
    assert len(base) == len(later) == len(areas.lsoas)
    assert base["Total"].tolist() == areas.lsoas["population"].tolist()
    for frame in (base, later):
        assert (frame[expected[5:]].sum(axis=1) == frame["Total"]).all()
    growth = later["Total"].sum() / base["Total"].sum()
    assert growth == pytest.approx(1.005**4, abs=1e-3)
    assert (later["Total"] >= base["Total"]).all()
