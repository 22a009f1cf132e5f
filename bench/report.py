"""Time to build the SNA report pack for one year of the demo warehouse.

    python bench/report.py [--warehouse data/warehouse] [--year 2025] [--runs 2]

Prints the wall time of each run, the number of figures and tables, and the sizes written.
There is no pandas baseline for a Word document; the figure that matters is "under a minute".
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from dashboard.export.report import build_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse"))
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)  # kaleido: "kopts ignored with a server"
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            doc = build_report(args.warehouse, args.year, Path(tmp))
            seconds = time.perf_counter() - started
            figures = list((Path(tmp) / "figures").glob("*.png"))
            size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
            print(
                f"run {run}: {seconds:5.1f} s  {len(figures)} figures (PNG+SVG), "
                f"{doc.stat().st_size / 1e6:.1f} MB docx, {size / 1e6:.1f} MB in all"
            )


if __name__ == "__main__":
    main()
