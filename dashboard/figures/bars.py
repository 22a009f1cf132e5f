"""Breakdowns as horizontal bars, largest first; hidden counts show as "[c]" with no bar."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import Context, base_layout, empty_figure, set_alt
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import CATEGORICAL
from svcore.vocab import label


def breakdown_figure(
    frame: pd.DataFrame,
    dimension: str,
    ctx: Context,
    labels: dict[str, str] | None = None,
    percent: bool = True,
    min_events_for_share: int = 10,
    unit: str = "Events",
    ordered: bool = False,
) -> go.Figure:
    """``frame``: ``dimension``, count. Bars with the count and (when safe) the share."""
    if frame.empty:
        return empty_figure(ctx, "No events for these filters")
    names = [
        (labels or {}).get(v, label(dimension, v)) if v is not None else "Not recorded"
        for v in frame[dimension]
    ]
    y = shown_counts(frame)
    total = float(y.sum())
    texts = []
    for raw, value in zip(frame["count"], y, strict=True):
        if raw == SUPPRESSED:
            texts.append(SUPPRESSED)
        elif percent and total >= min_events_for_share and value >= min_events_for_share:
            texts.append(f"{int(value):,} ({value / total:.0%})")
        else:
            texts.append(f"{int(value):,}")
    if ordered:  # a natural order (ages, risk levels): keep it, first at the top
        order = pd.Index(range(len(y)))[::-1]
    else:
        order = (
            pd.Series(y.fillna(0).to_numpy(), index=range(len(y))).sort_values(kind="stable").index
        )
    fig = go.Figure(
        go.Bar(
            y=[names[i] for i in order],
            x=[y.iloc[i] for i in order],
            text=[texts[i] for i in order],
            textposition="outside",
            cliponaxis=False,
            orientation="h",
            marker_color=CATEGORICAL[0],
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    base_layout(fig, ctx)
    fig.update_layout(margin={"l": 200, "r": 80})
    fig.update_xaxes(title=unit, gridcolor="#E5E5E5")
    fig.update_yaxes(title=None, rangemode=None)
    top = [f"{names[i]} {texts[i]}" for i in list(order)[::-1][:3]]
    return set_alt(fig, f"{ctx.title}, bar chart. Largest: " + "; ".join(top) + ".")


def grouped_bars_figure(
    frame: pd.DataFrame, category: str, series: str, ctx: Context, y_title: str = "Events"
) -> go.Figure:
    """Bars of ``category`` grouped by ``series`` (e.g. source), counts possibly ``[c]``."""
    if frame.empty:
        return empty_figure(ctx, "No events for these filters")
    fig = go.Figure()
    for i, (key, part) in enumerate(frame.groupby(series, sort=False)):
        fig.add_trace(
            go.Bar(
                x=[label(category, v) for v in part[category]],
                y=shown_counts(part),
                name=label(series, key),
                marker_color=CATEGORICAL[i % len(CATEGORICAL)],
                text=[SUPPRESSED if c == SUPPRESSED else "" for c in part["count"]],
                hovertemplate="%{x}: %{y:,}<extra>" + label(series, key) + "</extra>",
            )
        )
    base_layout(fig, ctx, y_title=y_title)
    fig.update_layout(barmode="group")
    return set_alt(fig, f"{ctx.title}, grouped bar chart by {series}.")


def rate_bars_figure(frame: pd.DataFrame, x: str, ctx: Context, x_title: str) -> go.Figure:
    """Ordered vertical bars of ``rate`` by ``x`` (e.g. deprivation decile); NaN rates are gaps."""
    if frame.empty or frame["rate"].isna().all():
        return empty_figure(ctx, "Too few events to show rates for these filters")
    fig = go.Figure(
        go.Bar(
            x=frame[x].astype(str),
            y=frame["rate"].round(2),
            marker_color=CATEGORICAL[0],
            text=[("" if pd.isna(r) else f"{r:,.1f}") for r in frame["rate"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=x_title + " %{x}: %{y:,.1f} per 1,000 a year<extra></extra>",
        )
    )
    base_layout(fig, ctx, y_title="Rate per 1,000 residents a year")
    fig.update_xaxes(title=x_title, type="category")
    shown = frame.dropna(subset=["rate"])
    first, last = shown.iloc[0], shown.iloc[-1]
    return set_alt(
        fig,
        f"{ctx.title}, bar chart. {x_title} {shown[x].iloc[0]}: {first['rate']:,.1f}; "
        f"{x_title} {shown[x].iloc[-1]}: {last['rate']:,.1f} per 1,000 residents a year.",
    )
