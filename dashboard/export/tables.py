"""Writing count tables as CSV and XLSX: suppressed, formula-safe, with a notes sheet.

A cell starting with ``= + - @`` (or tab / carriage return) would run as a formula when a
spreadsheet opens it; such text cells get a leading apostrophe, as OWASP advises.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_table(
    frame: pd.DataFrame, path: Path, fmt: str, notes: Sequence[tuple[str, str]] = ()
) -> Path:
    """Write ``frame`` (already suppressed) as CSV or XLSX; XLSX gets a 'Notes' sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = formula_safe(frame)
    if fmt == "csv":
        safe.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            safe.to_excel(xl, sheet_name="Data", index=False)
            note_frame = formula_safe(pd.DataFrame(list(notes), columns=["Note", "Detail"]))
            note_frame.to_excel(xl, sheet_name="Notes", index=False)
            for ws in xl.book.worksheets:
                ws.freeze_panes = "A2"
                for column in ws.columns:
                    width = max(len(str(c.value or "")) for c in column[:200])
                    ws.column_dimensions[column[0].column_letter].width = min(
                        max(10, width + 2), 80
                    )
    else:
        raise ValueError(f"unknown format {fmt!r} (csv or xlsx)")
    return path
