"""Where wiring: map, top areas, hotspots and the police vs A&E gap; map clicks drill down."""

from __future__ import annotations

from dash import Input, Output, State, no_update

from dashboard import ids
from dashboard.analysis.hotspots import getis_ord
from dashboard.callbacks.common import request, with_alt
from dashboard.components import table
from dashboard.data import WarehouseSource
from dashboard.figures.bars import grouped_bars_figure
from dashboard.figures.maps import choropleth_figure, hotspot_figure
from dashboard.queries.areas import area_table, centroids, drill_level
from dashboard.queries.gap import hospital_police_gap
from svcore.disclosure import SUPPRESSED, suppress_counts, suppress_rates

LEVEL_WORDS = {"district": "district", "ward": "ward", "lsoa": "LSOA"}


def geojson_url(source: WarehouseSource, level: str) -> str:
    return f"/geojson/{level}.json?v={source.snapshot_id()}"


def map_outputs(source: WarehouseSource, query: str | None, level: str, measure: str) -> tuple:
    req = request(source, query)
    lvl = drill_level(req.filters) if level == "auto" else level
    areas = suppress_rates(suppress_counts(req.q(area_table, req.filters, lvl), req.rule), req.rule)
    geo = geojson_url(source, lvl)
    title = f"Serious violence by {LEVEL_WORDS[lvl]}" + (
        ", rate per 1,000 residents a year" if measure == "rate" else ", events")
    fig, alt = with_alt(choropleth_figure(areas, geo, req.context(title), measure))
    ranked = areas.dropna(subset=["rate"]).sort_values("rate", ascending=False).head(10)
    top = table(
        ranked, [("area_name", LEVEL_WORDS[lvl].capitalize()), ("area_code", "GSS code"),
                 ("count", "Events"), ("population", "Residents"),
                 ("rate", "Rate per 1,000 a year")],
        caption=f"Top 10 {LEVEL_WORDS[lvl]}s by rate, {req.filters.describe(req.names)}",
        formats={"count": ",", "population": ",.0f", "rate": ",.1f"},
        note="Areas with fewer than 10 events have no rate and are not ranked.",
    )
    return fig, alt, top


def hotspot_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)

    def compute():
        areas = req.q(area_table, req.filters, "lsoa")
        cents = centroids(req.con, "lsoa", list(areas["area_code"]))
        return getis_ord(areas.merge(cents, on="area_code"), value="rate")

    stats = source.memo(("getis_ord", req.filters), compute)
    geo = geojson_url(source, "lsoa")
    fig, alt = with_alt(hotspot_figure(stats, geo, req.context("Hotspots of serious violence (Gi*)")))
    hot = stats[stats["hotspot"].str.startswith("Hot")].sort_values("gi_z", ascending=False).head(15)
    hot = suppress_counts(hot, req.rule)
    listing = table(
        hot, [("area_name", "LSOA"), ("area_code", "GSS code"), ("hotspot", "Class"),
              ("gi_z", "Gi* z-score"), ("gi_p", "p (999 permutations)"), ("count", "Events")],
        caption="The strongest hot spots", formats={"gi_z": ".2f", "gi_p": ".3f", "count": ","},
        note="Two-sided pseudo p-values from 999 seeded permutations; with many areas tested, "
             "about 1 in 10 areas at 90% confidence can be significant by chance.",
    )
    return fig, alt, listing


def gap_outputs(source: WarehouseSource, query: str | None, level: str) -> tuple:
    req = request(source, query)
    lvl = drill_level(req.filters) if level == "auto" else level
    lvl = "ward" if lvl == "lsoa" else lvl  # A&E postcodes are too sparse for LSOA comparisons
    gap = req.q(hospital_police_gap, req.filters, lvl)
    rule_health, rule_police = req.rule_for("health"), req.rule_for("police")
    gap = suppress_counts(gap, rule_health, column="health")
    gap = suppress_counts(gap, rule_police, column="police")
    ok = (gap["health"] != SUPPRESSED) & (gap["police"] != SUPPRESSED)
    h = gap["health"].where(ok).astype("float64")
    p = gap["police"].where(ok).astype("float64")
    enough = (h >= rule_health.min_events_for_rate) & (p >= rule_police.min_events_for_rate)
    gap["per_100"] = (h / p * 100).where(enough)
    long = gap.melt(id_vars=["area_code", "area_name"], value_vars=["police", "health"],
                    var_name="source", value_name="count")
    long = long.rename(columns={"area_name": "area"})
    ctx = req.context(
        f"A&E assault attendances and police-recorded violence with injury, by {LEVEL_WORDS[lvl]}",
        source=None,
        note="A&E: all assault attendances; police: violence with injury.",
    )
    fig, alt = with_alt(grouped_bars_figure(long, "area", "source", ctx))
    listing = table(
        gap.sort_values("per_100", ascending=False, na_position="last"),
        [("area_name", LEVEL_WORDS[lvl].capitalize()), ("health", "A&E assault attendances"),
         ("police", "Police violence with injury"), ("per_100", "A&E per 100 police records")],
        caption="Where violence reaches hospitals but not police records",
        formats={"per_100": ",.0f", "health": ",", "police": ","},
        note="Records are not linked between partners: the ratio compares volumes, and a high "
             "ratio points to violence unknown to police (the Cardiff Model gap).",
    )
    return fig, alt, listing


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.WHERE_MAP, "figure"), Output(ids.alt(ids.WHERE_MAP), "children"),
        Output(ids.WHERE_TOP, "children"),
        Input(ids.FILTERS, "data"), Input(ids.WHERE_LEVEL, "value"),
        Input(ids.WHERE_MEASURE, "value"),
    )
    def update_map(query, level, measure):
        return map_outputs(source, query, level or "auto", measure or "rate")

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
        return gap_outputs(source, query, level or "auto")

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


