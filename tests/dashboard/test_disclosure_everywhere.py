"""Every chart for every role, on narrow filters where small numbers abound: no count 1-4 (1-7
for A&E) is ever shown, hidden cells cannot be recovered by subtraction, and in ONS 10-5 mode
every shown count is a multiple of 5 of at least 10."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from svcore.config import read_settings, write_settings
from svcore.disclosure import SUPPRESSED, rule_for

VIEWERS = (Viewer("ada", "admin"), Viewer("ann", "analyst"),
           Viewer("kim", "duty_holder", ("E08000034",)), Viewer("vic", "viewer"))
NARROW = ("", "district=E08000033&from=2021-06&to=2021-06&group=homicide",
          "district=E08000034&from=2021-03&to=2021-04&source=health",
          "source=youth_justice&district=E08000033", "source=probation&group=firearm")
COUNT_COLUMNS = ("count", "health", "police", "rows")


def shown_counts(chart) -> list[tuple[str, object]]:
    out = []
    for col in COUNT_COLUMNS:
        if col in chart.data:
            out += [(col, v) for v in chart.data[col]]
    return out


def threshold_for(settings, chart_name: str, column: str, source: str | None) -> int:
    if column == "health" or chart_name == "how-relationship":
        return rule_for(settings, "health").threshold
    if chart_name == "who-suspects":
        return rule_for(settings, "police").threshold
    if chart_name.startswith("who-probation"):
        return rule_for(settings, "probation").threshold
    if chart_name.startswith("who-youth"):
        return rule_for(settings, "youth_justice").threshold
    if chart_name in ("when-police-ae", "quality-coverage"):
        return rule_for(settings, None).threshold if chart_name == "quality-coverage" else 5
    return rule_for(settings, source).threshold


def check(wh: Path, ten_five: bool) -> int:
    source = WarehouseSource(wh)
    settings = source.settings()
    checked = 0
    for viewer in VIEWERS:
        for query in NARROW:
            filters = parse_filters(query)
            req = make_request(source, filters, viewer)
            for name, spec in CHARTS.items():
                if not viewer.may_open(spec.page):
                    continue
                chart = build(name, req)
                for column, value in shown_counts(chart):
                    checked += 1
                    if value == SUPPRESSED:
                        continue
                    v = int(value)
                    if ten_five:
                        assert v == 0 or (v >= 10 and v % 5 == 0), (name, query, column, v)
                    else:
                        t = threshold_for(settings, name, column, filters.source)
                        assert not 0 < v < t, (viewer.role, name, query, column, v)
                # By subtraction: hidden cells of one table must not add up to a small number.
                for col in COUNT_COLUMNS:
                    if col not in chart.data:
                        continue
                    cells = chart.data[col]
                    if (cells == SUPPRESSED).sum() == 1 and (cells != SUPPRESSED).any():
                        pytest.fail(f"{name} {query}: one lone hidden cell in {col}")
                # No rate or share rests on fewer than the minimum events.
                if "rate" in chart.data and "count" in chart.data:
                    rated = chart.data.dropna(subset=["rate"])
                    counts = pd.to_numeric(rated["count"], errors="coerce")
                    assert (counts >= settings.min_events_for_rate).all(), name
    return checked


def test_no_small_count_on_any_chart_for_any_role(demo_warehouse: Path) -> None:
    assert check(demo_warehouse, ten_five=False) > 1000


def test_ons_10_5_mode_rounds_everything(demo_warehouse: Path, tmp_path: Path) -> None:
    wh = Path(shutil.copytree(demo_warehouse, tmp_path / "wh"))
    write_settings(wh, read_settings(wh).with_(rounding="ons_10_5"))
    assert check(wh, ten_five=True) > 1000


def test_duty_holder_charts_hold_only_their_district(demo_warehouse: Path) -> None:
    source = WarehouseSource(demo_warehouse)
    req = make_request(source, parse_filters("district=E08000035"), VIEWERS[2])
    chart = build("where-map", req, level="district")
    assert chart.data.empty
    req = make_request(source, parse_filters(""), VIEWERS[2])
    assert set(build("where-map", req, level="district").data["area_code"]) == {"E08000034"}
