"""components.table: a view's table as a dash-ag-grid grid holding the view's data as published
(the grid formats it for display only), with deterministic ids and server-side downloads."""

from __future__ import annotations

import getpass
import json
import math
from pathlib import Path

import dash_ag_grid as dag
import pandas as pd
import pytest
from dash import html

from dashboard import ids
from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build
from dashboard.charts.request import make_request
from dashboard.components import MISSING, table
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from svcore.disclosure import SUPPRESSED

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def parts(div: html.Div) -> dict[str, object]:
    found = {}
    for child in div.children:
        key = getattr(child, "id", None)
        key = key if isinstance(key, str) else type(child).__name__
        found[key] = child
    return found


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area.name": ["Leeds", "Bradford", None],
            "count": [11444, SUPPRESSED, 7],
            "rate": [14.0579, float("nan"), None],
            "load": [3, 2, 1],
        }
    )


COLUMNS = [("area.name", "Area"), ("count", "Events"), ("rate", "Rate"), ("load", "Load")]


def test_ids_caption_note_and_downloads() -> None:
    div = table(
        frame(), COLUMNS, "Top areas", {"count": ",", "rate": ",.1f"}, "A note.", "where-top"
    )
    got = parts(div)
    grid = got["where-top-grid"]
    assert isinstance(grid, dag.AgGrid)
    assert got["where-top-caption"].children == "Top areas"
    assert got["where-top-note"].children == "A note."
    assert div.role == "region" and getattr(div, "aria-labelledby") == "where-top-caption"
    buttons = got["Div"].children[1:]
    assert [b.id for b in buttons] == [
        {"type": ids.DOWNLOAD, "chart": "where-top", "fmt": fmt} for fmt in ("csv", "xlsx")
    ]
    # Only the server's export: nothing in the grid exports.
    assert grid.dashGridOptions["suppressCsvExport"] and grid.dashGridOptions["suppressExcelExport"]
    assert not getattr(grid, "exportDataAsCsv", False)


def test_cells_are_the_published_values() -> None:
    grid = parts(table(frame(), COLUMNS, "Top areas", {"count": ","}, name="x"))["x-grid"]
    assert grid.rowData == [
        {"c0": "Leeds", "c1": 11444, "c2": 14.0579, "c3": 3},
        {"c0": "Bradford", "c1": SUPPRESSED, "c2": None, "c3": 2},
        {"c0": None, "c1": 7, "c2": None, "c3": 1},
    ]
    json.dumps(grid.rowData, allow_nan=False)  # plain JSON: no NaN, no numpy scalars


def test_columns_formats_and_alignment() -> None:
    grid = parts(table(frame(), COLUMNS, "T", {"count": ",", "rate": "+.0%"}, name="x"))["x-grid"]
    defs = {c["colId"]: c for c in grid.columnDefs}
    assert [c["headerName"] for c in grid.columnDefs] == ["Area", "Events", "Rate", "Load"]
    assert "d3.formatLocale" in defs["count"]["valueFormatter"]["function"]
    assert '.format(",")' in defs["count"]["valueFormatter"]["function"]
    assert '.format("+.0%")' in defs["rate"]["valueFormatter"]["function"]
    assert "d3" not in defs["load"]["valueFormatter"]["function"]  # a number shown as it is
    for col in ("count", "rate", "load"):  # formatted, or numbers only: right-aligned numbers
        assert defs[col]["type"] == "rightAligned"
        assert defs[col]["filter"] == "agNumberColumnFilter"
    assert "type" not in defs["area.name"] and defs["area.name"]["filter"] == "agTextColumnFilter"
    assert defs["area.name"]["field"] == "c0"  # a dot in a name is not a path
    assert all(json.dumps(MISSING) in c["valueFormatter"]["function"] for c in grid.columnDefs)
    assert grid.defaultColDef["sortable"] and grid.defaultColDef["filter"]
    assert grid.defaultColDef["comparator"] == {"function": "svdashPublishedOrder"}


def test_short_tables_fit_their_rows_long_ones_scroll() -> None:
    short = parts(table(frame(), COLUMNS, "T", name="x"))["x-grid"]
    assert short.dashGridOptions["domLayout"] == "autoHeight" and short.style["height"] is None
    many = pd.concat([frame()] * 6, ignore_index=True)  # 18 rows
    long = parts(table(many, COLUMNS, "T", name="x"))["x-grid"]
    assert long.dashGridOptions["domLayout"] == "normal" and long.style["height"].endswith("px")


def test_a_format_d3_cannot_read_is_refused() -> None:
    with pytest.raises(ValueError, match="d3-format"):
        table(frame(), COLUMNS, "T", {"count": "_"}, name="x")


def test_without_a_name_ids_come_from_the_caption_and_no_downloads() -> None:
    got = parts(table(frame(), COLUMNS, "Top 10 areas, by rate"))
    assert "top-10-areas-by-rate-grid" in got and "Div" not in got


def test_the_grid_functions_know_the_disclosure_marker() -> None:
    js = (ASSETS / "dashAgGridFunctions.js").read_text(encoding="utf-8")
    assert f"var SUPPRESSED = {json.dumps(SUPPRESSED)};" in js
    assert f'var MISSING = "{MISSING}";' in js
    assert "svdashPublishedOrder" in js and "svdashNameGrid" in js


@pytest.fixture(scope="module", params=["admin", "viewer"])
def req(demo_warehouse: Path, request):
    """The exact tier, and a viewer's cell-key perturbed one."""
    query = "district=E08000033&from=2021-01&to=2021-06"
    return make_request(
        WarehouseSource(demo_warehouse),
        parse_filters(query),
        Viewer(getpass.getuser(), request.param),
    )


@pytest.mark.parametrize("name", sorted(n for n, s in CHARTS.items() if s.kind == "table"))
def test_every_table_view_shows_its_data_as_published(req, name: str) -> None:
    """No numbers made here: each cell is the view's own value (NaN shown empty), in JSON."""
    if not req.viewer.may_open(CHARTS[name].page):
        pytest.skip(f"{CHARTS[name].page} is not open to {req.viewer.role}")
    view = build(name, req)
    grid = parts(table(view.data, **view.meta["table"], name=view.name))[f"{name}-grid"]
    columns = [c for c, _ in view.meta["table"]["columns"]]
    assert len(grid.rowData) == len(view.data)
    for row, (_, want) in zip(grid.rowData, view.data[columns].iterrows(), strict=True):
        for i, col in enumerate(columns):
            value, expected = row[f"c{i}"], want[col]
            if value is None:
                assert expected is None or (not isinstance(expected, str) and math.isnan(expected))
            else:
                assert value == expected and type(value) in (int, float, str), (name, col)
    json.dumps(grid.rowData, allow_nan=False)
