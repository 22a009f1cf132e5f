"""Chart downloads: the button's chart, built with the page's filters, as a file. Audited."""

from __future__ import annotations

import tempfile
from pathlib import Path

import flask
from dash import ALL, Input, Output, State, ctx, dcc, no_update

from dashboard import ids
from dashboard.callbacks.common import note_for_audit, request
from dashboard.charts.catalogue import CHARTS
from dashboard.data import WarehouseSource
from dashboard.export.charts import DATA_FORMATS, IMAGE_FORMATS, export_chart
from svcore import audit


def _record(source: WarehouseSource, action: str, req, **fields: str) -> None:
    """A file leaving the server is recorded at once (not buffered), with who and from where."""
    audit.buffer(source.warehouse).add(
        action,
        now=True,
        user=req.viewer.name,
        role=req.viewer.role,
        filters=req.filters.to_query(),
        origin=flask.request.remote_addr or "unknown",
        tier=audit.tier(source.settings(), req.viewer.role),
        **fields,
    )


def view_options(name: str, view: object) -> dict[str, str]:
    """The page controls' values the view takes (map level, shading, factor), from the
    page-controls store, so a download is the view on screen; defaults when the store is
    another page's or nonsense."""
    from urllib.parse import parse_qs

    from dashboard.callbacks.views import controls_for

    spec = CHARTS[name]
    query = ""
    if isinstance(view, dict) and view.get("page") == spec.page:
        query = str(view.get("query") or "")[:500]
    values = parse_qs(query)
    return {c.key: c.clean((values.get(c.key) or [None])[-1]) for c in controls_for(spec)}


def download(
    source: WarehouseSource, query: str | None, name: str, fmt: str, view: object = None
) -> dict:
    if name not in CHARTS or fmt not in IMAGE_FORMATS + DATA_FORMATS:
        note_for_audit(refused=f"no chart {name[:80]!r} as {fmt[:20]!r}")
        return no_update
    req = request(source, query, page=CHARTS[name].page)
    options = view_options(name, view)
    if "factor" in options:
        from dashboard.charts.factors import factor_options

        if options["factor"] not in {o["value"] for o in factor_options(req)}:
            options["factor"] = "imd:imd"
    with tempfile.TemporaryDirectory() as tmp:
        path = export_chart(name, req, fmt, Path(tmp) / f"{name}.{fmt}", **options)
        data = path.read_bytes()
    _record(source, "export", req, detail=f"chart {name} as {fmt} (screen)", file=f"{name}.{fmt}")
    return dcc.send_bytes(data, f"{name}.{fmt}")


def report_pack(source: WarehouseSource, query: str | None) -> tuple:
    """The SNA pack for the viewer's scope, zipped: the year the filters end in, or the latest."""
    import io
    import zipfile

    from dashboard.export.pdf import PdfUnavailable
    from dashboard.export.report import build_reports
    from dashboard.queries.overview import latest_month

    req = request(source, query)
    if req.viewer.role == "viewer":
        note_for_audit(refused="the report pack is not open to viewers")
        return no_update, "The report pack is for analysts and duty holders."
    end = req.filters.date_to or latest_month(req.con, req.filters.with_(source="police"))
    if not end:
        return no_update, "No police data is loaded, so there is no year to report on."
    year = int(end[:4])
    # A duty holder gets a pack for each of their districts (the chosen ones, or all they
    # may see), not the partnership's; an analyst the pack of the filter's districts.
    duty = req.viewer.scope is not None
    districts = req.filters.districts or (req.viewer.scope or ())
    with tempfile.TemporaryDirectory() as tmp:
        try:
            docs = build_reports(
                source.warehouse,
                year,
                Path(tmp),
                req.filters.definition,
                tuple(districts),
                each_district=duty,
                partnership=not duty,
                viewer=req.viewer,
            )
        except PdfUnavailable as exc:
            return no_update, str(exc)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(tmp))
    names = ", ".join(str(d.relative_to(tmp)) for d in docs)
    _record(source, "report", req, detail=f"SNA pack {year} (screen)", file=names)
    what = f"{len(docs)} district packs" if len(docs) > 1 else "the pack"
    return dcc.send_bytes(buffer.getvalue(), f"sna-{year}.zip"), f"Built {what} for {year}."


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.REPORT_DOWNLOAD, "data"),
        Output(ids.REPORT_STATUS, "children"),
        Input(ids.REPORT_BUTTON, "n_clicks"),
        State(ids.FILTERS, "data"),
        prevent_initial_call=True,
    )
    def on_report(clicks, query):
        if not clicks:
            return no_update, no_update
        return report_pack(source, query)

    @app.callback(
        Output(ids.DOWNLOAD_TARGET, "data"),
        Input({"type": ids.DOWNLOAD, "chart": ALL, "fmt": ALL}, "n_clicks"),
        State(ids.FILTERS, "data"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def on_click(clicks, query, view):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(c for c in clicks or []):
            return no_update
        fired = [t for t in ctx.triggered if t.get("value")]
        if not fired:
            return no_update
        return download(source, query, str(trigger.get("chart")), str(trigger.get("fmt")), view)
