"""Disproportionality: rates by group as bars, and relative rate indices as dots with their
95% intervals on a log axis (1 = the reference group's rate)."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.figures import (
    Context,
    Figure,
    axis_below,
    base_layout,
    empty_figure,
    figure,
    set_alt,
)
from svcore.palette import CATEGORICAL, TEXT


def rri_figure(frame: pd.DataFrame, ctx: Context, label: str = "label") -> Figure:
    """``frame``: one row per group (``label``, ``rri``, ``rri_low``, ``rri_high``, ``flag``);
    groups without an RRI are listed in the alt text as not shown."""
    shown = frame.dropna(subset=["rri"])
    others = shown[shown["flag"] != "reference"]
    if others.empty:
        return empty_figure(
            ctx, "Too few published events to compare groups' rates for these filters"
        )
    rows = shown.iloc[::-1]  # the first group at the top
    flagged = rows["flag"].isin(["higher", "lower"])
    err_plus = (rows["rri_high"] - rows["rri"]).fillna(0).round(4).tolist()
    err_minus = (rows["rri"] - rows["rri_low"]).fillna(0).round(4).tolist()
    text = [
        "reference (1)"
        if f == "reference"
        else f"{r:.2f} ({lo:.2f} to {hi:.2f})" + (" *" if f in ("higher", "lower") else "")
        for r, lo, hi, f in zip(
            rows["rri"], rows["rri_low"], rows["rri_high"], rows["flag"], strict=True
        )
    ]
    fig = figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "x": rows["rri"].round(4).tolist(),
                "y": rows[label].tolist(),
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": err_plus,
                    "arrayminus": err_minus,
                    "color": TEXT,
                    "thickness": 1.5,
                    "width": 6,
                },
                "marker": {
                    "size": 11,
                    "color": [CATEGORICAL[2] if f else CATEGORICAL[0] for f in flagged],
                    "symbol": ["diamond" if f else "circle" for f in flagged],
                },
                "customdata": text,
                "hovertemplate": "%{y}: RRI %{customdata}<extra></extra>",
                "showlegend": False,
            }
        ]
    )
    base_layout(fig, ctx, below=axis_below(title_lines=1), margin={"l": 150})
    lows = [v for v in rows["rri_low"].tolist() + rows["rri"].tolist() if v == v and v > 0]
    highs = [v for v in rows["rri_high"].tolist() + rows["rri"].tolist() if v == v and v > 0]
    lo = math.log10(min(min(lows), 1.0)) - 0.1
    hi = math.log10(max(max(highs), 1.0)) + 0.1
    fig["layout"]["xaxis"] = {
        "type": "log",
        "range": [lo, hi],
        "title": {"text": "Relative rate index (log scale; 1 = reference group)"},
        "gridcolor": "#E5E5E5",
    }
    fig["layout"]["yaxis"] = {"type": "category", "automargin": True}
    fig["layout"]["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": 1,
            "x1": 1,
            "y0": 0,
            "y1": 1,
            "line": {"color": TEXT, "width": 1, "dash": "dash"},
        }
    ]
    words = [f"{lab}: {t}" for lab, t in zip(rows[label].iloc[::-1], text[::-1], strict=True)]
    missing = frame[frame["rri"].isna()][label].tolist()
    tail = f" Not shown (too few events): {', '.join(missing)}." if missing else ""
    return set_alt(
        fig,
        f"{ctx.title}, dot and interval chart on a log scale. " + "; ".join(words) + "." + tail,
    )


def grouped_rates_figure(
    frame: pd.DataFrame, category: str, series: str, ctx: Context, names: dict[str, str]
) -> Figure:
    """Bars of ``rate`` by ``category`` grouped by ``series`` (named by ``names``); a blank
    rate (too few events) is a gap."""
    if frame.empty or frame["rate"].isna().all():
        return empty_figure(ctx, "Too few events to show rates for these filters")
    fig = figure()
    for i, (key, part) in enumerate(frame.groupby(series, sort=False)):
        name = names.get(key, str(key))
        fig["data"].append(
            {
                "type": "bar",
                "x": part[category].astype(str).tolist(),
                "y": part["rate"].round(2).tolist(),
                "name": name,
                "marker": {"color": CATEGORICAL[i % len(CATEGORICAL)]},
                "hovertemplate": "%{x}: %{y:,.1f} per 1,000 a year<extra>" + name + "</extra>",
            }
        )
    base_layout(fig, ctx, y_title="Rate per 1,000 residents a year", below=axis_below())
    fig["layout"]["barmode"] = "group"
    fig["layout"]["xaxis"] = {"type": "category"}
    best = frame.dropna(subset=["rate"]).sort_values("rate").iloc[-1]
    return set_alt(
        fig,
        f"{ctx.title}, grouped bar chart. Highest: {names.get(best[series], best[series])} "
        f"{best[category]}, {best['rate']:,.1f} per 1,000 residents a year.",
    )
