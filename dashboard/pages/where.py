"""Where: the map by district, ward or LSOA, top areas, hotspots, persistent places and the
police vs A&E gap."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import chart, grid, page_header, panel
from dashboard.controls import from_query

dash.register_page(__name__, path="/where", name="Where", order=1, title="Where")


def layout(**query: str) -> html.Div:
    """``/where?level=lsoa&measure=count`` opens the map as it was bookmarked."""
    values = from_query("/where", query)
    # dbc.RadioItems, not dcc.RadioItems: Dash 4's renders a role="listbox" of
    # role="option" labels wrapping radio inputs (nested interactive controls, a nameless
    # listbox); dbc's are plain native radios with <label for>, one group per `name`.
    controls = html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("Map areas"),
                    dbc.RadioItems(
                        id=ids.WHERE_LEVEL,
                        name=ids.WHERE_LEVEL,
                        value=values["level"],
                        inline=True,
                        options=[
                            {"label": "Follow filters", "value": "auto"},
                            {"label": "Districts", "value": "district"},
                            {"label": "Wards", "value": "ward"},
                            {"label": "LSOAs", "value": "lsoa"},
                        ],
                    ),
                ],
                className="control-group",
            ),
            html.Fieldset(
                [
                    html.Legend("Shade by"),
                    dbc.RadioItems(
                        id=ids.WHERE_MEASURE,
                        name=ids.WHERE_MEASURE,
                        value=values["measure"],
                        inline=True,
                        options=[
                            {"label": "Rate per 1,000 residents", "value": "rate"},
                            {"label": "Count", "value": "count"},
                        ],
                    ),
                ],
                className="control-group",
            ),
        ],
        className="controls",
    )
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
