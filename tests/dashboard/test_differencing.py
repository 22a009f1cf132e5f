"""Random pairs of overlapping requests (periods, groups, areas, sources) through the views, as
a viewer on the default (cell-key) tier: the difference of two published values is almost never
a hidden cell's true count, and two independent routes to the same hidden cell agree on it for
far fewer than 1 cell in 20."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dashboard.auth import Viewer
from dashboard.charts.catalogue import published_table
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from svcore.disclosure import SUPPRESSED

SOURCES = ("police", "health", "policeuk")
GROUPS = (None, "knife_sharp", "robbery", "violence_with_injury", "sexual_violence")


def month(i: int) -> str:
    return f"2021-{i:02d}"


@pytest.fixture(scope="module")
def areas(demo_warehouse: Path) -> list[tuple[str, str]]:
    source = WarehouseSource(demo_warehouse)
    con = source.connection()
    wards = [
        ("ward", r[0])
        for r in con.sql("SELECT DISTINCT ward_code FROM geography ORDER BY 1").fetchall()
    ]
    return wards + [("district", d) for d in ("E08000033", "E08000034")]


def test_random_overlapping_requests_do_not_pin_hidden_cells(demo_warehouse: Path, areas) -> None:
    source = WarehouseSource(demo_warehouse)
    viewer = Viewer("vic", "viewer")
    rng = random.Random(20261201)

    def published(query: str) -> float | None:
        req = make_request(source, parse_filters(query), viewer)
        v = published_table(req, [])["count"].iloc[0]
        return None if v == SUPPRESSED else float(v)

    tried = one = pinned = 0
    for _ in range(400):
        kind, code = rng.choice(areas)
        src, group = rng.choice(SOURCES), rng.choice(GROUPS)
        m = rng.randint(2, 11)
        base = f"{kind}={code}&source={src}" + (f"&group={group}" if group else "")
        truth_t = count_table(
            source.connection(), parse_filters(f"{base}&from={month(m)}&to={month(m)}"), []
        )
        truth = int(truth_t["count"].iloc[0])
        if not 0 < truth < 5:
            continue  # a hidden cell is the target
        a, b = rng.randint(1, m - 1), rng.randint(m + 1, 12)
        routes = []
        for longer, shorter in (
            (f"from={month(a)}&to={month(m)}", f"from={month(a)}&to={month(m - 1)}"),
            (f"from={month(m)}&to={month(b)}", f"from={month(m + 1)}&to={month(b)}"),
        ):
            x, y = published(f"{base}&{longer}"), published(f"{base}&{shorter}")
            if x is not None and y is not None:
                routes.append(x - y)
        if not routes:
            continue
        tried += 1
        one += routes[0] == truth
        pinned += len(routes) == 2 and all(r == truth for r in routes)
        if tried >= 40:
            break
    assert tried >= 25, tried
    assert one / tried < 0.35, (one, tried)
    assert pinned / tried < 1 / 20, (pinned, tried)


def test_perturbed_tiers_see_one_area_and_fixed_windows(demo_warehouse: Path) -> None:
    from dashboard.charts.request import _window

    assert _window("2021-03", "2021-03") == ("2021-03", "2021-03")  # a month
    assert _window("2021-04", "2021-06") == ("2021-04", "2021-06")  # a quarter
    assert _window("2021-04", "2022-03") == ("2021-04", "2022-03")  # a financial year
    assert _window("2020-01", "2021-12") == ("2020-01", "2021-12")  # whole years
    assert _window("2021-01", "2021-10") == ("2021-01", "2021-12")  # widened to its year
    assert _window("2021-02", "2021-04") == ("2021-01", "2021-12")
    assert _window("2021-05", None) == ("2021-01", None)
    assert _window(None, None) == (None, None)
    source = WarehouseSource(demo_warehouse)
    query = "ward=E05900001,E05900002&district=E08000032,E08000033&from=2021-01&to=2021-10"
    viewer = make_request(source, parse_filters(query), Viewer("vic", "viewer"))
    assert viewer.filters.wards == ("E05900001",) and len(viewer.filters.districts) == 1
    assert (viewer.filters.date_from, viewer.filters.date_to) == ("2021-01", "2021-12")
    assert "one area" in viewer.context("x").note
    analyst = make_request(source, parse_filters(query), Viewer("ann", "analyst"))
    assert len(analyst.filters.wards) == 2 and analyst.filters.date_to == "2021-10"


def test_click_filters_are_for_the_exact_tier_only(demo_warehouse: Path) -> None:
    """Weapon, location, day and hour cut the same cells along more routes: a perturbed tier
    (duty holder, viewer, the report pack) asks without them and is told so; an analyst keeps
    them, and the chart titles name them."""
    source = WarehouseSource(demo_warehouse, pinned=True)
    filters = parse_filters("district=E08000033&weapon=knife_sharp&day=Friday&hour=22")
    for viewer in (Viewer("v", "viewer"), Viewer("d", "duty_holder", ("E08000033",))):
        req = make_request(source, filters, viewer)
        assert (req.filters.weapon, req.filters.weekday, req.filters.hour) == (None, None, None)
        assert "clicking a chart" in req.note
    analyst = make_request(source, filters, Viewer("a", "analyst"))
    assert (analyst.filters.weapon, analyst.filters.weekday, analyst.filters.hour) == (
        "knife_sharp",
        "Friday",
        22,
    )
    assert "Hour: 22:00" in analyst.context("t").period
