"""Feed-specific reshaping of a raw file into the contract's columns (still all text).

Event feeds arrive in the contract's shape already (after the mapping file's renames); the
official reference files do not: ONS lookups carry year suffixes (LSOA21CD, WD23CD), IoD files
are wide with long headers, population estimates are wide by sex and age, boundaries are
GeoJSON. Each adapter turns its input into temp table ``canon`` so one validator serves all.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from etl.contracts import Contract
from etl.mapping import Mapping
from etl.read import FileRefused, drop_temp, replace_temp
from svcore.sql import ident

INDICATOR_MISSING = ("z", "x", "c", ":", "..", "[c]", "[x]", "[z]", "[low]", "u", "-")

IOD_DOMAINS = {
    "index_of_multiple_deprivation_imd": "imd",
    "income": "income",
    "employment": "employment",
    "education_skills_and_training": "education",
    "health_deprivation_and_disability": "health",
    "crime": "crime",
    "barriers_to_housing_and_services": "barriers",
    "living_environment": "living_environment",
    "income_deprivation_affecting_children_index_idaci": "idaci",
    "income_deprivation_affecting_older_people_idaopi": "idaopi",
}


def _columns(con: duckdb.DuckDBPyConnection, table: str = "raw") -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _standard(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    present = set(_columns(con)) - {"_line"}
    defaults = dict(mapping.defaults)
    missing = [c for c in contract.required if c not in present and c not in defaults]
    if missing:
        found = ", ".join(sorted(present)) or "none"
        raise FileRefused(
            path,
            f"missing required column(s) {', '.join(missing)} for feed {contract.feed!r} "
            f"(found: {found}); rename them in a mapping file if they are named differently",
            line=1,
            column=missing[0],
        )
    params: dict[str, object] = {}
    select = ["_line"]
    for i, col in enumerate(contract.names):
        if col in present:
            select.append(f"CAST({ident(col)} AS VARCHAR) AS {ident(col)}")
        elif col in defaults:
            params[f"d{i}"] = defaults[col]
            select.append(f"CAST($d{i} AS VARCHAR) AS {ident(col)}")
        else:
            select.append(f"CAST(NULL AS VARCHAR) AS {ident(col)}")
    kind = "TABLE" if params else "VIEW"  # a view cannot hold prepared parameters
    drop_temp(con, "canon")
    con.execute(f"CREATE TEMP {kind} canon AS SELECT {', '.join(select)} FROM raw", params)


def _geography(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    cols = _columns(con)
    found: dict[str, str] = {}
    year = None
    for c in cols:
        m = re.fullmatch(r"(lsoa|wd|lad)(\d{2})(cd|nm)", c)
        if not m:
            continue
        kind = {"lsoa": "lsoa", "wd": "ward", "lad": "district"}[m.group(1)]
        found[f"{kind}_{'code' if m.group(3) == 'cd' else 'name'}"] = c
        if kind == "lsoa":
            year = 2000 + int(m.group(2))
    for c in contract.names:
        if c in cols and c not in found:
            found[c] = c
    if "lsoa_year" in cols:
        found["lsoa_year"] = "lsoa_year"
    if year and "lsoa_year" not in found:
        replace_temp(con, "raw", f"SELECT *, '{year}' AS lsoa_year FROM raw")
        found["lsoa_year"] = "lsoa_year"
    renames = {v: k for k, v in found.items()}
    replace_temp(
        con,
        "raw",
        "SELECT "
        + ", ".join(f"{ident(c)} AS {ident(renames.get(c, c))}" for c in _columns(con))
        + " FROM raw",
    )
    _standard(con, path, contract, mapping)


def _imd(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    cols = _columns(con)
    lsoa = next((c for c in cols if c.startswith("lsoa_code")), None)
    district = next((c for c in cols if c.startswith("local_authority_district_code")), None)
    if lsoa is None:
        raise FileRefused(path, "no 'LSOA code (2011)' column: is this an IoD 2019 file?", line=1)
    measures: dict[str, dict[str, str]] = {}
    for c in cols:
        m = re.match(r"(.+?)_(score|rank|decile)(_|$)", c)
        if not m:
            continue
        domain = IOD_DOMAINS.get(m.group(1))
        if domain:
            measures.setdefault(domain, {})[m.group(2)] = c
    if not measures:
        raise FileRefused(
            path,
            "no IoD score, rank or decile columns found (expected IoD 2019 File 1, 2 or 5)",
            line=1,
        )
    parts = []
    for domain, m in measures.items():
        parts.append(
            f"SELECT _line, {ident(lsoa)} AS lsoa_code, "
            f"{ident(district) if district else 'NULL'} AS district_code, '{domain}' AS domain, "
            + ", ".join(
                f"{ident(m[k]) if k in m else 'NULL'} AS {k}" for k in ("score", "rank", "decile")
            )
            + " FROM raw"
        )
    replace_temp(con, "raw", " UNION ALL ".join(parts))
    _standard(con, path, contract, mapping)


def _year_from(path: Path, mapping: Mapping) -> str | None:
    if "year" in mapping.defaults:
        return mapping.defaults["year"]
    m = re.search(r"(?:mid[-_ ]?)?((?:19|20)\d{2})", path.name)
    return m.group(1) if m else None


def _population(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    cols = _columns(con)
    if {"area_code", "sex", "population"} <= set(cols):
        _standard(con, path, contract, mapping)
        return
    area = next(
        (c for c in cols if re.fullmatch(r"lsoa(_20\d\d)?_code|lsoa\d\dcd|lsoa_code_20\d\d", c)),
        None,
    ) or next((c for c in cols if c.startswith("lsoa_code")), None)
    if area is None:
        raise FileRefused(
            path,
            "no LSOA code column (expected 'LSOA 2021 Code' or 'LSOA code (2011)'); "
            "population is taken by LSOA",
            line=1,
        )
    year = _year_from(path, mapping)
    if year is None:
        raise FileRefused(
            path,
            "cannot tell the year of these estimates; put it in the file name (mid2022) "
            "or in the mapping file ([defaults] year = 2022)",
        )
    by_age = [c for c in cols if re.fullmatch(r"[fm]\d{1,2}(_plus)?", c)]
    total = next(
        (c for c in cols if c in ("total", "all_ages") or c.startswith("total_population")),
        None,
    )
    if by_age:
        names = ", ".join(ident(c) for c in by_age)
        replace_temp(
            con,
            "raw",
            f"SELECT _line, {ident(area)} AS area_code, '{year}' AS year, "
            "upper(left(col, 1)) AS sex, regexp_extract(col, '\\d+') AS age, v AS population "
            f"FROM (UNPIVOT raw ON {names} INTO NAME col VALUE v)",
        )
    elif total:
        replace_temp(
            con,
            "raw",
            f"SELECT _line, {ident(area)} AS area_code, '{year}' AS year, 'persons' AS sex, "
            f"NULL AS age, {ident(total)} AS population FROM raw",
        )
    else:
        raise FileRefused(path, "no population columns (expected Total, or F0..F90 and M0..M90)")
    _standard(con, path, contract, mapping)


def read_boundaries(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Temp table ``raw`` of boundary features; returns notes for the load report."""
    from etl.geo import boundary_rows

    table, notes = boundary_rows(path)
    con.register("geo_in", table)
    replace_temp(con, "raw", "SELECT * FROM geo_in")
    con.unregister("geo_in")
    return notes


def _lsoa_lookup(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    """The ONS LSOA 2011 -> 2021 lookup as published (LSOA11CD, LSOA21CD, CHGIND, LAD22CD)."""
    cols = _columns(con)
    found: dict[str, str] = {}
    for c in cols:
        m = re.fullmatch(r"(lsoa|lad)(\d{2})(cd|nm)", c)
        if m and m.group(1) == "lsoa" and m.group(2) in ("11", "21"):
            found[c] = f"lsoa{m.group(2)}_{'code' if m.group(3) == 'cd' else 'name'}"
        elif m and m.group(1) == "lad" and m.group(3) == "cd":
            found[c] = "district_code"
        elif c in ("chgind", "change_indicator", "change"):
            found[c] = "change"
    if not {"lsoa11_code", "lsoa21_code"} <= set(found.values()):
        raise FileRefused(
            path,
            "expected the ONS LSOA (2011) to LSOA (2021) lookup, with columns LSOA11CD, "
            f"LSOA21CD and CHGIND (found: {', '.join(c for c in cols if c != '_line')})",
            line=1,
        )
    select, used = [], set()
    for c in sorted(cols, key=lambda c: c not in found):  # the recognised columns first
        target = found.get(c, c)
        if target not in used:
            used.add(target)
            select.append(f"{ident(c)} AS {ident(target)}")
    replace_temp(con, "raw", f"SELECT {', '.join(select)} FROM raw")
    _standard(con, path, contract, mapping)


ADAPTERS = {
    "geography": _geography,
    "imd": _imd,
    "population": _population,
    "lsoa_lookup": _lsoa_lookup,
}


def to_canonical(con, path: Path, contract: Contract, mapping: Mapping) -> int:
    """Make temp table ``canon`` (contract columns as text, plus ``_line``) from ``raw``.

    Returns how many rows the mapping's ``[filter]`` left out (counted in ``canon``'s rows, so
    a melted wide sheet counts each left-out line once per melted column); they are not in
    ``canon``: not checked, not bad, not loaded.
    """
    if mapping.wide and contract.feed == "indicators":
        _melt_indicators(con, path, mapping)
    left_out = _filter_lines(con, path, mapping)
    ADAPTERS.get(contract.feed, _standard)(con, path, contract, mapping)
    if left_out is None:
        return 0
    n = con.execute(
        "SELECT count(*) FROM canon WHERE _line IN (SELECT _line FROM filtered_out)"
    ).fetchone()[0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE canon_kept AS SELECT * FROM canon "
        "WHERE _line NOT IN (SELECT _line FROM filtered_out)"
    )
    drop_temp(con, "canon")
    con.execute("ALTER TABLE canon_kept RENAME TO canon")
    con.execute("DROP TABLE filtered_out")
    return n


def _filter_lines(con, path: Path, mapping: Mapping) -> bool | None:
    """Temp table ``filtered_out(_line)``: the lines the mapping's ``[filter]`` leaves out."""
    if not mapping.keep:
        return None
    cols = set(_columns(con))
    conds, params = [], {}
    for i, (col, values) in enumerate(mapping.keep.items()):
        name = mapping.renames.get(col, col)
        if name not in cols:
            raise FileRefused(
                path,
                f"the mapping's [filter] names column {col!r}, which this file does not have "
                f"(found: {', '.join(sorted(cols - {'_line'})) or 'none'})",
                line=1,
                column=col,
            )
        params[f"k{i}"] = list(values)
        conds.append(f"coalesce(lower(trim({ident(name)})) = ANY($k{i}), FALSE)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE filtered_out AS SELECT DISTINCT _line FROM raw "
        f"WHERE NOT ({' AND '.join(conds)})",
        params,
    )
    return True


MELTED = ("indicator_code", "indicator_source_column", "value")


def _melt_indicators(con, path: Path, mapping: Mapping) -> None:
    """Wide indicator sheets (one column per measure) become long indicator rows."""
    cols = [c for c in _columns(con) if c != "_line"]
    value_cols = [c for c in cols if c in mapping.wide]
    if not value_cols:
        raise FileRefused(
            path,
            f"none of the mapping's [wide.columns] ({', '.join(mapping.wide)}) is a column of "
            f"this file (found: {', '.join(cols) or 'none'})",
            line=1,
        )
    keep = ["_line", *(c for c in cols if c not in mapping.wide)]
    clash = next((c for c in keep if c in MELTED), None)
    if clash:
        raise FileRefused(
            path,
            f"column {clash!r} would be mixed up with the values melted from the wide columns; "
            "list it under [wide.columns] or rename it under [columns] in the mapping file",
            line=1,
            column=clash,
        )
    names = ", ".join(ident(c) for c in value_cols)
    codes = list(mapping.wide)
    labels = [mapping.wide[c] for c in codes]
    replace_temp(
        con,
        "raw",
        "SELECT * EXCLUDE (_wide_col), "
        "list_extract($labels, list_position($codes, _wide_col)) AS indicator_code, "
        "_wide_col AS indicator_source_column "
        f"FROM (UNPIVOT (SELECT {', '.join(ident(c) for c in keep + value_cols)} FROM raw) "
        f"ON {names} INTO NAME _wide_col VALUE value)",
        {"labels": labels, "codes": codes},
    )
