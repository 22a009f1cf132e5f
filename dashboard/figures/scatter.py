"""An area factor against the violence rate: points, the fitted line and the correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.stats import Correlation
from dashboard.figures import Context, base_layout, empty_figure, set_alt
from svcore.palette import CATEGORICAL


def factor_scatter_figure(
    frame: pd.DataFrame, corr: Correlation, ctx: Context, x_title: str, y_title: str
) -> go.Figure:
    """``frame``: area_name, factor, rate (rates withheld for small counts are NaN, not drawn)."""
    part = frame.dropna(subset=["factor", "rate"])
    if part.empty:
        return empty_figure(ctx, "No areas with both a factor value and a rate")
    trace = go.Scattergl if len(part) > 500 else go.Scatter
    fig = go.Figure(
        trace(
            x=part["factor"],
            y=part["rate"],
            mode="markers",
            name="Areas",
            marker={"color": CATEGORICAL[0], "opacity": 0.6, "size": 7},
            text=part["area_name"],
            hovertemplate="%{text}<br>" + x_title + ": %{x:,.2f}<br>Rate: %{y:,.1f}<extra></extra>",
        )
    )
    if np.isfinite(corr.slope):
        xs = np.linspace(float(part["factor"].min()), float(part["factor"].max()), 2)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=corr.intercept + corr.slope * xs,
                mode="lines",
                name="Fitted line",
                line={"color": CATEGORICAL[3], "width": 3},
                hoverinfo="skip",
            )
        )
    base_layout(fig, ctx, y_title=y_title)
    fig.update_xaxes(title=x_title, gridcolor="#E5E5E5")
    fig.add_annotation(
        text=corr.describe(),
        xref="paper",
        yref="paper",
        x=0,
        y=1.02,
        showarrow=False,
        xanchor="left",
        font={"size": 12},
    )
    return set_alt(fig, f"{ctx.title}, scatter plot of {len(part)} areas. {corr.describe()}.")
