"""WCAG 2.2 AA in a real browser: axe-core on every page once its charts have drawn, and keyboard.

axe-core comes from the npm registry: scripts/test.sh fetches a pinned, integrity-checked copy into
.cache/axe-core/. A missing copy fails the test rather than skipping it, so the check cannot
silently stop running.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / ".cache" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

PAGES = [
    "/",
    "/where",
    "/when",
    "/how",
    "/who",
    "/factors",
    "/quality",
    "/when?district=E08000035&from=2023-01&to=2023-12&group=knife_sharp",
]

# Every dcc.Graph has drawn its SVG, and neither Dash's app loader nor any component is loading.
_SETTLED = """() => {
  const graphs = document.querySelectorAll('.dash-graph');
  if (!graphs.length) return false;
  for (const g of graphs) { if (!g.querySelector('.js-plotly-plot .main-svg')) return false; }
  return !document.querySelector('._dash-loading, [data-dash-is-loading="true"]');
}"""

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


def _axe_path() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/test.sh, which fetches the pinned axe-core "
                    "from the npm registry and checks its integrity")
    return AXE_JS


def _open_settled(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    page.wait_for_function(_SETTLED, timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    # Callbacks chained off the first ones can start after a quiet moment; check again.
    page.wait_for_function(_SETTLED, timeout=30_000)
    return page


def _report(path: str, violations: list[dict]) -> str:
    lines = [f"axe: {len(violations)} serious/critical WCAG violation(s) on {path}"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {t}" for t in v["targets"])
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_wcag_violations(browser, server, path: str) -> None:
    axe = _axe_path()
    page = _open_settled(browser, server + path)
    try:
        page.add_script_tag(path=str(axe))
        violations = page.evaluate(_RUN_AXE, WCAG_TAGS)
    finally:
        page.close()
    bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not bad, _report(path, bad)


def _focused(page) -> dict:
    return page.evaluate("""() => {
      const el = document.activeElement;
      return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className || '',
              href: el.getAttribute('href'), text: (el.innerText || '').trim()};
    }""")


def test_keyboard_skip_link_then_nav_then_main(browser, server) -> None:
    page = _open_settled(browser, server + "/")
    try:
        nav_hrefs = page.eval_on_selector_all(
            "nav .nav-link", "els => els.map(e => e.getAttribute('href'))")
        assert len(nav_hrefs) == 7

        page.keyboard.press("Tab")
        first = _focused(page)
        assert "skip-link" in first["cls"] and first["href"] == "#main", first
        assert page.is_visible(".skip-link")  # shown when focused, not left off-screen
        box = page.locator(".skip-link").bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0

        for href in nav_hrefs:
            page.keyboard.press("Tab")
            now = _focused(page)
            assert "nav-link" in now["cls"] and now["href"] == href, (href, now)

        # Back to the top, and follow the skip link.
        page.focus(".skip-link")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement.id === 'main'", timeout=5_000)
        assert _focused(page)["tag"] == "main"
    finally:
        page.close()
