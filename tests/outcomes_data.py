"""A tiny warehouse with known justice outcomes, for the outcome queries' and views' tests.

Police (8N assault with injury, no weapon, unless noted), 75 crimes:

- Alpha (E08000001, LSOA E01000001), January 2024, suspect ethnicity white: 12 ``1 Charge/summons``,
  10 ``8 Community resolution``, 3 ``3 Adult caution``, 10 ``Outcome 16``, 5 blank; and 5
  robberies (34B) ``1 Charge/summons``.
- Beta (E08000002, LSOA E01000004), suspect ethnicity black: February 2024, 10 ``OC15``,
  4 ``HO 1A``, 6 ``Under investigation``; April 2024, 10 ``Outcome 22``.

So: charged 21, community resolution 10, caution 3, diversion 10, evidential difficulties 20,
pending 6, other 5; out-of-court disposals 23. 2024-Q1: 65 (21 charged, 13 OOCD), 2024-Q2: 10
(0 charged, 10 OOCD). Alpha 45 (17, 13), Beta 30 (4, 10).

police.uk, January 2024, Alpha: 12 ``Awaiting court outcome``, 3 ``Offender given a caution``,
2 ``A category nobody lists``. Youth justice (robbery), January 2024: 6 ``Youth caution``,
4 ``Referral order``, 2 ``Mystery order``. A&E: 9 attendances (no outcomes).
"""

from __future__ import annotations

from pathlib import Path

from helpers import build_warehouse, feed_rows, write_feed

from etl.load import load_files

TRUTH = {
    "charged": 21,
    "community_resolution": 10,
    "caution": 3,
    "diversion": 10,
    "evidential_difficulties": 20,
    "pending": 6,
    "other": 5,
}


def _police(n: int, start: int, outcome: str, **kw: str) -> list[dict[str, str]]:
    base = {
        "recorded_date": "2024-01-06",
        "offence_date": "2024-01-05",
        "lsoa_code": "E01000001",
        "weapon": "none",
        "ho_offence_code": "8N",
        "suspect_ethnicity": "white",
        "victim_ethnicity": "white",
    }
    return feed_rows("police", n, start, **{**base, **kw, "outcome": outcome})


def build_outcomes_warehouse(root: Path, key_file: Path) -> Path:
    wh = build_warehouse(root / "wh", key_file)

    def load(feed: str, path: Path) -> None:
        for report in load_files(wh, feed, [path], key_path=key_file):
            assert report.status == "loaded", report

    beta = {"lsoa_code": "E01000004", "suspect_ethnicity": "black"}
    feb = {"recorded_date": "2024-02-06", "offence_date": "2024-02-05", **beta}
    apr = {"recorded_date": "2024-04-06", "offence_date": "2024-04-05", **beta}
    police = (
        _police(12, 1, "1 Charge/summons")
        + _police(10, 20, "8 Community resolution")
        + _police(3, 40, "3 Adult caution")
        + _police(10, 50, "Outcome 16")
        + _police(5, 70, "")
        + _police(5, 80, "1 Charge/summons", ho_offence_code="34B")
        + _police(10, 100, "OC15", **feb)
        + _police(4, 120, "HO 1A", **feb)
        + _police(6, 130, "Under investigation", **feb)
        + _police(10, 150, "Outcome 22", **apr)
    )
    load("police", write_feed(root / "police.csv", "police", police))
    month = {"Month": "2024-01", "LSOA code": "E01000001"}
    puk = (
        feed_rows("policeuk", 12, 1, **month, **{"Last outcome category": "Awaiting court outcome"})
        + feed_rows(
            "policeuk", 3, 20, **month, **{"Last outcome category": "Offender given a caution"}
        )
        + feed_rows(
            "policeuk", 2, 30, **month, **{"Last outcome category": "A category nobody lists"}
        )
    )
    load("policeuk", write_feed(root / "2024-01-test-street.csv", "policeuk", puk))
    yj = (
        feed_rows("youth_justice", 6, 1, disposal="Youth caution")
        + feed_rows("youth_justice", 4, 10, disposal="Referral order")
        + feed_rows("youth_justice", 2, 20, disposal="Mystery order")
    )
    load("youth_justice", write_feed(root / "yj.csv", "youth_justice", yj))
    load("health", write_feed(root / "ae.csv", "health", feed_rows("health", 9, 1)))
    return wh
