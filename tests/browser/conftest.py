"""A real server over real HTTP on 127.0.0.1, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One year of the demo, built through the real ETL once per test session."""
    from etl.demo.build import build_demo

    root = tmp_path_factory.mktemp("demo")
    os.environ["SVDASH_KEY_FILE"] = str(root / "key")
    wh = root / "warehouse"
    build_demo(wh, seed=7, years=1)
    return wh


@pytest.fixture(scope="session")
def server(demo_warehouse: Path):
    port = _free_port()
    env = {**os.environ, "SVDASH_WAREHOUSE": str(demo_warehouse)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "svdash.cli", "serve", "--port", str(port), "--no-demo"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run scripts/test.sh, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
