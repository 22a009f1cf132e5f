"""Data quality: coverage, completeness, timeliness, quarantine reasons and load history."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel
from etl.vintage import METHOD as VINTAGE_METHOD

dash.register_page(__name__, path="/quality", name="Data quality", order=6, title="Data quality")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data quality", "Every feed as the partners sent it: all districts and offences."
            ),
            grid(
                chart("quality-coverage", height=400, wide=True),
                panel("quality-completeness", "Completeness of key fields"),
                panel("quality-timeliness", "Timeliness"),
                panel("quality-reasons", "Why rows were quarantined", wide=True),
                panel("quality-codes", "Codes not in the definition", wide=True),
                panel("quality-history", "Load history", wide=True),
            ),
            html.H2("LSOA 2011 and 2021"),
            html.P(VINTAGE_METHOD, className="table-note"),
        ]
    )
