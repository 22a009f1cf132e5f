"""Per-partner mapping files: how one partner's extract differs from the canonical contract.

A partner whose system names columns or codes differently gets a TOML file, not a code change:
renames, value recodes, extra date formats, constant columns, and (for wide indicator
spreadsheets) which columns to melt into indicator rows.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


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
    sha256: str | None = None
    origin: str = "(no mapping file)"


def read_mapping(path: Path | None) -> Mapping:
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
    known = {"partner", "feed", "columns", "values", "dates", "defaults", "wide", "missing"}
    unknown = set(data) - known
    if unknown:
        raise MappingError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(known))})"
        )

    def table(key: str) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise MappingError(f"{path}: [{key}] must be a table")
        return value

    renames = {normalise_name(k): normalise_name(str(v)) for k, v in table("columns").items()}
    recodes: dict[str, dict[str, str]] = {}
    for col, codes in table("values").items():
        if not isinstance(codes, dict):
            raise MappingError(f"{path}: [values.{col}] must map source codes to contract codes")
        recodes[normalise_name(col)] = {
            str(k).strip().lower(): str(v) for k, v in codes.items()
        }
    dates = table("dates")
    wide = table("wide")
    wide_columns = wide.get("columns", {}) if isinstance(wide.get("columns", {}), dict) else {}
    return Mapping(
        partner=data.get("partner"),
        feed=data.get("feed"),
        renames=renames,
        recodes=recodes,
        date_formats=tuple(dates.get("formats", ())),
        datetime_formats=tuple(dates.get("datetime_formats", ())),
        defaults={normalise_name(k): str(v) for k, v in table("defaults").items()},
        wide={normalise_name(k): str(v) for k, v in wide_columns.items()},
        wide_keys={k: str(v) for k, v in wide.items() if k != "columns"},
        missing_markers=tuple(str(m) for m in table("missing").get("markers", ())),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        origin=str(path),
    )
