"""Boards in a real browser: one click from the boards page opens a board with its filters in
the filter bar and the address; a control on the board follows into the address; the view on
screen can be saved and reopened. Runs its own server on a copy of the demo (saving writes)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from helpers import start_server

from svcore.saved_views import saved_views

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    wh = Path(shutil.copytree(demo_warehouse, tmp_path_factory.mktemp("boards") / "wh"))
    proc, url = start_server(wh)
    yield wh, url
    proc.terminate()
    proc.wait(timeout=10)


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=60_000
    )


def test_a_board_opens_with_its_filters_and_can_be_saved(browser, served) -> None:
    wh, url = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
    settle(page)
    page.get_by_role("link", name="Boards", exact=True).click()
    page.get_by_role("link", name="Open Serious Violence Duty", exact=True).click()
    page.wait_for_selector("#where-map .main-svg", timeout=60_000)
    settle(page)
    assert urlparse(page.url).path == "/boards/serious-violence-duty"
    assert parse_qs(urlparse(page.url).query) == {"group": ["knife_sharp"], "level": ["district"]}
    assert "Knife or sharp instrument" in page.locator(".filter-bar").inner_text()
    assert page.locator("h1").inner_text() == "Serious Violence Duty"
    for name in ("overview-trend", "where-map", "where-hotspots", "who-victims", "where-gap"):
        page.wait_for_selector(f"#{name} .main-svg", timeout=60_000)
    assert page.locator("#where-level input[value='district']").is_checked()

    # The board's control follows into the address, beside the filters.
    page.locator("label[for]", has_text="Wards").first.click()
    page.wait_for_function("() => location.search.includes('level=ward')", timeout=10_000)
    settle(page)
    assert parse_qs(urlparse(page.url).query) == {"group": ["knife_sharp"], "level": ["ward"]}

    # Save the view on screen, and reopen it from the boards page.
    page.fill("#saved-name", "Knife by ward")
    page.click("#saved-save")
    page.wait_for_function(
        "() => document.querySelector('#saved-status').innerText.includes('Saved')"
    )
    (view,) = saved_views(wh, "demo")
    assert view.url == "/boards/serious-violence-duty?group=knife_sharp&level=ward"
    page.get_by_role("link", name="Your saved views").click()
    page.get_by_role("link", name="Knife by ward").click()
    page.wait_for_selector("#where-map .main-svg", timeout=60_000)
    settle(page)
    assert page.locator("#where-level input[value='ward']").is_checked()
    page.get_by_role("link", name="Boards", exact=True).click()
    page.get_by_role("button", name="Delete the saved view Knife by ward").click()
    page.wait_for_function("() => !document.body.innerText.includes('Knife by ward')")
    assert saved_views(wh, "demo") == []
    assert errors == []
    page.close()
