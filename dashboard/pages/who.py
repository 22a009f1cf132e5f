"""Who: victims and suspects by age and sex, ethnicity, and the offender cohorts."""

from __future__ import annotations

import dash
from dash import html

from dashboard import ids
from dashboard.components import chart, page_header

dash.register_page(__name__, path="/who", name="Who", order=4, title="Who")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Who is involved", "Victims, suspects, and the probation and youth-justice cohorts."
            ),
            html.Div([chart(ids.WHO_VICTIMS), chart(ids.WHO_SUSPECTS)], className="two-up"),
            chart(ids.WHO_ETHNICITY),
            html.H2("Probation caseload"),
            html.Div(
                [
                    chart(ids.WHO_PROBATION, height=380),
                    chart(ids.WHO_PROBATION_OFFENCE, height=380),
                ],
                className="two-up",
            ),
            html.H2("Youth justice"),
            html.Div(
                [chart(ids.WHO_YOUTH, height=380), chart(ids.WHO_REPEAT, height=380)],
                className="two-up",
            ),
        ]
    )
