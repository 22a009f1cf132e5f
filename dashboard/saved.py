"""Saving the view on screen: its address (page or board, filters, page controls) under a name.

Every signed-in user keeps their own list (``svcore.saved_views``), on the boards page; every
save and delete is audited at once. A saved view is an address, not figures: opening it runs
the views again under the reader's role, scope and tier. In demo mode there is no sign-in, so
saved views are kept under the demo's one user and everyone using the demo shares them (the
page says so): that is what trying the feature on the demo needs, and nothing in the demo is
anyone's own.
"""

from __future__ import annotations

from pathlib import Path

import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth import Viewer, client_address, current_viewer
from dashboard.data import WarehouseSource
from svcore import audit
from svcore.saved_views import (
    MAX_NAME,
    SavedView,
    SavedViewError,
    delete_view,
    save_view,
    saved_views,
)

DEMO_NOTE = (
    "Demo mode has no sign-in: saved views are kept under the demo user, so everyone using "
    "this demo shares them. Signed in, your saved views are yours alone."
)


def save_bar(demo: bool) -> html.Section:
    """The shell's 'Save this view' control (every page and board)."""
    return html.Section(
        [
            html.Label("Save this view as", htmlFor=ids.SAVED_NAME, className="field-label"),
            dcc.Input(
                id=ids.SAVED_NAME,
                type="text",
                maxLength=MAX_NAME,
                debounce=False,
                className="saved-name",
                placeholder="e.g. Leeds knife crime, last year",
            ),
            html.Button(
                "Save", id=ids.SAVED_SAVE, n_clicks=0, type="button", className="button-secondary"
            ),
            html.A("Your saved views", href="/boards#saved-views", className="saved-link"),
            html.P(id=ids.SAVED_STATUS, role="status", className="saved-status"),
        ],
        className="save-view",
        **{"aria-label": "Save this view"},
    )


def current_url(pathname: object, query: object, view: object) -> str:
    """The address on screen, as the address bar shows it (``assets`` keep it in step from the
    same stores): the path, the filters, and the page controls when they are this page's."""
    path = pathname if isinstance(pathname, str) else "/"
    parts = [query] if isinstance(query, str) and query else []
    if (
        isinstance(view, dict)
        and view.get("query")
        and path in (view.get("page"), view.get("path"))
    ):
        parts.append(str(view["query"]))
    return path + ("?" + "&".join(parts) if parts else "")


def saved_list(views: list[SavedView], demo: bool) -> html.Div:
    """A user's saved views: each a link and a delete button."""
    items = [
        html.Li(
            [
                dcc.Link(v.name, href=v.url, className="saved-view-link"),
                html.Span(f" {v.url}", className="saved-view-url"),
                html.Button(
                    "Delete",
                    id={"type": ids.SAVED_DELETE, "name": v.name},
                    n_clicks=0,
                    type="button",
                    className="button-secondary",
                    **{"aria-label": f"Delete the saved view {v.name}"},
                ),
            ],
            className="saved-view",
        )
        for v in views
    ]
    parts: list = [
        html.Ul(items, className="saved-views")
        if items
        else html.P("None yet: save the view on screen with 'Save this view as' above.")
    ]
    if demo:
        parts.append(html.P(DEMO_NOTE, className="table-note"))
    # A pattern id: the save button is on every page, the list only on the boards page, and an
    # ALL output may match nothing.
    return html.Div(parts, id={"type": ids.SAVED_LIST, "at": "boards"})


def _record(warehouse: Path, viewer: Viewer, detail: str, url: str, outcome: str = "ok") -> None:
    from urllib.parse import urlsplit

    audit.buffer(warehouse).add(
        "saved_view",
        now=True,
        user=viewer.name,
        role=viewer.role,
        detail=detail,
        filters=urlsplit(url).query,
        outcome=outcome,
        origin=client_address() if flask.has_request_context() else None,
    )


def save(warehouse: Path, viewer: Viewer, name: object, url: str) -> SavedView:
    """Save and audit (a refused save is audited too, with the reason)."""
    try:
        view = save_view(warehouse, viewer.name, name, url)
    except SavedViewError as exc:
        _record(warehouse, viewer, f"save refused: {exc}", url[:500], outcome="refused")
        raise
    _record(warehouse, viewer, f"saved {view.name!r}: {view.url}", view.url)
    return view


def delete(warehouse: Path, viewer: Viewer, name: str) -> bool:
    gone = delete_view(warehouse, viewer.name, name)
    if gone:
        _record(warehouse, viewer, f"deleted {name!r}", "")
    return gone


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.SAVED_STATUS, "children"),
        Output(ids.SAVED_NAME, "value"),
        Output({"type": ids.SAVED_LIST, "at": ALL}, "children", allow_duplicate=True),
        Input(ids.SAVED_SAVE, "n_clicks"),
        Input(ids.SAVED_NAME, "n_submit"),
        State(ids.SAVED_NAME, "value"),
        State(ids.URL, "pathname"),
        State(ids.FILTERS, "data"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def save_current(_clicks, _submit, name, pathname, query, view):
        demo = source.settings().demo
        viewer = current_viewer(demo)
        lists = len(ctx.outputs_list[2])
        if viewer is None:
            return "Sign in to save views.", no_update, [no_update] * lists
        url = current_url(pathname, query, view)
        try:
            saved = save(source.warehouse, viewer, name, url)
        except SavedViewError as exc:
            return f"Not saved: {exc}.", no_update, [no_update] * lists
        words = f"Saved '{saved.name}'."
        if demo:
            words += " " + DEMO_NOTE
        listing = saved_list(saved_views(source.warehouse, viewer.name), demo).children
        return words, "", [listing] * lists

    @app.callback(
        Output({"type": ids.SAVED_LIST, "at": ALL}, "children"),
        Input({"type": ids.SAVED_DELETE, "name": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def delete_saved(_clicks):
        trigger = ctx.triggered_id
        lists = len(ctx.outputs_list)
        # Buttons drawn anew (after a delete) fire with 0 clicks: only a click deletes.
        clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
        if not isinstance(trigger, dict) or not clicked:
            return [no_update] * lists
        demo = source.settings().demo
        viewer = current_viewer(demo)
        if viewer is None:
            return [no_update] * lists
        delete(source.warehouse, viewer, str(trigger.get("name", ""))[:200])
        return [saved_list(saved_views(source.warehouse, viewer.name), demo).children] * lists
