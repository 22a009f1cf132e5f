"""Writers: the synthetic geography in the published ONS / MHCLG layouts, for the real ETL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import Polygon

from etl.demo.calibration import AGES, BASE_YEAR, DOMAINS, GROWTH_PER_YEAR
from etl.demo.tables import LEVELS, Areas

IMD_FILE2_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
    "Local Authority District name (2019),"
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),"
    "Income Rank (where 1 is most deprived),"
    "Income Decile (where 1 is most deprived 10% of LSOAs),"
    "Employment Rank (where 1 is most deprived),"
    "Employment Decile (where 1 is most deprived 10% of LSOAs),"
    '"Education, Skills and Training Rank (where 1 is most deprived)",'
    '"Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",'
    "Health Deprivation and Disability Rank (where 1 is most deprived),"
    "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs),"
    "Crime Rank (where 1 is most deprived),"
    "Crime Decile (where 1 is most deprived 10% of LSOAs),"
    "Barriers to Housing and Services Rank (where 1 is most deprived),"
    "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs),"
    "Living Environment Rank (where 1 is most deprived),"
    "Living Environment Decile (where 1 is most deprived 10% of LSOAs)"
)


def _prepare(path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_geography_lookup(areas: Areas, path: Path | str) -> Path:
    """ONS LSOA -> ward -> district lookup (2021 LSOAs, 2023 wards)."""
    path = _prepare(path)
    frame = areas.lsoas[
        ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "district_code", "district_name"]
    ].set_axis(["LSOA21CD", "LSOA21NM", "WD23CD", "WD23NM", "LAD23CD", "LAD23NM"], axis=1)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_boundaries(areas: Areas, path: Path | str, level: str = "lsoa") -> Path:
    """GeoJSON FeatureCollection (WGS84, 5 decimals) with ONS-style code/name properties."""
    path = _prepare(path)
    if level == "lsoa":
        frame = areas.lsoas
        props = [
            {"LSOA21CD": c, "LSOA21NM": nm}
            for c, nm in zip(frame.lsoa_code, frame.lsoa_name, strict=True)
        ]
        codes = frame.lsoa_code
    elif level == "ward":
        frame = areas.wards
        props = [
            {"WD23CD": c, "WD23NM": nm, "LAD23CD": d}
            for c, nm, d in zip(frame.ward_code, frame.ward_name, frame.district_code, strict=True)
        ]
        codes = frame.ward_code
    elif level == "district":
        frame = areas.districts
        props = [
            {"LAD23CD": c, "LAD23NM": nm}
            for c, nm in zip(frame.district_code, frame.district_name, strict=True)
        ]
        codes = frame.district_code
    else:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    geoms = areas.geoms(level)
    features = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": {"type": "Polygon", "coordinates": _rings(geoms[c])},
        }
        for p, c in zip(props, codes, strict=True)
    ]
    collection = {"type": "FeatureCollection", "name": f"synthetic_{level}", "features": features}
    path.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def _rings(poly: Polygon) -> list[list[list[float]]]:
    rings = [poly.exterior, *poly.interiors]
    return [np.round(np.asarray(r.coords), 5).tolist() for r in rings]


def population_for_year(areas: Areas, year: int) -> np.ndarray:
    """Residents by LSOA x (F0..F90, M0..M90) for a year: +0.5% a year from 2020, deterministic."""
    n = len(areas.lsoas)
    counts = areas.population_by_age["population"].to_numpy().reshape(n, 2 * len(AGES))
    factor = (1 + GROWTH_PER_YEAR) ** (year - BASE_YEAR)
    if factor == 1:
        return counts.copy()
    exact = counts * factor
    out = np.floor(exact).astype(np.int64)
    short = np.rint(counts.sum(1) * factor).astype(np.int64) - out.sum(1)
    order = np.argsort(-(exact - out), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(order.shape[1]), order.shape), 1)
    return out + (rank < short[:, None])


def write_population(areas: Areas, path: Path | str, year: int = BASE_YEAR) -> Path:
    """ONS mid-year LSOA estimates by sex and single year of age (one row per LSOA)."""
    path = _prepare(path)
    counts = population_for_year(areas, year)
    cols = [f"F{a}" for a in AGES] + [f"M{a}" for a in AGES]
    lsoas = areas.lsoas
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "LAD 2021 Code": lsoas.district_code,
                    "LAD 2021 Name": lsoas.district_name,
                    "LSOA 2021 Code": lsoas.lsoa_code,
                    "LSOA 2021 Name": lsoas.lsoa_name,
                    "Total": counts.sum(1),
                }
            ),
            pd.DataFrame(counts, columns=cols, index=lsoas.index),
        ],
        axis=1,
    )
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_imd(areas: Areas, path: Path | str, *, quote_thousands: bool = True) -> Path:
    """IoD2019 "File 2 - Domains of Deprivation" as published: BOM, CRLF, no final newline.

    ``quote_thousands`` writes ranks like ``"29,199"`` (as File 1 does); the copy of File 2 we
    hold writes them plain, so turn it off to mimic that one exactly.
    """
    path = _prepare(path)

    def num(v: int) -> str:
        return f'"{v:,}"' if quote_thousands and v >= 1000 else str(v)

    lsoas = areas.lsoas
    fields = [f"{name}_{kind}" for name in ("imd", *DOMAINS) for kind in ("rank", "decile")]
    values = lsoas[fields].to_numpy()
    lines = [IMD_FILE2_HEADER]
    for code, name, dcode, dname, row in zip(
        lsoas.lsoa_code,
        lsoas.lsoa_name,
        lsoas.district_code,
        lsoas.district_name,
        values,
        strict=True,
    ):
        lines.append(",".join([code, name, dcode, dname, *(num(int(v)) for v in row)]))
    path.write_bytes(("\ufeff" + "\r\n".join(lines)).encode("utf-8"))
    return path
