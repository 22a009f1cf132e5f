"""PNG and SVG need Chrome or Chromium (kaleido drives one): is there one, did kaleido fail for
want of one, and what to tell the user."""

from __future__ import annotations

import os


def browser_found() -> bool:
    """Whether kaleido will find Chrome or Chromium: its own lookup (its download folder,
    $BROWSER_PATH, PATH, the usual install paths), and the executable must be there.

    Asked before PNG/SVG work starts: the report's kaleido server fails in a thread, and the
    pack would wait for it."""
    try:
        from choreographer.browsers.chromium import Chromium

        path = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - a changed kaleido: let kaleido itself say
        return True
    return bool(path) and os.access(path, os.X_OK)


def missing_browser(exc: BaseException | None) -> bool:
    """Whether kaleido failed because it found no Chrome or Chromium (plotly re-raises
    kaleido's ChromeNotFoundError as a RuntimeError)."""
    while exc is not None:
        if type(exc).__name__ == "ChromeNotFoundError" or "requires Google Chrome" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def browser_help(what: str) -> str:
    """``what`` needs a browser: how to install one, and which exports work without."""
    browser_path = os.environ.get("BROWSER_PATH")
    told = f" (BROWSER_PATH is {browser_path!r})" if browser_path else ""
    return (
        f"{what} needs Chrome or Chromium, and kaleido found none{told}. Install one:\n"
        "  Debian/Ubuntu:          sudo apt-get install chromium\n"
        "  with internet access:   kaleido_get_chrome   (or plotly_get_chrome)\n"
        "or point BROWSER_PATH at a Chrome/Chromium executable. Without a browser these still "
        "work: `svdash export chart NAME --format csv|xlsx` (the chart's data) and "
        "`svdash export table`."
    )
