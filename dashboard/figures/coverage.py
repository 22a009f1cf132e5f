"""Which months each feed holds: a feed-by-month grid where a missing month stands out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import Context, base_layout, empty_figure, set_alt
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import SEQUENTIAL_BLUE
from svcore.vocab import SOURCES


def coverage_figure(frame: pd.DataFrame, ctx: Context) -> go.Figure:
    """``frame``: feed, month (YYYY-MM), rows (possibly ``[c]``)."""
    if frame.empty:
        return empty_figure(ctx, "Nothing loaded yet")
    months = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M").strftime("%Y-%m")
    feeds = [f for f in SOURCES if f in set(frame["feed"])]
    grid = np.full((len(feeds), len(months)), np.nan)
    text = np.full(grid.shape, "missing", dtype=object)
    col = {m: j for j, m in enumerate(months)}
    values = shown_counts(frame, "rows")
    for feed, month, raw, v in zip(
        frame["feed"], frame["month"], frame["rows"], values, strict=True
    ):
        if feed in feeds and month in col:
            i, j = feeds.index(feed), col[month]
            grid[i, j] = v
            text[i, j] = SUPPRESSED if raw == SUPPRESSED else f"{int(v):,} rows"
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=list(months),
            y=[SOURCES[f] for f in feeds],
            text=text,
            colorscale=[[i / (len(SEQUENTIAL_BLUE) - 1), c] for i, c in enumerate(SEQUENTIAL_BLUE)],
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            xgap=1,
            ygap=2,
            colorbar={"title": {"text": "Rows"}},
        )
    )
    base_layout(fig, ctx)
    fig.update_layout(margin={"l": 260})
    fig.update_yaxes(autorange="reversed", rangemode=None)
    missing = int(np.isnan(grid).sum())
    return set_alt(
        fig,
        f"{ctx.title}: {len(feeds)} feeds over {len(months)} months; "
        f"{missing} feed-months have no data.",
    )
