"""Data-quality wiring: coverage grid, completeness, timeliness, reasons and load history."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.components import table
from dashboard.data import WarehouseSource
from dashboard.queries.quality import (
    codes_not_in_definition,
    completeness,
    load_history,
    quarantine_reasons,
    timeliness,
)
from svcore.vocab import SOURCES

FIELDS = (("lsoa", "LSOA"), ("time_of_day", "Time of day"), ("age", "Age"), ("sex", "Sex"))


def quality_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query, page="/quality")
    fig, alt = figure_and_alt("quality-coverage", req)
    comp = req.q(completeness)
    for field, _ in FIELDS:
        share = comp[field] / comp["rows"].where(comp["rows"] > 0)
        comp[field] = [
            "not in this feed" if n == 0 else f"{s:.1%}" for n, s in zip(comp[field], share, strict=True)
        ]
    comp["feed"] = comp["feed"].map(lambda s: SOURCES.get(s, s))
    completeness_table = table(
        comp, [("feed", "Feed"), ("rows", "Rows"), *FIELDS],
        caption="Share of live rows with each key field recorded", formats={"rows": ","},
    )
    tl = req.q(timeliness)
    tl["feed"] = tl["feed"].map(lambda s: SOURCES.get(s, s))
    tl["last_load"] = tl["last_load"].astype(str).str[:16]
    timeliness_table = table(
        tl, [("feed", "Feed"), ("latest_month", "Latest month held"), ("last_load", "Last load"),
             ("median_days_to_load", "Median days from month end to load")],
        caption="How fresh each feed is", formats={"median_days_to_load": ",.0f"},
    )
    reasons = table(
        req.q(quarantine_reasons),
        [("feed", "Feed"), ("column_name", "Column"), ("reason", "Reason"), ("rows", "Rows"),
         ("files", "Files"), ("example_file", "Example file"), ("example_line", "Line")],
        caption="Quarantined rows by reason (bad values are not shown: they may be personal data)",
        formats={"rows": ",", "files": ","},
    )
    # Raw counts through the existing table helper (disclosure is being reworked separately).
    unknown = req.q(codes_not_in_definition, req.filters.definition)
    unknown["feed"] = unknown["feed"].map(lambda s: SOURCES.get(s, s))
    unknown_codes = table(
        unknown, [("feed", "Feed"), ("code", "Code"), ("rows", "Rows")],
        caption=f"Live rows whose code the definition ({req.definition.title}) names nowhere: "
                "they count in no serious-violence figure. Add the code to the definition, "
                "or recode it in the partner's mapping file.",
        formats={"rows": ","},
    )
    hist = req.q(load_history, limit=50)
    hist["finished_at"] = hist["finished_at"].astype(str).str[:16]
    history = table(
        hist, [("load_id", "Load"), ("finished_at", "Finished"), ("feed", "Feed"),
               ("partner", "Partner"), ("file_name", "File"), ("status", "Status"),
               ("rows_read", "Read"), ("rows_loaded", "Loaded"), ("rows_quarantined", "Quarantined"),
               ("rows_out_of_area", "Out of area"), ("rows_excluded", "Excluded"),
               ("mode", "Mode"), ("rows_added", "Added"), ("rows_updated", "Updated"),
               ("rows_removed", "Removed"), ("message", "Message")],
        caption="The latest 50 loads, newest first (svdash status lists them all)",
        formats={c: "," for c in ("rows_read", "rows_loaded", "rows_quarantined",
                                  "rows_out_of_area", "rows_excluded", "rows_added",
                                  "rows_updated", "rows_removed")},
    )
    return fig, alt, completeness_table, timeliness_table, reasons, history, unknown_codes


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.QUALITY_COVERAGE, "figure"), Output(ids.alt(ids.QUALITY_COVERAGE), "children"),
        Output(ids.QUALITY_COMPLETENESS, "children"), Output(ids.QUALITY_TIMELINESS, "children"),
        Output(ids.QUALITY_REASONS, "children"), Output(ids.QUALITY_HISTORY, "children"),
        Output(ids.QUALITY_UNKNOWN_CODES, "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query):
        return quality_outputs(source, query)
