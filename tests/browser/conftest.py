"""A real server over real HTTP on 127.0.0.1, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import start_server

# Debian's headless shell: the same Blink as /usr/bin/chromium (which kaleido uses for image
# exports) without the full browser's UI layers, so each page load costs less CPU.
CHROMIUM = "/usr/bin/chromium-headless-shell"


@pytest.fixture(scope="session")
def server(demo_warehouse: Path):
    proc, url = start_server(demo_warehouse)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian chromium-headless-shell is not installed: run scripts/test.sh, which installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
