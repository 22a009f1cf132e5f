"""Correlation with a confidence interval and a fitted line, for the influential-factors page.

Pearson's r with a 95% interval from Fisher's z transformation, Spearman's rho for a monotone
but non-linear relationship, and an ordinary least-squares line to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


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
    r, p = stats.pearsonr(xa, ya)
    rho = stats.spearmanr(xa, ya).statistic
    if n > 3 and abs(r) < 1:
        z, se = math.atanh(r), 1 / math.sqrt(n - 3)
        low, high = math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)
    else:
        low = high = nan
    fit = stats.linregress(xa, ya)
    return Correlation(
        n, float(r), low, high, float(p), float(rho), float(fit.slope), float(fit.intercept)
    )
