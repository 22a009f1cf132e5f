"""Shares with their 95% intervals: bars by category, grouped bars, and lines over time.

Frames carry the published ``count`` (possibly ``[c]``) and ``share``, ``ci_low``,
``ci_high`` (fractions; NaN where no share may be shown). A category without a share has no
bar and says why in its text; error bars are the interval.
"""

from __future__ import annotations

import math

import pandas as pd

from dashboard.figures import (
    FONT_SIZE,
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
from dashboard.figures.bars import category_ticks
from svcore.disclosure import SUPPRESSED
from svcore.palette import CATEGORICAL

NO_SHARE = "too few for a share"
# Category names beside the bars wrap past this width (wider than a breakdown's: outcome names
# are long, and two lines fit a bar's slot where three run into the next).
SHARE_LABEL_WIDTH = 300
# Values start clear of the interval's whisker past the bar's end.
PAD = "\u00a0" * 3


def _pct(value: float) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and math.isnan(value))
        else round(100 * value, 2)
    )


def _name(labels: dict | None, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "Not recorded"
    return str((labels or {}).get(value, value))


def _text(count: object, share: float) -> str:
    if count == SUPPRESSED:
        return SUPPRESSED
    if pd.isna(share):
        return f"{int(count):,} ({NO_SHARE})" if count else "0"
    return f"{share:.1%} ({int(count):,})" if share < 0.1 else f"{share:.0%} ({int(count):,})"


def _errors(part: pd.DataFrame) -> dict:
    share = part["share"].astype("float64")
    return {
        "type": "data",
        "symmetric": False,
        "array": [_pct(v) for v in (part["ci_high"] - share)],
        "arrayminus": [_pct(v) for v in (share - part["ci_low"])],
        "color": "#3D3D3D",
        "thickness": 1.5,
        "width": 4,
    }


def share_bars_figure(
    frame: pd.DataFrame, category: str, ctx: Context, labels: dict | None = None
) -> Figure:
    """Horizontal bars of each category's share (first row at the top), with 95% intervals."""
    if frame.empty:
        return empty_figure(ctx, "No events for these filters")
    names = [_name(labels, v) for v in frame[category]]
    texts = [_text(c, s) for c, s in zip(frame["count"], frame["share"], strict=True)]
    order = list(range(len(frame)))[::-1]
    part = frame.iloc[order]
    shown = [names[i] for i in order]
    wrapped = ["<br>".join(wrap(n, SHARE_LABEL_WIDTH, FONT_SIZE)) for n in shown]
    label_px = max(text_width(line, FONT_SIZE) for w in wrapped for line in w.split("<br>"))
    text_px = max(text_width(PAD + t, FONT_SIZE) for t in texts)
    fig = figure(
        [
            {
                "type": "bar",
                "orientation": "h",
                "y": shown,
                "x": [_pct(v) for v in part["share"]],
                "error_x": _errors(part),
                "text": [PAD + texts[i] for i in order],
                "textposition": "outside",
                "cliponaxis": False,
                "marker": {"color": CATEGORICAL[0]},
                "hovertemplate": "%{y}: %{text}<extra></extra>",
            }
        ]
    )
    title, lines = axis_title("Share of events, % (bars: 95% interval)")
    base_layout(
        fig,
        ctx,
        below=axis_below(title_lines=lines),
        margin={"l": round(label_px + 16), "r": round(text_px + 24)},
    )
    fig["layout"]["xaxis"] = {"title": title, "gridcolor": "#E5E5E5", "rangemode": "tozero"}
    fig["layout"]["yaxis"] = {
        "title": {"text": ""},
        "type": "category",
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": wrapped,
        "automargin": True,
    }
    top = [f"{n} {t}" for n, t in zip(names, texts, strict=True)][:4]
    return set_alt(fig, f"{ctx.title}, bar chart of shares. " + "; ".join(top) + ".")


def share_series_figure(
    frame: pd.DataFrame,
    category: str,
    series: str,
    ctx: Context,
    series_labels: dict,
    category_labels: dict | None = None,
    lines: bool = False,
) -> Figure:
    """One trace per ``series`` value (e.g. charge rate, OOCD share) across ``category``
    (offence group, area, quarter): grouped bars, or ``lines`` over time, with 95% intervals."""
    if frame.empty or frame["share"].isna().all():
        return empty_figure(ctx, "Too few events to show shares for these filters")
    fig = figure()
    alt = []
    for i, (key, part) in enumerate(frame.groupby(series, sort=False)):
        name = series_labels.get(key, str(key))
        x = [_name(category_labels, v) for v in part[category]]
        trace = {
            "type": "scatter" if lines else "bar",
            "x": x,
            "y": [_pct(v) for v in part["share"]],
            "error_y": _errors(part),
            "name": name,
            "marker": {"color": CATEGORICAL[i % len(CATEGORICAL)]},
            "text": [_text(c, s) for c, s in zip(part["count"], part["share"], strict=True)],
            "hovertemplate": "%{x}: %{text}<extra>" + name + "</extra>",
        }
        if not lines:
            trace["textposition"] = "none"  # on hover: written on grouped bars it crowds them
        if lines:
            trace.update({"mode": "lines+markers", "connectgaps": False})
            trace["line"] = {"color": CATEGORICAL[i % len(CATEGORICAL)]}
        fig["data"].append(trace)
        shares = part["share"].astype("float64")
        if shares.notna().any():
            lo, hi = shares.idxmin(), shares.idxmax()
            low, high = (_name(category_labels, part[category][i]) for i in (lo, hi))
            alt.append(
                f"{name}: lowest {shares[lo]:.0%} ({low}), highest {shares[hi]:.0%} ({high})"
            )
    categories = list(dict.fromkeys(v for t in fig["data"] for v in t["x"]))
    ticks, tick_px = category_ticks(categories)
    base_layout(fig, ctx, y_title="Share of events, %", below=axis_below(tick_px=tick_px))
    fig["layout"]["xaxis"] = {"type": "category", "automargin": True, **ticks}
    if not lines:
        fig["layout"]["barmode"] = "group"
    kind = "line chart" if lines else "grouped bar chart"
    return set_alt(fig, f"{ctx.title}, {kind} with 95% intervals. " + "; ".join(alt) + ".")
