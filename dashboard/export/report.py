"""The Strategic Needs Assessment pack: Word, PDF and workbook, for the partnership and each
district, from one run.

``build_reports`` asks the chart catalogue for the views the screen shows, for one calendar
year (compared with the year before), and writes for each pack:

- ``sna-<year>.docx``: title page (partnership, year, definition, data as at, protective
  marking, version), a contents field with page numbers, an executive summary of findings
  written from the views (``dashboard.export.findings``), the profile sections
  (``dashboard.export.sections``), recommendations for the partnership to write, method,
  glossary and a manifest; numbered captions, alt text, readable headings, page numbers and
  the marking in every header and footer (``dashboard.export.word``);
- ``sna-<year>.pdf`` beside it, made by LibreOffice (``dashboard.export.pdf``), whose layout
  gives the contents its page numbers;
- ``sna-<year>-data.xlsx``: the data behind every figure and table, a sheet each, with a
  contents sheet, the findings, notes and the manifest; the formula guard applies there only;
- ``figures/`` (PNG and SVG) and ``manifest.json`` (snapshot, files loaded with their SHA-256,
  definition, settings, tool version).

Nothing in a pack depends on the clock, so the same warehouse and arguments give the same text
and the same workbook values.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from dashboard.analysis.disproportionality import METHOD as RRI_METHOD
from dashboard.analysis.places import PERSISTENCE_METHOD
from dashboard.analysis.stats import EVIDENCE_METHOD
from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS, Chart, build
from dashboard.charts.request import Request, make_request
from dashboard.components import MISSING, TABLE_FORMAT
from dashboard.data import WarehouseSource
from dashboard.export import images, word
from dashboard.export.findings import Finding, findings
from dashboard.export.findings import frame as findings_frame
from dashboard.export.pdf import convert, heading_pages
from dashboard.export.sections import (
    GLOSSARY,
    HISTORY,
    INTRODUCTION,
    RECOMMENDATIONS,
    SECTIONS,
    Section,
)
from dashboard.export.tables import formula_safe
from dashboard.figures import title_of
from dashboard.filters import parse_filters
from dashboard.queries.overview import latest_month
from dashboard.queries.quality import files_in_snapshot
from etl.vintage import METHOD as VINTAGE_METHOD
from svcore.definitions import definition_text
from svcore.disclosure import rule_for, stricter, tier_for
from svcore.vocab import SOURCES

SUMMARY_VIEWS = (
    "overview-headline",
    "overview-year-on-year",
    "where-district-change",
    "where-hotspots",
    "where-persistent-table",
    "when-nte",
    "who-rri-victims-table",
    "who-rri-suspects-table",
    "who-rates-age-sex",
    "outcomes-groups",
    "outcomes-oocd-share",
    "where-gap",
    "factors-ranked",
    "factors-risk-index-table",
)
# A finding read off a view the pack does not show points at the one that shows its numbers.
SHOWN_AS = {
    "overview-headline": "overview-year-on-year",
    "when-nte": "when-heatmap",  # a sentence of the heatmap's published cells
}
DANGLING = {
    "a",
    "an",
    "and",
    "against",
    "at",
    "by",
    "each",
    "for",
    "in",
    "of",
    "on",
    "or",
    "per",
    "the",
    "to",
    "with",
}
WORD_ROWS = 20  # rows of a table in the document (the workbook holds them all)
HOTSPOT_METHOD = (
    "Hot spots are Getis-Ord Gi* on LSOA rates with 8 nearest neighbours (PySAL esda), with "
    "two-sided p-values from its z-score, as GIS hot spot tools give them. Correlations are "
    "across areas (ecological) and do not describe individuals."
)


@dataclass
class Item:
    """One view placed in a pack: a figure, a table or a sentence."""

    view: str
    chart: Chart
    kind: str  # "figure", "table", "sentence" or "empty"
    number: int = 0
    title: str = ""
    png: Path | None = None
    sheet: str = ""  # its data's sheet in the workbook

    @property
    def label(self) -> str:
        return f"{'Figure' if self.kind == 'figure' else 'Table'} {self.number}"


@dataclass
class Pack:
    """One document's plan: its request, its views in order, its findings, then its files."""

    year: int
    out_dir: Path
    area: str
    req: Request
    history: Request
    marking: str
    sections: list[tuple[Section, list[Item]]] = field(default_factory=list)
    views: dict[str, Chart] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    jobs: list[images.Job] = field(default_factory=list)  # figures to render
    pages: dict[str, str] = field(default_factory=dict)  # bookmark -> page, from the layout
    entries: list[tuple[int, str, str]] = field(default_factory=list)  # contents: level, text, mark
    docx: Path | None = None
    draft: Path | None = None  # the layout pass's document

    def items(self) -> list[Item]:
        return [i for _, items in self.sections for i in items if i.kind in ("figure", "table")]

    def refs(self) -> dict[str, str]:
        refs = {i.view: i.label for i in self.items()}
        return refs | {k: refs[v] for k, v in SHOWN_AS.items() if v in refs}


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
    pdf: bool = True,
) -> Path:
    """The partnership's pack (or the chosen districts' together): its docx path."""
    return build_reports(
        warehouse, year, out_dir, definition, districts, False, progress, viewer, tier, pdf
    )[0]


def build_reports(
    warehouse: Path,
    year: int,
    out_dir: Path,
    definition: str | None = None,
    districts: tuple[str, ...] = (),
    each_district: bool = False,
    progress: Callable[[str], None] | None = None,
    viewer: Viewer | None = None,
    tier: str | None = None,
    pdf: bool = True,
    partnership: bool = True,
) -> list[Path]:
    """Write the packs and return their docx paths: the partnership's (all districts, or the
    chosen ones) in ``out_dir`` unless ``partnership`` is False, and with ``each_district``
    one more a district in ``out_dir/<district code>``.

    Every number comes from a catalogue view, published by ``tier`` (default: the settings'
    ``publication`` tier, whoever builds the pack) and never looser than the viewer's own; a
    viewer who may not open the data-quality page (a duty holder) gets packs without the
    partnership-wide quality views, and district packs only for their own districts."""
    say = progress or (lambda _m: None)
    source = WarehouseSource(Path(warehouse), pinned=True)  # one state for every pack
    settings = source.settings()
    viewer = viewer or Viewer(getpass.getuser(), "admin")  # the command line runs as admin
    tier = tier or tier_for(settings, "publication")
    if viewer.role not in ("admin", "analyst"):
        tier = stricter(tier, tier_for(settings, viewer.role))
    marking = (
        settings.report_public_marking
        if tier == tier_for(settings, "publication")
        else settings.report_marking
    )
    out_dir = Path(out_dir)
    chosen = districts or (viewer.scope or ())
    plans: list[tuple[tuple[str, ...], Path]] = []
    if partnership:
        plans.append((tuple(districts), out_dir))
    if each_district:
        for code in chosen or settings.districts:
            if viewer.scope is None or code in viewer.scope:
                plans.append(((code,), out_dir / code))
    if not plans:
        raise ValueError("no pack to build: no district in your scope was chosen")

    packs: list[Pack] = []
    with tempfile.TemporaryDirectory(prefix="svdash-layout-") as tmp, images.Renderer() as renderer:
        blank = images.placeholder(Path(tmp) / "blank.png")
        for chosen_districts, folder in plans:
            req = make_request(
                source,
                _year_filters(year, definition, chosen_districts, settings.definition),
                viewer,
                tier=tier,
                restricted=False,
            )  # calendar years, the chosen districts
            history = req.with_filters(req.filters.with_(date_from=None, date_to=f"{year}-12"))
            area = ", ".join(req.names.get(d, d) for d in chosen_districts) or settings.area_name
            pack = Pack(year, folder, area, req, history, marking)
            say(f"views: {area}")
            _plan(pack, viewer, svg=folder == out_dir)
            renderer.submit(pack.jobs)  # rendered while the next pack's views are built
            if pdf:
                # The layout pass's document: a blank of each figure's size where it goes.
                pack.draft = Path(tmp) / f"draft-{len(packs)}.docx"
                _write(pack, source, settings, viewer, pack.draft, picture=lambda _item: blank)
            packs.append(pack)
        layout = None
        if pdf:
            # LibreOffice lays the drafts out while the figures finish; its bookmarks give
            # the page of every heading, for the contents.
            layout = ThreadPoolExecutor(1).submit(convert, [p.draft for p in packs])
        say("figures")
        renderer.wait()
        if layout is not None:
            for pack, draft in zip(packs, layout.result(), strict=True):
                pack.pages = _pages(pack, heading_pages(draft))
    say("documents")
    for pack in packs:
        pack.docx = pack.out_dir / f"sna-{year}.docx"
        _write(pack, source, settings, viewer, pack.docx, picture=lambda item: item.png)
        _workbook(pack, source, settings)
    if pdf:
        say("PDF")
        convert([p.docx for p in packs], processes=2)
    return [p.docx for p in packs]


# ---- the plan: every view built once, numbered in order ----------------------------------------


def _plan(pack: Pack, viewer: Viewer, svg: bool = True) -> None:
    """Build every view of the pack once, number its figures and tables in order, read the
    findings off them, and list the images to render (PNG for Word; SVG too if ``svg``)."""
    counters = {"figure": 0, "table": 0}
    for section in SECTIONS:
        items: list[Item] = []
        if section.quality and not viewer.may_open("/quality"):
            pack.sections.append((section, items))
            continue
        for name, options in section.views:
            if name.startswith("quality-") and not viewer.may_open("/quality"):
                continue
            req = pack.history if name in HISTORY else pack.req
            opts = {**options, "embed": "1"} if "embed" in CHARTS[name].options else options
            chart = build(name, req, **opts)
            pack.views[name] = chart
            if chart.kind == "sentence":
                items.append(Item(name, chart, "sentence"))
            elif chart.data.empty:
                items.append(Item(name, chart, "empty"))
            else:
                kind = "figure" if chart.figure is not None else "table"
                counters[kind] += 1
                title = (
                    title_of(chart.figure) or CHARTS[name].title
                    if kind == "figure"
                    else chart.meta.get("table", {}).get("caption") or CHARTS[name].title
                )
                items.append(Item(name, chart, kind, counters[kind], title))
        pack.sections.append((section, items))
    for name in SUMMARY_VIEWS:  # the summary's views not shown as such (the headline)
        if name not in pack.views:
            pack.views[name] = build(name, pack.history if name in HISTORY else pack.req)
    used = {"contents", "notes", "findings", "files loaded"}
    for item in pack.items():
        prefix = f"{'Fig' if item.kind == 'figure' else 'Tab'} {item.number:02d}"
        item.sheet = _sheet_name(prefix, item.title, used)
    refs = pack.refs()
    groups = {g.key: g.label for g in pack.req.definition.groups}
    pack.findings = [f for f in findings(pack.views, pack.year, groups) if f.view in refs]
    figures = pack.out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for item in pack.items():
        if item.kind == "figure":
            stem = figures / f"figure-{item.number:02d}-{item.view}"
            item.png = stem.with_suffix(".png")
            pack.jobs.append((item.chart.figure, item.png, "png"))
            if svg:
                pack.jobs.append((item.chart.figure, stem.with_suffix(".svg"), "svg"))


# ---- the Word document --------------------------------------------------------------------------


def _write(
    pack: Pack,
    source: WarehouseSource,
    settings,
    viewer: Viewer,
    path: Path,
    picture: Callable[[Item], Path],
) -> None:
    """The Word document at ``path``, each figure's image from ``picture`` (the layout pass
    gives a blank of the same size); the contents' page numbers are ``pack.pages``."""
    from docx import Document
    from docx.shared import Cm, Pt

    req, year = pack.req, pack.year
    doc = Document()
    doc.core_properties.title = f"Serious violence Strategic Needs Assessment {year}: {pack.area}"
    doc.core_properties.author = settings.area_name
    doc.core_properties.keywords = pack.marking
    doc.core_properties.revision = 1
    short = f"Serious violence SNA {year}: {pack.area}"
    word.page_furniture(doc, pack.marking, short)
    entries: list[tuple[int, str, str]] = []

    def heading(text: str, level: int = 1):
        p = doc.add_heading(text, level=level)
        mark = word.BOOKMARK.format(len(entries) + 1)
        word.bookmark(p, mark, len(entries) + 1)
        entries.append((level, text, mark))
        return p

    # Title page.
    title = doc.add_paragraph(style="Title")
    title.add_run(f"Serious violence: Strategic Needs Assessment {year}")
    doc.add_paragraph(pack.area, style="Subtitle")
    as_at = _data_as_at(pack)
    for key, value in (
        ("Partnership", settings.area_name),
        ("Area", pack.area),
        ("Period", f"January to December {year}, compared with {year - 1}"),
        ("Definition", req.definition.title),
        ("Data as at", as_at),
        ("Snapshot", source.snapshot_id()),
        ("Protective marking", pack.marking),
        ("Version", settings.report_version),
        ("Disclosure control", f"{req.tier} tier: {req.rule.note()}"),
    ):
        p = doc.add_paragraph()
        p.add_run(f"{key}: ").bold = True
        p.add_run(value)
    doc.add_page_break()

    # Contents: filled with page numbers from the PDF's layout (dashboard.export.pdf).
    contents = doc.add_paragraph("Contents", style="TOC Heading")
    contents.paragraph_format.space_after = Pt(12)
    doc.add_page_break()

    number = iter(range(1, 100))
    refs = pack.refs()

    # Executive summary.
    heading(f"{next(number)}. Executive summary")
    doc.add_paragraph(
        f"This is the {year} strategic needs assessment of serious violence for {pack.area}. "
        "The key findings below are read from the figures and tables that follow; each names "
        "the one it comes from."
    )
    heading("Key findings", 2)
    for f in pack.findings:
        doc.add_paragraph(f"{f.text} ({refs[f.view]})", style="List Bullet")
    if not pack.findings:
        doc.add_paragraph("Too little data is held for the year to state findings.")

    heading(f"{next(number)}. Introduction and scope")
    for text in INTRODUCTION:
        doc.add_paragraph(text)
    doc.add_paragraph(f"Definition: {req.definition.title}. {req.definition.description}")

    for section, items in pack.sections:
        heading(f"{next(number)}. {section.title}")
        doc.add_paragraph(section.intro)
        opening = [f for f in pack.findings if f.section == section.key]
        if section.key == "sources":
            opening = [f for f in pack.findings if f.section in ("overview", "sources")]
        for f in opening:
            doc.add_paragraph(f"{f.text} ({refs[f.view]})")
        if section.key == "quality":
            _gaps(doc, pack)
        if section.quality and not items:
            doc.add_paragraph(
                "The partnership-wide data-quality figures are not part of a pack for one "
                "district's duty holder; the partnership's analysts hold them."
            )
        for item in items:
            if item.kind == "sentence":
                doc.add_paragraph(item.chart.text)
            elif item.kind == "empty":
                doc.add_paragraph(f"No data for {CHARTS[item.view].title.lower()} in {year}.")
            elif item.kind == "figure":
                doc.add_picture(str(picture(item)), width=Cm(16))
                word.keep_with_next(doc.paragraphs[-1])
                word.set_alt_text(doc.inline_shapes[-1], item.chart.alt)
                word.add_caption(doc, "Figure", item.number, item.title)
            else:
                _table(doc, item)

    heading(f"{next(number)}. Recommendations")
    for text in RECOMMENDATIONS:
        doc.add_paragraph(text, style="List Number" if text.startswith("Recommendation") else None)

    heading(f"{next(number)}. Methodology and definitions")
    doc.add_paragraph(f"Definition: {req.definition.title}. {req.definition.description}")
    groups = pd.DataFrame(
        [
            {
                "Offence group": g.label,
                "Key": g.key,
                "Feeds": ", ".join(SOURCES[s] for s in sorted(g.sources())),
            }
            for g in req.definition.groups
        ]
    )
    _plain_table(doc, "Offence groups of the definition", groups)
    heading("Suppression statement", 2)
    for src, text in suppression_statement(settings, req.tier):
        doc.add_paragraph(f"{src}: {text}", style="List Bullet")
    doc.add_paragraph(
        "Rates are per 1,000 residents a year (ONS mid-year estimates). " + HOTSPOT_METHOD
    )
    for text in (
        PERSISTENCE_METHOD,
        EVIDENCE_METHOD,
        pack.views["factors-risk-method"].text,
        VINTAGE_METHOD,
        RRI_METHOD.format(min=rule_for(settings, "police", req.tier).min_events_for_rate),
    ):
        doc.add_paragraph(text)

    heading(f"{next(number)}. Glossary")
    _plain_table(doc, "Terms used", pd.DataFrame(GLOSSARY, columns=["Term", "Meaning"]))

    heading(f"{next(number)}. Manifest")
    manifest = _manifest(pack, source, settings)
    doc.add_paragraph(
        "What this pack was made from, so that it can be made again: the same snapshot, "
        "definition and settings give the same text and numbers."
    )
    for key in ("snapshot", "tool_version", "definition", "definition_sha256", "tier"):
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{key.replace('_', ' ').capitalize()}: ").bold = True
        p.add_run(str(manifest[key]))
    _plain_table(
        doc,
        "Files loaded into the snapshot",
        pd.DataFrame(manifest["files"])[["feed", "file_name", "loaded_at", "file_sha256"]].rename(
            columns={
                "feed": "Feed",
                "file_name": "File",
                "loaded_at": "Loaded",
                "file_sha256": "SHA-256",
            }
        ),
        small=True,
    )
    _plain_table(
        doc,
        "Key findings and the views they are read from",
        findings_frame(pack.findings, refs)[["Finding", "View", "In the pack"]],
    )

    # The contents, now that every heading is known (page numbers: from the layout pass).
    paragraphs = word.add_contents(
        doc, [(lvl, text, mark, pack.pages.get(mark, "")) for lvl, text, mark in entries]
    )
    anchor = contents._p
    for p in paragraphs:  # moved from the end to just below the "Contents" heading
        anchor.addnext(p._p)
        anchor = p._p
    pack.entries = entries
    if not pack.pages:
        word.update_fields_on_open(doc)  # no PDF made: Word fills the pages when opened
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    (path.parent / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _data_as_at(pack: Pack) -> str:
    latest = latest_month(
        pack.req.con, pack.req.filters.with_(source="police", date_from=None, date_to=None)
    )
    month = pd.Period(latest, "M").strftime("%B %Y") if latest else "no police data"
    return f"police data to the end of {month}"


def _gaps(doc, pack: Pack) -> None:
    """Sources with no data for the year: the first data gap a reader needs to know."""
    rows = pack.views["overview-year-on-year"].data.to_dict("records")
    missing = [r["Source"] for r in rows if r["This period"] == 0]
    if missing:
        doc.add_paragraph(
            f"No data for {pack.year} was loaded from: {', '.join(missing)}. Their sections say "
            "so rather than show empty charts.",
            style="List Bullet",
        )
    else:
        doc.add_paragraph(f"Every source holds data for {pack.year}.", style="List Bullet")
    doc.add_paragraph(
        "A&E data records no ethnicity, and partner feeds carry no address: victims' and "
        "places' detail is limited to what each feed records.",
        style="List Bullet",
    )


def suppression_statement(settings, tier: str) -> list[tuple[str, str]]:
    """Each source's own disclosure rule on the pack's tier, in words (police hides 1 to 4,
    A&E 1 to 7 by default: each says its own)."""
    return [(SOURCES[src], rule_for(settings, src, tier).note()) for src in SOURCES]


def readable(item: Item) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table view's data under its on-screen headings: as text for Word (the view's own
    number formats) and as values for the workbook."""
    meta = item.chart.meta.get("table", {})
    columns = meta.get("columns") or [(c, c) for c in item.chart.data.columns]
    formats = meta.get("formats", {})
    data = item.chart.data[[c for c, _ in columns if c in item.chart.data]]
    text = data.copy().astype(object)
    for col in text.columns:
        spec = formats.get(col)
        text[col] = [_cell(v, spec) for v in data[col]]
    heads = dict(columns)
    return text.rename(columns=heads), data.rename(columns=heads)


def _cell(value: object, spec: str | None = None) -> str:
    """A cell as Word shows it: as the screen's table does (``components``: the view's own
    number format, "–" for an empty cell, the disclosure marker as it is)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if isinstance(value, str | bool):
        return str(value)
    if spec and isinstance(value, int | float) and TABLE_FORMAT.fullmatch(spec):
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(doc, item: Item) -> None:
    """A table view; a long one shows its first ``WORD_ROWS`` rows (ranked views: the top
    ones) and says where the rest are: a board reads the top, an analyst the workbook."""
    text, _ = readable(item)
    _plain_table(doc, item.title, text.head(WORD_ROWS), number=item.number)
    if len(text) > WORD_ROWS:
        doc.add_paragraph(
            f"The first {WORD_ROWS} of {len(text)} rows; all are in the workbook, sheet "
            f"\u201c{item.sheet}\u201d."
        )


def _plain_table(
    doc, title: str, frame: pd.DataFrame, number: int | None = None, small: bool = False
):
    """A captioned table: header row repeated and read as one, rows that do not split."""
    from docx.shared import Pt

    caption = (
        word.add_caption(doc, "Table", number, title)
        if number is not None
        else doc.add_paragraph(title, style="Caption")
    )
    word.keep_with_next(caption)
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in frame.itertuples(index=False):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value if isinstance(value, str) else _cell(value)
    word.hold_rows(table)
    if small:
        for row in table.rows:
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(7)
    return table


# ---- the manifest and the workbook ---------------------------------------------------------------


def _manifest(pack: Pack, source: WarehouseSource, settings) -> dict:
    req = pack.req
    try:
        version = metadata.version("svdash")
    except metadata.PackageNotFoundError:
        version = "unknown"
    files = files_in_snapshot(req.con).astype(object).where(lambda f: f.notna(), None)
    return {
        "title": f"Serious violence Strategic Needs Assessment {pack.year}",
        "area": pack.area,
        "year": pack.year,
        "districts": list(req.filters.districts or settings.districts),
        "snapshot": source.snapshot_id(),
        "tool_version": version,
        "definition": req.definition.title,
        "definition_file": Path(req.filters.definition).name,
        "definition_sha256": hashlib.sha256(
            definition_text(req.filters.definition).encode("utf-8")
        ).hexdigest(),
        "tier": req.tier,
        "marking": pack.marking,
        "settings": {
            "suppress_below": settings.suppress_below,
            "suppress_below_by_source": settings.suppress_below_by_source,
            "min_events_for_rate": settings.min_events_for_rate,
            "rounding": settings.rounding,
            "tiers": settings.tiers,
            "year": settings.year,
            "risk_weights": settings.risk_weights,
            "report_version": settings.report_version,
        },
        "files": files.to_dict("records"),
        "findings": [{"text": f.text, "view": f.view} for f in pack.findings],
    }


def _sheet_name(prefix: str, title: str, used: set[str]) -> str:
    """ "Fig 03 Serious violence by ward": Excel's 31 characters, cut between words (the
    sheet's first row and the contents sheet give the whole title); the number keeps it
    unique."""
    words = re.sub(r"[\[\]:*?/\\,;]", "", title).split()
    name = prefix
    for w in words:
        if len(name) + 1 + len(w) > 31:
            break
        name += " " + w
    while name.rsplit(" ", 1)[-1].lower() in DANGLING and len(name) > len(prefix):
        name = name.rsplit(" ", 1)[0]  # not "... violence by"
    n = 2
    base = name
    while name.lower() in used:
        name = f"{base[:26].rstrip()} ({n})"
        n += 1
    used.add(name.lower())
    return name


def _workbook(pack: Pack, source: WarehouseSource, settings) -> Path:
    """The data behind every figure and table: a sheet each, named "Fig 03 ..." or "Tab 02
    ...", a contents sheet linking them, the findings, notes and the files loaded."""
    path = pack.out_dir / f"sna-{pack.year}-data.xlsx"
    sheets: list[tuple[str, Item, pd.DataFrame]] = []
    for item in pack.items():
        data = readable(item)[1] if item.kind == "table" else item.chart.data
        sheets.append((item.sheet, item, data))
    contents = pd.DataFrame(
        [
            {
                "Sheet": name,
                "In the pack": item.label,
                "Title": item.title,
                "Section": next(s.title for s, items in pack.sections if item in items),
                "View": item.view,
            }
            for name, item, _ in sheets
        ]
    )
    req = pack.req
    notes = pd.DataFrame(
        {
            "Note": [
                f"Serious violence Strategic Needs Assessment {pack.year}: {pack.area}",
                f"Protective marking: {pack.marking}",
                f"Definition: {req.definition.title}",
                f"Period: January to December {pack.year}, compared with {pack.year - 1}",
                f"Data as at: {_data_as_at(pack)}; snapshot {source.snapshot_id()}",
                *[f"{s}: {t}" for s, t in suppression_statement(settings, req.tier)],
                "Cells that could be read as spreadsheet formulas start with an apostrophe.",
            ]
        }
    )
    files = files_in_snapshot(req.con)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        contents.to_excel(xl, sheet_name="Contents", index=False)
        formula_safe(findings_frame(pack.findings, pack.refs())).to_excel(
            xl, sheet_name="Findings", index=False
        )
        for name, item, data in sheets:
            formula_safe(data).to_excel(xl, sheet_name=name, index=False, startrow=2)
            xl.book[name].cell(row=1, column=1).value = f"{item.label}: {item.title}"
        formula_safe(notes).to_excel(xl, sheet_name="Notes", index=False)
        formula_safe(files).to_excel(xl, sheet_name="Files loaded", index=False)
        book = xl.book
        sheet = book["Contents"]
        for row, (name, _item, _data) in enumerate(sheets, start=2):
            cell = sheet.cell(row=row, column=1)
            cell.hyperlink = f"#'{name}'!A1"
            cell.style = "Hyperlink"
    return path


# ---- the contents' page numbers, from the layout pass --------------------------------------------


def _pages(pack: Pack, outline: list[tuple[str, int]]) -> dict[str, str]:
    """Each heading's bookmark to the page LibreOffice put it on: the outline's entries
    matched to the headings in order (a title may repeat, e.g. "Key findings")."""
    out: dict[str, str] = {}
    at = 0
    for _level, text, mark in pack.entries:
        for i in range(at, len(outline)):
            if outline[i][0] == text:
                out[mark], at = str(outline[i][1]), i + 1
                break
    return out
