"""Outcome queries on a hand-built warehouse (tests/outcomes_data.py): every count known."""

from __future__ import annotations

from pathlib import Path

import pytest
from outcomes_data import TRUTH, build_outcomes_warehouse

from dashboard.filters import parse_filters
from dashboard.queries import rollups
from dashboard.queries.counts import count_table, events_count_table
from dashboard.queries.outcomes import disposals, outcome_counts, outcome_measures
from svcore.disclosure import KEY_SPACE, record_key_sql
from svcore.warehouse import connect_reader

POLICE = parse_filters("source=police")


@pytest.fixture(scope="module")
def outcomes_wh(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    return build_outcomes_warehouse(tmp_path_factory.mktemp("outcomes"), key_file)


@pytest.fixture
def con(outcomes_wh: Path):
    c = connect_reader(outcomes_wh)
    yield c
    c.close()


def _cells(frame, *keys):
    return {tuple(r[k] for k in keys): int(r["count"]) for _, r in frame.iterrows()}


def _ckey(con, where: str) -> int:
    """A cell's key computed independently: its records' keys summed, modulo 256."""
    sql = f"SELECT coalesce(sum({record_key_sql('e')}), 0) FROM events_police e WHERE {where}"
    return int(con.execute(sql).fetchall()[0][0]) % KEY_SPACE


def test_counts_by_outcome_group(con) -> None:
    frame = outcome_counts(con, POLICE)
    assert dict(zip(frame["outcome_group"], frame["count"], strict=True)) == TRUTH
    # In the framework's order, not alphabetical.
    assert list(frame["outcome_group"]) == [
        "charged",
        "caution",
        "community_resolution",
        "diversion",
        "evidential_difficulties",
        "pending",
        "other",
    ]
    row = frame.set_index("outcome_group").loc["charged"]
    assert row["ckey"] == _ckey(con, "outcome_group = 'charged'")


def test_by_quarter_folds_months_into_one_cell(con) -> None:
    frame = outcome_counts(con, POLICE, "quarter")
    cells = _cells(frame, "outcome_group", "quarter")
    assert cells[("charged", "2024-Q1")] == 21
    assert cells[("diversion", "2024-Q2")] == 10
    assert ("charged", "2024-Q2") not in cells
    assert frame["count"].sum() == 75
    key = frame.set_index(["outcome_group", "quarter"]).loc[("evidential_difficulties", "2024-Q1")]
    assert key["ckey"] == _ckey(
        con, "outcome_group = 'evidential_difficulties' AND quarter(period) = 1"
    )


def test_measures_by_quarter_district_and_ethnicity(con) -> None:
    m = outcome_measures(con, POLICE, "quarter")
    assert _cells(m, "quarter", "measure") == {
        ("2024-Q1", "all"): 65,
        ("2024-Q1", "charged"): 21,
        ("2024-Q1", "oocd"): 13,
        ("2024-Q2", "all"): 10,
        ("2024-Q2", "charged"): 0,
        ("2024-Q2", "oocd"): 10,
    }
    oocd = m.set_index(["quarter", "measure"]).loc[("2024-Q1", "oocd"), "ckey"]
    assert oocd == _ckey(
        con,
        "outcome_group IN ('caution', 'community_resolution', 'diversion') AND quarter(period) = 1",
    )
    d = outcome_measures(con, POLICE, "district")
    assert _cells(d, "district", "measure") == {
        ("E08000001", "all"): 45,
        ("E08000001", "charged"): 17,
        ("E08000001", "oocd"): 13,
        ("E08000002", "all"): 30,
        ("E08000002", "charged"): 4,
        ("E08000002", "oocd"): 10,
    }
    assert set(d["district_name"]) == {"Alpha", "Beta"}
    e = outcome_measures(con, POLICE, "suspect_ethnicity")
    assert _cells(e, "suspect_ethnicity", "measure")[("black", "oocd")] == 10
    assert _cells(e, "suspect_ethnicity", "measure")[("white", "charged")] == 17
    whole = outcome_measures(con, POLICE)
    assert _cells(whole, "measure") == {("all",): 75, ("charged",): 21, ("oocd",): 23}


def test_by_offence_group_and_filters(con) -> None:
    frame = outcome_counts(con, POLICE, "offence_group")
    cells = _cells(frame, "outcome_group", "offence_group")
    assert cells[("charged", "robbery")] == 5
    assert cells[("charged", "violence_with_injury")] == 16
    narrowed = outcome_counts(con, parse_filters("source=police&district=E08000002&from=2024-04"))
    assert _cells(narrowed, "outcome_group") == {("diversion",): 10}
    robbery = outcome_counts(con, parse_filters("source=police&group=robbery"))
    assert _cells(robbery, "outcome_group") == {("charged",): 5}


def test_policeuk_and_youth_outcomes_as_recorded(con) -> None:
    puk = disposals(con, POLICE, "policeuk")
    assert _cells(puk, "outcome_group", "outcome") == {
        ("charged", "Awaiting court outcome"): 12,
        ("caution", "Offender given a caution"): 3,
        ("other", "A category nobody lists"): 2,  # unknown: kept, as "other or not known"
    }
    yj = disposals(con, POLICE, "youth_justice")
    assert _cells(yj, "outcome_group", "outcome") == {
        ("youth_pre_court", "Youth caution"): 6,
        ("youth_court", "Referral order"): 4,
        ("other", "Mystery order"): 2,
    }
    with pytest.raises(ValueError):
        disposals(con, POLICE, "health")


def test_outcome_dimensions_are_the_same_from_rollups_and_events(con, monkeypatch) -> None:
    """The outcome rollups answer the /outcomes page with the events' very frames."""
    by = ("outcome_group", "district")
    assert rollups.choose(con, POLICE, by) == "rollup_outcome"
    assert rollups.choose(con, POLICE, ("outcome_group", "suspect_ethnicity")) == (
        "rollup_outcome_ethnicity"
    )
    routed = count_table(con, POLICE, by)
    assert routed.equals(events_count_table(con, POLICE, by))
    monkeypatch.setenv("SVDASH_ROLLUPS", "off")
    assert count_table(con, POLICE, by).equals(routed)
    allsrc = count_table(con, parse_filters("source=all"), ("source", "outcome_group"))
    assert set(allsrc["source"]) == {"police", "policeuk", "youth_justice", "health"}
    assert allsrc[allsrc["source"] == "health"]["outcome_group"].isna().all()
    rows = con.execute(
        "SELECT source, count(*), count(outcome), count(outcome_group) FROM events "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("health", 9, 0, 0),  # no outcomes: NULL, not "other"
        ("police", 75, 70, 75),  # 5 blank outcomes: grouped as "other", never dropped
        ("policeuk", 17, 17, 17),
        ("youth_justice", 12, 12, 12),
    ]
