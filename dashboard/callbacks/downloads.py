"""Chart downloads: the button's chart, built with the page's filters, as a file. Audited."""

from __future__ import annotations

import tempfile
from pathlib import Path

from dash import ALL, Input, Output, State, ctx, dcc, no_update

from dashboard import ids
from dashboard.callbacks.common import request
from dashboard.charts.catalogue import CHARTS
from dashboard.data import WarehouseSource
from dashboard.export.charts import DATA_FORMATS, IMAGE_FORMATS, export_chart
from svcore import audit


def download(source: WarehouseSource, query: str | None, name: str, fmt: str) -> dict:
    if name not in CHARTS or fmt not in IMAGE_FORMATS + DATA_FORMATS:
        return no_update
    req = request(source, query, page=CHARTS[name].page)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_chart(name, req, fmt, Path(tmp) / f"{name}.{fmt}")
        data = path.read_bytes()
    audit.record(source.warehouse, "export", user=req.viewer.name, role=req.viewer.role,
                 detail=f"chart {name} as {fmt} (screen)", filters=req.filters.to_query(),
                 file=f"{name}.{fmt}")
    return dcc.send_bytes(data, f"{name}.{fmt}")


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.DOWNLOAD_TARGET, "data"),
        Input({"type": ids.DOWNLOAD, "chart": ALL, "fmt": ALL}, "n_clicks"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )
    def on_click(clicks, query):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(c for c in clicks or []):
            return no_update
        fired = [t for t in ctx.triggered if t.get("value")]
        if not fired:
            return no_update
        return download(source, query, str(trigger.get("chart")), str(trigger.get("fmt")))
