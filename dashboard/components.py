"""Layout building blocks shared by every page: charts with text alternatives, tables, headers.

Layout only: no data access. Tables are dash-ag-grid grids (sort, filter, keyboard) showing a
view's data exactly as published, with a visible caption that names the grid for screen readers.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Sequence

import dash_ag_grid as dag
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


# Tables -----------------------------------------------------------------------------------------

GRID_AUTO_HEIGHT_ROWS = 15  # up to this many rows the grid is as tall as its rows; then it scrolls
GRID_ROW_HEIGHT = 36  # px
GRID_HEADER_HEIGHT = 48  # px, a two-line wrapped header
MISSING = "–"  # what an empty cell shows (None, NaN)
GRID_NAMING_EVENTS = ("firstDataRendered", "columnResized", "modelUpdated")
# Shown under a grid while the keyboard is in it (assets/style.css); ag-grid itself announces
# the header keys to screen readers, so this is hidden from them.
GRID_KEYS = (
    "Keyboard: arrow keys move between cells; Enter on a column heading sorts by it, Ctrl+Enter "
    "opens its filter; Tab leaves the table."
)
# Python's format specs the views use, all valid d3-format specifiers as they stand.
# The number formats a table view may give (Python format specs that d3-format reads alike).
TABLE_FORMAT = re.compile(r"[+\- ]?,?(\.\d+)?[dfe%]?")
# d3's default locale writes a minus sign as U+2212; Python (and so the CSV) writes "-".
_D3_FORMAT = (
    "d3.formatLocale({decimal: '.', thousands: ',', grouping: [3], currency: ['£', ''],"
    " minus: '-'}).format(%s)(params.value)"
)
# Grid look: the site's type and colours on ag-grid's Quartz theme (its Theming API).
_THEME = (
    "themeQuartz.withParams({fontFamily: 'inherit', fontSize: 15, headerFontSize: 15,"
    " headerFontWeight: 700, foregroundColor: '#0b0c0c', headerTextColor: '#0b0c0c',"
    " headerBackgroundColor: '#f3f2f1', borderColor: '#b1b4b6', accentColor: '#12436D',"
    " rowHeight: %d, headerHeight: %d, wrapperBorderRadius: 0, spacing: 6})"
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "table"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(values: list, formatted: bool) -> bool:
    """A column of numbers (a hidden "[c]" or an empty cell among them): right-aligned, sorted
    and filtered as numbers."""
    present = [v for v in values if v is not None]
    return formatted or (bool(present) and all(_is_number(v) for v in present))


def _cell_value(value: object) -> object:
    """A cell as published, in JSON: numbers stay numbers (the grid formats them), NaN and NA
    become empty, anything else (``[c]``, words, dates) is shown as the text it is."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value if isinstance(value, str) else str(value)


def _value_formatter(spec: str | None) -> dict:
    """Display only (sorting and filtering see the value): a number in the view's own format,
    an empty cell as "–", text such as the disclosure marker "[c]" as it is.

    dash-ag-grid evaluates the expression itself (no ``typeof``: ``x === +x`` holds for numbers
    only), so it needs no script compiled at run time, which the CSP would refuse."""
    shown = "params.value"
    if spec is not None:
        if not TABLE_FORMAT.fullmatch(spec):
            raise ValueError(f"table format {spec!r} has no d3-format equivalent here")
        shown = f"(params.value === +params.value ? {_D3_FORMAT % json.dumps(spec)} : params.value)"
    return {"function": f"params.value == null ? {json.dumps(MISSING)} : {shown}"}


def _column_def(index: int, column: str, header: str, values: list, spec: str | None) -> dict:
    field = f"c{index}"  # not the frame's name: ag-grid reads dots in a field as a path
    value = f"params.data.{field}"
    numeric = _numeric(values, spec is not None)
    col = {
        "field": field,
        "colId": column,
        "headerName": header,
        "valueFormatter": _value_formatter(spec),
        "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
    }
    if numeric:
        col |= {
            "type": "rightAligned",  # ag-grid's own classes: ag-right-aligned-header/-cell
            # The number filter compares numbers: a hidden or empty cell is blank to it.
            "filterValueGetter": {"function": f"{value} === +{value} ? {value} : null"},
        }
    return col


def table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    caption: str,
    formats: dict[str, str] | None = None,
    note: str = "",
    name: str | None = None,
) -> html.Div:
    """A view's table as an interactive grid: sortable (by mouse or keyboard: Enter on a header),
    filterable, resizable columns, with its caption, note and server-side CSV/XLSX downloads of
    the same view (``name``, the catalogue name; the grid itself exports nothing).

    ``columns``: (frame column, header). ``formats``: column -> format spec for numbers (Python's,
    which d3-format shares). Cells hold the view's data as published; the grid only formats
    them for display. Ids are ``{name}-grid``, ``{name}-caption`` and ``{name}-note``.
    """
    formats = formats or {}
    base = name or _slug(caption)
    caption_id, note_id = f"{base}-caption", f"{base}-note"
    cells = {
        f"c{i}": [_cell_value(v) for v in frame[c].tolist()] for i, (c, _) in enumerate(columns)
    }
    rows = [dict(zip(cells, values, strict=True)) for values in zip(*cells.values(), strict=True)]
    auto_height = len(rows) <= GRID_AUTO_HEIGHT_ROWS
    name_grid = f"svdashNameGrid({json.dumps(caption_id)}, {json.dumps(note_id if note else '')})"
    grid = dag.AgGrid(
        id=f"{base}-grid",
        className="table-grid",
        columnDefs=[
            _column_def(i, c, h, cells[f"c{i}"], formats.get(c)) for i, (c, h) in enumerate(columns)
        ],
        rowData=rows,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "minWidth": 80,
            # assets/dashAgGridFunctions.js: numbers as numbers, "[c]" and empty cells last.
            "comparator": {"function": "svdashPublishedOrder"},
        },
        columnSize="autoSize",
        dashGridOptions={
            "theme": {"function": _THEME % (GRID_ROW_HEIGHT, GRID_HEADER_HEIGHT)},
            "domLayout": "autoHeight" if auto_height else "normal",
            "animateRows": False,
            "enableCellTextSelection": True,
            "ensureDomOrder": True,  # screen readers read the cells in the order shown
            "suppressColumnVirtualisation": True,
            "suppressRowVirtualisation": True,
            # One Tab stop (the ARIA grid pattern): arrows move between cells, Tab leaves.
            "tabToNextHeader": {"function": "false"},
            "tabToNextCell": {"function": "false"},
            # The CSV and XLSX come from the server, from the same view, and are audited.
            "suppressCsvExport": True,
            "suppressExcelExport": True,
        },
        # dash-ag-grid adds these once the grid is ready, after its first render: autoSize's
        # columnResized comes after that (and each sort or filter's modelUpdated).
        eventListeners={event: [name_grid] for event in GRID_NAMING_EVENTS},
        style={
            "height": None
            if auto_height
            else f"{GRID_HEADER_HEIGHT + GRID_AUTO_HEIGHT_ROWS * GRID_ROW_HEIGHT + 2}px",
            "width": "100%",
        },
    )
    parts: list = [
        html.P(caption, id=caption_id, className="table-caption"),
        grid,
        html.P(GRID_KEYS, className="table-keys", **{"aria-hidden": "true"}),
    ]
    if note:
        parts.append(html.P(note, id=note_id, className="table-note"))
    if name is not None:
        parts.append(downloads(name, ("csv", "xlsx")))
    return html.Div(parts, className="table-wrap", role="region", **{"aria-labelledby": caption_id})
