"""Boundary files as GIS teams hand them over: GeoJSON in any CRS, shapefiles (a folder, a
``.shp`` with its ``.dbf``/``.shx``/``.prj``, or a zip of them) and GeoPackages.

GeoJSON is parsed here (so a broken file is refused with the line it breaks on); shapefiles and
GeoPackages are read with pyogrio, whose wheel bundles GDAL. Coordinates are reprojected to
WGS84 with pyproj from whatever CRS the file declares (a GeoJSON ``crs`` member, a ``.prj``, a
GeoPackage's SRS); none declared means WGS84 when the coordinates fit, and a refusal otherwise.
Invalid polygons (self-intersecting rings, the commonest flaw of re-published ONS boundaries)
are repaired with ``shapely.make_valid`` and reported as repaired, never quarantined.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa

from etl.mapping import normalise_name
from etl.read import FileRefused

GDAL_SUFFIXES = (".shp", ".gpkg", ".zip")
SIMPLIFY_DEGREES = 0.00005  # about 5 m: invisible on screen, a fraction of the file size
ROW_COLUMNS = (
    "_line",
    "level",
    "area_code",
    "area_name",
    "vintage",
    "geometry",
    "centroid_lon",
    "centroid_lat",
    "area_km2",
)


@dataclass
class Features:
    """Properties and geometries (shapely, or None where unreadable) of a boundary file."""

    props: list[dict]
    geoms: list[object]
    crs: object  # a pyproj CRS
    notes: list[str] = field(default_factory=list)


def _reproject(geom, transformer):
    """The geometry's coordinates through a pyproj transformer, vectorised."""
    import shapely

    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def _crs(path: Path, declared: object):
    """The pyproj CRS a file declares (None when it declares none)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if declared in (None, "", {}):
        return None
    if isinstance(declared, dict):  # GeoJSON 2008: {"type": "name", "properties": {"name": ..}}
        props = declared.get("properties")
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str):
            raise FileRefused(
                path,
                f"its 'crs' member is not understood ({json.dumps(declared)[:80]}); "
                "save it as GeoJSON in WGS84 (EPSG:4326) or name the CRS "
                "(urn:ogc:def:crs:EPSG::27700)",
            )
        declared = name
    try:
        return CRS.from_user_input(declared)
    except (CRSError, TypeError, ValueError, OverflowError) as exc:
        raise FileRefused(
            path,
            f"its coordinate reference system {str(declared)[:80]!r} is not "
            f"known ({str(exc).splitlines()[0][:120]})",
        ) from None


def _geojson_document(path: Path) -> object:
    """The parsed JSON of a boundaries file, or FileRefused saying where it breaks."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            path,
            f"is not UTF-8 text (byte {exc.start + 1}); GeoJSON must be saved as UTF-8 "
            "(a shapefile is loaded as its .shp, its folder or a .zip; a GeoPackage as .gpkg)",
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRefused(
            path,
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
            "(is the file complete?)",
            line=exc.lineno,
        ) from None
    except RecursionError:
        raise FileRefused(path, "is not GeoJSON: its JSON is nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise FileRefused(path, f"is not GeoJSON: {exc}") from None


def _geojson_features(path: Path) -> Features:
    from shapely.geometry import shape

    doc = _geojson_document(path)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise FileRefused(
            path,
            "is not a GeoJSON FeatureCollection: expected a JSON object with a 'features' list",
        )
    crs = _crs(path, doc.get("crs"))
    props, geoms = [], []
    for feat in features:
        # A feature that is not an object, or has no properties object, has no code, level
        # or geometry: validation quarantines it at its number like any incomplete feature.
        if not isinstance(feat, dict):
            feat = {}
        raw_props = feat.get("properties")
        props.append(raw_props if isinstance(raw_props, dict) else {})
        try:
            geoms.append(shape(feat["geometry"]))
        except Exception:  # a broken geometry is reported by validation (geometry required)
            geoms.append(None)
    return Features(props, geoms, crs)


def _gdal_sources(path: Path) -> list[str]:
    """What GDAL should open: the file, or each boundary dataset inside a zip."""
    if path.suffix.lower() != ".zip":
        return [str(path)]
    try:
        with zipfile.ZipFile(path) as zf:
            names = [
                n
                for n in zf.namelist()
                if not any(p.startswith((".", "__MACOSX")) for p in PurePosixPath(n).parts)
            ]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRefused(path, f"is not a readable zip archive ({exc})") from None
    inside = [n for n in names if n.lower().endswith((".shp", ".gpkg"))]
    if not inside:
        raise FileRefused(path, "the zip archive holds no shapefile (.shp) or GeoPackage")
    return [f"/vsizip/{path}/{n}" for n in sorted(inside)]


def _gdal_features(path: Path) -> Features:
    import pyogrio
    import shapely

    props: list[dict] = []
    geoms: list[object] = []
    crs = None
    for source in _gdal_sources(path):
        try:
            layers = [(str(name), kind) for name, kind in pyogrio.list_layers(source)]
        except Exception as exc:  # pyogrio raises DataSourceError and kin (RuntimeError)
            raise FileRefused(
                path, f"is not a readable shapefile or GeoPackage ({str(exc).split(';')[0][-160:]})"
            ) from None
        polygonal = [name for name, kind in layers if kind and "polygon" in str(kind).lower()]
        for layer in polygonal or [name for name, _ in layers[:1]]:
            try:
                meta, _fids, wkb, data = pyogrio.raw.read(source, layer=layer)
            except Exception as exc:
                raise FileRefused(
                    path, f"layer {layer!r} cannot be read ({str(exc).split(';')[0][-160:]})"
                ) from None
            if (
                path.suffix.lower() == ".shp"
                and not Path(path).with_suffix(".prj").exists()
                and not Path(path).with_suffix(".PRJ").exists()
            ):
                meta["crs"] = None
            layer_crs = _crs(path, meta.get("crs"))
            if crs is not None and layer_crs is not None and layer_crs != crs:
                raise FileRefused(
                    path,
                    f"its layers are in different coordinate systems "
                    f"({crs.to_string()}, {layer_crs.to_string()}); send one",
                )
            crs = crs or layer_crs
            names = [str(n) for n in meta["fields"]]
            for i in range(len(wkb) if wkb is not None else 0):
                props.append(
                    {
                        n: (None if col[i] is None else col[i])
                        for n, col in zip(names, data, strict=True)
                    }
                )
                try:
                    geoms.append(None if wkb[i] is None else shapely.from_wkb(wkb[i]))
                except Exception:
                    geoms.append(None)
    return Features(props, geoms, crs)


def read_features(path: Path) -> Features:
    if path.suffix.lower() in GDAL_SUFFIXES:
        return _gdal_features(path)
    return _geojson_features(path)


def _polygonal(geom):
    """The polygons of a repaired geometry (make_valid may add the lines of a collapsed ring)."""
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return geom
    return shapely.union_all(parts)


def _to_wgs84(path: Path, feats: Features):
    """A transformer to WGS84 lon/lat, or None when the file already is in it."""
    from pyproj import CRS, Transformer

    if feats.crs is None:
        import shapely

        good = [g for g in feats.geoms if g is not None and not g.is_empty]
        if good:
            b = shapely.bounds(np.array(good, dtype=object))
            lonlat = (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
            if lonlat.mean() < 0.5:  # a stray feature is quarantined; a whole file is refused
                bng = (
                    (b[:, 0] >= 0) & (b[:, 2] <= 700_000) & (b[:, 1] >= 0) & (b[:, 3] <= 1_300_000)
                )
                hint = (
                    " (they look like British National Grid metres: declare EPSG:27700)"
                    if bng.mean() >= 0.5
                    else ""
                )
                raise FileRefused(
                    path,
                    "declares no coordinate reference system and its "
                    f"coordinates are not longitude and latitude{hint}; send the "
                    "shapefile's .prj, or save the file in WGS84",
                )
        return None
    wgs = CRS.from_epsg(4326)
    if feats.crs.equals(wgs, ignore_axis_order=True):
        return None
    try:
        transformer = Transformer.from_crs(feats.crs, wgs, always_xy=True)
    except Exception as exc:
        raise FileRefused(
            path, f"cannot reproject from {feats.crs.name} to WGS84 ({exc})"
        ) from None
    feats.notes.append(f"reprojected from {feats.crs.name} to WGS84")
    return transformer


def boundary_rows(path: Path) -> tuple[pa.Table, list[str]]:
    """The rows of a boundary file for validation (all text, as the contract reads them)
    and notes for the load report (reprojection, repaired polygons)."""
    import shapely
    from pyproj import Transformer
    from shapely.geometry import mapping as geo_mapping

    feats = read_features(path)
    to_wgs = _to_wgs84(path, feats)
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    rows: dict[str, list] = {k: [] for k in ROW_COLUMNS}
    repaired: list[str] = []
    for i, (raw_props, geom) in enumerate(zip(feats.props, feats.geoms, strict=True), start=1):
        props = {normalise_name(str(k)): v for k, v in raw_props.items()}
        code_key = next(
            (k for k in props if re.fullmatch(r"(lsoa|wd|lad)\d\dcd", k)), None
        ) or next(
            (k for k in ("lsoa_code", "ward_code", "district_code", "area_code") if k in props),
            None,
        )
        level = vintage = None
        if code_key:
            prefix = re.match(r"[a-z]+", code_key).group(0)
            level = {
                "lsoa": "lsoa",
                "wd": "ward",
                "lad": "district",
                "ward": "ward",
                "district": "district",
            }.get(prefix)
            m = re.search(r"\d\d", code_key)
            vintage = str(2000 + int(m.group(0))) if m else None
        name_key = code_key[:-2] + "nm" if code_key and code_key.endswith("cd") else None
        code = str(props.get(code_key)) if code_key and props.get(code_key) else None
        geom_text = cx = cy = km2 = None
        try:
            if geom is not None and to_wgs is not None:
                geom = _reproject(geom, to_wgs)
            if geom is not None and not geom.is_empty and not geom.is_valid:
                geom = _polygonal(shapely.make_valid(geom))
                if geom.is_valid and not geom.is_empty:
                    repaired.append(code or f"feature {i}")
            if geom is not None and geom.is_valid and not geom.is_empty:
                simple = shapely.simplify(geom, SIMPLIFY_DEGREES, preserve_topology=True)
                geom_text = json.dumps(geo_mapping(shapely.set_precision(simple, 1e-5)))
                c = geom.representative_point()
                cx, cy = round(c.x, 6), round(c.y, 6)
                proj = _reproject(geom, to_bng)
                km2 = round(proj.area / 1e6, 6)
        except Exception:  # a broken geometry is reported by validation (geometry required)
            geom_text = None
        rows["_line"].append(i)
        rows["level"].append(level)
        rows["area_code"].append(code)
        rows["area_name"].append(
            str(props.get(name_key)) if name_key and props.get(name_key) else None
        )
        rows["vintage"].append(vintage)
        rows["geometry"].append(geom_text)
        rows["centroid_lon"].append(None if cx is None else str(cx))
        rows["centroid_lat"].append(None if cy is None else str(cy))
        rows["area_km2"].append(None if km2 is None else str(km2))
    notes = list(feats.notes)
    if repaired:
        shown = ", ".join(repaired[:10]) + (
            f" and {len(repaired) - 10} more" if len(repaired) > 10 else ""
        )
        notes.append(
            f"{len(repaired)} invalid polygon(s) (e.g. self-intersecting) repaired with "
            f"shapely.make_valid: {shown}"
        )
    table = pa.table(
        {k: pa.array(v, pa.int64() if k == "_line" else pa.string()) for k, v in rows.items()}
    )
    return table, notes
