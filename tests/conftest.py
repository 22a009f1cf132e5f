"""Shared fixtures: small warehouses in tmp folders, keys in tmp, a load helper.

Every test runs with ``SVDASH_KEY_FILE`` pointing into a tmp folder, so no pseudonymisation key
is ever written to the real ``$HOME``. Module-scoped fixtures (which run before function-scoped
monkeypatching) pass the same key path explicitly.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REALDATA, build_warehouse

from etl.load import FileReport, init_warehouse, load_files
from etl.pseudonymise import KEY_ENV
from svcore.config import Settings

# The costliest test files first (seconds of one worker, measured on 2 cores, 2026-12): with
# one file to a worker (scripts/test.sh: --dist loadfile --no-loadscope-reorder), the longest
# files start first and the short ones fill in at the end, so neither worker is left running
# one long file alone. Only the order changes; a file missing here runs after these.
HEAVIEST_FIRST = (
    "browser/test_layout.py",
    "etl/test_fuzz_feeds.py",
    "browser/test_pages.py",
    "browser/test_accessibility.py",
    "dashboard/test_disclosure_attacks.py",
    "dashboard/test_disclosure_everywhere.py",
    "export/test_report.py",
    "browser/test_tables.py",
    "queries/test_rollups.py",
    "etl/test_integrity.py",
    "etl/test_crash.py",
    "export/test_export_chart.py",
    "etl/test_demo_build.py",
    "test_cli.py",
    "etl/test_load.py",
    "figures/test_catalogue_figures.py",
    "dashboard/test_security_http.py",
    "etl/test_load_modes.py",
    "browser/test_csp.py",
    "etl/test_formats.py",
    "etl/test_publish_rollups.py",
    "browser/test_board_pages.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    tests = Path(__file__).parent

    def place(item: pytest.Item) -> int:
        return rank.get(Path(item.path).relative_to(tests).as_posix(), len(rank))

    items.sort(key=place)  # stable: each file's tests keep their order


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees (the workers' own tmp folders' parent),
    for what is built once per run and then copied: each worker's ``getbasetemp()`` is a
    child of it. Without xdist, the session's own tmp folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def key_file(shared_tmp: Path) -> Path:
    """One key for every worker of the run, so warehouses built once can be shared (its
    creation is safe against a race: ``etl.pseudonymise._create_key``)."""
    return shared_tmp / "keys" / "pseudonymisation.key"


@pytest.fixture(scope="session", autouse=True)
def _session_key_env(key_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """Before any fixture of any scope: the key and config dir live in tmp, never in $HOME."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, str(key_file))
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
        mp.delenv("SVDASH_WAREHOUSE", raising=False)
        yield


@pytest.fixture(autouse=True)
def _key_env(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> Path:
    monkeypatch.setenv(KEY_ENV, str(key_file))
    return key_file


@pytest.fixture(scope="session")
def template_warehouse(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """The default warehouse, built once; tests get copies (a warehouse is a plain folder)."""
    return build_warehouse(tmp_path_factory.mktemp("template") / "wh", key_file)


@pytest.fixture
def make_warehouse(tmp_path: Path, key_file: Path, template_warehouse: Path) -> Callable[..., Path]:
    """Factory: ``make_warehouse(name='wh', districts=..., geography=True, **settings)``."""

    def make(name: str = "wh", **kw: object) -> Path:
        if not kw:
            return Path(shutil.copytree(template_warehouse, tmp_path / name))
        return build_warehouse(tmp_path / name, key_file, **kw)

    return make


@pytest.fixture
def warehouse(make_warehouse: Callable[..., Path]) -> Path:
    """An empty two-district warehouse with the tiny geography lookup loaded."""
    return make_warehouse()


@pytest.fixture
def load(key_file: Path) -> Callable[..., list[FileReport]]:
    """``load(warehouse, feed, *paths, **kw)``: etl.load.load_files with the test key."""

    def run(warehouse: Path, feed: str, *paths: Path, **kw: object) -> list[FileReport]:
        kw.setdefault("key_path", key_file)
        return load_files(warehouse, feed, list(paths), **kw)

    return run


@pytest.fixture(scope="session")
def city_of_london(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """A City of London (E09000001) warehouse with the real ONS 2011 lookup, built once.

    Copy it (``shutil.copytree``) before loading into it. Skips without the real data.
    """
    lookup = REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv"
    if not lookup.exists():
        pytest.skip("real reference data not present")
    wh = init_warehouse(tmp_path_factory.mktemp("city") / "wh", Settings(districts=("E09000001",)))
    (report,) = load_files(wh, "geography", [lookup], key_path=key_file)
    assert report.status == "loaded" and report.rows_loaded == 6  # the City's six LSOAs
    return wh


@pytest.fixture(scope="session")
def demo_warehouse(
    tmp_path_factory: pytest.TempPathFactory, shared_tmp: Path, key_file: Path
) -> Path:
    """One year of the demo, built through the real ETL once per test session (read-only:
    tests that change a warehouse copy it first)."""
    from filelock import FileLock

    from etl.demo.build import build_demo

    # Built by the first worker to ask (25 s), under a lock; every worker then serves and
    # reads a copy of its own, so no server's audit record reaches another worker's copy.
    master = shared_tmp / "demo-master"
    with FileLock(shared_tmp / "demo-master.lock"):
        if not (master / "built").exists():
            shutil.rmtree(master, ignore_errors=True)
            build_demo(master / "warehouse", seed=7, years=1)
            (master / "built").touch()
    wh = tmp_path_factory.mktemp("demo") / "warehouse"
    shutil.copytree(master / "warehouse", wh)
    return wh
