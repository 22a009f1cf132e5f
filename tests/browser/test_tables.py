"""The tables in a real browser: dash-ag-grid grids that sort by keyboard, name themselves by
their captions, pass axe, and whose CSV button gives the rows the grid shows (built server side
from the same view)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_accessibility import FAILING_IMPACTS, _axe_path, _open_settled, _report, run_axe

pytestmark = pytest.mark.browser

# Calderdale's wards over six months: A&E counts hidden as [c] and ratios left empty ("–"), and
# 17 rows, more than a grid shows without scrolling.
GAP_QUERY = "district=E08000033&from=2021-01&to=2021-06"

# A grid column as shown, top to bottom.
_COLUMN = """([grid, col]) => {
  const rows = [...document.querySelectorAll(`#${grid} .ag-center-cols-container [role="row"]`)];
  rows.sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')));
  // textContent, not innerText: ag-grid leaves rows out of view unrendered (content-visibility).
  return rows.map(r => r.querySelector(`[col-id="${col}"]`).textContent.trim());
}"""

# Every grid on the page has drawn its header and been named by its caption.
_GRIDS_READY = """() => {
  const grids = [...document.querySelectorAll('.table-grid')];
  return grids.length > 0 && grids.every(g => g.querySelector('.ag-header-cell')
    && g.querySelector('[role="grid"][aria-labelledby], [role="treegrid"][aria-labelledby]'));
}"""


def open_tables(browser, url: str):
    page = _open_settled(browser, url)
    page.wait_for_function(_GRIDS_READY, timeout=30_000)
    return page


def column(page, grid: str, col: str) -> list[str]:
    return page.evaluate(_COLUMN, [grid, col])


def number(text: str) -> float | None:
    """A shown cell as a number; None for a hidden ("[c]") or empty ("–") one."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        assert text in ("[c]", "–"), text
        return None


def assert_sorted(shown: list[str], descending: bool) -> None:
    """Numbers in order, then every hidden or empty cell: [c] before –, in both directions."""
    values = [number(t) for t in shown]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=descending), shown
    tail = shown[len(present) :]
    assert all(v is None for v in values[len(present) :]), shown
    assert tail == sorted(tail, key=lambda t: t != "[c]"), shown


def tab_into_grid(page, before: str) -> None:
    """Focus the control just before a grid and Tab: the grid's first header cell has focus."""
    page.focus(before)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('role')")
    assert focused == "columnheader", focused


def sort_by_keyboard(page, grid: str, col: str, want: str) -> None:
    """From the focused header cell, arrow right to ``col`` and press Enter until it sorts
    ``want`` (ascending first, then descending)."""
    header = page.locator(f"#{grid} .ag-header-cell[col-id='{col}']")
    for _ in range(20):
        if page.evaluate("() => document.activeElement.getAttribute('col-id')") == col:
            break
        page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.getAttribute('col-id')") == col
    for _ in range(2):
        if header.get_attribute("aria-sort") == want:
            return
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
    expect(header).to_have_attribute("aria-sort", want)


def test_top_areas_sort_by_keyboard(browser, server) -> None:
    page = open_tables(browser, f"{server}/where")
    try:
        before = column(page, "where-top-grid", "count")
        tab_into_grid(page, "button[aria-label='Download where map as XLSX']")
        sort_by_keyboard(page, "where-top-grid", "count", "ascending")
        up = column(page, "where-top-grid", "count")
        assert_sorted(up, descending=False)
        assert sorted(up) == sorted(before) and up != before  # the same rows, reordered
        page.keyboard.press("Enter")
        expect(page.locator("#where-top-grid .ag-header-cell[col-id='count']")).to_have_attribute(
            "aria-sort", "descending"
        )
        assert_sorted(column(page, "where-top-grid", "count"), descending=True)
        # Tab leaves the grid (one Tab stop; arrows move inside it): on to its downloads.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
            "Download where top as CSV"
        )
    finally:
        page.close()


def test_hidden_and_empty_cells_sort_last_both_ways(browser, server) -> None:
    page = open_tables(browser, f"{server}/where?{GAP_QUERY}")
    try:
        grid = "where-gap-table-grid"
        assert "[c]" in column(page, grid, "health") and "–" in column(page, grid, "per_100")
        tab_into_grid(page, "button[aria-label='Download where gap as XLSX']")
        for col in ("health", "per_100"):
            sort_by_keyboard(page, grid, col, "ascending")
            assert_sorted(column(page, grid, col), descending=False)
            sort_by_keyboard(page, grid, col, "descending")
            assert_sorted(column(page, grid, col), descending=True)
    finally:
        page.close()


def test_load_history_sorts_by_keyboard(browser, server) -> None:
    page = open_tables(browser, f"{server}/quality")
    try:
        grid = "quality-history-grid"
        loads = column(page, grid, "load_id")
        assert len(loads) > 15  # more than the grid shows at once: it scrolls
        assert [int(x) for x in loads] == sorted((int(x) for x in loads), reverse=True)
        tab_into_grid(page, "button[aria-label='Download quality codes as XLSX']")
        sort_by_keyboard(page, grid, "load_id", "ascending")
        up = column(page, grid, "load_id")
        assert up[0] == loads[-1] and [int(x) for x in up] == sorted(int(x) for x in loads)
    finally:
        page.close()


def _download_csv(page, label: str, tmp_path: Path) -> list[dict[str, str]]:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label, exact=True).click()
    got = tmp_path / info.value.suggested_filename
    info.value.save_as(got)
    with got.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _as_shown(value: str) -> str:
    """A CSV count as the grid shows it."""
    return value if not value.isdigit() else f"{int(value):,}"


def test_csv_button_gives_the_rows_the_grid_shows(browser, server, tmp_path) -> None:
    page = open_tables(browser, f"{server}/where?{GAP_QUERY}")
    try:
        grid = "where-gap-table-grid"
        rows = _download_csv(page, "Download where gap table as CSV", tmp_path)
        assert [r["area_name"] for r in rows] == column(page, grid, "area_name")
        for col in ("health", "police"):
            assert [_as_shown(r[col]) for r in rows] == column(page, grid, col), col
        assert [r["per_100"] == "" for r in rows] == [
            t == "–" for t in column(page, grid, "per_100")
        ]
    finally:
        page.close()
    page = open_tables(browser, f"{server}/quality")
    try:
        rows = _download_csv(page, "Download quality history as CSV", tmp_path)
        assert [r["load_id"] for r in rows] == column(page, "quality-history-grid", "load_id")
        assert [_as_shown(r["rows_read"]) for r in rows] == column(
            page, "quality-history-grid", "rows_read"
        )
    finally:
        page.close()


def test_the_grid_offers_no_export_of_its_own(browser, server) -> None:
    """The CSV and XLSX come from the server (same view, audited): the grid's own export is
    switched off, and there is no context menu to reach it."""
    page = open_tables(browser, f"{server}/where")
    try:
        # The grid's header can draw before dash-ag-grid registers its API.
        page.wait_for_function(
            """() => { try { return !!dash_ag_grid.getApi('where-top-grid'); }
                       catch (e) { return false; } }""",
            timeout=30_000,
        )
        options = page.evaluate(
            """() => { const api = dash_ag_grid.getApi('where-top-grid');
                       return [api.getGridOption('suppressCsvExport'),
                               api.getGridOption('suppressExcelExport')]; }"""
        )
        assert options == [True, True]
        page.locator("#where-top-grid .ag-cell").first.click(button="right")
        assert page.locator(".ag-menu").count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("path", ["/where", "/quality"])
def test_grids_are_named_and_pass_axe(browser, server, path: str) -> None:
    _axe_path()
    page = open_tables(browser, server + path)
    try:
        for wrap in page.locator(".table-wrap").all():
            caption = wrap.locator(".table-caption").inner_text()
            expect(wrap.get_by_role("grid")).to_have_accessible_name(caption)
        violations = run_axe(page)
    finally:
        page.close()
    bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not bad, _report(path, bad)


def test_the_disclosure_comparator(browser, server) -> None:
    """assets/dashAgGridFunctions.js, as the grid calls it: numbers as numbers, text in natural
    order, then [c], then empty cells, whichever way a column is sorted."""
    page = open_tables(browser, f"{server}/where")
    try:
        got = page.evaluate(
            """() => {
              const f = window.dashAgGridFunctions.svdashPublishedOrder;
              const cells = [10, '[c]', null, 2, '–', 'b', 100, 'a10', 'a9', ''];
              // The grid negates a comparator's answer for a descending sort.
              const up = [...cells].sort((a, b) => f(a, b, null, null, false));
              const down = [...cells].sort((a, b) => -f(a, b, null, null, true));
              return [up, down];
            }"""
        )
    finally:
        page.close()
    up, down = got
    assert up[:6] == [2, 10, 100, "a9", "a10", "b"] and up[6] == "[c]"
    assert down[:6] == ["b", "a10", "a9", 100, 10, 2] and down[6] == "[c]"
    assert set(up[7:]) == set(down[7:]) == {None, "–", ""}


def test_sort_and_filter_under_the_csp(browser, server) -> None:
    """The other tests bypass the CSP to inject axe: here the real policy is on while a grid
    formats, sorts with its comparator and filters (nothing may need 'unsafe-eval')."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        response = page.goto(f"{server}/where?{GAP_QUERY}")
        assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
        page.evaluate(
            """() => document.addEventListener('securitypolicyviolation',
                 e => console.error('CSP violation: ' + e.violatedDirective))"""
        )
        page.wait_for_function(_GRIDS_READY, timeout=60_000)
        grid = "where-gap-table-grid"
        assert all("," in t or t.isdigit() or t == "[c]" for t in column(page, grid, "police"))
        tab_into_grid(page, "button[aria-label='Download where gap as XLSX']")
        sort_by_keyboard(page, grid, "health", "descending")
        assert_sorted(column(page, grid, "health"), descending=True)
        page.keyboard.press("Control+Enter")  # the focused column's filter
        page.wait_for_selector(".ag-filter input", timeout=10_000)
        page.keyboard.type("10")  # "equals 10": the number filter, through filterValueGetter
        page.wait_for_function(
            "g => document.querySelectorAll(`#${g} .ag-center-cols-container [role=row]`)"
            ".length < 17",
            arg=grid,
            timeout=10_000,
        )
        assert set(column(page, grid, "health")) == {"10"}
        page.wait_for_timeout(300)
        assert problems == []
    finally:
        page.close()
