"""Writing a catalogue chart to a file: PNG/SVG through kaleido, its data as CSV/XLSX.

The figure is the one on screen (same catalogue, same request), with the GeoJSON embedded
instead of a URL and plotly's topojson read from ``assets/`` so maps render offline.
"""

from __future__ import annotations

from pathlib import Path

import plotly.io as pio

from dashboard.charts.catalogue import CHARTS, Chart, build
from dashboard.charts.request import Request
from dashboard.export.images import HEIGHT, PNG_SCALE, WIDTH, topojson_url
from dashboard.export.tables import write_table
from dashboard.figures import Figure, source_note_of, title_of

IMAGE_FORMATS = ("png", "svg")
DATA_FORMATS = ("csv", "xlsx")


def _offline_topojson() -> None:
    pio.defaults.topojson = topojson_url()


def chart_notes(chart: Chart, req: Request) -> list[tuple[str, str]]:
    if chart.figure is None:  # a table, headline or sentence: its rule and filters
        return [
            ("View", CHARTS[chart.name].title),
            ("Filters", req.filters.describe(req.names)),
            ("Definition", req.definition.title),
            ("Suppression", f"{req.rule.note()} ({req.tier} tier)"),
            ("Text", chart.text or chart.meta.get("table", {}).get("caption", "")),
        ]
    return [
        ("Chart", title_of(chart.figure) or chart.name),
        ("Filters", req.filters.describe(req.names)),
        ("Definition", req.definition.title),
        ("Source and suppression", source_note_of(chart.figure)),
        ("Text alternative", chart.alt),
    ]


def export_chart(name: str, req: Request, fmt: str, out: Path, **options: str) -> Path:
    if fmt not in IMAGE_FORMATS + DATA_FORMATS:
        raise ValueError(f"--format must be one of {', '.join(IMAGE_FORMATS + DATA_FORMATS)}")
    if fmt in IMAGE_FORMATS and CHARTS[name].kind != "chart":
        raise ValueError(f"{name} is a {CHARTS[name].kind}, not a chart: export it as csv or xlsx")
    if fmt in IMAGE_FORMATS and "embed" in CHARTS[name].options:
        options = {**options, "embed": "1"}
    chart = build(name, req, **options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in DATA_FORMATS:
        return write_table(chart.data, out, fmt, chart_notes(chart, req))
    _offline_topojson()
    write_image(chart.figure, out, fmt)
    return out


def write_image(figure: Figure, out: Path, fmt: str) -> None:
    """PNG (at twice the size, for print) or SVG through kaleido. The figure dict is validated
    here (``pio.write_image`` builds a ``go.Figure`` from it): the export path is not hot."""
    pio.write_image(
        figure, out, format=fmt, width=WIDTH, height=HEIGHT, scale=PNG_SCALE if fmt == "png" else 1
    )
