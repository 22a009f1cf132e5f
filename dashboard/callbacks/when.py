"""When wiring: hour by weekday (with the night-time economy sentence), trend, seasons, police vs A&E."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request, text_of
from dashboard.data import WarehouseSource


def when_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    return (
        *figure_and_alt("when-heatmap", req),
        text_of("when-nte", req),
        *figure_and_alt("when-monthly", req),
        *figure_and_alt("when-seasonality", req),
        *figure_and_alt("when-police-ae", req),
    )


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.WHEN_HEATMAP, "figure"),
        Output(ids.alt(ids.WHEN_HEATMAP), "children"),
        Output(ids.WHEN_NTE, "children"),
        Output(ids.WHEN_TREND, "figure"),
        Output(ids.alt(ids.WHEN_TREND), "children"),
        Output(ids.WHEN_SEASON, "figure"),
        Output(ids.alt(ids.WHEN_SEASON), "children"),
        Output(ids.WHEN_COMPARE, "figure"),
        Output(ids.alt(ids.WHEN_COMPARE), "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query):
        return when_outputs(source, query)
