"""Demo events on REAL ONS areas: when a user supplies a lookup and LSOA boundaries.

The same event generator needs, per LSOA, a code, its ward and district, a population, a
centroid, a deprivation score and a night-time-economy weight. From real files we know the
first four (population taken as the LSOA design size, ~1,600, unless a population feed is
loaded later); deprivation and the night-time economy are modelled from distance to the
towns' centres, as in the synthetic geography.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import shape

from etl.demo.areas import MAIN_CENTRES, TOWNS
from etl.mapping import normalise_name


@dataclass(frozen=True, eq=False)
class RealAreas:
    lsoas: pd.DataFrame
    wards: pd.DataFrame
    districts: pd.DataFrame


def _lookup(path: Path, districts: tuple[str, ...]) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    raw.columns = [normalise_name(c) for c in raw.columns]
    pick = {}
    for c in raw.columns:
        for prefix, name in (("lsoa", "lsoa"), ("wd", "ward"), ("lad", "district")):
            if c.startswith(prefix) and c[len(prefix) : len(prefix) + 2].isdigit():
                pick[c] = f"{name}_{'code' if c.endswith('cd') else 'name'}"
    frame = raw.rename(columns=pick)[list(dict.fromkeys(pick.values()))]
    return frame[frame["district_code"].isin(districts)].drop_duplicates("lsoa_code")


def _centroids(path: Path) -> pd.DataFrame:
    doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    rows = []
    for feat in doc["features"]:
        props = {normalise_name(k): v for k, v in feat["properties"].items()}
        code = next(
            (v for k, v in props.items() if k.startswith("lsoa") and k.endswith("cd")), None
        )
        if code:
            p = shape(feat["geometry"]).representative_point()
            rows.append((code, p.x, p.y))
    return pd.DataFrame(rows, columns=["lsoa_code", "centroid_lon", "centroid_lat"])


def real_areas(
    lookup: Path, lsoa_boundaries: Path, districts: tuple[str, ...], seed: int
) -> RealAreas:
    rng = np.random.default_rng(seed)
    lsoas = _lookup(lookup, districts).merge(
        _centroids(lsoa_boundaries), on="lsoa_code", how="inner"
    )
    if lsoas.empty:
        raise ValueError("no LSOA of the lookup in these districts has a boundary")
    lon, lat = lsoas["centroid_lon"].to_numpy(), lsoas["centroid_lat"].to_numpy()
    km = np.full(len(lsoas), np.inf)
    nte = np.zeros(len(lsoas))
    for t in TOWNS:
        d = np.hypot((lon - t.lon) * 66.0, (lat - t.lat) * 111.0)
        km = np.minimum(km, d)
        if t.name in MAIN_CENTRES:
            nte = np.maximum(nte, np.exp(-d / 0.7))
    dep = -np.log1p(km) + rng.normal(0, 0.5, len(lsoas))
    lsoas["population"] = 1600
    lsoas["deprivation_score"] = (dep - dep.mean()) / dep.std()
    lsoas["nte_weight"] = nte / nte.max() if nte.max() > 0 else nte
    rank = lsoas["deprivation_score"].rank(ascending=False, method="first")
    lsoas["imd_decile"] = np.ceil(rank / len(lsoas) * 10).astype(int)
    lsoas["lsoa_name"] = lsoas.get("lsoa_name", lsoas["lsoa_code"])
    wards = lsoas.groupby(["ward_code", "district_code"], as_index=False).size()
    districts_frame = pd.DataFrame({"district_code": sorted(lsoas["district_code"].unique())})
    return RealAreas(lsoas.reset_index(drop=True), wards, districts_frame)


def write_population_long(areas: RealAreas, path: Path, year: int) -> Path:
    pd.DataFrame(
        {
            "area_code": areas.lsoas["lsoa_code"],
            "year": year,
            "sex": "persons",
            "age": "",
            "population": areas.lsoas["population"],
        }
    ).to_csv(path, index=False)
    return path
