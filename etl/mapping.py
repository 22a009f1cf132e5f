"""Per-partner mapping files: how one partner's extract differs from the canonical contract.

A partner whose system names columns or codes differently gets a TOML file, not a code change:
renames, value recodes, extra date formats, constant columns, and (for wide indicator
spreadsheets) which columns to melt into indicator rows; which rows to keep (``[filter]``:
rows left out are counted as excluded, not as bad) and which sheet of a workbook to read.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

LOAD_MODES = ("merge", "replace")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


def normalise_name(name: str) -> str:
    """Column names are case- and whitespace-insensitive: 'Crime ID' and 'crime_id' match."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class Mapping:
    partner: str | None = None
    feed: str | None = None
    renames: dict[str, str] = field(default_factory=dict)
    recodes: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    defaults: dict[str, str] = field(default_factory=dict)
    wide: dict[str, str] = field(default_factory=dict)
    wide_keys: dict[str, str] = field(default_factory=dict)
    missing_markers: tuple[str, ...] = ()
    # [filter]: column (normalised) -> values; a row is kept when, for every column listed,
    # its trimmed value is one of them (case-insensitive). Rows left out are "excluded".
    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sheet: str | None = None  # the workbook sheet to read (first sheet when None)
    sha256: str | None = None
    mode: str | None = None  # "replace": the partner sends full extracts of the periods
    origin: str = "(no mapping file)"


def read_mapping(path: Path | None) -> Mapping:
    """The mapping file at ``path`` (no mapping when None); MappingError names the file and the
    key for anything that cannot be used, so a typo never surfaces as a crash mid-load."""
    if path is None:
        return Mapping()
    try:
        raw_bytes = Path(path).read_bytes()
    except OSError as exc:
        raise MappingError(f"{path}: cannot read mapping file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not a valid TOML mapping file: {exc}") from None
    known = {
        "partner",
        "feed",
        "columns",
        "values",
        "dates",
        "defaults",
        "wide",
        "missing",
        "filter",
        "sheet",
    }
    known.add("mode")  # how the partner's files apply: "merge" (by key) or "replace"
    unknown = set(data) - known
    if unknown:
        raise MappingError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(known))})"
        )

    def fail(where: str, what: str) -> MappingError:
        return MappingError(f"{path}: {where} must be {what}")

    def table(key: str, parent: dict = data, where: str | None = None) -> dict:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise fail(where or f"[{key}]", "a table")
        return value

    def text(value: object, where: str) -> str:
        """A TOML string, number, boolean or date, as text; not a table or a list."""
        if isinstance(value, (dict, list)):
            raise fail(where, "a single value (text or a number), not a table or a list")
        return str(value)

    def texts(value: object, where: str) -> tuple[str, ...]:
        """A list of single values; one value alone is a list of one."""
        items = value if isinstance(value, list) else [value]
        return tuple(text(v, where) for v in items)

    def optional_text(key: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(key, f'text in quotes (e.g. {key} = "police")')
        return value

    renames = {
        normalise_name(k): normalise_name(text(v, f"[columns] {k!r}"))
        for k, v in table("columns").items()
    }
    recodes: dict[str, dict[str, str]] = {}
    for col, codes in table("values").items():
        if not isinstance(codes, dict):
            raise MappingError(f"{path}: [values.{col}] must map source codes to contract codes")
        recodes[normalise_name(col)] = {
            str(k).strip().lower(): text(v, f"[values.{col}] {k!r}") for k, v in codes.items()
        }
    dates = table("dates")
    date_formats = texts(dates.get("formats", []), "[dates] formats")
    datetime_formats = texts(dates.get("datetime_formats", []), "[dates] datetime_formats")
    for key, fmts in (("formats", date_formats), ("datetime_formats", datetime_formats)):
        for fmt in fmts:
            _check_format(path, key, fmt)
    keep = {}
    for col, values in table("filter").items():
        if isinstance(values, dict) or (isinstance(values, list) and not values):
            raise fail(
                f"[filter] {col!r}",
                'a value or a list of values to keep (e.g. geographic_level = "Local authority")',
            )
        keep[normalise_name(col)] = tuple(
            v.strip().lower() for v in texts(values, f"[filter] {col!r}")
        )
    sheet = data.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        raise fail("sheet", 'the name of a worksheet in quotes (e.g. sheet = "Table 1")')
    mode = optional_text("mode")
    if mode is not None and mode not in LOAD_MODES:
        raise fail(
            "mode", f'one of {", ".join(repr(m) for m in LOAD_MODES)} (e.g. mode = "replace")'
        )
    wide = table("wide")
    wide_columns = table("columns", wide, "[wide.columns]")
    return Mapping(
        partner=optional_text("partner"),
        feed=optional_text("feed"),
        renames=renames,
        recodes=recodes,
        date_formats=date_formats,
        datetime_formats=datetime_formats,
        defaults={
            normalise_name(k): text(v, f"[defaults] {k!r}") for k, v in table("defaults").items()
        },
        wide={normalise_name(k): text(v, f"[wide.columns] {k!r}") for k, v in wide_columns.items()},
        wide_keys={k: text(v, f"[wide] {k!r}") for k, v in wide.items() if k != "columns"},
        missing_markers=texts(table("missing").get("markers", []), "[missing] markers"),
        keep=keep,
        sheet=sheet,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        mode=mode,
        origin=str(path),
    )


def _check_format(path: Path, key: str, fmt: str) -> None:
    """A date format DuckDB's strptime accepts (it rejects a bad one only when it runs)."""
    import duckdb

    try:
        duckdb.execute("SELECT try_strptime('', $f)", {"f": fmt})
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise MappingError(f"{path}: [dates] {key}: {fmt!r} is not a date format ({msg})") from None
