"""The /outcomes views on a hand-built warehouse (tests/outcomes_data.py): published counts,
shares and 95% Wilson intervals against answers worked out independently."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from outcomes_data import build_outcomes_warehouse

from dashboard.analysis.proportions import share_with_interval, wilson_interval
from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from svcore.disclosure import SUPPRESSED, Rule, published

ANALYST = Viewer("ann", "analyst")
VIEWER = Viewer("vic", "viewer")
OUTCOME_VIEWS = [n for n, s in CHARTS.items() if s.page == "/outcomes"]


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) score interval, written out: (p + z²/2n ± z√(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    return build_outcomes_warehouse(tmp_path_factory.mktemp("outcome-views"), key_file)


def req_for(wh: Path, query: str = "source=police", viewer: Viewer = ANALYST, tier=None):
    return make_request(WarehouseSource(wh), parse_filters(query), viewer, tier=tier)


def test_wilson_interval_known_answers() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I (Wilson score, no correction).
    for (k, n), (lo, hi) in {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
    }.items():
        got = wilson_interval(k, n)
        assert got == pytest.approx((lo, hi), abs=5e-5)
    for k, n in ((21, 75), (10, 10), (13, 65), (1, 1000)):
        assert wilson_interval(k, n) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)


def test_no_share_on_fewer_than_the_minimum_or_a_hidden_count() -> None:
    rule = Rule(5, 10, "exact")
    assert share_with_interval(9, 100, rule) is None
    assert share_with_interval(10, 9, rule) is None
    assert share_with_interval(float("nan"), 100, rule) is None
    assert share_with_interval(20, None, rule) is None
    share, lo, hi = share_with_interval(12, 10, rule)  # a perturbed part above its whole
    assert share == 1.0 and hi == pytest.approx(1.0)
    assert share_with_interval(21, 75, rule) == pytest.approx((0.28, *wilson_by_hand(21, 75)))


def test_groups_shares_and_intervals(wh: Path) -> None:
    view = build("outcomes-groups", req_for(wh))
    data = view.data.set_index("outcome_group")
    assert data.loc["charged", "count"] == 21 and data.loc["charged", "of"] == 75
    assert data.loc["charged", "share"] == pytest.approx(21 / 75)
    assert (data.loc["charged", "ci_low"], data.loc["charged", "ci_high"]) == pytest.approx(
        wilson_by_hand(21, 75)
    )
    assert data.loc["evidential_difficulties", "share"] == pytest.approx(20 / 75)
    # 6 events: shown, no share. 3 cautions: hidden, and with them the smallest other cell of
    # the whole table (5 "other") and one more disposal: the disposals' total is published, and
    # a lone hidden disposal would be that total less the others.
    assert data.loc["pending", "count"] == 6 and pd.isna(data.loc["pending", "share"])
    assert data.loc["other", "count"] == SUPPRESSED and pd.isna(data.loc["other", "share"])
    disposals = data.loc[["caution", "community_resolution", "diversion"], "count"]
    assert (disposals == SUPPRESSED).sum() == 2 and disposals["caution"] == SUPPRESSED
    assert "28% (21)" in view.alt


def test_oocd_table(wh: Path) -> None:
    view = build("outcomes-oocd-share", req_for(wh))
    data = view.data.set_index("outcome_group")
    assert data.loc["oocd", "count"] == 23 and data.loc["all", "count"] == 75
    assert data.loc["oocd", "share"] == pytest.approx(23 / 75)
    assert (data.loc["oocd", "ci_low"], data.loc["oocd", "ci_high"]) == pytest.approx(
        wilson_by_hand(23, 75)
    )
    lo, hi = wilson_by_hand(23, 75)
    assert view.text == (
        f"{23 / 75:.1%} of outcomes were out-of-court disposals "
        f"(95% interval {lo:.1%} to {hi:.1%})."
    )
    shown = data.loc[list(data.index[:5])]
    for group, row in shown.iterrows():
        if row["count"] not in (SUPPRESSED, 0):
            assert row["share_of_oocd"] == pytest.approx(row["count"] / 23), group


def test_trend_area_and_offence(wh: Path) -> None:
    trend = build("outcomes-trend", req_for(wh)).data.set_index(["quarter", "measure"])
    assert trend.loc[("2024-Q1", "charged"), "share"] == pytest.approx(21 / 65)
    assert trend.loc[("2024-Q1", "oocd"), "share"] == pytest.approx(13 / 65)
    assert trend.loc[("2024-Q2", "oocd"), "count"] == 10
    assert trend.loc[("2024-Q2", "oocd"), "share"] == pytest.approx(1.0)
    assert pd.isna(trend.loc[("2024-Q2", "charged"), "share"])  # 0 of 10: no share
    area = build("outcomes-by-area", req_for(wh)).data.set_index(["district", "measure"])
    # Beta's 4 charged are hidden, so Alpha's 17 are too (else 21 less 17 gives Beta's 4).
    assert area.loc[("E08000002", "charged"), "count"] == SUPPRESSED
    assert area.loc[("E08000001", "charged"), "count"] == SUPPRESSED
    assert pd.isna(area.loc[("E08000001", "charged"), "share"])
    assert area.loc[("E08000001", "oocd"), "share"] == pytest.approx(13 / 45)
    assert area.loc[("E08000002", "oocd"), "share"] == pytest.approx(10 / 30)
    offence = build("outcomes-by-offence", req_for(wh)).data.set_index(["offence_group", "measure"])
    assert offence.loc[("violence_with_injury", "charged"), "share"] == pytest.approx(16 / 70)
    assert offence.loc[("robbery", "charged"), "count"] == 5
    assert pd.isna(offence.loc[("robbery", "charged"), "share"])  # 5 of 5: too few
    eth = build("outcomes-by-suspect-ethnicity", req_for(wh)).data
    eth = eth.set_index(["suspect_ethnicity", "measure"])
    assert eth.loc[("black", "oocd"), "share"] == pytest.approx(10 / 30)


def test_policeuk_and_youth_as_recorded(wh: Path) -> None:
    puk = build("outcomes-policeuk", req_for(wh)).data.set_index("outcome")
    assert puk.loc["Awaiting court outcome", "share"] == pytest.approx(12 / 17)
    assert puk.loc["A category nobody lists", "group_label"] == "Other or not known"
    youth = build("outcomes-youth", req_for(wh)).data.set_index("outcome")
    assert youth.loc["Youth caution", "group_label"] == "Youth justice: pre-court disposal"
    assert youth.loc["Referral order", "group_label"] == "Youth justice: court disposal"
    assert youth.loc["Youth caution", "count"] == 6 and pd.isna(youth.loc["Youth caution", "share"])
    health = build("outcomes-groups", req_for(wh, "source=health"))
    assert health.data.empty and "records no outcomes" in health.text


@pytest.mark.parametrize("name", OUTCOME_VIEWS)
def test_perturbed_shares_come_from_the_published_counts(wh: Path, name: str) -> None:
    """Cell-key tier: every share is published count / published total, its interval the
    Wilson interval of those two, and none rests on fewer than 10 published events."""
    req = req_for(wh, "source=police&from=2024-01&to=2024-12", VIEWER)
    assert req.tier == "cell_key"
    data = build(name, req).data
    if "share" not in data:
        return
    rows = data.dropna(subset=["share"])
    # The check below is not empty whatever the key (counts of 20 or more stay at 17 or more).
    if name in ("outcomes-groups", "outcomes-trend"):
        assert len(rows) >= 2
    if name == "outcomes-oocd-share":
        assert len(rows) >= 1
    of = rows.get("of")
    for i, row in rows.iterrows():
        k = published(rows.loc[[i]]).iloc[0]
        n = of[i] if of is not None else published(data[data["outcome_group"] == "all"]).iloc[0]
        assert k >= 10 and n >= 10
        assert row["share"] == pytest.approx(min(k, n) / n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_by_hand(min(k, n), n))


def test_outcome_rri_by_suspect_ethnicity_known_answer(wh: Path) -> None:
    """White suspects: 45 crimes, 13 out-of-court disposals; Black: 30 crimes, 10. The RRI is
    (10/30) / (13/45), its Katz interval worked out by hand; Black suspects' 4 charges are too
    few for a share, so no charge-rate RRI."""
    data = build("outcomes-rri-table", req_for(wh)).data
    oocd = data[data["measure"] == "Out-of-court disposal share"].set_index("suspect_ethnicity")
    rri = (10 / 30) / (13 / 45)
    se = math.sqrt(1 / 10 - 1 / 30 + 1 / 13 - 1 / 45)
    z = 1.959963984540054
    assert oocd.loc["Black", "rri"] == pytest.approx(rri)
    assert oocd.loc["Black", "rri_low"] == pytest.approx(rri * math.exp(-z * se), rel=1e-6)
    assert oocd.loc["Black", "rri_high"] == pytest.approx(rri * math.exp(z * se), rel=1e-6)
    assert oocd.loc["Black", "flag"] == "no"  # the interval includes 1
    assert oocd.loc["White", "flag"] == "reference"
    charged = data[data["measure"] == "Charge rate"].set_index("suspect_ethnicity")
    assert pd.isna(charged.loc["Black", "rri"]) and charged.loc["Black", "flag"] == ""
    chart = build("outcomes-rri-suspect-ethnicity", req_for(wh))
    assert chart.figure is not None and "1.15" in chart.alt
