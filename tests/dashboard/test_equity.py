"""Disproportionality: rates per 1,000 residents by ethnic group, age band and sex, and the
relative rate index with its Katz interval, against answers computed by hand.

A hand-built warehouse (the two-district test geography) holds, for January 2024, police
victims white 40, Asian 30, Black 12, mixed 7 and 5 not stated; Census residents per LSOA
white 800, Asian 150, Black 50, mixed 20 (other none); and residents 100 per LSOA of each sex
aged 20 and 40 in 2024. Five LSOAs are in the area, so white 4,000, Asian 750, Black 250,
mixed 100 residents; one month, so a year's rate is count / (residents / 12) * 1,000.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import IN_AREA_LSOAS, feed_rows, write_csv, write_feed

from dashboard.analysis.disproportionality import katz_interval, relative_rate_index
from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build, published_table
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from svcore.disclosure import SUPPRESSED, Rule, published

VICTIMS = {"white": 40, "asian": 30, "black": 12, "mixed": 7, "not_stated": 5}
PER_LSOA = {"white": 800, "asian": 150, "black": 50, "mixed": 20}
RESIDENTS = {g: n * len(IN_AREA_LSOAS) for g, n in PER_LSOA.items()}
ANALYST = Viewer("ann", "analyst")
VIEWER = Viewer("vic", "viewer")


def katz_by_hand(a: float, n1: float, c: float, n2: float) -> tuple[float, float, float]:
    rri = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rri, rri * math.exp(-1.96 * se), rri * math.exp(1.96 * se)


def test_katz_interval_matches_the_worked_example() -> None:
    # Asian victims 30 of 750 residents against white 40 of 4,000: RRI 4.
    rri, low, high = katz_interval(30, 750, 40, 4000)
    assert rri == pytest.approx(4.0)
    hand = katz_by_hand(30, 750, 40, 4000)
    assert (low, high) == pytest.approx(hand[1:], rel=1e-4)  # scipy's z is 1.95996...
    # By hand: se = sqrt(1/30 - 1/750 + 1/40 - 1/4000) = sqrt(0.05675) = 0.23822;
    # exp(1.96 * 0.23822) = 1.5951, so 4 / 1.5951 = 2.508 and 4 * 1.5951 = 6.380.
    assert (round(low, 3), round(high, 3)) == (2.508, 6.380)


def test_rri_needs_a_published_rate_for_both_groups() -> None:
    rule = Rule(5, 10, "exact")
    frame = pd.DataFrame(
        {
            "group": ["a", "b", "c", "ref"],
            "count": [30, 9, SUPPRESSED, 40],
            "residents": [750.0, 300.0, 100.0, 4000.0],
        }
    )
    frame["rate"] = (published(frame) / frame["residents"] * 1000).where(published(frame) >= 10)
    out = relative_rate_index(frame, "group", "ref", rule).set_index("group")
    assert out.loc["a", "rri"] == pytest.approx(4.0) and out.loc["a", "flag"] == "higher"
    assert out[["rri", "rri_low", "rri_high"]].loc[["b", "c"]].isna().all().all()
    assert out.loc["ref", "rri"] == 1.0 and out.loc["ref", "flag"] == "reference"
    # A hidden or too-small reference: no group has an RRI.
    small = frame.assign(rate=frame["rate"].where(frame["group"] != "ref"))
    assert relative_rate_index(small, "group", "ref", rule)["rri"].isna().all()


@pytest.fixture(scope="module")
def equity_wh(tmp_path_factory, key_file) -> Path:
    from helpers import build_warehouse

    from etl.load import load_files

    root = tmp_path_factory.mktemp("equity")
    wh = build_warehouse(root / "wh", key_file)

    def load(feed: str, path: Path) -> None:
        (r,) = load_files(wh, feed, [path], key_path=key_file)
        assert r.status == "loaded", r.message

    census = [
        {"lsoa_code": lsoa, "ethnic_group_broad": g, "population": n, "census_year": 2021}
        for lsoa in IN_AREA_LSOAS
        for g, n in PER_LSOA.items()
    ]
    load(
        "census_ethnicity",
        write_csv(
            root / "census.csv",
            ["lsoa_code", "ethnic_group_broad", "population", "census_year"],
            census,
        ),
    )
    pop = [
        {"area_code": lsoa, "year": 2024, "sex": sex, "age": age, "population": 100}
        for lsoa in IN_AREA_LSOAS
        for sex in ("F", "M")
        for age in (20, 40)
    ]
    load(
        "population",
        write_csv(root / "population.csv", ["area_code", "year", "sex", "age", "population"], pop),
    )
    rows, i = [], 1
    for group, n in VICTIMS.items():
        # Victims: half female aged 20 (18-24), half male aged 40 (35-44); suspects all
        # white men aged 27 (the helper's row).
        for k in range(n):
            rows += feed_rows(
                "police",
                1,
                i,
                victim_ethnicity=group,
                victim_sex="F" if k % 2 == 0 else "M",
                victim_age="20" if k % 2 == 0 else "40",
                lsoa_code=IN_AREA_LSOAS[k % len(IN_AREA_LSOAS)],
            )
            i += 1
    load("police", write_feed(root / "police_2024-01.csv", "police", rows))
    return wh


def request(wh: Path, viewer: Viewer = ANALYST, query: str = ""):
    return make_request(WarehouseSource(wh), parse_filters(query), viewer)


def yearly_rate(count: int, residents: float) -> float:
    return count / (residents / 12) * 1000


def test_victim_rates_by_ethnic_group(equity_wh: Path) -> None:
    data = build("who-victim-rates-ethnicity", request(equity_wh)).data
    got = data.set_index("label")
    for group, label in (("white", "White"), ("asian", "Asian"), ("black", "Black")):
        assert got.loc[label, "count"] == VICTIMS[group]
        assert got.loc[label, "residents"] == RESIDENTS[group]
        assert got.loc[label, "rate"] == pytest.approx(
            yearly_rate(VICTIMS[group], RESIDENTS[group])
        )
    assert got.loc["White", "rate"] == pytest.approx(120.0)  # 40 / (4,000 / 12) * 1,000
    assert pd.isna(got.loc["Mixed", "rate"])  # 7 events: no rate on fewer than 10
    assert got.loc["Other", "count"] == 0 and pd.isna(got.loc["Other", "rate"])
    assert got.loc["Not stated or not recorded", "count"] == 5
    assert pd.isna(got.loc["Not stated or not recorded", "rate"])


def test_rri_against_white_and_another_reference(equity_wh: Path) -> None:
    req = request(equity_wh)
    data = build("who-rri-victims", req).data.set_index("ethnic_group")
    for group in ("asian", "black"):
        rri, low, high = katz_by_hand(
            VICTIMS[group], RESIDENTS[group], VICTIMS["white"], RESIDENTS["white"]
        )
        assert data.loc[group, "rri"] == pytest.approx(rri)
        assert (data.loc[group, "rri_low"], data.loc[group, "rri_high"]) == pytest.approx(
            (low, high), rel=1e-4
        )
        assert data.loc[group, "flag"] == "higher"  # the interval excludes 1
    assert data.loc["white", "flag"] == "reference"
    assert data[["rri"]].loc[["mixed", "other"]].isna().all().all()
    against_asian = build("who-rri-victims", req, reference="asian").data.set_index("ethnic_group")
    assert against_asian.loc["white", "rri"] == pytest.approx(0.25)
    assert against_asian.loc["white", "flag"] == "lower"
    # The chart and its table are the same numbers; the note states the method.
    table = build("who-rri-victims-table", req)
    assert table.data["rri"].tolist() == pytest.approx(data["rri"].tolist(), nan_ok=True)
    assert "Katz" in table.meta["table"]["note"]
    # Too few events in the reference group: no RRI at all.
    assert build("who-rri-victims", req, reference="mixed").data["rri"].isna().all()
    with pytest.raises(ValueError, match="not allowed"):
        build("who-rri-victims", req, reference="martian")


def test_rates_by_age_and_sex_and_the_rate_pyramid(equity_wh: Path) -> None:
    req = request(equity_wh)
    # Victims: 52 female aged 20, 42 male aged 40 (of 94; the odd ones are female).
    female = sum((n + 1) // 2 for n in VICTIMS.values())
    male = sum(n // 2 for n in VICTIMS.values())
    residents = 100 * len(IN_AREA_LSOAS)  # of each sex and age
    data = build("who-rates-age-sex", req).data
    victims = data[data["who"] == "victims"].set_index(["sex", "age_band"])
    assert victims.loc[("F", "18-24"), "count"] == female
    assert victims.loc[("F", "18-24"), "rate"] == pytest.approx(yearly_rate(female, residents))
    assert victims.loc[("M", "35-44"), "rate"] == pytest.approx(yearly_rate(male, residents))
    suspects = data[data["who"] == "suspects"].set_index(["sex", "age_band"])
    assert suspects.loc[("M", "25-34"), "count"] == sum(VICTIMS.values())
    pyramid = build("who-victims", req, measure="rate")
    rated = pyramid.data.set_index(["sex", "age_band"])
    assert rated.loc[("F", "18-24"), "rate"] == pytest.approx(yearly_rate(female, residents))
    assert "rates per 1,000" in pyramid.alt
    counts = build("who-victims", req)
    assert "rate" not in counts.data and "population pyramid" in counts.alt


def test_export_dimensions_group_recorded_ethnicity_as_census_broad(equity_wh: Path) -> None:
    req = request(equity_wh, query="source=police")
    table = published_table(req, ["victim_ethnicity"])
    named = table.dropna(subset=["victim_ethnicity"]).set_index("victim_ethnicity")["count"]
    assert named.to_dict() == {g: n for g, n in VICTIMS.items() if g != "not_stated"}
    assert table[table["victim_ethnicity"].isna()]["count"].tolist() == [5]  # not stated
    suspects = published_table(req, ["suspect_ethnicity"])
    assert suspects["count"].tolist() == [sum(VICTIMS.values())]


def test_cell_key_rates_and_rri_come_from_the_published_counts(equity_wh: Path) -> None:
    req = request(equity_wh, VIEWER)
    data = build("who-rri-victims", req).data.set_index("ethnic_group")
    for group in ("asian", "black"):
        a, c = published(data).loc[group], published(data).loc["white"]
        assert abs(a - VICTIMS[group]) <= 3  # perturbed, never by more than 3
        if a < req.rule.min_events_for_rate:  # 12 black victims may publish as 9 to 15
            assert pd.isna(data.loc[group, "rate"]) and pd.isna(data.loc[group, "rri"])
            continue
        assert data.loc[group, "rate"] == pytest.approx(yearly_rate(a, RESIDENTS[group]))
        rri, low, high = katz_by_hand(a, RESIDENTS[group], c, RESIDENTS["white"])
        assert data.loc[group, "rri"] == pytest.approx(rri)
        assert data.loc[group, "rri_low"] == pytest.approx(low, rel=1e-4)
    # The same cells in every view: the rates view, the RRI table and the export table.
    rates = build("who-victim-rates-ethnicity", req).data.set_index("ethnic_group")
    assert rates.loc["asian", "count"] == data.loc["asian", "count"]
    export = published_table(
        request(equity_wh, VIEWER, "source=police"), ["victim_ethnicity"]
    ).set_index("victim_ethnicity")
    assert export.loc["asian", "count"] == data.loc["asian", "count"]


def test_every_equity_view_is_registered_on_the_who_page() -> None:
    names = {
        "who-victim-rates-ethnicity",
        "who-suspect-rates-ethnicity",
        "who-rri-victims",
        "who-rri-suspects",
        "who-rri-victims-table",
        "who-rri-suspects-table",
        "who-rates-age-sex",
    }
    assert names <= set(CHARTS)
    assert {CHARTS[n].page for n in names} == {"/who"}
    assert CHARTS["who-victims"].options["measure"] == ("count", "rate")


def test_the_demo_has_residents_by_ethnic_group_matching_its_population(
    demo_warehouse: Path,
) -> None:
    from helpers import reader_rows

    by_lsoa = reader_rows(
        demo_warehouse,
        "WITH c AS (SELECT lsoa_code, sum(population) AS n, count(*) AS k, "
        "count(DISTINCT ethnic_group_broad) AS b FROM census_ethnicity GROUP BY 1), "
        "p AS (SELECT area_code AS lsoa_code, sum(population) AS n FROM population "
        "WHERE year = 2021 GROUP BY 1) "
        "SELECT count(*), count(*) FILTER (c.n = p.n), min(c.k), min(c.b) "
        "FROM c JOIN p USING (lsoa_code)",
    )
    (lsoas, equal, groups, broad), *_ = by_lsoa
    assert lsoas > 1000 and equal == lsoas  # each LSOA's residents = its 2021 estimate
    assert groups == 19 and broad == 5  # the bulk layout: every detailed group
    req = request(demo_warehouse)
    for name in ("who-rri-victims", "who-rri-suspects"):
        data = build(name, req).data
        assert data["rri"].notna().all(), name  # a year of the demo: every group publishes


NARROW = (
    "",
    "district=E08000033&from=2021-06&to=2021-06&group=homicide",
    "district=E08000034&from=2021-03&to=2021-04",
    "district=E08000035&from=2021-05&to=2021-05&group=firearm",
)


@pytest.mark.parametrize("role", ["analyst", "duty_holder", "viewer"])
def test_no_rate_or_rri_rests_on_a_hidden_or_small_count(demo_warehouse: Path, role) -> None:
    viewer = {
        "analyst": ANALYST,
        "duty_holder": Viewer("kim", "duty_holder", ("E08000034",)),
        "viewer": VIEWER,
    }[role]
    source = WarehouseSource(demo_warehouse)
    for query in NARROW:
        req = make_request(source, parse_filters(query), viewer)
        views = [
            (n, {}) for n in CHARTS if n.startswith(("who-rri", "who-victim-r", "who-suspect-r"))
        ]
        views += [("who-rates-age-sex", {}), ("who-victims", {"measure": "rate"})]
        views += [("who-suspects", {"measure": "rate"})]
        for name, options in views:
            data = build(name, req, **options).data
            shown = published(data)
            assert not ((shown > 0) & (shown < 5)).any(), (name, query)
            rated = data["rate"].notna()
            assert (shown[rated] >= req.rule.min_events_for_rate).all(), (name, query)
            if "rri" in data:
                ref = data[data["flag"] == "reference"]
                has = data["rri"].notna() & (data["flag"] != "reference")
                if has.any():
                    assert len(ref) == 1 and ref["rate"].notna().all(), (name, query)
                    assert data.loc[has, "rate"].notna().all(), (name, query)
