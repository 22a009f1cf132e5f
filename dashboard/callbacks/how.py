"""How wiring: one breakdown chart per dimension, all from the chart catalogue."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.data import WarehouseSource

HOW_CHARTS = {
    graph: ids.CHART_OF[graph]
    for graph in (
        ids.HOW_GROUP,
        ids.HOW_WEAPON,
        ids.HOW_LOCATION,
        ids.HOW_DOMESTIC,
        ids.HOW_RELATIONSHIP,
    )
}


def how_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    out: list = []
    for name in HOW_CHARTS.values():
        out += figure_and_alt(name, req)
    return tuple(out)


def register(app, source: WarehouseSource) -> None:
    outputs = []
    for chart_id in HOW_CHARTS:
        outputs += [Output(chart_id, "figure"), Output(ids.alt(chart_id), "children")]

    @app.callback(*outputs, Input(ids.FILTERS, "data"))
    def update(query):
        return how_outputs(source, query)
