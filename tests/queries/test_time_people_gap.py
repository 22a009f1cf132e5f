"""When, who and the police vs A&E gap on hand-counted data."""

from __future__ import annotations

from dashboard.filters import parse_filters
from dashboard.queries.gap import hospital_police_gap
from dashboard.queries.people import cohort_profile, repeat_presence, victim_pyramid
from dashboard.queries.time import hour_by_weekday, monthly, police_and_health_monthly


def test_monthly_and_police_beside_health(con) -> None:
    m = monthly(con, parse_filters(""))
    assert dict(zip(m["month"], m["count"], strict=True)) == {"2024-01": 15, "2024-02": 20}
    both = police_and_health_monthly(con, parse_filters(""))
    got = {(s, mo): c for s, mo, c in both[["source", "month", "count"]].itertuples(index=False)}
    assert got == {("police", "2024-01"): 15, ("police", "2024-02"): 20, ("health", "2024-02"): 9}


def test_heatmap_drops_untimed_rows(con) -> None:
    hw = hour_by_weekday(con, parse_filters("district=E08000002"))
    assert hw[["weekday", "hour", "count"]].values.tolist() == [["Saturday", 1, 20]]


def test_victims_by_sex_and_age_band(con) -> None:
    p = victim_pyramid(con, parse_filters("district=E08000002"))
    assert p[["sex", "age_band", "count"]].values.tolist() == [["F", "18-24", 20]]


def test_repeat_presence_counts_people_not_rows(con) -> None:
    r = repeat_presence(con, parse_filters(""), "youth_justice")
    assert dict(zip(r["times"], r["count"], strict=True)) == {"1": 1, "3 or more": 1}
    c = cohort_profile(con, parse_filters(""), "youth_justice", "offence_group")
    assert int(c["count"].sum()) == 2  # distinct people, not offences


def test_gap_compares_hospital_and_police_volumes(con) -> None:
    gap = hospital_police_gap(con, parse_filters(""), "district").set_index("area_code")
    assert gap.loc["E08000002", "health"] == 9 and gap.loc["E08000002", "police"] == 20
    assert gap.loc["E08000001", "health"] == 0 and gap.loc["E08000001", "police"] == 12
