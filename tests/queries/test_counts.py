"""The count table behind every chart and export, on hand-counted data."""

from __future__ import annotations

import pytest

from dashboard.filters import parse_filters
from dashboard.queries.counts import DIMENSIONS, UnknownDimension, count_table, events_relation


def rows(frame, *cols):
    return [tuple(r) for r in frame[list(cols)].itertuples(index=False)]


def test_counts_by_district_and_offence_group(con) -> None:
    f = parse_filters("")
    assert rows(count_table(con, f, ["district"]), "district", "count") == [
        ("E08000001", 15),
        ("E08000002", 20),
    ]
    groups = dict(rows(count_table(con, f, ["offence_group"]), "offence_group", "count"))
    assert groups["knife_sharp"] == 12
    assert groups["violence_with_injury"] == 32
    assert groups["robbery"] == 3


def test_every_source_reads_its_own_view(con) -> None:
    assert events_relation("health") == "events_health"
    assert events_relation(None) == "events"
    with pytest.raises(ValueError):
        events_relation("health; DROP TABLE x")
    total = count_table(con, parse_filters("source=health"), [])
    assert int(total["count"].iloc[0]) == 9
    mixed = dict(rows(count_table(con, parse_filters("source=all"), ["source"]), "source", "count"))
    assert mixed == {"police": 35, "health": 9, "youth_justice": 4}


def test_weekday_hour_and_names(con) -> None:
    t = count_table(con, parse_filters(""), ["weekday", "hour"])
    assert rows(t, "weekday", "hour", "count") == [
        ("Monday", 14, 3),
        ("Friday", 22, 12),
        ("Saturday", 1, 20),
    ]
    named = count_table(con, parse_filters(""), ["ward"])
    assert "Alpha North" in set(named["ward_name"])


def test_unknown_dimensions_are_refused(con) -> None:
    with pytest.raises(UnknownDimension):
        count_table(con, parse_filters(""), ["victim_name"])
    assert "lsoa" in DIMENSIONS and "age_band" in DIMENSIONS


def test_under25_dimension_matches_the_who_filter(con) -> None:
    """``--by under25`` splits the count as ``age=under25`` filters it: the 'under 25' row is
    the filtered count, and the rows with an age recorded add up to the age bands' total."""
    by = count_table(con, parse_filters(""), ["under25"]).set_index("under25")["count"]
    under = count_table(con, parse_filters("age=under25"), [])["count"].iloc[0]
    assert by.get("under 25", 0) == under
    bands = count_table(con, parse_filters(""), ["age_band"])
    assert by.sum() - by.get(None, 0) == bands.dropna(subset=["age_band"])["count"].sum()
