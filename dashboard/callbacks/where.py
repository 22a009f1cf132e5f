"""Where wiring: map, top areas, hotspots and the police vs A&E gap; map clicks drill down."""

from __future__ import annotations

from dash import Input, Output, State, no_update

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request, table_of
from dashboard.data import WarehouseSource


def map_outputs(source: WarehouseSource, query: str | None, level: str, measure: str) -> tuple:
    req = request(source, query)
    fig, alt = figure_and_alt("where-map", req, level=level, measure=measure)
    return fig, alt, table_of("where-top", req, level=level)


def hotspot_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    return (*figure_and_alt("where-hotspots", req), table_of("where-hotspot-table", req))


def gap_outputs(source: WarehouseSource, query: str | None, level: str) -> tuple:
    req = request(source, query)
    return (
        *figure_and_alt("where-gap", req, level=level),
        table_of("where-gap-table", req, level=level),
    )


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.WHERE_MAP, "figure"),
        Output(ids.alt(ids.WHERE_MAP), "children"),
        Output(ids.WHERE_TOP, "children"),
        Input(ids.FILTERS, "data"),
        Input(ids.WHERE_LEVEL, "value"),
        Input(ids.WHERE_MEASURE, "value"),
    )
    def update_map(query, level, measure):
        level = level if level in ("auto", "district", "ward", "lsoa") else "auto"
        return map_outputs(
            source, query, level, measure if measure in ("rate", "count") else "rate"
        )

    @app.callback(
        Output(ids.WHERE_HOTSPOTS, "figure"),
        Output(ids.alt(ids.WHERE_HOTSPOTS), "children"),
        Output(ids.WHERE_HOTSPOT_TABLE, "children"),
        Input(ids.FILTERS, "data"),
    )
    def update_hotspots(query):
        return hotspot_outputs(source, query)

    @app.callback(
        Output(ids.WHERE_GAP, "figure"),
        Output(ids.alt(ids.WHERE_GAP), "children"),
        Output(ids.WHERE_GAP_TABLE, "children"),
        Input(ids.FILTERS, "data"),
        Input(ids.WHERE_LEVEL, "value"),
    )
    def update_gap(query, level):
        return gap_outputs(
            source, query, level if level in ("auto", "district", "ward") else "auto"
        )

    @app.callback(
        Output(ids.F_DISTRICT, "value", allow_duplicate=True),
        Output(ids.F_WARD, "value", allow_duplicate=True),
        Output(ids.WHERE_LEVEL, "value"),
        Input(ids.WHERE_MAP, "clickData"),
        State(ids.F_DISTRICT, "value"),
        State(ids.F_WARD, "value"),
        prevent_initial_call=True,
    )
    def drill(click, districts, wards):
        """District -> its wards; ward -> its LSOAs. Deeper clicks do nothing."""
        try:
            code = click["points"][0]["customdata"][0]
        except (TypeError, KeyError, IndexError):
            return no_update, no_update, no_update
        if isinstance(code, str) and code[:3] in ("E08", "E06", "E07", "E09", "W06"):
            return [code], [], "auto"
        if isinstance(code, str) and code[:3] in ("E05", "W05"):
            return no_update, [code], "auto"
        return no_update, no_update, no_update
