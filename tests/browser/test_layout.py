"""The layout at the three screen sizes the issue names, in a real browser under the real CSP.

At 1280x800, 1920x1080 and 768x1024, on every page once its views have drawn: no horizontal
scroll, every chart's title, source note, legend and colour bar inside the chart's SVG (nothing
cut off), two columns of cards from 1200 px and one below, maps at least 600 px tall, and (at
768x1024, whose one column puts the cards in a different order from the 1280x900 run of
tests/browser/test_accessibility.py) no serious or critical axe violation. Then: bookmarked page
controls and click filters are restored, on opening and on reload; and a click on each kind of
chart (a map area, a bar of offence group, weapon and location, a heatmap cell) filters, shows in
the filter bar and the address, and is undone by Back. Every page is also watched for what the
CSP refuses (a refusal plotly catches never reaches the console, which test_csp.py reads).

One browser context per screen size, one page in each, reused: the whole file takes about a
minute and a half.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from test_accessibility import (
    _RUN_AXE,
    FAILING_IMPACTS,
    THIRD_PARTY_ALLOWED,
    WCAG_TAGS,
    _axe_path,
    _report,
)

from dashboard.charts.catalogue import CHARTS
from svcore.definitions import load_definition
from svcore.vocab import LOCATION_TYPES, WEAPONS

pytestmark = pytest.mark.browser

VIEWPORTS = {"1280x800": (1280, 800), "1920x1080": (1920, 1080), "768x1024": (768, 1024)}
ONE_COLUMN = "768x1024"
TWO_COLUMNS_FROM = 1200  # px: assets/style.css, .grid
PAGES = ("/", "/where", "/when", "/how", "/who", "/outcomes", "/factors", "/quality")
MAPS = ("where-map", "where-hotspots")
MAP_MIN_HEIGHT = 600
# A glyph may reach a pixel past its text box's origin ("w" at the start of a title's second
# line): rounding, not clipping.
SLACK = 1.5
DISTRICTS = {
    "E08000032": "Bradford",
    "E08000033": "Calderdale",
    "E08000034": "Kirklees",
    "E08000035": "Leeds",
    "E08000036": "Wakefield",
}
# Served to the page from its own origin, so axe runs under the app's real CSP (script-src
# 'self'): no bypass, and the layout measured is the one people get.
AXE_URL = "/__test__/axe.min.js"
# What the CSP refuses on a page, as the page's own securitypolicyviolation events report it.
_WATCH_CSP = """window.__cspRefused = [];
document.addEventListener('securitypolicyviolation', e => window.__cspRefused.push(
  `${e.violatedDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));"""
# Charts the CSP may leave undrawn: none (plotly's WebGL traces compile code at run time, which
# the CSP refuses; the figures draw SVG only, and this test holds them to it).
CSP_REFUSED_CHARTS: set[str] = set()

# The views of the page (the catalogue's, by id) have all drawn: each chart's title and each
# table, sentence or headline's content; each chart as wide as its card (plotly's responsive
# resize has run); nothing loading.
_VIEWS_DRAWN = """(views) => {
  if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
  for (const [name, kind] of views) {
    const el = document.getElementById(name);
    if (!el) return false;
    if (kind === 'chart') {
      const plot = el.querySelector('.js-plotly-plot');
      const svg = plot && plot.querySelector('.main-svg');
      if (!svg || !plot.querySelector('.gtitle')) return false;
      if (Math.abs(svg.getBoundingClientRect().width - el.clientWidth) > 2) return false;
    } else if (!el.childNodes.length) {
      return false;
    } else if (kind === 'table' && el.querySelector('.table-grid')
               && !el.querySelector('.table-grid .ag-header-cell')) {
      return false;
    }
  }
  return true;
}"""

# Everything the layout checks measure, in one round trip.
_MEASURE = """() => {
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            width: r.width, height: r.height}; };
  const text = el => el.textContent.replace(/\\u200b/g, '').replace(/\\s+/g, ' ').trim();
  const kinds = ['gtitle', 'annotation', 'legend', 'colorbar'];
  const charts = [...document.querySelectorAll('.dash-graph[id]')].map(g => {
    const plot = g.querySelector('.js-plotly-plot');
    const parts = [...plot.querySelectorAll(kinds.map(k => '.' + k).join(', '))]
      .filter(el => el.getBoundingClientRect().width > 0)
      .map(el => ({kind: kinds.find(k => el.classList.contains(k)), text: text(el).slice(0, 60),
                   box: box(el)}));
    return {id: g.id, svg: box(plot.querySelector('.main-svg')), box: box(g), parts,
            note: parts.some(p => p.kind === 'annotation' && p.text.startsWith('Source:')),
            noWebgl: Boolean(g.querySelector('.no-webgl'))};
  });
  const grids = [...document.querySelectorAll('.grid')].map(grid => ({
    width: grid.getBoundingClientRect().width,
    cards: [...grid.children].map(c => ({
      wide: c.classList.contains('span-2'), top: Math.round(c.getBoundingClientRect().top),
      left: Math.round(c.getBoundingClientRect().left), width: c.getBoundingClientRect().width,
      name: (c.querySelector('[id]') || c).id})),
  }));
  return {scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          innerWidth: window.innerWidth, charts, grids, cspRefused: window.__cspRefused};
}"""

# A chart's title as one line: its lines joined, the zero-width spaces plotly adds taken out.
_TITLE = """(id) => {
  const lines = [...document.querySelectorAll(`#${id} .gtitle tspan.line`)];
  return lines.map(l => l.textContent.replace(/\\u200b/g, '')).join(' ').replace(/\\s+/g, ' ');
}"""

# The pixel (in the page) of a category on a chart's axes: a horizontal bar's middle (y: its
# label, x: half its value) or a heatmap cell's centre; from plotly's own axis scales.
_POINT = """([id, x, y]) => {
  const gd = document.querySelector(`#${id} .js-plotly-plot`);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const px = typeof x === 'number' ? xa.l2p(x) : xa.d2p(x);
  return {x: svg.left + xa._offset + px, y: svg.top + ya._offset + ya.d2p(y)};
}"""


def views_of(path: str) -> list[list[str]]:
    return [[s.name, s.kind] for s in CHARTS.values() if s.screen and s.page == path]


def settle(page) -> None:
    """Wait until the page's views have drawn, the network is quiet, and still nothing is
    loading (a callback chained off the first ones can start after a quiet moment)."""
    views = views_of(urlparse(href(page)).path)
    assert views, href(page)
    page.wait_for_function(_VIEWS_DRAWN, arg=views, timeout=60_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    page.wait_for_function(_VIEWS_DRAWN, arg=views, timeout=60_000)


def goto(page, server: str, path: str) -> None:
    """Open ``path``; a page already showing exactly that address is reused."""
    if href(page) != server + path:
        page.goto(server + path)
    settle(page)


def href(page) -> str:
    # Playwright's page.url does not follow history.pushState: ask the page.
    return page.evaluate("location.href")


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(href(page)).query)


def title(page, chart_id: str) -> str:
    return page.evaluate(_TITLE, chart_id)


def filter_bar(page) -> str:
    return page.locator(".filter-bar").inner_text()


@pytest.fixture(scope="module")
def screens(browser, server):
    """One context (and page) per screen size, opened when first asked for."""
    opened: dict[str, tuple] = {}

    def screen(name: str):
        if name not in opened:
            width, height = VIEWPORTS[name]
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route(server + AXE_URL, lambda r: r.fulfill(path=_axe_path()))
            context.add_init_script(_WATCH_CSP)
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda e, page=page: page.errors.append(str(e)))
            opened[name] = (context, page)
        return opened[name][1]

    yield screen
    for context, _page in opened.values():
        context.close()


def _rows(cards: list[dict]) -> list[list[int]]:
    """The rows CSS grid's auto-placement makes of a two-column grid's cards: a span-2 card
    takes a row to itself, the others fill two to a row (a lone card before a span-2 one
    leaves a gap)."""
    rows: list[list[int]] = []
    open_row: list[int] | None = None
    for i, card in enumerate(cards):
        if card["wide"]:
            rows.append([i])
            open_row = None
        elif open_row is not None and len(open_row) == 1:
            open_row.append(i)
            open_row = None
        else:
            open_row = [i]
            rows.append(open_row)
    return rows


def assert_columns(grids: list[dict], two: bool, where: str) -> None:
    assert grids, f"{where}: no .grid"
    for grid in grids:
        cards = grid["cards"]
        names = [c["name"] for c in cards]
        if not two:
            assert len({c["left"] for c in cards}) == 1, (where, names, cards)
            tops = [c["top"] for c in cards]
            assert tops == sorted(set(tops)), (where, names, tops)  # one card a row
            continue
        for row in _rows(cards):
            row_cards = [cards[i] for i in row]
            assert len({c["top"] for c in row_cards}) == 1, (where, names, row_cards)
            if len(row) == 2:
                left, right = row_cards
                assert left["left"] + left["width"] <= right["left"], (where, names, row_cards)
            if cards[row[0]]["wide"]:
                assert cards[row[0]]["width"] >= grid["width"] - 1, (where, names, row_cards)
        tops = [cards[r[0]]["top"] for r in _rows(cards)]
        assert tops == sorted(set(tops)), (where, names, tops)
    assert any(len(r) == 2 for g in grids for r in _rows(g["cards"])), where


def assert_nothing_clipped(charts: list[dict], where: str) -> None:
    assert charts, f"{where}: no charts"
    for chart in charts:
        svg = chart["svg"]
        kinds = {p["kind"] for p in chart["parts"]}
        assert "gtitle" in kinds and chart["note"], (where, chart["id"], chart["parts"])
        for part in chart["parts"]:
            b = part["box"]
            inside = (
                b["left"] >= svg["left"] - SLACK
                and b["right"] <= svg["right"] + SLACK
                and b["top"] >= svg["top"] - SLACK
                and b["bottom"] <= svg["bottom"] + SLACK
            )
            assert inside, f"{where}: {chart['id']} {part['kind']} {part['text']!r} {b} {svg}"


def run_axe(page, server: str) -> list[dict]:
    """axe's serious and critical WCAG 2.2 A/AA violations, less the allowed third-party nodes
    (tests/browser/test_accessibility.py's rules and exceptions)."""
    page.add_script_tag(url=server + AXE_URL)
    found = page.evaluate(_RUN_AXE, [WCAG_TAGS, THIRD_PARTY_ALLOWED])
    kept = []
    for v in found:
        targets = [n["target"] for n in v.pop("nodes") if not n["allowed"]]
        if targets and v["impact"] in FAILING_IMPACTS:
            kept.append({**v, "targets": targets})
    return kept


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("size", VIEWPORTS)
def test_page_fits_the_screen(screens, server, size: str, path: str) -> None:
    page = screens(size)
    page.errors.clear()
    if size == ONE_COLUMN:
        _axe_path()  # fail before the browser work if axe-core was never fetched
    goto(page, server, path)
    where = f"{size} {path}"
    m = page.evaluate(_MEASURE)
    # No horizontal scroll: nothing is wider than the window (less any vertical scroll bar).
    assert m["scrollWidth"] <= m["clientWidth"] <= m["innerWidth"], (where, m["scrollWidth"])
    assert_nothing_clipped(m["charts"], where)
    assert_columns(m["grids"], two=VIEWPORTS[size][0] >= TWO_COLUMNS_FROM, where=where)
    for chart in m["charts"]:
        if chart["id"] in MAPS:
            assert chart["box"]["height"] >= MAP_MIN_HEIGHT, (where, chart["id"], chart["box"])
            assert chart["svg"]["height"] >= MAP_MIN_HEIGHT, (where, chart["id"], chart["svg"])
    if path == "/where":
        assert {c["id"] for c in m["charts"]} >= set(MAPS)
    # Every chart drew (or is the known one), and the CSP refused nothing else.
    refused = {c["id"] for c in m["charts"] if c["noWebgl"]}
    assert refused <= CSP_REFUSED_CHARTS, (where, refused)
    if not refused:
        assert m["cspRefused"] == [], (where, m["cspRefused"])
    assert all(r.startswith("script-src eval ") for r in m["cspRefused"]), m["cspRefused"]
    if size == ONE_COLUMN:
        bad = run_axe(page, server)
        assert not bad, _report(where, bad)
    assert page.errors == [], page.errors


# Bookmarks -------------------------------------------------------------------------------------


def checked(page, name: str) -> str:
    return page.evaluate(
        'name => document.querySelector(`input[name="${name}"]:checked`).value', name
    )


def test_a_bookmarked_map_reopens_as_it_was(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/where?level=lsoa&measure=count")
    for step in ("opened", "reloaded"):
        if step == "reloaded":
            page.reload()
            settle(page)
        assert (checked(page, "where-level"), checked(page, "where-measure")) == ("lsoa", "count")
        assert title(page, "where-map").startswith("Serious violence by LSOA, events"), step
        assert query(page) == {"level": ["lsoa"], "measure": ["count"]}, step


def test_a_bookmarked_factor_reopens_as_it_was(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/factors?factor=imd:income")
    for step in ("opened", "reloaded"):
        if step == "reloaded":
            page.reload()
            settle(page)
        assert page.locator("#factors-choice").inner_text() == "IMD 2019: Income deprivation"
        assert "income deprivation" in title(page, "factors-scatter"), step
        assert query(page) == {"factor": ["imd:income"]}, step


def test_bookmarked_click_filters_show_as_chips_and_in_every_title(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/how?weapon=knife_sharp&day=Friday&hour=22")
    words = (
        f"Weapon or method: {WEAPONS['knife_sharp']}",
        "Day: Friday",
        "Hour: 22:00 to 22:59",
    )
    for step in ("opened", "reloaded"):
        if step == "reloaded":
            page.reload()
            settle(page)
        chips = page.locator(".filter-bar .chip").all_inner_texts()
        assert [c.removesuffix(" ×") for c in chips] == list(words), step
        for name, _kind in views_of("/how"):
            shown = title(page, name)
            assert all(w in shown for w in words), (step, name, shown)
        assert query(page) == {"weapon": ["knife_sharp"], "day": ["Friday"], "hour": ["22"]}


# Click to filter -------------------------------------------------------------------------------


def test_bookmarked_who_filters_show_as_chips_and_a_chip_removes_its_filter(
    screens, server
) -> None:
    page = screens("1920x1080")
    goto(page, server, "/who?age=under25&sex=F")
    chips = page.locator(".filter-bar .chip")
    chips.first.wait_for()
    assert chips.all_inner_texts() == ["Victim under 25 ×", "Victim: female ×"]
    for name, _kind in views_of("/who"):
        if _kind == "chart":
            shown = title(page, name)
            assert "Victim under 25" in shown and "Victim: female" in shown, (name, shown)
    chips.first.click()
    wait_for_query(page, "age", present=False)
    assert query(page) == {"sex": ["F"]}
    page.wait_for_function("() => document.querySelectorAll('.filter-bar .chip').length === 1")
    assert chips.all_inner_texts() == ["Victim: female ×"]
    settle(page)
    assert "Victim under 25" not in title(page, "who-victims")


def biggest_bar(page, chart_id: str) -> tuple[str, float]:
    """The label and value of the longest bar of a horizontal bar chart (the shortest may be
    too thin to click), leaving out "Not recorded", which filters nothing."""
    return page.evaluate(
        """id => {
          const t = document.querySelector(`#${id} .js-plotly-plot`).data[0];
          let best = null;
          t.x.forEach((v, i) => {
            if (t.y[i] !== 'Not recorded' && (best === null || (v || 0) > (t.x[best] || 0))) {
              best = i;
            }
          });
          return [t.y[best], t.x[best]];
        }""",
        chart_id,
    )


def click_bar(page, chart_id: str) -> str:
    label, value = biggest_bar(page, chart_id)
    point = page.evaluate(_POINT, [chart_id, value / 2, label])
    page.mouse.click(point["x"], point["y"])
    return label


def wait_for_query(page, key: str, present: bool = True) -> None:
    page.wait_for_function(
        "([key, present]) => new URLSearchParams(location.search).has(key) === present",
        arg=[key, present],
        timeout=30_000,
    )


def back(page, keys: tuple[str, ...]) -> None:
    """Back: the address loses the click's parameters and the page shows that view again."""
    page.go_back()
    for key in keys:
        wait_for_query(page, key, present=False)
    settle(page)


def test_clicking_a_map_area_filters_by_it_and_back_undoes_it(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/where")
    page.locator("#where-map path.choroplethlocation").first.click(force=True)
    wait_for_query(page, "district")
    (code,) = query(page)["district"]
    district = page.locator("#filter-district")
    page.wait_for_function(
        "name => document.getElementById('filter-district').innerText.includes(name)",
        arg=DISTRICTS[code],
    )
    settle(page)
    assert "by ward" in title(page, "where-map")
    back(page, ("district",))
    assert query(page) == {}
    assert DISTRICTS[code] not in district.inner_text()
    assert "All districts" in district.inner_text()
    assert "by district" in title(page, "where-map")


def test_clicking_an_offence_group_bar_filters_by_it_and_back_undoes_it(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/how")
    label = click_bar(page, "how-offence-group")
    key = next(g.key for g in load_definition("home_office").groups if g.label == label)
    wait_for_query(page, "group")
    assert query(page) == {"group": [key]}
    group = page.locator("#filter-group")
    page.wait_for_function(
        "label => document.getElementById('filter-group').innerText.includes(label)", arg=label
    )
    back(page, ("group",))
    assert query(page) == {}
    assert label not in group.inner_text() and "All serious violence" in group.inner_text()


@pytest.mark.parametrize(
    ("chart_id", "key", "words", "vocab"),
    [
        ("how-weapon", "weapon", "Weapon or method", WEAPONS),
        ("how-location", "location", "Location", LOCATION_TYPES),
    ],
)
def test_clicking_a_bar_sets_a_chip_and_back_undoes_it(
    screens, server, chart_id: str, key: str, words: str, vocab
) -> None:
    page = screens("1920x1080")
    goto(page, server, "/how")
    label = click_bar(page, chart_id)
    code = next(c for c, w in vocab.items() if w == label)
    wait_for_query(page, key)
    assert query(page) == {key: [code]}
    chip = page.locator(".filter-bar .chip")
    chip.wait_for()
    assert chip.all_inner_texts() == [f"{words}: {label} ×"]
    settle(page)
    assert f"{words}: {label}" in title(page, "how-offence-group")
    back(page, (key,))
    assert query(page) == {}
    assert chip.count() == 0
    assert words not in filter_bar(page)


def test_clicking_a_heatmap_cell_sets_day_and_hour_and_back_undoes_it(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/when")
    point = page.evaluate(_POINT, ["when-heatmap", "22:00", "Friday"])
    page.mouse.click(point["x"], point["y"])
    wait_for_query(page, "hour")
    assert query(page) == {"day": ["Friday"], "hour": ["22"]}
    chips = page.locator(".filter-bar .chip")
    chips.first.wait_for()
    assert chips.all_inner_texts() == ["Day: Friday ×", "Hour: 22:00 to 22:59 ×"]
    settle(page)
    assert "Day: Friday; Hour: 22:00 to 22:59" in title(page, "when-monthly")
    back(page, ("day", "hour"))
    assert query(page) == {}
    assert chips.count() == 0
    assert not re.search(r"Day: |Hour: ", filter_bar(page))


def test_the_lsoa_factor_scatter_draws_under_the_csp(screens, server) -> None:
    page = screens("1920x1080")
    goto(page, server, "/factors")
    m = page.evaluate(_MEASURE)
    assert not [c["id"] for c in m["charts"] if c["noWebgl"]]
    assert m["cspRefused"] == []
