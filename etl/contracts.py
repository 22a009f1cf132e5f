"""One declaration per feed: its columns, their types and rules, and how its rows are keyed.

This is the single source the validator compiles to SQL, the demo generator writes to, and the
README's feed tables are checked against. Column names here are the canonical (normalised)
names a partner file has after its mapping file's renames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from svcore import vocab

ColumnType = Literal[
    "text", "date", "time", "datetime", "int", "decimal", "bool", "enum", "lsoa", "area", "period"
]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unique: bool = False
    # Replaced at ingest by a keyed hash (stored as ``<name minus _ref>_key``).
    pseudonymise: bool = False
    # Read (and checked) but never written to the warehouse: free text, direct identifiers.
    store: bool = True
    pattern: str | None = None  # a regular expression the trimmed value must fully match
    help: str = ""

    @property
    def stored_name(self) -> str:
        if self.pseudonymise:
            return self.name.removesuffix("_ref").removesuffix("_id") + "_key"
        return self.name


@dataclass(frozen=True)
class Comparison:
    """A rule between two columns of a row: ``left <= right`` when both are present."""

    left: str
    right: str
    reason: str


@dataclass(frozen=True)
class Contract:
    feed: str
    title: str
    kind: Literal["event", "area", "reference"]
    columns: tuple[Column, ...]
    # SQL over the typed columns giving the period a row belongs to (first day of its month,
    # or the indicator and its period); a re-send for the same partner and period replaces it.
    period_sql: str
    # The column that places a row in the partnership area (an LSOA or any GSS area code).
    place_column: str | None = None
    comparisons: tuple[Comparison, ...] = ()
    not_future: tuple[str, ...] = ()
    # Values of a column that mean the row is not a record of this feed at all (set aside,
    # counted, not held against the file): police.uk's anti-social behaviour rows.
    excluded_when_blank: tuple[str, ...] = ()
    excluded_reason: str = ""
    date_columns_for_formats: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _enum(values: Mapping[str, str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(values)


LOCATION = _enum(vocab.LOCATION_TYPES)
SEX = _enum(vocab.SEXES)
ETHNICITY = _enum(vocab.ETHNICITIES)
OFFENCE_GROUP = _enum(vocab.OFFENCE_GROUPS)
HO_CODE = r"[0-9]{1,3}[A-Z]?(/[0-9]{1,2})?"

POLICE = Contract(
    feed="police",
    title="Police recorded crime (force extract)",
    kind="event",
    columns=(
        Column("crime_ref", "text", required=True, unique=True, pseudonymise=True),
        Column("recorded_date", "date", required=True),
        Column("offence_date", "date", required=True),
        Column("offence_time", "time"),
        Column("ho_offence_code", "text", required=True, pattern=HO_CODE),
        Column("offence_description", "text"),
        Column("lsoa_code", "lsoa"),
        Column("location_type", "enum", enum=LOCATION),
        Column("weapon", "enum", enum=_enum(vocab.WEAPONS)),
        Column("domestic_abuse", "bool"),
        Column("victim_age", "int", min=0, max=120),
        Column("suspect_age", "int", min=0, max=120),
        Column("victim_sex", "enum", enum=SEX),
        Column("suspect_sex", "enum", enum=SEX),
        Column("victim_ethnicity", "enum", enum=ETHNICITY),
        Column("suspect_ethnicity", "enum", enum=ETHNICITY),
        Column("outcome", "text"),
    ),
    period_sql="date_trunc('month', recorded_date)::DATE",
    place_column="lsoa_code",
    comparisons=(
        Comparison("offence_date", "recorded_date", "offence_date is after recorded_date"),
    ),
    not_future=("offence_date", "recorded_date"),
)

POLICEUK = Contract(
    feed="policeuk",
    title="Police recorded crime (police.uk street-level CSV)",
    kind="event",
    columns=(
        Column("crime_id", "text", pseudonymise=True),  # police.uk repeats an ID per outcome row
        Column("month", "period", required=True, pattern=r"(19|20)\d{2}-(0[1-9]|1[0-2])"),
        Column("reported_by", "text", required=True),
        Column("falls_within", "text"),
        Column("longitude", "decimal", min=-180, max=180, store=False),
        Column("latitude", "decimal", min=-90, max=90, store=False),
        Column("location", "text", store=False),
        Column("lsoa_code", "lsoa"),
        Column("lsoa_name", "text", store=False),
        Column("crime_type", "text", required=True),
        Column("last_outcome_category", "text"),
        Column("context", "text", store=False),
    ),
    period_sql="strptime(month, '%Y-%m')::DATE",
    place_column="lsoa_code",
    not_future=(),
    excluded_when_blank=("crime_id",),
    excluded_reason="blank Crime ID: anti-social behaviour, not a recorded crime",
)

HEALTH = Contract(
    feed="health",
    title="A&E assault attendances (ISTV)",
    kind="event",
    columns=(
        Column("attendance_ref", "text", required=True, unique=True, pseudonymise=True),
        Column("site_code", "text", required=True, pattern=r"[A-Z0-9]{3,5}"),
        Column("arrival_datetime", "datetime", required=True),
        Column("assault_datetime", "datetime"),
        Column("assault_method", "enum", enum=_enum(vocab.ASSAULT_METHODS)),
        Column("assault_location_type", "enum", enum=LOCATION),
        Column("assault_location_description", "text", store=False),
        Column("assault_lsoa_code", "lsoa"),
        Column("patient_age", "int", min=0, max=120),
        Column("patient_sex", "enum", enum=SEX),
        Column("relationship_to_assailant", "enum", enum=_enum(vocab.RELATIONSHIPS)),
        Column("admitted", "bool"),
    ),
    period_sql="date_trunc('month', arrival_datetime)::DATE",
    place_column="assault_lsoa_code",
    comparisons=(
        Comparison("assault_datetime", "arrival_datetime", "assault_datetime is after arrival"),
    ),
    not_future=("arrival_datetime",),
)

PROBATION = Contract(
    feed="probation",
    title="Probation caseload snapshot",
    kind="event",
    columns=(
        Column("person_ref", "text", required=True, unique=True, pseudonymise=True),
        Column("snapshot_date", "date", required=True),
        Column("case_start_date", "date"),
        Column("age", "int", min=10, max=120),
        Column("sex", "enum", enum=SEX),
        Column("ethnicity", "enum", enum=ETHNICITY),
        Column("index_offence_group", "enum", enum=OFFENCE_GROUP),
        Column("rosh_level", "enum", enum=_enum(vocab.ROSH_LEVELS)),
        Column("supervision_type", "enum", enum=_enum(vocab.SUPERVISION_TYPES)),
        Column("home_lsoa_code", "lsoa"),
    ),
    period_sql="date_trunc('month', snapshot_date)::DATE",
    place_column="home_lsoa_code",
    comparisons=(
        Comparison("case_start_date", "snapshot_date", "case_start_date is after snapshot_date"),
    ),
    not_future=("snapshot_date",),
)

YOUTH_JUSTICE = Contract(
    feed="youth_justice",
    title="Youth justice proven offences",
    kind="event",
    columns=(
        Column("person_ref", "text", required=True, pseudonymise=True),
        Column("offence_date", "date", required=True),
        Column("age", "int", min=10, max=17),
        Column("sex", "enum", enum=SEX),
        Column("ethnicity", "enum", enum=ETHNICITY),
        Column("offence_group", "enum", enum=OFFENCE_GROUP),
        Column("first_time_entrant", "bool"),
        Column("disposal", "text"),
        Column("home_lsoa_code", "lsoa"),
    ),
    period_sql="date_trunc('month', offence_date)::DATE",
    place_column="home_lsoa_code",
    not_future=("offence_date",),
)

INDICATORS = Contract(
    feed="indicators",
    title="Local-authority and public-health indicators",
    kind="area",
    columns=(
        Column("indicator_code", "text", required=True, pattern=r"[A-Za-z0-9_.\-]{1,64}"),
        Column("indicator_name", "text"),
        Column("area_code", "area", required=True),
        Column(
            "period",
            "period",
            required=True,
            pattern=r"(19|20)\d{2}(-(0[1-9]|1[0-2])|/\d{2})?",
        ),
        Column("value", "decimal"),
        Column("numerator", "decimal"),
        Column("denominator", "decimal"),
        Column("unit", "text"),
        Column("source", "text"),
    ),
    period_sql="indicator_code || '|' || period",
    place_column="area_code",
)

GEOGRAPHY = Contract(
    feed="geography",
    title="ONS LSOA -> ward -> district lookup",
    kind="reference",
    columns=(
        Column("lsoa_code", "lsoa", required=True, unique=True),
        Column("lsoa_name", "text"),
        Column("ward_code", "area", required=True, pattern=r"[EW]05\d{6}"),
        Column("ward_name", "text"),
        Column("district_code", "area", required=True, pattern=r"[EW]0[6789]\d{6}"),
        Column("district_name", "text"),
        Column("lsoa_year", "int", required=True, min=2001, max=2099),
    ),
    period_sql="'lsoa' || lsoa_year",
    place_column="district_code",
)

BOUNDARIES = Contract(
    feed="boundaries",
    title="Area boundaries (GeoJSON)",
    kind="reference",
    columns=(
        Column("level", "enum", required=True, enum=("lsoa", "ward", "district")),
        Column("area_code", "area", required=True),
        Column("area_name", "text"),
        Column("vintage", "int", min=2001, max=2099),
        Column("geometry", "text", required=True),
        Column("centroid_lon", "decimal", min=-180, max=180),
        Column("centroid_lat", "decimal", min=-90, max=90),
        Column("area_km2", "decimal", min=0),
    ),
    period_sql="level",
    place_column="area_code",
)

POPULATION_LEVELS = ("lsoa", "msoa", "ward", "district")

POPULATION = Contract(
    feed="population",
    title="ONS mid-year population estimates",
    kind="reference",
    columns=(
        Column("area_code", "area", required=True),
        # The area's level, from its code when a file does not say (E01 LSOA, E02 MSOA...):
        # LSOA estimates join the geography lookup, MSOA ones the LSOA -> MSOA lookup.
        Column("level", "enum", enum=POPULATION_LEVELS),
        Column("year", "int", required=True, min=1990, max=2099),
        Column("sex", "enum", required=True, enum=("F", "M", "persons")),
        Column("age", "int", min=0, max=120),
        Column("population", "decimal", required=True, min=0),
    ),
    period_sql="CAST(year AS VARCHAR)",
    place_column="area_code",
)

IMD = Contract(
    feed="imd",
    title="English Indices of Deprivation 2019",
    kind="reference",
    columns=(
        Column("lsoa_code", "lsoa", required=True),
        Column("district_code", "area"),
        Column("domain", "text", required=True),
        Column("score", "decimal"),
        Column("rank", "int", min=1, max=40000),
        Column("decile", "int", min=1, max=10),
    ),
    period_sql="'imd2019'",
    place_column="district_code",
)

POLICEUK_OUTCOMES = Contract(
    feed="policeuk_outcomes",
    title="Police.uk outcomes (the outcomes CSV of the police.uk archive)",
    kind="reference",  # not events: each row is an outcome of a crime in the policeuk feed
    columns=(
        # The same keyed hash as the street file's Crime ID: joins to policeuk.crime_key.
        Column("crime_id", "text", required=True, pseudonymise=True),
        # The month the outcome was recorded (police.uk's file month), not the crime's.
        Column("month", "period", required=True, pattern=r"(19|20)\d{2}-(0[1-9]|1[0-2])"),
        Column("reported_by", "text", required=True),
        Column("falls_within", "text"),
        Column("longitude", "decimal", min=-180, max=180, store=False),
        Column("latitude", "decimal", min=-90, max=90, store=False),
        Column("location", "text", store=False),
        Column("lsoa_code", "lsoa"),
        Column("lsoa_name", "text", store=False),
        Column("outcome_type", "text", required=True),
    ),
    period_sql="month",
    place_column="lsoa_code",
)

MSOA_LOOKUP = Contract(
    feed="msoa_lookup",
    title="ONS LSOA -> MSOA lookup",
    kind="reference",
    columns=(
        Column("lsoa_code", "lsoa", required=True, unique=True),
        Column("lsoa_name", "text"),
        Column("msoa_code", "area", required=True, pattern=r"[EW]02\d{6}"),
        Column("msoa_name", "text"),
        Column("msoa_year", "int", required=True, min=2001, max=2099),
    ),
    period_sql="'msoa' || msoa_year",
    place_column="lsoa_code",
)

CENSUS_ETHNICITY = Contract(
    feed="census_ethnicity",
    title="Census 2021 ethnic group by LSOA (TS021)",
    kind="reference",
    columns=(
        Column("lsoa_code", "lsoa", required=True),
        Column("ethnic_group_broad", "enum", required=True, enum=_enum(vocab.CENSUS_ETHNIC_GROUPS)),
        # Blank when the file gives the broad groups only (the Nomis export).
        Column("ethnic_group_detailed", "enum", enum=_enum(vocab.CENSUS_ETHNIC_GROUPS_DETAILED)),
        Column("population", "decimal", required=True, min=0),
        Column("census_year", "int", required=True, min=2001, max=2099),
    ),
    period_sql="'census' || census_year",
    place_column="lsoa_code",
)

LSOA_LOOKUP = Contract(
    feed="lsoa_lookup",
    title="ONS LSOA 2011 -> LSOA 2021 lookup (exact fit)",
    kind="reference",
    columns=(
        Column("lsoa11_code", "lsoa", required=True),
        Column("lsoa11_name", "text"),
        Column("lsoa21_code", "lsoa", required=True),
        Column("lsoa21_name", "text"),
        # U unchanged, S a 2011 LSOA split, M 2011 LSOAs merged, X an irregular redraw.
        Column("change", "enum", required=True, enum=("U", "S", "M", "X")),
        Column("district_code", "area", pattern=r"[EW]0[6789]\d{6}"),
    ),
    period_sql="'lsoa2011-lsoa2021'",
    place_column="district_code",
)

CONTRACTS: dict[str, Contract] = {
    c.feed: c
    for c in (
        POLICE,
        POLICEUK,
        HEALTH,
        PROBATION,
        YOUTH_JUSTICE,
        INDICATORS,
        GEOGRAPHY,
        BOUNDARIES,
        POPULATION,
        IMD,
        LSOA_LOOKUP,
        POLICEUK_OUTCOMES,
        MSOA_LOOKUP,
        CENSUS_ETHNICITY,
    )
}
EVENT_FEEDS = tuple(f for f, c in CONTRACTS.items() if c.kind == "event")
FEEDS = tuple(CONTRACTS)


def contract(feed: str) -> Contract:
    try:
        return CONTRACTS[feed]
    except KeyError:
        raise KeyError(f"unknown feed {feed!r} (feeds: {', '.join(FEEDS)})") from None
