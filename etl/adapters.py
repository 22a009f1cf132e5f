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
from etl.mapping import Mapping, normalise_name
from etl.read import FileRefused, drop_temp, replace_temp
from svcore.sql import ident, literal
from svcore.vocab import CENSUS_ETHNIC_GROUPS, CENSUS_ETHNIC_GROUPS_DETAILED

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


# The level of an area from its GSS code's entity (E01 LSOA, E02 MSOA, E05 ward, E06-9 district).
LEVEL_FROM_CODE_SQL = (
    "CASE WHEN regexp_matches(upper(trim({c})), '^[EW]01') THEN 'lsoa' "
    "WHEN regexp_matches(upper(trim({c})), '^[EW]02') THEN 'msoa' "
    "WHEN regexp_matches(upper(trim({c})), '^[EW]05') THEN 'ward' "
    "WHEN regexp_matches(upper(trim({c})), '^[EW]0[6-9]') THEN 'district' END"
)


def _population(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    """ONS mid-year estimates as published: by LSOA or MSOA; wide by sex and single year of
    age (``F0..F90, M0..M90``), by single year for persons (``0..90+``, the SAPE tables; a
    sex's own sheet says which with ``[defaults] sex = "F"``), a total, or long form."""
    cols = _columns(con)
    if {"area_code", "sex", "population"} <= set(cols):
        if "level" not in cols:
            level = LEVEL_FROM_CODE_SQL.format(c="area_code")
            replace_temp(con, "raw", f"SELECT *, {level} AS level FROM raw")
        _standard(con, path, contract, mapping)
        return
    code = r"(lsoa|msoa)(_20\d\d)?_code|(lsoa|msoa)\d\dcd|(lsoa|msoa)_code_20\d\d"
    area = next((c for c in cols if re.fullmatch(code, c)), None) or next(
        (c for c in cols if c.startswith(("lsoa_code", "msoa_code"))), None
    )
    if area is None:
        raise FileRefused(
            path,
            "no LSOA or MSOA code column (expected 'LSOA 2021 Code', 'MSOA Code' or "
            "'LSOA code (2011)'); population is taken by LSOA or MSOA",
            line=1,
        )
    year = _year_from(path, mapping)
    if year is None:
        raise FileRefused(
            path,
            "cannot tell the year of these estimates; put it in the file name (mid2022) "
            "or in the mapping file ([defaults] year = 2022)",
        )
    level = LEVEL_FROM_CODE_SQL.format(c=ident(area))
    by_age = [c for c in cols if re.fullmatch(r"[fm]\d{1,2}(_plus)?", c)]
    persons_by_age = [c for c in cols if re.fullmatch(r"\d{1,3}(_plus)?", c)]
    total = next(
        (c for c in cols if c in ("total", "all_ages") or c.startswith("total_population")),
        None,
    )
    if by_age:
        names = ", ".join(ident(c) for c in by_age)
        replace_temp(
            con,
            "raw",
            f"SELECT _line, {ident(area)} AS area_code, {level} AS level, '{year}' AS year, "
            "upper(left(col, 1)) AS sex, regexp_extract(col, '\\d+') AS age, v AS population "
            f"FROM (UNPIVOT raw ON {names} INTO NAME col VALUE v)",
        )
    elif persons_by_age:
        names = ", ".join(ident(c) for c in persons_by_age)
        sex = mapping.defaults.get("sex", "persons")
        replace_temp(
            con,
            "raw",
            f"SELECT _line, {ident(area)} AS area_code, {level} AS level, '{year}' AS year, "
            "$sex AS sex, regexp_extract(col, '\\d+') AS age, v AS population "
            f"FROM (UNPIVOT raw ON {names} INTO NAME col VALUE v)",
            {"sex": sex},
        )
    elif total:
        replace_temp(
            con,
            "raw",
            f"SELECT _line, {ident(area)} AS area_code, {level} AS level, '{year}' AS year, "
            f"'persons' AS sex, NULL AS age, {ident(total)} AS population FROM raw",
        )
    else:
        raise FileRefused(
            path, "no population columns (expected Total, 0..90+, or F0..F90 and M0..M90)"
        )
    _standard(con, path, contract, mapping)


def _msoa_lookup(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    """An ONS lookup naming each LSOA's MSOA (``LSOA21CD, MSOA21CD, MSOA21NM``, any year
    suffix; an output-area lookup ``OA21CD, LSOA21CD, MSOA21CD...`` gives one row per LSOA)."""
    cols = _columns(con)
    found: dict[str, str] = {}
    year = None
    for c in cols:
        m = re.fullmatch(r"(lsoa|msoa)(\d{2})(cd|nm)", c)
        if not m:
            continue
        found[f"{m.group(1)}_{'code' if m.group(3) == 'cd' else 'name'}"] = c
        if m.group(1) == "msoa":
            year = 2000 + int(m.group(2))
    for c in contract.names:
        if c in cols and c not in found:
            found[c] = c
    if not {"lsoa_code", "msoa_code"} <= set(found):
        raise FileRefused(
            path,
            "expected an ONS lookup with LSOA and MSOA codes (LSOA21CD and MSOA21CD, or "
            f"lsoa_code and msoa_code; found: {', '.join(c for c in cols if c != '_line')})",
            line=1,
        )
    if "msoa_year" not in found and year is None:
        year = mapping.defaults.get("msoa_year")
    pick = [
        f"{ident(found[k])} AS {k}"
        for k in ("lsoa_code", "lsoa_name", "msoa_code", "msoa_name", "msoa_year")
        if k in found
    ]
    if "msoa_year" not in found:
        pick.append(f"{int(year) if str(year or '').isdigit() else 'NULL'} AS msoa_year")
    # An output-area lookup repeats each LSOA once per output area: one row per distinct pair
    # (an LSOA in two MSOAs is still two rows, and the unique LSOA rule quarantines it).
    keys = ", ".join(k.split(" AS ")[1] for k in pick)
    replace_temp(
        con,
        "raw",
        f"SELECT min(_line) AS _line, {keys} FROM (SELECT _line, {', '.join(pick)} FROM raw) "
        f"GROUP BY ALL ORDER BY 1",
    )
    _standard(con, path, contract, mapping)


def _census_label(text: str | None) -> tuple[str, str | None] | None:
    """(broad code, detailed code or None) of a Census 2021 ethnic group heading, as Nomis
    (``White``, ``White: Irish``) or the ONS bulk file (``Ethnic group: White: Irish``) write
    it; None for anything else (the total, a ``%`` column, an identifier)."""
    if not text:
        return None
    name = normalise_name(text).removeprefix("ethnic_group_")
    return CENSUS_HEADINGS.get(name)


def _census_ethnicity(con, path: Path, contract: Contract, mapping: Mapping) -> None:
    """Census 2021 TS021 (ethnic group by LSOA) as ONS publishes it, the layout told from the
    header: the ONS bulk file (``date, geography, geography code, Ethnic group: Total: All
    usual residents, Ethnic group: Asian, ...``, broad and detailed groups), or the Nomis
    export (title lines, then ``2021 super output area - lower layer, Total: All usual
    residents, %, Asian..., %...`` with the code and name in one field ``E01010646 : Bradford
    001A``, then a footer note). Long rows: one per LSOA and group; a broad group whose
    detailed groups are given is stored as those (its total is their sum), else as itself."""
    cols = _columns(con)
    if {"lsoa_code", "ethnic_group_broad", "population"} <= set(cols):
        _standard(con, path, contract, mapping)
        return
    year = mapping.defaults.get("census_year") or _year_from(path, mapping) or "2021"
    headings: dict[str, tuple[str, str | None]] = {}
    if "geography_code" in cols:  # the ONS bulk file: the headings are the columns
        code_sql, after = "geography_code", "TRUE"
        for c in cols:
            g = _census_label(c)
            if g:
                headings[c] = g
        year_sql = "CAST(date AS VARCHAR)" if "date" in cols else "$year"
    else:  # the Nomis export: find the heading line among the title lines
        first = next((c for c in cols if c != "_line"), None)
        others = [c for c in cols if c not in ("_line", first)]
        if first is None or not others:
            raise _not_ts021(path, cols)
        is_heading = " OR ".join(f"lower(trim({ident(c)})) LIKE 'total%'" for c in others)
        found = con.execute(
            f"SELECT _line, {', '.join(ident(c) for c in others)} FROM raw "
            f"WHERE {is_heading} ORDER BY _line LIMIT 1"
        ).fetchone()
        if found is None:
            raise _not_ts021(path, cols)
        heading_line = found[0]
        for c, text in zip(others, found[1:], strict=True):
            g = _census_label(text)
            if g:
                headings[c] = g
        date = con.execute(
            f"SELECT trim({ident(others[0])}) FROM raw WHERE _line < $h AND "
            f"lower(trim({ident(first)})) LIKE 'date%' LIMIT 1",
            {"h": heading_line},
        ).fetchone()
        if date and re.fullmatch(r"(19|20)\d{2}", date[0] or ""):
            year = date[0]
        year_sql = "$year"
        # A data line has the area in its first field; blank first fields are the blank lines
        # and the footer note, which are not rows of the table.
        code_sql = f"trim(split_part({ident(first)}, ':', 1))"
        after = f"_line > {int(heading_line)} AND nullif(trim({ident(first)}), '') IS NOT NULL"
    if not headings:
        raise _not_ts021(path, cols)
    detailed_of = {b for b, d in headings.values() if d}
    parts = []
    for c, (broad, detailed) in headings.items():
        if detailed is None and broad in detailed_of:
            continue  # a subtotal of the detailed groups stored
        parts.append(
            f"SELECT _line, {code_sql} AS lsoa_code, {literal(broad)} AS ethnic_group_broad, "
            f"{literal(detailed) if detailed else 'NULL'} AS ethnic_group_detailed, "
            f"{ident(c)} AS population, {year_sql} AS census_year FROM raw WHERE {after}"
        )
    params = {"year": year} if year_sql == "$year" else None
    replace_temp(con, "raw", " UNION ALL ".join(parts), params)
    _standard(con, path, contract, mapping)


def _not_ts021(path: Path, cols: list[str]) -> FileRefused:
    return FileRefused(
        path,
        "expected Census 2021 TS021 ethnic group by LSOA, as the ONS bulk file (geography "
        "code, Ethnic group: ... columns) or a Nomis export (a 'Total: All usual residents' "
        f"heading); found: {', '.join(c for c in cols if c != '_line') or 'no columns'}",
        line=1,
    )


CENSUS_HEADINGS: dict[str, tuple[str, str | None]] = {
    **{normalise_name(label): (code, None) for code, label in CENSUS_ETHNIC_GROUPS.items()},
    **{
        normalise_name(f"{CENSUS_ETHNIC_GROUPS[broad]}: {label}"): (broad, code)
        for code, (broad, label) in CENSUS_ETHNIC_GROUPS_DETAILED.items()
    },
}


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
    "msoa_lookup": _msoa_lookup,
    "census_ethnicity": _census_ethnicity,
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
