"""Overview: headline count and rate, change on last year, per-source totals, what is loaded."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, page_header

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header("Serious violence: overview",
                        "Headline figures for the filters above, and what data is loaded."),
            dcc.Loading(html.Div(id=ids.OVERVIEW_HEADLINE, className="headline"), delay_show=300),
            chart(ids.OVERVIEW_TREND),
            html.H2("By source"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_SOURCES), delay_show=300),
            html.H2("What is loaded"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_FEEDS), delay_show=300),
        ]
    )
