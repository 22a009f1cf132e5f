"""The Dash app factory: no side effects at import, one warehouse source passed in."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.data import WarehouseSource

ASSETS = Path(__file__).resolve().parent.parent / "assets"


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
    )
    banner = (
        html.Div(
            "Demo mode: synthetic data for West Yorkshire, no login. Not real people or places.",
            className="demo-banner",
            role="note",
        )
        if settings.demo
        else None
    )
    nav = html.Nav(
        [
            dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
            for page in dash.page_registry.values()
        ],
        className="nav",
        **{"aria-label": "Pages"},
    )
    app.layout = html.Div(
        [
            dcc.Location(id=ids.URL),
            html.A("Skip to content", href="#main", className="skip-link"),
            html.Header(
                [html.Div(settings.area_name, className="service-name"), nav],
                className="header",
            ),
            banner,
            html.Main(dash.page_container, id="main", className="main"),
        ]
    )
    from dashboard.callbacks import overview

    overview.register(app, source)
    return app
