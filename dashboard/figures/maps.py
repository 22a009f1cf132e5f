"""Choropleth maps drawn with no internet: plotly's geo projection over our own boundaries.

A choropleth needs plotly's base topojson; the app serves it from ``assets/topojson`` (and
image exports point ``plotly.io.defaults.topojson`` there), and the base map itself is hidden so
only the partnership's areas draw. No tiles are fetched. Areas whose count is hidden, or whose
rate rests on too few events, are drawn grey and say so on hover.

Ward and LSOA maps carry the district outlines over the areas and the districts' names, so a
reader can tell where they are; neither answers hover or clicks (a click drills into an area).
Maps fill their container (no fixed height) and fit the areas drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from dashboard.analysis.hotspots import CLASSES
from dashboard.figures import (
    NOTE_GAP,
    Context,
    Figure,
    base_layout,
    colorbar_title,
    colorscale,
    empty_figure,
    figure,
    set_alt,
)
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import DIVERGING, PERSISTENCE, SEQUENTIAL_BLUE, SUPPRESSED_GREY, TEXT

HOTSPOT_COLOURS = dict(
    zip(
        CLASSES,
        ("#801650", "#C0406E", "#E8A0B8", "#F3F2F1", "#9ECAE1", "#4292C6", "#08519C"),
        strict=True,
    )
)
MEASURES = {"rate": "Rate per 1,000 residents a year", "count": "Events"}
OUTLINE = {"color": TEXT, "width": 2}  # district boundaries over the areas' white edges
TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]

Bounds = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


def _geo(fig: Figure, bounds: Bounds | None) -> None:
    """No base map, mercator, and the view fitted to the areas drawn. ``bounds`` pins the view
    when the district outlines reach beyond the areas (a ward's LSOAs): plotly's fit would
    take in every trace, outlines included."""
    geo: dict[str, Any] = {"visible": False, "projection": {"type": "mercator"}}
    if bounds is None:
        geo["fitbounds"] = "locations"
    else:
        lon0, lat0, lon1, lat1 = bounds
        pad_lon, pad_lat = (lon1 - lon0) * 0.03 or 0.01, (lat1 - lat0) * 0.03 or 0.01
        geo["fitbounds"] = False
        geo["lonaxis"] = {"range": [lon0 - pad_lon, lon1 + pad_lon]}
        geo["lataxis"] = {"range": [lat0 - pad_lat, lat1 + pad_lat]}
        geo["center"] = {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}
    layout = fig["layout"]
    layout["geo"] = geo
    layout["margin"].update({"l": 0, "r": 0})
    layout["autosize"] = True  # fill the container: the page sets the height
    layout["dragmode"] = False
    layout.pop("xaxis", None)
    layout.pop("yaxis", None)
    for note in layout["annotations"]:
        if note.get("name") == "source note":
            note["xshift"] = 8


def _subset(geojson: dict | str, codes: Any) -> dict | str:
    """Only the features drawn (for exports, which embed the GeoJSON); a URL passes through,
    and the browser fetches and caches that file once."""
    if isinstance(geojson, str):
        return geojson
    wanted = set(codes)
    return {
        "type": "FeatureCollection",
        "features": [f for f in geojson.get("features", []) if f.get("id") in wanted],
    }


def _positions(coords: Any) -> Iterator[tuple[float, float]]:
    if coords and isinstance(coords[0], (int, float)):
        yield float(coords[0]), float(coords[1])
    else:
        for part in coords or ():
            yield from _positions(part)


def bounds_of(geojson: dict) -> Bounds | None:
    """The bounding box of a FeatureCollection's geometries, or None when it has none."""
    xs, ys = [], []
    for feature in geojson.get("features", []):
        for x, y in _positions((feature.get("geometry") or {}).get("coordinates")):
            xs.append(x)
            ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _hover(frame: pd.DataFrame) -> list[str]:
    out = []
    for name, raw, rate in zip(frame["area_name"], frame["count"], frame["rate"], strict=True):
        count_text = SUPPRESSED if raw == SUPPRESSED else f"{int(raw):,}"
        rate_text = "not shown (fewer than 10 events)" if pd.isna(rate) else f"{rate:,.1f}"
        out.append(f"<b>{name}</b><br>Events: {count_text}<br>Rate per 1,000 a year: {rate_text}")
    return out


def _has_features(geojson: dict | str) -> bool:
    return isinstance(geojson, str) or bool(geojson.get("features"))


def _area_trace(geojson: dict | str, codes: list[str], **style: Any) -> dict:
    """One choropleth of areas: clickable (their code in ``customdata``), white edges."""
    return {
        "type": "choropleth",
        "geojson": geojson,
        "locations": codes,
        "customdata": [[c] for c in codes],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"line": {"color": "white", "width": 0.5}},
        **style,
    }


def _rings(geometry: dict) -> Iterator[list]:
    """Every ring of a Polygon, MultiPolygon or a collection of them."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon
    for part in geometry.get("geometries") or ():
        yield from _rings(part)


def _outline_as_lines(geojson: dict, codes: list[str]) -> dict:
    """District boundaries as lines: a view pinned to ``bounds`` clips what lies outside it,
    and a clipped polygon would be stroked along the edges of the view too."""
    wanted, lon, lat = set(codes), [], []
    for feature in geojson.get("features", []):
        if feature.get("id") in wanted:
            for ring in _rings(feature.get("geometry") or {}):
                lon += [float(p[0]) for p in ring] + [None]
                lat += [float(p[1]) for p in ring] + [None]
    return {
        "type": "scattergeo",
        "name": "District boundaries",
        "mode": "lines",
        "lon": lon,
        "lat": lat,
        "line": OUTLINE,
        "showlegend": False,
        "hoverinfo": "skip",
    }


def district_layers(
    districts: pd.DataFrame | None,
    geojson: dict | str | None,
    bounds: Bounds | None = None,
) -> list[dict]:
    """The district outlines (no fill) and their names at the centroids, over the areas.

    ``districts``: area_code, area_name, lon, lat. Neither trace hovers, clicks or appears in
    the legend: they are a reader's bearings, not data. With ``bounds`` (a pinned view) the
    outlines are lines, from ``geojson`` as a dict, and names outside the view are left out."""
    if districts is None or districts.empty or geojson is None or not _has_features(geojson):
        return []
    codes = districts["area_code"].tolist()
    if bounds is not None and isinstance(geojson, dict):
        layers = [_outline_as_lines(geojson, codes)]
    else:
        layers = [
            {
                "type": "choropleth",
                "name": "District boundaries",
                "geojson": _subset(geojson, codes),
                "locations": codes,
                "z": [0] * len(codes),
                "colorscale": TRANSPARENT,
                "showscale": False,
                "showlegend": False,
                "hoverinfo": "skip",
                "marker": {"line": OUTLINE},
            }
        ]
    placed = districts.dropna(subset=["lon", "lat"])
    if bounds is not None:
        lon0, lat0, lon1, lat1 = bounds
        placed = placed[placed["lon"].between(lon0, lon1) & placed["lat"].between(lat0, lat1)]
    if not placed.empty:
        layers.append(
            {
                "type": "scattergeo",
                "name": "District names",
                "mode": "text",
                "lon": placed["lon"].tolist(),
                "lat": placed["lat"].tolist(),
                "text": placed["area_name"].tolist(),
                "textfont": {"size": 13, "color": TEXT, "weight": "bold", "shadow": "auto"},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    return layers


def choropleth_figure(
    frame: pd.DataFrame,
    geojson: dict | str,
    ctx: Context,
    measure: str = "rate",
    districts: pd.DataFrame | None = None,
    district_geojson: dict | str | None = None,
    bounds: Bounds | None = None,
) -> Figure:
    """``frame`` (suppressed): area_code, area_name, count, rate. ``geojson``: a
    FeatureCollection keyed by GSS code, or the URL of one. ``districts`` (area_code,
    area_name, lon, lat) and ``district_geojson``: the outlines and names drawn over wards and
    LSOAs. ``bounds``: the view, when the outlines reach beyond the areas."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    values = frame["rate"] if measure == "rate" else shown_counts(frame)
    hover = pd.Series(_hover(frame), index=frame.index)
    shown = values.notna()
    fig = figure()
    if (~shown).any():
        grey = frame[~shown]
        fig["data"].append(
            _area_trace(
                geojson,
                grey["area_code"].tolist(),
                z=[0] * len(grey),
                colorscale=[[0, SUPPRESSED_GREY], [1, SUPPRESSED_GREY]],
                showscale=False,
                text=hover[~shown].tolist(),
                name="Not shown",
                showlegend=False,
            )
        )
    part = frame[shown]
    if not part.empty:
        fig["data"].append(
            _area_trace(
                geojson,
                part["area_code"].tolist(),
                z=values[shown].tolist(),
                colorscale=colorscale(SEQUENTIAL_BLUE),
                zmin=0,
                text=hover[shown].tolist(),
                colorbar={"title": colorbar_title(MEASURES[measure]), "thickness": 14},
            )
        )
    fig["data"] += district_layers(districts, district_geojson, bounds)
    base_layout(fig, ctx, below=NOTE_GAP)
    _geo(fig, bounds)
    top = part.assign(v=values[shown]).nlargest(3, "v") if not part.empty else part
    listed = "; ".join(f"{r.area_name} {r.v:,.1f}" for r in top.itertuples())
    return set_alt(
        fig,
        f"{ctx.title}, map of {len(frame)} areas shaded by {MEASURES[measure].lower()}. "
        f"Highest: {listed}. {int((~shown).sum())} areas not shown.",
    )


def _class_trace(
    geojson: dict | str, part: pd.DataFrame, colour: str, name: str, text: list
) -> dict:
    """One legend class of areas in one flat colour (hot spot classes, years hot)."""
    return _area_trace(
        geojson,
        part["area_code"].tolist(),
        z=[1] * len(part),
        colorscale=[[0, colour], [1, colour]],
        showscale=False,
        name=name,
        showlegend=True,
        text=text,
    )


def hotspot_figure(
    frame: pd.DataFrame,
    geojson: dict | str,
    ctx: Context,
    districts: pd.DataFrame | None = None,
    district_geojson: dict | str | None = None,
    bounds: Bounds | None = None,
) -> Figure:
    """``frame``: area_code, area_name, hotspot (a class of ``CLASSES``), gi_z, gi_p; the
    district layers as for ``choropleth_figure``."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    fig = figure()
    for cls in CLASSES:
        part = frame[frame["hotspot"] == cls]
        if part.empty:
            continue
        text = [
            f"<b>{n}</b><br>{cls}<br>Gi* z = {z:.2f}, p = {p:.3f}"
            for n, z, p in zip(part["area_name"], part["gi_z"], part["gi_p"], strict=True)
        ]
        fig["data"].append(_class_trace(geojson, part, HOTSPOT_COLOURS[cls], cls, text))
    fig["data"] += district_layers(districts, district_geojson, bounds)
    base_layout(fig, ctx, below=NOTE_GAP, legend="right")
    _geo(fig, bounds)
    fig["layout"]["margin"]["r"] = 16  # plotly's push for the legend falls a few px short
    counts = frame["hotspot"].value_counts()
    hot = int(counts.filter(like="Hot").sum())
    cold = int(counts.filter(like="Cold").sum())
    return set_alt(
        fig,
        f"{ctx.title}, map of Getis-Ord Gi* hotspots: {hot} areas in hot spots and {cold} in "
        f"cold spots at 90% confidence or more, of {len(frame)}.",
    )


def _persistence_colour(years: int, of: int) -> str:
    if years <= 0 or of <= 0:
        return PERSISTENCE[0]
    steps = len(PERSISTENCE) - 1
    return PERSISTENCE[max(1, round(steps * years / of))]


def persistence_figure(
    frame: pd.DataFrame,
    geojson: dict | str,
    ctx: Context,
    districts: pd.DataFrame | None = None,
    district_geojson: dict | str | None = None,
    bounds: Bounds | None = None,
) -> Figure:
    """``frame``: area_code, area_name, years_hot, years_tested, hot_years: each area shaded
    by the number of years it was a significant hot spot (a legend entry per number)."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    of = int(frame["years_tested"].max())
    fig = figure()
    for years in sorted(frame["years_hot"].unique(), reverse=True):
        part = frame[frame["years_hot"] == years]
        name = (
            "Not a significant hot spot in any year"
            if years == 0
            else f"Hot spot in {years} of {of} year{'s' if of != 1 else ''}"
        )
        text = [
            f"<b>{n}</b><br>Significant hot spot in {h} of {t} years" + (f" ({y})" if y else "")
            for n, h, t, y in zip(
                part["area_name"],
                part["years_hot"],
                part["years_tested"],
                part["hot_years"],
                strict=True,
            )
        ]
        colour = _persistence_colour(int(years), of)
        fig["data"].append(_class_trace(geojson, part, colour, name, text))
    fig["data"] += district_layers(districts, district_geojson, bounds)
    base_layout(fig, ctx, below=NOTE_GAP, legend="right")
    _geo(fig, bounds)
    fig["layout"]["margin"]["r"] = 16
    every = int((frame["years_hot"] == of).sum())
    some = int((frame["years_hot"] > 0).sum())
    return set_alt(
        fig,
        f"{ctx.title}, map of {len(frame)} areas shaded by the number of years each was a "
        f"significant hot spot: {some} areas in at least one year, {every} in all {of}.",
    )


def index_map_figure(
    frame: pd.DataFrame,
    geojson: dict | str,
    ctx: Context,
    title: str,
    districts: pd.DataFrame | None = None,
    district_geojson: dict | str | None = None,
    bounds: Bounds | None = None,
) -> Figure:
    """``frame``: area_code, area_name, index (a score centred on 0, NaN = none), hover (the
    text shown for each area): a diverging choropleth centred on 0, areas with no score grey."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    shown = frame["index"].notna()
    fig = figure()
    if (~shown).any():
        grey = frame[~shown]
        fig["data"].append(
            _area_trace(
                geojson,
                grey["area_code"].tolist(),
                z=[0] * len(grey),
                colorscale=[[0, SUPPRESSED_GREY], [1, SUPPRESSED_GREY]],
                showscale=False,
                text=grey["hover"].tolist(),
                name="No score",
                showlegend=False,
            )
        )
    part = frame[shown]
    if not part.empty:
        reach = float(part["index"].abs().max()) or 1.0
        fig["data"].append(
            _area_trace(
                geojson,
                part["area_code"].tolist(),
                z=part["index"].round(3).tolist(),
                colorscale=colorscale(DIVERGING),
                zmin=-reach,
                zmax=reach,
                text=part["hover"].tolist(),
                colorbar={"title": colorbar_title(title), "thickness": 14},
            )
        )
    fig["data"] += district_layers(districts, district_geojson, bounds)
    base_layout(fig, ctx, below=NOTE_GAP)
    _geo(fig, bounds)
    top = part.nlargest(3, "index") if not part.empty else part
    listed = "; ".join(f"{r.area_name} {r.index:+.2f}" for r in top.itertuples())
    return set_alt(
        fig,
        f"{ctx.title}, map of {len(frame)} areas shaded by {title.lower()} (0 = the average "
        f"area). Highest: {listed}. {int((~shown).sum())} areas without a score.",
    )
