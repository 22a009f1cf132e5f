"""The Cardiff Model gap: A&E assault attendances beside police-recorded violence, by area.

Partners' records are not linked (and must not be), so the gap is a comparison of volumes
under the same area and period filters: A&E attendances for assault against police-recorded
violence with injury, the nearest police equivalent of an injury needing treatment.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters
from dashboard.queries.areas import areas_in_scope
from dashboard.queries.counts import count_table
from svcore.definitions import load_definition

POLICE_GROUP = "violence_with_injury"


def hospital_police_gap(
    con: duckdb.DuckDBPyConnection, filters: Filters, level: str
) -> pd.DataFrame:
    """area_code, area_name, health, police (raw counts; zero where none) and their cell keys
    (health_ckey, police_ckey)."""
    areas = areas_in_scope(con, filters, level)[["area_code", "area_name"]]
    health = count_table(con, filters.with_(source="health", group=None), [level])
    group = (
        POLICE_GROUP if POLICE_GROUP in load_definition(filters.definition).group_keys() else None
    )
    police = count_table(con, filters.with_(source="police", group=group), [level])
    out = areas
    for name, part in (("health", health), ("police", police)):
        out = out.merge(
            part[[level, "count", "ckey"]].rename(
                columns={level: "area_code", "count": name, "ckey": f"{name}_ckey"}
            ),
            on="area_code",
            how="left",
        )
    cols = ["health", "police", "health_ckey", "police_ckey"]
    out[cols] = out[cols].fillna(0).astype("int64")
    return out
