"""Justice outcomes: raw counts of serious-violence events by outcome group, under the filters.

Outcomes are recorded by the police force extract (HO outcome), police.uk (last outcome
category) and youth justice (disposal); ``svcore.outcomes`` groups them. Every function returns
RAW counts with their cell keys (``ckey``): the views layer (``dashboard.charts.outcomes``)
publishes them. They read through ``count_table``: the outcome rollups (``etl.rollups``:
outcome group by outcome, and by the suspect's ethnic group) answer them, and what those do
not hold (a who filter) is read from ``events_<source>`` (or ``events``) with the same filters.

A union of cells (a quarter from its months, the out-of-court disposals from their groups) is
a cell of its own: its count is the sum of the counts and its key the sum of the keys modulo
256 (a cell's key is the sum of its records' keys), so it is published as one cell.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries.counts import count_table
from svcore.disclosure import KEY_SPACE
from svcore.outcomes import CHARGED, OOCD_GROUPS

OUTCOME_SOURCES = ("police", "policeuk", "youth_justice")
# What outcomes can be broken down by (``quarter`` is folded from months).
BY = ("offence_group", "month", "quarter", "district", "ward", "suspect_ethnicity", "outcome")
# The measures of ``outcome_measures``: every event, those charged, those given an OOCD.
MEASURES = {"all": None, "charged": (CHARGED,), "oocd": OOCD_GROUPS}


def quarter_of(month: pd.Series) -> pd.Series:
    """``YYYY-MM`` -> ``YYYY-Qn`` (calendar quarters)."""
    return (
        pd.PeriodIndex(month, freq="M").asfreq("Q").strftime("%Y-Q%q").to_series(index=month.index)
    )


def _fold(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cells unioned by ``keys``: counts summed, cell keys summed modulo 256."""
    out = frame.groupby(keys, sort=False, dropna=False)[["count", "ckey"]].sum().reset_index()
    out["ckey"] = (out["ckey"] % KEY_SPACE).astype("int64")
    out["count"] = out["count"].astype("int64")
    return out


def _check(by: str | None) -> None:
    if by is not None and by not in BY:
        raise ValueError(f"outcomes cannot be broken down by {by!r} (choose from {', '.join(BY)})")


def outcome_counts(
    con: duckdb.DuckDBPyConnection, filters: Filters, by: str | None = None
) -> pd.DataFrame:
    """Events by ``outcome_group`` (and ``by``): outcome_group, [by, by_name], count, ckey.

    Raw: counts are true counts with their cell keys, for the views layer to publish."""
    _check(by)
    if by is None:
        return count_table(con, filters, ("outcome_group",))
    if by == "quarter":
        frame = count_table(con, filters, ("outcome_group", "month"))
        frame.insert(1, "quarter", quarter_of(frame["month"]))
        return _fold(frame, ["outcome_group", "quarter"]).sort_values(
            ["quarter"], kind="stable", ignore_index=True
        )
    return count_table(con, filters, ("outcome_group", by))


def outcome_measures(
    con: duckdb.DuckDBPyConnection, filters: Filters, by: str | None = None
) -> pd.DataFrame:
    """Per ``by`` value: the cells ``all`` (every event), ``charged`` (HO 1) and ``oocd``
    (out-of-court disposals, ``svcore.outcomes.OOCD_GROUPS``), each a cell with its key:
    [by, by_name], measure, count, ckey. A measure with no events has a zero row."""
    frame = outcome_counts(con, filters, by)
    keys = [] if by is None else [by]
    if by in ("district", "ward"):
        keys.append(f"{by}_name")
    parts = []
    for measure, groups in MEASURES.items():
        rows = frame if groups is None else frame[frame["outcome_group"].isin(groups)]
        if keys:
            cells = _fold(rows, keys) if not rows.empty else rows[[*keys, "count", "ckey"]]
            base = frame[keys].drop_duplicates()
            cells = base.merge(cells, on=keys, how="left")
        else:
            cells = pd.DataFrame(
                {"count": [int(rows["count"].sum())], "ckey": [int(rows["ckey"].sum()) % KEY_SPACE]}
            )
        cells["count"] = cells["count"].fillna(0).astype("int64")
        cells["ckey"] = cells["ckey"].fillna(0).astype("int64")
        cells.insert(len(keys), "measure", measure)
        parts.append(cells)
    out = pd.concat(parts, ignore_index=True)
    if keys:
        order = {v: i for i, v in enumerate(frame[keys[0]].drop_duplicates())}
        out = out.sort_values(keys[0], key=lambda s: s.map(order), kind="stable")
    return out.reset_index(drop=True)


def disposals(con: duckdb.DuckDBPyConnection, filters: Filters, source: str) -> pd.DataFrame:
    """One source's outcomes as recorded (police.uk categories, youth disposals), each with its
    group: outcome_group, outcome, count, ckey (every recorded value has one group)."""
    if source not in OUTCOME_SOURCES:
        raise ValueError(f"{source!r} records no outcomes")
    return count_table(con, filters.with_(source=source), ("outcome_group", "outcome"))
