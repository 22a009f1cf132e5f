"""Who: victims and suspects by age and sex, ethnicity, and the offender cohorts."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header

dash.register_page(__name__, path="/who", name="Who", order=4, title="Who")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Who is involved", "Victims, suspects, and the probation and youth-justice cohorts."
            ),
            grid(chart("who-victims"), chart("who-suspects"), chart("who-ethnicity", wide=True)),
            html.H2("Probation caseload"),
            grid(
                chart("who-probation-risk", height=400), chart("who-probation-offence", height=400)
            ),
            html.H2("Youth justice"),
            grid(chart("who-youth-age", height=400), chart("who-youth-repeat", height=400)),
        ]
    )
