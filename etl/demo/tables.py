"""The synthetic geography as one value (:class:`Areas`): codes, names and the frames per level."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from etl.demo.calibration import AGES, DISTRICTS, MAIN_CENTRES, TOWNS
from etl.demo.geometry import KX, KY, inner_points, to_km

LEVELS = ("lsoa", "ward", "district")


@dataclass(frozen=True, eq=False)
class Areas:
    """One synthetic geography: a table per level, WGS84 polygons, and population by age and sex.

    Frozen so a generated geography travels as one value; the frames are not copied, so treat them
    as read-only. ``lsoas`` is sorted by code and ``population_by_age`` follows the same order.
    """

    seed: int
    districts: pd.DataFrame
    wards: pd.DataFrame
    lsoas: pd.DataFrame
    population_by_age: pd.DataFrame
    towns: pd.DataFrame
    district_geoms: Mapping[str, Polygon]
    ward_geoms: Mapping[str, Polygon]
    lsoa_geoms: Mapping[str, Polygon]

    def geoms(self, level: str) -> Mapping[str, Polygon]:
        """Code -> WGS84 polygon for ``lsoa``, ``ward`` or ``district``."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        return {"lsoa": self.lsoa_geoms, "ward": self.ward_geoms, "district": self.district_geoms}[
            level
        ]


def assemble(
    seed: int,
    outline: Mapping[str, tuple[str, Polygon]],
    town_district: Mapping[str, str],
    lsoa_ll: np.ndarray,
    lsoa_pt: np.ndarray,
    lsoa_area: np.ndarray,
    lsoa_ward: np.ndarray,
    ward_ll: np.ndarray,
    ward_pt: np.ndarray,
    ward_district: np.ndarray,
    attrs: dict[str, np.ndarray],
    counts: np.ndarray,
) -> Areas:
    """Codes, names and the frames; codes run north to south within each district."""
    d_codes = np.array([s.code for s in DISTRICTS])
    d_names = np.array([s.name for s in DISTRICTS])
    n_ward = len(ward_ll)
    ward_codes = np.array([f"E059{i + 1:05d}" for i in range(n_ward)])
    ward_num = np.zeros(n_ward, dtype=int)
    for d in range(len(DISTRICTS)):
        m = np.flatnonzero(ward_district == d)
        ward_num[m] = np.arange(1, len(m) + 1)
    ward_xy = shapely.get_coordinates(ward_pt)
    ward_town = _nearest_town(ward_xy, d_codes[ward_district], town_district)
    ward_names = np.array(
        [f"{t} Ward {k:02d} (synthetic)" for t, k in zip(ward_town, ward_num, strict=True)]
    )

    n = len(lsoa_ll)
    lsoa_codes = np.array([f"E019{i + 1:05d}" for i in range(n)])
    lsoa_district = ward_district[lsoa_ward]
    lsoa_names = _lsoa_names(d_names[lsoa_district], lsoa_ward)
    lsoa_xy = shapely.get_coordinates(lsoa_pt)
    population = counts.sum(1)

    lsoas = pd.DataFrame(
        {
            "lsoa_code": lsoa_codes,
            "lsoa_name": lsoa_names,
            "ward_code": ward_codes[lsoa_ward],
            "ward_name": ward_names[lsoa_ward],
            "district_code": d_codes[lsoa_district],
            "district_name": d_names[lsoa_district],
            "population": population,
            "area_km2": np.round(lsoa_area, 4),
            "centroid_lon": lsoa_xy[:, 0],
            "centroid_lat": lsoa_xy[:, 1],
            **attrs,
        }
    )
    ward_pop = np.bincount(lsoa_ward, weights=population, minlength=n_ward).astype(np.int64)
    wards = pd.DataFrame(
        {
            "ward_code": ward_codes,
            "ward_name": ward_names,
            "district_code": d_codes[ward_district],
            "district_name": d_names[ward_district],
            "population": ward_pop,
            "lsoa_count": np.bincount(lsoa_ward, minlength=n_ward),
            "area_km2": np.round(shapely.area(ward_ll) * KX * KY, 4),
            "centroid_lon": ward_xy[:, 0],
            "centroid_lat": ward_xy[:, 1],
        }
    )
    d_geoms = {s.code: shapely.orient_polygons(outline[s.code][1]) for s in DISTRICTS}
    d_polys = np.asarray([d_geoms[c] for c in d_codes], dtype=object)
    d_xy = shapely.get_coordinates(inner_points(d_polys, d_polys))
    districts = pd.DataFrame(
        {
            "district_code": d_codes,
            "district_name": d_names,
            "population": np.bincount(lsoa_district, weights=population).astype(np.int64),
            "ward_count": np.bincount(ward_district),
            "lsoa_count": np.bincount(lsoa_district),
            "area_km2": np.round(shapely.area(d_polys) * KX * KY, 4),
            "centroid_lon": d_xy[:, 0],
            "centroid_lat": d_xy[:, 1],
        }
    )
    n_age = len(AGES)
    population_by_age = pd.DataFrame(
        {
            "lsoa_code": np.repeat(lsoa_codes, 2 * n_age),
            "sex": np.tile(np.repeat(np.array(["F", "M"]), n_age), n),
            "age": np.tile(AGES, 2 * n),
            "population": counts.ravel(),
        }
    )
    towns = pd.DataFrame(
        {
            "town": [t.name for t in TOWNS],
            "lon": [t.lon for t in TOWNS],
            "lat": [t.lat for t in TOWNS],
            "district_code": [town_district[t.name] for t in TOWNS],
            "main_centre": [t.name in MAIN_CENTRES for t in TOWNS],
            "nte": [t.nte for t in TOWNS],
        }
    )
    return Areas(
        seed=seed,
        districts=districts,
        wards=wards,
        lsoas=lsoas,
        population_by_age=population_by_age,
        towns=towns,
        district_geoms=d_geoms,
        ward_geoms=dict(zip(ward_codes.tolist(), ward_ll, strict=True)),
        lsoa_geoms=dict(zip(lsoa_codes.tolist(), lsoa_ll, strict=True)),
    )


def _nearest_town(
    lonlat: np.ndarray, district: np.ndarray, town_district: Mapping[str, str]
) -> list[str]:
    """Name each ward after the nearest town of its own district (a made-up but readable name)."""
    x, y = to_km(lonlat[:, 0], lonlat[:, 1])
    names = []
    for xi, yi, d in zip(x, y, district, strict=True):
        mine = [t for t in TOWNS if town_district[t.name] == d]
        dist = [math.hypot(xi - t_x, yi - t_y) for t_x, t_y in (to_km(t.lon, t.lat) for t in mine)]
        names.append(mine[int(np.argmin(dist))].name)
    return names


def _lsoa_names(district_names: np.ndarray, ward: np.ndarray) -> list[str]:
    """ONS-style "Leeds 001A": a pseudo-MSOA number (about five LSOAs of a ward) and a letter."""
    names: list[str] = []
    msoa = 0
    last_district = None
    for w in np.unique(ward):  # wards are numbered in district order already
        idx = np.flatnonzero(ward == w)
        district = district_names[idx[0]]
        if district != last_district:
            msoa, last_district = 0, district
        for group in np.array_split(idx, math.ceil(len(idx) / 5)):
            msoa += 1
            for j, _ in enumerate(group):
                names.append(f"{district} {msoa:03d}{chr(65 + j)} (synthetic)")
    return names
