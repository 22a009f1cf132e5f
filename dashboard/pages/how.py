"""How: offence group, weapon or assault method, location, domestic abuse, relationship."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header

dash.register_page(__name__, path="/how", name="How", order=3, title="How")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "How serious violence happens",
                "Offence groups, weapons, places and relationships. Click a bar of offence "
                "group, weapon or location to filter every page by it.",
            ),
            grid(
                chart("how-offence-group"),
                chart("how-weapon"),
                chart("how-location"),
                chart("how-domestic-abuse"),
                chart("how-relationship", caption="A&E records the relationship to the assailant."),
            ),
        ]
    )
