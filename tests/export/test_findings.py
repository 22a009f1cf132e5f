"""Findings read off hand-built views: the sentence each gives, and none where the numbers do
not support one (hidden, too few, not more than chance)."""

from __future__ import annotations

import pandas as pd

from dashboard.charts.catalogue import Chart
from dashboard.export.findings import findings, frame
from svcore.disclosure import SUPPRESSED


def view(rows: list[dict], text: str = "") -> Chart:
    return Chart(None, pd.DataFrame(rows), text=text)


def district(name: str, now: int, before: int, words: str) -> dict:
    return {
        "area_name": name,
        "now": now,
        "before": before,
        "change": now / before - 1,
        "words": words,
    }


def test_the_largest_change_beyond_chance_and_how_many_moved() -> None:
    views = {
        "where-district-change": view(
            [
                district("Leeds", 1200, 1000, "up 20%, more than chance alone would give"),
                district("Bradford", 700, 1000, "down 30%, more than chance alone would give"),
                district("Kirklees", 505, 500, "up 1%, within chance"),
            ]
        )
    }
    (f,) = findings(views, 2025)
    assert f.view == "where-district-change"
    assert f.text == (
        "The largest fall was in Bradford, 30% (1,000 to 700); of the 3 districts, 1 rose and "
        "1 fell by more than chance alone would give."
    )
    within = {"where-district-change": view([district("A", 505, 500, "up 1%, within chance")] * 2)}
    assert "No district's count changed" in findings(within, 2025)[0].text


def test_the_hospital_gap_needs_every_count_published() -> None:
    rows = [
        {"area_name": "Leeds", "health": 300, "police": 1000, "per_100": 30.0},
        {"area_name": "Wakefield", "health": 100, "police": 1000, "per_100": 10.0},
    ]
    (f,) = findings({"where-gap": view(rows)}, 2025)
    assert f.text.startswith("A&E recorded 20 assault attendances for every 100")
    assert f.text.endswith("The figure was highest in Leeds (30).")
    rows[1]["health"] = SUPPRESSED  # a hidden cell: no partnership-wide figure from the rest
    assert findings({"where-gap": view(rows)}, 2025) == []


def test_relative_risk_names_the_highest_group_whose_interval_excludes_one() -> None:
    table = [
        {"label": "Asian", "rri": 1.3, "rri_low": 1.2, "rri_high": 1.4, "flag": "higher"},
        {"label": "Black", "rri": 1.9, "rri_low": 0.8, "rri_high": 3.1, "flag": "no"},
        {"label": "White", "rri": 1.0, "rri_low": None, "rri_high": None, "flag": "reference"},
    ]
    (f,) = findings({"who-rri-victims-table": view(table)}, 2025)
    assert f.text == (
        "Asian residents were 1.30 times as likely as White residents to be recorded as victims "
        "(95% interval 1.20 to 1.40)."
    )  # not Black: its interval holds 1


def test_night_time_share_and_nothing_from_a_hidden_share() -> None:
    (f,) = findings({"when-nte": view([{"nte_share": 0.25}])}, 2025)
    assert f.text.startswith("25% of violence with a recorded time happened on Friday and")
    assert "2.6 times that window's share of the week" in f.text  # 0.25 / (16/168)
    assert findings({"when-nte": view([{"nte_share": None}])}, 2025) == []


def test_the_headline_says_the_exact_tests_verdict() -> None:
    row = {
        "source": "police",
        "count": 1100,
        "rate": 12.34,
        "before": 1000,
        "change": 0.1,
        "change_words": "up 10%, more than chance alone would give",
    }
    (f,) = findings({"overview-headline": view([row])}, 2025)
    assert f.text == (
        "The police recorded 1,100 serious violence offences in 2025 (12.3 per 1,000 "
        "residents), up 10% on 2024 (1,000): more than chance alone would give."
    )
    listed = frame([f], {"overview-headline": "Table 1"})
    assert listed.to_dict("records") == [
        {
            "Finding": 1,
            "Section": "overview",
            "Text": f.text,
            "View": "overview-headline",
            "In the pack": "Table 1",
        }
    ]


def test_the_largest_offence_group_by_its_definition_label_without_shares() -> None:
    rows = [
        {"offence_group": "domestic_abuse", "count": 900},
        {"offence_group": "knife_sharp", "count": 120},
        {"offence_group": "homicide", "count": SUPPRESSED},
    ]
    groups = {"domestic_abuse": "Domestic-abuse related violence", "knife_sharp": "Knife"}
    (f,) = findings({"how-offence-group": view(rows)}, 2025, groups)
    assert f.text == (
        "The largest offence group was domestic-abuse related violence (900 offences in 2025); "
        "120 offences involved a knife or sharp instrument. Groups overlap, so they do not add "
        "up to the total."
    )
    assert "%" not in f.text
