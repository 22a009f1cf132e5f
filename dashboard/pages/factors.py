"""Influential factors: the violence rate against deprivation and other area indicators."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components import chart, dropdown_field, page_header
from dashboard.queries.factors import IMD_DOMAINS

dash.register_page(
    __name__, path="/factors", name="Influential factors", order=5, title="Influential factors"
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Influential factors",
                "How the violence rate goes with deprivation and other area indicators. "
                "Correlation is not causation: these are areas, not people.",
            ),
            dropdown_field(
                "Factor",
                dcc.Dropdown(
                    id=ids.FACTORS_CHOICE,
                    value="imd:imd",
                    clearable=False,
                    # IMD domains are known up front; loaded indicators are added by callback.
                    options=[
                        {"label": f"IMD 2019: {name}", "value": f"imd:{key}"}
                        for key, name in IMD_DOMAINS.items()
                    ],
                ),
                class_name="field field-wide",
            ),
            chart(ids.FACTORS_SCATTER, height=520),
            html.H2("All factors ranked by correlation"),
            dcc.Loading(html.Div(id=ids.FACTORS_RANKED), delay_show=300),
            chart(ids.FACTORS_DECILES, height=400),
        ]
    )
