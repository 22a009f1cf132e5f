"""One board: its views laid out with its filters (``/boards/<slug>?<filters>``).

The filter bar reads the filters from the address like on any page, and each view is served by
its one generated callback, so a board shows exactly what the view's own page shows for the
same filters and controls, for the same reader. A view on a page the reader's role may not
open is left out and named.
"""

from __future__ import annotations

from dataclasses import replace

import dash
from dash import html

from dashboard.auth import DEMO_VIEWER, current_viewer
from dashboard.boards import (
    BOARDS_PATH,
    app_source,
    board_filters,
    board_named,
    board_summary,
    board_url,
    control_pages,
)
from dashboard.charts.catalogue import CHARTS
from dashboard.components import chart, grid, page_header, panel
from dashboard.filters import parse_filters
from dashboard.widgets import page_controls
from svcore.config import WEST_YORKSHIRE, BoardError, Settings

dash.register_page(
    __name__, path_template=BOARDS_PATH + "/<slug>", name="Board", title="Board", nav=False
)

TALL = {"where-map", "where-hotspots"}  # maps: as tall as on their page


def view_block(name: str):
    spec = CHARTS[name]
    if spec.kind == "chart":
        return chart(name, height=560 if name in TALL else 460)
    if spec.kind == "headline":
        return panel(name, class_name="headline", wide=True)
    return panel(name, spec.title)


def layout(slug: str | None = None, **query: str) -> html.Div:
    source = app_source()
    settings = source.settings() if source else Settings(districts=tuple(WEST_YORKSHIRE))
    viewer = (current_viewer(settings.demo) if source else None) or DEMO_VIEWER
    back = dash.dcc.Link("All boards", href=BOARDS_PATH)
    try:
        board = board_named(settings, slug)
    except BoardError as exc:
        return html.Div([page_header("Board", ""), html.P(str(exc), role="alert"), back])
    if board is None:
        return html.Div(
            [page_header("No such board", f"There is no board {str(slug)[:40]!r}."), back]
        )
    shown = [v for v in board.views or () if viewer.may_open(CHARTS[v].page)]
    withheld = [v for v in board.views or () if v not in shown]
    own = board_filters(board, settings)
    here = parse_filters(query, default_definition=settings.definition)
    url = board_url(board, settings)
    notes: list = [html.P("Opens with: " + board_summary(board, settings), className="table-note")]
    if here != own:
        notes.append(
            html.P(
                [
                    "The filters differ from the board's. ",
                    dash.dcc.Link("Open the board with its own filters", href=url),
                    ".",
                ]
            )
        )
    if withheld:
        notes.append(
            html.P(
                "Not shown, as your role does not open their page: "
                + ", ".join(CHARTS[v].title for v in withheld)
                + ".",
                className="table-note",
            )
        )
    controls = [page_controls(p, query) for p in control_pages(replace(board, views=tuple(shown)))]
    headlines = [view_block(v) for v in shown if CHARTS[v].kind == "headline"]
    rest = [view_block(v) for v in shown if CHARTS[v].kind != "headline"]
    return html.Div(
        [
            page_header(board.name, board.description or ""),
            *notes,
            *controls,
            *headlines,
            grid(*rest) if rest else None,
            html.P(back),
        ]
    )
