"""The controlled vocabularies of the partner feeds, with the labels people read.

Contracts validate against these, the demo generator draws from them and the dashboard labels
its axes with them, so a code is spelled in one place only.
"""

from __future__ import annotations

from types import MappingProxyType

from svcore.outcomes import OUTCOME_GROUPS

LOCATION_TYPES = MappingProxyType(
    {
        "street": "Street or public place",
        "dwelling": "Dwelling",
        "licensed_premises": "Licensed premises",
        "retail": "Shop or retail",
        "education": "School or college",
        "transport": "Transport",
        "open_space": "Park or open space",
        "other": "Other",
        "unknown": "Unknown",
    }
)

WEAPONS = MappingProxyType(
    {
        "knife_sharp": "Knife or sharp instrument",
        "firearm": "Firearm",
        "blunt": "Blunt instrument",
        "corrosive": "Corrosive substance",
        "other": "Other weapon",
        "none": "No weapon",
        "unknown": "Unknown",
    }
)

ASSAULT_METHODS = MappingProxyType(
    {
        "knife_sharp": "Knife or sharp instrument",
        "firearm": "Firearm",
        "blunt": "Blunt instrument",
        "body_part": "Hit, kicked or punched",
        "glass_bottle": "Glass or bottle",
        "corrosive": "Corrosive substance",
        "other": "Other",
        "unknown": "Unknown",
    }
)

SEXES = MappingProxyType({"F": "Female", "M": "Male", "other": "Other", "unknown": "Unknown"})

ETHNICITIES = MappingProxyType(
    {
        "asian": "Asian",
        "black": "Black",
        "mixed": "Mixed",
        "white": "White",
        "other": "Other ethnic group",
        "not_stated": "Not stated",
    }
)

# Census 2021 ethnic groups (TS021), broad (5) and detailed (19), as ONS labels them; the
# codes are ours. The broad codes are the recorded codes of ``ETHNICITIES`` that name a group.
CENSUS_ETHNIC_GROUPS = MappingProxyType(
    {
        "asian": "Asian, Asian British or Asian Welsh",
        "black": "Black, Black British, Black Welsh, Caribbean or African",
        "mixed": "Mixed or Multiple ethnic groups",
        "white": "White",
        "other": "Other ethnic group",
    }
)
# Detailed code -> (broad code, ONS label of the detailed group, after the broad one's colon).
CENSUS_ETHNIC_GROUPS_DETAILED = MappingProxyType(
    {
        "asian_bangladeshi": ("asian", "Bangladeshi"),
        "asian_chinese": ("asian", "Chinese"),
        "asian_indian": ("asian", "Indian"),
        "asian_pakistani": ("asian", "Pakistani"),
        "asian_other": ("asian", "Other Asian"),
        "black_african": ("black", "African"),
        "black_caribbean": ("black", "Caribbean"),
        "black_other": ("black", "Other Black"),
        "mixed_white_asian": ("mixed", "White and Asian"),
        "mixed_white_black_african": ("mixed", "White and Black African"),
        "mixed_white_black_caribbean": ("mixed", "White and Black Caribbean"),
        "mixed_other": ("mixed", "Other Mixed or Multiple ethnic groups"),
        "white_british": ("white", "English, Welsh, Scottish, Northern Irish or British"),
        "white_irish": ("white", "Irish"),
        "white_gypsy_traveller": ("white", "Gypsy or Irish Traveller"),
        "white_roma": ("white", "Roma"),
        "white_other": ("white", "Other White"),
        "other_arab": ("other", "Arab"),
        "other_any": ("other", "Any other ethnic group"),
    }
)
# Recorded ethnicity -> Census 2021 broad group: the one mapping between what partners record
# and the population denominators. The 5+1 codes of the feeds (``ETHNICITIES``) and the police
# self-defined 16+1 codes (with the 18+1 additions W3, A4 and O2) land on the five broad groups
# (16+1's O1 "Chinese" is Asian in Census 2021); "not stated" (NS) has no population, no rate.
ETHNICITY_TO_CENSUS_BROAD = MappingProxyType(
    {"asian": "asian", "black": "black", "mixed": "mixed", "white": "white", "other": "other"}
)
SELF_DEFINED_16_TO_CENSUS_BROAD = MappingProxyType(
    {
        "W1": "white",
        "W2": "white",
        "W3": "white",
        "W9": "white",
        "M1": "mixed",
        "M2": "mixed",
        "M3": "mixed",
        "M9": "mixed",
        "A1": "asian",
        "A2": "asian",
        "A3": "asian",
        "A4": "asian",  # 18+1: Chinese
        "A9": "asian",
        "B1": "black",
        "B2": "black",
        "B9": "black",
        "O1": "asian",  # 16+1: Chinese
        "O2": "other",  # 18+1: Arab
        "O9": "other",
    }
)
CENSUS_REFERENCE_GROUP = "white"  # the default comparator of a relative rate index


def census_broad_sql(column: str) -> str:
    """A CASE expression giving the Census broad group of a recorded ethnicity column, built
    from ``ETHNICITY_TO_CENSUS_BROAD`` only (``column`` is a trusted whitelisted name)."""
    whens = " ".join(
        f"WHEN '{code}' THEN '{broad}'" for code, broad in ETHNICITY_TO_CENSUS_BROAD.items()
    )
    return f"CASE {column} {whens} ELSE NULL END"


RELATIONSHIPS = MappingProxyType(
    {
        "stranger": "Stranger",
        "acquaintance": "Acquaintance",
        "partner_ex": "Partner or ex-partner",
        "family": "Family member",
        "other": "Other",
        "unknown": "Unknown",
    }
)

OFFENCE_GROUPS = MappingProxyType(
    {
        "homicide": "Homicide",
        "violence_with_injury": "Violence with injury",
        "violence_without_injury": "Violence without injury",
        "robbery": "Robbery",
        "weapons_possession": "Possession of weapons",
        "sexual": "Sexual offences",
        "other": "Other",
    }
)

ROSH_LEVELS = MappingProxyType(
    {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}
)

SUPERVISION_TYPES = MappingProxyType(
    {
        "community_order": "Community order",
        "suspended_sentence": "Suspended sentence order",
        "licence": "Licence (post-custody)",
    }
)

POLICEUK_SERIOUS_TYPES = ("Violence and sexual offences", "Robbery", "Possession of weapons")

SOURCES = MappingProxyType(
    {
        "police": "Police recorded crime (force extract)",
        "policeuk": "Police recorded crime (police.uk)",
        "health": "A&E assault attendances",
        "probation": "Probation caseload",
        "youth_justice": "Youth justice proven offences",
    }
)

# Reference feeds (not events): what each is, and how its parts' period keys read.
REFERENCE_FEEDS = MappingProxyType(
    {
        "boundaries": "Area boundaries",
        "geography": "Geography lookup (LSOA, ward, district)",
        "lsoa_lookup": "LSOA 2011 to 2021 lookup",
        "population": "Population (ONS mid-year estimates)",
        "msoa_lookup": "Geography lookup (LSOA to MSOA)",
        "census_ethnicity": "Population by ethnic group (Census 2021, TS021)",
        "imd": "English Indices of Deprivation",
        "indicators": "Local-authority indicators",
    }
)
LEVEL_NAMES = MappingProxyType({"district": "districts", "ward": "wards", "lsoa": "LSOAs"})

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Age bands used in every breakdown; (label, lowest age, highest age inclusive).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-9", 0, 9),
    ("10-17", 10, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 120),
)


def age_band_sql(column: str) -> str:
    """A CASE expression banding an integer age column, built from ``AGE_BANDS`` only.

    ``column`` must be a trusted column name from a whitelist, never user input.
    """
    whens = " ".join(
        f"WHEN {column} BETWEEN {lo} AND {hi} THEN '{label}'" for label, lo, hi in AGE_BANDS
    )
    return f"CASE {whens} ELSE NULL END"


# The age filter of the filter bar: every band of ``AGE_BANDS`` by its label, and shortcuts
# spanning bands; key -> (words, lowest age, highest age inclusive).
AGE_FILTERS: MappingProxyType = MappingProxyType(
    {
        "under25": ("under 25", 0, 24),
        "under18": ("under 18", 0, 17),
        **{band: (f"aged {band}", lo, hi) for band, lo, hi in AGE_BANDS},
    }
)


def under25_sql(column: str) -> str:
    """'under 25' or '25 and over' (NULL when the age is not recorded), from ``AGE_FILTERS``'s
    ``under25``: the export dimension that matches the who filter. ``column`` is trusted."""
    _label, lo, hi = AGE_FILTERS["under25"]
    return (
        f"CASE WHEN {column} BETWEEN {lo} AND {hi} THEN 'under 25' "
        f"WHEN {column} > {hi} THEN '25 and over' END"
    )


# The broad groups the who filter offers: group -> (a short label, the recorded
# ``ETHNICITIES`` codes in it), from ``ETHNICITY_TO_CENSUS_BROAD`` (the one mapping), so a
# filter and a rate per resident of the same group count the same people. "Not stated" is in
# none.
_SHORT = {"asian": "Asian", "black": "Black", "mixed": "Mixed", "white": "White"}
ETHNIC_BROAD: MappingProxyType = MappingProxyType(
    {
        group: (
            _SHORT.get(group, CENSUS_ETHNIC_GROUPS[group]),
            tuple(c for c, g in ETHNICITY_TO_CENSUS_BROAD.items() if g == group),
        )
        for group in CENSUS_ETHNIC_GROUPS
    }
)


def ethnic_broad_sql(column: str) -> str:
    """The broad group (an ``ETHNIC_BROAD`` key) of a recorded ethnicity column, NULL for
    "not stated": ``census_broad_sql``, the same mapping under the filter's name.

    ``column`` must be a trusted column name from a whitelist, never user input.
    """
    return census_broad_sql(column)


# Which vocabulary labels each breakdown dimension (charts and exports read it from here).
DIMENSION_VOCABULARIES: dict[str, MappingProxyType] = {
    "weapon": WEAPONS,
    "location_type": LOCATION_TYPES,
    "assault_method": ASSAULT_METHODS,
    "sex": SEXES,
    "suspect_sex": SEXES,
    "ethnicity": ETHNICITIES,
    "victim_ethnicity": CENSUS_ETHNIC_GROUPS,
    "suspect_ethnicity": CENSUS_ETHNIC_GROUPS,
    "ethnic_group": CENSUS_ETHNIC_GROUPS,
    "relationship": RELATIONSHIPS,
    "index_offence_group": OFFENCE_GROUPS,
    "rosh_level": ROSH_LEVELS,
    "supervision_type": SUPERVISION_TYPES,
    "source": SOURCES,
    "domestic_abuse": MappingProxyType(
        {True: "Domestic abuse related", False: "Not domestic abuse"}
    ),
    "first_time_entrant": MappingProxyType({True: "First-time entrant", False: "Known before"}),
    "admitted": MappingProxyType({True: "Admitted", False: "Not admitted"}),
    "outcome_group": OUTCOME_GROUPS,
}

DIMENSION_TITLES: dict[str, str] = {
    "offence_group": "Offence group",
    "weapon": "Weapon",
    "location_type": "Location type",
    "assault_method": "Assault method",
    "relationship": "Relationship to assailant",
    "sex": "Sex",
    "age_band": "Age band",
    "ethnicity": "Ethnicity",
    "victim_ethnicity": "Victim ethnic group (Census 2021 broad)",
    "suspect_ethnicity": "Suspect ethnic group (Census 2021 broad)",
    "ethnic_group": "Ethnic group (Census 2021 broad)",
    "rosh_level": "Risk of serious harm",
    "supervision_type": "Supervision type",
    "index_offence_group": "Index offence group",
    "first_time_entrant": "First-time entrants",
    "domestic_abuse": "Domestic abuse",
    "outcome": "Outcome (as recorded)",
    "outcome_group": "Outcome group",
}


def label(dimension: str, value: object) -> str:
    """The readable label of a code (the code itself when the vocabulary does not know it)."""
    if value is None or (isinstance(value, float) and value != value):
        return "Not recorded"
    vocab = DIMENSION_VOCABULARIES.get(dimension)
    if vocab is not None and value in vocab:
        return str(vocab[value])
    return str(value)


# LSOAs ranked in the English Indices of Deprivation 2019 (ranks -> national percentiles, deciles).
ENGLAND_LSOAS_2019 = 32_844
