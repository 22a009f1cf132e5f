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
from svcore.palette import CATEGORICAL


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
