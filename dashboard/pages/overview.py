"""Overview: headline counts, the monthly trend and what is loaded. Layout only."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(__name__, path="/", name="Overview", order=0)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Serious violence: overview"),
            html.Div(id=ids.FILTER_MESSAGES, role="status"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_HEADLINE, className="headline")),
            dcc.Loading(
                dcc.Graph(
                    id=ids.OVERVIEW_TREND,
                    config={"displaylogo": False},
                    style={"height": "460px"},
                )
            ),
            html.H2("What is loaded"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_FEEDS)),
        ]
    )
