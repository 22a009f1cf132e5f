"""Data quality: coverage, completeness, timeliness, quarantine reasons and load history."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, page_header
from etl.vintage import METHOD as VINTAGE_METHOD

dash.register_page(__name__, path="/quality", name="Data quality", order=6, title="Data quality")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data quality", "Every feed as the partners sent it: all districts and offences."
            ),
            chart(ids.QUALITY_COVERAGE, height=360),
            html.H2("Completeness of key fields"),
            dcc.Loading(html.Div(id=ids.QUALITY_COMPLETENESS), delay_show=300),
            html.H2("Timeliness"),
            dcc.Loading(html.Div(id=ids.QUALITY_TIMELINESS), delay_show=300),
            html.H2("Why rows were quarantined"),
            dcc.Loading(html.Div(id=ids.QUALITY_REASONS), delay_show=300),
            html.H2("Codes not in the definition"),
            dcc.Loading(html.Div(id=ids.QUALITY_UNKNOWN_CODES), delay_show=300),
            html.H2("Load history"),
            dcc.Loading(html.Div(id=ids.QUALITY_HISTORY), delay_show=300),
            html.H2("LSOA 2011 and 2021"),
            html.P(VINTAGE_METHOD, className="table-note"),
        ]
    )
