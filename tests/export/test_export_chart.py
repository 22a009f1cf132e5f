"""Charts leave the dashboard as they are on screen: images through kaleido, data suppressed."""

from __future__ import annotations

import csv
import getpass
from pathlib import Path

import pytest

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, published_table
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.export.charts import HEIGHT, WIDTH, export_chart
from dashboard.filters import parse_filters
from svcore.disclosure import SUPPRESSED

QUERY = "district=E08000033&from=2021-01&to=2021-06"


@pytest.fixture(scope="module")
def req(demo_warehouse: Path):
    return make_request(
        WarehouseSource(demo_warehouse), parse_filters(QUERY), Viewer(getpass.getuser(), "admin")
    )


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_exports_its_suppressed_data(req, name: str, tmp_path: Path) -> None:
    out = export_chart(name, req, "csv", tmp_path / f"{name}.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    for row in rows:
        for col in ("count", "health", "police"):
            value = row.get(col)
            if value and value != SUPPRESSED:
                assert not 0 < int(float(value)) < 5, (name, row)
    assert export_chart(name, req, "xlsx", tmp_path / f"{name}.xlsx").stat().st_size > 0


def test_chart_csv_equals_the_export_table(req, demo_warehouse: Path, tmp_path: Path) -> None:
    out = export_chart("how-weapon", req, "csv", tmp_path / "weapon.csv")
    shown = {r["weapon"]: r["count"] for r in csv.DictReader(out.open(encoding="utf-8"))}
    table = published_table(req, ["weapon"])
    assert shown == {w: str(c) for w, c in zip(table["weapon"], table["count"], strict=True)}


@pytest.fixture(scope="module")
def warm_kaleido():
    import kaleido

    kaleido.start_sync_server()  # one browser for the batch: ~0.3 s an image instead of ~3 s
    yield
    kaleido.stop_sync_server()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(n for n, s in CHARTS.items() if s.kind == "chart"))
def test_images_are_valid_png_and_svg_offline(req, warm_kaleido, name: str, tmp_path: Path) -> None:
    png = export_chart(name, req, "png", tmp_path / f"{name}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (WIDTH * 2, HEIGHT * 2)
    svg = export_chart(name, req, "svg", tmp_path / f"{name}.svg").read_text()
    assert svg.lstrip().startswith("<svg") and "Source:" in svg
    assert "Calderdale" in svg or name == "quality-coverage"  # quality covers every district
