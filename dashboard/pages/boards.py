"""Boards: the partnership boards' views, one card each, and the reader's saved views."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.auth import DEMO_VIEWER, current_viewer
from dashboard.boards import app_source, board_summary, board_url, boards_of
from dashboard.components import page_header
from dashboard.saved import saved_list
from svcore.config import WEST_YORKSHIRE, BoardError, Settings
from svcore.saved_views import saved_views

dash.register_page(__name__, path="/boards", name="Boards", order=7, title="Boards")


def layout(**_query: str) -> html.Div:
    source = app_source()
    settings = source.settings() if source else Settings(districts=tuple(WEST_YORKSHIRE))
    viewer = (current_viewer(settings.demo) if source else None) or DEMO_VIEWER
    try:
        boards = boards_of(settings)
    except BoardError as exc:
        return html.Div([page_header("Boards", ""), html.P(str(exc), role="alert")])
    cards = [
        html.Article(
            [
                html.H2(board.name, className="card-heading"),
                html.P(board.description or ""),
                html.P(
                    "Opens with: " + board_summary(board, settings),
                    className="table-note",
                ),
                dcc.Link(
                    f"Open {board.name}",
                    href=board_url(board, settings),
                    className="board-link",
                ),
            ],
            className="card board-card",
        )
        for board in boards
    ]
    mine = saved_views(source.warehouse, viewer.name) if source else []
    return html.Div(
        [
            page_header(
                "Boards",
                "Each partnership board's views, opened with its filters. The address carries "
                "the filters: bookmark it or send it to a colleague.",
            ),
            html.Div(cards, className="grid"),
            html.Section(
                [html.H2("Your saved views", id="saved-views"), saved_list(mine, settings.demo)],
                className="card",
                **{"aria-labelledby": "saved-views"},
            ),
        ]
    )
