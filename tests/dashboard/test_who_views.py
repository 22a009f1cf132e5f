"""The who filters on the views: every view says what they did (a source that records no such
field, the one person of a cohort, rates over all residents), and perturbed tiers drop them."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.app import period_options
from dashboard.auth import Viewer
from dashboard.callbacks.filters import filters_of, period_value, period_window
from dashboard.charts.catalogue import WHO_PAGE_NOTES, WHO_RATES_NOTE, build
from dashboard.charts.request import RESTRICTED_NOTE, make_request, restrict
from dashboard.data import WarehouseSource
from dashboard.figures import source_note_of
from dashboard.filters import parse_filters

ANALYST, VIEWER = Viewer("ann", "analyst"), Viewer("vic", "viewer")
LEEDS = "E08000035"


def req_for(wh: Path, query: str, viewer: Viewer = ANALYST):
    return make_request(WarehouseSource(wh), parse_filters(query), viewer)


def test_a_field_a_source_does_not_record_is_named_on_the_view(demo_warehouse: Path) -> None:
    req = req_for(demo_warehouse, f"district={LEEDS}&source=health&sex=F&ethnicity=black")
    note = source_note_of(build("who-victims", req).figure)
    assert "A&E assault attendances: no victim's ethnicity is recorded" in note
    assert "Victim: female" in build("who-victims", req).figure["layout"]["title"]["text"]
    # The suspects view reads police, which records both: nothing to say about A&E there.
    assert "A&E" not in source_note_of(build("who-suspects", req).figure)
    police = req_for(demo_warehouse, f"district={LEEDS}&sex=F&ethnicity=black")
    assert "is recorded" not in source_note_of(build("how-weapon", police).figure)


def test_the_suspect_filter_on_a_source_without_suspects(demo_warehouse: Path) -> None:
    req = req_for(demo_warehouse, "source=health&person=suspect&age=under25")
    note = source_note_of(build("how-weapon", req).figure)
    assert "no suspect's age is recorded, so the age filter does not apply" in note
    table = build("overview-sources", req).meta["table"]["note"]
    assert "Police recorded crime (police.uk): no suspect's age is recorded" in table


def test_cohorts_and_rates_and_quality_say_what_the_filters_mean(demo_warehouse: Path) -> None:
    req = req_for(demo_warehouse, "age=under25")
    assert "record one person" in source_note_of(build("who-probation-risk", req).figure)
    assert WHO_RATES_NOTE in build("where-top", req).meta["table"]["note"]
    assert WHO_RATES_NOTE in source_note_of(build("where-map", req, level="district").figure)
    assert WHO_RATES_NOTE in build("overview-headline", req).meta["note"]
    assert WHO_PAGE_NOTES["/quality"] in build("quality-timeliness", req).meta["table"]["note"]
    # No who filter, no such notes.
    plain = req_for(demo_warehouse, "")
    assert WHO_RATES_NOTE not in build("where-top", plain).meta["table"]["note"]


def test_the_who_filters_narrow_the_counts(demo_warehouse: Path) -> None:
    all_ages = build("overview-headline", req_for(demo_warehouse, "")).data["count"].iloc[0]
    young = build("overview-headline", req_for(demo_warehouse, "age=under25"))
    assert 0 < young.data["count"].iloc[0] < all_ages
    assert "Victim under 25" in young.meta["scope"]


@pytest.mark.parametrize("query", ["age=under25", "sex=F&person=suspect", "ethnicity=asian"])
def test_perturbed_tiers_drop_the_who_filters_and_say_so(demo_warehouse: Path, query) -> None:
    """They cut the same hidden cells along more routes (as the click filters would)."""
    req = req_for(demo_warehouse, f"district={LEEDS}&{query}", VIEWER)
    assert not req.filters.has_who() and req.filters.person == "victim"
    assert req.note == RESTRICTED_NOTE and "who filters" in RESTRICTED_NOTE
    plain = req_for(demo_warehouse, f"district={LEEDS}", VIEWER)
    assert build("overview-headline", req).data.equals(build("overview-headline", plain).data)
    assert restrict(parse_filters(query)).to_query() == ""


def test_the_controls_and_the_period_shortcut() -> None:
    base = [[LEEDS], [], None, None, None, "police", "home_office"]
    f = filters_of([*base, "suspect", "under25", "F", "black", None], "home_office")
    assert (f.person, f.age, f.sex, f.ethnicity) == ("suspect", "under25", "F", "black")
    assert f.who() == [
        ("age", "Suspect under 25"),
        ("sex", "Suspect: female"),
        ("ethnicity", "Suspect: Black"),
    ]
    # The year reading rides in the detail store, so a control change keeps it.
    assert filters_of(base, "home_office", {"year": "fy"}).year == "fy"
    assert period_window("2024-04|2025-03") == ("2024-04", "2025-03")
    assert period_window(5) is None and period_window("2024") is None
    assert period_value(parse_filters("from=2024-04&to=2025-03")) == "2024-04|2025-03"
    assert period_value(parse_filters("from=2024-01&to=2024-12")) == "2024-01|2024-12"
    assert period_value(parse_filters("from=2024-02&to=2024-12")) is None
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)] + ["2025-01"]
    fy = [o["value"] for o in period_options(months, "fy")]
    assert fy == ["2023-04|2024-03", "2024-01|2024-12", "2023-01|2023-12"]
    calendar = [o["label"] for o in period_options(months, "calendar")]
    assert calendar[0] == "2024 (January to December)" and calendar[-1].startswith("2023/24")
