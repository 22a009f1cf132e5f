"""The one disclosure module: primary and secondary suppression, rates, the ONS 10-5 mode."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from svcore.config import Settings
from svcore.disclosure import SUPPRESSED, Rule, rule_for, suppress_counts, suppress_rates

WY = ("E08000035",)


def shown(frame: pd.DataFrame) -> list:
    return frame["count"].tolist()


def test_small_counts_are_hidden_and_zero_is_a_true_zero() -> None:
    out = suppress_counts(pd.DataFrame({"count": [0, 3, 50, 60, 7]}), Rule(5))
    # 3 is hidden; alone it could be recovered from a total, so the next smallest (7) goes too.
    assert shown(out) == [0, SUPPRESSED, 50, 60, SUPPRESSED]


def test_hidden_cells_that_already_sum_past_the_threshold_need_no_more() -> None:
    out = suppress_counts(pd.DataFrame({"count": [3, 4, 50]}), Rule(5))
    assert shown(out) == [SUPPRESSED, SUPPRESSED, 50]


def test_rules_per_source_take_the_strictest() -> None:
    s = Settings(districts=WY)
    assert rule_for(s, "police").threshold == 5
    assert rule_for(s, "health").threshold == 8
    assert rule_for(s, None).threshold == 8  # mixed sources: the strictest applies
    assert "1 to 7" in rule_for(s, "health").note()


def test_rates_need_ten_events_and_a_shown_count() -> None:
    frame = pd.DataFrame({"count": [3, 9, 10, 200], "rate": [0.1, 0.5, 0.6, 9.0]})
    out = suppress_rates(suppress_counts(frame, Rule(5)), Rule(5))
    assert out["rate"].isna().tolist() == [True, True, False, False]


def test_ons_10_5_mode_hides_under_ten_and_rounds_to_five() -> None:
    rule = rule_for(Settings(districts=WY, rounding="ons_10_5"), "police")
    assert rule.threshold == 10 and rule.round_to == 5 and "10-5" in rule.note()
    out = suppress_counts(pd.DataFrame({"count": [0, 9, 12, 13, 27, 1000], "rate": [0, 1, 1.2, 1.3, 2.7, 100]}), rule)
    assert shown(out) == [0, SUPPRESSED, SUPPRESSED, 15, 25, 1000]
    # 12 alone is hidden as the secondary cell; rates follow the rounded counts.
    assert out["rate"].iloc[3] == 1.5 and out["rate"].iloc[4] == 2.5


counts = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=30)


@given(counts, st.integers(min_value=2, max_value=11))
def test_no_small_count_survives_and_hidden_cells_cannot_be_recovered(values, threshold) -> None:
    out = suppress_counts(pd.DataFrame({"count": values}), Rule(threshold))
    visible = [v for v in out["count"] if v != SUPPRESSED]
    assert not [v for v in visible if 0 < v < threshold]
    hidden = [v for v, o in zip(values, out["count"], strict=True) if o == SUPPRESSED]
    # By subtraction from the table total, a reader learns only the hidden cells' sum:
    # that sum is never a small number, so no single hidden cell is pinned down.
    assert sum(hidden) == 0 or sum(hidden) >= threshold or len(hidden) == len(
        [v for v in values if v > 0]
    )


@given(counts)
def test_10_5_mode_shows_only_rounded_values(values) -> None:
    rule = rule_for(Settings(districts=WY, rounding="ons_10_5"), "police")
    out = suppress_counts(pd.DataFrame({"count": values}), rule)
    for v in out["count"]:
        assert v == SUPPRESSED or (v % 5 == 0 and (v == 0 or v >= 10))
