"""A tiny warehouse whose every count is known by hand, for the query layer's tests.

Alpha (E08000001): LSOA E01000001 (ward Alpha North) has 12 knife assaults on Friday
2024-01-05 at 22:00; LSOA E01000003 (Alpha South) has 3 robberies on Monday 2024-01-08 at 14:00.
Beta (E08000002): LSOA E01000004 has 20 assaults with injury, no weapon, on Saturday
2024-02-03 at 01:00, and 9 A&E assault attendances in February. Youth justice: one child with
3 proven offences, one with 1. Population: 1,000 residents in every LSOA in 2024.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import GEO_ROWS, build_warehouse, feed_rows, write_csv, write_feed

from etl.load import load_files

LSOAS = [r[0] for r in GEO_ROWS]
DECILES = {
    "E01000001": 1,
    "E01000002": 3,
    "E01000003": 5,
    "E01000004": 8,
    "E01000005": 10,
    "E01000009": 2,
    "E01000010": 2,
}


def _square(i: int) -> dict:
    x, y = -1.6 + 0.01 * (i % 3), 53.7 + 0.01 * (i // 3)
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture(scope="session")
def mini(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    root = tmp_path_factory.mktemp("mini")
    wh = build_warehouse(root / "wh", key_file, bad_row_threshold=0.1)

    def load(feed: str, *paths: Path) -> None:
        for report in load_files(wh, feed, list(paths), key_path=key_file):
            assert report.status == "loaded", report

    police = feed_rows(
        "police",
        12,
        1,
        recorded_date="2024-01-06",
        offence_date="2024-01-05",
        offence_time="22:00",
        lsoa_code="E01000001",
        weapon="knife_sharp",
        ho_offence_code="8N",
    ) + feed_rows(
        "police",
        3,
        100,
        recorded_date="2024-01-09",
        offence_date="2024-01-08",
        offence_time="14:00",
        lsoa_code="E01000003",
        weapon="none",
        ho_offence_code="34B",
        location_type="retail",
    )
    bad = feed_rows(
        "police", 1, 900, recorded_date="2024-01-09", offence_date="2024-01-08", victim_age="150"
    )
    load("police", write_feed(root / "police_2024-01.csv", "police", police + bad))
    load(
        "police",
        write_feed(
            root / "police_2024-02.csv",
            "police",
            feed_rows(
                "police",
                20,
                200,
                recorded_date="2024-02-03",
                offence_date="2024-02-03",
                offence_time="01:00",
                lsoa_code="E01000004",
                weapon="none",
                ho_offence_code="8N",
                victim_sex="F",
                victim_age="19",
            ),
        ),
    )
    load(
        "health",
        write_feed(
            root / "ae_2024-02.csv",
            "health",
            feed_rows(
                "health",
                9,
                1,
                arrival_datetime="2024-02-10 23:15",
                assault_datetime="2024-02-10 22:50",
                assault_lsoa_code="E01000004",
            ),
        ),
    )
    yj = feed_rows("youth_justice", 3, 1, person_ref="YJ-A") + feed_rows(
        "youth_justice", 1, 4, person_ref="YJ-B"
    )
    for i, row in enumerate(yj):
        row["offence_date"] = f"2024-01-{10 + i:02d}"
    load("youth_justice", write_feed(root / "yj_2024-01.csv", "youth_justice", yj))
    load(
        "population",
        write_csv(
            root / "population_2024.csv",
            ("area_code", "year", "sex", "age", "population"),
            [(lsoa, 2024, sex, "", 500) for lsoa in LSOAS for sex in ("F", "M")],
        ),
    )
    load(
        "imd",
        write_csv(
            root / "imd2019.csv",
            (
                "LSOA code (2011)",
                "Local Authority District code (2019)",
                "Index of Multiple Deprivation (IMD) Rank",
                "Index of Multiple Deprivation (IMD) Decile",
            ),
            [(lsoa, "E08000001", (d - 1) * 3284 + 1, d) for lsoa, d in DECILES.items()],
        ),
    )
    features = [
        {
            "type": "Feature",
            "properties": {"LSOA21CD": lsoa, "LSOA21NM": name},
            "geometry": _square(i),
        }
        for i, (lsoa, name, *_rest) in enumerate(GEO_ROWS)
    ]
    geo = root / "lsoa_boundaries.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    load("boundaries", geo)
    return wh


@pytest.fixture
def con(mini: Path):
    from svcore.warehouse import connect_reader

    c = connect_reader(mini)
    yield c
    c.close()
