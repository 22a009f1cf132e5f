"""The overview page in a real browser: opens cleanly, shows the query layer's numbers."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from svcore.warehouse import connect_reader

pytestmark = pytest.mark.browser


def _open(browser, url: str):
    page = browser.new_page()
    errors: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
    page.goto(url)
    page.wait_for_selector(".kpi-value", timeout=30_000)
    return page, errors, hosts


@pytest.mark.parametrize("district", ["E08000035", "E08000033"])
def test_headline_equals_query_layer(browser, server, demo_warehouse, district: str) -> None:
    query = f"district={district}&from=2021-03&to=2021-09"
    page, errors, hosts = _open(browser, f"{server}/?{query}")
    shown = page.locator(".kpi-value").first.inner_text().replace(",", "")
    con = connect_reader(demo_warehouse)
    expected = int(count_table(con, parse_filters(query), [])["count"].iloc[0])
    con.close()
    assert shown == str(expected)
    assert errors == []
    assert hosts <= {"127.0.0.1"}
    page.close()


def test_bad_url_values_get_a_message_not_a_crash(browser, server) -> None:
    page, errors, _ = _open(browser, f"{server}/?district=LEEDS&from=2021-13&group=nope")
    text = page.inner_text("#filter-messages")
    assert "not a GSS code" in text and "YYYY-MM" in text and "offence group" in text
    assert errors == []
    page.close()
