"""Click to filter: where a click on a chart has one obvious meaning, it sets the shared filters.

- a map area: district -> its wards, ward -> its LSOAs (the district and ward filters);
- a bar of offence group, weapon or location (the group filter, or a click filter);
- a heatmap cell: that day and hour (click filters).

Each sets a control of the filter bar (or the click filters beside it), so the change shows in
the bar and the address, and a step Back undoes it like any other change.
"""

from __future__ import annotations

from dash import Input, Output, State, no_update

from dashboard import ids
from dashboard.data import WarehouseSource
from dashboard.filters import CATEGORY, parse_filters
from svcore.definitions import load_definition
from svcore.vocab import DIMENSION_VOCABULARIES, WEEKDAYS

# Breakdown chart -> the click filter its bars set (the offence-group chart sets the group).
BAR_FILTERS = {"how-weapon": ("weapon", "weapon"), "how-location": ("location", "location_type")}


def _point(click: object) -> dict | None:
    try:
        point = click["points"][0]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return None
    return point if isinstance(point, dict) else None


def area_drill(click: object) -> tuple:
    """District -> its wards; ward -> its LSOAs. Deeper clicks do nothing."""
    point = _point(click)
    try:
        code = point["customdata"][0] if point else None
    except (TypeError, KeyError, IndexError):
        code = None
    if isinstance(code, str) and code[:3] in ("E08", "E06", "E07", "E09", "W06"):
        return [code], [], "auto"
    if isinstance(code, str) and code[:3] in ("E05", "W05"):
        return no_update, [code], "auto"
    return no_update, no_update, no_update


def bar_value(dimension: str, click: object) -> str | None:
    """The recorded value behind a bar's label (the chart shows words; the filter needs the
    code the contracts store). "Not recorded" and unknown labels filter nothing."""
    point = _point(click)
    shown = point.get("y") if point else None
    if not isinstance(shown, str) or shown == "Not recorded":
        return None
    vocab = DIMENSION_VOCABULARIES.get(dimension, {})
    for code, words in vocab.items():
        if words == shown:
            return str(code)
    return shown if CATEGORY.fullmatch(shown) else None


def heatmap_cell(click: object) -> dict | None:
    """{"day": "Friday", "hour": "22"} for a cell (x is "22:00", y the day)."""
    point = _point(click)
    if not point:
        return None
    day, hour = point.get("y"), str(point.get("x", ""))[:2]
    if day not in WEEKDAYS or not hour.isdigit() or int(hour) > 23:
        return None
    return {"day": day, "hour": str(int(hour))}


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.F_DISTRICT, "value", allow_duplicate=True),
        Output(ids.F_WARD, "value", allow_duplicate=True),
        Output(ids.WHERE_LEVEL, "value"),
        Input("where-map", "clickData"),
        prevent_initial_call=True,
    )
    def drill(click):
        return area_drill(click)

    @app.callback(
        Output(ids.F_GROUP, "value", allow_duplicate=True),
        Input("how-offence-group", "clickData"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )
    def group_bar(click, query):
        point = _point(click)
        shown = point.get("y") if point else None
        filters = parse_filters(query or "", source.settings().definition)
        for group in load_definition(filters.definition).groups:
            if group.label == shown:
                return group.key
        return no_update

    for chart, (key, dimension) in BAR_FILTERS.items():
        _register_bar(app, chart, key, dimension)

    @app.callback(
        Output(ids.F_DETAIL, "data", allow_duplicate=True),
        Input("when-heatmap", "clickData"),
        State(ids.F_DETAIL, "data"),
        prevent_initial_call=True,
    )
    def heatmap(click, details):
        cell = heatmap_cell(click)
        if cell is None:
            return no_update
        return {**(details if isinstance(details, dict) else {}), **cell}


def _register_bar(app, chart: str, key: str, dimension: str) -> None:
    def bar(click, details):
        value = bar_value(dimension, click)
        if value is None:
            return no_update
        return {**(details if isinstance(details, dict) else {}), key: value}

    bar.__name__ = f"bar_{key}"
    app.callback(
        Output(ids.F_DETAIL, "data", allow_duplicate=True),
        Input(chart, "clickData"),
        State(ids.F_DETAIL, "data"),
        prevent_initial_call=True,
    )(bar)
