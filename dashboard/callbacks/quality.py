"""Data-quality wiring: coverage grid, completeness, timeliness, reasons and load history."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request, table_of
from dashboard.data import WarehouseSource


def quality_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query, page="/quality")
    return (
        *figure_and_alt("quality-coverage", req),
        table_of("quality-completeness", req),
        table_of("quality-timeliness", req),
        table_of("quality-reasons", req),
        table_of("quality-history", req),
        table_of("quality-codes", req),
    )


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.QUALITY_COVERAGE, "figure"),
        Output(ids.alt(ids.QUALITY_COVERAGE), "children"),
        Output(ids.QUALITY_COMPLETENESS, "children"),
        Output(ids.QUALITY_TIMELINESS, "children"),
        Output(ids.QUALITY_REASONS, "children"),
        Output(ids.QUALITY_HISTORY, "children"),
        Output(ids.QUALITY_UNKNOWN_CODES, "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query):
        return quality_outputs(source, query)
