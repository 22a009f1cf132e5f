"""Who: victims and suspects by age and sex, ethnicity, rates and disproportionality, and the
offender cohorts."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import chart, grid, page_header, panel
from dashboard.controls import from_query
from svcore.vocab import CENSUS_ETHNIC_GROUPS

dash.register_page(__name__, path="/who", name="Who", order=4, title="Who")


def _radios(legend: str, id_: str, value: str, options: list[dict]) -> html.Fieldset:
    # dbc.RadioItems: native radios with <label for> (see the where page).
    return html.Fieldset(
        [
            html.Legend(legend),
            dbc.RadioItems(id=id_, name=id_, value=value, inline=True, options=options),
        ],
        className="control-group",
    )


def layout(**query: str) -> html.Div:
    """``/who?measure=rate&reference=asian`` opens the pyramids as rates and the relative
    rate indices against the Asian group, as bookmarked."""
    values = from_query("/who", query)
    pyramids = _radios(
        "Pyramids show",
        ids.WHO_MEASURE,
        values["measure"],
        [
            {"label": "Count", "value": "count"},
            {"label": "Rate per 1,000 residents", "value": "rate"},
        ],
    )
    reference = _radios(
        "Compare rates with",
        ids.WHO_REFERENCE,
        values["reference"],
        [{"label": label, "value": code} for code, label in CENSUS_ETHNIC_GROUPS.items()],
    )
    return html.Div(
        [
            page_header(
                "Who is involved", "Victims, suspects, and the probation and youth-justice cohorts."
            ),
            html.Div([pyramids], className="controls"),
            grid(chart("who-victims"), chart("who-suspects"), chart("who-ethnicity", wide=True)),
            html.H2("Rates and disproportionality"),
            html.P(
                "Police-recorded victims and suspects per 1,000 residents of each Census 2021 "
                "ethnic group, and each group's rate relative to the group chosen below, with "
                "its 95% interval (an interval that excludes 1 is marked).",
                className="lead",
            ),
            html.Div([reference], className="controls"),
            grid(chart("who-victim-rates-ethnicity"), chart("who-suspect-rates-ethnicity")),
            grid(chart("who-rri-victims"), panel("who-rri-victims-table", "Victims"), lead=True),
            grid(chart("who-rri-suspects"), panel("who-rri-suspects-table", "Suspects"), lead=True),
            grid(chart("who-rates-age-sex", wide=True)),
            html.H2("Probation caseload"),
            grid(
                chart("who-probation-risk", height=400), chart("who-probation-offence", height=400)
            ),
            html.H2("Youth justice"),
            grid(chart("who-youth-age", height=400), chart("who-youth-repeat", height=400)),
        ]
    )
