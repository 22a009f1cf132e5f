"""Choropleth maps drawn with no internet: plotly's geo projection over our own boundaries.

``go.Choropleth`` needs plotly's base topojson; the app serves it from ``assets/topojson`` (and
image exports point ``plotly.io.defaults.topojson`` there), and the base map itself is hidden so
only the partnership's areas draw. No tiles are fetched. Areas whose count is hidden, or whose
rate rests on too few events, are drawn grey and say so on hover.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.hotspots import CLASSES
from dashboard.figures import Context, base_layout, empty_figure, set_alt
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import SEQUENTIAL_BLUE, SUPPRESSED_GREY

HOTSPOT_COLOURS = dict(
    zip(
        CLASSES,
        ("#801650", "#C0406E", "#E8A0B8", "#F3F2F1", "#9ECAE1", "#4292C6", "#08519C"),
        strict=True,
    )
)
MEASURES = {"rate": "Rate per 1,000 residents a year", "count": "Events"}


def _geo(fig: go.Figure) -> None:
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 100, "b": 110}, dragmode=False)


def _subset(geojson: dict | str, codes: pd.Series) -> dict | str:
    """Only the features drawn (for exports, which embed the GeoJSON); a URL passes through,
    and the browser fetches and caches that file once."""
    if isinstance(geojson, str):
        return geojson
    wanted = set(codes)
    return {
        "type": "FeatureCollection",
        "features": [f for f in geojson.get("features", []) if f.get("id") in wanted],
    }


def _hover(frame: pd.DataFrame) -> list[str]:
    out = []
    for name, raw, rate in zip(frame["area_name"], frame["count"], frame["rate"], strict=True):
        count_text = SUPPRESSED if raw == SUPPRESSED else f"{int(raw):,}"
        rate_text = "not shown (fewer than 10 events)" if pd.isna(rate) else f"{rate:,.1f}"
        out.append(f"<b>{name}</b><br>Events: {count_text}<br>Rate per 1,000 a year: {rate_text}")
    return out


def _has_features(geojson: dict | str) -> bool:
    return isinstance(geojson, str) or bool(geojson.get("features"))


def choropleth_figure(
    frame: pd.DataFrame, geojson: dict | str, ctx: Context, measure: str = "rate"
) -> go.Figure:
    """``frame`` (suppressed): area_code, area_name, count, rate. ``geojson``: a
    FeatureCollection keyed by GSS code, or the URL of one."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    values = frame["rate"] if measure == "rate" else shown_counts(frame)
    hover = pd.Series(_hover(frame), index=frame.index)
    shown = values.notna()
    fig = go.Figure()
    if (~shown).any():
        grey = frame[~shown]
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                locations=grey["area_code"],
                z=[0] * len(grey),
                colorscale=[[0, SUPPRESSED_GREY], [1, SUPPRESSED_GREY]],
                showscale=False,
                text=hover[~shown],
                hovertemplate="%{text}<extra></extra>",
                customdata=grey[["area_code"]].to_numpy(),
                marker_line_color="white",
                marker_line_width=0.5,
                name="Not shown",
                showlegend=False,
            )
        )
    part = frame[shown]
    if not part.empty:
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                locations=part["area_code"],
                z=values[shown],
                colorscale=[
                    [i / (len(SEQUENTIAL_BLUE) - 1), c] for i, c in enumerate(SEQUENTIAL_BLUE)
                ],
                zmin=0,
                text=hover[shown],
                hovertemplate="%{text}<extra></extra>",
                customdata=part[["area_code"]].to_numpy(),
                marker_line_color="white",
                marker_line_width=0.5,
                colorbar={"title": {"text": MEASURES[measure]}, "thickness": 14},
            )
        )
    _geo(fig)
    base_layout(fig, ctx)
    top = part.assign(v=values[shown]).nlargest(3, "v") if not part.empty else part
    listed = "; ".join(f"{r.area_name} {r.v:,.1f}" for r in top.itertuples())
    return set_alt(
        fig,
        f"{ctx.title}, map of {len(frame)} areas shaded by {MEASURES[measure].lower()}. "
        f"Highest: {listed}. {int((~shown).sum())} areas not shown.",
    )


def hotspot_figure(frame: pd.DataFrame, geojson: dict | str, ctx: Context) -> go.Figure:
    """``frame``: area_code, area_name, hotspot (a class of ``CLASSES``), gi_z, gi_p."""
    if frame.empty or not _has_features(geojson):
        return empty_figure(ctx, "No boundaries loaded for these areas")
    geojson = _subset(geojson, frame["area_code"])
    fig = go.Figure()
    for cls in CLASSES:
        part = frame[frame["hotspot"] == cls]
        if part.empty:
            continue
        colour = HOTSPOT_COLOURS[cls]
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                locations=part["area_code"],
                z=[1] * len(part),
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                name=cls,
                showlegend=True,
                text=[
                    f"<b>{n}</b><br>{cls}<br>Gi* z = {z:.2f}, p = {p:.3f}"
                    for n, z, p in zip(part["area_name"], part["gi_z"], part["gi_p"], strict=True)
                ],
                hovertemplate="%{text}<extra></extra>",
                customdata=part[["area_code"]].to_numpy(),
                marker_line_color="white",
                marker_line_width=0.5,
            )
        )
    _geo(fig)
    base_layout(fig, ctx)
    fig.update_layout(legend={"orientation": "v", "y": 0.5, "x": 1.0})
    counts = frame["hotspot"].value_counts()
    hot = int(counts.filter(like="Hot").sum())
    cold = int(counts.filter(like="Cold").sum())
    return set_alt(
        fig,
        f"{ctx.title}, map of Getis-Ord Gi* hotspots: {hot} areas in hot spots and {cold} in "
        f"cold spots at 90% confidence or more, of {len(frame)}.",
    )
