"""Reading partner files into DuckDB as text, with line numbers and honest encodings.

Everything is read as VARCHAR first so that a bad value becomes a located, quarantined error in
validation rather than a reader crash; malformed CSV records are caught by DuckDB's reject
tables and come back with their line numbers. Line numbers count CSV records with the header as
line 1 (a quoted value with an embedded newline is one record).
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.mapping import Mapping, normalise_name
from svcore.sql import ident


class FileRefused(Exception):
    """A whole file cannot be read or used; the message names the file and what to do."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = message
        where = f" (line {line})" if line else ""
        super().__init__(f"{path}{where}: {message}")


@dataclass
class RawFile:
    """A file read into temp table ``raw``: text columns named canonically, plus ``_line``."""

    columns: list[str]
    rows: int
    rejects: list[tuple[int, str | None, str]]
    encoding: str


# UTF-32's marks first: the little-endian one begins with UTF-16's.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The converted copy's name in its own temp folder: not the partner's file name, which may
# already be as long as a file name can be (adding ".utf8.csv" would make it an OS error).
CONVERTED = "converted.utf8.csv"
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Â[\u00a0-\u00bf]")


def utf8_copy(path: Path, workdir: Path) -> tuple[Path, str]:
    """A UTF-8 path with the file's text: the file itself, or a converted copy.

    Excel on Windows saves CSV as Windows-1252, or as UTF-16 ("Unicode text"); those are
    converted, and a UTF-16 or UTF-32 file cut short or damaged is refused with the line it
    breaks on. Text that is valid UTF-8 but shows the marks of a double conversion ("Ã©" for
    "é") is refused rather than loaded.
    """
    data = path.read_bytes()
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
                raise FileRefused(
                    path,
                    f"starts with a {codec.upper()} byte-order mark but is not valid "
                    f"{codec.upper()} text from line {line} ({exc.reason}: the file may be "
                    "cut short or damaged); save it again as 'CSV UTF-8' and send again",
                    line=line,
                ) from None
            out = workdir / CONVERTED
            out.write_text(text, encoding="utf-8")
            return out, codec
    if data.isascii():
        return path, "ascii"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FileRefused(
                path,
                "is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8' and send again",
                line=line,
            ) from None
        out = workdir / CONVERTED
        out.write_text(text, encoding="utf-8")
        return out, "cp1252"
    m = MOJIBAKE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise FileRefused(
            path,
            f"text looks double-encoded ({m.group(0)!r}, e.g. 'Ã©' for 'é'); "
            "re-export the file as UTF-8 from the source system",
            line=line,
        )
    return path, "utf-8"


def _xlsx_to_arrow(path: Path, sheet: str | None = None) -> pa.Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused(path, f"is not a readable .xlsx workbook ({exc})") from None
    try:
        return _sheet_to_arrow(path, wb, sheet)
    except FileRefused:
        raise
    except Exception as exc:  # the sheet's XML is read lazily: damage shows up here
        which = f"sheet {sheet!r}" if sheet else "the first sheet"
        raise FileRefused(path, f"{which} of the workbook cannot be read ({exc})") from None
    finally:
        wb.close()


def _sheet_to_arrow(path: Path, wb, sheet: str | None = None) -> pa.Table:
    import datetime as dt

    if not wb.worksheets:
        raise FileRefused(path, "the workbook has no worksheet")
    if sheet is None:
        ws = wb.worksheets[0]
    else:
        # The mapping names the sheet; matched exactly, then ignoring case and spaces.
        names = {normalise_name(n): n for n in wb.sheetnames}
        name = sheet if sheet in wb.sheetnames else names.get(normalise_name(sheet))
        if name is None:
            raise FileRefused(
                path,
                f"the workbook has no sheet {sheet!r} (sheets: "
                f"{', '.join(wb.sheetnames)}); fix `sheet` in the mapping file",
            )
        ws = wb[name]
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        raise FileRefused(path, "the first sheet is empty: expected a header row") from None

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S" if (v.hour or v.minute) else "%Y-%m-%d")
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dt.time):
            return v.strftime("%H:%M")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    # Header cells named alike (or "_line") get a suffix, as DuckDB does for a CSV file.
    names: list[str] = []
    for i, h in enumerate(header):
        name = base = str(h) if h is not None else f"column{i + 1}"
        n = 0
        while name in names or name == "_line":
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    cols: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []
    for i, row in enumerate(rows, start=2):
        if row is None or all(v is None for v in row):
            continue
        lines.append(i)
        for j in range(len(names)):
            cols[j].append(text(row[j]) if j < len(row) else None)
    arrays = {"_line": pa.array(lines, pa.int64())}
    arrays.update({n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)})
    return pa.table(arrays)


def _repeated_header(src: Path) -> str | None:
    """The first column name that appears twice in a CSV header, if any."""
    try:
        with open(src, encoding="utf-8", errors="replace", newline="") as fh:
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(fh), [])]
    except csv.Error:  # an unreadable header is refused by the CSV reader itself
        return None
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            return h
        seen.add(h)
    return None


def read_raw(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping) -> RawFile:
    """Read a CSV or XLSX file into temp table ``raw`` with canonical column names."""
    path = Path(path)
    if not path.exists():
        raise FileRefused(path, "no such file")
    if path.stat().st_size == 0:
        raise FileRefused(path, "the file is empty: expected a header row and data")
    rejects: list[tuple[int, str | None, str]] = []
    with tempfile.TemporaryDirectory(prefix="svdash-read-") as tmp:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = _xlsx_to_arrow(path, mapping.sheet)
            con.register("xlsx_in", table)
            con.execute("CREATE OR REPLACE TEMP TABLE raw_in AS SELECT * FROM xlsx_in")
            con.unregister("xlsx_in")
            encoding = "xlsx"
        else:
            src, encoding = utf8_copy(path, Path(tmp))
            twice = _repeated_header(src)
            if twice:
                # DuckDB would rename the second (weapon_1) and it would be silently ignored.
                raise FileRefused(
                    path,
                    f"the header names column {twice!r} twice; which one "
                    "holds the data is unclear: remove or rename one",
                    line=1,
                    column=twice,
                )
            try:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE raw_csv AS SELECT * FROM read_csv($p, "
                    "all_varchar=true, header=true, delim=',', quote='\"', escape='\"', "
                    "store_rejects=true, rejects_table='svd_rejects', "
                    "rejects_scan='svd_reject_scans', ignore_errors=true)",
                    {"p": str(src)},
                )
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0]
                raise FileRefused(path, f"is not a readable CSV file ({msg})") from None
            rej = con.execute(
                "SELECT line, column_name, error_type, csv_line FROM svd_rejects ORDER BY line"
            ).fetchall()
            con.execute("DROP TABLE IF EXISTS svd_rejects")
            con.execute("DROP TABLE IF EXISTS svd_reject_scans")
            for line, column, kind, _csv_line in rej:
                reason = {
                    "MISSING COLUMNS": "too few values on the line (malformed CSV row)",
                    "TOO MANY COLUMNS": "too many values on the line (malformed CSV row)",
                    "UNQUOTED VALUE": "a quote is not closed or is misplaced (malformed CSV row)",
                    "INVALID UNICODE": "the line is not valid text",
                }.get(kind, f"malformed CSV row ({kind.lower()})")
                rejects.append((int(line), column, reason))
            reject_lines = sorted({r[0] for r in rejects})
            n_ok = con.execute("SELECT count(*) FROM raw_csv").fetchone()[0]
            # Accepted records keep file order; their lines are 2..N+1 less the rejected ones.
            con.execute(
                "CREATE OR REPLACE TEMP TABLE raw_in AS "
                "WITH lines AS (SELECT l AS _line, row_number() OVER (ORDER BY l) AS rn "
                "  FROM range(2, $n + 2) t(l) WHERE NOT list_contains($rej, l)), "
                "recs AS (SELECT row_number() OVER () AS rn, * FROM raw_csv) "
                "SELECT lines._line, recs.* EXCLUDE (rn) FROM recs JOIN lines USING (rn)",
                {"n": n_ok + len(reject_lines), "rej": reject_lines},
            )
            con.execute("DROP TABLE raw_csv")
    originals = [r[0] for r in con.execute("DESCRIBE raw_in").fetchall() if r[0] != "_line"]
    seen: dict[str, str] = {}
    select = ["_line"]
    for orig in originals:
        name = normalise_name(orig)
        name = mapping.renames.get(name, name)
        if not name:
            continue
        if name in seen:
            raise FileRefused(
                path,
                f"columns {seen[name]!r} and {orig!r} both mean {name!r}; "
                "rename one in the mapping file",
                line=1,
                column=orig,
            )
        seen[name] = orig
        select.append(f"{ident(orig)} AS {ident(name)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {', '.join(select)} FROM raw_in ORDER BY _line"
    )
    con.execute("DROP TABLE raw_in")
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    return RawFile(columns=list(seen), rows=rows, rejects=rejects, encoding=encoding)
