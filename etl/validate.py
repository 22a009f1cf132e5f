"""The contract compiled to DuckDB SQL: type every column, check every rule, split the rows.

The checks of a row run in one vectorised pass over the whole file, then the rules across
rows (duplicates) and the area lookup as updates of the checked rows. Each row gets a list of
``{column, reason}`` errors; rows with errors go to quarantine (one row per error, with the
file's line number), rows placed outside the partnership area are set aside, the rest are
typed, pseudonymised and ready to write. Values are passed as parameters, never spliced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from etl.adapters import INDICATOR_MISSING
from etl.contracts import Column, Contract
from etl.mapping import Mapping
from etl.pseudonymise import PseudonymKey
from svcore.sql import Params, ident, literal

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


# A row's status, as a one-byte ENUM (at ten million rows a VARCHAR is 150 MB more to spill).
STATUS = "ENUM('ok', 'bad', 'out_of_area', 'excluded')"

# A check is (condition, error): the condition is SQL over row ``t`` of the ``typed`` step, where
# ``t.v_<name>`` is the cleaned text of a column and ``t."<name>"`` its typed value; the error
# is the ``{column, reason}`` struct the row gets when the condition holds.
Check = tuple[str, str]


def _err(sql: Params, column: str, reason_sql: str) -> str:
    return f"{{'column': {sql.add(column)}, 'reason': {reason_sql}}}"


def _shown(col: Column, v: str) -> str:
    """The offending value quoted in a reason, except identifiers and free text."""
    if col.pseudonymise or not col.store:
        return "''"
    return f"': ' || left({v}, 40)"


def _too_early(col: Column, v: str, typed: str, sql: Params) -> Check:
    return (
        f"{typed} < {sql.add(EARLIEST)}::DATE",
        _err(
            sql,
            col.name,
            f"'before ' || {sql.add(EARLIEST)} || ': not a plausible date' || {_shown(col, v)}",
        ),
    )


def _column_sql(col: Column, mapping: Mapping, sql: Params) -> tuple[str, list[Check]]:
    """The typed expression of one column (over its cleaned text ``v_<name>``) and its checks
    (over the cleaned text and the typed value, ``"<name>"``, so nothing is computed twice)."""
    v = f"v_{col.name}"  # in the typed expression
    cv, typed_col = f"t.{v}", f"t.{ident(col.name)}"  # in the checks
    checks: list[Check] = []
    t = col.type
    if t == "enum":
        idx = f"list_position({sql.add([e.lower() for e in col.enum])}, lower({v}))"
        typed = f"list_extract({sql.add(list(col.enum))}, {idx})"
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(
                    sql,
                    col.name,
                    f"'not one of ' || {sql.add(', '.join(col.enum))} || {_shown(col, cv)}",
                ),
            )
        )
    elif t in ("lsoa", "area"):
        typed = f"upper({v})"
        rx = col.pattern or (LSOA_RE if t == "lsoa" else AREA_RE)
        kind = "an LSOA GSS code (E01...)" if t == "lsoa" else "a GSS area code"
        checks.append(
            (
                f"{cv} IS NOT NULL AND NOT regexp_full_match({typed_col}, {sql.add(rx)})",
                _err(sql, col.name, f"'not ' || {sql.add(kind)} || {_shown(col, cv)}"),
            )
        )
    elif t == "date":
        fmts = DATE_FORMATS + list(mapping.date_formats)
        typed = f"try_strptime({v}, {sql.add(fmts)})::DATE"
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(
                    sql,
                    col.name,
                    f"'not a date (expected ' || {sql.add(' or '.join(fmts))} || ')' || "
                    f"{_shown(col, cv)}",
                ),
            )
        )
        checks.append(_too_early(col, cv, typed_col, sql))
    elif t == "datetime":
        fmts = DATETIME_FORMATS + list(mapping.datetime_formats)
        typed = f"try_strptime({v}, {sql.add(fmts)})"
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(
                    sql,
                    col.name,
                    f"'not a date and time (expected YYYY-MM-DD HH:MM)' || {_shown(col, cv)}",
                ),
            )
        )
        checks.append(_too_early(col, cv, typed_col, sql))
    elif t == "time":
        ok = f"regexp_full_match({v}, '([01]?\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?')"
        typed = f"CASE WHEN {ok} THEN try_cast({v} AS TIME) END"
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(sql, col.name, f"'not a time (expected HH:MM)' || {_shown(col, cv)}"),
            )
        )
    elif t in ("int", "decimal"):
        target = "INTEGER" if t == "int" else "DOUBLE"
        typed = f"try_cast(replace({v}, ',', '') AS {target})"
        if t == "int":  # a cast would round '24.5' to 25: only whole numbers are whole numbers
            whole = sql.add(r"[+-]?[0-9]+(\.0*)?")
            typed = f"CASE WHEN regexp_full_match(replace({v}, ',', ''), {whole}) THEN {typed} END"
        what = "a whole number" if t == "int" else "a number"
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(sql, col.name, f"'not ' || {sql.add(what)} || {_shown(col, cv)}"),
            )
        )
        finite = "TRUE"
        if t == "decimal":  # 'inf', 'NaN' and '1e999' cast to DOUBLE, and no measure is one
            finite = f"isfinite({typed_col})"
            checks.append(
                (
                    f"{typed_col} IS NOT NULL AND NOT {finite}",
                    _err(sql, col.name, f"'not a finite number' || {_shown(col, cv)}"),
                )
            )
        if col.min is not None or col.max is not None:
            lo = col.min if col.min is not None else float("-inf")
            hi = col.max if col.max is not None else float("inf")
            rng = (
                f"{col.min if col.min is not None else ''}–{col.max if col.max is not None else ''}"
            )
            checks.append(
                (
                    f"{typed_col} IS NOT NULL AND {finite} AND "
                    f"({typed_col} < {sql.add(lo)} OR {typed_col} > {sql.add(hi)})",
                    _err(
                        sql,
                        col.name,
                        f"'out of range ' || {sql.add(rng.strip('–'))} || {_shown(col, cv)}",
                    ),
                )
            )
    elif t == "bool":
        typed = (
            f"CASE WHEN lower({v}) IN ('y', 'yes', 'true', '1') THEN TRUE "
            f"WHEN lower({v}) IN ('n', 'no', 'false', '0') THEN FALSE END"
        )
        checks.append(
            (
                f"{cv} IS NOT NULL AND {typed_col} IS NULL",
                _err(sql, col.name, f"'not Y or N' || {_shown(col, cv)}"),
            )
        )
    else:  # text, period
        typed = v
    if col.pattern and t in ("text", "period"):
        checks.append(
            (
                f"{cv} IS NOT NULL AND NOT regexp_full_match({cv}, {sql.add(col.pattern)})",
                _err(sql, col.name, f"'not in the expected form' || {_shown(col, cv)}"),
            )
        )
    if col.required:
        checks.append((f"{cv} IS NULL", _err(sql, col.name, "'required value is blank'")))
    return typed, checks


def validate(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    key: PseudonymKey,
    districts: tuple[str, ...],
    has_geography: bool,
    number_lines: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """From temp table ``canon`` make temp table ``checked`` with ``_errors`` and ``_status``.

    ``_status`` is one of ``ok``, ``bad`` (quarantine), ``out_of_area`` or ``excluded``.
    ``checked`` holds each column typed, under its contract name, except the identifiers the
    warehouse keeps only pseudonymised: those are replaced by their keyed hash under their
    stored name (``crime_ref`` -> ``crime_key``), computed here once for every later use.
    Expects temp table ``area_places(code, level, ward_code, district_code)`` when
    ``has_geography``.

    Built for files of millions of rows. One pass over the rows (``canon``, which may read
    the partner's file itself) checks everything a row can show alone: each value is cleaned,
    typed, then tested against plain columns (no expression is computed twice), and a row's
    list of errors is built only when one of its tests fails. That pass has no join, so
    ``checked`` keeps the file's order and a row's id is its record's number:
    ``number_lines``, if given, sets ``_line`` from it (see ``etl.read.RawFile``). Then
    updates, each over few columns: duplicates of a unique column (found by grouping: a
    window over whole rows would sort every row), then the area each row falls in (which
    settles the status of the rows it places).
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
            v = (
                f"coalesce(list_extract({sql.add(vals)}, list_position({sql.add(keys)}, "
                f"lower({v}))), {v})"
            )
        if missing and col.type == "decimal":  # list_contains: ``= ANY`` would be a join
            v = (
                f"CASE WHEN list_contains({sql.add([m.lower() for m in missing])}, lower({v})) "
                f"THEN NULL ELSE {v} END"
            )
        cleaned.append(f"{v} AS v_{col.name}")

    typed_cols, col_checks = [], []
    for col in contract.columns:
        typed, checks = _column_sql(col, mapping, sql)
        typed_cols.append(f"{typed} AS {ident(col.name)}")
        col_checks.extend(checks)
    # Rules across columns, on typed values; a duplicate's error goes between the two lists.
    row_checks = [
        (f"t.{ident(cmp.left)} > t.{ident(cmp.right)}", _err(sql, cmp.left, sql.add(cmp.reason)))
        for cmp in contract.comparisons
    ] + [
        (
            f"t.{ident(name)} > current_date + INTERVAL 1 DAY",
            _err(sql, name, sql.add("is in the future")),
        )
        for name in contract.not_future
    ]
    checks = col_checks + row_checks

    # The columns ``checked`` keeps: each typed value, a reference as its keyed hash only.
    # Free text the warehouse never stores is left behind (its checks are done), and a closed
    # list's value is kept as a DuckDB ENUM: one byte, not sixteen. At ten million rows that
    # is a gigabyte ``checked`` does not take (or spill to disk); ``good`` gives text back.
    kept = []
    for col in contract.columns:
        if col.pseudonymise:
            kept.append(f"{key.sql(f't.{ident(col.name)}')} AS {ident(col.stored_name)}")
        elif col.store or col.unique or col.name in contract.excluded_when_blank:
            kept.append(f"{_compact(col, f't.{ident(col.name)}')} AS {ident(col.name)}")
    excl = " OR ".join(f"t.{ident(c)} IS NULL" for c in contract.excluded_when_blank) or "FALSE"

    def listed(some: list[Check]) -> str:
        items = ", ".join(f"CASE WHEN {cond} THEN {err} END" for cond, err in some) or "NULL"
        return f"list_filter([{items}], lambda x: x IS NOT NULL)"

    bad = " OR ".join(f"({cond})" for cond, _ in checks) or "FALSE"
    # The status each row would have unplaced; the area lookup below (an update of the rows
    # it finds, the only join) then turns ``out_of_area`` rows it places into ``ok``.
    out_sql, on = _out_of_area(contract, districts, has_geography, sql)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE checked AS "
        f"WITH cleaned AS (SELECT _line, {', '.join(cleaned)} FROM canon), "
        f"typed AS (SELECT *, {', '.join(typed_cols)} FROM cleaned) "
        f"SELECT t._line, {', '.join(kept)}, "
        f"CASE WHEN {bad} THEN {listed(checks)} ELSE [] END AS _errors, "
        f"CASE WHEN {bad} THEN len({listed(col_checks)}) ELSE 0 END AS _column_errors, "
        f"({excl}) AS _excluded, NULL::VARCHAR AS ward_code_, NULL::VARCHAR AS district_code_, "
        f"CAST(CASE WHEN {excl} THEN 'excluded' WHEN {bad} THEN 'bad' "
        f"WHEN coalesce({out_sql('FALSE')}, FALSE) THEN 'out_of_area' ELSE 'ok' END "
        f"AS {STATUS}) AS _status FROM typed t",
        {**sql.values, **(key.params() if any(c.pseudonymise for c in contract.columns) else {})},
    )
    if number_lines is not None:
        number_lines(con)

    # Duplicates of a unique column: every occurrence after the first is an error. Found by
    # grouping 64-bit hashes (a fraction of the cost of grouping millions of long keys), then
    # the keys of the few rows whose hash repeats; those rows are updated by row id.
    for col in contract.columns:
        if not col.unique:
            continue
        k = ident(col.stored_name if col.pseudonymise else col.name)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dups AS "
            f"WITH twice AS (SELECT hash({k}) AS h FROM checked WHERE {k} IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1), "
            f"maybe AS (SELECT rowid AS rid, {k} AS k, _line FROM checked "
            f"WHERE {k} IS NOT NULL AND hash({k}) IN (SELECT h FROM twice)), "
            "firsts AS (SELECT k, min(_line) AS first FROM maybe GROUP BY 1 HAVING count(*) > 1) "
            "SELECT m.rid, f.first FROM maybe m JOIN firsts f USING (k) WHERE m._line > f.first"
        )
        dup = Params()
        shown = f"duplicate {col.name} (first on line "
        err = _err(dup, col.name, f"{dup.add(shown)} || d.first || {dup.add(chr(41))}")
        con.execute(
            "UPDATE checked SET _errors = list_concat(list_slice(_errors, 1, _column_errors), "
            f"[{err}], list_slice(_errors, _column_errors + 1, len(_errors))), "
            "_column_errors = _column_errors + 1, "
            "_status = CASE WHEN _excluded THEN 'excluded' ELSE 'bad' END "
            "FROM dups d WHERE checked.rowid = d.rid",
            dup.values,
        )
        con.execute("DROP TABLE dups")

    # Where is the row? Out of area is not an error: it is set aside.
    if on is not None:
        area = Params()
        names = (
            ", ward_code_ = ap.ward_code, district_code_ = ap.district_code"
            if contract.kind == "event" and on == contract.place_column
            else ""
        )
        con.execute(
            "UPDATE checked SET _status = CASE WHEN _status = 'out_of_area' AND NOT "
            f"coalesce({out_sql('TRUE', area, 'checked')}, FALSE) THEN 'ok' ELSE _status END{names} "
            f"FROM area_places ap WHERE ap.code = checked.{ident(on)}",
            area.values,
        )


def _out_of_area(
    contract: Contract, districts: tuple[str, ...], has_geography: bool, sql: Params
) -> tuple[Callable[..., str], str | None]:
    """SQL telling a row outside the area, given SQL saying whether the area lookup placed
    it (``placed``: 'TRUE' or 'FALSE'), over the typed columns of ``row``; and the column looked
    up in ``area_places`` (None: nothing is looked up)."""
    place = contract.place_column

    def in_area(column: str, params: Params | None) -> str:
        # list_contains, not ``= ANY``: that would be a join, and the checking pass must keep
        # the file's order.
        return f"list_contains({(params or sql).add(list(districts))}, {column})"

    if contract.feed in ("geography",):
        return (lambda placed, p=None, row="t": f"NOT {in_area(f'{row}.district_code', p)}"), None
    if place is None:
        return (lambda placed, p=None, row="t": "FALSE"), None
    if place == "district_code" and contract.feed == "imd":
        return (
            lambda placed, p=None, row="t": (
                f"CASE WHEN {row}.district_code IS NOT NULL THEN NOT "
                f"{in_area(f'{row}.district_code', p)} ELSE "
                + (f"NOT {placed} END" if has_geography else "FALSE END")
            )
        ), ("lsoa_code" if has_geography else None)
    if not has_geography:
        return (lambda placed, p=None, row="t": "FALSE"), None
    return (
        lambda placed, p=None, row="t": (
            f"{row}.{ident(place)} IS NOT NULL AND NOT {placed} AND NOT "
            f"{in_area(f'{row}.{ident(place)}', p)}"
        )
    ), place


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


def _compact(col: Column, expr: str) -> str:
    """How ``checked`` holds a typed value: a closed list's as an ENUM of that list."""
    if col.type != "enum" or not col.enum:
        return expr
    return f"CAST({expr} AS ENUM({', '.join(literal(e) for e in dict.fromkeys(col.enum))}))"


def stored_select(contract: Contract) -> str:
    """The SELECT list writing a row of ``checked`` to the warehouse (no identifiers, no free
    text; references are already their keyed hashes, under their stored names; a closed
    list's values as text again)."""
    out = []
    for col in contract.columns:
        if not col.store:
            continue
        name = ident(col.stored_name)
        out.append(f"CAST({name} AS VARCHAR) AS {name}" if col.type == "enum" else name)
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
