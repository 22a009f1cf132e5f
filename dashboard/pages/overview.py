"""Overview: headline cards (count, rate, change, sparkline), the trend, each source, what is loaded."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, grid, page_header, panel

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Serious violence: overview",
                "Headline figures for the filters above, and what data is loaded.",
            ),
            panel("overview-headline", class_name="headline"),
            grid(
                chart("overview-trend", wide=True),
                panel("overview-sources", "By source"),
                html.Section(
                    [
                        html.H2("Strategic Needs Assessment pack", className="card-heading"),
                        html.P(
                            "A Word document with every section's figures and tables for the "
                            "year the filters end in (or the latest year held), with PNG and "
                            "SVG figures and a workbook, zipped. It takes about a minute.",
                            className="lead",
                        ),
                        html.Button(
                            "Build the report pack",
                            id=ids.REPORT_BUTTON,
                            n_clicks=0,
                            className="button-secondary",
                        ),
                        dcc.Loading(html.P(id=ids.REPORT_STATUS, role="status"), delay_show=300),
                        dcc.Download(id=ids.REPORT_DOWNLOAD),
                    ],
                    className="card",
                    **{"aria-label": "Strategic Needs Assessment pack"},
                ),
                panel("overview-feeds", "What is loaded", wide=True),
            ),
        ]
    )
