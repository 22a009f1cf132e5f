"""Quality and influential-factor queries on the hand-built warehouse."""

from __future__ import annotations

from dashboard.filters import parse_filters
from dashboard.queries.deciles import decile_profile
from dashboard.queries.factors import imd_scores, indicator_catalogue
from dashboard.queries.quality import (
    completeness,
    coverage,
    load_history,
    quarantine_reasons,
    timeliness,
)


def test_coverage_and_completeness(con) -> None:
    cov = coverage(con)
    police = cov[cov["feed"] == "police"]
    assert dict(zip(police["month"], police["rows"], strict=True)) == {"2024-01": 15, "2024-02": 20}
    comp = completeness(con).set_index("feed")
    assert comp.loc["police", "rows"] == 35 and comp.loc["police", "time_of_day"] == 35
    assert comp.loc["policeuk", "rows"] == 0


def test_quarantine_reasons_hide_the_bad_value(con) -> None:
    reasons = quarantine_reasons(con)
    row = reasons[reasons["column_name"] == "victim_age"].iloc[0]
    assert row["rows"] == 1 and row["example_file"] == "police_2024-01.csv"
    assert "150" not in row["reason"]


def test_timeliness_and_history(con) -> None:
    t = timeliness(con).set_index("feed")
    assert t.loc["police", "latest_month"] == "2024-02"
    hist = load_history(con, limit=3)
    assert len(hist) == 3 and hist["load_id"].is_monotonic_decreasing


def test_imd_ranks_become_national_percentiles(con) -> None:
    s = imd_scores(con, parse_filters("district=E08000001"))
    imd = s[s["domain"] == "imd"].set_index("area_code")
    assert imd.loc["E01000001", "decile"] == 1
    assert imd.loc["E01000001", "score"] > imd.loc["E01000003", "score"]  # more deprived, higher
    assert not imd["is_score"].any()
    assert indicator_catalogue(con).empty


def test_decile_profile_sums_counts_and_people(con) -> None:
    d = decile_profile(con, parse_filters("")).set_index("decile")
    assert d.loc[1, "count"] == 12 and d.loc[5, "count"] == 3 and d.loc[8, "count"] == 20
    assert d.loc[3, "population"] == 1000 and 2 not in d.index  # decile 2 is out of area
    assert d.loc[10, "count"] == 0
