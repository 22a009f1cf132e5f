"""The shared filter bar: URL <-> controls <-> the filters store that every page listens to.

One callback keeps the three in step (Dash allows a callback to be circular with itself): a URL
(first load, a bookmark, a nav link) sets the controls; a control sets the store and rewrites
the address bar in place, so every view can be bookmarked and shared.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import ids
from dashboard.data import WarehouseSource
from dashboard.filters import Filters, parse_filters
from dashboard.queries.overview import months_available, wards_of
from svcore.definitions import builtin_names, load_definition

CONTROLS = (
    ids.F_DISTRICT,
    ids.F_WARD,
    ids.F_FROM,
    ids.F_TO,
    ids.F_GROUP,
    ids.F_SOURCE,
    ids.F_DEFINITION,
)


def controls_of(filters: Filters) -> list:
    return [
        list(filters.districts),
        list(filters.wards),
        filters.date_from,
        filters.date_to,
        filters.group,
        filters.source or "all",
        filters.definition,
    ]


def filters_of(values: list, default_definition: str) -> Filters:
    """Controls -> Filters, through the same parser as the URL (one set of rules)."""
    district, ward, date_from, date_to, group, source, definition = values

    def many(v: object) -> list:  # a forged callback may send a number or a string here
        return v if isinstance(v, list) else [] if v is None else [v]

    pairs: dict[str, list[str]] = {
        "district": many(district),
        "ward": many(ward),
        "from": [date_from] if date_from else [],
        "to": [date_to] if date_to else [],
        "group": [group] if group else [],
        "source": [source] if source else [],
        "definition": [definition] if definition else [],
    }
    return parse_filters({k: v for k, v in pairs.items() if v}, default_definition)


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.FILTERS, "data"),
        *[Output(c, "value") for c in CONTROLS],
        Output(ids.FILTER_MESSAGES, "children"),
        Input(ids.URL, "search"),
        *[Input(c, "value") for c in CONTROLS],
        Input(ids.F_RESET, "n_clicks"),
        State(ids.FILTERS, "data"),
    )
    def sync(search, *args):
        *values, _reset, current = args
        default = source.settings().definition
        trigger = ctx.triggered_id
        if trigger == ids.F_RESET:
            filters = parse_filters("", default)
            return [filters.to_query(), *controls_of(filters), []]
        if trigger in CONTROLS:
            filters = filters_of(values, default)
            query = filters.to_query()
            out_controls = [no_update] * len(CONTROLS)
            # A ward outside the chosen districts is dropped from the control too.
            if trigger == ids.F_DISTRICT and values[1]:
                allowed = {c for c, _ in wards_in(filters.districts)}
                kept = [w for w in values[1] if w in allowed]
                if kept != list(values[1]):
                    filters = filters.with_(wards=tuple(kept))
                    query = filters.to_query()
                    out_controls[1] = kept
            msgs = [html.P(m, className="filter-message") for m in filters.messages]
            return [query if query != current else no_update, *out_controls, msgs]
        filters = parse_filters(search, default)
        query = filters.to_query()
        msgs = [html.P(m, className="filter-message") for m in filters.messages]
        return [query if query != current else no_update, *controls_of(filters), msgs]

    # The address bar follows the store without a navigation (no page re-render).
    app.clientside_callback(
        """function(query) {
            if (query === null || query === undefined) { return window.dash_clientside.no_update; }
            const url = window.location.pathname + (query ? "?" + query : "");
            if (url !== window.location.pathname + window.location.search) {
                window.history.replaceState(window.history.state, "", url);
            }
            return query;
        }""",
        Output(ids.URL_SYNC, "data"),
        Input(ids.FILTERS, "data"),
    )

    @app.callback(
        Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
        Input(ids.FILTERS, "data"),
        State({"type": ids.NAV_LINK, "path": ALL}, "id"),
    )
    def nav_links(query, link_ids):
        """Moving between pages keeps the filters."""
        suffix = f"?{query}" if query else ""
        return [link["path"] + suffix for link in link_ids]

    def wards_in(districts) -> list[tuple[str, str]]:
        chosen = tuple(sorted(str(d) for d in districts or ()))
        return source.memo(
            ("wards-of", chosen), lambda: wards_of(source.connection(), list(chosen))
        )

    @app.callback(Output(ids.F_WARD, "options"), Input(ids.F_DISTRICT, "value"))
    def ward_options(districts):
        return [
            {"label": name, "value": code}
            for code, name in wards_in(districts if isinstance(districts, list) else [])
        ]

    @app.callback(Output(ids.F_GROUP, "options"), Input(ids.F_DEFINITION, "value"))
    def group_options(definition):
        default = source.settings().definition
        # Only known names reach load_definition: a payload must not choose a file to open.
        name = definition if definition in {*builtin_names(), default} else default
        d = load_definition(name)
        return [{"label": g.label, "value": g.key} for g in d.groups]

    @app.callback(
        Output(ids.F_FROM, "options"), Output(ids.F_TO, "options"), Input(ids.URL, "pathname")
    )
    def month_options(_pathname):
        held = source.memo(("months-available",), lambda: months_available(source.connection()))
        months = [{"label": m, "value": m} for m in held]
        return months, months
