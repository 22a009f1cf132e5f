"""Word furniture python-docx has no call for: fields, the contents, headers, rows that hold.

A report author expects what Word itself makes: a table of contents that is a real ``TOC``
field (Word's References > Update Table works on it), page numbers that are ``PAGE`` and
``NUMPAGES`` fields, captions numbered by ``SEQ`` fields (so Word renumbers them), the
protective marking in every header and footer, header rows that repeat and rows that do not
break across pages. Each field carries its result as well as its instruction, so the document
reads right before anything updates it: the contents' page numbers are written in from the
PDF's own layout (``dashboard.export.pdf``).
"""

from __future__ import annotations

from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

TOC_INSTRUCTION = 'TOC \\o "1-2" \\h \\z \\u'
TOC_LEVELS = 2
# Bookmark names of the headings the contents lists (Word's own are "_Toc" and a number).
BOOKMARK = "_Toc{:06d}"


def _run_with(paragraph, *children):
    run = paragraph.add_run()
    for child in children:
        run._r.append(child)
    return run


def _fld_char(kind: str, dirty: bool = False):
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    if dirty:
        el.set(qn("w:dirty"), "true")
    return el


def _instr(text: str):
    el = OxmlElement("w:instrText")
    el.set(qn("xml:space"), "preserve")
    el.text = f" {text} "
    return el


def add_field(paragraph, instruction: str, result: str) -> None:
    """A complex field (begin, instruction, separate, result, end) in one paragraph: the
    result is what readers see until the field is updated."""
    _run_with(paragraph, _fld_char("begin"))
    _run_with(paragraph, _instr(instruction))
    _run_with(paragraph, _fld_char("separate"))
    paragraph.add_run(result)
    _run_with(paragraph, _fld_char("end"))


def field_instructions(document) -> list[str]:
    """Every field instruction in the body, headers and footers (for tests and checks)."""
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
        parts += [section.first_page_header._element, section.first_page_footer._element]
    out = []
    for part in parts:
        out += [el.text.strip() for el in part.iter(qn("w:instrText")) if el.text]
    return out


def ensure_styles(document) -> None:
    """Word's built-in contents styles (``toc 1``, ``toc 2``), which python-docx's template
    lacks: a right tab with dot leaders for the page number, the second level indented."""
    styles = document.styles
    names = {s.name for s in styles}
    for level in range(1, TOC_LEVELS + 1):
        name = f"toc {level}"
        if name in names:
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        fmt = style.paragraph_format
        fmt.left_indent = Cm(0.6 * (level - 1))
        fmt.space_after = Pt(3)
        fmt.tab_stops.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        style.element.set(qn("w:customStyle"), "0")
        if level == 1:
            style.font.bold = True


def bookmark(paragraph, name: str, ident: int) -> None:
    """Wrap a heading's text in a bookmark, the target of its contents entry's hyperlink."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(ident))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(ident))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def add_contents(document, entries: list[tuple[int, str, str, str]]) -> list:
    """The ``TOC`` field with one entry a heading: (level, text, bookmark, page). Its result
    is ordinary paragraphs in the ``toc N`` styles, each a hyperlink to its heading, as Word
    writes them; returns the paragraphs (added at the end: the caller places them)."""
    ensure_styles(document)
    paragraphs = []
    for i, (level, text, mark, page) in enumerate(entries):
        p = document.add_paragraph(style=f"toc {level}")
        paragraphs.append(p)
        if i == 0:
            _run_with(p, _fld_char("begin", dirty=False))
            _run_with(p, _instr(TOC_INSTRUCTION))
            _run_with(p, _fld_char("separate"))
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), mark)
        link.set(qn("w:history"), "1")
        p._p.append(link)
        for piece in (text, "\t", page):
            r = OxmlElement("w:r")
            if piece == "\t":
                r.append(OxmlElement("w:tab"))
            else:
                t = OxmlElement("w:t")
                t.set(qn("xml:space"), "preserve")
                t.text = piece
                r.append(t)
            link.append(r)
        if i == len(entries) - 1:
            _run_with(p, _fld_char("end"))
    return paragraphs


def page_furniture(document, marking: str, left: str) -> None:
    """The marking centred at the top and bottom of every page (GSC: header and footer), and
    "Page N of M" with the report's short title in the footer."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)  # A4, not Letter
        section.different_first_page_header_footer = False
        header = section.header.paragraphs[0]
        header.text = marking
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header.runs[0].bold = True
        footer = section.footer.paragraphs[0]
        footer.text = ""
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(f"{left}  |  Page ")
        add_field(footer, "PAGE", "1")
        footer.add_run(" of ")
        add_field(footer, "NUMPAGES", "1")
        mark = section.footer.add_paragraph(marking)
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark.runs[0].bold = True


def add_caption(document, kind: str, number: int, title: str):
    """ "Figure 3: title" with the number a ``SEQ`` field, in Word's Caption style."""
    p = document.add_paragraph(style="Caption")
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p.add_run(f"{kind} ")
    add_field(p, f"SEQ {kind} \\* ARABIC", str(number))
    p.add_run(f": {title}")
    return p


def hold_rows(table) -> None:
    """The first row repeats as a header on every page and is read as one; no row breaks
    across a page, and the caption above a table stays with it."""
    for i, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        cant.set(qn("w:val"), "true")
        tr_pr.append(cant)
        if i == 0:
            head = OxmlElement("w:tblHeader")
            head.set(qn("w:val"), "true")
            tr_pr.append(head)


def keep_with_next(paragraph) -> None:
    paragraph.paragraph_format.keep_with_next = True


def new_page_section(document) -> None:
    document.add_section(WD_SECTION.NEW_PAGE)


def set_alt_text(shape, text: str) -> None:
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
    doc_pr.set("title", text[:100])


def update_fields_on_open(document) -> None:
    """Ask Word to update the fields (the contents' page numbers) when the file is opened:
    for a pack made without LibreOffice, whose layout nothing has measured."""
    settings = document.settings.element
    el = OxmlElement("w:updateFields")
    el.set(qn("w:val"), "true")
    settings.append(el)
