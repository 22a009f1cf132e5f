"""Statistical disclosure control: the one place counts are suppressed before anyone sees them.

Primary suppression hides counts from 1 up to the threshold (5 by default: 1-4 shown as
``[c]``; stricter for health). Secondary suppression follows OpenSAFELY's simple rule: while the
hidden cells of a table add up to less than the threshold, the next smallest cell is hidden too,
so a hidden cell cannot be recovered by subtracting the shown ones from a published total.
Zero is a true zero and is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SUPPRESSED = "[c]"


@dataclass(frozen=True)
class Rule:
    threshold: int = 5  # counts 1..threshold-1 are hidden
    min_events_for_rate: int = 10  # no rate or percentage on fewer events
    round_to: int = 0  # ONS 10-5 mode: shown counts rounded to the nearest 5

    def note(self) -> str:
        if self.round_to:
            return (
                f"Counts under {self.threshold} are shown as {SUPPRESSED} and the rest are "
                f"rounded to the nearest {self.round_to} (ONS 10-5 rule), so totals may not add "
                f"up; no rate or percentage on fewer than {self.min_events_for_rate} events."
            )
        return (
            f"Counts from 1 to {self.threshold - 1} are shown as {SUPPRESSED} (confidential), "
            "with further cells hidden where they could reveal them; no rate or percentage "
            f"on fewer than {self.min_events_for_rate} events."
        )


def rule_for(settings: object, source: str | None) -> Rule:
    """The strictest threshold applying to a source (or to all sources when mixed)."""
    base = int(getattr(settings, "suppress_below", 5))
    by_source: dict[str, int] = dict(getattr(settings, "suppress_below_by_source", {}) or {})
    min_rate = int(getattr(settings, "min_events_for_rate", 10))
    threshold = max([base, *by_source.values()]) if source is None else max(
        base, by_source.get(source, base)
    )
    if getattr(settings, "rounding", "none") == "ons_10_5":
        return Rule(max(threshold, 10), min_rate, round_to=5)
    return Rule(threshold, min_rate)


def suppress_counts(frame: pd.DataFrame, rule: Rule, column: str = "count") -> pd.DataFrame:
    """A copy with small counts (and the cells that would reveal them) shown as ``[c]``."""
    out = frame.copy()
    counts = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    hidden = (counts > 0) & (counts < rule.threshold)
    if hidden.any():
        # Secondary: the hidden cells together must not be a small, recoverable number.
        order = counts[~hidden & (counts > 0)].sort_values(kind="stable").index.tolist()
        while hidden.any() and counts[hidden].sum() < rule.threshold and order:
            hidden.loc[order.pop(0)] = True
    if rule.round_to:
        rounded = (counts + rule.round_to // 2) // rule.round_to * rule.round_to
        # A rate from the exact count would give the exact count back: rate the rounded one.
        for col in ("rate",):
            if col in out:
                scale = (rounded / counts.where(counts > 0)).astype("float64")
                out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64") * scale
        counts = rounded
    values = counts.astype("object")
    values[hidden] = SUPPRESSED
    out[column] = values
    return out


def suppress_rates(
    frame: pd.DataFrame,
    rule: Rule,
    rate_columns: tuple[str, ...] = ("rate",),
    count_column: str = "count",
) -> pd.DataFrame:
    """A copy with rates blanked where their count is hidden or below the rate minimum.

    Run after ``suppress_counts``: a hidden count's rate would reveal it.
    """
    out = frame.copy()
    counts = pd.to_numeric(out[count_column].where(out[count_column] != SUPPRESSED), errors="coerce")
    unsafe = counts.isna() | (counts < rule.min_events_for_rate)
    for col in rate_columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(unsafe)
    return out


def shown_counts(frame: pd.DataFrame, column: str = "count") -> pd.Series:
    """Numeric counts with hidden cells as NaN: what a chart may draw."""
    return pd.to_numeric(frame[column].where(frame[column] != SUPPRESSED), errors="coerce")
