"""How wiring: one breakdown chart per dimension, all from the one count table."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import request, with_alt
from dashboard.data import WarehouseSource
from dashboard.figures.bars import breakdown_figure
from dashboard.queries.counts import count_table
from svcore.disclosure import suppress_counts

# chart id -> (dimension, title, source override or None for the filters' source)
HOW_CHARTS = (
    (ids.HOW_GROUP, "offence_group", "Serious violence by offence group", None),
    (ids.HOW_WEAPON, "weapon", "Weapon used (police) or assault method (A&E)", None),
    (ids.HOW_LOCATION, "location_type", "Where it happened: type of location", None),
    (ids.HOW_DOMESTIC, "domestic_abuse", "Domestic-abuse related", None),
    (ids.HOW_RELATIONSHIP, "relationship", "A&E: relationship to the assailant", "health"),
)


def how_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    out: list = []
    for _id, dimension, title, override in HOW_CHARTS:
        f = req.filters.with_(source=override) if override else req.filters
        rule = req.rule_for(f.source)
        frame = suppress_counts(req.q(count_table, f, (dimension,)), rule)
        labels = {g.key: g.label for g in req.definition.groups} if dimension == "offence_group" else None
        note = "An event can fall in several groups." if dimension == "offence_group" else ""
        ctx = req.context(title, source=f.source, note=note)
        fig, alt = with_alt(breakdown_figure(frame, dimension, ctx, labels=labels,
                                             min_events_for_share=rule.min_events_for_rate))
        out += [fig, alt]
    return tuple(out)


def register(app, source: WarehouseSource) -> None:
    outputs = []
    for chart_id, *_ in HOW_CHARTS:
        outputs += [Output(chart_id, "figure"), Output(ids.alt(chart_id), "children")]

    @app.callback(*outputs, Input(ids.FILTERS, "data"))
    def update(query):
        return how_outputs(source, query)
