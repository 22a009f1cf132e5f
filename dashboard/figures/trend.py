"""Monthly trends: one line per source, a 12-month rolling average, and seasonality."""

from __future__ import annotations

import pandas as pd

from dashboard.figures import (
    MONTH_AXIS,
    Context,
    Figure,
    axis_below,
    base_layout,
    empty_figure,
    figure,
    set_alt,
)
from svcore.disclosure import shown_counts
from svcore.vocab import SOURCES

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def trend_figure(frame: pd.DataFrame, ctx: Context, rolling: bool = True) -> Figure:
    """``frame``: month, count (possibly ``[c]``), and optionally source."""
    if frame.empty:
        return empty_figure(ctx, "No events for these filters")
    fig = figure()
    groups = frame.groupby("source", sort=False) if "source" in frame else [(None, frame)]
    alt = []
    for source, part in groups:
        y = shown_counts(part)
        name = SOURCES.get(source, "Events") if source else "Events"
        months = part["month"].tolist()
        fig["data"].append(
            {
                "type": "scatter",
                "x": months,
                "y": y.tolist(),
                "mode": "lines",
                "name": name,
                "hovertemplate": "%{x}: %{y:,}<extra>" + name + "</extra>",
                "connectgaps": False,
            }
        )
        if y.notna().any():
            peak = part["month"].iloc[int(y.fillna(-1).to_numpy().argmax())]
            alt.append(f"{name}: {len(part)} months, highest in {peak} ({int(y.max()):,})")
        if rolling and source is None and len(part) >= 24:
            fig["data"].append(
                {
                    "type": "scatter",
                    "x": months,
                    "y": y.rolling(12, min_periods=12).mean().tolist(),
                    "mode": "lines",
                    "name": f"{name}: 12-month rolling average",
                    "line": {"dash": "dash"},
                    "hovertemplate": "%{x}: %{y:,.0f}<extra>12-month average</extra>",
                }
            )
    base_layout(fig, ctx, y_title="Events per month", below=axis_below(tick_lines=2))
    fig["layout"]["xaxis"] = dict(MONTH_AXIS)
    return set_alt(fig, f"{ctx.title}, line chart. " + "; ".join(alt) + ".")


def seasonality_figure(frame: pd.DataFrame, ctx: Context) -> Figure:
    """Average events per calendar month across the years in ``frame`` (month, count)."""
    y = shown_counts(frame)
    months = pd.to_numeric(frame["month"].str[5:7], errors="coerce")
    by_month = pd.DataFrame({"m": months, "y": y}).dropna().groupby("m")["y"].mean()
    if by_month.empty:
        return empty_figure(ctx, "No events for these filters")
    x = [MONTH_NAMES[int(m) - 1] for m in by_month.index]
    fig = figure(
        [
            {
                "type": "bar",
                "x": x,
                "y": by_month.round(1).tolist(),
                "marker": {"color": "#12436D"},
                "hovertemplate": "%{x}: %{y:,.1f} a month on average<extra></extra>",
            }
        ]
    )
    base_layout(fig, ctx, y_title="Average events per month", below=axis_below())
    fig["layout"]["xaxis"] = {"type": "category"}
    high, low = by_month.idxmax(), by_month.idxmin()
    return set_alt(
        fig,
        f"{ctx.title}, bar chart. Highest average in {MONTH_NAMES[int(high) - 1]} "
        f"({by_month.max():,.0f}), lowest in {MONTH_NAMES[int(low) - 1]} ({by_month.min():,.0f}).",
    )
