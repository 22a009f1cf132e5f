"""Hour of day by day of week: when violence happens, with hidden cells left blank."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.figures import (
    Context,
    Figure,
    axis_below,
    base_layout,
    colorbar_title,
    colorscale,
    empty_figure,
    figure,
    set_alt,
)
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import SEQUENTIAL_BLUE
from svcore.vocab import WEEKDAYS

# Friday and Saturday nights, 20:00 to 03:59: the night-time economy window analysts ask about.
NTE_WINDOW = (
    ("Friday", range(20, 24)),
    ("Saturday", range(0, 4)),
    ("Saturday", range(20, 24)),
    ("Sunday", range(0, 4)),
)


def hour_weekday_figure(frame: pd.DataFrame, ctx: Context) -> Figure:
    """``frame``: weekday (English day name), hour 0-23, count (possibly ``[c]``)."""
    if frame.empty:
        return empty_figure(ctx, "No events with a time for these filters")
    grid = np.full((7, 24), np.nan)
    text = np.full((7, 24), "", dtype=object)
    y = shown_counts(frame)
    day_index = {d: i for i, d in enumerate(WEEKDAYS)}
    for day, hour, value, raw in zip(
        frame["weekday"], frame["hour"], y, frame["count"], strict=True
    ):
        if day in day_index and pd.notna(hour):
            i, j = day_index[day], int(hour)
            grid[i, j] = value
            text[i, j] = SUPPRESSED if raw == SUPPRESSED else f"{int(value):,}"
    fig = figure(
        [
            {
                "type": "heatmap",
                "z": grid.tolist(),
                "x": [f"{h:02d}:00" for h in range(24)],
                "y": list(WEEKDAYS),
                "text": text.tolist(),
                "colorscale": colorscale(SEQUENTIAL_BLUE),
                "hovertemplate": "%{y} %{x}: %{text}<extra></extra>",
                "hoverongaps": False,
                "colorbar": {"title": colorbar_title("Events")},
                "xgap": 1,
                "ygap": 1,
            }
        ]
    )
    base_layout(fig, ctx, below=axis_below(title_lines=1), margin={"l": 90})
    fig["layout"]["yaxis"] = {"autorange": "reversed", "gridcolor": "#E5E5E5"}
    fig["layout"]["xaxis"] = {"title": {"text": "Hour of day"}, "tickangle": 0, "dtick": 3}
    peak = np.unravel_index(np.nanargmax(np.nan_to_num(grid, nan=-1)), grid.shape)
    return set_alt(
        fig,
        f"{ctx.title}, heatmap of events by hour (columns) and day of week (rows). "
        f"The busiest hour is {WEEKDAYS[peak[0]]} {peak[1]:02d}:00.",
    )
