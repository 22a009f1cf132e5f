"""Rates per 1,000 residents by group and the relative rate index (RRI) with its interval.

Pure functions over PUBLISHED counts (the views layer publishes them first) and public
population denominators: a rate needs at least ``min_events_for_rate`` published events
(``svcore.disclosure.published_rate``), and an RRI needs a rate for both the group and the
reference group. The interval is Katz's log method for a ratio of two proportions, as
``scipy.stats.contingency.relative_risk`` computes it: log RRI ± 1.96 · sqrt(1/a − 1/n1 +
1/c − 1/n2), with a and c the groups' events and n1 and n2 their residents.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats.contingency import relative_risk

from svcore.disclosure import Rule, published, published_rate

METHOD = (
    "Rates are events per 1,000 residents a year (residents: Census 2021 usual residents by "
    "ethnic group, or the ONS mid-year estimate by age and sex, of the areas in scope). The "
    "relative rate index (RRI) is a group's rate divided by the reference group's; its 95% "
    "interval is Katz's log method, log RRI ± 1.96·sqrt(1/a − 1/n1 + 1/c − 1/n2) (a, c: the "
    "groups' published events; n1, n2: their residents), treating events as independent. An "
    "RRI whose interval excludes 1 is flagged. Rates and RRIs use published counts only and "
    "are not shown on fewer than {min} events."
)


def rates(
    frame: pd.DataFrame, rule: Rule, months: int, residents: str = "residents"
) -> pd.DataFrame:
    """``frame`` (published ``count``, ``residents``) with ``person_years`` and ``rate`` (per
    1,000 a year; blank on hidden or too few events, or no residents)."""
    out = frame.copy()
    pop = pd.to_numeric(out[residents], errors="coerce").astype("float64")
    out["person_years"] = pop * months / 12 if months else np.nan
    return published_rate(out, rule, "person_years")


def katz_interval(a: float, n1: float, c: float, n2: float) -> tuple[float, float, float]:
    """(RRI, lower, upper) of the 95% Katz log interval for a/n1 against c/n2."""
    result = relative_risk(int(round(a)), int(round(n1)), int(round(c)), int(round(n2)))
    ci = result.confidence_interval(confidence_level=0.95)
    return float(result.relative_risk), float(ci.low), float(ci.high)


def relative_rate_index(
    frame: pd.DataFrame, group: str, reference: str, rule: Rule, residents: str = "residents"
) -> pd.DataFrame:
    """Per group of a rated frame (``rates``): ``rri``, ``rri_low``, ``rri_high`` against the
    ``reference`` group, and ``flag`` (the interval excludes 1). Blank unless both the group
    and the reference have a published rate (at least the minimum of published events).
    ``flag`` is "higher" or "lower" where the interval excludes 1, "no" where it does not,
    "reference" for the reference group, blank without an RRI."""
    out = frame.copy()
    for col in ("rri", "rri_low", "rri_high"):
        out[col] = np.nan
    out["flag"] = ""
    ref = out[out[group] == reference]
    if ref.empty or pd.isna(ref["rate"].iloc[0]):
        return out
    c = float(published(ref).iloc[0])
    n2 = float(ref[residents].iloc[0])
    counts = published(out)
    for i in out.index:
        if pd.isna(out.at[i, "rate"]) or out.at[i, group] == reference:
            continue
        a, n1 = float(counts[i]), float(out.at[i, residents])
        if not (a >= rule.min_events_for_rate and n1 > 0 and a <= n1 and c <= n2):
            continue
        rri, low, high = katz_interval(a, n1, c, n2)
        out.loc[i, ["rri", "rri_low", "rri_high"]] = [rri, low, high]
        out.at[i, "flag"] = "no"
        if math.isfinite(low) and (low > 1 or high < 1):
            out.at[i, "flag"] = "higher" if low > 1 else "lower"
    ref_i = ref.index[0]
    out.loc[ref_i, ["rri", "rri_low", "rri_high"]] = [1.0, np.nan, np.nan]
    out.at[ref_i, "flag"] = "reference"
    return out
