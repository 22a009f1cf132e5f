"""A user's scope is enforced in the query layer: other districts select nothing."""

from __future__ import annotations

from dashboard.filters import parse_filters
from dashboard.queries.areas import area_table
from dashboard.queries.counts import count_table
from dashboard.queries.deciles import decile_profile
from dashboard.queries.factors import imd_scores
from dashboard.queries.time import hour_by_weekday

BETA_ONLY = ("E08000002",)


def test_scope_limits_every_query(con) -> None:
    f = parse_filters("").with_(scope=BETA_ONLY)
    assert count_table(con, f, ["district"])[["district", "count"]].values.tolist() == [
        ["E08000002", 20]
    ]
    assert set(area_table(con, f, "lsoa")["area_code"]) == {"E01000004", "E01000005"}
    assert hour_by_weekday(con, f)["count"].sum() == 20
    assert set(imd_scores(con, f)["area_code"]) == {"E01000004", "E01000005"}
    assert int(decile_profile(con, f)["count"].sum()) == 20


def test_asking_for_another_district_returns_nothing(con) -> None:
    f = parse_filters("district=E08000001").with_(scope=BETA_ONLY)
    assert count_table(con, f, ["district"]).empty
    assert area_table(con, f, "ward").empty
    assert count_table(con, parse_filters("").with_(scope=()), []).iloc[0]["count"] == 0


def test_scope_never_comes_from_a_url() -> None:
    f = parse_filters("scope=E08000001&district=E08000002")
    assert f.scope is None and "scope" not in f.to_query()
