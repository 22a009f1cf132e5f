"""The demo generator: deterministic files, realistic shape, and a warehouse built by the ETL."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from etl.demo import build as demo_build
from etl.demo import events as ev
from etl.demo.areas import build_areas


def _police_files(seed: int, folder: Path) -> dict[str, str]:
    areas = build_areas(seed)
    rng = np.random.default_rng(seed)
    months = ev.months(2021, 1)
    police = ev.police_events(areas, rng, months)
    folder.mkdir()
    paths = demo_build.write_police(police, rng, folder)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = _police_files(3, tmp_path / "a")
    b = _police_files(3, tmp_path / "b")
    c = _police_files(4, tmp_path / "c")
    assert a == b
    assert a != c
    assert len(a) == 12


def test_patterns_are_true_to_life() -> None:
    areas = build_areas(42)
    rng = np.random.default_rng(42)
    months = ev.months(2021, 2)
    police = ev.police_events(areas, rng, months)
    per_year = len(police) / 2
    assert 40_000 < per_year < 80_000
    knife = (police["weapon"] == "knife_sharp").sum() / 2
    assert 1_800 < knife < 3_800  # ~2,700 a year in West Yorkshire
    homicide = police["ho_offence_code"].isin(["1", "4/1"]).sum() / 2
    assert 20 < homicide < 50
    hour = police["offence_dt"].dt.hour
    weekday = police["offence_dt"].dt.day_of_week
    night_weekend = ((weekday >= 5) & (hour <= 3)).mean()
    night_weekday = ((weekday <= 3) & (hour <= 3) & (weekday >= 1)).mean()
    assert night_weekend > night_weekday  # Friday and Saturday nights out
    month = police["offence_dt"].dt.month
    assert (month.isin([6, 7, 8])).sum() / 3 > (month.isin([1, 2, 12])).sum() / 3  # summer high
    lsoas = areas.lsoas.set_index("lsoa_code")
    rates = police.groupby("lsoa_code").size() / lsoas["population"]
    decile = lsoas["imd_decile"]
    most, least = rates[decile <= 1].mean(), rates[decile >= 10].mean()
    assert most > 2 * least  # deprivation gradient

    health = ev.health_attendances(areas, rng, police, months)
    injured = police["ho_offence_code"].isin(["5D", "8N", "8P", "2", "34B"]).sum()
    # ~12% of injury crimes reach A&E, and A&E sees 1.5x as many unknown to police (~60%).
    assert 0.55 < 1 - 0.12 * injured / len(health) < 0.65
    assert (health["sex"] == "M").mean() > 0.6


def test_demo_build_is_idempotent(demo_warehouse: Path, tmp_path: Path) -> None:
    """A second build of the session's demo (same seed and years) loads nothing again: every
    generated file is recognised as already loaded. (The session's build is the first.)"""
    wh = Path(shutil.copytree(demo_warehouse, tmp_path / "wh"))
    second = demo_build.build_demo(wh, seed=7, years=1)
    assert second["files_refused"] == 0 and second["files_loaded"] == 0
    assert second["files_unchanged"] > 50


REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/realdata")
def test_demo_on_real_lsoas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.filters import parse_filters
    from dashboard.queries.counts import count_table
    from svcore.warehouse import connect_reader

    monkeypatch.setenv("SVDASH_KEY_FILE", str(tmp_path / "key"))
    wh = tmp_path / "wh"
    summary = demo_build.build_demo(
        wh,
        seed=1,
        years=1,
        geography=REAL / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv",
        lsoa_boundaries=REAL / "boundaries" / "lsoa11_E47000003_west-yorkshire-ca.geojson",
    )
    assert summary["files_refused"] == 0
    con = connect_reader(wh)
    by_lsoa = count_table(con, parse_filters(""), ["lsoa"])
    con.close()
    real_codes = by_lsoa["lsoa"].dropna()
    assert len(real_codes) > 1000
    assert real_codes.str.match(r"^E01\d{6}$").all()
    assert not real_codes.str.startswith("E019").any()  # real codes, not the synthetic range
