"""Is a change in a count more than chance? Two Poisson counts compared exactly.

Two counts of events over two periods (``now`` over ``exposure_now`` months, ``before`` over
``exposure_before``) are taken as Poisson. Given their total ``n``, ``now`` is binomial with
``p = exposure_now / (exposure_now + exposure_before)`` when the two rates are the same: the
exact conditional test (``scipy.stats.binomtest``). Its exact (Clopper-Pearson) interval for
the proportion gives the interval of the rate ratio, ``pi / (1 - pi) * exposure_before /
exposure_now``. The views call this on PUBLISHED counts only (``dashboard.charts``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special, stats

LEVEL = 0.95  # the interval; a change is "more than chance" when p < 1 - LEVEL


@dataclass(frozen=True)
class Change:
    now: int
    before: int
    ratio: float  # rate ratio, now / before (per unit of exposure)
    low: float  # its 95% interval
    high: float
    p: float  # two-sided exact p-value of "the rate is the same"

    @property
    def change(self) -> float:
        return self.ratio - 1

    @property
    def beyond_chance(self) -> bool:
        return self.p < 1 - LEVEL

    def direction(self) -> str:
        """'up 12%', 'down 8%', or 'no change' (as rounded)."""
        pct = round(abs(self.change) * 100)
        if pct == 0:
            return "no change"
        return f"{'up' if self.change > 0 else 'down'} {pct}%"

    def interval(self) -> str:
        high = "no upper limit" if math.isinf(self.high) else f"{self.high - 1:+.0%}"
        return f"95% interval {self.low - 1:+.0%} to {high}"

    def words(self) -> str:
        """The change and whether chance alone would give it, in plain words."""
        verdict = "more than chance alone would give" if self.beyond_chance else "within chance"
        return f"{self.direction()}, {verdict}"


def compare_counts(
    now: int, before: int, exposure_now: float = 1.0, exposure_before: float = 1.0
) -> Change | None:
    """The exact comparison of two Poisson counts, or None when there is nothing to compare
    (no events in the earlier period, or no exposure)."""
    now, before = int(now), int(before)
    if now < 0 or before <= 0 or exposure_now <= 0 or exposure_before <= 0:
        return None
    n = now + before
    p0 = exposure_now / (exposure_now + exposure_before)
    result = stats.binomtest(now, n, p0, alternative="two-sided")
    low, high = clopper_pearson(now, n, LEVEL)
    scale = exposure_before / exposure_now

    def ratio(pi: float) -> float:
        return math.inf if pi >= 1 else pi / (1 - pi) * scale

    return Change(
        now=now,
        before=before,
        ratio=(now / exposure_now) / (before / exposure_before),
        low=ratio(low),
        high=ratio(high),
        p=float(result.pvalue),
    )


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a binomial proportion, k of n: the beta
    distribution's quantiles, in closed form. ``BinomTestResult.proportion_ci(method="exact")``
    gives the same by root-finding on the binomial's tails, ~1.4 ms a call: a headline asks for
    up to a dozen (tests/dashboard/test_headline_change.py holds the two equal)."""
    alpha = 1 - level
    low = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return low, high
