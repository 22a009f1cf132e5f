"""When: hour by day of week, monthly trend and seasonality, police beside A&E."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel

dash.register_page(__name__, path="/when", name="When", order=2, title="When")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "When serious violence happens",
                "Time of day and week, months and seasons, and police beside A&E. Click a "
                "cell of the heatmap to filter every page by that day and hour.",
            ),
            grid(
                chart("when-heatmap", height=460),
                chart("when-monthly"),
                panel("when-nte", class_name="stat", wide=True),
                chart("when-seasonality"),
                chart("when-police-ae"),
            ),
        ]
    )
