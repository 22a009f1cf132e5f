"""Who wiring: pyramids, ethnicity and the cohort profiles, from the chart catalogue."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.data import WarehouseSource

WHO_CHARTS = {
    graph: ids.CHART_OF[graph]
    for graph in (
        ids.WHO_VICTIMS,
        ids.WHO_SUSPECTS,
        ids.WHO_ETHNICITY,
        ids.WHO_PROBATION,
        ids.WHO_PROBATION_OFFENCE,
        ids.WHO_YOUTH,
        ids.WHO_REPEAT,
    )
}


def who_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    out: list = []
    for name in WHO_CHARTS.values():
        out += figure_and_alt(name, req)
    return tuple(out)


def register(app, source: WarehouseSource) -> None:
    outputs = []
    for chart_id in WHO_CHARTS:
        outputs += [Output(chart_id, "figure"), Output(ids.alt(chart_id), "children")]

    @app.callback(*outputs, Input(ids.FILTERS, "data"))
    def update(query):
        return who_outputs(source, query)
