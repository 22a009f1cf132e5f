"""Age-sex pyramids: males to the left, females to the right, hidden bands left empty."""

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
from svcore.disclosure import SUPPRESSED, shown_counts
from svcore.palette import CATEGORICAL
from svcore.vocab import AGE_BANDS


def pyramid_figure(
    frame: pd.DataFrame, ctx: Context, sex: str = "sex", band: str = "age_band"
) -> Figure:
    """``frame``: sex (F/M; others are left out and said so), age band, count."""
    bands = [b for b, _, _ in AGE_BANDS]
    part = frame[frame[sex].isin(["F", "M"]) & frame[band].isin(bands)]
    if part.empty:
        return empty_figure(ctx, "No people with a recorded age and sex for these filters")
    fig = figure()
    alt = []
    for code, name, colour, sign in (
        ("M", "Male", CATEGORICAL[0], -1),
        ("F", "Female", CATEGORICAL[1], 1),
    ):
        rows = part[part[sex] == code].set_index(band).reindex(bands)
        y = shown_counts(rows.fillna({"count": 0}))
        text = [
            SUPPRESSED if c == SUPPRESSED else f"{int(v):,}"
            for c, v in zip(rows["count"].fillna(0), y.fillna(0), strict=True)
        ]
        fig["data"].append(
            {
                "type": "bar",
                "y": bands,
                "x": (sign * y).tolist(),
                "orientation": "h",
                "name": name,
                "marker": {"color": colour},
                "text": text,
                "customdata": text,
                "hovertemplate": name + " %{y}: %{customdata}<extra></extra>",
                "textposition": "none",
            }
        )
        if y.notna().any():
            alt.append(f"{name}s: most in {y.idxmax()} ({int(y.max()):,})")
    base_layout(fig, ctx, y_title="Age band", below=axis_below(title_lines=1))
    fig["layout"].update(barmode="relative", bargap=0.1)
    widest = float(max((abs(v) for t in fig["data"] for v in t["x"] if v == v), default=0) or 1)
    step = _nice_step(widest / 2)
    ticks = [k * step for k in range(-int(widest // step) - 1, int(widest // step) + 2)]
    fig["layout"]["xaxis"] = {
        "title": {"text": "Males ← people → Females"},
        "gridcolor": "#E5E5E5",
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [f"{abs(int(t)):,}" for t in ticks],
        "range": [-widest * 1.05, widest * 1.05],
    }
    fig["layout"]["yaxis"] = {
        "title": {"text": "Age band"},
        "gridcolor": "#E5E5E5",
        "type": "category",
    }
    other = frame[~frame[sex].isin(["F", "M"])]
    note = f" {len(other)} rows of other or unknown sex are not drawn." if len(other) else ""
    return set_alt(fig, f"{ctx.title}, population pyramid. " + "; ".join(alt) + "." + note)


def _nice_step(x: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) near ``x``."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if x <= m * power:
            return float(m * power)
    return float(10 * power)
