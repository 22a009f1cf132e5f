"""A seeded, synthetic geography for West Yorkshire's five real districts, for the demo data.

The demo must look like a real partnership (real district codes, names and rough shapes; ward and
LSOA counts, populations and a deprivation gradient like the real ones) without shipping or
impersonating real small areas: every ward and LSOA here is invented, carries a code in a range ONS
never issues (``E059xxxxx`` / ``E019xxxxx``) and a name ending "(synthetic)".

Only the coarse district outlines come from real data; they were derived once from ONS ward
boundaries by :func:`derive_outline` (run this module by hand) and committed as
``west_yorkshire_outline.json`` so the product never reads ``/work/shared``.

The writers emit the published ONS / MHCLG layouts so the demo goes through the real ETL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

OUTLINE_FILE = Path(__file__).with_name("west_yorkshire_outline.json")
OUTLINE_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; ONS Open Geography, Open Government "
    "Licence v3.0 (coarse outline derived from ward boundaries)"
)
SHARED_WARDS = Path("/work/shared/realdata/boundaries/ward_E47000003_west-yorkshire-ca.geojson")

ENGLAND_LSOAS = 32_844  # LSOAs ranked in the IMD 2019
RESIDENTS_PER_LSOA = 1_600  # ONS aims LSOAs at 1,000-3,000 residents
BASE_YEAR = 2020  # the year the populations in Areas describe
GROWTH_PER_YEAR = 0.005
MAX_AGE = 90  # single years 0..89, then 90+
AGES = np.arange(MAX_AGE + 1)


@dataclass(frozen=True)
class DistrictSpec:
    """A real district: its code and name are real, everything inside it is invented."""

    code: str
    name: str
    population: int
    wards: int
    deprivation: float  # offset of the latent deprivation score (Bradford the most deprived)


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("E08000032", "Bradford", 550_000, 30, 0.3),
    DistrictSpec("E08000033", "Calderdale", 210_000, 17, 0.05),
    DistrictSpec("E08000034", "Kirklees", 440_000, 23, -0.05),
    DistrictSpec("E08000035", "Leeds", 810_000, 33, 0.0),
    DistrictSpec("E08000036", "Wakefield", 355_000, 21, 0.1),
)


@dataclass(frozen=True)
class Town:
    """A real town centre used to shape the invented population and deprivation surfaces."""

    name: str
    lon: float
    lat: float
    share: float  # share of its district's residents clustered around it
    sigma_km: float  # spread of that cluster
    deprivation: float  # weight of its inner-area deprivation
    nte: float = 0.0  # night-time-economy weight (only the five main centres)
    nte_km: float = 0.7  # how fast the night-time economy falls off


TOWNS: tuple[Town, ...] = (
    Town("Leeds", -1.549, 53.797, 0.66, 4.0, 1.3, 1.0, 0.9),
    Town("Bradford", -1.752, 53.794, 0.55, 3.0, 1.2, 0.55, 0.7),
    Town("Huddersfield", -1.784, 53.646, 0.45, 2.6, 1.1, 0.45, 0.6),
    Town("Halifax", -1.861, 53.722, 0.45, 2.2, 1.0, 0.35, 0.6),
    Town("Wakefield", -1.497, 53.683, 0.40, 2.4, 0.9, 0.45, 0.6),
    Town("Keighley", -1.906, 53.867, 0.12, 1.3, 1.0),
    Town("Dewsbury", -1.630, 53.691, 0.17, 1.4, 1.0),
    Town("Castleford", -1.356, 53.725, 0.14, 1.2, 0.8),
    Town("Pontefract", -1.312, 53.691, 0.10, 1.0, 0.4),
    Town("Batley", -1.634, 53.716, 0.10, 1.1, 0.8),
    Town("Brighouse", -1.782, 53.703, 0.15, 1.2, 0.3),
    Town("Otley", -1.694, 53.905, 0.03, 0.7, -0.2),
    Town("Wetherby", -1.386, 53.928, 0.03, 0.7, -0.8),
    Town("Morley", -1.600, 53.740, 0.06, 1.0, 0.0),
    Town("Shipley", -1.776, 53.833, 0.10, 1.5, 0.3),
    Town("Todmorden", -2.097, 53.713, 0.07, 0.8, 0.2),
)
MAIN_CENTRES = ("Leeds", "Bradford", "Huddersfield", "Halifax", "Wakefield")

# Broad patterns the towns alone miss: (lon, lat, weight, sigma_km). Negative = affluent.
DEPRIVATION_BUMPS: tuple[tuple[float, float, float, float], ...] = (
    (-1.549, 53.797, -0.7, 0.8),  # Leeds city centre itself ranks mid-table; its inner ring not
    (-1.490, 53.812, 0.8, 2.5),  # inner east Leeds
    (-1.560, 53.765, 0.6, 2.0),  # inner south Leeds
    (-1.530, 53.860, -1.0, 4.0),  # north Leeds suburbs
    (-1.800, 53.920, -1.0, 4.0),  # Wharfedale
    (-1.360, 53.700, 0.4, 4.0),  # the eastern coalfield towns
)

# Where students live: (lon, lat, strength 0..1, sigma_km).
STUDENT_SITES: tuple[tuple[float, float, float, float], ...] = (
    (-1.553, 53.807, 1.0, 1.0),  # Leeds universities
    (-1.578, 53.821, 0.9, 0.9),  # Headingley
    (-1.764, 53.792, 0.6, 0.8),  # Bradford university
    (-1.778, 53.643, 0.4, 0.7),  # Huddersfield university
)

# West Yorkshire's real share of LSOAs in each national decile (1 = most deprived), IoD 2019
# (MHCLG, OGL v3.0): the synthetic ranks are calibrated to these marginals.
WY_DECILE_SHARES: dict[str, tuple[float, ...]] = {
    "imd": (0.218, 0.140, 0.112, 0.078, 0.088, 0.077, 0.092, 0.084, 0.062, 0.050),
    "income": (0.174, 0.140, 0.112, 0.074, 0.089, 0.079, 0.087, 0.081, 0.086, 0.080),
    "employment": (0.163, 0.159, 0.116, 0.095, 0.076, 0.087, 0.096, 0.084, 0.064, 0.059),
    "education": (0.224, 0.123, 0.094, 0.091, 0.078, 0.074, 0.072, 0.081, 0.082, 0.081),
    "health": (0.144, 0.188, 0.145, 0.136, 0.110, 0.092, 0.102, 0.056, 0.023, 0.003),
    "crime": (0.316, 0.163, 0.116, 0.095, 0.099, 0.082, 0.060, 0.037, 0.024, 0.009),
    "barriers": (0.002, 0.016, 0.045, 0.074, 0.110, 0.127, 0.161, 0.156, 0.146, 0.163),
    "living_environment": (0.236, 0.146, 0.125, 0.122, 0.105, 0.086, 0.068, 0.064, 0.032, 0.017),
}
DOMAINS = (
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
)
# IMD 2019 domain weights.
DOMAIN_WEIGHTS = (0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093)

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

# England mid-2020 by single year of age (thousands, approximate, ONS): knots to interpolate.
# columns: age, male, female
_AGE_TABLE = np.array(
    [
        (0, 317, 301),
        (5, 350, 333),
        (10, 355, 337),
        (15, 320, 303),
        (18, 320, 300),
        (20, 345, 325),
        (25, 385, 375),
        (30, 395, 395),
        (35, 380, 385),
        (40, 355, 360),
        (45, 360, 370),
        (50, 395, 405),
        (55, 390, 400),
        (60, 340, 350),
        (65, 290, 305),
        (70, 300, 325),
        (73, 305, 335),
        (75, 240, 270),
        (80, 175, 215),
        (85, 105, 150),
        (89, 60, 100),
    ],
    dtype=float,
)
_MALE_90_PLUS, _FEMALE_90_PLUS = 190.0, 370.0

# A local plane (km) around West Yorkshire: an equirectangular projection is affine, so Voronoi
# cells, areas and containment behave as on the ground and survive the trip back to lon/lat.
_LON0, _LAT0 = -1.65, 53.78
_KX = 111.320 * math.cos(math.radians(_LAT0))
_KY = 110.574


# --------------------------------------------------------------------------------------------
# The outline: derived by hand once, read from the committed JSON ever after
# --------------------------------------------------------------------------------------------


def derive_outline(
    ward_geojson: Path = SHARED_WARDS, out: Path = OUTLINE_FILE, tolerance_m: float = 250.0
) -> Path:
    """Dissolve real ward boundaries into coarse district outlines (run by hand, not by the app).

    The shared district boundaries are simplified once as linework, so neighbouring districts keep
    exactly the same edges, then re-polygonised; 250 m leaves ~60-110 vertices a district.
    """
    from pyproj import Transformer  # only needed here

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
    data = json.loads(Path(ward_geojson).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    parts: dict[str, list] = {}
    for feature in data["features"]:
        props = feature["properties"]
        geom = shapely.transform(
            shapely.geometry.shape(feature["geometry"]),
            lambda c: np.column_stack(to_bng.transform(c[:, 0], c[:, 1])),
        )
        names[props["LAD25CD"]] = props["LAD25NM"]
        parts.setdefault(props["LAD25CD"], []).append(geom)
    dissolved = {code: _largest_polygon(shapely.unary_union(g)) for code, g in parts.items()}
    lines = shapely.line_merge(shapely.unary_union([g.boundary for g in dissolved.values()]))
    simplified = [shapely.simplify(p, tolerance_m) for p in shapely.get_parts(lines)]
    faces = list(shapely.get_parts(shapely.polygonize(simplified)))
    districts: dict[str, dict] = {}
    for code in sorted(dissolved):
        mine = [f for f in faces if dissolved[code].contains(f.representative_point())]
        poly = _largest_polygon(shapely.unary_union(mine))
        poly = shapely.transform(
            poly, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))
        )
        poly = shapely.orient_polygons(shapely.set_precision(poly, 1e-4))
        poly = _largest_polygon(shapely.make_valid(poly))
        ring = np.round(np.asarray(poly.exterior.coords), 4).tolist()
        districts[code] = {"name": names[code], "polygon": ring}
    payload = {"attribution": OUTLINE_ATTRIBUTION, "districts": districts}
    out = Path(out)
    out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------------
# The synthetic geography
# --------------------------------------------------------------------------------------------

LEVELS = ("lsoa", "ward", "district")
CANDIDATES_PER_LSOA = 100  # density samples per LSOA: enough for stable k-means seeds


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


def load_outline(path: Path = OUTLINE_FILE) -> dict[str, tuple[str, Polygon]]:
    """District code -> (name, WGS84 polygon) from the committed outline file."""
    return dict(_load_outline(str(path)))


@lru_cache(maxsize=4)
def _load_outline(path: str) -> tuple[tuple[str, tuple[str, Polygon]], ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(
        (code, (d["name"], Polygon(d["polygon"]))) for code, d in sorted(data["districts"].items())
    )


def build_areas(seed: int = 42) -> Areas:
    """Generate the synthetic geography; the same seed always gives identical areas."""
    rng = np.random.default_rng(seed)
    outline = load_outline()
    town_district = _town_districts(outline)

    lsoa_km: list[Polygon] = []
    lsoa_ward: list[int] = []
    ward_km: list[Polygon] = []
    ward_district: list[int] = []
    for d, spec in enumerate(DISTRICTS):
        region = shapely.transform(outline[spec.code][1], _km_coords)
        towns = [t for t in TOWNS if town_district[t.name] == spec.code]
        wards, lsoas = _build_district(rng, spec, region, towns)
        for ward, cells in zip(wards, lsoas, strict=True):
            lsoa_km.extend(_north_to_south(cells))
            lsoa_ward.extend([len(ward_km)] * len(cells))
            ward_km.append(ward)
            ward_district.append(d)

    lsoa_ll = _to_wgs84(lsoa_km)
    ward_ll = _to_wgs84(ward_km)
    lsoa_pt = _inner_points(lsoa_ll, ward_ll[np.asarray(lsoa_ward)])
    ward_pt = _inner_points(ward_ll, ward_ll)
    lsoa_ward_a = np.asarray(lsoa_ward)
    lsoa_district = np.asarray(ward_district)[lsoa_ward_a]
    lsoa_area = shapely.area(lsoa_ll) * _KX * _KY

    attrs = _lsoa_attributes(rng, lsoa_pt, lsoa_area, lsoa_district)
    counts = _age_sex_counts(rng, attrs, lsoa_district)

    return _assemble(
        seed,
        outline,
        town_district,
        lsoa_ll,
        lsoa_pt,
        lsoa_area,
        lsoa_ward_a,
        ward_ll,
        ward_pt,
        np.asarray(ward_district),
        attrs,
        counts,
    )


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def _km_coords(c: np.ndarray) -> np.ndarray:
    return np.column_stack(((c[:, 0] - _LON0) * _KX, (c[:, 1] - _LAT0) * _KY))


def _lonlat_coords(c: np.ndarray) -> np.ndarray:
    return np.column_stack((c[:, 0] / _KX + _LON0, c[:, 1] / _KY + _LAT0))


def _to_km(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(lon) - _LON0) * _KX, (np.asarray(lat) - _LAT0) * _KY


def _to_wgs84(polys: list[Polygon]) -> np.ndarray:
    """Back to lon/lat on a 1e-5 degree grid (what the GeoJSON holds), CCW, one Polygon each."""
    geoms = shapely.set_precision(
        shapely.transform(np.asarray(polys, dtype=object), _lonlat_coords), 1e-5
    )
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = g if isinstance(g, Polygon) and not g.is_empty else _largest_polygon(g)
    return shapely.orient_polygons(out)


def _inner_points(polys: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Centroids, or a point on the surface where the centroid falls outside polygon or parent."""
    pts = shapely.centroid(polys)
    pts = shapely.points(np.round(shapely.get_coordinates(pts), 6))
    bad = ~(shapely.contains_properly(polys, pts) & shapely.contains_properly(parents, pts))
    if bad.any():
        pts[bad] = shapely.point_on_surface(polys[bad])
    return pts


def _north_to_south(polys: list[Polygon]) -> list[Polygon]:
    c = shapely.get_coordinates(shapely.centroid(np.asarray(polys, dtype=object)))
    return [polys[i] for i in np.lexsort((c[:, 0], -np.round(c[:, 1], 3)))]


def _largest_polygon(geom: shapely.Geometry) -> Polygon:
    """The biggest polygonal part of a geometry (drops slivers, lines and points)."""
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if not polys:
        raise ValueError("no polygon in geometry")
    return max(polys, key=lambda p: p.area)


def _town_districts(outline: Mapping[str, tuple[str, Polygon]]) -> dict[str, str]:
    """Each town's district, found by point-in-polygon on the outline."""
    found: dict[str, str] = {}
    for town in TOWNS:
        hits = [c for c, (_, p) in outline.items() if p.contains(shapely.Point(town.lon, town.lat))]
        if len(hits) != 1:
            raise ValueError(f"{town.name} is not inside exactly one district")
        found[town.name] = hits[0]
    return found


def _build_district(
    rng: np.random.Generator, spec: DistrictSpec, region: Polygon, towns: list[Town]
) -> tuple[list[Polygon], list[list[Polygon]]]:
    """Wards then LSOAs (km plane), both Voronoi tilings whose seeds follow the population."""
    n_lsoa = round(spec.population / RESIDENTS_PER_LSOA)
    xy, dens = _sample_candidates(rng, region, towns, n_lsoa * CANDIDATES_PER_LSOA)
    # ward seeds a little less concentrated than people: urban wards smaller but more populous
    wards = _north_to_south(_voronoi_cells(_kmeans_seeds(rng, xy, dens**0.8, spec.wards), region))
    labels = _label_points(wards, xy)
    share = np.bincount(labels[labels >= 0], minlength=len(wards)).astype(float)
    per_ward = _apportion(share + 1e-9, n_lsoa, minimum=3)
    lsoas = []
    for w, (ward, k) in enumerate(zip(wards, per_ward, strict=True)):
        mine = labels == w
        if k <= 1 or mine.sum() < 2:
            lsoas.append([ward])
            continue
        # weights = density on density-drawn points: seeds ~ density, so LSOAs hold similar counts
        seeds = _kmeans_seeds(rng, xy[mine], dens[mine], int(k))
        lsoas.append(_voronoi_cells(seeds, ward))
    return wards, lsoas


def _sample_candidates(
    rng: np.random.Generator, region: Polygon, towns: list[Town], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """n points inside the district drawn from its population density, and that density.

    Each town is a core plus a wider suburban halo; what the towns leave is spread evenly.
    """
    centres = np.array([_to_km(t.lon, t.lat) for t in towns], dtype=float).reshape(-1, 2)
    means = np.repeat(centres, 2, axis=0)
    sigma = np.array([(t.sigma_km, 2.2 * t.sigma_km) for t in towns], dtype=float).ravel()
    weight = np.array([(0.6 * t.share, 0.4 * t.share) for t in towns], dtype=float).ravel()
    weights = np.append(weight, max(0.05, 1.0 - weight.sum()))
    weights /= weights.sum()
    minx, miny, maxx, maxy = region.bounds
    box_area = (maxx - minx) * (maxy - miny)
    shapely.prepare(region)
    chunks, got = [], 0
    while got < n:
        m = int(1.6 * (n - got)) + 100
        comp = rng.choice(len(weights), size=m, p=weights)
        noise = rng.standard_normal((m, 2))
        box = rng.uniform((minx, miny), (maxx, maxy), size=(m, 2))
        gauss = comp < len(sigma)
        ci = np.minimum(comp, len(sigma) - 1)
        xy = np.where(gauss[:, None], means[ci] + noise * sigma[ci, None], box)
        xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        chunks.append(xy)
        got += len(xy)
    xy = np.concatenate(chunks)[:n]
    d2 = ((xy[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    dens = (weights[:-1] / (2 * np.pi * sigma**2) * np.exp(-d2 / (2 * sigma**2))).sum(1)
    dens += weights[-1] / box_area
    return xy, dens


def _nearest(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = (centres**2).sum(1)[None, :] - 2.0 * xy @ centres.T
    return d.argmin(1)


def _kmeans_seeds(
    rng: np.random.Generator, xy: np.ndarray, w: np.ndarray, k: int, iters: int = 10
) -> np.ndarray:
    """k well-spread seeds, denser where w is: weighted k-means, then snapped to a sample point.

    Snapping keeps every seed inside the region (a centroid of a bent cluster may not be).
    """
    n = len(xy)
    k = min(k, n)
    centres = xy[rng.choice(n, size=k, replace=False, p=w / w.sum())].copy()
    for _ in range(iters):
        labels = _nearest(xy, centres)
        sw = np.bincount(labels, weights=w, minlength=k)
        ok = sw > 0
        cx = np.bincount(labels, weights=w * xy[:, 0], minlength=k)
        cy = np.bincount(labels, weights=w * xy[:, 1], minlength=k)
        centres[ok] = np.column_stack((cx[ok] / sw[ok], cy[ok] / sw[ok]))
    labels = _nearest(xy, centres)
    d = ((xy - centres[labels]) ** 2).sum(1)
    order = np.lexsort((d, labels))
    first = order[np.r_[True, labels[order][1:] != labels[order][:-1]]]
    if len(first) < k:
        unused = np.setdiff1d(np.arange(n), first)
        first = np.concatenate([first, rng.choice(unused, size=k - len(first), replace=False)])
    return xy[np.sort(first)]


def _voronoi_cells(seeds: np.ndarray, region: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds clipped to the region: one Polygon per seed, tiling it.

    A cell cut in two by a bend of the region keeps the part holding its seed; the stray parts
    are merged into the neighbour they share most edge with, so no gaps open up.
    """
    if len(seeds) == 1:
        return [region]
    minx, miny, maxx, maxy = region.bounds
    frame = shapely.box(minx - 5, miny - 5, maxx + 5, maxy + 5)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    )
    clipped = shapely.intersection(cells, region)
    mains: list[Polygon] = []
    strays: list[Polygon] = []
    for seed, geom in zip(seeds, clipped, strict=True):
        parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
        if len(parts) == 1:
            mains.append(parts[0])
            continue
        at = shapely.Point(seed)
        main = next((p for p in parts if p.intersects(at)), max(parts, key=lambda p: p.area))
        mains.append(main)
        strays.extend(p for p in parts if p is not main)
    return _absorb(mains, strays)


def _absorb(mains: list[Polygon], strays: list[Polygon]) -> list[Polygon]:
    pending = sorted(strays, key=lambda p: -p.area)
    for _ in range(3):
        left = []
        for stray in pending:
            edges = shapely.boundary(np.asarray(mains, dtype=object))
            shared = shapely.length(shapely.intersection(stray.boundary, edges))
            j = int(np.argmax(shared))
            if shared[j] <= 1e-9:
                left.append(stray)
                continue
            mains[j] = _largest_polygon(shapely.union(mains[j], stray))
        if not left:
            break
        pending = left
    return mains


def _label_points(polys: list[Polygon], xy: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point (-1 on a shared edge or in a dropped sliver)."""
    tree = shapely.STRtree(polys)
    pt_idx, poly_idx = tree.query(shapely.points(xy), predicate="within")
    labels = np.full(len(xy), -1)
    labels[pt_idx] = poly_idx
    return labels


def _apportion(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Integers proportional to weights, each at least minimum, summing exactly to total."""
    w = np.asarray(weights, dtype=float)
    spare = total - minimum * len(w)
    if spare < 0:
        raise ValueError("total too small for the minimum")
    exact = w / w.sum() * spare
    out = np.floor(exact).astype(np.int64)
    short = int(spare - out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out + minimum


# --------------------------------------------------------------------------------------------
# Attributes: urbanity, students, night-time economy, deprivation, population
# --------------------------------------------------------------------------------------------


def _gauss(x: np.ndarray, y: np.ndarray, lon: float, lat: float, sigma_km: float) -> np.ndarray:
    cx, cy = _to_km(lon, lat)
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma_km**2))


def _smooth_field(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, km: float) -> np.ndarray:
    """A smooth random surface (random Fourier features of a Gaussian process), unit variance."""
    k = 32
    freq = rng.normal(0.0, 1.0 / km, size=(k, 2))
    phase = rng.uniform(0.0, 2 * np.pi, size=k)
    waves = np.cos(np.outer(x, freq[:, 0]) + np.outer(y, freq[:, 1]) + phase)
    return np.sqrt(2.0 / k) * waves.sum(1)


def _standardise(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def _lsoa_attributes(
    rng: np.random.Generator, points: np.ndarray, area_km2: np.ndarray, district: np.ndarray
) -> dict[str, np.ndarray]:
    """Urbanity, student share, night-time economy weight and IMD-style ranks for every LSOA."""
    lonlat = shapely.get_coordinates(points)
    x, y = _to_km(lonlat[:, 0], lonlat[:, 1])
    n = len(x)
    density = RESIDENTS_PER_LSOA / area_km2
    urban = np.clip((np.log10(density) - np.log10(400)) / (np.log10(8000) - np.log10(400)), 0, 1)
    student = np.zeros(n)
    for lon, lat, strength, sigma in STUDENT_SITES:
        student += strength * _gauss(x, y, lon, lat, sigma)
    student = np.clip(student, 0.0, 1.0)

    nte = np.zeros(n)
    for t in TOWNS:
        if t.nte:
            cx, cy = _to_km(t.lon, t.lat)
            nte += t.nte * np.exp(-np.hypot(x - cx, y - cy) / t.nte_km)
    nte = np.round(nte / nte.max(), 4)

    def noise(smooth: float, iid: float, km: float = 3.0) -> np.ndarray:
        # centred within each district: chance reshuffles places, not the districts' standing
        v = smooth * _smooth_field(rng, x, y, km) + iid * rng.standard_normal(n)
        return v - (np.bincount(district, weights=v) / np.bincount(district))[district]

    latent = np.array([s.deprivation for s in DISTRICTS])[district]
    for t in TOWNS:
        latent += t.deprivation * _gauss(x, y, t.lon, t.lat, 1.3 * t.sigma_km)
    for lon, lat, weight, sigma in DEPRIVATION_BUMPS:
        latent += weight * _gauss(x, y, lon, lat, sigma)
    latent += noise(0.25, 0.3, 2.5)
    z = _standardise(latent)
    coalfield = (district == [s.code for s in DISTRICTS].index("E08000036")).astype(float)
    domains = {
        "income": 0.95 * z + noise(0.2, 0.2),
        "employment": 0.92 * z + 0.25 * coalfield + noise(0.25, 0.25),
        "education": 0.88 * z + noise(0.3, 0.3),
        "health": 0.85 * z + 0.3 * coalfield + noise(0.3, 0.3),
        "crime": 0.7 * z + 0.6 * urban + 0.8 * nte + noise(0.3, 0.35),
        "barriers": 0.3 * z + 0.9 * (1 - urban) + noise(0.4, 0.4),
        "living_environment": 0.15 * z + 0.5 * urban + noise(0.4, 0.4),
    }
    score = sum(
        wt * _standardise(domains[d]) for wt, d in zip(DOMAIN_WEIGHTS, DOMAINS, strict=True)
    )
    out = {
        "urbanity": np.round(urban, 4),
        "student_share": np.round(student, 4),
        "nte_weight": nte,
        "deprivation_score": np.round(_standardise(score), 4),
    }
    for name, values in [("imd", score), *domains.items()]:
        ranks = _national_ranks(values, WY_DECILE_SHARES[name])
        out[f"{name}_rank"] = ranks
        out[f"{name}_decile"] = decile_of(ranks)
    return out


def decile_of(rank: np.ndarray) -> np.ndarray:
    """IMD decile of a national rank, 1 = most deprived 10% (= ceil(rank / 3284.4))."""
    return (np.asarray(rank) * 10 + ENGLAND_LSOAS - 1) // ENGLAND_LSOAS


def _national_ranks(score: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Distinct national ranks (1 = most deprived) with West Yorkshire's real decile mix."""
    n = len(score)
    order = np.argsort(-score, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(shares) / sum(shares)])
    pct = np.interp((np.arange(n) + 0.5) / n, cum, np.linspace(0.0, 1.0, 11))
    ranked = np.clip(np.ceil(pct * ENGLAND_LSOAS).astype(np.int64), 1, ENGLAND_LSOAS)
    step = np.arange(n)
    ranked = np.maximum.accumulate(ranked - step) + step  # strictly increasing
    ranked = np.minimum(ranked, ENGLAND_LSOAS - (n - 1 - step))
    out = np.empty(n, dtype=np.int64)
    out[order] = ranked
    return out


def _age_profile() -> tuple[np.ndarray, np.ndarray]:
    """England's single-year-of-age shape, 0..89 and 90+, female then male."""
    ages = AGES[:-1]
    female = np.append(np.interp(ages, _AGE_TABLE[:, 0], _AGE_TABLE[:, 2]), _FEMALE_90_PLUS)
    male = np.append(np.interp(ages, _AGE_TABLE[:, 0], _AGE_TABLE[:, 1]), _MALE_90_PLUS)
    return female, male


def _ramp(points: list[tuple[float, float]]) -> np.ndarray:
    xs, ys = zip(*points, strict=True)
    return np.interp(AGES, xs, ys)


def _age_sex_counts(
    rng: np.random.Generator, attrs: dict[str, np.ndarray], district: np.ndarray
) -> np.ndarray:
    """Residents by LSOA x (F 0..90, M 0..90): totals per district hit the targets exactly.

    Cities draw young adults and students, deprived areas have more children and fewer old
    people, the countryside is older; each LSOA's counts are one multinomial draw.
    """
    n = len(district)
    urban, student = attrs["urbanity"], attrs["student_share"]
    z = attrs["deprivation_score"]
    raw = RESIDENTS_PER_LSOA * np.exp(rng.normal(0.0, 0.17, n)) * (1 + 0.5 * student)
    raw = np.clip(raw, 1050, 3000)
    totals = np.zeros(n, dtype=np.int64)
    for d, spec in enumerate(DISTRICTS):
        m = district == d
        totals[m] = _apportion(raw[m], spec.population)

    children = _ramp([(0, 1), (15, 1), (18, 0)])
    young = _ramp([(19, 0), (23, 1), (34, 1), (42, 0)])
    older = _ramp([(55, 0), (65, 1), (90, 1)])
    middle = _ramp([(40, 0), (48, 1), (70, 1), (78, 0)])
    bradford = (district == 0).astype(float)
    log_mod = (
        np.outer(urban, 0.5 * young - 0.35 * older)
        + np.outer(np.clip(z, -2.5, 2.5), 0.15 * children - 0.12 * older)
        + np.outer(1 - urban, 0.25 * middle)
        + np.outer(bradford, 0.12 * children)
    )
    female, male = _age_profile()
    base = np.concatenate([female, male]) * np.exp(0.08 * np.concatenate([children, children]))
    p = base[None, :] * np.exp(np.concatenate([log_mod, log_mod], axis=1))
    p /= p.sum(1, keepdims=True)
    bump = np.exp(-((AGES - 20.0) ** 2) / (2 * 1.5**2)) * ((AGES >= 18) & (AGES <= 24))
    stud = np.concatenate([0.52 * bump, 0.48 * bump])
    stud /= stud.sum()
    mix = 0.55 * student[:, None]
    p = (1 - mix) * p + mix * stud[None, :]
    p /= p.sum(1, keepdims=True)
    return rng.multinomial(totals, p)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _assemble(
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
            "area_km2": np.round(shapely.area(ward_ll) * _KX * _KY, 4),
            "centroid_lon": ward_xy[:, 0],
            "centroid_lat": ward_xy[:, 1],
        }
    )
    d_geoms = {s.code: shapely.orient_polygons(outline[s.code][1]) for s in DISTRICTS}
    d_polys = np.asarray([d_geoms[c] for c in d_codes], dtype=object)
    d_xy = shapely.get_coordinates(_inner_points(d_polys, d_polys))
    districts = pd.DataFrame(
        {
            "district_code": d_codes,
            "district_name": d_names,
            "population": np.bincount(lsoa_district, weights=population).astype(np.int64),
            "ward_count": np.bincount(ward_district),
            "lsoa_count": np.bincount(lsoa_district),
            "area_km2": np.round(shapely.area(d_polys) * _KX * _KY, 4),
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
    x, y = _to_km(lonlat[:, 0], lonlat[:, 1])
    names = []
    for xi, yi, d in zip(x, y, district, strict=True):
        mine = [t for t in TOWNS if town_district[t.name] == d]
        dist = [math.hypot(xi - t_x, yi - t_y) for t_x, t_y in (_to_km(t.lon, t.lat) for t in mine)]
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


# --------------------------------------------------------------------------------------------
# Writers: the published ONS / MHCLG layouts
# --------------------------------------------------------------------------------------------


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


if __name__ == "__main__":
    print(derive_outline())
