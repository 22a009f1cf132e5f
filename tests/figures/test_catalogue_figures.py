"""Every catalogue chart's figure, built on the demo warehouse, is a plain dict and valid plotly.

The figure functions build plotly's JSON schema directly (no ``go.Figure`` on the hot path),
so nothing checks their properties as they are made: this test does, by handing each figure
to ``go.Figure`` (which validates every property) at each map level, and checks the maps'
district layers at ward and LSOA level.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import orjson
import plotly.graph_objects as go
import pytest

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, build
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.figures import alt_text, source_note_of, title_of
from dashboard.filters import parse_filters

LEEDS = "E08000035"
QUERIES = {
    "all": "",
    "district": f"district={LEEDS}&from=2021-01&to=2021-06",
}
FIGURES = sorted(name for name, spec in CHARTS.items() if spec.kind == "chart")


@pytest.fixture(scope="module")
def source(demo_warehouse: Path) -> WarehouseSource:
    return WarehouseSource(demo_warehouse)


def request_for(source: WarehouseSource, query: str):
    return make_request(source, parse_filters(query), Viewer(getpass.getuser(), "admin"))


def a_ward(source: WarehouseSource) -> str:
    req = request_for(source, f"district={LEEDS}")
    return str(build("where-map", req).data["area_code"].iloc[0])


@pytest.mark.parametrize("where", sorted(QUERIES))
@pytest.mark.parametrize("name", FIGURES)
def test_every_chart_figure_is_a_valid_plotly_dict(source, name: str, where: str) -> None:
    chart = build(name, request_for(source, QUERIES[where]))
    fig = chart.figure
    assert isinstance(fig, dict) and set(fig) == {"data", "layout"}
    go.Figure(fig)  # validates every property: raises on a misspelt or misplaced one
    orjson.dumps(fig, option=orjson.OPT_SERIALIZE_NUMPY)  # what Dash sends to the browser
    assert title_of(fig) and source_note_of(fig).startswith("Source:")
    assert alt_text(fig) and chart.alt == alt_text(fig)


@pytest.mark.parametrize("level", ["ward", "lsoa"])
def test_ward_and_lsoa_maps_carry_district_outlines_and_names(source, level: str) -> None:
    req = request_for(source, f"district={LEEDS}")
    for name, options in (("where-map", {"level": level}), ("where-hotspots", {})):
        fig = build(name, req, **options).figure
        go.Figure(fig)
        layers = {t.get("name"): t for t in fig["data"]}
        outline, names = layers["District boundaries"], layers["District names"]
        assert outline["locations"] == [LEEDS] and outline["hoverinfo"] == "skip"
        assert outline["geojson"].startswith("/geojson/district.json")
        assert names["text"] == ["Leeds"] and names["showlegend"] is False
        assert fig["layout"]["geo"]["fitbounds"] == "locations"
        assert fig["layout"]["autosize"] is True and "height" not in fig["layout"]


def test_a_wards_lsoa_map_is_pinned_to_its_lsoas(source) -> None:
    """Inside a ward the district outline reaches far beyond the LSOAs: the view is the
    LSOAs' bounds, and the outline comes as lines clipped to it."""
    ward = a_ward(source)
    for embed in ("", "1"):
        chart = build("where-map", request_for(source, f"ward={ward}"), embed=embed)
        assert chart.meta["level"] == "lsoa"
        fig = chart.figure
        go.Figure(fig)
        geo = fig["layout"]["geo"]
        assert geo["fitbounds"] is False and geo["lonaxis"]["range"][0] < geo["lonaxis"]["range"][1]
        outline = next(t for t in fig["data"] if t.get("name") == "District boundaries")
        assert outline["type"] == "scattergeo" and outline["mode"] == "lines"


def test_district_maps_have_no_district_layers(source) -> None:
    fig = build("where-map", request_for(source, "")).figure
    assert not any(t.get("name", "").startswith("District") for t in fig["data"])
