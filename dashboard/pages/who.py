"""Who: victims and suspects by age and sex, ethnicity, rates and disproportionality, and the
offender cohorts."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import chart, grid, page_header, panel
from dashboard.controls import from_query
from dashboard.widgets import who_measure_control, who_reference_control

dash.register_page(__name__, path="/who", name="Who", order=4, title="Who")


def layout(**query: str) -> html.Div:
    """``/who?measure=rate&reference=asian`` opens the pyramids as rates and the relative
    rate indices against the Asian group, as bookmarked."""
    values = from_query("/who", query)
    return html.Div(
        [
            page_header(
                "Who is involved", "Victims, suspects, and the probation and youth-justice cohorts."
            ),
            who_measure_control(values),
            grid(chart("who-victims"), chart("who-suspects"), chart("who-ethnicity", wide=True)),
            html.H2("Rates and disproportionality"),
            html.P(
                "Police-recorded victims and suspects per 1,000 residents of each Census 2021 "
                "ethnic group, and each group's rate relative to the group chosen below, with "
                "its 95% interval (an interval that excludes 1 is marked).",
                className="lead",
            ),
            who_reference_control(values),
            grid(chart("who-victim-rates-ethnicity"), chart("who-suspect-rates-ethnicity")),
            grid(chart("who-rri-victims"), panel("who-rri-victims-table", "Victims"), lead=True),
            grid(chart("who-rri-suspects"), panel("who-rri-suspects-table", "Suspects"), lead=True),
            grid(chart("who-rates-age-sex", wide=True)),
            html.H2("Offender cohorts over time"),
            grid(chart("who-probation-trend", height=400), chart("who-youth-trend", height=400)),
            html.H2("Probation caseload"),
            grid(
                chart("who-probation-risk", height=400), chart("who-probation-offence", height=400)
            ),
            html.H2("Youth justice"),
            grid(chart("who-youth-age", height=400), chart("who-youth-repeat", height=400)),
        ]
    )
