"""Micro-benchmark: what each chart's figure costs a callback, as a plain dict and as go.Figure.

    python bench/figures.py [--warehouse DIR] [--query QS] [--repeat 15] [--before REV]

Every catalogue chart is built on the demo warehouse (query results cached, as in a callback
after the first) and encoded to JSON as Dash does (``plotly.io.json.to_json_plotly``, orjson):

- **dict**: the figure functions as they are (plain ``{"data", "layout"}`` dicts);
- **go.Figure(dict)**: the same dict handed to ``go.Figure`` first (what validating it costs,
  as a plain plotly app pays);
- **before** (with ``--before REV``, e.g. the commit before issue 14): the figure functions of
  that revision (``go.Figure`` built trace by trace), read from git and swapped into the
  catalogue for the run.

Median milliseconds per chart are printed: the whole build plus encoding (the callback's work
with its query results cached), and the figure function alone plus encoding (its frames
recorded from one build); nothing is asserted. Without
``--warehouse`` a one-year demo warehouse is built once in ``/tmp/svdash-bench/figures-demo``.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if not __package__:  # python bench/figures.py: make the project importable
    sys.path.insert(0, str(ROOT))

FIGURE_MODULES = ("__init__", "bars", "coverage", "heatmap", "maps", "pyramid", "scatter", "trend")
# The figure functions the catalogue calls, by the module that defines them.
CATALOGUE_FIGURES = {
    "bars": ("breakdown_figure", "grouped_bars_figure", "rate_bars_figure"),
    "coverage": ("coverage_figure",),
    "heatmap": ("hour_weekday_figure",),
    "maps": ("choropleth_figure", "hotspot_figure"),
    "pyramid": ("pyramid_figure",),
    "scatter": ("factor_scatter_figure",),
    "trend": ("seasonality_figure", "trend_figure"),
}


DISTRICT_LAYERS = ("districts", "district_geojson", "bounds")  # map arguments added since


def demo_warehouse(workdir: Path) -> Path:
    """A one-year demo warehouse, built once (about 10 to 45 s) and reused."""
    warehouse = workdir / "warehouse"
    if not (warehouse / "svdash.toml").exists():
        from etl.demo.build import build_demo

        print(f"building the demo warehouse in {warehouse} ...", flush=True)
        build_demo(warehouse, seed=7, years=1)
    return warehouse


def figures_at(rev: str) -> dict[str, Callable]:
    """The catalogue's figure functions as they were at ``rev``, imported from a copy of that
    revision's ``dashboard/figures`` (renamed so it sits beside today's)."""
    package = Path(tempfile.mkdtemp(prefix="svdash-figures-")) / "figures_before"
    package.mkdir()
    for module in FIGURE_MODULES:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:dashboard/figures/{module}.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        text = text.replace("from dashboard.figures import", "from figures_before import")
        text = text.replace("from dashboard.figures.", "from figures_before.")
        (package / f"{module}.py").write_text(text)
    sys.path.insert(0, str(package.parent))
    return {
        name: getattr(importlib.import_module(f"figures_before.{module}"), name)
        for module, names in CATALOGUE_FIGURES.items()
        for name in names
    }


@contextmanager
def swapped(functions: dict[str, Callable]) -> Iterator[None]:
    """The catalogue drawing with other figure functions (and without the district layers,
    which older map functions do not take)."""
    from dashboard.charts import catalogue

    patches = [mock.patch.object(catalogue, name, fn) for name, fn in functions.items()]
    patches.append(mock.patch.object(catalogue, "district_layers", lambda *a, **k: {}))
    for p in patches:
        p.start()
    try:
        yield
    finally:
        for p in reversed(patches):
            p.stop()


def figure_call(name: str, build_chart: Callable[[], object]) -> tuple[str, tuple, dict]:
    """The figure function a chart's build calls and its arguments (the frames it draws)."""
    from dashboard.charts import catalogue

    calls: list[tuple[str, tuple, dict]] = []

    def recorder(fn_name: str) -> Callable:
        real = getattr(catalogue, fn_name)

        def record(*args, **kwargs):
            calls.append((fn_name, args, kwargs))
            return real(*args, **kwargs)

        return record

    names = [n for group in CATALOGUE_FIGURES.values() for n in group]
    with mock.patch.multiple(catalogue, **{n: recorder(n) for n in names}):
        build_chart()
    return calls[-1]


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm: query results into the cache, imports done
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/svdash-bench/figures-demo"))
    parser.add_argument("--query", default="district=E08000035", help="filters, as in the URL")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--before", metavar="REV", help="also time the figures of this revision")
    args = parser.parse_args(argv)
    if args.warehouse is None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("SVDASH_KEY_FILE", str(args.workdir / "pseudonymisation.key"))
        args.warehouse = demo_warehouse(args.workdir)

    import plotly.graph_objects as go
    from plotly.io.json import to_json_plotly

    from dashboard.auth import Viewer
    from dashboard.charts.catalogue import CHARTS, build
    from dashboard.charts.request import make_request
    from dashboard.data import WarehouseSource
    from dashboard.filters import parse_filters

    source = WarehouseSource(args.warehouse)
    filters = parse_filters(args.query)
    viewer = Viewer(getpass.getuser(), "admin")
    before = figures_at(args.before) if args.before else None

    def callback(name: str, wrap: bool = False) -> Callable[[], str]:
        def run() -> str:
            fig = build(name, make_request(source, filters, viewer)).figure
            return to_json_plotly(go.Figure(fig) if wrap else fig)

        return run

    def figure_only(fn: Callable, call_args: tuple, kwargs: dict) -> Callable[[], str]:
        return lambda: to_json_plotly(fn(*call_args, **kwargs))

    names = sorted(n for n, s in CHARTS.items() if s.kind == "chart")
    cols = ["build+encode", "figure+encode", "go.Figure(dict)"]
    if before:
        cols += ["before: build", "before: figure", "figure ratio"]
    print(f"{args.warehouse}, filters {args.query!r}, median ms of {args.repeat}")
    print(f"{'chart':24}" + "".join(f"{c:>16}" for c in cols))
    totals = [0.0] * len(cols)
    for name in names:
        fn_name, call_args, kwargs = figure_call(name, callback(name))
        fn = getattr(sys.modules["dashboard.charts.catalogue"], fn_name)
        row = [
            median_ms(callback(name), args.repeat),
            median_ms(figure_only(fn, call_args, kwargs), args.repeat),
            median_ms(callback(name, wrap=True), args.repeat),
        ]
        if before:
            with swapped(before):
                row.append(median_ms(callback(name), args.repeat))
            old_kwargs = {k: v for k, v in kwargs.items() if k not in DISTRICT_LAYERS}
            row.append(median_ms(figure_only(before[fn_name], call_args, old_kwargs), args.repeat))
            row.append(row[4] / row[1])
        totals = [t + r for t, r in zip(totals, row, strict=True)]
        print(f"{name:24}" + "".join(f"{v:16.2f}" for v in row), flush=True)
    if before:
        totals[5] = totals[4] / totals[1]
    print(f"{'all charts':24}" + "".join(f"{v:16.1f}" for v in totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
