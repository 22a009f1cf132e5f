"""Queries behind the "when" page: hour by weekday, months, and police beside A&E."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries.counts import count_table

COMPARED_SOURCES = ("police", "health")


def hour_by_weekday(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """weekday, hour, count: events with a known time (police offence time, A&E assault time)."""
    frame = count_table(con, filters, ["weekday", "hour"])
    frame = frame.dropna(subset=["weekday", "hour"]).reset_index(drop=True)
    frame["hour"] = frame["hour"].astype("int64")
    return frame


def monthly(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """month, count for the filters' source (or source, month for every source)."""
    return count_table(con, filters, ["month"] if filters.source else ["source", "month"])


def police_and_health_monthly(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """source, month, count: police-recorded and A&E-recorded serious violence, same filters."""
    frames = []
    for source in COMPARED_SOURCES:
        part = count_table(con, filters.with_(source=source), ["month"])
        part.insert(0, "source", source)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)
