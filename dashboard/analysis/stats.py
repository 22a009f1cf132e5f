"""Correlation with a confidence interval and a fitted line, for the influential-factors page.

Pearson's r with a 95% interval from Fisher's z transformation, Spearman's rho for a monotone
but non-linear relationship, and an ordinary least-squares line to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats


@dataclass(frozen=True)
class Correlation:
    n: int
    r: float
    r_low: float
    r_high: float
    p: float
    rho: float
    slope: float
    intercept: float

    def describe(self) -> str:
        if self.n < 3 or not math.isfinite(self.r):
            return f"Too few areas to correlate (n = {self.n})."
        return (
            f"Pearson r = {self.r:.2f} (95% CI {self.r_low:.2f} to {self.r_high:.2f}), "
            f"Spearman rho = {self.rho:.2f}, n = {self.n} areas"
        )


def correlate(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> Correlation:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[keep], ya[keep]
    n = int(len(xa))
    nan = float("nan")
    if n < 3 or np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return Correlation(n, nan, nan, nan, nan, nan, nan, nan)
    # r and the line as a few sums rather than ``stats.pearsonr`` and ``np.polyfit`` (180 and
    # 75 us a call at 1,400 areas against 11: their per-call checks and dispatch), a dozen a
    # ranked table (tests/dashboard/test_places_risk.py holds them equal to scipy's).
    r, slope, intercept = _pearson(xa, ya)
    # The two-sided p of r from Student's t on n - 2 degrees of freedom, as ``pearsonr``.
    if abs(r) < 1:
        t = r * math.sqrt((n - 2) / (1 - r * r))
        p = float(2 * special.stdtr(n - 2, -abs(t)))
    else:
        p = 0.0
    # Spearman's rho is Pearson's r of the ranks, ties given their average rank.
    rho = _pearson(stats.rankdata(xa), stats.rankdata(ya))[0]
    if n > 3 and abs(r) < 1:
        z, se = math.atanh(r), 1 / math.sqrt(n - 3)
        low, high = math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)
    else:
        low = high = nan
    return Correlation(n, float(r), low, high, float(p), float(rho), float(slope), float(intercept))


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Pearson's r of x and y and the least-squares line of y on x (slope, intercept)."""
    mx, my = x.mean(), y.mean()
    dx, dy = x - mx, y - my
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
    slope = sxy / sxx
    return r, slope, float(my - slope * mx)


EVIDENCE_METHOD = (
    "Ranked by the strength of the evidence, not by r alone: by the end of the 95% interval "
    "of Pearson r nearer zero (the weakest correlation the data are consistent with), so a "
    "factor over few areas, whose interval is wide, ranks below one as strong over many. "
    "Factors whose interval includes zero rank last (by number of areas)."
)


def evidence(low: float, high: float) -> float:
    """The weakest |r| a 95% interval (low, high) is consistent with: the end nearer zero, or
    0 when the interval includes zero; NaN when there is no interval (too few areas)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return float("nan")
    if low <= 0 <= high:
        return 0.0
    return min(abs(low), abs(high))


def rank_by_evidence(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``: one row per factor with n, low, high (its 95% interval of r). Adds
    ``evidence`` (``evidence(low, high)``) and sorts: intervals clear of zero first, by
    evidence, then intervals including zero, then factors without one; ties by more areas."""
    out = frame.copy()
    out["evidence"] = [evidence(lo, hi) for lo, hi in zip(out["low"], out["high"], strict=True)]
    tier = np.where(out["evidence"].isna(), 2, np.where(out["evidence"] > 0, 0, 1))
    order = np.lexsort((-out["n"].to_numpy(float), -out["evidence"].fillna(0).to_numpy(), tier))
    return out.iloc[order]
