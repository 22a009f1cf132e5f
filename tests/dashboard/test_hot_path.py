"""The hot path's shortcuts give the answers of the long way round (issue 14).

A callback reuses what does not change with its filters: a snapshot's facts (months held,
rollup tables, area names) kept with its pinned connection, area lookups memoised by place,
headline windows summed from one monthly count, hotspot neighbour weights kept per set of
areas, settings parsed once per change. Each is checked against the direct query or
computation on the demo warehouse, through the rollups and through the events.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.hotspots import getis_ord, knn_weights
from dashboard.auth import Viewer
from dashboard.charts.catalogue import hotspot_stats, window_count
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.filters import parse_filters
from dashboard.queries import pin_snapshot, snapshot_fact
from dashboard.queries.areas import area_table
from dashboard.queries.counts import count_table
from svcore.config import read_settings, write_settings

ANALYST = Viewer("ann", "analyst")
DUTY = Viewer("dora", "duty_holder", ("E08000033",))
QUERIES = [
    "",
    "from=2021-03&to=2021-08",
    "district=E08000032&from=2021-01&to=2021-12&group=knife_sharp",
    "district=E08000033&district=E08000036&from=2021-10&to=2021-12&group=robbery",
    "from=2021-05&source=health",
    "to=2021-02&source=youth_justice",
    "from=2021-06&to=2021-06&weapon=Knife",
]


@pytest.fixture(params=["rollups", "events"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "events":
        monkeypatch.setenv("SVDASH_ROLLUPS", "off")
    return request.param


@pytest.mark.parametrize("query", QUERIES)
def test_a_window_summed_from_months_is_the_windows_own_cell(
    demo_warehouse: Path, query: str, path: str
) -> None:
    req = make_request(WarehouseSource(demo_warehouse), parse_filters(query), ANALYST)
    direct = count_table(req.con, req.filters, ())
    summed = window_count(req, req.filters)
    assert int(summed["count"].iloc[0]) == int(direct["count"].iloc[0])
    assert int(summed["ckey"].iloc[0]) == int(direct["ckey"].iloc[0])


@pytest.mark.parametrize("viewer", [ANALYST, DUTY], ids=["analyst", "duty_holder"])
@pytest.mark.parametrize("level", ["district", "ward", "lsoa"])
def test_area_table_from_memoised_parts_is_the_direct_one(
    demo_warehouse: Path, level: str, viewer: Viewer
) -> None:
    source = WarehouseSource(demo_warehouse)
    for query in QUERIES[:4]:  # the same places with other periods reuse the lookups
        req = make_request(source, parse_filters(query), viewer)
        direct = area_table(req.con, req.filters, level)
        pd.testing.assert_frame_equal(req.area_table(level), direct)


def test_hotspots_with_kept_weights_are_those_computed_afresh(demo_warehouse: Path) -> None:
    source = WarehouseSource(demo_warehouse)
    for query in ("from=2021-01&to=2021-06", "from=2021-07&to=2021-12&group=robbery"):
        req = make_request(source, parse_filters(query), ANALYST)
        kept = hotspot_stats(req)  # the second query reuses the first one's weights
        fresh = getis_ord(kept[["area_code", "lon", "lat", "rate"]], value="rate")
        pd.testing.assert_frame_equal(
            kept[["gi_z", "gi_p"]], fresh[["gi_z", "gi_p"]].round({"gi_z": 1, "gi_p": 3})
        )
    frame = kept[["lon", "lat"]]
    assert knn_weights(frame).adjacency.equals(knn_weights(frame).adjacency)


def test_gi_star_on_the_kept_graph_is_esdas_gi_star_on_knn_weights(demo_warehouse: Path) -> None:
    """The self-weighted ``Graph`` gives the z-scores of esda's own Gi* (``star=True``) on
    libpysal's binary ``KNN`` weights, the form the hotspots used before."""
    import warnings

    from esda.getisord import G_Local
    from libpysal.weights import KNN

    req = make_request(WarehouseSource(demo_warehouse), parse_filters("from=2021-01"), ANALYST)
    stats = hotspot_stats(req)
    frame = stats[["lon", "lat"]]
    lat0 = np.radians(frame["lat"].mean())
    w = KNN.from_array(np.column_stack([frame["lon"] * np.cos(lat0), frame["lat"]]), k=8)
    w.transform = "B"
    y = stats["rate"].fillna(stats["rate"].mean()).to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = G_Local(y, w, transform="B", star=True, permutations=0)
    after = getis_ord(stats[["area_code", "lon", "lat", "rate"]], value="rate")
    np.testing.assert_allclose(after["gi_z"], before.Zs, atol=1e-9)


def test_snapshot_facts_are_kept_only_with_a_pinned_connection() -> None:
    reads: list[int] = []

    def read() -> tuple[int, ...]:
        reads.append(1)
        return (len(reads),)

    loose = duckdb.connect()
    assert snapshot_fact(loose, ("k",), read) == (1,)
    assert snapshot_fact(loose, ("k",), read) == (2,)  # a writer's, a test's: read afresh
    pinned = duckdb.connect()
    pin_snapshot(pinned)
    assert snapshot_fact(pinned, ("k",), read) == (3,)
    assert snapshot_fact(pinned, ("k",), read) == (3,)
    assert snapshot_fact(pinned, ("other",), read) == (4,)


def test_settings_are_read_again_when_the_file_changes(demo_warehouse: Path, tmp_path: Path):
    wh = tmp_path / "wh"
    shutil.copytree(demo_warehouse, wh)
    source = WarehouseSource(wh)
    first = source.settings()
    assert source.settings() is first  # parsed once while the file is unchanged
    write_settings(wh, read_settings(wh).with_(suppress_below=7))
    assert source.settings().suppress_below == 7


@pytest.mark.parametrize("shared", [True, False])
def test_views_asked_at_once_build_a_shared_part_once(demo_warehouse: Path, shared: bool):
    source = WarehouseSource(demo_warehouse)
    builds: list[int] = []
    start = threading.Barrier(4)

    def build() -> int:
        builds.append(1)
        time.sleep(0.2)  # long enough for every other thread to ask meanwhile
        return 42

    def ask() -> int:
        start.wait()
        return source.memo(("part", shared), build, shared=shared)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: ask(), range(4)))
    assert answers == [42] * 4
    assert len(builds) == 1
    assert not source._flights  # nothing is left waiting


@pytest.mark.parametrize("query", QUERIES[:4])
def test_ranked_factors_are_each_factors_own_published_correlation(
    demo_warehouse: Path, query: str
) -> None:
    """The ranked table aligns each factor on its level's published areas by index: the same
    n, r, interval and rho as ``published_factor``'s merge, factor by factor."""
    from dashboard.analysis.stats import correlate
    from dashboard.charts.catalogue import published_factor, ranked_factors
    from dashboard.charts.factors import factor_options

    for viewer in (ANALYST, DUTY):
        req = make_request(WarehouseSource(demo_warehouse), parse_filters(query), viewer)
        ranked = ranked_factors(req).set_index("factor")
        assert len(ranked) == len(factor_options(req))
        for opt in factor_options(req):
            shown, label, level = published_factor(req, opt["value"])
            c = correlate(shown["factor"], shown["rate"])
            row = ranked.loc[label]
            assert (row["level"], row["n"]) == (level, c.n)
            np.testing.assert_allclose(
                row[["r", "low", "high", "rho"]].to_numpy(float),
                [c.r, c.r_low, c.r_high, c.rho],
                equal_nan=True,
                atol=1e-12,
            )


@pytest.mark.parametrize("viewer", [ANALYST, DUTY], ids=["analyst", "duty_holder"])
def test_the_sources_table_gives_the_headlines_count_and_change(
    demo_warehouse: Path, viewer: Viewer
) -> None:
    """The sources table reads only each source's count and change (no other windows, no
    tests): the very cells and change the headline computes for the same source."""
    from dashboard.charts.catalogue import build, source_change, source_figures
    from svcore.vocab import SOURCES

    source = WarehouseSource(demo_warehouse)
    for query in (*QUERIES, "from=2021-03&to=2022-06", "source=probation&from=2021-04"):
        req = make_request(source, parse_filters(query), viewer)
        table = build("overview-sources", req).data
        for s, row in zip(SOURCES, table.to_dict("records"), strict=True):
            full = source_figures(req, s)
            assert source_change(req, s) == (full["count"], full["change"]), (query, s)
            change = None if pd.isna(row["change"]) else row["change"]
            assert (row["count"], change) == (full["count"], full["change"]), (query, s)
