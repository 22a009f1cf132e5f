"""Where wiring: map, top areas, hotspots and the police vs A&E gap; map clicks drill down."""

from __future__ import annotations

from dash import Input, Output, State, no_update

from dashboard import ids
from dashboard.callbacks.common import request
from dashboard.charts.catalogue import LEVEL_WORDS, build
from dashboard.components import table
from dashboard.data import WarehouseSource


def map_outputs(source: WarehouseSource, query: str | None, level: str, measure: str) -> tuple:
    req = request(source, query)
    chart = build("where-map", req, level=level, measure=measure)
    areas = chart.data
    lvl_word = LEVEL_WORDS[chart.meta["level"]]
    ranked = areas.dropna(subset=["rate"]).sort_values("rate", ascending=False).head(10)
    top = table(
        ranked, [("area_name", lvl_word[0].upper() + lvl_word[1:]),
                 ("area_code", "GSS code"), ("count", "Events"), ("population", "Residents"),
                 ("rate", "Rate per 1,000 a year")],
        caption=f"Top 10 {lvl_word}s by rate, {req.filters.describe(req.names)}",
        formats={"count": ",", "population": ",.0f", "rate": ",.1f"},
        note="Areas with fewer than 10 events have no rate and are not ranked.",
    )
    return chart.figure, chart.alt, top


def hotspot_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    chart = build("where-hotspots", req)
    stats = chart.data
    hot = stats[stats["hotspot"].str.startswith("Hot")].sort_values("gi_z", ascending=False).head(15)
    listing = table(
        hot, [("area_name", "LSOA"), ("area_code", "GSS code"), ("hotspot", "Class"),
              ("gi_z", "Gi* z-score"), ("gi_p", "p (two-sided)")],
        caption="The strongest hot spots", formats={"gi_z": ".2f", "gi_p": ".3f"},
        note="Two-sided pseudo p-values from 999 seeded permutations; with many areas tested, "
             "about 1 in 10 areas at 90% confidence can be significant by chance.",
    )
    return chart.figure, chart.alt, listing


def gap_outputs(source: WarehouseSource, query: str | None, level: str) -> tuple:
    req = request(source, query)
    chart = build("where-gap", req, level=level)
    gap = chart.data
    word = LEVEL_WORDS[chart.meta["level"]]
    listing = table(
        gap.sort_values("per_100", ascending=False, na_position="last"),
        [("area_name", word.capitalize()), ("health", "A&E assault attendances"),
         ("police", "Police violence with injury"), ("per_100", "A&E per 100 police records")],
        caption="Where violence reaches hospitals but not police records",
        formats={"per_100": ",.0f", "health": ",", "police": ","},
        note="Records are not linked between partners: the ratio compares volumes, and a high "
             "ratio points to violence unknown to police (the Cardiff Model gap).",
    )
    return chart.figure, chart.alt, listing


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.WHERE_MAP, "figure"), Output(ids.alt(ids.WHERE_MAP), "children"),
        Output(ids.WHERE_TOP, "children"),
        Input(ids.FILTERS, "data"), Input(ids.WHERE_LEVEL, "value"),
        Input(ids.WHERE_MEASURE, "value"),
    )
    def update_map(query, level, measure):
        level = level if level in ("auto", "district", "ward", "lsoa") else "auto"
        return map_outputs(source, query, level, measure if measure in ("rate", "count") else "rate")

    @app.callback(
        Output(ids.WHERE_HOTSPOTS, "figure"), Output(ids.alt(ids.WHERE_HOTSPOTS), "children"),
        Output(ids.WHERE_HOTSPOT_TABLE, "children"), Input(ids.FILTERS, "data"),
    )
    def update_hotspots(query):
        return hotspot_outputs(source, query)

    @app.callback(
        Output(ids.WHERE_GAP, "figure"), Output(ids.alt(ids.WHERE_GAP), "children"),
        Output(ids.WHERE_GAP_TABLE, "children"),
        Input(ids.FILTERS, "data"), Input(ids.WHERE_LEVEL, "value"),
    )
    def update_gap(query, level):
        return gap_outputs(source, query, level if level in ("auto", "district", "ward") else "auto")

    @app.callback(
        Output(ids.F_DISTRICT, "value", allow_duplicate=True),
        Output(ids.F_WARD, "value", allow_duplicate=True),
        Output(ids.WHERE_LEVEL, "value"),
        Input(ids.WHERE_MAP, "clickData"),
        State(ids.F_DISTRICT, "value"), State(ids.F_WARD, "value"),
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


