"""What every page callback starts from: the signed-in viewer's request for charts."""

from __future__ import annotations

import flask
from dash.exceptions import PreventUpdate

from dashboard.auth import current_viewer
from dashboard.charts.catalogue import Chart, build
from dashboard.charts.request import Request, make_request
from dashboard.components import table
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters

MAX_QUERY = 4096


def request(source: WarehouseSource, query: str | None, page: str = "") -> Request:
    """Parse the stored query for the signed-in viewer; ``None`` means the filter bar has not
    spoken yet. Anything but a sane query string, or a page the role may not open, gets no
    answer at all (HTTP 204), never an error."""
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        if query is not None:
            note_for_audit(
                refused="the filter store is not a query string of up to 4096 characters"
            )
        raise PreventUpdate
    settings = source.settings()
    viewer = current_viewer(settings.demo)
    if viewer is None or (page and not viewer.may_open(page)):
        note_for_audit(refused=f"{page} is not open to this role", page=page)
        raise PreventUpdate
    filters = parse_filters(query, default_definition=settings.definition)
    note_for_audit(filters=filters.to_query(), page=page)
    return make_request(source, filters, viewer)


def note_for_audit(**info: str) -> None:
    """What the audit record of this response should say (``dashboard.auth`` writes it after
    the response, refusals included): the filters as applied, not as sent."""
    if flask.has_request_context():
        flask.g.svdash_audit = {**(flask.g.get("svdash_audit") or {}), **info}


def figure_and_alt(name: str, req: Request, **options: str) -> tuple:
    chart: Chart = build(name, req, **options)
    return chart.figure, chart.alt


def table_of(name: str, req: Request, **options: str):
    """A table view, laid out as its view says (no numbers are made here)."""
    view: Chart = build(name, req, **options)
    return table(view.data, **view.meta["table"], name=view.name)


def text_of(name: str, req: Request, **options: str) -> str:
    return build(name, req, **options).text
