"""An area factor against the violence rate: points, the fitted line and the correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.stats import Correlation
from dashboard.figures import (
    Context,
    Figure,
    axis_below,
    axis_title,
    base_layout,
    empty_figure,
    figure,
    set_alt,
)
from svcore.palette import CATEGORICAL, QUADRANT_COLOURS


def factor_scatter_figure(
    frame: pd.DataFrame, corr: Correlation, ctx: Context, x_title: str, y_title: str
) -> Figure:
    """``frame``: area_name, factor, rate (rates withheld for small counts are NaN, not drawn)."""
    part = frame.dropna(subset=["factor", "rate"])
    if part.empty:
        return empty_figure(ctx, "No areas with both a factor value and a rate")
    fig = figure(
        [
            {
                # SVG always: WebGL (scattergl) compiles code at run time, which the app's
                # Content-Security-Policy rightly refuses; SVG draws ~1,500 areas well.
                "type": "scatter",
                "x": part["factor"].tolist(),
                "y": part["rate"].tolist(),
                "mode": "markers",
                "name": "Areas",
                "marker": {"color": CATEGORICAL[0], "opacity": 0.6, "size": 7},
                "text": part["area_name"].tolist(),
                "hovertemplate": "%{text}<br>"
                + x_title
                + ": %{x:,.2f}<br>Rate: %{y:,.1f}<extra></extra>",
            }
        ]
    )
    if np.isfinite(corr.slope):
        xs = np.linspace(float(part["factor"].min()), float(part["factor"].max()), 2)
        fig["data"].append(
            {
                "type": "scatter",
                "x": xs.tolist(),
                "y": (corr.intercept + corr.slope * xs).tolist(),
                "mode": "lines",
                "name": "Fitted line",
                "line": {"color": CATEGORICAL[3], "width": 3},
                "hoverinfo": "skip",
            }
        )
    # The correlation is written between the title and the plot (in the top margin).
    title, title_lines = axis_title(x_title)
    below = axis_below(title_lines=title_lines)
    base_layout(fig, ctx, y_title=y_title, below=below, header=corr.describe())
    fig["layout"]["xaxis"] = {"title": title, "gridcolor": "#E5E5E5"}
    return set_alt(fig, f"{ctx.title}, scatter plot of {len(part)} areas. {corr.describe()}.")


def quadrant_scatter_figure(
    frame: pd.DataFrame,
    ctx: Context,
    x_mid: float,
    y_mid: float,
    quadrants: tuple[str, ...],
    x_title: str,
    y_title: str,
) -> Figure:
    """``frame``: area_name, index, rate, quadrant (one of ``quadrants``; other labels, such as
    areas without a published rate, are not drawn). A point per area coloured by quadrant,
    with dashed lines at the two medians that split them."""
    part = frame.dropna(subset=["index", "rate"])
    part = part[part["quadrant"].isin(quadrants)]
    if part.empty:
        return empty_figure(ctx, "No areas with both a risk index and a published rate")
    fig = figure()
    for colour, name in zip(QUADRANT_COLOURS, quadrants, strict=False):
        q = part[part["quadrant"] == name]
        if q.empty:
            continue
        fig["data"].append(
            {
                "type": "scatter",
                "x": q["index"].round(3).tolist(),
                "y": q["rate"].round(2).tolist(),
                "mode": "markers",
                "name": name,
                "marker": {"color": colour, "opacity": 0.7, "size": 7},
                "text": q["area_name"].tolist(),
                "hovertemplate": "%{text}<br>"
                + name
                + "<br>Risk index: %{x:+.2f}<br>Rate: %{y:,.1f}<extra></extra>",
            }
        )
    title, title_lines = axis_title(x_title)
    base_layout(fig, ctx, y_title=y_title, below=axis_below(title_lines=title_lines))
    line = {"color": "#505A5F", "width": 1.5, "dash": "dash"}
    fig["layout"]["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": x_mid,
            "x1": x_mid,
            "y0": 0,
            "y1": 1,
            "line": line,
        },
        {
            "type": "line",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": y_mid,
            "y1": y_mid,
            "line": line,
        },
    ]
    fig["layout"]["xaxis"] = {"title": title, "gridcolor": "#E5E5E5", "zeroline": False}
    counts = part["quadrant"].value_counts()
    parts = ", ".join(f"{name}: {int(counts.get(name, 0))}" for name in quadrants)
    return set_alt(
        fig,
        f"{ctx.title}, scatter plot of {len(part)} areas, risk index against the violence "
        f"rate, split at the medians (index {x_mid:+.2f}, rate {y_mid:,.1f}). {parts}.",
    )
