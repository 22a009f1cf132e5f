"""The overview headline's change, with known answers: the exact test of two Poisson counts
against scipy's own result, and the calendar- and financial-year headline on a hand-built
warehouse.

The warehouse: police assaults with injury in Alpha (E08000001), 10 a month from 2023-01 to
2024-03 and 15 a month from 2024-04 to 2025-03 (the latest month). So calendar 2023 = 120,
2024 = 3 x 10 + 9 x 15 = 165; financial year 2023/24 (April to March) = 120, 2024/25 = 180.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import build_warehouse, feed_rows, write_feed
from scipy import stats

from dashboard.analysis.change import clopper_pearson, compare_counts
from dashboard.auth import Viewer
from dashboard.charts.catalogue import build, latest_whole_year, period_label
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from etl.load import load_files
from svcore.config import read_settings, write_settings
from svcore.disclosure import SUPPRESSED

ANALYST, VIEWER = Viewer("ann", "analyst"), Viewer("vic", "viewer")


def months(start: str, end: str) -> list[str]:
    y, m = int(start[:4]), int(start[5:])
    out = []
    while f"{y}-{m:02d}" <= end:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.fixture(scope="module")
def years(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    root = tmp_path_factory.mktemp("years")
    wh = build_warehouse(root / "wh", key_file)
    rows, i = [], 1
    for month in months("2023-01", "2025-03"):
        n = 10 if month <= "2024-03" else 15
        rows += feed_rows(
            "police",
            n,
            i,
            recorded_date=f"{month}-16",
            offence_date=f"{month}-15",
            lsoa_code="E01000001",
            ho_offence_code="8N",
        )
        i += n
    for report in load_files(
        wh, "police", [write_feed(root / "police.csv", "police", rows)], key_path=key_file
    ):
        assert report.status == "loaded", report
    return wh


def headline(wh: Path, query: str, viewer: Viewer = ANALYST):
    return build(
        "overview-headline", make_request(WarehouseSource(wh), parse_filters(query), viewer)
    )


# The test itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "t_now", "t_before"),
    [
        (165, 120, 12, 12),
        (120, 120, 12, 12),
        (11, 30, 12, 12),
        (40, 25, 6, 12),
        (0, 12, 3, 3),
        (1, 1, 12, 12),
        (25_000, 24_000, 12, 11),
    ],
)
def test_the_change_test_is_scipys_exact_conditional_test(now, before, t_now, t_before) -> None:
    got = compare_counts(now, before, t_now, t_before)
    expected = stats.binomtest(now, now + before, t_now / (t_now + t_before))
    assert got.p == pytest.approx(expected.pvalue, rel=1e-12)
    assert got.ratio == pytest.approx((now / t_now) / (before / t_before))
    ci = expected.proportion_ci(0.95, method="exact")
    assert got.low == pytest.approx(ci.low / (1 - ci.low) * t_before / t_now)
    if ci.high < 1:
        assert got.high == pytest.approx(ci.high / (1 - ci.high) * t_before / t_now)
    assert got.low <= got.ratio <= got.high


@pytest.mark.parametrize(("k", "n"), [(0, 5), (5, 5), (1, 2), (7, 40), (1200, 2300), (3, 90_000)])
def test_the_exact_interval_in_closed_form_is_scipys(k, n) -> None:
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    low, high = clopper_pearson(k, n)
    assert (low, high) == (pytest.approx(ci.low, abs=1e-12), pytest.approx(ci.high, abs=1e-12))


def test_the_change_in_words() -> None:
    up = compare_counts(165, 120)
    assert up.words() == "up 38%, more than chance alone would give"  # p = 0.009
    assert compare_counts(106, 100).words() == "up 6%, within chance"
    assert compare_counts(80, 100).words() == "down 20%, within chance"  # p = 0.18
    assert compare_counts(100, 100).words() == "no change, within chance"
    assert compare_counts(5, 0) is None  # nothing to compare with
    assert "95% interval" in up.interval()


def test_periods_in_words_and_the_latest_whole_year() -> None:
    assert period_label("2024-01", "2024-12") == "2024"
    assert period_label("2024-04", "2025-03") == "2024/25"
    assert period_label("1999-04", "2000-03") == "1999/00"
    assert period_label("2024-02", "2024-07") == "2024-02 to 2024-07"
    assert latest_whole_year("2025-03", "fy") == ("2024-04", "2025-03")
    assert latest_whole_year("2025-02", "fy") == ("2023-04", "2024-03")
    assert latest_whole_year("2025-03", "calendar") == ("2024-01", "2024-12")
    assert latest_whole_year("2024-12", "calendar") == ("2024-01", "2024-12")


# The headline on the hand-built warehouse -----------------------------------------------------


def test_a_one_year_filter_gets_its_change(years: Path) -> None:
    h = headline(years, "from=2024-01&to=2024-12")
    row = h.data.iloc[0]
    assert (row["count"], row["before"]) == (165, 120)
    assert row["change"] == pytest.approx(165 / 120 - 1)
    assert row["p_value"] == pytest.approx(stats.binomtest(165, 285, 0.5).pvalue)
    assert row["change_words"] == "up 38%, more than chance alone would give"
    assert row["compared"] == "2024 against 2023"
    assert row["change_interval"] == compare_counts(165, 120).interval()
    # The latest 12 months (2024-04 to 2025-03) against the 12 before, read outside the filter.
    assert (row["last12"], row["before12"]) == (180, 120)
    assert "This period (2024): 165, up 38% on 2023 (120), more than chance" in h.text
    assert "Latest 12 months (2024/25): 180, up 50% on 2023/24 (120), more than chance" in h.text
    cards = {c["label"]: c for c in h.meta["cards"]}
    assert cards["Change on a year earlier"]["value"] == "+38%"
    assert "more than chance" in cards["Change on a year earlier"]["detail"]


def test_a_quarter_and_a_financial_year_filter(years: Path) -> None:
    row = headline(years, "from=2024-04&to=2024-06").data.iloc[0]
    assert (row["count"], row["before"]) == (45, 30)
    assert row["p_value"] == pytest.approx(stats.binomtest(45, 75, 0.5).pvalue)
    row = headline(years, "from=2024-04&to=2025-03").data.iloc[0]
    assert (row["count"], row["before"], row["compared"]) == (180, 120, "2024/25 against 2023/24")


def test_no_year_before_is_said(years: Path) -> None:
    row = headline(years, "from=2023-01&to=2023-12").data.iloc[0]
    assert row["count"] == 120 and row["change"] is None
    assert row["change_words"] == "no comparison: no data for the year before"
    row = headline(years, "from=2023-04&to=2024-03").data.iloc[0]  # 2022/23 holds 3 months
    assert row["change"] is None and "not fully held" in row["change_words"]


def test_the_financial_year_headline(years: Path, tmp_path: Path) -> None:
    import shutil

    wh = Path(shutil.copytree(years, tmp_path / "fy"))
    write_settings(wh, read_settings(wh).with_(year="fy"))
    h = headline(wh, "")
    row = h.data.iloc[0]
    assert row["count"] == 330
    assert (row["year"], row["year_count"], row["year_before"]) == ("2024/25", 180, 120)
    assert row["year_change"] == pytest.approx(0.5)
    assert row["year_words"] == "up 50%, more than chance alone would give"
    assert "Financial year (2024/25): 180, up 50% on 2023/24 (120)" in h.text
    assert any(c["label"] == "Financial year 2024/25" for c in h.meta["cards"])
    # The address overrides the setting: calendar years.
    row = headline(wh, "year=calendar").data.iloc[0]
    assert (row["year"], row["year_count"], row["year_before"]) == ("2024", 165, 120)
    # ... and the setting's default is calendar years.
    row = headline(years, "").data.iloc[0]
    assert row["year"] == "2024"
    row = headline(years, "year=fy").data.iloc[0]
    assert row["year"] == "2024/25"


def test_the_change_is_computed_from_the_published_counts(years: Path) -> None:
    """On the cell-key tier the counts are perturbed: the change and its test are those of
    the published counts, never of the true ones."""
    for query in ("from=2024-01&to=2024-12", "district=E08000001&from=2024-04&to=2025-03"):
        row = headline(years, query, VIEWER).data.iloc[0]
        now, before = row["count"], row["before"]
        assert SUPPRESSED not in (now, before)
        assert row["change"] == pytest.approx(now / before - 1)
        assert row["p_value"] == pytest.approx(stats.binomtest(now, now + before, 0.5).pvalue)
        assert not math.isnan(row["p_value"])
