"""LSOA 2011 <-> 2021: files coded on one vintage are carried to the warehouse's geography.

police.uk files before 2022, IMD 2019 and many partner extracts use LSOA 2011 codes; the 2021
boundaries and populations use 2021 codes. With the ONS exact-fit lookup loaded (feed
``lsoa_lookup``: LSOA11CD, LSOA21CD, CHGIND), every file loaded afterwards has its LSOA codes
translated, at load, into the vintage of the warehouse's geography lookup (the latest
``lsoa_year`` loaded), so maps, rates and factors join on one set of codes:

- unchanged (U) and merged (M) areas map directly, code for code;
- records (crimes, attendances, people) in a split (S) or irregular (X) area are assigned
  whole to the part with the largest population: counts stay whole numbers (a fractional
  crime cannot be suppressed or explained) and every district total is unchanged;
- area values (IMD 2019, indicators) of a split area are given to each of its parts; an area
  formed by merging takes the population-weighted mean of its sources (IMD rank: the weighted
  mean rank, and decile: that rank's national decile, unless all sources share one decile);
  indicator counts (unit ``count``), numerators and denominators are apportioned by population
  share and summed.

Weights are the latest loaded population of each area (feed ``population``); where none is
loaded the parts weigh equally. Files loaded before the lookup keep their codes: load it first
(after the geography lookup), or load those files again. ``METHOD`` is the statement the quality
page and the report's methodology print.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.contracts import Contract
from svcore.sql import ident
from svcore.vocab import ENGLAND_LSOAS_2019

METHOD = (
    "LSOA 2011 and 2021 codes: files coded on the other LSOA vintage are carried to the "
    "warehouse's geography with the ONS exact-fit LSOA 2011 to 2021 lookup as they are loaded. "
    "Unchanged and merged areas map directly. Crimes, attendances and people in a 2011 LSOA "
    "that was split are assigned whole to the 2021 part with the largest population, so counts "
    "stay whole numbers and district totals are unchanged. Area values (IMD 2019 and "
    "indicators): each part of a split area takes the value of the area it came from; an area "
    "formed by merging takes the population-weighted mean of the areas merged (IMD deciles "
    "follow the weighted mean rank); indicator counts and Census residents by ethnic group are "
    "shared out by population. Weights "
    "are the latest loaded population of each area, or equal where none is loaded."
)

VALUE_FEEDS = {"imd": "lsoa_code", "indicators": "area_code", "census_ethnicity": "lsoa_code"}
RECORD_FEEDS = ("policeuk_outcomes",)  # records that are not events in the events view


@dataclass
class Carry:
    column: str | None  # the contract column whose LSOA codes are carried (None: placed only)
    target: int  # the warehouse's LSOA vintage (2011 or 2021)
    pairs: int


def _has(con: duckdb.DuckDBPyConnection, view: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = $v AND NOT temporary",
            {"v": view},
        ).fetchone()[0]
        > 0
    )


def carried_column(contract: Contract) -> str | None:
    if contract.feed in VALUE_FEEDS:
        return VALUE_FEEDS[contract.feed]
    if contract.kind == "event" or contract.feed in RECORD_FEEDS:
        return contract.place_column
    return None


def prepare(con: duckdb.DuckDBPyConnection, contract: Contract) -> Carry | None:
    """Before validation: temp table ``lsoa_carry(src, dst, share, largest, w)`` and the
    other vintage's codes added to ``area_places`` (placed where their largest part lies), so
    that a file on the other vintage is placed in the area (for every feed: 2011 populations
    and boundaries are kept under their own codes, and the populations weigh merged areas).
    None when there is no lookup."""
    column = carried_column(contract)
    if not (_has(con, "lsoa_lookup") and _has(con, "geography")):
        return None
    if not con.execute("SELECT EXISTS (SELECT 1 FROM lsoa_lookup)").fetchone()[0]:
        return None  # no lookup loaded: every code stays as sent
    target = con.execute("SELECT max(lsoa_year) FROM geography").fetchone()[0]
    if target not in (2011, 2021):
        return None
    src, dst = ("lsoa11_code", "lsoa21_code") if target == 2021 else ("lsoa21_code", "lsoa11_code")
    population = (
        "SELECT area_code, arg_max(coalesce(persons, fm), year) AS pop FROM ("
        "SELECT area_code, year, sum(population) FILTER (sex = 'persons') AS persons, "
        "sum(population) FILTER (sex IN ('F', 'M')) AS fm FROM population GROUP BY ALL) "
        "GROUP BY area_code"
        if _has(con, "population")
        else "SELECT NULL::VARCHAR AS area_code, NULL::DOUBLE AS pop WHERE FALSE"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lsoa_carry AS "
        f"WITH pop AS ({population}), "
        f"pairs AS (SELECT DISTINCT {src} AS src, {dst} AS dst FROM lsoa_lookup "
        f"  WHERE {src} NOT IN (SELECT {dst} FROM lsoa_lookup)), "
        "w AS (SELECT p.src, p.dst, coalesce(pd.pop, 0) AS dst_pop, coalesce(ps.pop, 1) AS src_pop "
        "  FROM pairs p LEFT JOIN pop pd ON pd.area_code = p.dst "
        "  LEFT JOIN pop ps ON ps.area_code = p.src), "
        "s AS (SELECT *, CASE WHEN sum(dst_pop) OVER (PARTITION BY src) > 0 "
        "  THEN dst_pop / sum(dst_pop) OVER (PARTITION BY src) "
        "  ELSE 1.0 / count(*) OVER (PARTITION BY src) END AS share, "
        "  row_number() OVER (PARTITION BY src ORDER BY dst_pop DESC, dst) = 1 AS largest FROM w) "
        "SELECT src, dst, share, largest, src_pop * share AS w FROM s"
    )
    pairs = con.execute("SELECT count(*) FROM lsoa_carry").fetchone()[0]
    if not pairs:
        return None
    con.execute(
        "INSERT INTO area_places SELECT c.src, 'lsoa', ap.ward_code, ap.district_code "
        "FROM lsoa_carry c JOIN area_places ap ON ap.code = c.dst AND ap.level = 'lsoa' "
        "WHERE c.largest AND c.src NOT IN (SELECT code FROM area_places)"
    )
    return Carry(column, target, pairs)


def apply(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    carry: Carry | None,
) -> tuple[int, str | None]:
    """After validation: the good rows of ``checked`` carried to the warehouse's vintage.

    Returns the change in the number of good rows (a split area's value becomes one row per
    part; merged areas' values one row) and a note for the load report."""
    if carry is None or carry.column is None:
        return 0, None
    col = ident(carry.column)
    n_src = con.execute(
        f"SELECT count(*) FROM checked WHERE _status = 'ok' AND {col} IN (SELECT src FROM lsoa_carry)"
    ).fetchone()[0]
    if not n_src:
        return 0, None
    before = con.execute("SELECT count(*) FROM checked WHERE _status = 'ok'").fetchone()[0]
    other = 2011 if carry.target == 2021 else 2021
    if contract.feed == "imd":
        _carry_values(
            con,
            col,
            ["t.domain"],
            (
                "sum(c.w * t.score) / nullif(sum(c.w) FILTER (t.score IS NOT NULL), 0) AS score, "
                "round(sum(c.w * t.rank) / nullif(sum(c.w) FILTER (t.rank IS NOT NULL), 0)) AS wrank, "
                "min(t.decile) AS dmin, max(t.decile) AS dmax, "
                "round(sum(c.w * t.decile) / nullif(sum(c.w) FILTER (t.decile IS NOT NULL), 0)) AS wdec, "
                "any_value(t.district_code) AS district_code"
            ),
            (
                "score, CAST(wrank AS INTEGER) AS rank, CAST(CASE WHEN dmin = dmax THEN dmin "
                f"WHEN wrank IS NOT NULL THEN least(10, greatest(1, ceil(wrank * 10.0 / {ENGLAND_LSOAS_2019}))) "
                "ELSE wdec END AS INTEGER) AS decile, district_code"
            ),
            ("domain",),
        )
        what = "IMD values"
    elif contract.feed == "indicators":
        _carry_values(
            con,
            col,
            ["t.indicator_code", "t.period", "t.unit"],
            (
                "any_value(t.indicator_name) AS indicator_name, any_value(t.source) AS source, "
                "CASE WHEN lower(t.unit) IN ('count', 'number') THEN sum(c.share * t.value) ELSE "
                "sum(c.w * t.value) / nullif(sum(c.w) FILTER (t.value IS NOT NULL), 0) END AS value, "
                "sum(c.share * t.numerator) AS numerator, sum(c.share * t.denominator) AS denominator"
            ),
            "indicator_name, source, value, numerator, denominator",
            ("indicator_code", "period", "unit"),
        )
        what = "indicator values"
    elif contract.feed == "census_ethnicity":
        # Residents are a count: a merged area's are summed, a split area's shared out.
        _carry_values(
            con,
            col,
            ["t.ethnic_group_broad", "t.ethnic_group_detailed", "t.census_year"],
            "sum(c.share * t.population) AS population",
            "population",
            ("ethnic_group_broad", "ethnic_group_detailed", "census_year"),
        )
        what = "Census residents"
    else:
        con.execute(
            f"UPDATE checked SET {col} = c.dst FROM lsoa_carry c "
            f"WHERE checked._status = 'ok' AND checked.{col} = c.src AND c.largest"
        )
        what = "rows"
    after = con.execute("SELECT count(*) FROM checked WHERE _status = 'ok'").fetchone()[0]
    note = f"{n_src:,} {what} coded on LSOA {other} carried to LSOA {carry.target}" + (
        f" (as {after - before + n_src:,} rows)" if after != before else ""
    )
    return after - before, note


def _carry_values(
    con, col: str, keys: list[str], aggregates: str, finals, key_names: tuple[str, ...]
) -> None:
    """Replace good rows coded on the other vintage with one row per target area and key."""
    finals = finals if isinstance(finals, str) else ", ".join(finals)
    names = ", ".join(key_names)
    join_keys = " AND ".join(f"k.{k} IS NOT DISTINCT FROM x.{k}" for k in key_names)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE carried AS "
        f"SELECT _line, dst AS {col}, {names}, {finals}, 'ok' AS _status FROM ("
        f"SELECT min(t._line) AS _line, c.dst, {', '.join(keys)}, {aggregates} "
        f"FROM checked t JOIN lsoa_carry c ON c.src = t.{col} WHERE t._status = 'ok' "
        f"GROUP BY c.dst, {', '.join(keys)})"
    )
    con.execute(
        f"DELETE FROM checked WHERE _status = 'ok' AND {col} IN (SELECT src FROM lsoa_carry)"
    )
    con.execute(
        "INSERT INTO checked BY NAME SELECT * FROM carried x WHERE NOT EXISTS ("
        f"SELECT 1 FROM checked k WHERE k._status = 'ok' AND k.{col} = x.{col} AND {join_keys})"
    )
    con.execute("DROP TABLE carried")
