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
                [
                    html.Span(caption, className="chart-caption"),
                    html.Span(id=ids.alt(graph_id), className="visually-hidden"),
                    _downloads(ids.CHART_OF.get(graph_id)),
                ]
            ),
        ],
        className="chart",
    )


def _downloads(name: str | None) -> html.Div | None:
    """Download buttons: the chart as an image, or its suppressed data, built server-side
    from the same catalogue chart and the same filters."""
    if name is None:
        return None
    words = name.replace("-", " ")
    return html.Div(
        [html.Span("Download:", className="download-label")]
        + [
            html.Button(
                fmt.upper(),
                id={"type": ids.DOWNLOAD, "chart": name, "fmt": fmt},
                className="download-button",
                n_clicks=0,
                **{"aria-label": f"Download {words} as {fmt.upper()}"},
            )
            for fmt in ("png", "svg", "csv", "xlsx")
        ],
        className="downloads",
    )


def dropdown_field(label: str, dropdown: dcc.Dropdown, class_name: str = "field") -> html.Div:
    """A dcc.Dropdown with a visible label that also reaches the control's accessible name.

    Dash 4.4 renders the dropdown as ``<button aria-labelledby="{id}-value-count {id}-value">``:
    its name is the shown value or placeholder ("2023-01"), and aria-labelledby outranks
    ``<label for>``, so the label is lost to screen readers and speech input. The component has
    no aria props. A single-select never renders ``{id}-value-count`` (it appears only with two or
    more values), so its label takes that id and starts the name: "From 2023-01". A multi-select
    does render it, so there the label names a group round the control instead.
    tests/browser/test_accessibility.py checks the names, so a change in Dash shows up there.
    """
    control_id = dropdown.id
    if getattr(dropdown, "multi", False):
        label_id = f"{control_id}-label"
        group = {"role": "group", "aria-labelledby": label_id}
    else:
        label_id = f"{control_id}-value-count"
        group = {}
    return html.Div(
        [html.Label(label, htmlFor=control_id, id=label_id, className="field-label"), dropdown],
        className=class_name,
        **group,
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
        html.Tr(
            [html.Th(h, scope="col", className="num" if c in numeric else None) for c, h in columns]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(cell(c, getattr(row, c)), className="num" if c in numeric else None)
                    for c, _ in columns
                ]
            )
            for row in frame.itertuples(index=False)
        ]
    )
    parts: list = [html.Table([html.Caption(caption), head, body], className="table")]
    if note:
        parts.append(html.P(note, className="table-note"))
    return html.Div(
        parts, className="table-wrap", tabIndex=0, role="region", **{"aria-label": caption}
    )
