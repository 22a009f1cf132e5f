"""Map queries on the hand-counted warehouse: counts, zeros, population, annual rates."""

from __future__ import annotations

import pytest

from dashboard.filters import parse_filters
from dashboard.queries.areas import (
    area_table,
    areas_in_scope,
    boundaries,
    centroids,
    drill_level,
    months_covered,
    population_year,
)


def test_drill_level_follows_the_filters() -> None:
    assert drill_level(parse_filters("")) == "district"
    assert drill_level(parse_filters("district=E08000001")) == "ward"
    assert drill_level(parse_filters("district=E08000001&ward=E05000001")) == "lsoa"


def test_district_counts_and_annual_rates(con) -> None:
    t = area_table(con, parse_filters(""), "district").set_index("area_code")
    assert t.loc["E08000001", "count"] == 15 and t.loc["E08000002", "count"] == 20
    assert t.loc["E08000001", "population"] == 3000  # three LSOAs of 1,000
    # Two months of police data: 15 events in 2 months over 3,000 people, per 1,000 a year.
    assert months_covered(con, parse_filters("")) == 2
    # The denominator of an annual rate (the views layer divides the published count by it).
    assert t.loc["E08000001", "person_years"] == pytest.approx(3000 * 2 / 12)
    assert 0 <= t.loc["E08000001", "ckey"] < 256
    assert "E08000009" not in t.index  # a neighbour's areas are not the partnership's


def test_areas_without_events_are_zero_not_missing(con) -> None:
    f = parse_filters("district=E08000001")
    t = area_table(con, f, "lsoa").set_index("area_code")
    assert list(t.index) == ["E01000001", "E01000002", "E01000003"]
    assert t["count"].tolist() == [12, 0, 3]
    assert set(areas_in_scope(con, f, "ward")["area_code"]) == {"E05000001", "E05000002"}


def test_period_and_group_filters_reach_the_map(con) -> None:
    t = area_table(con, parse_filters("from=2024-02&to=2024-02"), "district").set_index("area_code")
    assert t.loc["E08000001", "count"] == 0 and t.loc["E08000002", "count"] == 20
    t = area_table(con, parse_filters("group=knife_sharp"), "district").set_index("area_code")
    assert t.loc["E08000001", "count"] == 12 and t.loc["E08000002", "count"] == 0


def test_population_year_is_the_nearest_loaded(con) -> None:
    assert population_year(con, parse_filters("to=2030-01")) == 2024
    assert population_year(con, parse_filters("")) == 2024


def test_boundaries_are_geojson_keyed_by_gss_code(con) -> None:
    geo = boundaries(con, "lsoa", ["E01000001", "E01000004"])
    assert {f["id"] for f in geo["features"]} == {"E01000001", "E01000004"}
    assert geo["features"][0]["geometry"]["type"] == "Polygon"
    assert len(boundaries(con, "lsoa", None)["features"]) == 5  # in-area LSOAs only
    c = centroids(con, "lsoa", ["E01000001"])
    assert c["lon"].iloc[0] == pytest.approx(-1.595, abs=0.002)


def test_values_go_in_as_parameters_never_as_sql(con) -> None:
    evil = "E08000001') OR 1=1 --"
    f = parse_filters({"district": [evil]})
    assert f.districts == () and f.messages  # rejected by the parser
    t = area_table(con, f.with_(districts=(evil,)), "district")  # and harmless if forced
    assert t.empty


def test_months_held_are_read_from_the_parts_as_the_events_would_give(con, demo_warehouse) -> None:
    """The months a source holds come from the catalog's live parts (a few hundred rows, not a
    scan of every event): the same answer as the events, on the hand-built and demo warehouses."""
    from dashboard.queries.overview import held_months, held_months_from_events, months_available
    from svcore.vocab import SOURCES
    from svcore.warehouse import connect_reader

    demo = connect_reader(demo_warehouse)
    for c in (con, demo):
        for source in (None, *SOURCES):
            assert held_months(c, source) == held_months_from_events(c, source), source
    held = held_months(demo, "police")
    assert months_covered(demo, parse_filters(f"from={held[1]}&to={held[3]}")) == 3
    assert months_available(demo)[0] == held_months(demo, None)[0]


def test_the_area_join_is_the_left_merge_of_its_parts() -> None:
    """``join_area_table`` joins by position: the frame two left merges give, every area kept
    once, zero counts where an area has no events, no residents where none are known."""
    import pandas as pd

    from dashboard.queries.areas import join_area_table

    areas = pd.DataFrame(
        {"area_code": ["E1", "E2", "E3", "E4"], "area_name": ["A", "B", "C", "D"]}
    ).astype("str")
    counts = pd.DataFrame(
        {"ward": ["E3", None, "E1", "E9"], "count": [4, 2, 7, 1], "ckey": [9, 1, 200, 3]}
    ).astype({"ward": "str", "count": "int64", "ckey": "int64"})
    pop = pd.DataFrame({"area_code": ["E2", "E1", "E3", "E8"], "population": [50.0, 10, 30, 5]})
    pop["area_code"] = pop["area_code"].astype("str")
    got = join_area_table(areas, counts, pop, 6, "ward")
    want = areas.merge(
        counts.rename(columns={"ward": "area_code"}), on="area_code", how="left"
    ).merge(pop, on="area_code", how="left")
    want["count"] = want["count"].fillna(0).astype("int64")
    want["ckey"] = want["ckey"].fillna(0).astype("int64")
    want["person_years"] = want["population"] * 6 / 12
    pd.testing.assert_frame_equal(got, want)
    assert list(areas.columns) == ["area_code", "area_name"]  # the memoised parts untouched
    with pytest.raises(pd.errors.InvalidIndexError):
        join_area_table(areas, pd.concat([counts, counts]), pop, 6, "ward")
