"""Influential-factors wiring: the chosen factor's scatter, all factors ranked, decile profile."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request, table_of
from dashboard.charts.factors import factor_options
from dashboard.data import WarehouseSource


def factors_outputs(source: WarehouseSource, query: str | None, choice: str | None) -> tuple:
    req = request(source, query)
    options = factor_options(req)
    if not isinstance(choice, str) or choice not in {o["value"] for o in options}:
        choice = "imd:imd"
    return (
        options,
        *figure_and_alt("factors-scatter", req, factor=choice),
        table_of("factors-ranked", req),
        *figure_and_alt("factors-deciles", req),
    )


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.FACTORS_CHOICE, "options"),
        Output(ids.FACTORS_SCATTER, "figure"),
        Output(ids.alt(ids.FACTORS_SCATTER), "children"),
        Output(ids.FACTORS_RANKED, "children"),
        Output(ids.FACTORS_DECILES, "figure"),
        Output(ids.alt(ids.FACTORS_DECILES), "children"),
        Input(ids.FILTERS, "data"),
        Input(ids.FACTORS_CHOICE, "value"),
    )
    def update(query, choice):
        return factors_outputs(source, query, choice)
