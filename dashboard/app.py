"""The Dash app factory: no side effects at import, one warehouse source passed in."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dash
from dash import dcc, html, set_props
from flask_caching import Cache
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import auth, ids, security
from dashboard.cache import cache_config
from dashboard.components import dropdown_field
from dashboard.data import WarehouseSource
from dashboard.queries.overview import districts_held, months_available, wards_of
from dashboard.saved import save_bar
from svcore.definitions import builtin_names, load_definition
from svcore.vocab import AGE_FILTERS, ETHNIC_BROAD, SEXES, SOURCES
from svcore.warehouse import damage_from

log = logging.getLogger(__name__)
PROXY_ENV = "SVDASH_PROXY_HOPS"  # reverse proxies in front of the app (0: none)

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _field(label: str, control_id: str, control: dcc.Dropdown) -> html.Div:
    assert control.id == control_id
    return dropdown_field(label, control)


def filter_bar(
    districts: list[tuple[str, str]],
    wards: list[tuple[str, str]],
    months: list[str],
    groups: list[tuple[str, str]],
    definitions: list[str],
    year_mode: str = "calendar",
) -> html.Section:
    """The one filter bar every page shares; values arrive from the URL by callback.

    Options are filled in up front: a dropdown drops a value it has no option for, which would
    lose a bookmarked ward or month before its options arrived.
    """
    month_options = [{"label": m, "value": m} for m in months]
    return html.Section(
        [
            html.H2("Filters", className="visually-hidden"),
            _field(
                "District",
                ids.F_DISTRICT,
                dcc.Dropdown(
                    id=ids.F_DISTRICT,
                    multi=True,
                    placeholder="All districts",
                    options=[{"label": n, "value": c} for c, n in districts],
                ),
            ),
            _field(
                "Ward",
                ids.F_WARD,
                dcc.Dropdown(
                    id=ids.F_WARD,
                    multi=True,
                    placeholder="All wards",
                    options=[{"label": n, "value": c} for c, n in wards],
                ),
            ),
            _field(
                "From",
                ids.F_FROM,
                dcc.Dropdown(id=ids.F_FROM, placeholder="First month", options=month_options),
            ),
            _field(
                "To",
                ids.F_TO,
                dcc.Dropdown(id=ids.F_TO, placeholder="Latest month", options=month_options),
            ),
            _field(
                "Offence group",
                ids.F_GROUP,
                dcc.Dropdown(
                    id=ids.F_GROUP,
                    placeholder="All serious violence",
                    options=[{"label": label, "value": key} for key, label in groups],
                ),
            ),
            _field(
                "Source",
                ids.F_SOURCE,
                dcc.Dropdown(
                    id=ids.F_SOURCE,
                    clearable=False,
                    value="police",
                    options=[{"label": v, "value": k} for k, v in SOURCES.items()]
                    + [{"label": "All sources", "value": "all"}],
                ),
            ),
            _field(
                "Definition",
                ids.F_DEFINITION,
                dcc.Dropdown(
                    id=ids.F_DEFINITION,
                    clearable=False,
                    options=[
                        {"label": d.replace("_", " ").title(), "value": d} for d in definitions
                    ],
                ),
            ),
            html.Button("Reset filters", id=ids.F_RESET, className="button-secondary", n_clicks=0),
            who_and_period(months, year_mode),
            # The filters a click on a chart set (weapon, location, day, hour), each removable.
            html.Div(
                id=ids.F_DETAIL + "-chips",
                className="chips",
                role="group",
                **{"aria-label": "Filters set from charts"},
            ),
            html.Div(id=ids.FILTER_MESSAGES, role="status", className="filter-messages"),
        ],
        className="filter-bar",
        **{"aria-label": "Filters"},
    )


def period_options(months: list[str], year_mode: str = "calendar") -> list[dict]:
    """Whole years inside the months held, as shortcuts for From and To: financial years
    (April to March, "2024/25") and calendar years, the partnership's kind first, latest first
    (From and To offer only months held, so a year must start and end inside them)."""
    if not months:
        return []
    held = set(months)
    years = range(int(months[-1][:4]), int(months[0][:4]) - 2, -1)
    calendar = [
        {"label": f"{y} (January to December)", "value": f"{y}-01|{y}-12"}
        for y in years
        if {f"{y}-01", f"{y}-12"} <= held
    ]
    financial = [
        {"label": f"{y}/{str(y + 1)[2:]} (April to March)", "value": f"{y}-04|{y + 1}-03"}
        for y in years
        if {f"{y}-04", f"{y + 1}-03"} <= held
    ]
    return financial + calendar if year_mode == "fy" else calendar + financial


def who_and_period(months: list[str], year_mode: str = "calendar") -> html.Details:
    """The who filters (age, sex, ethnic group of the victim or the suspect) and the period
    shortcut, folded under the main filters: the chips show what is set while it is closed."""
    return html.Details(
        [
            html.Summary("More filters: who (age, sex, ethnicity) and whole years"),
            html.Div(
                [
                    _field(
                        "Year",
                        ids.F_PERIOD,
                        dcc.Dropdown(
                            id=ids.F_PERIOD,
                            placeholder="A whole year",
                            options=period_options(months, year_mode),
                        ),
                    ),
                    _field(
                        "Person",
                        ids.F_PERSON,
                        dcc.Dropdown(
                            id=ids.F_PERSON,
                            clearable=False,
                            value="victim",
                            options=[
                                {"label": "Victim or patient", "value": "victim"},
                                {"label": "Suspect (police)", "value": "suspect"},
                            ],
                        ),
                    ),
                    _field(
                        "Age",
                        ids.F_AGE,
                        dcc.Dropdown(
                            id=ids.F_AGE,
                            placeholder="Any age",
                            options=[
                                {"label": words[0].upper() + words[1:], "value": key}
                                for key, (words, _lo, _hi) in AGE_FILTERS.items()
                            ],
                        ),
                    ),
                    _field(
                        "Sex",
                        ids.F_SEX,
                        dcc.Dropdown(
                            id=ids.F_SEX,
                            placeholder="Any sex",
                            options=[{"label": SEXES[s], "value": s} for s in ("F", "M")],
                        ),
                    ),
                    _field(
                        "Ethnicity",
                        ids.F_ETHNICITY,
                        dcc.Dropdown(
                            id=ids.F_ETHNICITY,
                            placeholder="Any ethnic group",
                            options=[
                                {"label": label, "value": key}
                                for key, (label, _codes) in ETHNIC_BROAD.items()
                            ],
                        ),
                    ),
                ],
                className="filter-more-fields",
            ),
        ],
        className="filter-more",
    )


def create_app(warehouse: Path) -> dash.Dash:
    source = WarehouseSource(warehouse)
    settings = source.settings()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"),
        assets_folder=str(ASSETS),
        title="Serious violence partnership dashboard",
        suppress_callback_exceptions=True,
        serve_locally=True,
        on_error=_on_callback_error,
    )
    # The page shell. Dash's index template has a bare <html>: say what language the page is in.
    # It also wraps its <script> tags in a <footer>, a second, empty "contentinfo" landmark beside
    # ours for screen-reader users: a plain <div> holds scripts just as well.
    app.index_string = (
        app.index_string.replace("<html>", '<html lang="en-GB">', 1)
        .replace("<footer>", "<div>", 1)
        .replace("</footer>", "</div>", 1)
    )
    hops = int(os.environ.get(PROXY_ENV, "0") or 0)
    if hops:
        # Behind a reverse proxy: take the client's address and scheme from the proxy's
        # headers (only as many hops as configured), so sign-in limits apply per person.
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=hops, x_proto=hops)
    from dashboard import prewarm

    # The prewarm watcher starts with the first request each process serves (after any fork),
    # whatever the request (a sign-in redirect too): registered before every other hook.
    app.server.before_request(lambda: prewarm.start(source) and None)
    cache = Cache(app.server, config=cache_config())
    source.cache = app.server.extensions["cache"][cache]  # the backend, usable off-request
    signins = Cache(app.server, config=cache_config(purpose="signins"))
    auth.install(
        app.server,
        warehouse,
        settings.demo,
        store=app.server.extensions["cache"][signins],
        settings=source.settings,
    )
    app.layout = lambda: shell(source)
    _serve_boundaries(app, source)
    from dashboard import boards, saved
    from dashboard.callbacks import clicks, downloads, filters, views

    boards.boards_of(settings)  # a board naming an unknown view or filter stops the start here
    app.server.extensions[boards.SOURCE_KEY] = source
    for module in (filters, views, clicks, downloads, saved):
        module.register(app, source)
    # The hashes of Dash's inline scripts (clientside callbacks, the renderer's start).
    security.install_headers(
        app.server, app.csp_hashes, secure=bool(app.server.config.get("SESSION_COOKIE_SECURE"))
    )
    security.install_request_checks(app)
    return app


def _on_callback_error(exc: Exception) -> None:
    """A damaged warehouse is named in the page's alert and the charts keep no new figures;
    any other error stays an error (HTTP 500, logged, no traceback to the browser)."""
    damage = damage_from(exc)
    if damage is None:
        raise exc
    log.error("%s", damage)
    set_props(ids.WAREHOUSE_ALERT, {"children": str(damage), "hidden": False})


def _alert(message: str | None) -> html.Div:
    return html.Div(
        message,
        id=ids.WAREHOUSE_ALERT,
        role="alert",
        className="warehouse-alert",
        hidden=message is None,
    )


def shell(source: WarehouseSource) -> html.Div:
    """The page shell for the viewer of this request: the nav lists only the pages their role
    may open, and a duty holder's district picker offers only their districts. (Hiding is a
    courtesy; the query layer enforces the same rules.)"""
    settings = source.settings()
    viewer = auth.current_viewer(settings.demo) or auth.DEMO_VIEWER
    banner = (
        # A named section (a region landmark), so landmark navigation does not skip it.
        html.Section(
            "Demo mode: synthetic data for West Yorkshire, no login. Not real people or places.",
            className="demo-banner",
            **{"aria-label": "Demo mode"},
        )
        if settings.demo
        else None
    )
    links = [
        html.Li(
            dcc.Link(
                page["name"],
                href=page["relative_path"],
                className="nav-link",
                id={"type": ids.NAV_LINK, "path": page["relative_path"]},
            )
        )
        for page in dash.page_registry.values()
        if viewer.may_open(page["path"]) and page.get("nav", True)
    ]
    account = None
    if not settings.demo:
        account = html.Div(
            [
                html.Span(f"{viewer.name} ({viewer.role.replace('_', ' ')})"),
                html.A("Audit log", href="/admin/audit", className="nav-link")
                if viewer.role == "admin"
                else None,
                # Sign-out is a POST with the CSRF token: a link (or an image on another site)
                # pointing at /logout signs no one out.
                html.Form(
                    [
                        dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                        html.Button("Sign out", type="submit", className="nav-link"),
                    ],
                    method="post",
                    action="/logout",
                    className="signout-form",
                ),
            ],
            className="account",
        )
    nav = html.Nav(html.Ul(links), className="nav", **{"aria-label": "Pages"})

    def options() -> tuple:
        con = source.connection()
        return (dict(districts_held(con)), wards_of(con, []), months_available(con))

    try:
        names, wards, months = source.memo(("shell-options",), options)
    except Exception as exc:
        damage = damage_from(exc)
        if damage is None:
            raise
        log.error("%s", damage)
        return html.Div(
            [
                html.Header(
                    [html.Div(settings.area_name, className="service-name"), nav, account],
                    className="header",
                ),
                html.Main(
                    [html.H1("Figures withheld"), _alert(str(damage))],
                    id="main",
                    className="main",
                    tabIndex=-1,
                ),
            ]
        )
    codes = viewer.scope if viewer.scope is not None else settings.districts
    districts = sorted(((c, names.get(c, c)) for c in codes), key=lambda kv: kv[1])
    definitions = sorted({*builtin_names(), settings.definition})
    groups = [(g.key, g.label) for g in load_definition(settings.definition).groups]
    bar = filter_bar(districts, wards, months, groups, definitions, settings.year)
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.FILTERS, data=None),
            dcc.Store(id=ids.URL_SYNC),
            dcc.Store(id=ids.VIEW),
            dcc.Store(id=ids.HISTORY),
            dcc.Store(id=ids.F_DETAIL, data={}),
            dcc.Download(id=ids.DOWNLOAD_TARGET),
            html.A("Skip to content", href="#main", className="skip-link"),
            html.Header(
                [html.Div(settings.area_name, className="service-name"), nav, account],
                className="header",
            ),
            banner,
            bar,
            save_bar(settings.demo),
            _alert(None),
            html.Main(dash.page_container, id="main", className="main", tabIndex=-1),
            html.Footer(
                html.P("Figures are suppressed automatically: " + _suppression_words(settings)),
                className="footer",
            ),
        ]
    )


def _serve_boundaries(app: dash.Dash, source: WarehouseSource) -> None:
    """Boundaries as a cacheable file per level: maps carry a URL, not megabytes of GeoJSON
    (plotly deep-copies a GeoJSON dict on every figure). The URL names the snapshot, so a load
    that changes boundaries changes the URL."""
    import json

    from flask import Response, abort

    from dashboard.queries.areas import LEVELS, boundaries

    @app.server.route("/geojson/<level>.json")
    def geojson(level: str) -> Response:
        if level not in LEVELS:
            abort(404)
        try:
            body = source.memo(
                ("geojson-text", level),
                lambda: json.dumps(
                    boundaries(source.connection(), level, None), separators=(",", ":")
                ),
                shared=False,
            )
        except Exception as exc:
            damage = damage_from(exc)
            if damage is None:
                raise
            log.error("%s", damage)
            return Response(str(damage), status=503, mimetype="text/plain")
        response = Response(body, mimetype="application/geo+json")
        response.headers["Cache-Control"] = "private, max-age=86400"
        return response


def _suppression_words(settings) -> str:
    strict = ", ".join(
        f"{SOURCES.get(s, s)} 1 to {t - 1}" for s, t in settings.suppress_below_by_source.items()
    )
    return (
        f"counts from 1 to {settings.suppress_below - 1} are shown as [c]"
        + (f" ({strict})" if strict else "")
        + f"; no rate or percentage on fewer than {settings.min_events_for_rate} events."
    )
