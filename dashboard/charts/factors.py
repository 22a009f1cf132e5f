"""Area factors against the violence rate: the choices and their (raw) frames."""

from __future__ import annotations

import pandas as pd

from dashboard.charts.request import Request
from dashboard.queries.areas import place_only, year_end_only
from dashboard.queries.factors import (
    IMD_DOMAINS,
    imd_scores,
    indicator_catalogue,
    indicator_values,
)


def factor_options(req: Request) -> list[dict]:
    opts = [
        {"label": f"IMD 2019: {name}", "value": f"imd:{key}"} for key, name in IMD_DOMAINS.items()
    ]
    for r in req.q(indicator_catalogue).itertuples():
        opts.append(
            {"label": f"{r.indicator_name} ({r.level})", "value": f"ind:{r.indicator_code}"}
        )
    return opts


def factor_values(req: Request, choice: str) -> tuple[pd.DataFrame, str, str]:
    """(area_code, factor) for the factor ``choice``, its label and its area level, memoised
    in this process by what it depends on: the place, for IMD scores (every period of a place
    shares them), and the year the period ends in, for an indicator (published for every area,
    whatever the place). The ranked table asks for every factor on each request. Callers must
    not change the frame."""
    kind, _, key = (choice or "imd:imd").partition(":")
    cat = req.q(indicator_catalogue)
    if kind == "ind" and (cat["indicator_code"] == key).any():
        return req.source.memo(
            ("factor_values", choice, year_end_only(req.filters)),
            lambda: _indicator_values(req, cat, key),
            shared=False,
        )
    # Anything else (an IMD domain, or an indicator no longer loaded) reads IMD.
    return req.source.memo(
        ("factor_values", choice, place_only(req.filters)),
        lambda: _imd_values(req, key),
        shared=False,
    )


def indicator_frame(req: Request, code: str) -> pd.DataFrame:
    """area_code, value, period of one indicator, sliced from every indicator's values for the
    year the filters end in (one query, memoised: the ranked table and the risk index each ask
    for every indicator). Callers must not change the frame."""
    year_end = year_end_only(req.filters)

    def compute() -> dict[str, pd.DataFrame]:
        every = req.q(indicator_values, year_end)
        return {
            str(c): part.drop(columns="indicator_code").reset_index(drop=True)
            for c, part in every.groupby("indicator_code", sort=False)
        }

    parts = req.source.memo(("indicator_frames", year_end), compute, shared=False)
    empty = pd.DataFrame({"area_code": [], "value": [], "period": []})
    return parts.get(code, empty)


def _indicator_values(req: Request, cat: pd.DataFrame, key: str) -> tuple[pd.DataFrame, str, str]:
    row = cat.set_index("indicator_code").loc[key]
    level, label = str(row["level"]), str(row["indicator_name"])
    values = indicator_frame(req, key).rename(columns={"value": "factor"})
    return values[["area_code", "factor"]], label, level


def _imd_values(req: Request, key: str) -> tuple[pd.DataFrame, str, str]:
    key = key if key in IMD_DOMAINS else "imd"
    scores = req.q(imd_scores, place_only(req.filters))
    scores = scores[scores["domain"] == key]
    kind_word = "score" if scores["is_score"].all() else "national percentile, 100 = most deprived"
    label = f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
    return scores[["area_code", "score"]].rename(columns={"score": "factor"}), label, "lsoa"
