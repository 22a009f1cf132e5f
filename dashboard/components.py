"""Layout building blocks shared by every page: charts with text alternatives, tables, headers.

Layout only: no data access. Tables are plain HTML tables with captions and column headers so
screen readers announce them properly.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import pandas as pd
from dash import dcc, html

from dashboard import ids

TOPOJSON_URL = "/assets/topojson/"
GRAPH_CONFIG = {
    "displaylogo": False,
    "topojsonURL": TOPOJSON_URL,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def chart(graph_id: str, height: int = 460, caption: str = "") -> html.Figure:
    """A graph with a loading state and a text alternative a callback fills in."""
    return html.Figure(
        [
            dcc.Loading(
                dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"}),
                type="default",
                delay_show=300,
            ),
            html.Figcaption(
                [html.Span(caption, className="chart-caption"),
                 html.Span(id=ids.alt(graph_id), className="visually-hidden")]
            ),
        ],
        className="chart",
    )


def page_header(title: str, intro: str) -> html.Div:
    return html.Div([html.H1(title), html.P(intro, className="lead")], className="page-header")


def table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    caption: str,
    formats: dict[str, str] | None = None,
    note: str = "",
) -> html.Div:
    """``columns``: (frame column, header). ``formats``: column -> format spec for numbers."""
    formats = formats or {}

    def cell(col: str, value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "–"
        if col in formats and isinstance(value, numbers.Number) and not isinstance(value, bool):
            return format(value, formats[col])
        return str(value)

    numeric = {c for c, _ in columns if c in formats}
    head = html.Thead(
        html.Tr([html.Th(h, scope="col", className="num" if c in numeric else None) for c, h in columns])
    )
    body = html.Tbody(
        [
            html.Tr([
                html.Td(cell(c, getattr(row, c)), className="num" if c in numeric else None)
                for c, _ in columns
            ])
            for row in frame.itertuples(index=False)
        ]
    )
    parts: list = [html.Table([html.Caption(caption), head, body], className="table")]
    if note:
        parts.append(html.P(note, className="table-note"))
    return html.Div(parts, className="table-wrap", tabIndex=0, role="region",
                    **{"aria-label": caption})
