"""The districts' coarse outline: derived by hand once from real ward boundaries
(``python -m etl.demo.outline``), read from the committed JSON ever after.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon

from etl.demo.geometry import largest_polygon

OUTLINE_FILE = Path(__file__).with_name("west_yorkshire_outline.json")
OUTLINE_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; ONS Open Geography, Open Government "
    "Licence v3.0 (coarse outline derived from ward boundaries)"
)
SHARED_WARDS = Path("/work/shared/realdata/boundaries/ward_E47000003_west-yorkshire-ca.geojson")


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
    dissolved = {code: largest_polygon(shapely.unary_union(g)) for code, g in parts.items()}
    lines = shapely.line_merge(shapely.unary_union([g.boundary for g in dissolved.values()]))
    simplified = [shapely.simplify(p, tolerance_m) for p in shapely.get_parts(lines)]
    faces = list(shapely.get_parts(shapely.polygonize(simplified)))
    districts: dict[str, dict] = {}
    for code in sorted(dissolved):
        mine = [f for f in faces if dissolved[code].contains(f.representative_point())]
        poly = largest_polygon(shapely.unary_union(mine))
        poly = shapely.transform(
            poly, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))
        )
        poly = shapely.orient_polygons(shapely.set_precision(poly, 1e-4))
        poly = largest_polygon(shapely.make_valid(poly))
        ring = np.round(np.asarray(poly.exterior.coords), 4).tolist()
        districts[code] = {"name": names[code], "polygon": ring}
    payload = {"attribution": OUTLINE_ATTRIBUTION, "districts": districts}
    out = Path(out)
    out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    return out


def load_outline(path: Path = OUTLINE_FILE) -> dict[str, tuple[str, Polygon]]:
    """District code -> (name, WGS84 polygon) from the committed outline file."""
    return dict(_load_outline(str(path)))


@lru_cache(maxsize=4)
def _load_outline(path: str) -> tuple[tuple[str, tuple[str, Polygon]], ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(
        (code, (d["name"], Polygon(d["polygon"]))) for code, d in sorted(data["districts"].items())
    )


if __name__ == "__main__":
    print(derive_outline())
