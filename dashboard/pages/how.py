"""How: offence group, weapon or assault method, location, domestic abuse, relationship."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard.components import chart, page_header

dash.register_page(__name__, path="/how", name="How", order=3, title="How")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "How serious violence happens", "Offence groups, weapons, places and relationships."
            ),
            chart(ids.HOW_GROUP),
            chart(ids.HOW_WEAPON),
            chart(ids.HOW_LOCATION),
            chart(ids.HOW_DOMESTIC, height=300),
            chart(ids.HOW_RELATIONSHIP, caption="A&E records the relationship to the assailant."),
        ]
    )
