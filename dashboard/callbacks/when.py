"""When wiring: hour by weekday (with the night-time economy share), trend, seasons, police vs A&E."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.data import WarehouseSource
from dashboard.figures.heatmap import nte_share
from dashboard.queries.time import hour_by_weekday


def nte_sentence(share: float, total: int, minimum: int) -> str:
    if total < minimum:
        return "Too few events with a recorded time to give the night-time economy share."
    return (f"{share:.0%} of the {total:,} events with a recorded time happened in the "
            "night-time economy window (Friday and Saturday, 20:00 to 03:59), which is "
            f"{16 / 168:.0%} of the week's hours.")


def when_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    share, total = nte_share(req.q(hour_by_weekday, req.filters))
    nte = nte_sentence(share, total, req.rule.min_events_for_rate)
    heat = figure_and_alt("when-heatmap", req)
    return (*heat, nte, *figure_and_alt("when-monthly", req),
            *figure_and_alt("when-seasonality", req), *figure_and_alt("when-police-ae", req))


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.WHEN_HEATMAP, "figure"), Output(ids.alt(ids.WHEN_HEATMAP), "children"),
        Output(ids.WHEN_NTE, "children"),
        Output(ids.WHEN_TREND, "figure"), Output(ids.alt(ids.WHEN_TREND), "children"),
        Output(ids.WHEN_SEASON, "figure"), Output(ids.alt(ids.WHEN_SEASON), "children"),
        Output(ids.WHEN_COMPARE, "figure"), Output(ids.alt(ids.WHEN_COMPARE), "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query):
        return when_outputs(source, query)
