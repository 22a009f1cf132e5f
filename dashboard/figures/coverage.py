"""Which months each feed holds: a feed-by-month grid where a missing month stands out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.figures import (
    FONT_SIZE,
    MONTH_AXIS,
    Context,
    Figure,
    axis_below,
    base_layout,
    colorbar_title,
    colorscale,
    empty_figure,
    figure,
    set_alt,
    text_width,
)
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import SEQUENTIAL_BLUE
from svcore.vocab import SOURCES


def coverage_figure(frame: pd.DataFrame, ctx: Context) -> Figure:
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
    names = [SOURCES[f] for f in feeds]
    fig = figure(
        [
            {
                "type": "heatmap",
                "z": grid.tolist(),
                "x": list(months),
                "y": names,
                "text": text.tolist(),
                "colorscale": colorscale(SEQUENTIAL_BLUE),
                "hovertemplate": "%{y}, %{x}: %{text}<extra></extra>",
                "xgap": 1,
                "ygap": 2,
                "colorbar": {"title": colorbar_title("Rows")},
            }
        ]
    )
    widest = max(text_width(n, FONT_SIZE) for n in names)
    base_layout(fig, ctx, below=axis_below(tick_lines=2), margin={"l": round(widest + 16)})
    fig["layout"]["xaxis"] = dict(MONTH_AXIS)
    fig["layout"]["yaxis"] = {"autorange": "reversed", "gridcolor": "#E5E5E5"}
    missing = int(np.isnan(grid).sum())
    return set_alt(
        fig,
        f"{ctx.title}: {len(feeds)} feeds over {len(months)} months; "
        f"{missing} feed-months have no data.",
    )
