"""The pages work under the Content-Security-Policy: no violation in the console, charts drawn,
and a signed-in user can sign in and out in a real browser (the sign-out form posts its
CSRF token)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import TEST_PASSWORD as PW
from helpers import secured_server

pytestmark = pytest.mark.browser


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@pytest.mark.parametrize("path", ["/", "/where", "/factors"])
def test_pages_render_under_the_csp(browser, server, path: str) -> None:
    page = browser.new_page()
    problems = _watch(page)
    response = page.goto(server + path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "frame-ancestors 'none'" in csp
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_load_state("networkidle")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert problems == []
    page.close()


@pytest.fixture(scope="module")
def signed_in_server(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("csp-secured")
    with secured_server(demo_warehouse, root, [("ann", "analyst", ())]) as (_wh, url):
        yield url


def test_sign_in_and_sign_out_in_a_browser(browser, signed_in_server: str) -> None:
    url = signed_in_server
    page = browser.new_page()
    problems = _watch(page)
    page.goto(f"{url}/when?district=E08000035")
    assert "/login?next=" in page.url
    page.fill("#username", "ann")
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert page.url.endswith("/when?district=E08000035")  # the filters survived sign-in
    page.click("form.signout-form button")
    page.wait_for_url(f"{url}/login")
    page.goto(f"{url}/when")
    assert "/login" in page.url  # signed out for real
    assert problems == []
    page.close()
