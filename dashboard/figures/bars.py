"""Breakdowns as horizontal bars, largest first; hidden counts show as "[c]" with no bar."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.figures import (
    FONT_SIZE,
    LINE,
    PLOT_WIDTH,
    Context,
    Figure,
    axis_below,
    axis_title,
    base_layout,
    empty_figure,
    figure,
    set_alt,
    text_width,
    wrap,
)
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import CATEGORICAL
from svcore.vocab import label

# Category labels beside horizontal bars wrap onto more lines past this width, so the bars
# keep at least half of a 560 px card.
LABEL_WIDTH = 190
# Category labels along an x axis are cut to this many characters (the full name is on hover).
MAX_TICK_CHARS = 24


def breakdown_figure(
    frame: pd.DataFrame,
    dimension: str,
    ctx: Context,
    labels: dict[str, str] | None = None,
    percent: bool = True,
    min_events_for_share: int = 10,
    unit: str = "Events",
    ordered: bool = False,
) -> Figure:
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
        order = list(range(len(y)))[::-1]
    else:
        order = list(
            pd.Series(y.fillna(0).to_numpy(), index=range(len(y))).sort_values(kind="stable").index
        )
    values = y.tolist()
    shown_names = [names[i] for i in order]
    # Long labels wrap beside the bar (the axis keeps the full name, for hover and the data).
    wrapped = ["<br>".join(wrap(n, LABEL_WIDTH, FONT_SIZE)) for n in shown_names]
    label_px = max(text_width(line, FONT_SIZE) for w in wrapped for line in w.split("<br>"))
    # Values are written outside the bar's end: the longest bar's text sits in the margin.
    text_px = max(text_width(t, FONT_SIZE) for t in texts)
    fig = figure(
        [
            {
                "type": "bar",
                "y": shown_names,
                "x": [values[i] for i in order],
                "text": [texts[i] for i in order],
                "textposition": "outside",
                "cliponaxis": False,
                "orientation": "h",
                "marker": {"color": CATEGORICAL[0]},
                "hovertemplate": "%{y}: %{text}<extra></extra>",
            }
        ]
    )
    title, title_lines = axis_title(unit)
    base_layout(
        fig,
        ctx,
        below=axis_below(title_lines=title_lines),
        margin={"l": round(label_px + 16), "r": round(text_px + 16)},
    )
    layout = fig["layout"]
    layout["xaxis"] = {"title": title, "gridcolor": "#E5E5E5"}
    layout["yaxis"] = {
        "title": {"text": ""},
        "gridcolor": "#E5E5E5",
        "type": "category",
        "tickmode": "array",
        "tickvals": shown_names,
        "ticktext": wrapped,
        "automargin": True,
    }
    top = [f"{names[i]} {texts[i]}" for i in order[::-1][:3]]
    return set_alt(fig, f"{ctx.title}, bar chart. Largest: " + "; ".join(top) + ".")


def category_ticks(categories: list[str], plot_width: float = PLOT_WIDTH) -> tuple[dict, float]:
    """How to write category labels along an x axis so they neither overlap nor run into the
    note under the chart: level when they fit their slot, else cut to ``MAX_TICK_CHARS`` and
    turned (45 degrees, or upright when there are many). Returns the axis settings and the
    height the labels take, for ``axis_below``."""
    if not categories:
        return {}, FONT_SIZE * LINE
    slot = plot_width / len(categories)
    widest = max(text_width(c, FONT_SIZE) for c in categories)
    if widest <= slot * 0.9:
        return {"tickangle": 0}, FONT_SIZE * LINE
    size = FONT_SIZE if slot >= FONT_SIZE * LINE else 11
    angle = -45 if slot >= size * LINE * 1.5 else -90
    cut = MAX_TICK_CHARS if angle == -45 else MAX_TICK_CHARS - 4  # upright: many, keep short
    short = [c if len(c) <= cut else c[: cut - 1].rstrip() + "…" for c in categories]
    widest = max(text_width(c, size) for c in short)
    rad = math.radians(-angle)
    height = widest * math.sin(rad) + size * LINE * math.cos(rad)
    axis = {
        "tickangle": angle,
        "tickmode": "array",
        "tickvals": categories,
        "ticktext": short,
        "tickfont": {"size": size},
    }
    return axis, height


def grouped_bars_figure(
    frame: pd.DataFrame, category: str, series: str, ctx: Context, y_title: str = "Events"
) -> Figure:
    """Bars of ``category`` grouped by ``series`` (e.g. source), counts possibly ``[c]``."""
    if frame.empty:
        return empty_figure(ctx, "No events for these filters")
    fig = figure()
    for i, (key, part) in enumerate(frame.groupby(series, sort=False)):
        name = label(series, key)
        fig["data"].append(
            {
                "type": "bar",
                "x": [label(category, v) for v in part[category]],
                "y": shown_counts(part).tolist(),
                "name": name,
                "marker": {"color": CATEGORICAL[i % len(CATEGORICAL)]},
                "text": [SUPPRESSED if c == SUPPRESSED else "" for c in part["count"]],
                "hovertemplate": "%{x}: %{y:,}<extra>" + name + "</extra>",
            }
        )
    categories = list(dict.fromkeys(x for t in fig["data"] for x in t["x"]))
    ticks, tick_px = category_ticks(categories)
    base_layout(fig, ctx, y_title=y_title, below=axis_below(tick_px=tick_px))
    fig["layout"]["barmode"] = "group"
    fig["layout"]["xaxis"] = {"type": "category", "automargin": True, **ticks}
    return set_alt(fig, f"{ctx.title}, grouped bar chart by {series}.")


def rate_bars_figure(frame: pd.DataFrame, x: str, ctx: Context, x_title: str) -> Figure:
    """Ordered vertical bars of ``rate`` by ``x`` (e.g. deprivation decile); NaN rates are gaps."""
    if frame.empty or frame["rate"].isna().all():
        return empty_figure(ctx, "Too few events to show rates for these filters")
    fig = figure(
        [
            {
                "type": "bar",
                "x": frame[x].astype(str).tolist(),
                "y": frame["rate"].round(2).tolist(),
                "marker": {"color": CATEGORICAL[0]},
                "text": [("" if pd.isna(r) else f"{r:,.1f}") for r in frame["rate"]],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": x_title + " %{x}: %{y:,.1f} per 1,000 a year<extra></extra>",
            }
        ]
    )
    title, title_lines = axis_title(x_title)
    base_layout(
        fig,
        ctx,
        y_title="Rate per 1,000 residents a year",
        below=axis_below(title_lines=title_lines),
        headroom=FONT_SIZE * LINE,
    )
    fig["layout"]["xaxis"] = {"title": title, "type": "category"}
    shown = frame.dropna(subset=["rate"])
    first, last = shown.iloc[0], shown.iloc[-1]
    return set_alt(
        fig,
        f"{ctx.title}, bar chart. {x_title} {shown[x].iloc[0]}: {first['rate']:,.1f}; "
        f"{x_title} {shown[x].iloc[-1]}: {last['rate']:,.1f} per 1,000 residents a year.",
    )
