"""The one disclosure module: exact with per-margin secondary suppression, ONS 10-5, cell-key
perturbation, rates from published counts, and the tier of each role."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import fuzz
from hypothesis import given
from hypothesis import strategies as st

from svcore.config import Settings
from svcore.disclosure import (
    ADJUSTMENTS,
    KEY_SPACE,
    KEYS_PER_ADJUSTMENT,
    MAX_ADJUSTMENT,
    SUPPRESSED,
    Rule,
    perturb,
    perturbation_table,
    protect,
    published,
    published_rate,
    rule_for,
    tier_for,
)

WY = ("E08000035",)


def shown(frame: pd.DataFrame) -> list:
    return frame["count"].tolist()


def test_small_counts_are_hidden_and_zero_is_a_true_zero() -> None:
    out = protect(pd.DataFrame({"count": [0, 3, 50, 60, 7]}), Rule(5))
    # 3 is hidden; alone it could be recovered from a total, so the next smallest (7) goes too.
    assert shown(out) == [0, SUPPRESSED, 50, 60, SUPPRESSED]


def test_hidden_cells_that_already_sum_past_the_threshold_need_no_more() -> None:
    out = protect(pd.DataFrame({"count": [3, 4, 50]}), Rule(5))
    assert shown(out) == [SUPPRESSED, SUPPRESSED, 50]


def test_every_row_and_column_of_a_table_is_protected() -> None:
    # One pass over the whole table would stop once 3 + 9 >= 5; but the 3 is alone in its row
    # (Mon) and in its column (night), so each margin needs a second hidden cell.
    frame = pd.DataFrame(
        {"day": ["Mon", "Mon", "Tue", "Tue"], "time": ["day", "night"] * 2, "count": [9, 3, 40, 50]}
    )
    out = protect(frame, Rule(5), dims=["day", "time"])
    hidden = out["count"] == SUPPRESSED
    assert hidden.tolist() == [True, True, True, True] or (
        hidden[[0, 1]].all() and hidden[[1, 3]].all()
    )


def test_rules_per_source_take_the_strictest() -> None:
    s = Settings(districts=WY)
    assert rule_for(s, "police").threshold == 5
    assert rule_for(s, "health").threshold == 8
    assert rule_for(s, None).threshold == 8  # mixed sources: the strictest applies
    assert "1 to 7" in rule_for(s, "health").note()
    assert "1 to 4" in rule_for(s, "police").note()


def test_rates_come_from_published_counts_and_need_ten_events() -> None:
    frame = pd.DataFrame({"count": [3, 9, 10, 200], "person_years": [1000.0] * 4})
    out = published_rate(protect(frame, Rule(5)), Rule(5), "person_years")
    assert out["rate"].isna().tolist() == [True, True, False, False]
    assert out["rate"].iloc[3] == 200.0


def test_ons_10_5_mode_hides_under_ten_and_rounds_to_five() -> None:
    rule = rule_for(Settings(districts=WY, rounding="ons_10_5"), "police")
    assert rule.threshold == 10 and rule.round_to == 5 and "10-5" in rule.note()
    frame = pd.DataFrame({"count": [0, 9, 12, 13, 27, 1000], "person_years": [100.0] * 6})
    out = published_rate(protect(frame, rule), rule, "person_years")
    assert shown(out) == [0, SUPPRESSED, SUPPRESSED, 15, 25, 1000]
    # 12 alone is hidden as the secondary cell; rates follow the rounded counts.
    assert out["rate"].iloc[3] == 150.0 and out["rate"].iloc[4] == 250.0


def test_tiers_default_to_exact_for_analysts_and_cell_key_for_everyone_else() -> None:
    s = Settings(districts=WY)
    assert [
        tier_for(s, r) for r in ("admin", "analyst", "duty_holder", "viewer", "publication")
    ] == ["exact", "exact", "cell_key", "cell_key", "cell_key"]
    legacy = Settings(districts=WY, rounding="ons_10_5")
    assert tier_for(legacy, "analyst") == "ons_10_5" and tier_for(legacy, "viewer") == "cell_key"
    custom = Settings(districts=WY, tiers={**s.tiers, "viewer": "ons_10_5"})
    assert tier_for(custom, "viewer") == "ons_10_5"


def test_the_perturbation_table_is_unbiased_with_the_stated_variance() -> None:
    table = perturbation_table()
    assert table.shape[1] == KEY_SPACE and (table[0] == 0).all()
    want = dict(zip(ADJUSTMENTS, KEYS_PER_ADJUSTMENT, strict=True))
    for row in table[1:]:
        values, counts = np.unique(row, return_counts=True)
        assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == want
        assert row.mean() == 0 and abs(row.astype(float).var() - 740 / 256) < 1e-9
    # Rows are shuffled independently: a count and the next are perturbed differently.
    assert (table[100] != table[101]).mean() > 0.6
    # Counts past the table's rows reuse its upper half.
    assert perturb([5000], [17])[0] - 5000 == table[256 + 5000 % 256, 17]


@given(
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 255)), min_size=1, max_size=40),
    st.sampled_from([5, 8, 10]),
)
@fuzz(100)
def test_cell_key_values_are_bounded_consistent_and_never_small(cells, threshold) -> None:
    frame = pd.DataFrame(cells, columns=["count", "ckey"])
    rule = Rule(threshold, 10, "cell_key")
    out, again = protect(frame, rule), protect(frame.iloc[::-1], rule).iloc[::-1]
    assert out["count"].tolist() == again["count"].tolist()  # same cell, same value, any query
    assert "ckey" not in out
    for true, value in zip(frame["count"], out["count"], strict=True):
        if true == 0:
            assert value == 0  # a true zero
        elif value != SUPPRESSED:
            assert abs(value - true) <= MAX_ADJUSTMENT and value >= threshold
        else:
            assert true < threshold + MAX_ADJUSTMENT
    assert not [v for v in out["count"] if v != SUPPRESSED and 0 < v < threshold]


def test_cell_key_differencing_rarely_agrees_with_the_truth_on_two_routes() -> None:
    """Simulated records: the month a viewer may not see (count 1-4) reached by two routes
    (Jan..Oct minus Jan..Sep; Oct..Dec minus Nov..Dec). Both routes give the true count for
    far fewer than 1 hidden cell in 20."""
    rng = np.random.default_rng(11)
    trials = 4000
    months = rng.integers(0, 40, (trials, 12))
    months[:, 9] = rng.integers(1, 5, trials)  # October is small: hidden
    keys = rng.integers(0, 256 * 40, (trials, 12))  # each month's sum of record keys

    def window(a: int, b: int) -> np.ndarray:
        c, k = months[:, a : b + 1].sum(axis=1), keys[:, a : b + 1].sum(axis=1) % 256
        v = perturb(c, k).astype(float)
        return np.where((c < 5) | (v < 5), np.nan, v)  # what protect() shows as [c]

    assert (
        protect(pd.DataFrame({"count": months[:, 9], "ckey": keys[:, 9]}), Rule(5, 10, "cell_key"))[
            "count"
        ]
        == SUPPRESSED
    ).all()
    truth = months[:, 9].astype(float)
    routes = np.stack([window(0, 9) - window(0, 8), window(9, 11) - window(10, 11)])
    exact = routes == truth
    assert exact.all(axis=0).mean() < 0.05
    assert exact.any(axis=0).mean() < 0.5


counts = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=30)


@given(counts, st.integers(min_value=2, max_value=11))
def test_no_small_count_survives_and_hidden_cells_cannot_be_recovered(values, threshold) -> None:
    out = protect(pd.DataFrame({"count": values}), Rule(threshold))
    visible = [v for v in out["count"] if v != SUPPRESSED]
    assert not [v for v in visible if 0 < v < threshold]
    hidden = [v for v, o in zip(values, out["count"], strict=True) if o == SUPPRESSED]
    # By subtraction from the table total, a reader learns only the hidden cells' sum:
    # that sum is never a small number, so no single hidden cell is pinned down.
    assert (
        sum(hidden) == 0
        or sum(hidden) >= threshold
        or len(hidden) == len([v for v in values if v > 0])
    )


@given(
    st.lists(st.lists(st.integers(0, 30), min_size=2, max_size=6), min_size=2, max_size=6).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    ),
    st.integers(3, 8),
)
@fuzz(100)
def test_every_margin_of_a_two_way_table_is_protected(grid, threshold) -> None:
    rows = [(i, j, v) for i, row in enumerate(grid) for j, v in enumerate(row)]
    frame = pd.DataFrame(rows, columns=["a", "b", "count"])
    out = protect(frame, Rule(threshold), dims=["a", "b"])
    hidden = (out["count"] == SUPPRESSED).to_numpy()
    values = frame["count"].to_numpy()
    margins = (
        [frame["a"] == i for i in frame["a"].unique()]
        + [frame["b"] == j for j in frame["b"].unique()]
        + [frame["a"] >= 0]
    )
    for m in margins:
        m = m.to_numpy()
        h = values[m & hidden]
        nonzero = (values[m] > 0).sum()
        # Each row, column and the total: what is hidden in it adds up to 0, to at least the
        # threshold, or everything non-zero in it is hidden.
        assert h.sum() == 0 or h.sum() >= threshold or len(h) == nonzero


@given(counts)
def test_10_5_mode_shows_only_rounded_values(values) -> None:
    rule = rule_for(Settings(districts=WY, rounding="ons_10_5"), "police")
    out = protect(pd.DataFrame({"count": values}), rule)
    for v in out["count"]:
        assert v == SUPPRESSED or (v % 5 == 0 and (v == 0 or v >= 10))
    assert published(out).isna().sum() == (out["count"] == SUPPRESSED).sum()
