"""The PDF beside each Word pack, made by LibreOffice headless, and the contents' page numbers.

Boards circulate PDFs. LibreOffice (Debian's ``libreoffice-writer-nogui``, or any LibreOffice
with ``soffice`` on PATH) converts the docx as Word users would see it, tagged for accessibility
(``UseTaggedPDF``), with a bookmark a heading. Those bookmarks give the page each heading lands
on; the contents field's page numbers are written from them and the PDF is made again, so the
contents is filled in both files without anyone opening Word. All packs of a run convert in one
LibreOffice process, in a profile of its own (a second LibreOffice on the machine, or a user's
open one, does not block it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

INSTALL_HELP = (
    "The PDF is made with LibreOffice, which was not found (no soffice on PATH). Install it "
    "(Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui), or build the pack with "
    "--no-pdf for the Word document and workbook only."
)
EXPORT_OPTIONS = {
    "UseTaggedPDF": {"type": "boolean", "value": "true"},
    "ExportBookmarks": {"type": "boolean", "value": "true"},
    "ExportFormFields": {"type": "boolean", "value": "false"},
    # Charts stay as drawn: no resampling (the PNGs are already print resolution), lossless.
    "ReduceImageResolution": {"type": "boolean", "value": "false"},
    "UseLosslessCompression": {"type": "boolean", "value": "true"},
}
TIMEOUT_S = 600


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed, or it failed: the message says what to do."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(documents: list[Path], processes: int = 1) -> list[Path]:
    """Each ``x.docx`` to ``x.pdf`` beside it: in one LibreOffice run, or shared between
    ``processes`` runs side by side (each in a profile of its own)."""
    documents = list(documents)
    if processes > 1 and len(documents) > 1:
        from concurrent.futures import ThreadPoolExecutor

        chunks = [documents[i::processes] for i in range(processes) if documents[i::processes]]
        with ThreadPoolExecutor(len(chunks)) as pool:
            for done in [pool.submit(convert, chunk) for chunk in chunks]:
                done.result()
        return [d.with_suffix(".pdf") for d in documents]
    exe = soffice()
    if exe is None:
        raise PdfUnavailable(INSTALL_HELP)
    with tempfile.TemporaryDirectory(prefix="svdash-lo-") as tmp:
        # One run for every document: each is linked in under a name of its own (packs of
        # a run share their file name), converted, and its PDF moved beside the original.
        staged, out_dir = Path(tmp) / "in", Path(tmp) / "out"
        staged.mkdir()
        names = []
        for i, doc in enumerate(documents):
            link = staged / f"{i:03d}-{doc.name}"
            link.symlink_to(doc.resolve())
            names.append(link)
        cmd = [
            exe,
            f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export:" + json.dumps(EXPORT_OPTIONS),
            "--outdir",
            str(out_dir),
            *map(str, names),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"LibreOffice took over {TIMEOUT_S} s to make the PDFs") from None
        missing = []
        for doc, link in zip(documents, names, strict=True):
            made = out_dir / f"{link.stem}.pdf"
            if made.exists():
                shutil.move(made, doc.with_suffix(".pdf"))
            else:
                missing.append(doc.with_suffix(".pdf").name)
        if done.returncode != 0 or missing:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PdfUnavailable(
                f"LibreOffice did not make {', '.join(missing) or 'the PDFs'} "
                f"(exit {done.returncode}): {detail[0]}"
            )
    return [d.with_suffix(".pdf") for d in documents]


def heading_pages(pdf: Path) -> list[tuple[str, int]]:
    """(bookmark title, 1-based page) for every bookmark, in document order."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    out: list[tuple[str, int]] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out.append((str(item.title).strip(), reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return out


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)
