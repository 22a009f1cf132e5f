"""Geometry of the synthetic geography: a local km plane, population-weighted Voronoi tilings
of each district into wards and LSOAs, and the polygon helpers they need.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import shapely
from shapely.geometry import Polygon

from etl.demo.calibration import RESIDENTS_PER_LSOA, TOWNS, DistrictSpec, Town

# A local plane (km) around West Yorkshire: an equirectangular projection is affine, so Voronoi
# cells, areas and containment behave as on the ground and survive the trip back to lon/lat.
_LON0, _LAT0 = -1.65, 53.78
KX = 111.320 * math.cos(math.radians(_LAT0))
KY = 110.574

CANDIDATES_PER_LSOA = 100  # density samples per LSOA: enough for stable k-means seeds


def km_coords(c: np.ndarray) -> np.ndarray:
    return np.column_stack(((c[:, 0] - _LON0) * KX, (c[:, 1] - _LAT0) * KY))


def _lonlat_coords(c: np.ndarray) -> np.ndarray:
    return np.column_stack((c[:, 0] / KX + _LON0, c[:, 1] / KY + _LAT0))


def to_km(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(lon) - _LON0) * KX, (np.asarray(lat) - _LAT0) * KY


def to_wgs84(polys: list[Polygon]) -> np.ndarray:
    """Back to lon/lat on a 1e-5 degree grid (what the GeoJSON holds), CCW, one Polygon each."""
    geoms = shapely.set_precision(
        shapely.transform(np.asarray(polys, dtype=object), _lonlat_coords), 1e-5
    )
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = g if isinstance(g, Polygon) and not g.is_empty else largest_polygon(g)
    return shapely.orient_polygons(out)


def inner_points(polys: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Centroids, or a point on the surface where the centroid falls outside polygon or parent."""
    pts = shapely.centroid(polys)
    pts = shapely.points(np.round(shapely.get_coordinates(pts), 6))
    bad = ~(shapely.contains_properly(polys, pts) & shapely.contains_properly(parents, pts))
    if bad.any():
        pts[bad] = shapely.point_on_surface(polys[bad])
    return pts


def north_to_south(polys: list[Polygon]) -> list[Polygon]:
    c = shapely.get_coordinates(shapely.centroid(np.asarray(polys, dtype=object)))
    return [polys[i] for i in np.lexsort((c[:, 0], -np.round(c[:, 1], 3)))]


def largest_polygon(geom: shapely.Geometry) -> Polygon:
    """The biggest polygonal part of a geometry (drops slivers, lines and points)."""
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if not polys:
        raise ValueError("no polygon in geometry")
    return max(polys, key=lambda p: p.area)


def town_districts(outline: Mapping[str, tuple[str, Polygon]]) -> dict[str, str]:
    """Each town's district, found by point-in-polygon on the outline."""
    found: dict[str, str] = {}
    for town in TOWNS:
        hits = [c for c, (_, p) in outline.items() if p.contains(shapely.Point(town.lon, town.lat))]
        if len(hits) != 1:
            raise ValueError(f"{town.name} is not inside exactly one district")
        found[town.name] = hits[0]
    return found


def build_district(
    rng: np.random.Generator, spec: DistrictSpec, region: Polygon, towns: list[Town]
) -> tuple[list[Polygon], list[list[Polygon]]]:
    """Wards then LSOAs (km plane), both Voronoi tilings whose seeds follow the population."""
    n_lsoa = round(spec.population / RESIDENTS_PER_LSOA)
    xy, dens = _sample_candidates(rng, region, towns, n_lsoa * CANDIDATES_PER_LSOA)
    # ward seeds a little less concentrated than people: urban wards smaller but more populous
    wards = north_to_south(_voronoi_cells(_kmeans_seeds(rng, xy, dens**0.8, spec.wards), region))
    labels = _label_points(wards, xy)
    share = np.bincount(labels[labels >= 0], minlength=len(wards)).astype(float)
    per_ward = apportion(share + 1e-9, n_lsoa, minimum=3)
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
    centres = np.array([to_km(t.lon, t.lat) for t in towns], dtype=float).reshape(-1, 2)
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
            mains[j] = largest_polygon(shapely.union(mains[j], stray))
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


def apportion(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
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
