"""Every page in a real browser over real HTTP: opens cleanly, keeps its filters in the URL,
and shows the numbers the query layer (and the export command) gives for the same filters."""

from __future__ import annotations

import csv
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard.filters import parse_filters
from dashboard.queries.counts import count_table
from svcore.config import read_settings
from svcore.disclosure import rule_for, suppress_counts
from svcore.warehouse import connect_reader

pytestmark = pytest.mark.browser

PAGES = ("/", "/where", "/when", "/how", "/who", "/outcomes", "/factors", "/quality")


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.errors, page.hosts = [], set()
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.hosts.add(urlparse(r.url).hostname or ""))
    page.goto(url)
    settle(page)
    return page


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=60_000
    )


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_cleanly_and_offline(browser, server, path: str) -> None:
    page = open_page(browser, server + path)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert page.locator("h1").count() == 1
    charts = page.locator(".js-plotly-plot").count()
    assert charts >= 1
    # Every chart has a filled-in text alternative.
    alts = page.locator("figcaption .visually-hidden").all_inner_texts()
    assert alts and all(a.strip() for a in alts), alts
    assert page.errors == []
    assert page.hosts <= {"127.0.0.1"}
    page.close()


def test_maps_draw_without_internet(browser, server) -> None:
    page = open_page(browser, server + "/where")
    page.wait_for_selector("path.choroplethlocation", timeout=60_000)
    assert page.locator("#where-map path.choroplethlocation").count() == 5  # the districts
    assert page.locator("#where-hotspots path.choroplethlocation").count() > 1000  # LSOAs
    page.close()


def test_a_url_with_filters_restores_them(browser, server) -> None:
    url = f"{server}/when?district=E08000035&from=2021-03&to=2021-09&group=knife_sharp"
    page = open_page(browser, url)
    page.wait_for_selector("#when-heatmap .main-svg")
    bar = page.locator(".filter-bar").inner_text()
    assert "Leeds" in bar and "2021-03" in bar and "2021-09" in bar and "Knife" in bar
    assert query_of(page) == {
        "district": ["E08000035"],
        "from": ["2021-03"],
        "to": ["2021-09"],
        "group": ["knife_sharp"],
    }
    title = page.locator("#when-monthly .gtitle").text_content()
    assert "Serious violence by month" in title
    assert "Knife or sharp instrument" in page.locator("#when-monthly .gtitle").text_content()
    page.close()


def test_bad_url_values_get_a_message_and_defaults(browser, server) -> None:
    page = open_page(
        browser, f"{server}/how?district=LEEDS&from=2021-13&source=fax&definition=../../etc/passwd"
    )
    text = page.inner_text("#filter-messages")
    assert (
        "not a GSS code" in text and "YYYY-MM" in text and "source" in text and "definition" in text
    )
    assert query_of(page) == {}  # the address bar now says what is shown: the defaults
    assert page.errors == []
    page.close()


def expected_headline(warehouse, query: str) -> str:
    con = connect_reader(warehouse)
    try:
        filters = parse_filters(query)
        rule = rule_for(read_settings(warehouse), filters.source)
        value = suppress_counts(count_table(con, filters, []), rule)["count"].iloc[0]
    finally:
        con.close()
    return value if isinstance(value, str) else f"{int(value):,}"


def choose(page, control_id: str, option_text: str) -> None:
    page.locator(f"#{control_id}").click()
    page.get_by_role("option", name=option_text).first.click()
    page.keyboard.press("Escape")


def test_changing_the_district_changes_the_numbers(browser, server, demo_warehouse) -> None:
    page = open_page(browser, server + "/")
    # A busy machine can leave a quiet half-second before the headline's callback answers:
    # wait for the figure rather than read it the moment the network is idle.
    page.wait_for_function(
        "want => document.querySelector('.kpi-value')?.innerText === want",
        arg=expected_headline(demo_warehouse, ""),
        timeout=60_000,
    )
    choose(page, "filter-district", "Calderdale")
    page.wait_for_function("() => location.search.includes('district=E08000033')")
    settle(page)
    want = expected_headline(demo_warehouse, "district=E08000033")
    page.wait_for_function(
        "want => document.querySelector('.kpi-value').innerText === want", arg=want
    )
    # The filters travel with the navigation.
    page.locator(".nav-link", has_text="When").click()
    page.wait_for_url("**/when?district=E08000033")
    settle(page)
    assert "Calderdale" in page.locator(".filter-bar").inner_text()
    assert page.errors == []
    page.close()


def test_top_areas_equal_the_export_table(browser, server, demo_warehouse, tmp_path) -> None:
    query = "district=E08000034&from=2021-01&to=2021-12"
    page = open_page(browser, f"{server}/where?{query}")
    page.wait_for_selector("#where-top-grid .ag-row")
    shown = page.evaluate(
        """() => Object.fromEntries(
          [...document.querySelectorAll('#where-top-grid .ag-center-cols-container .ag-row')]
            .map(r => ['area_code', 'count'].map(c => r.querySelector(`[col-id=${c}]`).textContent))
        )"""
    )
    out = tmp_path / "wards.csv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "export",
            "table",
            "--warehouse",
            str(demo_warehouse),
            "--by",
            "ward",
            "--district",
            "E08000034",
            "--from",
            "2021-01",
            "--to",
            "2021-12",
            "--format",
            "csv",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    with open(out, newline="", encoding="utf-8") as fh:
        exported = {r["ward"]: r["count"] for r in csv.DictReader(fh)}
    assert shown, "no top areas shown"
    for code, count in shown.items():
        assert count.replace(",", "") == exported[code], code
    page.close()


def test_clicking_a_district_on_the_map_drills_down(browser, server) -> None:
    page = open_page(browser, server + "/where")
    page.wait_for_selector("#where-map path.choroplethlocation")
    page.locator("#where-map path.choroplethlocation").first.click(force=True)
    page.wait_for_function("() => location.search.includes('district=')", timeout=30_000)
    settle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('#where-map path.choroplethlocation').length > 5",
        timeout=30_000,
    )
    assert "ward" in page.locator("#where-map .gtitle").text_content()
    page.close()


def test_chart_downloads_are_the_chart_on_screen(browser, server, demo_warehouse, tmp_path) -> None:
    query = "district=E08000033&from=2021-01&to=2021-06"
    page = open_page(browser, f"{server}/how?{query}")
    page.wait_for_selector("#how-weapon .main-svg")
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="Download how weapon as CSV").click()
    got = tmp_path / "weapon.csv"
    info.value.save_as(got)
    rows = list(csv.DictReader(got.open(encoding="utf-8")))
    con = connect_reader(demo_warehouse)
    try:
        table = suppress_counts(
            count_table(con, parse_filters(query), ["weapon"]),
            rule_for(read_settings(demo_warehouse), "police"),
        )
    finally:
        con.close()
    assert {r["weapon"]: r["count"] for r in rows} == {
        w: str(c) for w, c in zip(table["weapon"], table["count"], strict=True)
    }
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download how weapon as PNG").click()
    png = tmp_path / "weapon.png"
    info.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.errors == []
    page.close()


def test_the_report_button_downloads_the_pack(browser, server, tmp_path) -> None:
    import zipfile

    page = open_page(browser, f"{server}/?district=E08000033")
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Build the report pack").click()
    got = tmp_path / "pack.zip"
    info.value.save_as(got)
    names = zipfile.ZipFile(got).namelist()
    assert {"sna-2021.docx", "sna-2021.pdf", "sna-2021-data.xlsx", "manifest.json"} <= set(names)
    assert any(n.startswith("figures/") and n.endswith(".svg") for n in names)
    page.close()
