"""The page controls as components, one definition each: a page and a board that shows one of
its views lay out the same control (same id, so the view's one callback takes it)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components import dropdown_field
from dashboard.controls import from_query
from dashboard.queries.factors import IMD_DOMAINS
from svcore.vocab import CENSUS_ETHNIC_GROUPS


def where_controls(values: dict[str, str]) -> html.Div:
    """The map's areas and shading (``/where?level=lsoa&measure=count``)."""
    # dbc.RadioItems, not dcc.RadioItems: Dash 4's renders a role="listbox" of
    # role="option" labels wrapping radio inputs (nested interactive controls, a nameless
    # listbox); dbc's are plain native radios with <label for>, one group per `name`.
    return html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("Map areas"),
                    dbc.RadioItems(
                        id=ids.WHERE_LEVEL,
                        name=ids.WHERE_LEVEL,
                        value=values["level"],
                        inline=True,
                        options=[
                            {"label": "Follow filters", "value": "auto"},
                            {"label": "Districts", "value": "district"},
                            {"label": "Wards", "value": "ward"},
                            {"label": "LSOAs", "value": "lsoa"},
                        ],
                    ),
                ],
                className="control-group",
            ),
            html.Fieldset(
                [
                    html.Legend("Shade by"),
                    dbc.RadioItems(
                        id=ids.WHERE_MEASURE,
                        name=ids.WHERE_MEASURE,
                        value=values["measure"],
                        inline=True,
                        options=[
                            {"label": "Rate per 1,000 residents", "value": "rate"},
                            {"label": "Count", "value": "count"},
                        ],
                    ),
                ],
                className="control-group",
            ),
        ],
        className="controls",
    )


def factor_control(values: dict[str, str]) -> html.Div:
    """The factor the scatter plots against (``/factors?factor=imd:income``)."""
    factor = values["factor"]
    # IMD domains are known up front; loaded indicators are added by callback. A bookmarked
    # indicator is offered at once too, or the dropdown would drop the value it has no option for.
    options = [
        {"label": f"IMD 2019: {name}", "value": f"imd:{key}"} for key, name in IMD_DOMAINS.items()
    ]
    if factor not in {o["value"] for o in options}:
        options.append({"label": factor, "value": factor})
    return dropdown_field(
        "Factor",
        dcc.Dropdown(id=ids.FACTORS_CHOICE, value=factor, clearable=False, options=options),
        class_name="field field-wide",
    )


def _radios(legend: str, id_: str, value: str, options: list[dict]) -> html.Fieldset:
    # dbc.RadioItems: native radios with <label for> (see ``where_controls``).
    return html.Fieldset(
        [
            html.Legend(legend),
            dbc.RadioItems(id=id_, name=id_, value=value, inline=True, options=options),
        ],
        className="control-group",
    )


def who_measure_control(values: dict[str, str]) -> html.Div:
    """Pyramids as counts or rates (``/who?measure=rate``)."""
    return html.Div(
        [
            _radios(
                "Pyramids show",
                ids.WHO_MEASURE,
                values["measure"],
                [
                    {"label": "Count", "value": "count"},
                    {"label": "Rate per 1,000 residents", "value": "rate"},
                ],
            )
        ],
        className="controls",
    )


def who_reference_control(values: dict[str, str]) -> html.Div:
    """The group relative rate indices compare with (``/who?reference=asian``)."""
    return html.Div(
        [
            _radios(
                "Compare rates with",
                ids.WHO_REFERENCE,
                values["reference"],
                [{"label": label, "value": code} for code, label in CENSUS_ETHNIC_GROUPS.items()],
            )
        ],
        className="controls",
    )


def who_controls(values: dict[str, str]) -> html.Div:
    return html.Div([who_measure_control(values), who_reference_control(values)])


# Page -> its controls' component, set from the URL's parameters (``layout(**query)``).
PAGE_CONTROLS = {"/where": where_controls, "/factors": factor_control, "/who": who_controls}


def page_controls(page: str, query: dict) -> html.Div:
    return PAGE_CONTROLS[page](from_query(page, query))
