"""Overview wiring: the headline, trend and tables are catalogue views; this only lays them out."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request, table_of
from dashboard.charts.catalogue import build
from dashboard.data import WarehouseSource


def overview_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    head = build("overview-headline", req).meta
    fig, alt = figure_and_alt("overview-trend", req)
    headline_block = html.Div(
        [
            html.Div(
                [
                    html.Span(head["number"], className="headline-number"),
                    html.Span(head["label"], className="headline-label"),
                ]
            ),
            html.Ul([html.Li(x) for x in head["facts"]]),
            html.P(head["note"], className="table-note"),
        ]
    )
    return (
        headline_block,
        fig,
        alt,
        table_of("overview-sources", req),
        table_of("overview-feeds", req),
    )


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.OVERVIEW_HEADLINE, "children"),
        Output(ids.OVERVIEW_TREND, "figure"),
        Output(ids.alt(ids.OVERVIEW_TREND), "children"),
        Output(ids.OVERVIEW_SOURCES, "children"),
        Output(ids.OVERVIEW_FEEDS, "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query: str | None):
        return overview_outputs(source, query)
