"""Time to build the SNA report packs for one year of the demo warehouse, with their PDFs.

    python bench/report.py [--warehouse data/warehouse] [--year 2025] [--runs 1]

Two builds a run: the partnership's pack alone, then the partnership's and one a district
(``svdash report --each-district``). Prints the wall time of each, with where it went (views,
figures, documents, PDF), the packs, figures, pages and sizes written, and writes
``bench/results/report.json``. There is no pandas baseline for a Word document: the figures
that matter are the issue's, under 60 s for the partnership's pack and under 90 s for all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from dashboard.export.pdf import page_count
from dashboard.export.report import build_reports

RESULTS = Path(__file__).resolve().parent / "results"


def one(warehouse: Path, year: int, each: bool) -> dict:
    steps: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        docs = build_reports(
            warehouse,
            year,
            Path(tmp),
            each_district=each,
            progress=lambda step: steps.append((step, time.perf_counter() - started)),
        )
        seconds = time.perf_counter() - started
        files = [f for f in Path(tmp).rglob("*") if f.is_file()]
        out = {
            "packs": len(docs),
            "seconds": round(seconds, 1),
            "figures_png": sum(f.suffix == ".png" for f in files),
            "figures_svg": sum(f.suffix == ".svg" for f in files),
            "pdf_pages": [page_count(d.with_suffix(".pdf")) for d in docs],
            "megabytes": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        }
    # Time from each step's start to the next (the views of every pack are one step).
    marks = steps + [("end", seconds)]
    phases: dict[str, float] = {}
    for (name, at), (_, nxt) in zip(marks, marks[1:], strict=False):
        key = name.split(":")[0]
        phases[key] = round(phases.get(key, 0.0) + nxt - at, 1)
    out["phases_s"] = phases
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse"))
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = []
    for run in range(1, args.runs + 1):
        for each in (False, True):
            result = one(args.warehouse, args.year, each) | {"run": run, "each_district": each}
            runs.append(result)
            what = "partnership + each district" if each else "partnership only"
            print(
                f"run {run} {what}: {result['seconds']:5.1f} s, {result['packs']} packs, "
                f"{result['figures_png']} PNG + {result['figures_svg']} SVG, "
                f"PDF pages {result['pdf_pages']}, {result['megabytes']} MB; {result['phases_s']}"
            )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(
        json.dumps(
            {
                "warehouse": str(args.warehouse),
                "year": args.year,
                "runs": runs,
                "load_average": os.getloadavg(),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "commit": commit,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
