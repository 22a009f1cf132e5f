"""Overview wiring: URL filters -> queries -> figures. No SQL, no styling."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import ids
from dashboard.data import WarehouseSource
from dashboard.figures import Context
from dashboard.figures.trend import trend_figure
from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from dashboard.queries.overview import loaded_feeds, monthly_trend
from svcore.definitions import load_definition
from svcore.disclosure import SUPPRESSED, rule_for, suppress_counts
from svcore.vocab import SOURCES


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.OVERVIEW_HEADLINE, "children"),
        Output(ids.OVERVIEW_TREND, "figure"),
        Output(ids.OVERVIEW_FEEDS, "children"),
        Output(ids.FILTER_MESSAGES, "children"),
        Input(ids.URL, "search"),
    )
    def update(search: str | None):
        settings = source.settings()
        filters = parse_filters(search, default_definition=settings.definition)
        con = source.connection()
        rule = rule_for(settings, filters.source)
        definition = load_definition(filters.definition)
        total = suppress_counts(count_table(con, filters, []), rule)
        trend = suppress_counts(monthly_trend(con, filters), rule)
        ctx = Context(
            title="Serious violence by month",
            period=filters.describe(),
            definition=definition.title,
            source_line=SOURCES.get(filters.source, "all partner feeds") if filters.source else "all partner feeds",
            note=rule.note(),
        )
        value = total["count"].iloc[0] if len(total) else 0
        headline = html.Div(
            [
                html.Span(f"{value:,}" if value != SUPPRESSED else SUPPRESSED, className="headline-number"),
                html.Span(" serious-violence events, " + filters.describe(), className="headline-label"),
            ]
        )
        feeds = loaded_feeds(con)
        table = html.Table(
            [html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Feed", "Rows", "From", "To", "Last load")]))]
            + [
                html.Tbody(
                    [
                        html.Tr([
                            html.Td(r.feed), html.Td(f"{int(r.rows):,}"), html.Td(r.first_period),
                            html.Td(r.last_period), html.Td(str(r.last_load)[:16]),
                        ])
                        for r in feeds.itertuples()
                    ]
                )
            ],
            className="table",
        )
        messages = [html.P(m, className="filter-message") for m in filters.messages]
        return headline, trend_figure(trend, ctx), table, messages
