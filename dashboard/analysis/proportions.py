"""Shares with confidence intervals, computed from published counts only.

The 95% interval of a share is Wilson's score interval (scipy's ``binomtest(...).proportion_ci
(method="wilson")``, without continuity correction): unlike the normal approximation it stays
inside 0-100% and behaves for small shares, which most outcome groups are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from svcore.disclosure import Rule

LEVEL = 0.95


def wilson_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k`` of ``n`` (``0 <= k <= n``, ``n > 0``)."""
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def share_with_interval(
    part: float | None, whole: float | None, rule: Rule
) -> tuple[float, float, float] | None:
    """(share, low, high) of two PUBLISHED counts, or None when either is hidden (NaN/None)
    or below the rule's minimum for a percentage (``min_events_for_rate``), part and whole
    alike. A perturbed part above its perturbed whole is taken as the whole."""
    if any(v is None or pd.isna(v) for v in (part, whole)):
        return None
    k, n = int(part), int(whole)  # type: ignore[arg-type]
    if n < rule.min_events_for_rate or k < rule.min_events_for_rate:
        return None
    k = min(k, n)
    low, high = wilson_interval(k, n)
    return k / n, low, high


def share_columns(part: pd.Series, whole: pd.Series, rule: Rule) -> pd.DataFrame:
    """``share``, ``ci_low``, ``ci_high`` for each pair of published counts (NaN where no share
    may be shown), indexed like ``part``."""
    rows = []
    for k, n in zip(part.tolist(), whole.tolist(), strict=True):
        got = share_with_interval(k, n, rule)
        rows.append(got if got is not None else (np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["share", "ci_low", "ci_high"], index=part.index)
