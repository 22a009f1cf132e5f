"""The SNA report pack from the demo warehouse, opened as a report author and a board would:
its structure and Word furniture, the findings and where they come from, the PDF beside it,
the workbook, the manifest, district packs, and the same text on a second run."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from dashboard.auth import Viewer
from dashboard.charts.catalogue import CHARTS
from dashboard.export.report import WORD_ROWS, build_report, build_reports
from dashboard.export.word import TOC_INSTRUCTION, field_instructions
from svcore.config import read_settings
from svcore.disclosure import rule_for, tier_for
from svcore.vocab import SOURCES

pytestmark = pytest.mark.slow

YEAR = 2021  # the demo's one year: 2020 is not in it
SECTIONS = (
    "Executive summary",
    "Introduction and scope",
    "Data sources and coverage",
    "Where",
    "When",
    "How",
    "Who",
    "Justice outcomes and disproportionality",
    "Influential factors and the area risk index",
    "Hidden violence",
    "Data gaps and quality",
    "Recommendations",
    "Methodology and definitions",
    "Glossary",
    "Manifest",
)
# Columns of small whole numbers that count no events or people.
NOT_COUNTS = {
    "Areas with a rate",
    "Rank",
    "Rank in the year",
    "Years a significant hot spot",
    "Years tested",
    "Finding",
}


def text_of(path: Path, contents: bool = True) -> list[str]:
    doc = Document(str(path))
    out = [p.text for p in doc.paragraphs if contents or not p.style.name.startswith("toc ")]
    for table in doc.tables:
        out += [c.text for row in table.rows for c in row.cells]
    return out


def headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]


@pytest.fixture(scope="module")
def pack(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(demo_warehouse, YEAR, tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def doc(pack: Path):
    return Document(str(pack))


def test_every_section_in_order_with_numbered_captions_and_alt_text(pack: Path, doc) -> None:
    tops = [h for h in headings(doc) if re.match(r"\d+\. ", h)]
    for i, (want, got) in enumerate(zip(SECTIONS, tops, strict=True), start=1):
        assert got.startswith(f"{i}. {want}"), (want, got)
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    figures = [c for c in captions if c.startswith("Figure ")]
    tables = [c for c in captions if c.startswith("Table ")]
    assert len(figures) == len(doc.inline_shapes) >= 25
    assert [int(re.match(r"Figure (\d+):", c).group(1)) for c in figures] == list(
        range(1, len(figures) + 1)
    )
    assert len(captions) == len(figures) + len(doc.tables)  # every table has its caption
    assert [int(re.match(r"Table (\d+):", c).group(1)) for c in tables] == list(
        range(1, len(tables) + 1)
    )
    instructions = field_instructions(doc)
    assert sum(i.startswith("SEQ Figure") for i in instructions) == len(figures)
    for shape in doc.inline_shapes:
        assert len(shape._inline.docPr.get("descr", "")) > 20
    numbered = doc.tables[: len(tables)]  # the views' tables (then method, glossary, manifest)
    assert all(len(t.rows) <= WORD_ROWS + 1 for t in numbered)  # the rest is in the workbook
    for table in doc.tables:
        assert "w:tblHeader" in table.rows[0]._tr.xml
        assert all("w:cantSplit" in row._tr.xml for row in table.rows)  # no row breaks
    figs = list((pack.parent / "figures").iterdir())
    assert len([f for f in figs if f.suffix == ".png"]) == len(figures)
    assert len([f for f in figs if f.suffix == ".svg"]) == len(figures)
    # The themes the old pack missed: ethnicity, probation offence, youth repeat offending.
    titles = " ".join(captions).lower()
    for theme in ("ethnic", "index offence", "offences per child"):
        assert theme in titles, theme


def test_contents_page_numbers_and_marking_are_word_fields(pack: Path, doc) -> None:
    instructions = field_instructions(doc)
    assert TOC_INSTRUCTION in instructions
    assert "PAGE" in instructions and "NUMPAGES" in instructions
    for section in doc.sections:
        assert "OFFICIAL" in section.header.paragraphs[0].text  # the publication tier's
        assert "OFFICIAL" in "\n".join(p.text for p in section.footer.paragraphs)
    entries = [p for p in doc.paragraphs if p.style.name.startswith("toc ")]
    assert [e.text.split("\t")[0] for e in entries] == headings(doc)
    pages = [int(e.text.split("\t")[1]) for e in entries]  # filled from the PDF's layout
    assert pages == sorted(pages) and pages[0] >= 3  # after the title and contents pages


def test_the_executive_summary_has_findings_each_traceable_to_a_view(pack: Path, doc) -> None:
    paragraphs = doc.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text == "Key findings")
    bullets = []
    for p in paragraphs[start + 1 :]:
        if p.style.name.startswith("Heading"):
            break
        bullets.append(p.text)
    assert len(bullets) >= 5, bullets
    captions = {
        re.match(r"(Figure|Table) \d+", p.text).group(0)
        for p in paragraphs
        if p.style.name == "Caption" and re.match(r"(Figure|Table) \d+", p.text)
    }
    manifest = json.loads((pack.parent / "manifest.json").read_text())
    assert [f["text"] for f in manifest["findings"]] == [
        re.sub(r" \((Figure|Table) \d+\)$", "", b) for b in bullets
    ]
    for bullet, finding in zip(bullets, manifest["findings"], strict=True):
        ref = re.search(r"\(((?:Figure|Table) \d+)\)$", bullet)
        assert ref and ref.group(1) in captions, bullet  # points at a figure or table shown
        assert finding["view"] in CHARTS
    views = {f["view"] for f in manifest["findings"]}
    assert {"where-hotspots", "who-rri-victims-table", "where-gap", "when-nte"} <= views
    assert any("night" in b for b in bullets)


def test_no_formula_guard_raw_headers_or_small_counts_in_word(doc) -> None:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for text in [p.text for p in doc.paragraphs] + cells:
        assert not re.search(r"'[+\-=@\d]", text), text  # the workbook's guard, not Word's
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        for name in header:
            assert name[:1].isupper() or name[:1].isdigit(), header  # "Pearson r", not "r"
            assert "_" not in name, header
        for row in table.rows[1:]:
            for name, cell in zip(header, row.cells, strict=True):
                if name in NOT_COUNTS:
                    continue
                assert not re.fullmatch(r"[1-4]", cell.text.strip()), (header, name, cell.text)


def test_no_two_figures_are_the_same_image(doc) -> None:
    digests = []
    for shape in doc.inline_shapes:
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        digests.append(hashlib.sha256(doc.part.related_parts[rid].blob).hexdigest())
    assert len(digests) == len(set(digests))


def test_the_suppression_statement_is_each_sources_own_rule(demo_warehouse: Path, doc) -> None:
    settings = read_settings(demo_warehouse)
    tier = tier_for(settings, "publication")
    text = [p.text for p in doc.paragraphs]
    for source, name in SOURCES.items():
        assert f"{name}: {rule_for(settings, source, tier).note()}" in text
    police = rule_for(settings, "police", tier).note()
    health = rule_for(settings, "health", tier).note()
    assert "under 5" in police and "under 8" in health  # 1 to 4, and A&E's 1 to 7


def test_the_pdf_has_the_documents_headings_on_the_contents_pages(pack: Path, doc) -> None:
    pdf = pack.with_suffix(".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert re.search(r"Tagged:\s+yes", info.stdout)  # tagged for accessibility
    assert re.search(r"Page size:.*\(A4\)", info.stdout)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    assert len([t for t in text if t.strip()]) == pages
    entries = [p.text.split("\t") for p in doc.paragraphs if p.style.name.startswith("toc ")]
    for title, page in entries:
        on_page = re.sub(r"\s+", " ", text[int(page) - 1])
        assert title in on_page, (title, page)  # the heading is on the page the contents gives
    assert "OFFICIAL" in text[0] and f"Page 1 of {pages}" in re.sub(r"\s+", " ", text[0])


def test_the_workbook_holds_the_data_of_every_figure_and_table(pack: Path, doc) -> None:
    book = load_workbook(pack.parent / f"sna-{YEAR}-data.xlsx", read_only=True)
    names = book.sheetnames
    assert names[:2] == ["Contents", "Findings"] and "Notes" in names and "Files loaded" in names
    assert len({n.lower() for n in names}) == len(names) and all(len(n) <= 31 for n in names)
    contents = list(book["Contents"].values)[1:]
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    numbered = [c for c in captions if re.match(r"(Figure|Table) \d+:", c)]
    assert [row[1] for row in contents] == [c.split(":")[0] for c in numbered] or len(
        contents
    ) == len(numbered)
    assert {row[0] for row in contents} <= set(names)
    assert all(row[4] in CHARTS for row in contents)  # the view each sheet's data comes from
    for row in contents:
        values = list(book[row[0]].values)
        assert values[0][0] == f"{row[1]}: {row[2]}"  # the whole title above the data
        assert len(values) >= 4, row  # title, a blank row, headings and data
        assert not row[0].lower().endswith((" by", " of", " and")), row[0]  # cut between words
        for line in values[1:]:
            for v in line:
                assert not (isinstance(v, str) and v[:1] in "=+-@" and v[1:2].isdigit()), v


def test_the_manifest_names_the_snapshot_files_and_tool(pack: Path, doc) -> None:
    manifest = json.loads((pack.parent / "manifest.json").read_text())
    assert manifest["snapshot"].startswith("catalog-")
    assert manifest["tool_version"] and manifest["definition_sha256"]
    assert manifest["files"] and all(
        re.fullmatch(r"[0-9a-f]{64}", f["file_sha256"]) for f in manifest["files"]
    )
    text = "\n".join(text_of(pack))
    assert manifest["snapshot"] in text and manifest["files"][0]["file_sha256"] in text


def test_a_second_run_gives_the_same_text_and_workbook(
    pack: Path, demo_warehouse: Path, tmp_path: Path
) -> None:
    again = build_report(demo_warehouse, YEAR, tmp_path, pdf=False)
    assert text_of(again, contents=False) == text_of(pack, contents=False)

    def values(path: Path) -> dict:
        book = load_workbook(path, read_only=True)
        return {name: list(book[name].values) for name in book.sheetnames}

    assert values(tmp_path / f"sna-{YEAR}-data.xlsx") == values(
        pack.parent / f"sna-{YEAR}-data.xlsx"
    )
    # Without a PDF nothing measured the pages: Word is asked to fill them when it opens.
    assert "w:updateFields" in Document(str(again)).settings.element.xml


def test_a_duty_holder_gets_their_districts_packs_only(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    duty = Viewer("dee", "duty_holder", ("E08000033",))
    docs = build_reports(
        demo_warehouse,
        YEAR,
        tmp_path,
        each_district=True,
        partnership=False,
        viewer=duty,
        pdf=False,
    )
    assert docs == [tmp_path / "E08000033" / f"sna-{YEAR}.docx"]
    doc = Document(str(docs[0]))
    assert "Calderdale" in doc.core_properties.title
    assert "OFFICIAL" in doc.sections[0].header.paragraphs[0].text
    text = "\n".join(text_of(docs[0]))
    assert "not part of a pack for one district's duty holder" in text
    with pytest.raises(ValueError, match="no pack"):
        build_reports(
            demo_warehouse,
            YEAR,
            tmp_path / "other",
            districts=("E08000035",),
            each_district=True,
            partnership=False,
            viewer=duty,
            pdf=False,
        )


def test_the_pack_holds_persistent_places_and_the_risk_index(pack: Path) -> None:
    text = "\n".join(text_of(pack))
    assert "an LSOA counts a year when it is a hot spot at 95% confidence" in text
    assert "Area risk index: each indicator is standardised" in text
    assert "Ranked by the strength of the evidence" in text
    captions = [p.text for p in Document(str(pack)).paragraphs if p.style.name == "Caption"]
    assert any("Persistent hot spots" in c for c in captions)
    assert any("highest risk index" in c for c in captions)
