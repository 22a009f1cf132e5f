"""LSOA 2011 -> 2021: IMD 2019, police.uk-style records and indicators coded on LSOA 2011 are
carried to a West Yorkshire warehouse built on LSOA 2021, with the real ONS files.

The warehouse: a 2021 LSOA -> ward -> district lookup (made here from the ONS exact-fit lookup
and the 2011 ward lookup), Census 2021 populations (Nomis TS021 totals) and the IoD 2019
population denominators (mid-2015, LSOA 2011) as weights, then the exact-fit lookup itself.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from helpers import POLICEUK_HEADER, REALDATA, reader_rows, write_csv

from etl.load import init_warehouse, load_files
from etl.vintage import METHOD
from svcore.config import Settings

EXACT = (
    REALDATA
    / "lookups"
    / (
        "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
    )
)
WARDS11 = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
CENSUS = REALDATA / "census2021" / "census2021-ts021-lsoa.csv"
IMD2 = REALDATA / "imd2019" / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
IMD6 = REALDATA / "imd2019" / "File_6_-_IoD2019_Population_Denominators.csv.gz"
BOUNDARIES21 = REALDATA / "boundaries" / "lsoa_E47000003_west-yorkshire-ca.geojson"
WY = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in (EXACT, WARDS11, CENSUS, IMD2, IMD6)),
    reason="real ONS / MHCLG files not present",
)


def read(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def exact() -> list[dict[str, str]]:
    return [r for r in read(EXACT) if r["LAD22CD"] in WY]


@pytest.fixture(scope="module")
def wy21(tmp_path_factory, key_file, exact):
    root = tmp_path_factory.mktemp("wy21")
    wards = {r["LSOA11CD"]: r for r in read(WARDS11)}
    first: dict[str, dict[str, str]] = {}
    for r in sorted(exact, key=lambda r: r["LSOA11CD"]):
        first.setdefault(r["LSOA21CD"], r)
    geo = write_csv(
        root / "LSOA21_WD19_LAD22_WY.csv",
        ("LSOA21CD", "LSOA21NM", "WD19CD", "WD19NM", "LAD22CD", "LAD22NM"),
        [
            (
                c,
                r["LSOA21NM"],
                wards[r["LSOA11CD"]]["WD19CD"],
                wards[r["LSOA11CD"]]["WD19NM"],
                r["LAD22CD"],
                r["LAD22NM"],
            )
            for c, r in sorted(first.items())
        ],
    )
    census = []
    with open(CENSUS, encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            m = re.match(r"(E01\d{6}) : ", row[0]) if row else None
            if m and m.group(1) in first:
                census.append((m.group(1), "2021", "persons", "", row[1]))
    pop21 = write_csv(
        root / "census2021-lsoa.csv", ("area_code", "year", "sex", "age", "population"), census
    )
    pop15 = root / "mid2015-lsoa11.csv"
    pop15.write_bytes(gzip.decompress(IMD6.read_bytes()))
    mid2015 = root / "mid2015.toml"
    mid2015.write_text("[defaults]\nyear = 2015\n", encoding="utf-8")

    wh = init_warehouse(root / "wh", Settings(districts=WY))
    reports = [
        *load_files(wh, "geography", [geo], key_path=key_file),
        *load_files(wh, "population", [pop21], key_path=key_file),
        *load_files(wh, "lsoa_lookup", [EXACT], key_path=key_file),
        *load_files(wh, "population", [pop15], mapping_path=mid2015, key_path=key_file),
    ]
    assert [r.status for r in reports] == ["loaded"] * 4, [r.message for r in reports]
    return wh, reports, first


def test_the_warehouse_is_on_lsoa_2021(wy21, exact) -> None:
    wh, (geo, pop21, lookup, pop15), first = wy21
    assert Counter(r["CHGIND"] for r in exact) == {"U": 1367, "S": 35, "M": 4}
    assert geo.rows_loaded == len(first) == 1404
    assert pop21.rows_loaded == 1404
    assert lookup.rows_loaded == len(exact) == 1406 and lookup.rows_quarantined == 0
    assert lookup.rows_out_of_area == 35796 - 1406
    # Every WY 2011 LSOA's mid-2015 population is kept (under its own code, as a weight).
    assert pop15.rows_loaded == 1388
    assert reader_rows(wh, "SELECT count(*), count(DISTINCT change) FROM lsoa_lookup") == [
        (1406, 3)
    ]


@pytest.fixture(scope="module")
def imd(wy21, key_file):
    wh, _, _ = wy21
    (r,) = load_files(wh, "imd", [IMD2], key_path=key_file)  # .csv.gz, as published
    return r


def test_imd_factors_cover_every_2021_lsoa(wy21, imd, exact) -> None:
    from dashboard.filters import Filters
    from dashboard.queries.factors import imd_scores
    from svcore.warehouse import connect_reader

    wh, _, first = wy21
    assert imd.status == "loaded", imd.message
    assert imd.rows_quarantined == 0
    domains = 8
    # 1,388 WY 2011 LSOAs in the file; carried: 35 split sources -> 35 * parts, 4 merged...
    assert "carried to LSOA 2021" in imd.message
    assert imd.rows_loaded == 1404 * domains
    assert reader_rows(wh, "SELECT count(*), count(DISTINCT lsoa_code) FROM imd") == [
        (1404 * domains, 1404)
    ]
    con = connect_reader(wh)
    try:
        scores = imd_scores(con, Filters())
    finally:
        con.close()
    assert set(scores["area_code"]) == set(first)  # every 2021 LSOA of West Yorkshire
    assert len(scores) == 1404 * domains

    # U: the file's own values; S: each part has its source's; M: the weighted mean.
    rows = {r["LSOA code (2011)"]: r for r in read(IMD2)}
    got = {
        c: (rank, dec)
        for c, rank, dec in reader_rows(
            wh, "SELECT lsoa_code, rank, decile FROM imd WHERE domain = 'imd'"
        )
    }

    def rank(code11: str) -> int:
        return int(
            rows[code11][
                "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
            ].replace(",", "")
        )

    by21 = defaultdict(list)
    for r in exact:
        by21[r["LSOA21CD"]].append(r)
    pop15 = dict(reader_rows(wh, "SELECT area_code, population FROM population WHERE year = 2015"))
    checked = Counter()
    for code21, sources in by21.items():
        kinds = {s["CHGIND"] for s in sources}
        if kinds <= {"U", "S"}:
            (src,) = sources
            assert got[code21][0] == rank(src["LSOA11CD"]), code21
        else:
            assert kinds == {"M"} and len(sources) >= 2
            w = [pop15[s["LSOA11CD"]] for s in sources]
            mean = sum(wi * rank(s["LSOA11CD"]) for wi, s in zip(w, sources, strict=True)) / sum(w)
            assert got[code21][0] == round(mean), code21
        checked.update(s["CHGIND"] for s in sources)
    assert checked == {"U": 1367, "S": 35, "M": 4}
    # The load history lists the rows the parts hold (carried rows, not the file's).
    from etl.integrity import check

    verdict = check(wh, checksums=False)
    assert verdict.ok and not [p for p in verdict.problems if "rows" in p.message], verdict.problems


def test_boundaries_of_both_vintages_meet_the_imd(wy21, imd, key_file, tmp_path) -> None:
    if not BOUNDARIES21.exists():
        pytest.skip("real 2021 boundaries not present")
    wh = Path(shutil.copytree(wy21[0], tmp_path / "wh"))
    (r,) = load_files(wh, "boundaries", [BOUNDARIES21], key_path=key_file)
    assert r.status == "loaded" and r.rows_loaded == 1404
    assert reader_rows(
        wh,
        "SELECT count(*) FROM boundaries b WHERE level = 'lsoa' AND NOT EXISTS "
        "(SELECT 1 FROM imd i WHERE i.lsoa_code = b.area_code)",
    ) == [(0,)]
    # With the 2011 boundaries kept too (from another partner: a re-send from the same one
    # replaces its LSOA boundaries), the map draws the warehouse's vintage, once a code.
    from dashboard.queries.areas import boundaries, centroids
    from svcore.warehouse import connect_reader

    (r11,) = load_files(
        wh,
        "boundaries",
        [BOUNDARIES21.with_name("lsoa11_E47000003_west-yorkshire-ca.geojson")],
        partner="ons-2011",
        key_path=key_file,
    )
    assert r11.status == "loaded" and r11.rows_loaded == 1388  # placed through the lookup
    codes = [c for (c,) in reader_rows(wh, "SELECT lsoa_code FROM geography")]
    con = connect_reader(wh)
    try:
        drawn = [f["id"] for f in boundaries(con, "lsoa", None)["features"]]
        assert sorted(drawn) == sorted(codes)
        assert len(centroids(con, "lsoa", codes)) == 1404
    finally:
        con.close()


def test_records_on_lsoa_2011_are_carried_whole(wy21, key_file, exact, tmp_path) -> None:
    """police.uk rows (2021 and before use LSOA 2011 codes): a split area's crimes go to its
    part with the largest population, an unchanged or merged one's to its code."""
    wh = Path(shutil.copytree(wy21[0], tmp_path / "wh"))
    pop21 = dict(reader_rows(wh, "SELECT area_code, population FROM population WHERE year = 2021"))
    splits = defaultdict(list)
    for r in exact:
        if r["CHGIND"] == "S":
            splits[r["LSOA11CD"]].append(r["LSOA21CD"])
    merged = next(r for r in exact if r["CHGIND"] == "M")
    same = next(r for r in exact if r["CHGIND"] == "U")
    split11 = sorted(splits)[0]
    largest = max(splits[split11], key=lambda c: (pop21[c], c))
    rows = []
    for i, code in enumerate([split11] * 3 + [merged["LSOA11CD"]] * 2 + [same["LSOA11CD"]]):
        rows.append(
            [
                f"{i:064x}",
                "2021-05",
                "West Yorkshire Police",
                "West Yorkshire Police",
                "-1.5",
                "53.8",
                "On or near X",
                code,
                "",
                "Robbery",
                "",
                "",
            ]
        )
    path = write_csv(tmp_path / "2021-05-west-yorkshire-street.csv", POLICEUK_HEADER, rows)
    (r,) = load_files(wh, "policeuk", [path], key_path=key_file)
    assert r.status == "loaded" and r.rows_loaded == 6 and r.rows_out_of_area == 0, r.message
    assert "5 rows coded on LSOA 2011 carried to LSOA 2021" in r.message
    got = dict(reader_rows(wh, "SELECT lsoa_code, count(*) FROM policeuk GROUP BY 1"))
    assert got == {largest: 3, merged["LSOA21CD"]: 2, same["LSOA21CD"]: 1}
    assert reader_rows(
        wh,
        "SELECT count(*) FROM policeuk p JOIN geography g USING (lsoa_code) "
        "WHERE p.ward_code = g.ward_code AND p.district_code = g.district_code",
    ) == [(6,)]


def test_indicators_on_lsoa_2011_are_carried(wy21, key_file, exact, tmp_path) -> None:
    wh = Path(shutil.copytree(wy21[0], tmp_path / "wh"))
    split = [r for r in exact if r["CHGIND"] == "S"]
    src = split[0]["LSOA11CD"]
    parts = sorted(r["LSOA21CD"] for r in split if r["LSOA11CD"] == src)
    merged = [r for r in exact if r["CHGIND"] == "M"]
    into = merged[0]["LSOA21CD"]
    sources = sorted(r["LSOA11CD"] for r in merged if r["LSOA21CD"] == into)
    rows = [
        ["pupils_fsm", src, "2019", "20", "percent"],
        ["pupil_count", src, "2019", "100", "count"],
    ]
    rows += [["pupils_fsm", s, "2019", str(10 * (i + 1)), "percent"] for i, s in enumerate(sources)]
    path = write_csv(
        tmp_path / "ind.csv", ("indicator_code", "area_code", "period", "value", "unit"), rows
    )
    (r,) = load_files(wh, "indicators", [path], key_path=key_file)
    assert r.status == "loaded" and r.rows_out_of_area == 0, r.message
    got = {
        (c, a): v
        for c, a, v in reader_rows(wh, "SELECT indicator_code, area_code, value FROM indicators")
    }
    pop21 = dict(reader_rows(wh, "SELECT area_code, population FROM population WHERE year = 2021"))
    pop15 = dict(reader_rows(wh, "SELECT area_code, population FROM population WHERE year = 2015"))
    for p in parts:
        assert got[("pupils_fsm", p)] == 20  # a rate: each part takes its area's
        share = pop21[p] / sum(pop21[q] for q in parts)
        assert got[("pupil_count", p)] == pytest.approx(100 * share)  # a count: shared out
    w = [pop15[s] for s in sources]
    assert got[("pupils_fsm", into)] == pytest.approx(
        sum(wi * 10 * (i + 1) for i, wi in enumerate(w)) / sum(w)
    )
    assert r.rows_loaded == len(got) == 2 * len(parts) + 1


def test_method_is_stated() -> None:
    assert "largest population" in METHOD and "population-weighted mean" in METHOD
