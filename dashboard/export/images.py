"""Many figures to PNG or SVG at once, for the report packs: kaleido in parallel processes.

One kaleido server renders one figure at a time (its browser tabs share one renderer), about
0.2 s each; six packs hold some 230 figures. Kaleido is started without MathJax: by default it
loads MathJax from a CDN, and offline (as a partnership's server often is) one render in
twenty or so then stalls for 5 s (no chart here typesets TeX). So the figures are shared between worker
processes, each with its own kaleido server and browser, one a core. This module imports
nothing of the dashboard: a worker starts in a second, not in the time the catalogue takes.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
WIDTH, HEIGHT = 1100, 620
PNG_SCALE = 2  # a chart exported on its own: 2200 px across
# In the packs: 1650 px across 16 cm of A4 (260 dpi, print resolution), a third less for
# LibreOffice to compress into the PDF than at 2.
PACK_PNG_SCALE = 1.5
# Fewer figures than this are not worth starting a second browser for.
PARALLEL_FROM = 12

Job = tuple[dict, Path, str]  # (plotly figure dict, file, "png" or "svg")


def topojson_url() -> str:
    """plotly's topojson from ``assets/``, so maps render offline."""
    return (ASSETS / "topojson").as_uri() + "/"


def _spec(figure: dict, out: Path, fmt: str, scale: float | None = None) -> dict:
    return {
        # The dict as it is: the figure functions carry their template (as on screen), so
        # plotly's validation (``go.Figure``, up to 0.8 s for a map of every LSOA) adds nothing.
        "fig": figure,
        "path": str(out),
        "opts": {
            "format": fmt,
            "width": WIDTH,
            "height": HEIGHT,
            "scale": scale if scale is not None else (PACK_PNG_SCALE if fmt == "png" else 1),
        },
        "topojson": topojson_url(),
    }


def _render(jobs: list[Job]) -> None:
    """In this process: a kaleido server for the batch, the figures one after another (its
    one tab renders one at a time anyway), then the server stopped. A first blank render
    waits for the tab's page to be ready."""
    import kaleido

    kaleido.start_sync_server(silence_warnings=True, mathjax=False)
    try:
        _warm_up()
        for job in jobs:
            _one(job)
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def _not_ready(exc: BaseException) -> bool:
    """Kaleido answers before its tab has loaded its page, now and then, just after start."""
    return "kaleido_scopes is not defined" in str(exc)


def _warm_up() -> None:
    """A blank render, repeated until the tab's page has loaded (at most about 10 s)."""
    import time

    import kaleido

    for attempt in range(40):
        try:
            kaleido.calc_fig_sync(
                {"data": [], "layout": {}}, opts={"format": "png", "width": 10, "height": 10}
            )
            return
        except Exception as exc:  # noqa: BLE001 - kaleido's JavascriptError, not exported
            if not _not_ready(exc) or attempt == 39:
                raise
            time.sleep(0.25)


def _one(job: Job) -> None:
    import kaleido

    try:
        kaleido.write_fig_from_object_sync(_spec(*job), cancel_on_error=True)
    except Exception as exc:  # noqa: BLE001
        if not _not_ready(exc):
            raise
        _warm_up()
        kaleido.write_fig_from_object_sync(_spec(*job), cancel_on_error=True)


def _start_worker() -> None:
    """A worker process's kaleido server, for its life (stopped, with its browser, at exit)."""
    import atexit

    import kaleido

    kaleido.start_sync_server(silence_warnings=True, mathjax=False)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _warm_up()


def _render_in_worker(jobs: list[Job]) -> None:
    for job in jobs:
        _one(job)


class Renderer:
    """Worker processes that render batches as they are handed in, while the caller goes on
    (the report builds the next pack's views while this pack's figures render)::

        with Renderer() as r:
            r.submit(jobs)
            ...
        # every job rendered (an error in any is raised on leaving)
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list = []

    def __enter__(self) -> Renderer:
        return self

    def submit(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        if self.workers < 2:
            _render(jobs)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_start_worker
            )
        # Largest first, dealt round: the map figures (embedded boundaries) take longest.
        ordered = sorted(jobs, key=lambda j: -len(str(j[0].get("data", ""))))
        for i in range(self.workers):
            if ordered[i :: self.workers]:
                chunk = ordered[i :: self.workers]
                self._futures.append(self._pool.submit(_render_in_worker, chunk))

    def wait(self) -> None:
        try:
            for done in self._futures:
                done.result()
        finally:
            self._futures = []

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)


def render(jobs: list[Job], workers: int | None = None) -> None:
    """Render every job; in ``workers`` processes (default: one a core, at most 4) when there
    are enough of them. An error in any (no browser, a bad figure) is raised here."""
    with Renderer(workers if len(jobs) >= PARALLEL_FROM else 1) as renderer:
        renderer.submit(jobs)


def placeholder(out: Path) -> Path:
    """A blank PNG of the figures' shape (110 x 62 pixels, one grey): the layout pass of a
    pack puts it where each figure goes, the same size on the page, so LibreOffice lays the
    pages out in a second without decoding the real images."""
    import struct
    import zlib

    width, height = WIDTH // 10, HEIGHT // 10

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xee" * width for _ in range(height))  # 8-bit grey
    out.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return out
