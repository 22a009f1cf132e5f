"""Persistent places, the evidence ranking of factors and the area risk index: known answers
on hand-built frames (computed independently here), then the views on the demo warehouse."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis.places import (
    NO_INDEX,
    NOT_SHOWN,
    QUADRANTS,
    persistence,
    quadrants,
    risk_index,
    zscores,
)
from dashboard.analysis.stats import correlate, evidence, rank_by_evidence
from dashboard.auth import Viewer
from dashboard.charts.catalogue import (
    area_centroids,
    build,
    hotspot_stats,
    place_residents,
    published_areas,
)
from dashboard.charts.places import years_of
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import Filters, parse_filters
from dashboard.queries.areas import (
    areas_in_scope,
    centroids,
    months_covered,
    period_only,
    place_only,
    population_by_area,
    population_year,
)
from dashboard.queries.deciles import decile_profile, deciles_from_areas
from dashboard.queries.factors import imd_scores, indicator_values
from dashboard.queries.overview import latest_month
from svcore.config import Settings, read_settings, write_settings
from svcore.disclosure import SUPPRESSED

HOT99, HOT95, HOT90 = (
    "Hot spot, 99% confidence",
    "Hot spot, 95% confidence",
    "Hot spot, 90% confidence",
)
COLD, NS = "Cold spot, 95% confidence", "Not significant"


def year_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"area_code": c, "area_name": f"Area {c}", "hotspot": h, "gi_z": z} for c, h, z in rows]
    )


# Persistence -----------------------------------------------------------------------------------


def test_persistence_counts_the_years_an_area_was_a_significant_hot_spot() -> None:
    per_year = {
        2022: year_frame([("A", HOT99, 4.0), ("B", HOT90, 1.8), ("C", NS, 0.1), ("D", COLD, -2.0)]),
        2023: year_frame([("A", HOT95, 2.2), ("B", HOT95, 2.1), ("C", NS, 0.3), ("D", NS, -1.0)]),
        2024: year_frame([("A", HOT99, 3.0), ("B", NS, 0.5), ("C", HOT95, 2.0)]),  # D not mapped
    }
    out = persistence(per_year).set_index("area_code")
    # By hand: 90% confidence does not count (p < 0.05 only); cold spots never count.
    assert out.loc["A", "years_hot"] == 3 and out.loc["A", "hot_years"] == "2022, 2023, 2024"
    assert out.loc["B", "years_hot"] == 1 and out.loc["B", "hot_years"] == "2023"
    assert out.loc["C", "years_hot"] == 1 and out.loc["C", "hot_years"] == "2024"
    assert out.loc["D", "years_hot"] == 0 and out.loc["D", "hot_years"] == ""
    assert out.loc["D", "years_tested"] == 2 and out.loc["A", "years_tested"] == 3
    assert out.loc["A", "mean_gi_z"] == pytest.approx((4.0 + 2.2 + 3.0) / 3)
    # Most persistent first; ties (B and C, one year each) by the mean z: B (1.467) > C (0.8).
    assert list(persistence(per_year)["area_code"]) == ["A", "B", "C", "D"]


def test_persistence_of_no_years_is_empty() -> None:
    out = persistence({})
    assert out.empty and "years_hot" in out


# Evidence ranking --------------------------------------------------------------------------------


def fisher_interval(r: float, n: int) -> tuple[float, float]:
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    return math.tanh(z - 1.959964 * se), math.tanh(z + 1.959964 * se)


def test_evidence_is_the_interval_end_nearer_zero() -> None:
    assert evidence(0.46, 0.53) == pytest.approx(0.46)
    assert evidence(-0.7, -0.2) == pytest.approx(0.2)
    assert evidence(-0.1, 0.9) == 0.0
    assert math.isnan(evidence(float("nan"), float("nan")))


def test_a_small_wide_interval_factor_ranks_below_a_large_precise_one() -> None:
    """The issue's case: a 5-district indicator with r = 0.90 beside IMD over 1,478 LSOAs."""
    rows = []
    for name, r, n in (
        ("district indicator", 0.90, 5),
        ("IMD", 0.50, 1478),
        ("ward indicator", 0.60, 124),
        ("weak negative", -0.20, 1478),
        ("too few", 0.95, 3),
        ("crosses zero, many areas", 0.04, 1478),
    ):
        low, high = fisher_interval(r, n) if n > 3 else (float("nan"), float("nan"))
        rows.append({"factor": name, "n": n, "r": r, "low": low, "high": high})
    frame = pd.DataFrame(rows)
    # By hand: 5 areas, r = 0.90 -> tanh(atanh(0.9) -/+ 1.96 / sqrt(2)) = 0.086 to 0.993.
    low5, high5 = fisher_interval(0.90, 5)
    assert low5 == pytest.approx(0.086, abs=1e-3) and high5 == pytest.approx(0.993, abs=1e-3)
    ranked = rank_by_evidence(frame)
    # Weakest |r|: ward 0.60 over 124 -> 0.474; IMD 0.50 over 1,478 -> 0.461; weak negative
    # -0.20 -> 0.151; district 0.90 over 5 -> 0.086; then the interval including zero, then
    # the one with no interval.
    assert list(ranked["factor"]) == [
        "ward indicator",
        "IMD",
        "weak negative",
        "district indicator",
        "crosses zero, many areas",
        "too few",
    ]
    ordered_by_r = frame.reindex(frame["r"].abs().sort_values(ascending=False).index)
    assert ordered_by_r["factor"].iloc[1] == "district indicator"  # what |r| alone did


def test_correlate_interval_matches_fisher_by_hand() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = 0.5 * x + rng.normal(size=200)
    c = correlate(x, y)
    low, high = fisher_interval(c.r, 200)
    assert (c.r_low, c.r_high) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


def test_correlate_gives_scipys_pearson_spearman_and_least_squares_line() -> None:
    rng = np.random.default_rng(5)
    for n in (4, 30, 1500):
        x = np.round(rng.normal(size=n), 1)  # ties, as deciles and rounded indicators have
        y = np.exp(x) + rng.normal(size=n)
        c = correlate(x, y)
        fit = stats.linregress(x, y)
        assert c.rho == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        pearson = stats.pearsonr(x, y)
        assert c.r == pytest.approx(pearson.statistic, abs=1e-12)
        assert c.p == pytest.approx(pearson.pvalue, rel=1e-9, abs=1e-300)
        assert (c.slope, c.intercept) == (
            pytest.approx(fit.slope, abs=1e-9),
            pytest.approx(fit.intercept, abs=1e-9),
        )


# Risk index ------------------------------------------------------------------------------------


def test_risk_index_standardises_orients_and_weights() -> None:
    frame = pd.DataFrame(
        {
            "area_code": ["a", "b", "c", "d"],
            "x": [10.0, 20.0, 30.0, 40.0],  # higher = more risk
            "y": [1.0, 1.0, 4.0, 2.0],  # higher = LESS risk (reversed)
        }
    )
    out = risk_index(frame, {"x": 2.0, "y": 1.0}, reverse=["y"]).set_index("area_code")
    # By hand, with the sample standard deviation.
    zx = [(v - statistics.mean(frame["x"])) / statistics.stdev(frame["x"]) for v in frame["x"]]
    zy = [-(v - statistics.mean(frame["y"])) / statistics.stdev(frame["y"]) for v in frame["y"]]
    expected = [(2 * a + 1 * b) / 3 for a, b in zip(zx, zy, strict=True)]
    assert out["index"].tolist() == pytest.approx(expected)
    assert out["z:x"].tolist() == pytest.approx(zx)
    assert out["z:y"].tolist() == pytest.approx(zy)
    # x's z-scores are -1.162, -0.387, 0.387, 1.162 (sd 12.91); d is the riskiest here.
    assert out["z:x"].iloc[0] == pytest.approx(-15 / math.sqrt(500 / 3))
    assert out["index"].idxmax() == "d"  # (2 * 1.162 + 0) / 3 = 0.775


def test_risk_index_scores_an_area_on_the_indicators_it_has() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, np.nan, 1.0], "flat": [7.0] * 3})
    out = risk_index(frame, {"x": 1.0, "y": 3.0, "flat": 1.0, "absent": 1.0})
    zx = [-1.0, 0.0, 1.0]  # mean 2, sd 1
    zy = [(5 - 3) / statistics.stdev([5, 1]), np.nan, (1 - 3) / statistics.stdev([5, 1])]
    assert out["index"].iloc[0] == pytest.approx((zx[0] + 3 * zy[0]) / 4)
    assert out["index"].iloc[1] == pytest.approx(zx[1])  # y missing: x alone
    assert out["indicators_used"].tolist() == [2, 1, 2]  # a constant indicator ranks nobody
    assert zscores(frame["flat"]).isna().all()


def test_quadrants_use_the_published_rate_only() -> None:
    index = pd.Series([2.0, 1.0, -1.0, -2.0, 0.5, np.nan])
    rate = pd.Series([30.0, 5.0, 25.0, 4.0, np.nan, 10.0])  # area 4: no published rate
    labels, idx_mid, rate_mid = quadrants(index, rate)
    assert idx_mid == pytest.approx(0.5)  # median of 2, 1, -1, -2, 0.5
    assert rate_mid == pytest.approx(10.0)  # median of 30, 5, 25, 4, 10
    assert labels.tolist() == [
        QUADRANTS[0],  # high risk, high violence
        QUADRANTS[1],  # high risk, low violence (yet)
        QUADRANTS[2],  # low risk, high violence
        QUADRANTS[3],  # low risk, low violence
        NOT_SHOWN,
        NO_INDEX,
    ]


def test_risk_settings_round_trip_and_are_checked(tmp_path: Path) -> None:
    s = Settings(
        districts=("E08000034",),
        risk_weights={"imd:income": 2.0, "ind:neet_rate": 1.0},
        risk_reverse=("ind:neet_rate",),
    )
    write_settings(tmp_path, s)
    back = read_settings(tmp_path)
    assert back.risk_weights == s.risk_weights and back.risk_reverse == s.risk_reverse
    with pytest.raises(ValueError, match="risk_index"):
        Settings(districts=("E08000034",), risk_weights={"income; DROP": 1.0})
    with pytest.raises(ValueError, match="negative"):
        Settings(districts=("E08000034",), risk_weights={"imd:income": -1.0})


# The views on the demo ---------------------------------------------------------------------------

ANALYST, VIEWER = Viewer("ann", "analyst"), Viewer("vic", "viewer")


@pytest.fixture(scope="module")
def source(demo_warehouse: Path) -> WarehouseSource:
    return WarehouseSource(demo_warehouse)


def test_persistent_hot_spots_are_the_yearly_gi_star_counted(source) -> None:
    req = make_request(source, parse_filters("district=E08000035&source=police"), ANALYST)
    view = build("where-persistent-hotspots", req)
    years = years_of(req)
    assert years and view.meta["years"] == years
    hot = {
        y: set(
            hotspot_stats(
                req.with_filters(req.filters.with_(date_from=f"{y}-01", date_to=f"{y}-12"))
            ).query("gi_p < 0.05 and gi_z > 0")["area_code"]
        )
        for y in years
    }
    expected = {a: sum(a in hot[y] for y in years) for a in view.data["area_code"]}
    assert dict(zip(view.data["area_code"], view.data["years_hot"], strict=True)) == expected
    table = build("where-persistent-table", req).data
    assert (table["years_hot"] > 0).all() and table["years_hot"].is_monotonic_decreasing


def test_location_types_and_repeat_locations_publish_counts_first(source) -> None:
    req = make_request(source, parse_filters("district=E08000034"), VIEWER)
    types = build("where-location-types", req).data
    assert len(types) and types["year"].nunique() >= 1
    for _, part in types.groupby("year"):
        shown = pd.to_numeric(part["count"].where(part["count"] != SUPPRESSED))
        has = part["share"].notna()
        # Each share is a published count over the year's published total; hidden: no share.
        assert part.loc[has, "share"].tolist() == pytest.approx((shown[has] / shown.sum()).tolist())
        assert not has[shown.isna()].any()
    repeat = build("where-repeat-locations", req).data
    assert not (repeat["count"] == SUPPRESSED).any()
    assert (repeat["rank"] <= 20).all()
    assert (repeat.groupby(["area_code", "location"])["year"].nunique() >= 2).all()


def test_ranked_factors_put_district_indicators_below_imd(source) -> None:
    req = make_request(source, parse_filters("source=police"), ANALYST)
    ranked = build("factors-ranked", req).data.reset_index(drop=True)
    imd = ranked.index[ranked["factor"].str.contains("index of multiple deprivation")][0]
    for i in ranked.index[ranked["level"] == "district"]:
        assert i > imd
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))


@pytest.mark.parametrize(
    "query", ["source=police", "district=E08000035&to=2025-06", "ward=first", "district=E08000034"]
)
def test_a_places_residents_from_its_lsoas_match_their_own_query(source, query) -> None:
    if "ward=first" in query:
        first = areas_in_scope(source.connection(), parse_filters(""), "ward")["area_code"].iloc[0]
        query = query.replace("first", first)
    req = make_request(source, parse_filters(query), ANALYST)
    year = population_year(req.con, req.filters)
    own = population_by_area(req.con, place_only(req.filters), "district", year)
    assert place_residents(req, req.filters) == pytest.approx(float(own["population"].sum()))
    assert place_residents(req, req.filters) > 0


def test_centroids_of_a_place_are_sliced_from_the_whole_level(source) -> None:
    req = make_request(source, parse_filters("district=E08000035"), ANALYST)
    codes = tuple(req.area_table("lsoa")["area_code"])
    sliced = area_centroids(req, "lsoa", codes)
    pd.testing.assert_frame_equal(sliced, centroids(req.con, "lsoa", list(codes)))
    assert len(sliced) == len(codes)


@pytest.mark.parametrize("query", ["source=police", "to=2019-12&source=police"])
def test_every_indicator_at_once_matches_each_asked_alone(source, query) -> None:
    req = make_request(source, parse_filters(query), ANALYST)
    every = indicator_values(req.con, req.filters)
    codes = sorted(set(every["indicator_code"]))
    assert codes, "the demo warehouse has indicators"
    for code in codes:
        alone = indicator_values(req.con, req.filters, code).drop(columns="indicator_code")
        part = every[every["indicator_code"] == code].drop(columns="indicator_code")
        pd.testing.assert_frame_equal(part.reset_index(drop=True), alone)
        assert part["period"].nunique() == 1  # one period an indicator


@pytest.mark.parametrize(
    "query",
    [
        "source=police",
        "district=E08000035&source=police&group=robbery",
        "ward=first&source=police",
        "from=last6&source=health",
        "source=youth_justice",
    ],
)
def test_deciles_from_the_lsoa_table_match_their_own_query(source, query) -> None:
    if "ward=first" in query:
        first = areas_in_scope(source.connection(), parse_filters(""), "ward")["area_code"].iloc[0]
        query = query.replace("first", first)
    if "from=last6" in query:  # the last six months the demo holds
        end = pd.Period(latest_month(source.connection(), Filters(source="health")), "M")
        query = query.replace("last6", f"{end - 5}&to={end}")
    req = make_request(source, parse_filters(query), ANALYST)
    summed = deciles_from_areas(
        req.area_table("lsoa"),
        imd_scores(req.con, place_only(req.filters)),
        months_covered(req.con, period_only(req.filters)),
    )
    own = decile_profile(req.con, req.filters)
    assert int(own["count"].sum()) > 0
    pd.testing.assert_frame_equal(summed, own, check_dtype=False)


def test_risk_index_view_matches_an_independent_computation(source) -> None:
    req = make_request(source, parse_filters("district=E08000033&source=police"), ANALYST)
    view = build("factors-risk-index-map", req).data.set_index("area_code")
    # Independently: the default factors' values, z-scored with numpy, equal weights.
    scores = imd_scores(req.con, req.filters)
    wide = scores.pivot_table(index="area_code", columns="domain", values="score")
    domains = ["income", "employment", "education", "health", "barriers", "living_environment"]
    cols = {d: wide[d] for d in domains}
    areas = published_areas(req, "lsoa").set_index("area_code")
    for code in ("claimant_count_rate", "alcohol_licensed_premises"):
        values = indicator_values(req.con, req.filters, code).set_index("area_code")["value"]
        cols[code] = areas["ward_code"].map(values)
    frame = pd.DataFrame(cols).reindex(view.index)
    z = (frame - frame.mean()) / frame.std(ddof=1)
    expected = z.mean(axis=1)
    assert view["index"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-3)
    # Quadrants against the medians of the index and of the published rates.
    high_risk = view["index"] > view["index"].median()
    high_rate = view["rate"] > view["rate"].median()
    rated = view["rate"].notna()
    assert (view.loc[rated & high_risk & high_rate, "quadrant"] == QUADRANTS[0]).all()
    assert (view.loc[rated & high_risk & ~high_rate, "quadrant"] == QUADRANTS[1]).all()
    assert (view.loc[~rated, "quadrant"] == NOT_SHOWN).all()


def test_risk_weights_from_the_settings(source) -> None:
    req = make_request(source, parse_filters("district=E08000033&source=police"), ANALYST)
    one = replace(
        req,
        settings=req.settings.with_(
            risk_weights={"imd:income": 1.0, "ind:not_loaded": 1.0},
            risk_reverse=("imd:income",),
        ),
        views={},
    )
    view = build("factors-risk-index-map", one).data.set_index("area_code")
    income = imd_scores(req.con, req.filters).query("domain == 'income'").set_index("area_code")
    income = income["score"].reindex(view.index)
    expected = -(income - income.mean()) / income.std(ddof=1)
    assert view["index"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-3)
    text = build("factors-risk-method", one).text
    assert "Named but not loaded: ind:not_loaded." in text and "reversed" in text


@pytest.mark.parametrize("who", [VIEWER, ANALYST])
def test_a_hidden_count_gets_no_quadrant(source, who: Viewer) -> None:
    """An LSOA whose count is hidden (or too small for a rate) has no quadrant, on the
    cell-key tier and the exact one; the quadrants are a function of the published rates."""
    query = "district=E08000033&from=2021-03&to=2021-03&group=knife_sharp"
    req = make_request(source, parse_filters(query), who)
    quads = build("factors-risk-quadrants", req).data
    assert (quads["count"] == SUPPRESSED).any()  # the test has hidden counts to look at
    for frame in (build("factors-risk-index-table", req).data, quads):
        hidden = frame["count"] == SUPPRESSED
        assert (frame.loc[hidden, "quadrant"] == NOT_SHOWN).all()
        assert frame.loc[frame["rate"].isna(), "quadrant"].isin([NOT_SHOWN, NO_INDEX]).all()
    # The same quadrants again from the published rates of the LSOA map alone.
    shown = build("where-map", req, level="lsoa").data.set_index("area_code")["rate"]
    labels, _, _ = quadrants(
        quads.set_index("area_code")["index"], shown.reindex(quads["area_code"])
    )
    assert labels.tolist() == quads["quadrant"].tolist()
