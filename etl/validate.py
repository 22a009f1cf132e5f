"""The contract compiled to DuckDB SQL: type every column, check every rule, split the rows.

All checks run as one vectorised query over the whole file. Each row gets a list of
``{column, reason}`` errors; rows with errors go to quarantine (one row per error, with the
file's line number), rows placed outside the partnership area are set aside, the rest are
typed, pseudonymised and ready to write. Values are passed as parameters, never spliced.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.adapters import INDICATOR_MISSING
from etl.contracts import Column, Contract
from etl.mapping import Mapping
from etl.pseudonymise import PseudonymKey
from svcore.sql import Params, ident

DATE_FORMATS = ["%Y-%m-%d"]
DATETIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
# The earliest date any feed can mean: "0000-01-01" parses (as 1 BC), loads, and then breaks
# every reader that turns it into a Python date; 1900 is before any record a partner holds.
EARLIEST = "1900-01-01"
LSOA_RE = r"[EW]01\d{6}"
AREA_RE = r"[EWSNK]\d{8}"

SQL_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "lsoa": "VARCHAR",
    "area": "VARCHAR",
    "period": "VARCHAR",
    "date": "DATE",
    "time": "TIME",
    "datetime": "TIMESTAMP",
    "int": "INTEGER",
    "decimal": "DOUBLE",
    "bool": "BOOLEAN",
}


@dataclass
class Counts:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_out_of_area: int
    rows_excluded: int


def _err(sql: Params, column: str, reason_sql: str) -> str:
    return f"{{'column': {sql.add(column)}, 'reason': {reason_sql}}}"


def _shown(col: Column, v: str) -> str:
    """The offending value quoted in a reason, except identifiers and free text."""
    if col.pseudonymise or not col.store:
        return "''"
    return f"': ' || left({v}, 40)"


def _too_early(col: Column, v: str, typed: str, sql: Params) -> str:
    return (
        f"CASE WHEN {typed} < {sql.add(EARLIEST)}::DATE THEN "
        + _err(
            sql,
            col.name,
            f"'before ' || {sql.add(EARLIEST)} || ': not a plausible date' || {_shown(col, v)}",
        )
        + " END"
    )


def _column_sql(col: Column, mapping: Mapping, sql: Params) -> tuple[str, list[str]]:
    """The typed expression of one column and its list of error expressions."""
    v = f"v_{col.name}"
    errors: list[str] = []
    t = col.type
    if t == "enum":
        idx = f"list_position({sql.add([e.lower() for e in col.enum])}, lower({v}))"
        typed = f"list_extract({sql.add(list(col.enum))}, {idx})"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND {idx} IS NULL THEN "
            + _err(
                sql,
                col.name,
                f"'not one of ' || {sql.add(', '.join(col.enum))} || {_shown(col, v)}",
            )
            + " END"
        )
    elif t in ("lsoa", "area"):
        typed = f"upper({v})"
        rx = col.pattern or (LSOA_RE if t == "lsoa" else AREA_RE)
        kind = "an LSOA GSS code (E01...)" if t == "lsoa" else "a GSS area code"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND NOT regexp_full_match(upper({v}), {sql.add(rx)}) THEN "
            + _err(sql, col.name, f"'not ' || {sql.add(kind)} || {_shown(col, v)}")
            + " END"
        )
    elif t == "date":
        fmts = DATE_FORMATS + list(mapping.date_formats)
        typed = f"try_strptime({v}, {sql.add(fmts)})::DATE"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
            + _err(
                sql,
                col.name,
                f"'not a date (expected ' || {sql.add(' or '.join(fmts))} || ')' || {_shown(col, v)}",
            )
            + " END"
        )
        errors.append(_too_early(col, v, typed, sql))
    elif t == "datetime":
        fmts = DATETIME_FORMATS + list(mapping.datetime_formats)
        typed = f"try_strptime({v}, {sql.add(fmts)})"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
            + _err(
                sql,
                col.name,
                f"'not a date and time (expected YYYY-MM-DD HH:MM)' || {_shown(col, v)}",
            )
            + " END"
        )
        errors.append(_too_early(col, v, typed, sql))
    elif t == "time":
        ok = f"regexp_full_match({v}, '([01]?\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?')"
        typed = f"CASE WHEN {ok} THEN try_cast({v} AS TIME) END"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
            + _err(sql, col.name, f"'not a time (expected HH:MM)' || {_shown(col, v)}")
            + " END"
        )
    elif t in ("int", "decimal"):
        target = "INTEGER" if t == "int" else "DOUBLE"
        typed = f"try_cast(replace({v}, ',', '') AS {target})"
        if t == "int":  # a cast would round '24.5' to 25: only whole numbers are whole numbers
            whole = sql.add(r"[+-]?[0-9]+(\.0*)?")
            typed = f"CASE WHEN regexp_full_match(replace({v}, ',', ''), {whole}) THEN {typed} END"
        what = "a whole number" if t == "int" else "a number"
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
            + _err(sql, col.name, f"'not ' || {sql.add(what)} || {_shown(col, v)}")
            + " END"
        )
        finite = "TRUE"
        if t == "decimal":  # 'inf', 'NaN' and '1e999' cast to DOUBLE, and no measure is one
            finite = f"isfinite({typed})"
            errors.append(
                f"CASE WHEN {typed} IS NOT NULL AND NOT {finite} THEN "
                + _err(sql, col.name, f"'not a finite number' || {_shown(col, v)}")
                + " END"
            )
        if col.min is not None or col.max is not None:
            lo = col.min if col.min is not None else float("-inf")
            hi = col.max if col.max is not None else float("inf")
            rng = (
                f"{col.min if col.min is not None else ''}–{col.max if col.max is not None else ''}"
            )
            errors.append(
                f"CASE WHEN {typed} IS NOT NULL AND {finite} AND ({typed} < {sql.add(lo)} OR {typed} > {sql.add(hi)}) THEN "
                + _err(
                    sql,
                    col.name,
                    f"'out of range ' || {sql.add(rng.strip('–'))} || {_shown(col, v)}",
                )
                + " END"
            )
    elif t == "bool":
        typed = (
            f"CASE WHEN lower({v}) IN ('y', 'yes', 'true', '1') THEN TRUE "
            f"WHEN lower({v}) IN ('n', 'no', 'false', '0') THEN FALSE END"
        )
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND ({typed}) IS NULL THEN "
            + _err(sql, col.name, f"'not Y or N' || {_shown(col, v)}")
            + " END"
        )
    else:  # text, period
        typed = v
    if col.pattern and t in ("text", "period"):
        errors.append(
            f"CASE WHEN {v} IS NOT NULL AND NOT regexp_full_match({v}, {sql.add(col.pattern)}) THEN "
            + _err(sql, col.name, f"'not in the expected form' || {_shown(col, v)}")
            + " END"
        )
    if col.required:
        errors.append(
            f"CASE WHEN {v} IS NULL THEN "
            + _err(sql, col.name, "'required value is blank'")
            + " END"
        )
    return typed, errors


def validate(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    key: PseudonymKey,
    districts: tuple[str, ...],
    has_geography: bool,
) -> None:
    """From temp table ``canon`` make temp table ``checked`` with ``_errors`` and ``_status``.

    ``_status`` is one of ``ok``, ``bad`` (quarantine), ``out_of_area`` or ``excluded``.
    Expects temp table ``area_places(code, level, ward_code, district_code)`` when
    ``has_geography``.
    """
    sql = Params()
    missing = list(mapping.missing_markers) or (
        list(INDICATOR_MISSING) if contract.feed == "indicators" else []
    )
    cleaned = []
    for col in contract.columns:
        v = f"nullif(trim({ident(col.name)}), '')"
        recode = mapping.recodes.get(col.name)
        if recode:
            keys, vals = list(recode), list(recode.values())
            v = f"coalesce(list_extract({sql.add(vals)}, list_position({sql.add(keys)}, lower({v}))), {v})"
        if missing and col.type == "decimal":
            v = f"CASE WHEN lower({v}) = ANY({sql.add([m.lower() for m in missing])}) THEN NULL ELSE {v} END"
        cleaned.append(f"{v} AS v_{col.name}")

    typed_cols, error_exprs = [], []
    for col in contract.columns:
        typed, errs = _column_sql(col, mapping, sql)
        typed_cols.append(f"{typed} AS {ident(col.name)}")
        error_exprs.extend(errs)

    typed_sql = (
        f"SELECT _line, {', '.join(typed_cols)}, [{', '.join(error_exprs) or 'NULL'}] AS _e "
        f"FROM (SELECT _line, {', '.join(cleaned)} FROM canon)"
    )

    # Rules across rows and columns, on typed values.
    extra = []
    for col in contract.columns:
        if col.unique:
            c = ident(col.name)
            shown = f"duplicate {col.name} (first on line "
            extra.append(
                f"CASE WHEN {c} IS NOT NULL AND row_number() OVER (PARTITION BY {c} ORDER BY _line) > 1 "
                f"THEN {_err(sql, col.name, f'{sql.add(shown)} || min(_line) OVER (PARTITION BY {c}) || {sql.add(chr(41))}')} END"
            )
    for cmp in contract.comparisons:
        extra.append(
            f"CASE WHEN {ident(cmp.left)} > {ident(cmp.right)} THEN {_err(sql, cmp.left, sql.add(cmp.reason))} END"
        )
    for name in contract.not_future:
        extra.append(
            f"CASE WHEN {ident(name)} > current_date + INTERVAL 1 DAY THEN "
            f"{_err(sql, name, sql.add('is in the future'))} END"
        )

    # Where is the row? Out of area is not an error: it is set aside.
    place = contract.place_column
    ward_sql = district_sql = "NULL"
    join = ""
    if contract.feed in ("geography",):
        out_sql = f"NOT ({ident('district_code')} = ANY({sql.add(list(districts))}))"
    elif place is None:
        out_sql = "FALSE"
    elif place == "district_code" and contract.feed == "imd":
        out_sql = (
            f"CASE WHEN t.district_code IS NOT NULL THEN NOT (t.district_code = ANY({sql.add(list(districts))})) "
            + ("ELSE ap.code IS NULL END" if has_geography else "ELSE FALSE END")
        )
        if has_geography:
            join = "LEFT JOIN area_places ap ON ap.code = t.lsoa_code"
    else:
        if not has_geography:
            out_sql = "FALSE"
        else:
            join = f"LEFT JOIN area_places ap ON ap.code = t.{ident(place)}"
            out_sql = f"t.{ident(place)} IS NOT NULL AND ap.code IS NULL AND NOT (t.{ident(place)} = ANY({sql.add(list(districts))}))"
            ward_sql, district_sql = "ap.ward_code", "ap.district_code"
            if contract.kind != "event":
                ward_sql = district_sql = "NULL"
    if contract.excluded_when_blank:
        excl = " OR ".join(f"t.{ident(c)} IS NULL" for c in contract.excluded_when_blank)
    else:
        excl = "FALSE"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE checked AS WITH typed AS ({typed_sql}) "
        f"SELECT * EXCLUDE (_e2), CASE WHEN _excluded THEN 'excluded' WHEN len(_errors) > 0 THEN 'bad' "
        "WHEN _out THEN 'out_of_area' ELSE 'ok' END AS _status FROM ("
        f"SELECT t.* EXCLUDE (_e), list_filter(t._e || _e2, lambda x: x IS NOT NULL) AS _errors, _e2, "
        f"coalesce({out_sql}, FALSE) AS _out, ({excl}) AS _excluded, "
        f"{ward_sql} AS ward_code_, {district_sql} AS district_code_ FROM ("
        f"SELECT *, [{', '.join(extra) or 'NULL'}] AS _e2 FROM typed) t {join})",
        sql.values,
    )


def counts(con: duckdb.DuckDBPyConnection, csv_rejects: int) -> Counts:
    row = con.execute(
        "SELECT count(*), count(*) FILTER (_status = 'ok'), count(*) FILTER (_status = 'bad'), "
        "count(*) FILTER (_status = 'out_of_area'), count(*) FILTER (_status = 'excluded') FROM checked"
    ).fetchone()
    return Counts(row[0] + csv_rejects, row[1], row[2] + csv_rejects, row[3], row[4])


def quarantine_rows(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[tuple]:
    lim = f" LIMIT {int(limit)}" if limit else ""
    return con.execute(
        "SELECT _line, e.column, e.reason FROM (SELECT _line, unnest(_errors) AS e FROM checked "
        f"WHERE _status = 'bad') ORDER BY _line{lim}"
    ).fetchall()


def stored_select(contract: Contract, key: PseudonymKey) -> str:
    """The SELECT list writing a checked row to the warehouse (no identifiers, no free text)."""
    out = []
    for col in contract.columns:
        if not col.store:
            continue
        if col.pseudonymise:
            out.append(f"{key.sql(ident(col.name))} AS {ident(col.stored_name)}")
        else:
            out.append(ident(col.name))
    return ", ".join(out)


def stored_schema(contract: Contract) -> list[tuple[str, str]]:
    """Columns and DuckDB types of the warehouse table behind a feed."""
    cols = [
        (c.stored_name, "VARCHAR" if c.pseudonymise else SQL_TYPES[c.type])
        for c in contract.columns
        if c.store
    ]
    if contract.kind == "event":
        cols += [("ward_code", "VARCHAR"), ("district_code", "VARCHAR"), ("period", "DATE")]
    cols += [("partner", "VARCHAR"), ("period_key", "VARCHAR"), ("load_id", "INTEGER")]
    return cols
