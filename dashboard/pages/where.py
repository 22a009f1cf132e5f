"""Where: the map by district, ward or LSOA, top areas, hotspots, persistent places and the
police vs A&E gap."""

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
            html.H2("Persistent places"),
            html.P(
                "Hot spots year after year: Gi* run on each calendar year's LSOA rates, and "
                "the number of years each LSOA was a significant hot spot (95% confidence). "
                "Partner feeds hold no address, so repeat locations are location types in a "
                "ward (in an LSOA when one ward is chosen) that are among the busiest in more "
                "than one year.",
                className="lead",
            ),
            grid(
                chart("where-persistent-hotspots", height=640),
                panel("where-persistent-table", "Persistent hot spots"),
                lead=True,
            ),
            grid(
                panel("where-location-types", "Location types by year"),
                panel("where-repeat-locations", "Repeat locations"),
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
