"""Where: the map by district, ward or LSOA, top areas, hotspots and the police vs A&E gap."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel
from dashboard.widgets import page_controls

dash.register_page(__name__, path="/where", name="Where", order=1, title="Where")


def layout(**query: str) -> html.Div:
    """``/where?level=lsoa&measure=count`` opens the map as it was bookmarked."""
    controls = page_controls("/where", query)
    return html.Div(
        [
            page_header(
                "Where serious violence happens",
                "Click an area on the map to drill down from district to ward to LSOA.",
            ),
            controls,
            grid(chart("where-map", height=640), panel("where-top", "Top areas"), lead=True),
            html.H2("Hotspots"),
            html.P(
                "Getis-Ord Gi* on LSOA rates with each area's 8 nearest neighbours: a hot "
                "spot is an area that, with its neighbours, has a significantly high rate.",
                className="lead",
            ),
            grid(
                chart("where-hotspots", height=640),
                panel("where-hotspot-table", "Hot spots"),
                lead=True,
            ),
            html.H2("Violence that reaches hospital but not police records"),
            html.P(
                "A&E assault attendances beside police-recorded violence with injury, by area "
                "(the Cardiff Model gap).",
                className="lead",
            ),
            grid(chart("where-gap"), panel("where-gap-table", "The gap by area")),
        ]
    )
