"""When wiring: hour by weekday (with the night-time economy share), trend, seasons, police vs A&E."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import request, with_alt
from dashboard.data import WarehouseSource
from dashboard.figures.heatmap import hour_weekday_figure, nte_share
from dashboard.figures.trend import seasonality_figure, trend_figure
from dashboard.queries.time import hour_by_weekday, monthly, police_and_health_monthly
from svcore.disclosure import suppress_counts


def when_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    f = req.filters
    hw = req.q(hour_by_weekday, f)
    share, total = nte_share(hw)
    if total >= req.rule.min_events_for_rate:
        nte = (f"{share:.0%} of the {total:,} events with a recorded time happened in the "
               "night-time economy window (Friday and Saturday, 20:00 to 03:59), which is "
               f"{16 / 168:.0%} of the week's hours.")
    else:
        nte = "Too few events with a recorded time to give the night-time economy share."
    heat, heat_alt = with_alt(hour_weekday_figure(
        suppress_counts(hw, req.rule), req.context("Serious violence by hour and day of week")))
    trend_frame = suppress_counts(req.q(monthly, f), req.rule)
    trend, trend_alt = with_alt(trend_figure(trend_frame, req.context("Serious violence by month")))
    season, season_alt = with_alt(seasonality_figure(
        trend_frame if f.source else trend_frame.iloc[0:0],
        req.context("Seasonality: average events in each calendar month")))
    both = req.q(police_and_health_monthly, f)
    parts = [suppress_counts(part, req.rule_for(src)) for src, part in both.groupby("source", sort=False)]
    compare_frame = pd.concat(parts) if parts else both
    compare, compare_alt = with_alt(trend_figure(
        compare_frame,
        req.context("Police-recorded and A&E-recorded serious violence by month", source=None),
        rolling=False))
    return heat, heat_alt, nte, trend, trend_alt, season, season_alt, compare, compare_alt


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
