"""Area factors against the violence rate: the choices and their (raw) frames."""

from __future__ import annotations

import pandas as pd

from dashboard.charts.request import Request
from dashboard.queries.areas import area_table
from dashboard.queries.factors import IMD_DOMAINS, imd_scores, indicator_catalogue, indicator_values


def factor_options(req: Request) -> list[dict]:
    opts = [
        {"label": f"IMD 2019: {name}", "value": f"imd:{key}"} for key, name in IMD_DOMAINS.items()
    ]
    for r in req.q(indicator_catalogue).itertuples():
        opts.append(
            {"label": f"{r.indicator_name} ({r.level})", "value": f"ind:{r.indicator_code}"}
        )
    return opts


def factor_frame(req: Request, choice: str) -> tuple[pd.DataFrame, str, str]:
    """(area_code, area_name, count, ckey, person_years, factor), the factor's label and its
    area level. Raw counts: the catalogue publishes them before any statistic is computed."""
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
        kind_word = (
            "score" if scores["is_score"].all() else "national percentile, 100 = most deprived"
        )
        level, label = "lsoa", f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
        values = scores[["area_code", "score"]].rename(columns={"score": "factor"})
    frame = req.q(area_table, req.filters, level).merge(
        values[["area_code", "factor"]], on="area_code", how="inner"
    )
    return frame, label, level
