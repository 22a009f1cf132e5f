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
from typing import NoReturn

import duckdb
import pyarrow as pa

from etl.mapping import Mapping, normalise_name
from svcore.sql import ident, literal


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


REJECT_REASONS = {
    "MISSING COLUMNS": "too few values on the line (malformed CSV row)",
    "TOO MANY COLUMNS": "too many values on the line (malformed CSV row)",
    "UNQUOTED VALUE": "a quote is not closed or is misplaced (malformed CSV row)",
    "INVALID UNICODE": "the line is not valid text",
}
CSV_OPTIONS = (
    "all_varchar=true, header=true, delim=',', quote='\"', escape='\"', store_rejects=true, "
    "rejects_table='svd_rejects', rejects_scan='svd_reject_scans', ignore_errors=true"
)


@dataclass
class RawFile:
    """A file read as temp view ``raw``: text columns named canonically, plus ``_line``.

    A file read ``direct`` is not copied at all: ``raw`` reads the CSV file itself, once,
    when the rows are checked, and its records' lines are known only then (``_line`` is
    NULL until ``number_lines`` gives the checked rows theirs). ``rejects`` (the malformed
    records) is known then too; ``rows`` is None.
    """

    columns: list[str]
    rows: int | None
    rejects: list[tuple[int, str | None, str]]
    encoding: str
    direct: bool = False

    def number_lines(self, con: duckdb.DuckDBPyConnection, table: str = "checked") -> None:
        """After a direct read was checked into ``table`` (its rows in the file's order, so a
        row's id is its record's number): set each row's ``_line``, and the malformed records
        DuckDB set aside, from the scan that read them."""
        if not self.direct:
            return
        scan = con.execute("SELECT max(scan_id) FROM svd_reject_scans").fetchall()[0][0]
        rej = con.execute(
            "SELECT line, column_name, error_type FROM svd_rejects WHERE scan_id = $s "
            "ORDER BY line",
            {"s": scan},
        ).fetchall()
        _drop_rejects(con)
        self.rejects = [(int(line), column, _reason(kind)) for line, column, kind in rej]
        lines = sorted({r[0] for r in self.rejects})
        if not lines:  # record i (from 0) is on line i + 2, the header being line 1
            con.execute(f"UPDATE {ident(table)} SET _line = rowid + 2")
            return
        # Record k is on line k + 2 + j, j the malformed records before it: the i-th of
        # those (from 0), on line r, has r - i - 2 good records before it.
        con.execute(
            f"UPDATE {ident(table)} SET _line = rowid + 2 + coalesce(s.j, 0) FROM ("
            f"SELECT rid, j FROM (SELECT rowid AS rid FROM {ident(table)}) r ASOF LEFT JOIN "
            "(SELECT before, max(j) AS j FROM (SELECT unnest($before) AS before, unnest($j) AS j) "
            "GROUP BY 1) s ON r.rid >= s.before"
            f") s WHERE {ident(table)}.rowid = s.rid",
            {
                "before": [r - i - 2 for i, r in enumerate(lines)],
                "j": list(range(1, len(lines) + 1)),
            },
        )


def _reason(kind: str) -> str:
    return REJECT_REASONS.get(kind, f"malformed CSV row ({kind.lower()})")


def _drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS svd_rejects")
    con.execute("DROP TABLE IF EXISTS svd_reject_scans")


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


BLOCK = 1 << 24  # 16 MiB: a file is checked a block at a time, never held whole


def utf8_copy(path: Path, workdir: Path, block_size: int = BLOCK) -> tuple[Path, str]:
    """A UTF-8 path with the file's text: the file itself, or a converted copy.

    Excel on Windows saves CSV as Windows-1252, or as UTF-16 ("Unicode text"); those are
    converted, and a UTF-16 or UTF-32 file cut short or damaged is refused with the line it
    breaks on. Text that is valid UTF-8 but shows the marks of a double conversion ("Ã©" for
    "é") is refused rather than loaded.

    ASCII and UTF-8 files (nearly every extract) are checked in blocks, so a 2 GB extract
    costs 16 MiB of memory here, not 2 GB; the answer is the one the whole text would give.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    for bom, codec in BOMS:
        if head.startswith(bom):
            return _bom_copy(path, workdir, codec)
    encoding = "ascii"
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = newlines = 0  # bytes, and (once past the ASCII) line breaks, before the block
    tail = ""  # the last character decoded: a double-encoded pair may straddle two blocks
    with open(path, "rb") as fh:
        while block := fh.read(block_size):
            if encoding == "utf-8" or not block.isascii():
                if encoding == "ascii":  # the first block that is not: count the lines so far
                    encoding, newlines = "utf-8", _newlines_before(path, offset, block_size)
                pending = len(decoder.getstate()[0])
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return _cp1252_copy(path, workdir, offset - pending + exc.start, block_size)
                m = MOJIBAKE.search(tail + text)
                if m:
                    before = max(m.start() - len(tail), 0)
                    _refuse_mojibake(path, m.group(0), newlines + text.count("\n", 0, before) + 1)
                tail = (tail + text)[-1:]  # a block may decode to nothing yet
                newlines += block.count(b"\n")
            offset += len(block)
    if encoding == "utf-8":
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # the file ends inside a character
            return _cp1252_copy(path, workdir, offset - pending + exc.start, block_size)
    return path, encoding


def _refuse_mojibake(path: Path, found: str, line: int) -> NoReturn:
    raise FileRefused(
        path,
        f"text looks double-encoded ({found!r}, e.g. 'Ã©' for 'é'); "
        "re-export the file as UTF-8 from the source system",
        line=line,
    )


def _bom_copy(path: Path, workdir: Path, codec: str) -> tuple[Path, str]:
    """A UTF-16 or UTF-32 file converted whole (Excel's "Unicode text": small files)."""
    data = path.read_bytes()
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


def _cp1252_copy(
    path: Path, workdir: Path, utf8_error: int, block_size: int = BLOCK
) -> tuple[Path, str]:
    """Not UTF-8 (the first bad byte at ``utf8_error``): a Windows-1252 file converted block
    by block (one byte is one character, so no character straddles two blocks), or refused
    with the line of that first byte when it is not Windows-1252 either."""
    out = workdir / CONVERTED
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while block := src.read(block_size):
            try:
                dst.write(block.decode("cp1252"))
            except UnicodeDecodeError:
                break
        else:
            return out, "cp1252"
    raise FileRefused(
        path,
        "is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8' and send again",
        line=_newlines_before(path, utf8_error, block_size) + 1,
    )


def _newlines_before(path: Path, end: int, block_size: int = BLOCK) -> int:
    """The line breaks in the first ``end`` bytes of a file (read again, a block at a time:
    only a file that turns out not to be ASCII needs them)."""
    newlines = done = 0
    with open(path, "rb") as src:
        while done < end and (block := src.read(min(block_size, end - done))):
            newlines += block.count(b"\n")
            done += len(block)
    return newlines


def drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop temp object ``name``, a view or a table (DROP VIEW IF EXISTS fails on a table of
    that name, and the file before this one in a batch may have left either)."""
    kinds = con.execute(
        "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $n AND temporary "
        "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $n AND temporary",
        {"n": name},
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} {ident(name)}")


def replace_temp(
    con: duckdb.DuckDBPyConnection, name: str, select: str, params: dict | None = None
) -> None:
    """Temp table ``name`` made from ``select``, which may read the ``name`` it replaces
    (``raw`` is a view over the file's rows until an adapter reshapes it)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name + '_next')} AS {select}", params or {})
    drop_temp(con, name)
    con.execute(f"ALTER TABLE {ident(name + '_next')} RENAME TO {ident(name)}")


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


def read_raw(
    con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, direct: bool = False
) -> RawFile:
    """Read a CSV or XLSX file as temp view ``raw`` with canonical column names.

    The rows are copied once, into temp table ``raw_in`` (with ``_line``) or, for a CSV file
    without malformed records, ``raw_csv``, whose row ids are its records in file order (so
    ``_line`` is the row id + 2, with nothing to join); ``raw`` renames their columns without
    copying them again. With ``direct`` (the caller reads ``raw`` once, in order, and calls
    ``RawFile.number_lines`` after), a UTF-8 CSV file is not copied at all: a copy of a
    million rows costs about a second, and a 10-million-row one 2 GB that has to go to disk.
    """
    path = Path(path)
    if not path.exists():
        raise FileRefused(path, "no such file")
    if path.stat().st_size == 0:
        raise FileRefused(path, "the file is empty: expected a header row and data")
    for name in ("raw", "raw_in", "raw_csv"):  # what the file before it in a batch left
        drop_temp(con, name)
    _drop_rejects(con)
    rejects: list[tuple[int, str | None, str]] = []
    base, line = "raw_in", "_line"
    with tempfile.TemporaryDirectory(prefix="svdash-read-") as tmp:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = _xlsx_to_arrow(path, mapping.sheet)
            con.register("xlsx_in", table)
            con.execute("CREATE TEMP TABLE raw_in AS SELECT * FROM xlsx_in")
            con.unregister("xlsx_in")
            encoding, direct = "xlsx", False
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
            # A converted copy lives only as long as this block: it is copied in.
            direct = direct and src == path
            try:
                if direct:
                    base = f"read_csv({literal(src.resolve())}, {CSV_OPTIONS})"
                    columns = [
                        r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {base}").fetchall()
                    ]
                else:
                    con.execute(
                        f"CREATE TEMP TABLE raw_csv AS SELECT * FROM read_csv($p, {CSV_OPTIONS})",
                        {"p": str(src)},
                    )
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0]
                raise FileRefused(path, f"is not a readable CSV file ({msg})") from None
            if direct and "_line" in columns:
                direct = False  # a column of that name: read the plain way, below
                con.execute(
                    f"CREATE TEMP TABLE raw_csv AS SELECT * FROM read_csv($p, {CSV_OPTIONS})",
                    {"p": str(src)},
                )
            if direct:
                line = "NULL::BIGINT"  # numbered when the rows are checked
            else:
                rej = con.execute(
                    "SELECT line, column_name, error_type FROM svd_rejects ORDER BY line"
                ).fetchall()
                _drop_rejects(con)
                rejects = [(int(n), column, _reason(kind)) for n, column, kind in rej]
                columns = [r[0] for r in con.execute("DESCRIBE raw_csv").fetchall()]
                if not rejects and "_line" not in columns:
                    base, line = "raw_csv", "rowid + 2"  # record i (from 0) is on line i + 2
                else:
                    reject_lines = sorted({r[0] for r in rejects})
                    n_ok = con.execute("SELECT count(*) FROM raw_csv").fetchone()[0]
                    # Accepted records keep file order; their lines are 2..N+1 less the rejected.
                    con.execute(
                        "CREATE TEMP TABLE raw_in AS "
                        "WITH lines AS (SELECT l AS _line, row_number() OVER (ORDER BY l) AS rn "
                        "  FROM range(2, $n + 2) t(l) WHERE NOT list_contains($rej, l)), "
                        "recs AS (SELECT row_number() OVER () AS rn, * FROM raw_csv) "
                        "SELECT lines._line, recs.* EXCLUDE (rn) FROM recs JOIN lines USING (rn) "
                        "ORDER BY lines._line",
                        {"n": n_ok + len(reject_lines), "rej": reject_lines},
                    )
                    con.execute("DROP TABLE raw_csv")
    if direct:
        originals = [c for c in columns if c != "_line"]
    else:
        originals = [r[0] for r in con.execute(f"DESCRIBE {base}").fetchall() if r[0] != "_line"]
    seen: dict[str, str] = {}
    select = [f"{line} AS _line"]
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
    con.execute(f"CREATE TEMP VIEW raw AS SELECT {', '.join(select)} FROM {base}")
    rows = None if direct else con.execute(f"SELECT count(*) FROM {base}").fetchone()[0]
    return RawFile(list(seen), rows, rejects, encoding, direct=direct)
