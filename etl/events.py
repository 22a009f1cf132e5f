"""The events model: one row shape for every event source, as views over the feeds' tables.

Pages and exports ask across sources (police, police.uk, A&E, probation, youth justice) through
``events`` and ``events_<source>``; this module says which stored column of each feed fills
each events column, and the type each has. The writer recreates the views whenever it rebuilds
the catalog's views, so readers never see a feed table without its events view.
"""

from __future__ import annotations

from etl.contracts import EVENT_FEEDS
from svcore.outcomes import outcome_group_sql

# One row shape for every event source, so pages and exports can ask across sources.
EVENTS_COLUMNS = (
    "source",
    "partner",
    "period",
    "event_date",
    "hour",
    "lsoa_code",
    "ward_code",
    "district_code",
    "record_key",
    "person_key",
    "age",
    "sex",
    "ethnicity",
    "location_type",
    "weapon",
    "domestic_abuse",
    "ho_offence_code",
    "crime_type",
    "assault_method",
    "relationship_to_assailant",
    "assault_location_type",
    "admitted",
    "index_offence_group",
    "rosh_level",
    "supervision_type",
    "offence_group",
    "first_time_entrant",
    "suspect_age",
    "suspect_sex",
    "suspect_ethnicity",
    "site_code",
    "outcome",  # as recorded: HO outcome, police.uk category or youth disposal
    "outcome_group",  # svcore.outcomes: one grouping for every feed with outcomes
)

# A police.uk crime's outcome: the latest of its rows in the outcomes files (``policeuk_outcomes``,
# joined by the keyed Crime ID, which police.uk makes unique across forces) when they are loaded, else the street file's
# "Last outcome category" (which police.uk fills from the same outcomes at publication). Two
# outcomes in one month (police.uk has them) are taken in a fixed order, the type's text.
POLICEUK_OUTCOME = (
    "coalesce((SELECT arg_max(o.outcome_type, o.month || o.outcome_type) FROM policeuk_outcomes o "
    "WHERE o.crime_key = policeuk.crime_key), "
    "last_outcome_category)"
)

_EVENT_SOURCES: dict[str, dict[str, str]] = {
    "police": {
        "event_date": "offence_date",
        "hour": "hour(offence_time)",
        "lsoa_code": "lsoa_code",
        "record_key": "crime_key",
        "age": "victim_age",
        "sex": "victim_sex",
        "ethnicity": "victim_ethnicity",
        "location_type": "location_type",
        "weapon": "weapon",
        "domestic_abuse": "domestic_abuse",
        "ho_offence_code": "ho_offence_code",
        "suspect_age": "suspect_age",
        "suspect_sex": "suspect_sex",
        "suspect_ethnicity": "suspect_ethnicity",
        "outcome": "outcome",
        "outcome_group": outcome_group_sql("outcome", "police"),
    },
    "policeuk": {
        "lsoa_code": "lsoa_code",
        "record_key": "crime_key",
        "crime_type": "crime_type",
        "outcome": POLICEUK_OUTCOME,
        "outcome_group": outcome_group_sql(POLICEUK_OUTCOME, "policeuk"),
    },
    "health": {
        "event_date": "CAST(coalesce(assault_datetime, arrival_datetime) AS DATE)",
        "hour": "hour(coalesce(assault_datetime, arrival_datetime))",
        "lsoa_code": "assault_lsoa_code",
        "record_key": "attendance_key",
        "age": "patient_age",
        "sex": "patient_sex",
        "location_type": "assault_location_type",
        "weapon": "assault_method",
        "assault_method": "assault_method",
        "domestic_abuse": "relationship_to_assailant IN ('partner_ex', 'family')",
        "relationship_to_assailant": "relationship_to_assailant",
        "assault_location_type": "assault_location_type",
        "admitted": "admitted",
        "site_code": "site_code",
    },
    "probation": {
        "event_date": "snapshot_date",
        "lsoa_code": "home_lsoa_code",
        "person_key": "person_key",
        "age": "age",
        "sex": "sex",
        "ethnicity": "ethnicity",
        "index_offence_group": "index_offence_group",
        "rosh_level": "rosh_level",
        "supervision_type": "supervision_type",
    },
    "youth_justice": {
        "event_date": "offence_date",
        "lsoa_code": "home_lsoa_code",
        "person_key": "person_key",
        "age": "age",
        "sex": "sex",
        "ethnicity": "ethnicity",
        "offence_group": "offence_group",
        "first_time_entrant": "first_time_entrant",
        "outcome": "disposal",
        "outcome_group": outcome_group_sql("disposal", "youth_justice"),
    },
}

_EVENT_TYPES = {
    "period": "DATE",
    "event_date": "DATE",
    "hour": "INTEGER",
    "age": "INTEGER",
    "suspect_age": "INTEGER",
    "domestic_abuse": "BOOLEAN",
    "admitted": "BOOLEAN",
    "first_time_entrant": "BOOLEAN",
}


def events_view_sql() -> list[str]:
    """One ``events_<source>`` view per event feed, and ``events`` as their union.

    Queries for one source read its own view: DuckDB then scans only that feed's Parquet
    parts instead of planning a five-way union (about 3x faster per query).
    """
    statements, unions = [], []
    for source in EVENT_FEEDS:
        m = _EVENT_SOURCES[source]
        cols = []
        for c in EVENTS_COLUMNS:
            if c == "source":
                expr = f"'{source}'"
            elif c in ("partner", "period", "ward_code", "district_code"):
                expr = c
            else:
                expr = m.get(c, "NULL")
            cols.append(f"CAST({expr} AS {_EVENT_TYPES.get(c, 'VARCHAR')}) AS {c}")
        statements.append(
            f"CREATE OR REPLACE VIEW events_{source} AS SELECT {', '.join(cols)} FROM {source}"
        )
        unions.append(f"SELECT * FROM events_{source}")
    statements.append("CREATE OR REPLACE VIEW events AS " + " UNION ALL ".join(unions))
    return statements
