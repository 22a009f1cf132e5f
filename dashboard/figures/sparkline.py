"""A headline card's sparkline: the last months' published counts as a small line, no axes.

A plain figure dictionary (the plotly JSON schema): a card draws one per source, and building
it through ``graph_objects`` would cost more than the rest of the card.
"""

from __future__ import annotations

from collections.abc import Sequence

from svcore.palette import CATEGORICAL


def sparkline_figure(months: Sequence[str], counts: Sequence[float | None], label: str) -> dict:
    """``counts`` as published (hidden months as None: a gap in the line, never a guess)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(months),
                "y": [None if c is None or c != c else float(c) for c in counts],
                "line": {"color": CATEGORICAL[0], "width": 2},
                "hovertemplate": "%{x}: %{y:,}<extra></extra>",
                "connectgaps": False,
            }
        ],
        "layout": {
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "height": 48,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "rangemode": "tozero"},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "meta": {"alt": f"{label}: monthly counts, {months[0]} to {months[-1]}."}
            if len(months)
            else {"alt": f"{label}: no months to draw."},
        },
    }
