"""The rollups answer exactly what the events answer: frame for frame, count and cell key.

``count_table`` reads a rollup when one holds every dimension a request groups or filters by;
``events_count_table`` is the same query over the events. Over many filter combinations on the
demo warehouse (every source, groups, districts, wards, a user's scope, periods, the click
filters) and on the hand-counted one, the two frames must be identical: columns, dtypes,
order, counts and cell keys. So must every page query built on them, with the rollups on and
off (``SVDASH_ROLLUPS=off``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import fuzz
from hypothesis import given
from hypothesis import strategies as st

from dashboard.filters import Filters, parse_filters
from dashboard.queries import rollups
from dashboard.queries.areas import area_table
from dashboard.queries.counts import UnknownDimension, count_table, events_count_table
from dashboard.queries.deciles import decile_profile
from dashboard.queries.gap import hospital_police_gap
from dashboard.queries.overview import monthly_trend
from dashboard.queries.people import cohort_profile, ethnicity, suspect_pyramid, victim_pyramid
from dashboard.queries.time import hour_by_weekday, monthly, police_and_health_monthly
from etl.rollups import DEFINITIONS_TABLE, ROLLUPS
from svcore.definitions import DefinitionError, load_definition
from svcore.vocab import SOURCES, WEEKDAYS
from svcore.warehouse import connect_reader, current_snapshot

GROUPS = tuple(load_definition("home_office").group_keys())
# What the pages ask for, and a few dimension sets no rollup holds (read from events).
BYS = (
    (),
    ("month",),
    ("source", "month"),
    ("year",),
    ("district",),
    ("ward",),
    ("lsoa",),
    ("district", "month"),
    ("ward", "month", "source"),
    ("offence_group",),
    ("offence_group", "month"),
    ("source", "offence_group"),
    ("weekday", "hour"),
    ("hour",),
    ("weekday", "district"),
    ("weapon",),
    ("location_type",),
    ("domestic_abuse",),
    ("relationship",),
    ("ethnicity",),
    ("sex", "age_band"),
    ("age_band",),
    ("suspect_sex", "suspect_age_band"),
    ("weapon", "offence_group"),
    ("age",),
    ("crime_type",),
    ("weapon", "location_type"),
    ("lsoa", "weekday"),
    ("outcome_group",),
    ("outcome_group", "month"),
    ("outcome_group", "district"),
    ("outcome_group", "ward"),
    ("outcome_group", "offence_group"),
    ("source", "outcome_group"),
    ("outcome_group", "outcome"),
    ("outcome_group", "suspect_ethnicity"),
    ("outcome_group", "weapon"),
    ("victim_ethnicity",),
    ("suspect_ethnicity",),
    ("victim_ethnicity", "district"),
)


@pytest.fixture(scope="module")
def demo(demo_warehouse: Path):
    con = connect_reader(demo_warehouse)
    places = con.sql(
        "SELECT DISTINCT district_code, ward_code FROM geography ORDER BY 1, 2"
    ).fetchall()
    months = [
        r[0]
        for r in con.sql(
            "SELECT DISTINCT strftime(period, '%Y-%m') FROM events ORDER BY 1"
        ).fetchall()
    ]
    yield con, places, months
    con.close()


def same(con: duckdb.DuckDBPyConnection, f: Filters, by: tuple[str, ...], people=False) -> str:
    """Both paths give the identical frame; returns the rollup read ('' for events)."""
    table = rollups.choose(con, f, by, people) or ""
    want = events_count_table(con, f, by, people)
    got = count_table(con, f, by, people)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    return table


@st.composite
def requests(draw, places, months):
    """A request as the pages and exports make them: a few filters at a time, so that most
    cells hold events (an empty frame proves less)."""
    districts = sorted({d for d, _ in places})
    district, ward = draw(st.sampled_from(places))
    m = sorted(draw(st.lists(st.sampled_from(months), min_size=1, max_size=2)))
    rare = st.integers(0, 9)
    f = Filters(
        source=draw(st.sampled_from((None, "police", "police", "health", *SOURCES))),
        group=draw(st.sampled_from((None, None, None, *GROUPS))),
        districts=draw(st.sampled_from(((), (), (district,), tuple(districts[:2])))),
        wards=(ward,) if draw(rare) < 2 else (),
        date_from=m[0] if draw(st.booleans()) else None,
        date_to=m[-1] if draw(st.booleans()) else None,
        scope=draw(st.sampled_from((None,) * 6 + ((), (district,)))),
        weapon=draw(st.sampled_from(("knife_sharp", "none", "blunt"))) if draw(rare) < 1 else None,
        location=draw(st.sampled_from(("street", "dwelling"))) if draw(rare) < 1 else None,
        weekday=draw(st.sampled_from(("Friday", "Saturday"))) if draw(rare) < 1 else None,
        hour=draw(st.sampled_from((1, 22))) if draw(rare) < 1 else None,
    )
    return f, draw(st.sampled_from(BYS))


@fuzz(150)
@given(data=st.data())
def test_rollups_give_the_events_frames(demo, data) -> None:
    con, places, months = demo
    f, by = data.draw(requests(places, months))
    same(con, f, by)


def test_the_pages_requests_read_rollups(demo) -> None:
    """Every breakdown the pages draw is answered from a rollup (and still equals events)."""
    con, places, months = demo
    district, ward = places[0]
    filters = [
        parse_filters(""),
        parse_filters("source=all"),
        parse_filters(f"district={district}&from={months[0]}&to={months[-1]}&group=knife_sharp"),
        parse_filters(f"ward={ward}&source=health"),
        parse_filters("source=youth_justice&group=robbery"),
        parse_filters("source=policeuk"),
    ]
    pages = {
        ("month",): "rollup_ward",
        ("source", "month"): "rollup_ward",
        (): "rollup_ward",
        ("district",): "rollup_ward",
        ("ward",): "rollup_ward",
        ("lsoa",): "rollup_area",
        ("offence_group",): "rollup_ward",
        ("weekday", "hour"): "rollup_time",
        ("weapon",): "rollup_weapon",
        ("location_type",): "rollup_location_type",
        ("domestic_abuse",): "rollup_domestic_abuse",
        ("relationship",): "rollup_relationship",
        ("ethnicity",): "rollup_ethnicity",
        ("sex", "age_band"): "rollup_victim",
        ("suspect_sex", "suspect_age_band"): "rollup_suspect",
    }
    for f in filters:
        for by, table in pages.items():
            assert same(con, f, by) == table, (f, by)
    # A click on a weapon bar is held by the weapon rollup; on the heatmap, by the time one.
    assert same(con, parse_filters("weapon=knife_sharp"), ("weapon",)) == "rollup_weapon"
    assert same(con, parse_filters("day=Friday&hour=22"), ("month",)) == "rollup_time"


def test_what_no_rollup_holds_reads_events(demo) -> None:
    con, _, _ = demo
    f = parse_filters("")
    assert same(con, f, ("age",)) == ""  # not rolled up
    assert same(con, f, ("weapon", "location_type")) == ""  # in no one rollup together
    assert same(con, f.with_(weapon="knife_sharp"), ("month", "weekday")) == ""
    assert same(con, f.with_(source="probation"), ("month",)) == ""  # a caseload: people
    assert same(con, f.with_(source="youth_justice"), ("sex",), people=True) == ""
    # An unknown definition, group, source or dimension fails as it does on events.
    with pytest.raises(DefinitionError):
        count_table(con, f.with_(definition="no_such"), ["month"])
    with pytest.raises(KeyError):
        count_table(con, f.with_(group="no_such_group"), ["month"])
    with pytest.raises(ValueError):
        count_table(con, f.with_(source="nowhere"), ["month"])
    with pytest.raises(UnknownDimension):
        count_table(con, f, ["victim_name"])


def test_rollups_can_be_switched_off(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    con, _, _ = demo
    assert rollups.choose(con, parse_filters(""), ["month"]) == "rollup_ward"
    monkeypatch.setenv(rollups.ENV, "off")
    assert rollups.choose(con, parse_filters(""), ["month"]) is None


PAGE_QUERIES = (
    lambda con, f: area_table(con, f, "district"),
    lambda con, f: area_table(con, f, "ward"),
    lambda con, f: area_table(con, f, "lsoa"),
    lambda con, f: hospital_police_gap(con, f, "ward"),
    decile_profile,
    hour_by_weekday,
    monthly,
    monthly_trend,
    police_and_health_monthly,
    victim_pyramid,
    suspect_pyramid,
    ethnicity,
    lambda con, f: cohort_profile(con, f, "youth_justice", "sex"),
)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "source=all",
        "source=health&from=2024-01&to=2024-06",
        "group=knife_sharp&district=E08000035",
        "source=youth_justice",
        "source=probation",
        "weapon=knife_sharp",
    ],
)
def test_page_queries_are_the_same_with_rollups_off(
    demo, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    con, _, months = demo
    f = parse_filters(query)
    with_rollups = [q(con, f) for q in PAGE_QUERIES]
    monkeypatch.setenv(rollups.ENV, "off")
    for got, q in zip(with_rollups, PAGE_QUERIES, strict=True):
        pd.testing.assert_frame_equal(got, q(con, f), check_exact=True)


def test_hand_counted_warehouse(con) -> None:
    """The tiny warehouse whose counts are known: both paths, and the known numbers."""
    for query in ("", "source=all", "source=health", "district=E08000001", "group=robbery"):
        for by in BYS:
            same(con, parse_filters(query), by)
    t = count_table(con, parse_filters(""), ["weekday", "hour"])
    assert rollups.choose(con, parse_filters(""), ["weekday", "hour"]) == "rollup_time"
    assert t[["weekday", "hour", "count"]].values.tolist() == [
        ["Monday", 14, 3],
        ["Friday", 22, 12],
        ["Saturday", 1, 20],
    ]


def test_weekdays_sort_in_the_week(con) -> None:
    t = count_table(con, parse_filters(""), ["weekday"])
    assert list(t["weekday"]) == sorted(t["weekday"], key=WEEKDAYS.index)


def test_a_snapshot_without_rollups_reads_events(mini: Path, tmp_path: Path) -> None:
    """A snapshot published before rollups (or whose build failed) has none: events answer."""
    wh = Path(shutil.copytree(mini, tmp_path / "wh"))
    snap = current_snapshot(wh)
    raw = duckdb.connect(str(snap))
    raw.execute(f"DROP TABLE {DEFINITIONS_TABLE}")
    for r in ROLLUPS:
        raw.execute(f"DROP TABLE {r.name}")
    raw.close()
    c = connect_reader(wh)
    try:
        f = parse_filters("")
        assert rollups.choose(c, f, ["month"]) is None
        assert list(count_table(c, f, ["district"])["count"]) == [15, 20]
    finally:
        c.close()
