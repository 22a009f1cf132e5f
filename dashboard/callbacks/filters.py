"""The shared filter bar: URL <-> controls <-> the filters store that every page listens to.

One callback keeps the three in step (Dash allows a callback to be circular with itself): a URL
(first load, a bookmark, a nav link) sets the controls; a control sets the store and rewrites
the address bar in place, so every view can be bookmarked and shared.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import ids
from dashboard.controls import CONTROLS as PAGE_CONTROLS
from dashboard.controls import to_query
from dashboard.data import WarehouseSource
from dashboard.filters import DETAIL, Filters, parse_filters
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
    ids.F_PERSON,
    ids.F_AGE,
    ids.F_SEX,
    ids.F_ETHNICITY,
    ids.F_PERIOD,  # a shortcut: sets From and To, never a filter of its own
)
WHO_CONTROLS = {"age": ids.F_AGE, "sex": ids.F_SEX, "ethnicity": ids.F_ETHNICITY}
# What the detail store carries besides the controls: the click filters and the year reading.
KEPT = (*DETAIL, "year")


def period_value(filters: Filters) -> str | None:
    """The period shortcut's value for the filters' months, when they are a whole year."""
    f, t = filters.date_from, filters.date_to
    if not f or not t:
        return None
    whole = (f[5:] == "01" and t == f"{f[:4]}-12") or (
        f[5:] == "04" and t == f"{int(f[:4]) + 1}-03"
    )
    return f"{f}|{t}" if whole else None


def period_window(value: object) -> tuple[str, str] | None:
    """From and To of a period shortcut's value ("2024-04|2025-03"); None if it is not one."""
    if not isinstance(value, str) or value.count("|") != 1:
        return None
    start, end = value.split("|")
    return start, end


def controls_of(filters: Filters) -> list:
    return [
        list(filters.districts),
        list(filters.wards),
        filters.date_from,
        filters.date_to,
        filters.group,
        filters.source or "all",
        filters.definition,
        filters.person,
        filters.age,
        filters.sex,
        filters.ethnicity,
        period_value(filters),
    ]


def details_of(filters: Filters) -> dict:
    """The click filters (and the year reading) as the detail store holds them (URL
    parameter -> text)."""
    out = {
        key: str(getattr(filters, attr))
        for key, attr in DETAIL.items()
        if getattr(filters, attr) is not None
    }
    if filters.year is not None:
        out["year"] = filters.year
    return out


def filters_of(values: list, default_definition: str, details: object = None) -> Filters:
    """Controls (and the click filters) -> Filters, through the same parser as the URL (one
    set of rules)."""
    district, ward, date_from, date_to, group, source, definition, *who = values
    person, age, sex, ethnicity = (list(who) + [None] * 4)[:4]

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
        "person": [person] if person else [],
        "age": [age] if age else [],
        "sex": [sex] if sex else [],
        "ethnicity": [ethnicity] if ethnicity else [],
    }
    if isinstance(details, dict):
        pairs.update({k: [str(details[k])] for k in KEPT if details.get(k) is not None})
    return parse_filters({k: v for k, v in pairs.items() if v}, default_definition)


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.FILTERS, "data"),
        Output(ids.HISTORY, "data"),
        *[Output(c, "value") for c in CONTROLS],
        Output(ids.F_DETAIL, "data"),
        Output(ids.FILTER_MESSAGES, "children"),
        Input(ids.URL, "search"),
        *[Input(c, "value") for c in CONTROLS],
        Input(ids.F_DETAIL, "data"),
        Input(ids.F_RESET, "n_clicks"),
        State(ids.FILTERS, "data"),
    )
    def sync(search, *args):
        *values, details, _reset, current = args
        default = source.settings().definition
        trigger = ctx.triggered_id
        if trigger == ids.F_RESET:
            filters = parse_filters("", default)
            return [filters.to_query(), "push", *controls_of(filters), {}, []]
        if trigger in (*CONTROLS, ids.F_DETAIL):
            # A person changed a control or clicked a chart: a step Back undoes it.
            out_controls = [no_update] * len(CONTROLS)
            period = CONTROLS.index(ids.F_PERIOD)
            window = period_window(values[period])
            if trigger == ids.F_PERIOD and window:
                values[2], values[3] = out_controls[2], out_controls[3] = window
            filters = filters_of(values, default, details)
            query = filters.to_query()
            if period_value(filters) != values[period]:
                out_controls[period] = period_value(filters)
            # A ward outside the chosen districts is dropped from the control too.
            if trigger == ids.F_DISTRICT and values[1]:
                allowed = {c for c, _ in wards_in(filters.districts)}
                kept = [w for w in values[1] if w in allowed]
                if kept != list(values[1]):
                    filters = filters.with_(wards=tuple(kept))
                    query = filters.to_query()
                    out_controls[1] = kept
            msgs = [html.P(m, className="filter-message") for m in filters.messages]
            changed = query != current
            return [
                query if changed else no_update,
                "push" if changed else no_update,
                *out_controls,
                no_update,
                msgs,
            ]
        # The address (first load, a bookmark, Back): the controls follow it, no new step.
        filters = parse_filters(search, default)
        query = filters.to_query()
        msgs = [html.P(m, className="filter-message") for m in filters.messages]
        return [
            query if query != current else no_update,
            "replace",
            *controls_of(filters),
            details_of(filters),
            msgs,
        ]

    @app.callback(
        Output(ids.F_DETAIL + "-chips", "children"),
        Input(ids.FILTERS, "data"),
    )
    def detail_chips(query):
        """The click filters and the who filters in force, each with a button removing it."""
        filters = parse_filters(
            query if isinstance(query, str) else "", source.settings().definition
        )
        chips = [(ids.DETAIL_CLEAR, key, words) for key, words in filters.details()]
        chips += [(ids.WHO_CLEAR, key, words) for key, words in filters.who()]
        return [
            html.Button(
                [words, html.Span(" ×", **{"aria-hidden": "true"})],
                id={"type": kind, "key": key},
                className="chip",
                n_clicks=0,
                **{"aria-label": f"Remove the filter {words}"},
            )
            for kind, key, words in chips
        ]

    @app.callback(
        *[Output(c, "value", allow_duplicate=True) for c in WHO_CONTROLS.values()],
        Input({"type": ids.WHO_CLEAR, "key": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def clear_who(clicks):
        """A who chip's button clears its control (the filters follow the control)."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return [no_update] * len(WHO_CONTROLS)
        key = str(trigger.get("key"))
        return [None if k == key else no_update for k in WHO_CONTROLS]

    @app.callback(
        Output(ids.F_DETAIL, "data", allow_duplicate=True),
        Input({"type": ids.DETAIL_CLEAR, "key": ALL}, "n_clicks"),
        State(ids.F_DETAIL, "data"),
        prevent_initial_call=True,
    )
    def clear_detail(clicks, details):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update
        kept = dict(details) if isinstance(details, dict) else {}
        kept.pop(str(trigger.get("key")), None)
        return kept

    for page in sorted({c.page for c in PAGE_CONTROLS}):
        _register_page_controls(app, page)

    # The address bar follows the store without a navigation (no page re-render).
    # A person's change adds a step to the browser's history (Back undoes it: see
    # assets/history.js); the address settling on what it means (a bad value dropped) does not.
    app.clientside_callback(
        """function(query, view, mode) {
            const dc = window.dash_clientside;
            if (query === null || query === undefined) { return dc.no_update; }
            const path = window.location.pathname;
            const parts = [];
            if (query) { parts.push(query); }
            // A page's controls, on their page or on a board that shows them.
            if (view && view.query && (view.page === path || view.path === path)) {
                parts.push(view.query);
            }
            const url = path + (parts.length ? "?" + parts.join("&") : "");
            if (url !== path + window.location.search) {
                const fired = (dc.callback_context.triggered || []).map(t => t.prop_id);
                const push = fired.includes("view.data") ? Boolean(view && view.push)
                                                         : mode === "push";
                if (push) {
                    window.history.pushState({svdash: true}, "", url);
                } else {
                    window.history.replaceState(window.history.state, "", url);
                }
            }
            return query;
        }""",
        Output(ids.URL_SYNC, "data"),
        Input(ids.FILTERS, "data"),
        Input(ids.VIEW, "data"),
        State(ids.HISTORY, "data"),
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


def _register_page_controls(app, page: str) -> None:
    """A page's controls (map level, factor...) into the address bar, beside the filters."""
    from dashboard.controls import controls_of as page_controls

    controls = page_controls(page)

    def view(*args):
        *values, path = args
        return {
            "page": page,
            "path": path,  # the page or board the controls are on
            "query": to_query(page, {c.key: v for c, v in zip(controls, values, strict=True)}),
            "push": ctx.triggered_id is not None,  # the layout's first call is not a step
        }

    view.__name__ = f"view_{page.strip('/') or 'overview'}"
    app.callback(
        Output(ids.VIEW, "data", allow_duplicate=True),
        *[Input(c.id, "value") for c in controls],
        State(ids.URL, "pathname"),
        prevent_initial_call="initial_duplicate",
    )(view)
