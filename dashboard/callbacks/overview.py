"""Overview wiring: filters -> queries -> figures. No SQL, no styling."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.components import table
from dashboard.data import WarehouseSource
from dashboard.queries.counts import count_table
from dashboard.queries.overview import headline, loaded_feeds, source_totals
from svcore.disclosure import SUPPRESSED, suppress_counts
from svcore.vocab import SOURCES


def overview_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    f = req.filters
    head = req.q(headline, f, req.rule)
    fig, alt = figure_and_alt("overview-trend", req)
    number = head["count"]
    parts = [
        html.Span(f"{number:,}" if number != SUPPRESSED else SUPPRESSED, className="headline-number"),
        html.Span(" serious-violence events, " + f.describe(req.names), className="headline-label"),
    ]
    facts = []
    if head["rate"] is not None:
        facts.append(f"{head['rate']:,.1f} per 1,000 residents a year")
    if head["change"] is not None:
        facts.append(
            f"{head['change']:+.0%} on the previous 12 months ({head['last12']:,} in the 12 months "
            f"to {head['last_month']})"
        )
    if f.scope is not None:
        # Duty holders see other districts only inside the partnership-wide total.
        whole = f.with_(scope=None, districts=(), wards=())
        total = suppress_counts(req.q(count_table, whole, ()), req.rule)["count"].iloc[0]
        shown = total if total == SUPPRESSED else f"{int(total):,}"
        facts.append(f"Partnership-wide (all districts): {shown}")
    headline_block = html.Div([html.Div(parts), html.Ul([html.Li(x) for x in facts])])
    totals = source_totals(source.settings(), req.con, f)
    sources = table(
        totals.assign(source=totals["source"].map(lambda s: SOURCES.get(s, s))),
        [("source", "Source"), ("count", "Events in period"), ("change", "Change on previous year")],
        caption="Serious violence by partner source for the filters (sources are not additive)",
        formats={"count": ",", "change": "+.0%"},
    )
    feeds = req.q(loaded_feeds)
    loaded = table(
        feeds.assign(last_load=feeds["last_load"].astype(str).str[:16]),
        [("feed", "Feed"), ("rows", "Rows"), ("first_period", "From"), ("last_period", "To"),
         ("last_load", "Last load")],
        caption="Feeds loaded in the warehouse", formats={"rows": ","},
    )
    return headline_block, fig, alt, sources, loaded


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.OVERVIEW_HEADLINE, "children"),
        Output(ids.OVERVIEW_TREND, "figure"),
        Output(ids.alt(ids.OVERVIEW_TREND), "children"),
        Output(ids.OVERVIEW_SOURCES, "children"),
        Output(ids.OVERVIEW_FEEDS, "children"),
        Input(ids.FILTERS, "data"),
    )
    def update(query: str | None):
        return overview_outputs(source, query)
