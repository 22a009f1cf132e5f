"""Influential-factors wiring: the chosen factor's scatter, all factors ranked, decile profile."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import figure_and_alt, request
from dashboard.charts.factors import factor_options, ranked_factors
from dashboard.components import table
from dashboard.data import WarehouseSource


def factors_outputs(source: WarehouseSource, query: str | None, choice: str | None) -> tuple:
    req = request(source, query)
    options = factor_options(req)
    if not isinstance(choice, str) or choice not in {o["value"] for o in options}:
        choice = "imd:imd"
    ranked_table = table(
        ranked_factors(req),
        [("factor", "Factor"), ("level", "Areas"), ("n", "n"), ("r", "Pearson r"),
         ("low", "95% CI low"), ("high", "95% CI high"), ("rho", "Spearman rho")],
        caption="Area factors ranked by the strength of their correlation with the violence rate",
        formats={"r": ".2f", "low": ".2f", "high": ".2f", "rho": ".2f"},
        note="Correlations across areas (ecological): they describe places, not individuals. "
             "District-level indicators rest on very few areas; read their intervals.",
    )
    return (options, *figure_and_alt("factors-scatter", req, factor=choice), ranked_table,
            *figure_and_alt("factors-deciles", req))


def register(app, source: WarehouseSource) -> None:
    @app.callback(
        Output(ids.FACTORS_CHOICE, "options"),
        Output(ids.FACTORS_SCATTER, "figure"), Output(ids.alt(ids.FACTORS_SCATTER), "children"),
        Output(ids.FACTORS_RANKED, "children"),
        Output(ids.FACTORS_DECILES, "figure"), Output(ids.alt(ids.FACTORS_DECILES), "children"),
        Input(ids.FILTERS, "data"), Input(ids.FACTORS_CHOICE, "value"),
    )
    def update(query, choice):
        return factors_outputs(source, query, choice)
