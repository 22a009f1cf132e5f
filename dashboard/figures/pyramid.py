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
    frame: pd.DataFrame,
    ctx: Context,
    sex: str = "sex",
    band: str = "age_band",
    measure: str = "count",
) -> Figure:
    """``frame``: sex (F/M; others are left out and said so), age band, count, and ``rate``
    (per 1,000 residents a year) when ``measure`` is "rate": bars of rates, blank where a
    band has too few events."""
    rate = measure == "rate"
    bands = [b for b, _, _ in AGE_BANDS]
    part = frame[frame[sex].isin(["F", "M"]) & frame[band].isin(bands)]
    if part.empty:
        return empty_figure(ctx, "No people with a recorded age and sex for these filters")
    if rate and pd.to_numeric(part["rate"], errors="coerce").isna().all():
        return empty_figure(
            ctx, "Too few events, or no residents by age and sex, to show rates for these filters"
        )
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
        if rate:
            y = pd.to_numeric(rows["rate"], errors="coerce").round(2)
            text = ["too few" if v != v else f"{v:,.1f}" for v in y]
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
        if y.notna().any() and rate:
            alt.append(f"{name}s: highest rate in {y.idxmax()} ({y.max():,.1f} per 1,000)")
        elif y.notna().any():
            alt.append(f"{name}s: most in {y.idxmax()} ({int(y.max()):,})")
    base_layout(fig, ctx, y_title="Age band", below=axis_below(title_lines=1))
    fig["layout"].update(barmode="relative", bargap=0.1)
    widest = float(max((abs(v) for t in fig["data"] for v in t["x"] if v == v), default=0) or 1)
    step = _nice_step(widest / 2)
    ticks = [k * step for k in range(-int(widest // step) - 1, int(widest // step) + 2)]
    word = "rate per 1,000 a year" if rate else "people"
    fig["layout"]["xaxis"] = {
        "title": {"text": f"Males ← {word} → Females"},
        "gridcolor": "#E5E5E5",
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [f"{abs(t):,.{1 if rate and step < 1 else 0}f}" for t in ticks],
        "range": [-widest * 1.05, widest * 1.05],
    }
    fig["layout"]["yaxis"] = {
        "title": {"text": "Age band"},
        "gridcolor": "#E5E5E5",
        "type": "category",
    }
    other = frame[~frame[sex].isin(["F", "M"])]
    note = f" {len(other)} rows of other or unknown sex are not drawn." if len(other) else ""
    kind = "pyramid of rates per 1,000 residents a year" if rate else "population pyramid"
    return set_alt(fig, f"{ctx.title}, {kind}. " + "; ".join(alt) + "." + note)


def _nice_step(x: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) near ``x``."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if x <= m * power:
            return float(m * power)
    return float(10 * power)
