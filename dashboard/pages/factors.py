"""Influential factors: the violence rate against deprivation and other area indicators."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel
from dashboard.widgets import page_controls

dash.register_page(
    __name__, path="/factors", name="Influential factors", order=5, title="Influential factors"
)


def layout(**query: str) -> html.Div:
    """``/factors?factor=imd:income`` opens with that factor chosen."""
    return html.Div(
        [
            page_header(
                "Influential factors",
                "How the violence rate goes with deprivation and other area indicators. "
                "Correlation is not causation: these are areas, not people.",
            ),
            page_controls("/factors", query),
            grid(
                chart("factors-scatter", height=520),
                chart("factors-deciles", height=520),
                panel(
                    "factors-ranked",
                    "All factors ranked by the strength of the evidence",
                    wide=True,
                ),
            ),
            html.H2("Area risk index"),
            html.P(
                "Public indicators combined into one score per LSOA, beside the violence rate: "
                "high-risk areas with high violence, and high-risk areas where violence is not "
                "(yet) high.",
                className="lead",
            ),
            grid(
                chart("factors-risk-index-map", height=640),
                panel("factors-risk-index-table", "Highest-risk areas"),
                lead=True,
            ),
            grid(
                chart("factors-risk-quadrants", height=520),
                panel("factors-risk-method", "How the index is built", class_name="stat"),
            ),
        ]
    )
