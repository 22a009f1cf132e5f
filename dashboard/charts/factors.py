"""Area factors against the violence rate: the choices, their frames and the ranked table."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.stats import correlate
from dashboard.charts.request import Request
from dashboard.queries.areas import area_table
from dashboard.queries.factors import IMD_DOMAINS, imd_scores, indicator_catalogue, indicator_values


def factor_options(req: Request) -> list[dict]:
    opts = [{"label": f"IMD 2019: {name}", "value": f"imd:{key}"} for key, name in IMD_DOMAINS.items()]
    for r in req.q(indicator_catalogue).itertuples():
        opts.append({"label": f"{r.indicator_name} ({r.level})", "value": f"ind:{r.indicator_code}"})
    return opts


def factor_frame(req: Request, choice: str) -> tuple[pd.DataFrame, str, str]:
    """(area_code, area_name, count, rate, factor), the factor's label and its area level.

    Unsuppressed: correlations use every area; callers suppress before drawing."""
    kind, _, key = (choice or "imd:imd").partition(":")
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
        scores = req.q(imd_scores, req.filters)
        scores = scores[scores["domain"] == key]
        kind_word = "score" if scores["is_score"].all() else "national percentile, 100 = most deprived"
        level, label = "lsoa", f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
        values = scores[["area_code", "score"]].rename(columns={"score": "factor"})
    frame = req.q(area_table, req.filters, level).merge(
        values[["area_code", "factor"]], on="area_code", how="inner"
    )
    return frame, label, level


def ranked_factors(req: Request) -> pd.DataFrame:
    """Every factor's correlation with the rate, strongest first."""

    def compute() -> pd.DataFrame:
        rows = []
        for opt in factor_options(req):
            f, lab, lvl = factor_frame(req, opt["value"])
            c = correlate(f["factor"], f["rate"])
            rows.append({"factor": lab, "level": lvl, "n": c.n, "r": c.r, "low": c.r_low,
                         "high": c.r_high, "rho": c.rho})
        ranked = pd.DataFrame(rows)
        return ranked.reindex(ranked["r"].abs().sort_values(ascending=False).index)

    return req.source.memo(("factors_ranked", req.filters), compute)
