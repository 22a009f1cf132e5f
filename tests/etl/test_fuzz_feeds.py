"""Fuzzing every feed's reader: whatever a partner sends, the load answers, never crashes.

Partners send what their systems export, and sometimes what a colleague saved over it: Excel's
Windows-1252 or UTF-16, a truncated download, a sheet with a column renamed, a GeoJSON that is
half a file, a mapping file with a typo. ``svdash load`` must turn every one of these into a
per-file report (loaded, refused with a reason, or unchanged) or, at worst, one of the errors
the CLI prints (a ``ValueError``/``MappingError`` naming the file). A DuckDB, JSON, shapely or
Python exception escaping the loader aborts the whole batch with a traceback, and
``LoadStopped`` blames the system (a full disk) for what is the file's fault: both are bugs.
A refused file must leave the warehouse's data exactly as it was, and what loads must read
back as the dashboard reads it.

Examples are derandomised so CI is reproducible; ``SVDASH_FUZZ_EXAMPLES=20`` multiplies the
example counts for a long local run (about 15 minutes), ``SVDASH_FUZZ_RANDOM=1`` draws fresh
examples each run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from helpers import GEO_HEADER, GEO_ROWS, POLICEUK_HEADER, VALID, feed_rows
from helpers import fuzz as shared_fuzz
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etl.contracts import CONTRACTS, EVENT_FEEDS
from etl.load import FileReport, LoadStopped, load_files
from etl.mapping import MappingError
from svcore.warehouse import connect_reader

# Examples per feed and strategy, each a batch of up to 6 files, sized so the module runs in
# under a minute on two cores: every load_files call pays ~0.3 s (lock, recovery check,
# publish, audit), and each file ~0.02 s (refused on reading) to ~0.1 s (validated).
EXAMPLES = {"bytes": 4, "csv": 3, "workbooks": 2, "mappings": 4, "geojson": 10, "packed": 2}
STATUSES = {"loaded", "refused", "unchanged"}
CSV_FEEDS = tuple(f for f in CONTRACTS if f != "boundaries")
# Bytes and workbooks meet the shared readers first, so a few feeds stand for the rest: one
# of the standard contract, and those whose adapters reshape the file (the population year
# also comes from the file name).
BYTES_FEEDS = ("police", "population", "boundaries")
XLSX_FEEDS = ("police", "health", "geography", "population", "imd")


def fuzz(n: int) -> settings:
    """Workbooks and GeoJSON examples are large by design."""
    return shared_fuzz(n, HealthCheck.data_too_large)


# ---- a valid file of every feed, for the fuzzers to spoil --------------------------------

INDICATOR_HEADER = (
    "indicator_code",
    "indicator_name",
    "area_code",
    "period",
    "value",
    "numerator",
    "denominator",
    "unit",
    "source",
)
IMD_HEADER = (
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Score (rate)",
    "Crime Decile (where 1 is most deprived 10% of LSOAs)",
)
POPULATION_WIDE = ("LSOA 2021 Code", "LSOA 2021 Name", "Total", "F0", "F1", "M0", "M90")
POPULATION_LONG = ("area_code", "year", "sex", "age", "population")
LSOA_LOOKUP_HEADER = (
    "LSOA11CD",
    "LSOA11NM",
    "LSOA21CD",
    "LSOA21NM",
    "CHGIND",
    "LAD22CD",
    "LAD22NM",
)


def base_file(feed: str, variant: int = 0) -> tuple[str, tuple[str, ...], list[list[str]]]:
    """A file name, header and rows that load cleanly into the test warehouse."""
    if feed in EVENT_FEEDS:
        header = POLICEUK_HEADER if feed == "policeuk" else tuple(VALID[feed])
        rows = [[r.get(h, "") for h in header] for r in feed_rows(feed, 3, start=9000 + variant)]
        return f"{feed}.csv", header, rows
    if feed == "indicators":
        return (
            "indicators.csv",
            INDICATOR_HEADER,
            [
                [
                    "knife_admissions",
                    "Knife admissions",
                    "E08000001",
                    "2023",
                    "12.5",
                    "5",
                    "40000",
                    "per 100,000",
                    "OHID",
                ],
                [
                    "knife_admissions",
                    "Knife admissions",
                    "E08000002",
                    "2023/24",
                    "3",
                    "",
                    "",
                    "",
                    "",
                ],
                ["nte_premises", "", "E05000001", "2023-06", "..", "", "", "count", "LA"],
            ],
        )
    if feed == "geography":
        return "lookup.csv", GEO_HEADER, [list(r) for r in GEO_ROWS]
    if feed == "imd":
        return (
            "File_7_IoD2019.csv",
            IMD_HEADER,
            [
                ["E01000001", "Alpha 001A", "E08000001", "Alpha", "29.5", "5,210", "2", "0.2", "1"],
                ["E01000004", "Beta 001A", "E08000002", "Beta", "12.25", "21000", "7", "0.05", "9"],
            ],
        )
    if feed == "population":
        if variant % 2:
            return (
                "population.csv",
                POPULATION_LONG,
                [
                    ["E08000001", "2022", "F", "30", "1200"],
                    ["E01000002", "2022", "persons", "", "1500"],
                ],
            )
        return (
            "mid2022-lsoa.csv",
            POPULATION_WIDE,
            [
                ["E01000001", "Alpha 001A", "1520", "10", "12", "9", "4"],
                ["E01000004", "Beta 001A", "1610", "11", "8", "13", "2"],
            ],
        )
    if feed == "policeuk_outcomes":
        header = (*POLICEUK_HEADER[:9], "Outcome type")
        rows = [
            [r.get(h, "") for h in header] for r in feed_rows("policeuk", 3, start=9000 + variant)
        ]
        for row in rows:
            row[-1] = "Suspect charged"
        return "2024-01-test-outcomes.csv", header, rows
    if feed == "lsoa_lookup":
        return (
            "LSOA11_LSOA21_LAD22_LU.csv",
            LSOA_LOOKUP_HEADER,
            [
                ["E01000001", "Alpha 001A", "E01000001", "Alpha 001A", "U", "E08000001", "Alpha"],
                ["E01000006", "Alpha 001C", "E01000002", "Alpha 001B", "S", "E08000001", "Alpha"],
                ["E01000006", "Alpha 001C", "E01000003", "Alpha 002A", "S", "E08000001", "Alpha"],
                ["E01000007", "Beta 001C", "E01000004", "Beta 001A", "M", "E08000002", "Beta"],
                ["E01000008", "Beta 001D", "E01000004", "Beta 001A", "M", "E08000002", "Beta"],
            ],
        )
    if feed == "msoa_lookup":
        return (
            "LSOA21_MSOA21_LU.csv",
            ("LSOA21CD", "LSOA21NM", "MSOA21CD", "MSOA21NM"),
            [
                ["E01000001", "Alpha 001A", "E02000001", "Alpha 001"],
                ["E01000002", "Alpha 001B", "E02000001", "Alpha 001"],
                ["E01000004", "Beta 001A", "E02000002", "Beta 001"],
            ],
        )
    if feed == "census_ethnicity":
        groups = ("White", "Asian, Asian British or Asian Welsh", "Other ethnic group")
        return (
            "census2021-ts021-lsoa.csv",
            (
                "date",
                "geography",
                "geography code",
                "Ethnic group: Total: All usual residents",
                *(f"Ethnic group: {g}" for g in groups),
            ),
            [
                ["2021", "Alpha 001A", "E01000001", "1500", "1200", "250", "50"],
                ["2021", "Beta 001A", "E01000004", "1610", "1,400", "200", "10"],
            ],
        )
    raise KeyError(feed)


# ---- hostile values ----------------------------------------------------------------------

NASTY = (
    "",
    " ",
    "\t",
    '"',
    '""',
    "'",
    ",",
    "a,b",
    '"a,b"',
    "\n",
    "\r\n",
    "\r",
    "a\nb",
    "\x00",
    "a\x00b",
    "\ufeff",
    "\u202e",
    "\u00a0",
    "é",
    "Ã©",
    "â€™",
    "💥",
    "中文",
    "NULL",
    "null",
    "None",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "-0",
    "0",
    "-1",
    "1.5",
    "24.5",
    "1,5",
    "1,000,000",
    "99999999999999999999",
    "-99999999999",
    "0x10",
    "١٢",
    "２４",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "0000-01-01 00:00",
    "0001-01-01T00:00",
    "1899-12-31",
    "0000-01",
    "0000",
    "10000-01-01",
    "2024-1-1",
    "01/02/2024",
    "2024-01-10T25:00",
    "2024-01-10 23:59:60",
    "24:00",
    "23:59:59.999999",
    "-01:00",
    "2024-01",
    "2024-13",
    "2024/25",
    "mid2022",
    "E01000001",
    " e01000001 ",
    "E0100000１",
    "E01٠٠٠٠٠١",
    "E08000001",
    "E05000001",
    "W01000001",
    "E01000001;E01000002",
    "Y",
    "yes",
    "TRUE",
    "n",
    "2",
    "M",
    "f",
    "persons",
    "knife_sharp",
    "=1+1",
    "@SUM(A1)",
    "'; DROP TABLE police; --",
    "$v0",
    "$1",
    "?",
    "\\",
    "\\N",
    "%s",
    "{'column': 'x'}",
    "[1, 2]",
    "x" * 5000,
)
cell_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.from_regex(r"-?[0-9]{1,25}([.,][0-9]{0,6})?", fullmatch=True),
    st.dates().map(str),
    st.builds(lambda d, sep: d.isoformat(sep=sep), st.datetimes(), st.sampled_from(" T")),
)
header_name = st.one_of(
    st.sampled_from(
        (
            "_line",
            "rn",
            "l",
            "col",
            "v",
            "lines",
            "recs",
            "column0",
            "name",
            "value",
            "crime_ref",
            "CRIME REF",
            "Crime-Ref",
            " crime_ref ",
            "\ufeffcrime_ref",
            "lsoa21cd",
            "LSOA11CD",
            "lsoa_code",
            "area_code",
            "ward_code",
            "district_code",
            "lsoa_year",
            "WD23CD",
            "LAD23CD",
            "LSOA 2021 Code",
            "sex",
            "age",
            "year",
            "population",
            "total",
            "Total population",
            "F0",
            "M90_plus",
            "f1",
            "domain",
            "score",
            "rank",
            "decile",
            "Income Score (rate)",
            "indicator_code",
            "period",
            "Month",
            "Crime ID",
            '"',
            'a"b',
            "",
            " ",
            "a,b",
            "x\ny",
            "_",
            "__",
            "é",
            "💥",
            "x" * 300,
        )
    ),
    st.text(max_size=20),
)
ENCODINGS = (
    "utf-8",
    "utf-8",
    "utf-8-sig",
    "cp1252",
    "latin-1",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "ascii",
)


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def csv_text(
    header: Sequence[str], rows: Sequence[Sequence[str]], quoting: str, newline: str
) -> str:
    """The rows as CSV: quoted properly (as Excel does), quoting everything, or not at all."""
    if quoting == "none":  # a hand-made export: commas and quotes inside values break rows
        return "".join(",".join(r) + newline for r in [list(header), *rows])
    buf = io.StringIO()
    w = csv.writer(
        buf,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL,
    )
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


# ---- file strategies ---------------------------------------------------------------------


@st.composite
def hostile_cells(draw: st.DrawFn, feed: str) -> tuple[str, bytes, set[int] | None]:
    """The feed's own header; some cells of some rows replaced by hostile text.

    Also gives the lines (records, header = 1) that were spoiled, when the file is written
    so that its records are still the ones meant (quoted, and in an encoding the reader
    recognises), else None."""
    name, header, rows = base_file(feed, draw(st.integers(0, 3)))
    rows = [list(r) for r in rows]
    spoiled: set[int] = set()
    for line, row in enumerate(rows, start=2):
        for i, value in draw(
            st.dictionaries(st.integers(0, len(header) - 1), cell_text, max_size=4)
        ).items():
            if value != row[i]:
                row[i] = value
                spoiled.add(line)
    quoting = draw(st.sampled_from(("minimal", "minimal", "all", "none")))
    encoding = draw(st.sampled_from(ENCODINGS))
    text = csv_text(header, rows, quoting, draw(st.sampled_from(("\n", "\r\n", "\r"))))
    # The csv module quotes a value holding "\r" only when "\r" ends its lines: a bare one
    # elsewhere is a line break to any reader, and the rows are not the ones written.
    breaks = any("\r" in v or "\n" in v for r in rows for v in r)
    separable = (quoting == "all" or (quoting == "minimal" and not breaks)) and (
        encoding not in ("utf-16-le", "utf-16-be")
    )
    return name, encode(text, encoding), spoiled if separable else None


@st.composite
def hostile_headers(draw: st.DrawFn, feed: str) -> tuple[str, bytes]:
    """Columns shuffled, dropped, repeated, renamed or added; rows too short or too long."""
    name, header, rows = base_file(feed, draw(st.integers(0, 3)))
    order = draw(st.lists(st.integers(0, len(header) - 1), max_size=len(header) + 3))
    if draw(st.booleans()):  # usually all the feed's columns, in some order
        order = draw(st.permutations(range(len(header)))) + order[: draw(st.integers(0, 2))]
    new_header = [header[i] for i in order]
    new_rows = [[r[i] for i in order] for r in rows]
    for pos, extra in draw(st.lists(st.tuples(st.integers(0, 30), header_name), max_size=3)):
        pos = min(pos, len(new_header))
        new_header.insert(pos, extra)
        for r in new_rows:
            r.insert(pos, draw(st.one_of(st.just(""), cell_text)))
    restyle = draw(st.sampled_from(("", "upper", "title", "spaces", "bom")))
    new_header = {
        "upper": [h.upper() for h in new_header],
        "title": [h.replace("_", " ").title() for h in new_header],
        "spaces": [f"  {h} " for h in new_header],
        "bom": ["\ufeff" + h for h in new_header[:1]] + new_header[1:],
    }.get(restyle, new_header)
    for r in new_rows:  # ragged rows
        delta = draw(st.integers(-3, 3)) if draw(st.booleans()) else 0
        if delta < 0:
            del r[delta:]
        else:
            r.extend(["x"] * delta)
    rows_out = new_rows[: draw(st.integers(0, len(new_rows)))] if draw(st.booleans()) else new_rows
    text = csv_text(
        new_header,
        rows_out,
        draw(st.sampled_from(("minimal", "none"))),
        draw(st.sampled_from(("\n", "\r\n"))),
    )
    return name, encode(text, draw(st.sampled_from(ENCODINGS)))


def file_name(extensions: Sequence[str]) -> st.SearchStrategy[str]:
    stem = st.one_of(
        st.sampled_from(
            (
                "data",
                "mid2022",
                "mid-1899",
                "2099",
                "o'brien",
                'a"b',
                "x y",
                "é",
                "x" * 240,
                "é" * 120,
            )
        ),  # as long as a file name can be
        st.text(
            st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
            min_size=1,
            max_size=30,
        ),
    )
    return st.builds(lambda s, e: s + e, stem, st.sampled_from(extensions))


@st.composite
def arbitrary_bytes(draw: st.DrawFn, extensions: Sequence[str]) -> tuple[str, bytes]:
    """Anything at all, sometimes behind a BOM or a zip signature."""
    prefix = draw(
        st.sampled_from(
            (
                b"",
                b"",
                b"\xef\xbb\xbf",
                b"\xff\xfe",
                b"\xfe\xff",
                b"PK\x03\x04",
                b"{",
                b"crime_ref,",
            )
        )
    )
    return draw(file_name(extensions)), prefix + draw(st.binary(max_size=600))


def _xlsx(header: Sequence[object], rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook()
    ws = wb.active
    for row in [list(header), *rows]:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


xlsx_value = st.one_of(
    st.none(),
    cell_text,
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.times(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
)


@st.composite
def hostile_workbooks(draw: st.DrawFn, feed: str) -> tuple[str, bytes]:
    """A real .xlsx with hostile header and cells, damaged inside its zip, or not a zip."""
    kind = draw(st.sampled_from(("cells", "cells", "damaged", "junk")))
    if kind == "junk":
        start = draw(st.sampled_from((b"", b"PK\x03\x04", b"PK\x05\x06" + b"\0" * 18)))
        return "data.xlsx", start + draw(st.binary(max_size=300))
    _, header, rows = base_file(feed, draw(st.integers(0, 3)))
    header = list(header)
    for i, h in draw(
        st.dictionaries(
            st.integers(0, len(header) + 2), st.one_of(header_name, xlsx_value), max_size=3
        )
    ).items():
        if i < len(header):
            header[i] = h
        else:
            header.append(h)
    cells: list[list[object]] = [list(r) for r in rows]
    for row in cells:
        for i, v in draw(
            st.dictionaries(st.integers(0, len(header) + 1), xlsx_value, max_size=4)
        ).items():
            row.extend([None] * (i + 1 - len(row)))
            row[i] = v
    data = _xlsx(header, cells)
    if kind == "damaged":
        zin = zipfile.ZipFile(io.BytesIO(data))
        members = zin.namelist()
        victim = draw(st.sampled_from(members))
        how = draw(st.sampled_from(("junk", "truncate", "drop")))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zout:
            for m in members:
                body = zin.read(m)
                if m == victim:
                    if how == "drop":
                        continue
                    body = (
                        draw(st.binary(max_size=200))
                        if how == "junk"
                        else body[: draw(st.integers(0, len(body)))]
                    )
                zout.writestr(m, body)
        data = out.getvalue()
    return "data.xlsx", data


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
coordinate = st.one_of(
    st.floats(-2.0, 1.0),
    st.floats(50.0, 55.0),
    st.floats(0, 700000),
    st.sampled_from((float("nan"), float("inf"), -1e308, 1e308, 0.0)),
)
position = st.lists(coordinate, min_size=0, max_size=3)
ring = st.one_of(
    st.lists(position, max_size=6),
    st.just([[-1.55, 53.79], [-1.54, 53.79], [-1.54, 53.80], [-1.55, 53.79]]),
    st.just([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]),  # a bow tie: invalid
)
geometry = st.one_of(
    json_value,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                (
                    "Polygon",
                    "MultiPolygon",
                    "Point",
                    "LineString",
                    "GeometryCollection",
                    "Bogus",
                    "",
                )
            ),
            "coordinates": st.one_of(
                position,
                st.lists(ring, max_size=2),
                st.lists(st.lists(ring, max_size=2), max_size=2),
                json_value,
            ),
        }
    ),
)
code_value = st.one_of(
    st.sampled_from(
        ("E01000001", "E05000001", "E08000001", "E01000009", "e01000002", "", "E0100000１")
    ),
    json_value,
)
properties = st.one_of(
    json_value,
    st.dictionaries(
        st.one_of(
            st.sampled_from(
                (
                    "LSOA21CD",
                    "LSOA21NM",
                    "LSOA11CD",
                    "WD23CD",
                    "WD23NM",
                    "LAD23CD",
                    "lsoa_code",
                    "area_code",
                    "ward_code",
                    "district_code",
                    "LSOA99CD",
                    "lad00cd",
                )
            ),
            st.text(max_size=8),
        ),
        code_value,
        max_size=4,
    ),
)
feature = st.one_of(
    json_value,
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "properties": properties, "geometry": geometry}
    ),
)
BNG_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}


@st.composite
def hostile_geojson(draw: st.DrawFn) -> tuple[str, bytes]:
    """Arbitrary JSON, and FeatureCollections with broken features, properties or geometry."""
    doc = draw(
        st.one_of(
            json_value,
            st.fixed_dictionaries(
                {
                    "type": st.just("FeatureCollection"),
                    "features": st.one_of(st.lists(feature, max_size=4), json_value),
                },
                optional={"crs": st.one_of(st.just(BNG_CRS), json_value)},
            ),
        )
    )
    text = json.dumps(doc)  # NaN and Infinity as JavaScript writes them
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] if draw(st.booleans()) else text[:cut] + draw(st.text(max_size=5))
    return draw(file_name((".geojson", ".json"))), encode(
        text, draw(st.sampled_from(("utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1")))
    )


def toml(value: object) -> str:
    """A TOML value (inline tables and arrays); JSON's string escapes are TOML's too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes, but no surrogate pairs and DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


toml_value = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(("police", "indicators", "crime_ref", "weapon", "unknown", "x")),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
date_format = st.one_of(
    st.sampled_from(
        (
            "%d/%m/%Y",
            "%Y%m%d",
            "%d/%m/%Y %H:%M",
            "%Q",
            "%",
            "%Y %",
            "%-d/%-m/%Y",
            "%s",
            "%z",
            "",
            "%%",
            "%Y-%m-%d %H:%M:%S.%f",
            "%j",
            "%Y-%m-%d%n",
        )
    ),
    st.text(max_size=8),
)
column_name = st.one_of(
    st.sampled_from(
        (
            *CONTRACTS["police"].names,
            *CONTRACTS["indicators"].names,
            "_line",
            "Crime Ref",
            "a",
            "NEET %",
            "",
        )
    ),
    st.text(max_size=8),
)


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy = toml_value) -> st.SearchStrategy:
    """The right kind of value three times in four, so loads get past the mapping."""
    return st.one_of(good, good, good, bad)


mapping_doc = st.fixed_dictionaries(
    {},
    optional={
        "partner": mostly(st.text(max_size=12)),
        "feed": mostly(st.sampled_from(("police", "indicators"))),
        "columns": mostly(st.dictionaries(column_name, mostly(column_name), max_size=4)),
        "values": mostly(
            st.dictionaries(
                column_name,
                mostly(
                    st.dictionaries(
                        st.text(max_size=6), mostly(st.sampled_from(NASTY[:40])), max_size=3
                    )
                ),
                max_size=3,
            )
        ),
        "dates": mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "formats": mostly(st.one_of(st.lists(date_format, max_size=3), date_format)),
                    "datetime_formats": mostly(st.lists(date_format, max_size=3)),
                },
            )
        ),
        "defaults": mostly(
            st.dictionaries(column_name, mostly(st.sampled_from(NASTY[:60])), max_size=3)
        ),
        "wide": mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "columns": mostly(
                        st.dictionaries(
                            st.one_of(column_name, st.just("NEET %")),
                            mostly(st.text(max_size=8)),
                            max_size=3,
                        )
                    ),
                    "key": mostly(st.text(max_size=8)),
                },
            )
        ),
        "missing": mostly(
            st.fixed_dictionaries(
                {}, optional={"markers": mostly(st.lists(st.sampled_from(NASTY[:40]), max_size=3))}
            )
        ),
    },
)


@st.composite
def hostile_mappings(draw: st.DrawFn) -> bytes:
    """Mapping files: not TOML at all, or TOML with every key given the wrong kind of value."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.one_of(st.binary(max_size=100), st.text(max_size=100).map(str.encode)))
    doc = draw(mapping_doc)
    lines = [f"{k} = {toml(v)}" for k, v in doc.items()]
    return "\n".join(lines).encode()


# ---- the property ------------------------------------------------------------------------


def data_counts(
    warehouse: Path, feed: str | None = None, refused: Sequence[FileReport] = ()
) -> dict[str, int]:
    """Rows a reader sees in every feed table (opening the warehouse is itself a check).

    With ``feed`` (after a batch that loaded something), also read the feed back as the
    dashboard does, as Python and pandas values: a date DuckDB stores but Python cannot hold
    (year 0) would break every page. And check that the batch's ``refused`` files wrote no
    data part and replaced none."""
    con = connect_reader(warehouse)
    try:
        if feed is not None:
            con.execute(f"SELECT * FROM {feed}").fetchall()
            con.execute(f"SELECT * FROM {feed}").df()
            if feed in EVENT_FEEDS:
                con.execute("SELECT period, count(*) FROM events GROUP BY period").df()
        for r in refused:
            if r.load_id is not None:
                touched = con.execute(
                    "SELECT count(*) FROM parts WHERE table_name <> 'quarantine' AND "
                    "(load_id = $id OR superseded_by = $id)",
                    {"id": r.load_id},
                ).fetchone()[0]
                assert touched == 0, f"a refused file changed the data: {r}"
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (*CONTRACTS, "events")
        }
    finally:
        con.close()


_serial = itertools.count()
Files = Sequence[tuple[str, bytes]]


def check_batch(
    warehouse: Path,
    feed: str,
    folder: Path,
    files: Files,
    key_file: Path,
    before: dict[str, int],
    mapping: bytes | None = None,
) -> tuple[list[FileReport] | None, dict[str, int]]:
    """Load files in one batch (through a mapping file when given); assert a clear outcome
    for each and that a refused file changed no data.

    Several files to a batch, as ``svdash load`` is used, also spread the batch's fixed cost
    (lock, recovery check, publish). Returns the reports (None after a clear error) and the
    row counts after the batch."""
    folder = folder / f"f{next(_serial)}"
    paths = []
    for i, (name, data) in enumerate(files):  # a folder each keeps the file's own name
        (folder / str(i)).mkdir(parents=True)
        paths.append(folder / str(i) / name)
        paths[-1].write_bytes(data)
    mapping_path = None
    if mapping is not None:
        mapping_path = folder / "mapping.toml"
        mapping_path.write_bytes(mapping)
    reports: list[FileReport] | None = None
    try:
        reports = load_files(warehouse, feed, paths, mapping_path=mapping_path, key_path=key_file)
    except LoadStopped as exc:  # for the system's faults (disk full), never a file's
        raise AssertionError(f"a file's content stopped the batch: {exc}") from exc
    except (MappingError, ValueError) as exc:  # what `svdash load` catches and prints
        assert type(exc) in (MappingError, ValueError), f"{type(exc).__name__}: {exc}"
        named = [str(mapping_path)] if isinstance(exc, MappingError) else map(str, paths)
        assert any(str(exc).startswith(n) for n in named), f"names no file: {exc}"
    else:
        # A file inside a zip is named as in it: the zip's path, then the member's.
        assert len(reports) == len(paths) and all(
            r.path == str(p) or r.path.startswith(f"{p}/")
            for r, p in zip(reports, paths, strict=True)
        ), reports
        for report in reports:
            check_report(report, feed)
    if not reports or all(r.status != "loaded" for r in reports):
        after = data_counts(warehouse)
        assert after == before, f"files that were not loaded changed the data: {reports}"
    else:
        after = data_counts(warehouse, feed, [r for r in reports if r.status == "refused"])
    return reports, after


def check_report(report: FileReport, feed: str) -> None:
    assert report.feed == feed and report.status in STATUSES, report
    if report.status == "refused":
        assert report.message.strip(), report
    for err in report.errors:
        assert set(err) == {"line", "column", "reason"}, err
        assert isinstance(err["reason"], str) and err["reason"].strip(), err
        assert err["line"] is None or (isinstance(err["line"], int) and err["line"] >= 1), err
        assert err["column"] is None or isinstance(err["column"], str), err


@pytest.fixture
def fuzz_load(
    make_warehouse: Callable[..., Path], tmp_path: Path, key_file: Path
) -> Callable[..., list[FileReport] | None]:
    """``fuzz_load(feed, [(name, bytes), ...], mapping=None)``: one warehouse per test, shared
    by its examples (refusals change nothing; loads of a feed merge or replace that feed's
    periods). The replace guard is off: these examples test what files hold, and one file
    after another replaces most of a tiny period (tests/etl/test_load_modes.py tests it)."""
    wh = make_warehouse(max_replace_removal=1.0)
    folder = tmp_path / "in"
    counts = data_counts(wh)

    def run(feed: str, files: Files, mapping: bytes | None = None) -> list[FileReport] | None:
        nonlocal counts
        reports, counts = check_batch(wh, feed, folder, files, key_file, counts, mapping)
        return reports

    return run


@pytest.mark.parametrize("feed", CSV_FEEDS)
def test_the_base_files_load_and_their_headers_alone_are_refused(fuzz_load, feed: str) -> None:
    """The files the fuzzers spoil load cleanly (else they would only ever exercise 'missing
    column' refusals); the same header with no rows is refused, in UTF-8 or UTF-16."""
    files = []
    for variant in (0, 1):
        name, header, rows = base_file(feed, variant)
        files.append((name, csv_text(header, rows, "minimal", "\n").encode()))
    files.append((name, ("\ufeff" + ",".join(header) + "\r\n").encode("utf-16")))
    reports = fuzz_load(feed, files)
    assert reports is not None
    for report in reports[:2]:
        assert report.status in ("loaded", "unchanged") and not report.errors, report
    for report in reports[2:]:
        assert report.status == "refused" and "no data rows" in report.message, report


def _damaged_workbook(how: str) -> bytes:
    """A workbook whose first sheet is missing, or is not XML (damage openpyxl finds late)."""
    data = io.BytesIO(_xlsx(["crime_ref"], [["CRQX1"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as zin, zipfile.ZipFile(out, "w") as zout:
        for m in zin.namelist():
            if m.startswith("xl/worksheets/"):
                if how == "missing":
                    continue
                zout.writestr(m, b"<worksheet><sheetData><row><c t='s'><v>9")
            else:
                zout.writestr(m, zin.read(m))
    return out.getvalue()


EDGE_FILES: tuple[tuple[str, bytes], ...] = (
    ("empty.csv", b""),
    ("bom.csv", b"\xef\xbb\xbf"),
    ("utf16-bom.csv", b"\xff\xfe"),
    ("newlines.csv", b"\n\n\n"),
    ("crs.csv", b"\r\r\r"),
    ("nul.csv", b"\x00" * 64),
    ("quote.csv", b'"'),
    ("comma.csv", b","),
    ("odd-utf16.csv", b"\xff\xfe" + "a,b\n".encode("utf-16-le") + b"x"),
    ("lone-surrogate.csv", b"\xff\xfe" + b"\x00\xd8a\x00,\x00b\x00"),
    ("utf16-no-bom.csv", "crime_ref,recorded_date\nX,2024-01-01\n".encode("utf-16-le")),
    ("long-line.csv", b"crime_ref\n" + b"x" * (3 << 20) + b"\n"),
    ("empty.xlsx", b""),
    ("junk.xlsx", b"PK\x03\x04 not really a zip"),
    ("empty.geojson", b""),
    ("no-sheet.xlsx", _damaged_workbook("missing")),
    ("broken-sheet.xlsx", _damaged_workbook("junk")),
    ("é" * 120 + ".csv", "crime_ref\nX\n".encode("utf-16")),  # a converted copy's name
)


@pytest.mark.parametrize("feed", ["police", "boundaries"])
def test_edge_files_get_an_answer(fuzz_load, feed: str) -> None:
    """Empty files, lone BOMs, lone quotes, half encodings and damaged workbooks (one reader
    serves every CSV feed, so police stands for them all)."""
    reports = fuzz_load(feed, EDGE_FILES)
    assert reports is not None
    for (_name, data), report in zip(EDGE_FILES, reports, strict=True):
        if data.strip(b"\xef\xbb\xbf\xff\xfe\n\r") == b"":
            assert report.status == "refused", report


def test_file_names_in_any_script_never_break_the_audit_log(tmp_path: Path) -> None:
    """Found by the fuzzers: after enough loads of files named "éé...", loading stopped."""
    from svcore import audit

    log = audit.audit_path(tmp_path)
    log.parent.mkdir(parents=True)
    for pad in range(4):  # shift the lines until the 64 KiB cut falls inside an "é"
        lines = [
            json.dumps(
                {"seq": i + 1, "file": "x" * pad * (i == 399) + "é" * 100}, ensure_ascii=False
            )
            for i in range(400)
        ]
        data = ("\n".join(lines) + "\n").encode()
        if 0x80 <= data[len(data) - 65536] <= 0xBF:
            break
    log.write_bytes(data)
    assert audit.record(tmp_path, "load", file="é" * 120)["seq"] == 401


UNUSABLE = {
    "police": [("recorded_date", "0000-01-01"), ("offence_date", "0001-01-01")],
    "health": [("arrival_datetime", "0000-01-01 10:00")],
    "probation": [("snapshot_date", "1899-12-31")],
    "policeuk": [("Month", "0000-01")],
    "indicators": [("value", "inf"), ("value", "NaN"), ("period", "0000")],
    "population": [("F0", "1e999")],
}


@pytest.mark.parametrize("feed", UNUSABLE)
def test_values_that_load_but_cannot_be_used_are_quarantined(fuzz_load, feed: str) -> None:
    """Year 0 parses (as 1 BC), loaded, and broke every page reading it; 'inf' is no measure."""
    files = []
    for i, (column, value) in enumerate(UNUSABLE[feed]):
        name, header, rows = base_file(feed, 10 + i)
        rows[0][header.index(column)] = value
        files.append((name, csv_text(header, rows, "minimal", "\n").encode()))
    reports = fuzz_load(feed, files)
    assert reports is not None
    for (column, _value), report in zip(UNUSABLE[feed], reports, strict=True):
        assert report.rows_quarantined == 1, report
        assert {e["line"] for e in report.errors} == {2}, report.errors
        want = "population" if feed == "population" else column.lower()  # F0 melts to population
        assert any(e["column"] == want for e in report.errors), report.errors


def batches(files: st.SearchStrategy, most: int) -> st.SearchStrategy:
    return st.lists(files, min_size=1, max_size=most)


@pytest.mark.parametrize("feed", BYTES_FEEDS)
@fuzz(EXAMPLES["bytes"])
@given(
    files=batches(
        arbitrary_bytes(
            (
                ".csv",
                ".txt",
                ".CSV",
                ".xlsx",
                ".xlsm",
                ".geojson",
                ".zip",
                ".csv.gz",
                ".gz",
                ".shp",
                ".gpkg",
                "",
            )
        ),
        5,
    )
)
def test_arbitrary_bytes_get_an_answer(fuzz_load, feed: str, files: Files) -> None:
    fuzz_load(feed, files)


@pytest.mark.parametrize("feed", CSV_FEEDS)
@fuzz(EXAMPLES["csv"])
@given(data=st.data())
def test_hostile_csv_files_get_an_answer(fuzz_load, feed: str, data: st.DataObject) -> None:
    """Spoiled cells, and spoiled headers and rows. A bad value is reported on its own line:
    an untouched row is never blamed."""
    drawn = data.draw(
        batches(
            st.one_of(
                hostile_cells(feed),
                hostile_headers(feed).map(lambda file: (*file, None)),
            ),
            6,
        )
    )
    reports = fuzz_load(feed, [(name, content) for name, content, _ in drawn])
    for (_name, _content, spoiled), report in zip(drawn, reports or [], strict=False):
        if spoiled is not None:
            lines = {e["line"] for e in report.errors if e["line"] is not None}
            assert lines <= spoiled | {1}, (sorted(lines), sorted(spoiled), report.errors)


@pytest.mark.parametrize("feed", ["police", "imd"])
@fuzz(EXAMPLES["packed"])
@given(data=st.data())
def test_hostile_csv_files_packed_get_an_answer(fuzz_load, feed: str, data: st.DataObject) -> None:
    """The same spoiled files gzipped, as portals publish them, and a zip of one of them."""
    import gzip

    drawn = data.draw(batches(hostile_cells(feed), 4))
    files = [(name + ".gz", gzip.compress(content)) for name, content, _ in drawn]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(drawn[0][0], drawn[0][1])
    fuzz_load(feed, [*files, (drawn[0][0] + ".zip", out.getvalue())])


@pytest.mark.parametrize("feed", XLSX_FEEDS)
@fuzz(EXAMPLES["workbooks"])
@given(data=st.data())
def test_hostile_workbooks_get_an_answer(fuzz_load, feed: str, data: st.DataObject) -> None:
    fuzz_load(feed, data.draw(batches(hostile_workbooks(feed), 4)))


@pytest.mark.parametrize("feed", ["police", "indicators"])
@fuzz(EXAMPLES["mappings"])
@given(mapping=hostile_mappings(), variant=st.integers(0, 3), wide=st.booleans())
@example(mapping=b"[dates]\nformats = 5", variant=0, wide=False)
@example(mapping=b"[dates]\nformats = ['%Q']", variant=0, wide=False)
@example(mapping=b"[dates]\ndatetime_formats = ['%d/%m/%Y', 1]", variant=0, wide=False)
@example(mapping=b"partner = 5", variant=0, wide=False)
@example(mapping=b"[missing]\nmarkers = 5", variant=0, wide=False)
@example(mapping=b"[missing]\nmarkers = '..'", variant=0, wide=False)
@example(mapping=b"[columns]\na = {b = 1}", variant=0, wide=False)
@example(mapping=b"[wide]\ncolumns = ['NEET %']", variant=0, wide=True)
@example(mapping=b"[wide.columns]\nzzz = 'z'", variant=0, wide=True)
@example(mapping=b"[wide.columns]\n'NEET %' = 'neet'", variant=0, wide=False)
def test_hostile_mapping_files_get_an_answer(
    fuzz_load, feed: str, mapping: bytes, variant: int, wide: bool
) -> None:
    """A partner's mapping file is input too: a wrong kind of value is a MappingError that
    names the file and the key, not a crash half-way through the load."""
    name, header, rows = base_file(feed, variant)
    if wide:  # the wide indicator sheet a [wide.columns] mapping is for
        header, rows = (
            ("Area Code", "Period", "NEET %", "a"),
            [["E08000001", "2024-03", "5.5", "1,200"]],
        )
    # A serial column makes every file new, so no load is skipped as "unchanged".
    header = (*header, "fuzz_serial")
    rows = [[*r, str(next(_serial))] for r in rows]
    fuzz_load(feed, [(name, csv_text(header, rows, "minimal", "\n").encode())], mapping)


@fuzz(EXAMPLES["geojson"])
@given(files=batches(hostile_geojson(), 5))
@example(
    files=[
        ("deep.geojson", b"[" * 100_000 + b"]" * 100_000),
        ("big-int.geojson", b'{"features": [' + b"1" * 5000 + b"]}"),
        ("features-number.geojson", b'{"features": 5}'),
        ("features-text.geojson", b'{"features": "abc"}'),
        ("properties-list.geojson", b'{"features": [{"properties": [1]}]}'),
    ]
)
def test_hostile_geojson_gets_an_answer(fuzz_load, files: Files) -> None:
    fuzz_load("boundaries", files)
