"""The "who" filters (age, sex, broad ethnic group of the victim or the suspect) on the
hand-counted warehouse (tests/queries/conftest.py).

Police: 12 knife assaults and 3 robberies in Alpha with a male victim aged 24, 20 assaults in
Beta with a female victim aged 19; every suspect is male, aged 27, White; every victim White.
A&E: 9 attendances, male patients aged 31 (A&E records no ethnicity and no suspect). Youth
justice: 4 proven offences by Black boys aged 16.
"""

from __future__ import annotations

import pandas as pd

from dashboard.filters import parse_filters
from dashboard.queries import rollups
from dashboard.queries.counts import count_table, events_count_table
from dashboard.queries.scope import who_not_applied


def total(con, query: str, by: tuple[str, ...] = ()) -> int:
    frame = count_table(con, parse_filters(query), list(by))
    return int(frame["count"].sum())


def test_age_band_and_the_under_25_shortcut(con) -> None:
    assert total(con, "") == 35
    assert total(con, "age=under25") == 35  # 15 aged 24, 20 aged 19
    assert total(con, "age=18-24") == 35
    assert total(con, "age=25-34") == 0
    assert total(con, "age=65%2B") == 0
    assert total(con, "age=under18") == 0


def test_sex_and_ethnicity_of_the_victim(con) -> None:
    assert total(con, "sex=F") == 20
    assert total(con, "sex=M") == 15
    assert total(con, "sex=F&age=18-24&ethnicity=white") == 20
    assert total(con, "ethnicity=black") == 0
    by_district = count_table(con, parse_filters("sex=M"), ["district"])
    assert by_district.set_index("district")["count"].to_dict() == {"E08000001": 15}


def test_the_suspect_instead_of_the_victim(con) -> None:
    assert total(con, "person=suspect&age=25-34") == 35  # every suspect is 27
    assert total(con, "person=suspect&age=under25") == 0
    assert total(con, "person=suspect&sex=F") == 0
    assert total(con, "person=suspect&sex=M&ethnicity=white") == 35


def test_a_field_a_source_does_not_record_does_not_narrow_it(con) -> None:
    assert total(con, "source=health") == 9
    assert total(con, "source=health&sex=M&age=25-34") == 9
    assert total(con, "source=health&sex=F") == 0
    # A&E records no ethnicity and no suspect: every patient counted, and the views say so.
    assert total(con, "source=health&ethnicity=black") == 9
    assert total(con, "source=health&person=suspect&sex=F") == 9
    assert who_not_applied(parse_filters("ethnicity=black&sex=F"), "health") == ("ethnicity",)
    assert who_not_applied(parse_filters("person=suspect&sex=F"), "health") == ("sex",)
    assert who_not_applied(parse_filters("age=under25"), "policeuk") == ("age",)
    assert who_not_applied(parse_filters("age=under25"), "police") == ()


def test_cohorts_are_filtered_on_their_one_person(con) -> None:
    assert total(con, "source=youth_justice") == 4
    assert total(con, "source=youth_justice&ethnicity=black&age=10-17") == 4
    assert total(con, "source=youth_justice&person=suspect&sex=M") == 4
    assert total(con, "source=youth_justice&ethnicity=white") == 0


def test_every_source_side_by_side_each_with_its_own_fields(con) -> None:
    frame = count_table(con, parse_filters("source=all&sex=F"), ["source"])
    assert frame.set_index("source")["count"].to_dict() == {"police": 20}
    frame = count_table(con, parse_filters("source=all&ethnicity=white"), ["source"])
    # Police victims are White; A&E records no ethnicity (all 9 counted); the children are Black.
    assert frame.set_index("source")["count"].to_dict() == {"police": 35, "health": 9}


def test_the_rollup_router_refuses_a_who_filter(con) -> None:
    f = parse_filters("")
    assert rollups.choose(con, f, ["month"]) is not None  # the control: rollups are in use
    for query in ("sex=F", "age=under25", "ethnicity=white", "person=suspect&sex=M"):
        assert rollups.choose(con, parse_filters(query), ["month"]) is None, query
        assert rollups.choose(con, parse_filters(query), ["sex", "age_band"]) is None, query


def test_rollup_and_event_answers_agree(con) -> None:
    """The victim rollup's cells (sex by age band, no who filter) summed over female victims
    aged 18-24 give what the events give with the who filters set."""
    f = parse_filters("")
    assert rollups.choose(con, f, ["sex", "age_band"]) == "rollup_victim"
    cells = count_table(con, f, ["sex", "age_band"])
    from_rollup = int(cells[(cells["sex"] == "F") & (cells["age_band"] == "18-24")]["count"].sum())
    from_events = count_table(con, parse_filters("sex=F&age=18-24"), [])
    assert from_rollup == int(from_events["count"].iloc[0]) == 20
    who = parse_filters("sex=F&age=18-24")
    for by in (["month"], ["district"], ["offence_group"], ["weekday", "hour"]):
        pd.testing.assert_frame_equal(
            count_table(con, who, by), events_count_table(con, who, by), check_like=False
        )
