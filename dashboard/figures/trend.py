"""Monthly trend lines, one per source, with a 12-month rolling average when there is room."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import Context, base_layout
from svcore.disclosure import SUPPRESSED
from svcore.vocab import SOURCES


def trend_figure(frame: pd.DataFrame, ctx: Context) -> go.Figure:
    """``frame``: month, count (possibly ``[c]``), and optionally source."""
    fig = go.Figure()
    groups = frame.groupby("source", sort=False) if "source" in frame else [(None, frame)]
    for source, part in groups:
        y = pd.to_numeric(part["count"].where(part["count"] != SUPPRESSED), errors="coerce")
        fig.add_trace(
            go.Scatter(
                x=part["month"], y=y, mode="lines", name=SOURCES.get(source, "Events"),
                hovertemplate="%{x}: %{y:,}<extra></extra>", connectgaps=False,
            )
        )
        if source is None and len(part) >= 24:
            fig.add_trace(
                go.Scatter(
                    x=part["month"], y=y.rolling(12, min_periods=12).mean(), mode="lines",
                    name="12-month rolling average", line={"dash": "dash"},
                    hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
                )
            )
    return base_layout(fig, ctx, y_title="Events per month")
