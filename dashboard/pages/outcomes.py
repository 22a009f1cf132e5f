"""Outcomes: what happened to recorded serious violence (Home Office outcomes framework)."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel

dash.register_page(__name__, path="/outcomes", name="Outcomes", order=4.5, title="Outcomes")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Justice outcomes",
                "What happened to recorded serious violence: charges, out-of-court disposals "
                "and the rest of the Home Office outcomes framework, for the criminal justice "
                "board and the out-of-court disposals scrutiny panel.",
            ),
            grid(
                chart("outcomes-groups", height=560),
                panel("outcomes-oocd-share", "Out-of-court disposals"),
            ),
            grid(chart("outcomes-trend"), chart("outcomes-by-offence")),
            grid(chart("outcomes-by-area"), chart("outcomes-by-suspect-ethnicity")),
            grid(
                chart("outcomes-rri-suspect-ethnicity"),
                panel("outcomes-rri-table", "By suspect ethnicity"),
                lead=True,
            ),
            html.H2("police.uk and youth justice"),
            grid(chart("outcomes-policeuk", height=560), chart("outcomes-youth", height=460)),
        ]
    )
