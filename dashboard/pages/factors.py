"""Influential factors: the violence rate against deprivation and other area indicators."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, dropdown_field, grid, page_header, panel
from dashboard.controls import from_query
from dashboard.queries.factors import IMD_DOMAINS

dash.register_page(
    __name__, path="/factors", name="Influential factors", order=5, title="Influential factors"
)


def layout(**query: str) -> html.Div:
    """``/factors?factor=imd:income`` opens with that factor chosen."""
    factor = from_query("/factors", query)["factor"]
    # IMD domains are known up front; loaded indicators are added by callback. A bookmarked
    # indicator is offered at once too, or the dropdown would drop the value it has no option for.
    options = [
        {"label": f"IMD 2019: {name}", "value": f"imd:{key}"} for key, name in IMD_DOMAINS.items()
    ]
    if factor not in {o["value"] for o in options}:
        options.append({"label": factor, "value": factor})
    return html.Div(
        [
            page_header(
                "Influential factors",
                "How the violence rate goes with deprivation and other area indicators. "
                "Correlation is not causation: these are areas, not people.",
            ),
            dropdown_field(
                "Factor",
                dcc.Dropdown(id=ids.FACTORS_CHOICE, value=factor, clearable=False, options=options),
                class_name="field field-wide",
            ),
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
