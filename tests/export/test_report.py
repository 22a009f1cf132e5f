"""The SNA report pack from the demo warehouse: structure, captions, alt text, suppression,
and the same text on a second run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document

from dashboard.export.report import build_report

# Columns of small whole numbers that count no events or people.
NOT_COUNTS = {
    "n",  # areas in a correlation
    "Areas with a rate",
    "Rank",
    "Rank in the year",
    "Years a significant hot spot",
    "Years tested",
}


def text_of(path: Path) -> list[str]:
    doc = Document(str(path))
    out = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        out += [c.text for row in table.rows for c in row.cells]
    return out


@pytest.fixture(scope="module")
def pack(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(demo_warehouse, 2021, tmp_path_factory.mktemp("pack"))


def test_sections_captions_alt_text_and_files(pack: Path) -> None:
    doc = Document(str(pack))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for theme in (
        "Overview",
        "Where",
        "When",
        "How",
        "Who",
        "Justice outcomes",
        "Influential factors",
        "Data sources and quality",
        "Methodology and definitions",
    ):
        assert any(theme in h for h in headings), theme
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    figures = [c for c in captions if c.startswith("Figure ")]
    tables = [c for c in captions if c.startswith("Table ")]
    assert len(figures) == len(doc.inline_shapes) >= 15
    assert [int(re.match(r"Figure (\d+)", c).group(1)) for c in figures] == list(
        range(1, len(figures) + 1)
    )
    assert len(tables) == len(doc.tables)
    for shape in doc.inline_shapes:
        assert len(shape._inline.docPr.get("descr", "")) > 20
    for table in doc.tables:
        assert "w:tblHeader" in table.rows[0]._tr.xml
    assert "Suppression statement" in headings
    assert any("no data" in t.lower() for t in text_of(pack))  # 2020 is not in the demo
    figs = list((pack.parent / "figures").iterdir())
    assert len([f for f in figs if f.suffix == ".png"]) == len(figures)
    assert len([f for f in figs if f.suffix == ".svg"]) == len(figures)
    assert (pack.parent / "sna-2021-tables.xlsx").stat().st_size > 0


def test_no_table_cell_holds_a_small_count(pack: Path) -> None:
    for table in Document(str(pack)).tables:
        header = [c.text for c in table.rows[0].cells]
        for row in table.rows[1:]:
            for name, cell in zip(header, row.cells, strict=True):
                if name in NOT_COUNTS:  # ranks, numbers of areas or years: not of events
                    continue
                assert not re.fullmatch(r"[1-4]", cell.text.strip()), (header, name, cell.text)


def test_a_second_run_gives_the_same_text(pack: Path, demo_warehouse: Path, tmp_path: Path) -> None:
    again = build_report(demo_warehouse, 2021, tmp_path)
    assert text_of(again) == text_of(pack)


def test_the_pack_holds_persistent_places_and_the_risk_index(pack: Path) -> None:
    text = "\n".join(text_of(pack))
    assert "an LSOA counts a year when it is a hot spot at 95% confidence" in text
    assert "Area risk index: each indicator is standardised" in text
    assert "Ranked by the strength of the evidence" in text
    captions = [p.text for p in Document(str(pack)).paragraphs if p.style.name == "Caption"]
    assert any("Persistent hot spots" in c for c in captions)
    # One demo year: no place can be among the busiest in two years, and the pack says so.
    assert any("Repeat locations" in c for c in captions) or "where repeat locations" in text
    assert any("highest risk index" in c for c in captions)
