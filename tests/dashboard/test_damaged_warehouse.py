"""A missing or corrupted Parquet part is named on screen and in exports, never read as zeros."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from helpers import callback, dependencies, reader_rows, start_server

from dashboard.app import shell
from dashboard.data import WarehouseSource
from svcore.warehouse import WarehouseDamaged

HEADLINE = "overview-headline.children"


def police_parts(wh: Path) -> list[str]:
    return [
        r[0]
        for r in reader_rows(
            wh, "SELECT path FROM parts WHERE table_name = 'police' AND active ORDER BY path"
        )
    ]


@pytest.fixture
def copy(demo_warehouse: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_warehouse, tmp_path / "warehouse"))


def test_a_snapshot_with_a_missing_part_is_refused_by_name(copy: Path) -> None:
    rel = police_parts(copy)[3]
    (copy / rel).unlink()
    source = WarehouseSource(copy)
    with pytest.raises(WarehouseDamaged, match=rel):
        source.connection()
    page = json.dumps(shell(source).to_plotly_json(), default=str)
    assert "Figures withheld" in page and rel in page and "svdash check" in page


def test_a_resized_part_is_refused_too(copy: Path) -> None:
    rel = police_parts(copy)[0]
    with open(copy / rel, "ab") as fh:
        fh.write(b"\0" * 10)
    with pytest.raises(WarehouseDamaged, match="bytes where"):
        WarehouseSource(copy).connection()


def test_damage_after_start_up_is_named_in_the_page_alert(copy: Path) -> None:
    proc, url = start_server(copy)
    try:
        s = requests.Session()
        deps = dependencies(s, url)
        ok = callback(s, url, deps, HEADLINE, "district=E08000035")
        assert ok.status_code == 200 and "warehouse-alert" not in ok.text
        rel = police_parts(copy)[5]
        data = bytearray((copy / rel).read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
        (copy / rel).write_bytes(bytes(data))
        (copy / police_parts(copy)[6]).unlink()
        # A query not cached yet that reads the events (rollups hold no person: a who filter
        # reads the parts, where a rollup-served count would not touch them).
        r = callback(s, url, deps, HEADLINE, "from=2020-01&age=under25")
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        alert = body["sideUpdate"]["warehouse-alert"]
        assert alert["hidden"] is False and "parts/police/" in alert["children"]
        assert "overview-headline" not in body.get("response", {})  # no figure from a part
        assert "Traceback" not in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_exports_refuse_and_name_the_part(copy: Path, tmp_path: Path) -> None:
    rel = police_parts(copy)[2]
    (copy / rel).unlink()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "export",
            "table",
            "--by",
            "district",
            "--warehouse",
            str(copy),
            "--out",
            str(tmp_path / "t.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert result.returncode == 1
    assert rel in result.stderr.replace("\n", " ") and "Traceback" not in result.stderr
    assert not (tmp_path / "t.csv").exists()
