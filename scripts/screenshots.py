"""Screenshots of every page for the README: full-page PNGs at 1920x1080 in docs/, and the
overview at 768x1024 (the one-column layout).

    python scripts/screenshots.py                         # builds the demo in a temporary folder
    python scripts/screenshots.py --warehouse /tmp/demo   # or uses one (built there if missing)
    python scripts/screenshots.py --url http://127.0.0.1:8050   # or a dashboard already running

Needs Chromium (/usr/bin/chromium, as the browser tests) and Playwright. The demo is seeded
(seed 7, one year), so the pictures change only when the dashboard does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
# (file name, address) at 1920x1080; the when page with filters, as an analyst would look.
PAGES = (
    ("overview", "/"),
    ("where", "/where"),
    ("when", "/when?district=E08000035&group=knife_sharp"),
    ("how", "/how"),
    ("who", "/who"),
    ("factors", "/factors"),
    ("quality", "/quality"),
)
TABLET = ("overview-tablet", "/", (768, 1024))

# Every graph has drawn its title, every grid its header, and nothing is loading.
_DRAWN = """() => {
  if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
  const graphs = [...document.querySelectorAll('.dash-graph[id]')];
  if (!graphs.length) return false;
  if (!graphs.every(g => g.querySelector('.gtitle'))) return false;
  return [...document.querySelectorAll('.table-grid')].every(
    g => g.querySelector('.ag-header-cell'));
}"""


def serve(warehouse: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "serve",
            "--warehouse",
            str(warehouse),
            "--port",
            str(port),
            "--no-demo",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/assets/style.css", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the dashboard did not start") from None
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the dashboard did not start in 60 s")


def shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = [(name, path, (1920, 1080)) for name, path in PAGES] + [TABLET]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, path, (width, height) in shots:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(url + path)
            for _ in range(2):  # a callback chained off the first ones can start later
                page.wait_for_function(_DRAWN, timeout=120_000)
                page.wait_for_load_state("networkidle", timeout=60_000)
            page.mouse.move(0, 0)  # no hover label
            # plotly's "WebGL is not supported" box, shown when the CSP refuses a WebGL chart.
            refused = page.eval_on_selector_all(
                ".dash-graph:has(.no-webgl)", "els => els.map(e => e.id)"
            )
            if refused:
                print(f"warning: {path}: {', '.join(refused)} not drawn (WebGL refused)")
            target = out / f"screenshot-{name}.png"
            page.screenshot(path=str(target), full_page=True, animations="disabled")
            print(f"{target}: {target.stat().st_size // 1024} KB")
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--warehouse", type=Path, help="a demo warehouse (built if missing)")
    where.add_argument("--url", help="a dashboard already running")
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    if args.url:
        shoot(args.url.rstrip("/"), args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = args.warehouse or Path(tmp) / "demo"
        if not (warehouse / "svdash.toml").exists():
            from etl.demo.build import build_demo

            build_demo(warehouse, seed=7, years=1)
        proc = serve(warehouse, args.port)
        try:
            shoot(f"http://127.0.0.1:{args.port}", args.out)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
