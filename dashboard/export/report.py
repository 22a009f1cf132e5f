"""The Strategic Needs Assessment report pack: one command, one Word document, reproducible.

``build_report`` asks the chart catalogue for the same charts the screen shows, for one year
(and the year before, for comparisons), writes each figure as PNG and SVG, every table into one
workbook, and a Word document with a contents page, a section per SNA theme, numbered and
captioned figures and tables (with alt text and header rows), and the suppression statement.
The same warehouse and arguments give the same text: nothing in it depends on the clock.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.io as pio

from dashboard.analysis.disproportionality import METHOD as RRI_METHOD
from dashboard.analysis.places import PERSISTENCE_METHOD
from dashboard.analysis.stats import EVIDENCE_METHOD
from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, Chart, build
from dashboard.charts.request import make_request
from dashboard.data import WarehouseSource
from dashboard.export.charts import ASSETS, write_image
from dashboard.export.tables import formula_safe
from dashboard.figures import title_of
from dashboard.filters import parse_filters
from etl.vintage import METHOD as VINTAGE_METHOD
from svcore.disclosure import SUPPRESSED, rule_for, stricter, tier_for
from svcore.vocab import SOURCES

# (section title, intro, [(chart name, options)])
SECTIONS: tuple[tuple[str, str, tuple[tuple[str, dict], ...]], ...] = (
    (
        "Where",
        "Where serious violence happens: rates by area, hotspots and the hospital gap.",
        (
            ("where-map", {"level": "ward"}),
            ("where-hotspots", {}),
            ("where-persistent-hotspots", {}),
            ("where-persistent-table", {}),
            ("where-location-types", {}),
            ("where-repeat-locations", {}),
            ("where-gap", {"level": "district"}),
        ),
    ),
    (
        "When",
        "Time of day and week, months, seasons, and police beside A&E.",
        (("when-heatmap", {}), ("when-seasonality", {}), ("when-police-ae", {})),
    ),
    (
        "How",
        "Offence groups, weapons, places and domestic abuse.",
        (
            ("how-offence-group", {}),
            ("how-weapon", {}),
            ("how-location", {}),
            ("how-domestic-abuse", {}),
            ("how-relationship", {}),
        ),
    ),
    (
        "Who",
        "Victims, suspects and the probation and youth-justice cohorts.",
        (
            ("who-victims", {}),
            ("who-suspects", {}),
            ("who-victim-rates-ethnicity", {}),
            ("who-rri-victims", {}),
            ("who-rri-suspects", {}),
            ("who-rates-age-sex", {}),
            ("who-probation-risk", {}),
            ("who-youth-age", {}),
        ),
    ),
    (
        "Justice outcomes",
        "What happened to recorded serious violence: charges, out-of-court disposals and the "
        "other outcomes of the Home Office outcomes framework, with 95% intervals.",
        (
            ("outcomes-groups", {}),
            ("outcomes-trend", {}),
            ("outcomes-by-offence", {}),
            ("outcomes-rri-suspect-ethnicity", {}),
            ("outcomes-youth", {}),
        ),
    ),
    (
        "Influential factors",
        "How violence goes with deprivation and other area factors, and the area risk index.",
        (
            ("factors-deciles", {}),
            ("factors-scatter", {"factor": "imd:imd"}),
            ("factors-risk-method", {}),
            ("factors-risk-index-map", {}),
            ("factors-risk-quadrants", {}),
            ("factors-risk-index-table", {}),
        ),
    ),
)
# Views that look back over every year held up to the report's year (persistence needs years).
HISTORY = {
    "where-persistent-hotspots",
    "where-persistent-table",
    "where-location-types",
    "where-repeat-locations",
}


@dataclass
class Pack:
    out_dir: Path
    figures: list[tuple[str, Path]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


def _year_filters(year: int, definition: str | None, districts: tuple[str, ...], default: str):
    query: dict[str, list[str]] = {
        "from": [f"{year}-01"],
        "to": [f"{year}-12"],
        "definition": [definition or default],
    }
    if districts:
        query["district"] = list(districts)
    filters = parse_filters(query, default_definition=definition or default)
    if filters.messages:
        raise ValueError(" ".join(filters.messages))
    return filters


def build_report(
    warehouse: Path,
    year: int,
    out_dir: Path,
    definition: str | None = None,
    districts: tuple[str, ...] = (),
    progress: Callable[[str], None] | None = None,
    viewer: Viewer | None = None,
    tier: str | None = None,
) -> Path:
    """Write ``sna-<year>.docx``, ``figures/`` (PNG and SVG) and ``sna-<year>-tables.xlsx``.

    Every number comes from a catalogue view, published by ``tier`` (default: the settings'
    ``publication`` tier, whoever builds the pack); a viewer who may not open the data-quality
    page (a duty holder) gets a pack without its partnership-wide quality section."""
    import kaleido
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    say = progress or (lambda _m: None)
    source = WarehouseSource(Path(warehouse), pinned=True)  # one state for the whole pack
    settings = source.settings()
    viewer = viewer or Viewer(getpass.getuser(), "admin")  # the command line runs as admin
    tier = tier or tier_for(settings, "publication")
    if viewer.role not in ("admin", "analyst"):  # never looser than the viewer's own tier
        tier = stricter(tier, tier_for(settings, viewer.role))
    req = make_request(
        source,
        _year_filters(year, definition, districts, settings.definition),
        viewer,
        tier=tier,
        restricted=False,
    )  # calendar years, chosen districts
    history = req.with_filters(req.filters.with_(date_from=None, date_to=f"{year}-12"))
    out_dir = Path(out_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    pack = Pack(out_dir)
    pio.defaults.topojson = (ASSETS / "topojson").as_uri() + "/"
    kaleido.start_sync_server()
    area = ", ".join(req.names.get(d, d) for d in districts) or settings.area_name

    doc = Document()
    doc.core_properties.title = f"Strategic Needs Assessment {year}: serious violence"
    doc.core_properties.author = settings.area_name
    doc.add_heading(f"Serious violence: Strategic Needs Assessment {year}", level=0)
    doc.add_paragraph(
        f"{area}. Definition: {req.definition.title}. Period: January to December "
        f"{year}, compared with {year - 1}."
    )
    doc.add_heading("Contents", level=1)
    themes = [
        "Overview",
        *[s[0] for s in SECTIONS],
        "Data sources and quality",
        "Methodology and definitions",
    ]
    for i, theme in enumerate(themes, start=1):
        doc.add_paragraph(f"{i}. {theme}")
    doc.add_page_break()
    counters = {"figure": 0, "table": 0}

    def add_table(title: str, frame: pd.DataFrame) -> None:
        counters["table"] += 1
        n = counters["table"]
        caption = doc.add_paragraph(f"Table {n}: {title}", style="Caption")
        caption.alignment = WD_ALIGN_PARAGRAPH.LEFT
        # Word shows values as they are; the formula guard belongs to the workbook only.
        safe = frame.reset_index(drop=True)
        table = doc.add_table(rows=1, cols=len(safe.columns))
        table.style = "Table Grid"
        header = table.rows[0]
        _repeat_header(header)
        for cell, name in zip(header.cells, safe.columns, strict=True):
            cell.text = str(name)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in safe.itertuples(index=False):
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = _cell(value)
        pack.tables.append((f"T{n} {title}"[:31], frame))

    def add_chart(chart: Chart) -> None:
        counters["figure"] += 1
        n = counters["figure"]
        stem = f"figure-{n:02d}-{chart.name}"
        png, svg = out_dir / "figures" / f"{stem}.png", out_dir / "figures" / f"{stem}.svg"
        write_image(chart.figure, png, "png")
        write_image(chart.figure, svg, "svg")
        doc.add_picture(str(png), width=Cm(16))
        _set_alt_text(doc.inline_shapes[-1], chart.alt)
        title = title_of(chart.figure) or chart.name
        doc.add_paragraph(f"Figure {n}: {title}", style="Caption")
        pack.figures.append((title, png))

    say("overview")
    doc.add_heading("1. Overview", level=1)
    totals = build("overview-year-on-year", req).data.rename(
        columns={"This period": "This year", "A year earlier": "Previous year"}
    )
    doc.add_paragraph(
        f"Serious violence recorded by each partner in {year} and {year - 1}. Sources count "
        "different things and are not added together."
    )
    add_table(f"Serious violence by source, {year} and {year - 1}", totals)
    missing = [r["Source"] for r in totals.to_dict("records") if r["This year"] == 0]
    if missing:
        doc.add_paragraph(
            f"No data for {year} was loaded from: {', '.join(missing)}. Their "
            "sections below say so rather than show empty charts."
        )
    add_chart(build("overview-trend", req))

    for i, (theme, intro, charts) in enumerate(SECTIONS, start=2):
        say(theme.lower())
        doc.add_heading(f"{i}. {theme}", level=1)
        doc.add_paragraph(intro)
        for name, options in charts:
            chart = build(
                name,
                history if name in HISTORY else req,
                **({**options, "embed": "1"} if "embed" in CHARTS[name].options else options),
            )
            if chart.kind == "sentence":
                doc.add_paragraph(chart.text)
                continue
            if chart.data.empty:
                doc.add_paragraph(f"No data for {name.replace('-', ' ')} in {year}.")
                continue
            if chart.figure is None:
                add_table(chart.meta["table"]["caption"], _headed(chart))
                continue
            add_chart(chart)
            if name == "where-gap":
                add_table(
                    "A&E assault attendances and police violence with injury by district",
                    chart.data[["area_name", "health", "police", "per_100"]].rename(
                        columns={
                            "area_name": "District",
                            "health": "A&E attendances",
                            "police": "Police violence with injury",
                            "per_100": "A&E per 100 police records",
                        }
                    ),
                )
        if theme == "Who":
            for who in ("victims", "suspects"):
                view = build(f"who-rri-{who}-table", req)
                add_table(view.meta["table"]["caption"], _headed(view))
        if theme == "Justice outcomes":
            add_table("Out-of-court disposals", _headed(build("outcomes-oocd-share", req), True))
            rri = build("outcomes-rri-table", req)
            add_table(rri.meta["table"]["caption"], _headed(rri, True))
        if theme == "Influential factors":
            add_table(
                "Area factors ranked by the strength of the evidence for their correlation "
                "with the violence rate",
                _headed(build("factors-ranked", req)),
            )

    say("data quality")
    n = len(SECTIONS) + 2
    doc.add_heading(f"{n}. Data sources and quality", level=1)
    if viewer.may_open("/quality"):
        add_chart(build("quality-coverage", req))
        add_table(
            "Completeness of key fields, all rows held", _headed(build("quality-completeness", req))
        )
    else:
        doc.add_paragraph(
            "The partnership-wide data-quality figures are not part of a pack "
            "for one district's duty holder; the partnership's analysts hold them."
        )

    say("methodology")
    doc.add_heading(f"{n + 1}. Methodology and definitions", level=1)
    doc.add_paragraph(f"Definition: {req.definition.title}. {req.definition.description}")
    add_table(
        "Offence groups of the definition",
        pd.DataFrame(
            [
                {"Group": g.label, "Key": g.key, "Feeds": ", ".join(sorted(g.sources()))}
                for g in req.definition.groups
            ]
        ),
    )
    doc.add_heading("Suppression statement", level=2)
    for src in ("police", "health"):
        doc.add_paragraph(
            f"{SOURCES[src]}: {rule_for(settings, src, tier).note()}", style="List Bullet"
        )
    doc.add_paragraph(
        "Rates are per 1,000 residents a year (ONS mid-year estimates). Hotspots are Getis-Ord "
        "Gi* on LSOA rates with 8 nearest neighbours (PySAL esda), with two-sided p-values from "
        "its z-score, as GIS hot spot tools give them. "
        "Correlations are across areas (ecological) and do not describe individuals."
    )
    doc.add_paragraph(PERSISTENCE_METHOD)
    doc.add_paragraph(EVIDENCE_METHOD)
    doc.add_paragraph(build("factors-risk-method", req).text)
    doc.add_paragraph(VINTAGE_METHOD)
    doc.add_paragraph(RRI_METHOD.format(min=rule_for(settings, "police", tier).min_events_for_rate))
    kaleido.stop_sync_server()

    doc_path = out_dir / f"sna-{year}.docx"
    doc.save(doc_path)
    with pd.ExcelWriter(out_dir / f"sna-{year}-tables.xlsx", engine="openpyxl") as xl:
        pd.DataFrame(
            {
                "Note": [
                    doc.core_properties.title,
                    rule_for(settings, None, tier).note(),
                    f"Definition: {req.definition.title}",
                    f"Area: {area}",
                ]
            }
        ).to_excel(xl, sheet_name="Notes", index=False)
        for name, frame in pack.tables:
            formula_safe(frame).to_excel(xl, sheet_name=_sheet(name), index=False)
    return doc_path


def _headed(view: Chart, percents: bool = False) -> pd.DataFrame:
    """A table view's data under its readable column headings (as on screen); ``percents``
    writes the columns the view formats as percentages as "12.3%"."""
    columns = view.meta["table"]["columns"]
    data = view.data[[c for c, _ in columns]].copy()
    if percents:
        for col, spec in view.meta["table"]["formats"].items():
            if spec.endswith("%") and col in data:
                data[col] = [None if pd.isna(v) else format(v, spec) for v in data[col]]
    return data.rename(columns=dict(columns))


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value) if value != SUPPRESSED else SUPPRESSED


def _sheet(name: str) -> str:
    return "".join(c for c in name if c not in "[]:*?/\\")[:31]


def _repeat_header(row) -> None:
    """Mark the first row as a header row (repeats across pages; read as headers)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _set_alt_text(shape, text: str) -> None:
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
    doc_pr.set("title", text[:100])
