"""Every view of the catalogue (charts, headlines, tables, sentences) for every role and every
disclosure tier, on narrow filters where small numbers abound:

- no published count is 1 to threshold-1 (1-7 for A&E), whatever the tier;
- exact: no lone hidden cell in a table (it would be its total minus the rest);
- ONS 10-5: every count a multiple of 5 of at least 10;
- cell-key: every count within ``MAX_ADJUSTMENT`` of the true count, the same in every view;
- no rate or share rests on fewer published events than the minimum.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build, published_table
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.figures import source_note_of
from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from svcore.config import read_settings, write_settings
from svcore.disclosure import MAX_ADJUSTMENT, METHODS, SUPPRESSED, published, rule_for

VIEWERS = {
    "admin": Viewer("ada", "admin"),
    "analyst": Viewer("ann", "analyst"),
    "duty_holder": Viewer("kim", "duty_holder", ("E08000034",)),
    "viewer": Viewer("vic", "viewer"),
}
NARROW = (
    "",
    "district=E08000033&from=2021-06&to=2021-06&group=homicide",
    "district=E08000034&from=2021-03&to=2021-04&source=health",
    "source=youth_justice&district=E08000033",
    "source=probation&group=firearm",
    "source=all&district=E08000034&from=2021-05&to=2021-05",
    # The who filters cut every cell by a person's age and sex (dropped on perturbed tiers).
    "district=E08000033&from=2021-01&to=2021-12&age=under25&sex=F",
)
HEAVY = {  # seconds each: fewer filters
    "where-hotspots",
    "where-hotspot-table",
    "factors-ranked",
    "where-persistent-hotspots",  # Gi* once a year
    "where-persistent-table",
}
COUNT_COLUMNS = (
    "count",
    "health",
    "police",
    "rows",
    "This period",
    "A year earlier",
    "last12",
    "before",
    "before12",
    "year_count",
    "year_before",
)
# (role, tier) pairs: each role on its default tier, and every tier once more for a role.
RUNS = [(r, None) for r in VIEWERS] + [
    ("analyst", m) for m in METHODS if m not in ("exact", "cell_key")
]


def threshold_for(req, name: str, column: str) -> int:
    source = req.filters.source
    if column == "health" or name == "how-relationship":
        source = "health"
    elif name == "who-suspects" or column == "police":
        source = "police"
    elif name.startswith("who-probation"):
        source = "probation"
    elif name.startswith("who-youth"):
        source = "youth_justice"
    elif name in ("when-police-ae", "overview-trend", "overview-headline"):
        source = "police"  # per-source rules; police's is the lowest
    elif name.startswith(("overview-", "quality-")):
        source = None
    return rule_for(req.settings, source, req.tier).threshold


def counts_of(view) -> list[tuple[str, object]]:
    out = []
    for col in COUNT_COLUMNS:
        if col in view.data:
            out += [
                (col, v)
                for v in view.data[col]
                if v is not None and not (isinstance(v, float) and pd.isna(v))
            ]
    return out


def check_view(name: str, req, view, truth: dict) -> int:
    checked = 0
    rule = req.rule
    for column, value in counts_of(view):
        checked += 1
        if value == SUPPRESSED or isinstance(value, str):
            continue
        v = int(value)
        t = threshold_for(req, name, column)
        if req.tier == "ons_10_5":
            assert v == 0 or (v >= 10 and v % 5 == 0), (name, column, v)
        else:
            assert not 0 < v < min(t, 5), (req.viewer.role, req.tier, name, column, v)
    if (
        req.tier == "exact"
        and view.kind in ("chart", "table")
        and name not in ("quality-coverage", "overview-feeds")
    ):
        for col in ("count", "health", "police"):
            if col in view.data and not view.data.empty:
                cells = view.data[col]
                one_way = name.startswith(("how-", "who-ethnicity", "where-", "factors-"))
                if one_way and (cells == SUPPRESSED).sum() == 1 and (cells != SUPPRESSED).any():
                    pytest.fail(f"{name}: one lone hidden cell in {col}")
    if "rate" in view.data and "count" in view.data:
        rated = view.data.dropna(subset=["rate"])
        assert (published(rated) >= rule.min_events_for_rate).all(), name
    if req.tier == "cell_key" and name == "how-weapon":
        true = truth.setdefault(
            (req.filters, "weapon"),
            count_table(
                req.con, req.filters.with_(source=req.filters.source or "police"), ["weapon"]
            ),
        )
        joined = view.data.merge(true, on="weapon", suffixes=("", "_true"))
        for shown, real in zip(joined["count"], joined["count_true"], strict=True):
            if shown != SUPPRESSED:
                assert abs(int(shown) - int(real)) <= MAX_ADJUSTMENT
    if name == "when-nte" and view.data["nte_share"].notna().all():
        heat = build("when-heatmap", req).data
        assert re.search(r"(\d+)%", view.text)
        assert published(heat).sum() >= rule.min_events_for_rate
    return checked


def walk(wh: Path, runs=RUNS, queries=NARROW) -> int:
    source = WarehouseSource(wh)
    checked, truth = 0, {}
    for role, tier in runs:
        viewer = VIEWERS[role]
        # An admin's views are an analyst's (same tier, same scope): one filter set suffices.
        for qi, query in enumerate(queries[:1] if role == "admin" else queries):
            req = make_request(source, parse_filters(query), viewer, tier=tier)
            for name, spec in CHARTS.items():
                if not viewer.may_open(spec.page):
                    with pytest.raises(PermissionError):
                        build(name, req)
                    continue
                if name in HEAVY and qi > 0:
                    continue
                checked += check_view(name, req, build(name, req), truth)
            same = published_table(req, ["weapon"])  # the export table publishes the same cells
            if req.filters.source:
                assert same.equals(published_table(req, ["weapon"]))
    return checked


def test_every_view_for_every_role_and_tier(demo_warehouse: Path) -> None:
    assert walk(demo_warehouse) > 2500


def test_ons_10_5_setting_rounds_every_exact_tier(demo_warehouse: Path, tmp_path: Path) -> None:
    wh = Path(shutil.copytree(demo_warehouse, tmp_path / "wh"))
    write_settings(wh, read_settings(wh).with_(rounding="ons_10_5"))
    assert walk(wh, runs=[("analyst", None)], queries=NARROW[:3]) > 300


def test_the_same_cell_shows_the_same_value_in_every_view(demo_warehouse: Path) -> None:
    """Cell-key consistency: a district's police count is one cell, whichever view shows it."""
    source = WarehouseSource(demo_warehouse)
    req = make_request(
        source, parse_filters("district=E08000034&from=2021-01&to=2021-06"), VIEWERS["viewer"]
    )
    head = build("overview-headline", req).data.set_index("source")["count"]
    table = published_table(req, ["district"]).set_index("district")["count"]
    sources = build("overview-sources", req).data.set_index("source")["count"]
    assert head["police"] == table["E08000034"] == sources.iloc[0]


def test_all_sources_are_never_added_together(demo_warehouse: Path) -> None:
    source = WarehouseSource(demo_warehouse)
    req = make_request(source, parse_filters("source=all"), VIEWERS["viewer"])
    head = build("overview-headline", req)
    assert len(head.data) == 5 and "not added together" in head.meta["label"]
    assert not re.match(r"^[\d,]+$", head.meta["number"])
    weapon = build("how-weapon", req)
    notes = source_note_of(weapon.figure)
    assert "not added together: this view shows police-recorded crime" in notes


def test_duty_holder_views_hold_only_their_district(demo_warehouse: Path) -> None:
    source = WarehouseSource(demo_warehouse)
    req = make_request(source, parse_filters("district=E08000035"), VIEWERS["duty_holder"])
    assert build("where-map", req, level="district").data.empty
    req = make_request(source, parse_filters(""), VIEWERS["duty_holder"])
    assert set(build("where-map", req, level="district").data["area_code"]) == {"E08000034"}
    for name in ("quality-coverage", "quality-completeness", "quality-history"):
        with pytest.raises(PermissionError):
            build(name, req)
