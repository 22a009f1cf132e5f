"""When: hour by day of week, monthly trend and seasonality, police beside A&E."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, page_header

dash.register_page(__name__, path="/when", name="When", order=2, title="When")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "When serious violence happens",
                "Time of day and week, months and seasons, and police beside A&E.",
            ),
            chart(ids.WHEN_HEATMAP, height=420),
            dcc.Loading(html.P(id=ids.WHEN_NTE, className="stat"), delay_show=300),
            chart(ids.WHEN_TREND),
            chart(ids.WHEN_SEASON, height=380),
            chart(ids.WHEN_COMPARE),
        ]
    )
