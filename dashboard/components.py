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


def chart(name: str, height: int = 460, caption: str = "", wide: bool = False) -> html.Figure:
    """A view's graph (id = its catalogue name) in a card, with a loading state, the text
    alternative a callback fills in, and the view's download buttons."""
    return html.Figure(
        [
            dcc.Loading(
                dcc.Graph(
                    id=name,
                    config=GRAPH_CONFIG,
                    style={"height": f"{height}px"},
                    responsive=True,
                ),
                type="default",
                delay_show=300,
            ),
            html.Figcaption(
                [
                    html.Span(caption, className="chart-caption"),
                    html.Span(id=ids.alt(name), className="visually-hidden"),
                    downloads(name),
                ]
            ),
        ],
        className="chart card" + (" span-2" if wide else ""),
    )


def panel(name: str, heading: str = "", wide: bool = False, class_name: str = "") -> html.Section:
    """A card holding a table, sentence or headline view (id = its catalogue name)."""
    body = dcc.Loading(html.Div(id=name, className=class_name or None), delay_show=300)
    parts = [html.H2(heading, className="card-heading"), body] if heading else [body]
    return html.Section(
        parts,
        className="card" + (" span-2" if wide else ""),
        **({"aria-label": heading} if heading else {}),
    )


def grid(*children, lead: bool = False) -> html.Div:
    """The page grid: one column, two from about 1200 px wide (assets/style.css); ``lead``
    gives the first column more room (a map beside its table)."""
    return html.Div(list(children), className="grid grid-lead" if lead else "grid")


def headline_cards(meta: dict) -> html.Div:
    """The overview's headline cards: value, words and sparkline per card, as the view made
    them (no numbers are made here)."""
    cards = []
    for card in meta.get("cards", []):
        spark = card.get("spark")
        cards.append(
            html.Div(
                [
                    html.P(card["label"], className="kpi-label"),
                    html.P(card["value"], className="kpi-value"),
                    html.P(card["detail"], className="kpi-detail"),
                    html.Div(
                        dcc.Graph(
                            figure=spark,
                            config={"staticPlot": True, "displayModeBar": False},
                            style={"height": "48px"},
                        ),
                        className="kpi-spark",
                        **{"aria-hidden": "true"},
                    )
                    if spark
                    else None,
                    html.P(spark["layout"]["meta"]["alt"], className="visually-hidden")
                    if spark
                    else None,
                ],
                className="kpi",
            )
        )
    parts: list = [
        html.P("For " + meta.get("scope", ""), className="kpi-caption"),
        html.Div(cards, className="kpis"),
    ]
    if meta.get("wide"):
        parts.append(html.Ul([html.Li(x) for x in meta["wide"]]))
    parts.append(html.P(meta["note"], className="table-note"))
    return html.Div(parts)


def downloads(name: str, formats: tuple[str, ...] = ("png", "svg", "csv", "xlsx")) -> html.Div:
    """Download buttons: the view as an image, or its published data, built server-side from
    the same catalogue view and the same filters (and audited there)."""
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
            for fmt in formats
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
    name: str | None = None,
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
