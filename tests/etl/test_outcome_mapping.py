"""Justice outcomes in the events model: the Home Office framework's mapping (svcore/outcomes.py)
covers every value the demo writes and every police.uk category, in SQL and Python alike."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from helpers import REALDATA

from etl.demo import build as demo_build
from etl.demo import events as demo_events
from etl.events import EVENTS_COLUMNS, events_view_sql
from svcore import outcomes
from svcore.outcomes import OUTCOME_GROUPS, group_of, outcome_group_sql

# Home Office outcome numbers, as the technical annex numbers them.
HO = {
    "1": "charged",
    "1A": "charged",
    "2": "caution",  # youth caution
    "3": "caution",  # adult caution
    "4": "taken_into_consideration",
    "6": "penalty_notice",
    "7": "cannabis_khat_warning",
    "8": "community_resolution",
    "10": "prosecution_prevented",
    "14": "evidential_difficulties",  # victim based, named suspect not identified
    "15": "evidential_difficulties",  # named suspect identified, evidential difficulties
    "16": "evidential_difficulties",  # named suspect identified, victim does not support
    "17": "prosecution_prevented",
    "18": "no_suspect",
    "20": "other_body",
    "21": "not_in_public_interest",
    "22": "diversion",
}


def sql_groups(values: list[str | None], source: str) -> list[str]:
    con = duckdb.connect()
    frame = pd.DataFrame({"v": pd.Series(values, dtype="object")})
    con.register("t", frame)
    out = con.execute(f"SELECT {outcome_group_sql('v', source)} FROM t").fetchall()
    return [r[0] for r in out]


def test_events_view_carries_outcome_and_group() -> None:
    assert EVENTS_COLUMNS[-2:] == ("outcome", "outcome_group")
    views = {s.split(" AS SELECT")[0].split()[-1]: s for s in events_view_sql()}
    assert "CAST(outcome AS VARCHAR) AS outcome" in views["events_police"]
    # police.uk: the latest outcome of the outcomes files, else the street file's category.
    assert "last_outcome_category) AS VARCHAR) AS outcome," in views["events_policeuk"]
    assert "FROM policeuk_outcomes o" in views["events_policeuk"]
    assert "CAST(disposal AS VARCHAR) AS outcome" in views["events_youth_justice"]
    for feed in ("health", "probation"):
        assert "CAST(NULL AS VARCHAR) AS outcome_group" in views[f"events_{feed}"]


@pytest.mark.parametrize("number,group", HO.items())
def test_home_office_numbers_in_the_ways_forces_write_them(number: str, group: str) -> None:
    written = [number, f"Outcome {number}", f"OC{number}", f"HO {number}", f"{number} - words"]
    assert [group_of(w, "police") for w in written] == [group] * len(written)
    assert sql_groups(written, "police") == [group] * len(written)


def test_every_demo_value_is_mapped_and_sql_agrees_with_python() -> None:
    police = [label for label, *_ in demo_events.POLICE_OUTCOMES]
    got = [group_of(v, "police") for v in police]
    assert got == sql_groups(police, "police")
    assert [g for v, g in zip(police, got, strict=True) if g == "other"] == ["other"]  # blank only
    assert police[-1] == ""
    youth = [d for d, _ in demo_events.YOUTH_DISPOSALS]
    assert {group_of(v, "youth_justice") for v in youth} == {"youth_pre_court", "youth_court"}
    assert [group_of(v, "youth_justice") for v in youth] == sql_groups(youth, "youth_justice")
    assert group_of("Youth caution", "youth_justice") == "youth_pre_court"
    assert group_of("Referral order", "youth_justice") == "youth_court"
    # The demo's police.uk categories stand for the group they were drawn from.
    for group, category in demo_build.POLICEUK_CATEGORY.items():
        mapped = group_of(category, "policeuk")
        assert mapped == group or (group, mapped) == ("diversion", "community_resolution")


def test_every_police_uk_category_is_mapped() -> None:
    categories = list(outcomes.POLICEUK_OUTCOMES)
    real = REALDATA / "police-uk"
    if real.exists():
        for path in sorted(real.glob("*-street.csv")):
            column = pd.read_csv(path, dtype=str)["Last outcome category"].dropna()
            categories += sorted(set(column))
    for category in categories:
        group = group_of(category, "policeuk")
        assert group in OUTCOME_GROUPS
        assert group != "other" or category == "Status update unavailable", category
    assert [group_of(c, "policeuk") for c in categories] == sql_groups(categories, "policeuk")


def test_unknown_and_blank_values_are_other_never_null() -> None:
    odd = ["Dealt with by magic", "", "   ", None, "99", "2021"]
    for source in ("police", "policeuk", "youth_justice"):
        assert sql_groups(odd, source) == ["other"] * len(odd)
        assert [group_of(v, source) for v in odd] == ["other"] * len(odd)
    # Case and spacing do not matter.
    assert sql_groups(["  awaiting   COURT outcome "], "policeuk") == ["charged"]
    assert outcome_group_sql("x", "health") == "NULL"


def test_oocd_groups_are_the_out_of_court_disposals() -> None:
    assert set(outcomes.OOCD_GROUPS) == {
        "caution",
        "penalty_notice",
        "cannabis_khat_warning",
        "community_resolution",
        "diversion",
    }
    assert set(outcomes.OOCD_GROUPS) <= set(OUTCOME_GROUPS)
    assert set(outcomes.HO_OUTCOMES.values()) <= set(OUTCOME_GROUPS)
