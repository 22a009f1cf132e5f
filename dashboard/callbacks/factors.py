"""Influential-factors wiring: the chosen factor's scatter, all factors ranked, decile profile."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output

from dashboard import ids
from dashboard.analysis.stats import correlate
from dashboard.callbacks.common import Request, request, with_alt
from dashboard.components import table
from dashboard.data import WarehouseSource
from dashboard.figures.bars import rate_bars_figure
from dashboard.figures.scatter import factor_scatter_figure
from dashboard.queries.areas import area_table
from dashboard.queries.deciles import decile_profile
from dashboard.queries.factors import IMD_DOMAINS, imd_scores, indicator_catalogue, indicator_values
from svcore.disclosure import suppress_counts, suppress_rates


def factor_options(req: Request) -> list[dict]:
    opts = [{"label": f"IMD 2019: {name}", "value": f"imd:{key}"}
            for key, name in IMD_DOMAINS.items()]
    for r in req.q(indicator_catalogue).itertuples():
        opts.append({"label": f"{r.indicator_name} ({r.level})", "value": f"ind:{r.indicator_code}"})
    return opts


def factor_frame(req: Request, choice: str, cache: dict) -> tuple[pd.DataFrame, str, str]:
    """(area_code, area_name, count, rate, factor), the factor's label and its area level."""
    kind, _, key = choice.partition(":")
    if kind == "ind":
        cat = req.q(indicator_catalogue).set_index("indicator_code")
        if key not in cat.index:
            kind, key = "imd", "imd"
    if kind == "ind":
        level = str(cat.loc[key, "level"])
        label = str(cat.loc[key, "indicator_name"])
        values = req.q(indicator_values, req.filters, key).rename(columns={"value": "factor"})
    else:
        key = key if key in IMD_DOMAINS else "imd"
        if "imd" not in cache:
            cache["imd"] = req.q(imd_scores, req.filters)
        scores = cache["imd"]
        scores = scores[scores["domain"] == key]
        kind_word = "score" if scores["is_score"].all() else "national percentile, 100 = most deprived"
        level, label = "lsoa", f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
        values = scores[["area_code", "score"]].rename(columns={"score": "factor"})
    if level not in cache:
        cache[level] = req.q(area_table, req.filters, level)
    frame = cache[level].merge(values[["area_code", "factor"]], on="area_code", how="inner")
    return frame, label, level


def ranked_factors(req: Request, cache: dict) -> pd.DataFrame:
    """Every factor's correlation with the rate, strongest first."""
    rows = []
    for opt in factor_options(req):
        f, lab, lvl = factor_frame(req, opt["value"], cache)
        c = correlate(f["factor"], f["rate"])
        rows.append({"factor": lab, "level": lvl, "n": c.n, "r": c.r, "low": c.r_low,
                     "high": c.r_high, "rho": c.rho})
    ranked = pd.DataFrame(rows)
    return ranked.reindex(ranked["r"].abs().sort_values(ascending=False).index)


def factors_outputs(source: WarehouseSource, query: str | None, choice: str | None) -> tuple:
    req = request(source, query)
    cache: dict = {}
    frame, label, level = factor_frame(req, choice or "imd:imd", cache)
    corr = correlate(frame["factor"], frame["rate"])
    shown = suppress_rates(suppress_counts(frame, req.rule), req.rule)
    ctx = req.context(
        f"Violence rate against {label}", note=(
            f"Each point is an area ({level}); areas with fewer than "
            f"{req.rule.min_events_for_rate} events are not drawn but are in the correlation."))
    scatter, scatter_alt = with_alt(factor_scatter_figure(
        shown, corr, ctx, x_title=label, y_title="Rate per 1,000 residents a year"))
    ranked = source.memo(("factors_ranked", req.filters), lambda: ranked_factors(req, cache))
    ranked_table = table(
        ranked, [("factor", "Factor"), ("level", "Areas"), ("n", "n"), ("r", "Pearson r"),
                 ("low", "95% CI low"), ("high", "95% CI high"), ("rho", "Spearman rho")],
        caption="Area factors ranked by the strength of their correlation with the violence rate",
        formats={"r": ".2f", "low": ".2f", "high": ".2f", "rho": ".2f"},
        note="Correlations across areas (ecological): they describe places, not individuals. "
             "District-level indicators rest on very few areas; read their intervals.",
    )
    deciles = suppress_rates(suppress_counts(req.q(decile_profile, req.filters), req.rule), req.rule)
    decile_fig, decile_alt = with_alt(rate_bars_figure(
        deciles, "decile",
        req.context("Violence rate by deprivation decile (IMD 2019, 1 = most deprived)"),
        x_title="Decile"))
    return factor_options(req), scatter, scatter_alt, ranked_table, decile_fig, decile_alt


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
