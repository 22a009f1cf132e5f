"""What a Strategic Needs Assessment pack holds, in order: sections, their views, fixed text.

The order follows the Serious Violence Duty guidance for a strategic needs assessment: the
summary and scope first, the data and its coverage, the profile (where, when, how, who and
what happens next), influential factors, hidden violence, data gaps, recommendations for the
partnership to write, then method, glossary and the manifest. Every number in a section comes
from the views it names (``dashboard.charts.catalogue``); the words here hold no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

# Views read over every year held up to the report's year (persistence needs years).
HISTORY = frozenset(
    {
        "where-persistent-hotspots",
        "where-persistent-table",
        "where-location-types",
        "where-repeat-locations",
    }
)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    views: tuple[tuple[str, dict], ...] = ()
    quality: bool = False  # partnership-wide data-quality views: analysts' packs only


SECTIONS: tuple[Section, ...] = (
    Section(
        "sources",
        "Data sources and coverage",
        "Each partner's data counts something different: police-recorded crime, A&E assault "
        "attendances, the probation caseload and the youth-justice cohort. The sources are "
        "shown side by side and never added together.",
        (("overview-year-on-year", {}), ("overview-trend", {}), ("quality-coverage", {})),
    ),
    Section(
        "where",
        "Where: places and hot spots",
        "Where serious violence happens: rates by district and ward, the hot spots of the "
        "year, the places that are hot spots year after year, and the busiest location types.",
        (
            ("where-district-change", {}),
            ("where-map", {"level": "ward"}),
            ("where-hotspots", {}),
            ("where-persistent-hotspots", {}),
            ("where-persistent-table", {}),
            ("where-location-types", {}),
            ("where-repeat-locations", {}),
        ),
    ),
    Section(
        "when",
        "When: time of day, week and year",
        "When serious violence happens: the hour and day of the week, the night-time economy, "
        "and the months of the year.",
        (("when-heatmap", {}), ("when-nte", {}), ("when-seasonality", {})),
    ),
    Section(
        "how",
        "How: offences, weapons and settings",
        "What kinds of serious violence are recorded: offence groups, weapons, the places they "
        "happen, domestic abuse and the relationship between victim and suspect.",
        (
            ("how-offence-group", {}),
            ("how-weapon", {}),
            ("how-location", {}),
            ("how-domestic-abuse", {}),
            ("how-relationship", {}),
        ),
    ),
    Section(
        "who",
        "Who: victims, suspects and cohorts",
        "Who is affected: victims and suspects by age, sex and ethnic group, their rates per "
        "1,000 residents, and the people on the probation caseload and in the youth-justice "
        "cohort.",
        (
            ("who-victims", {}),
            ("who-suspects", {}),
            ("who-ethnicity", {}),
            ("who-victim-rates-ethnicity", {}),
            ("who-rates-age-sex", {}),
            ("who-probation-risk", {}),
            ("who-probation-offence", {}),
            ("who-youth-age", {}),
            ("who-youth-repeat", {}),
        ),
    ),
    Section(
        "outcomes",
        "Justice outcomes and disproportionality",
        "What happened next: charges, out-of-court disposals and the other outcomes of the "
        "Home Office outcomes framework, with 95% intervals; and how the rates of victims, "
        "suspects and outcomes differ between ethnic groups (relative rate indices).",
        (
            ("outcomes-groups", {}),
            ("outcomes-trend", {}),
            ("outcomes-by-offence", {}),
            ("outcomes-oocd-share", {}),
            ("outcomes-rri-suspect-ethnicity", {}),
            ("outcomes-rri-table", {}),
            ("outcomes-youth", {}),
            ("who-rri-victims", {}),
            ("who-rri-victims-table", {}),
            ("who-rri-suspects", {}),
            ("who-rri-suspects-table", {}),
        ),
    ),
    Section(
        "factors",
        "Influential factors and the area risk index",
        "How violence goes with deprivation and the other area factors held, ranked by the "
        "strength of the evidence, and the area risk index that combines them.",
        (
            ("factors-ranked", {}),
            ("factors-deciles", {}),
            ("factors-scatter", {"factor": "imd:imd"}),
            ("factors-risk-method", {}),
            ("factors-risk-index-map", {}),
            ("factors-risk-quadrants", {}),
            ("factors-risk-index-table", {}),
        ),
    ),
    Section(
        "hidden",
        "Hidden violence: the A&E gap",
        "Not all violence is reported to the police. A&E assault attendances (ISTV data "
        "sharing) beside police-recorded violence with injury show how much reaches hospital "
        "without a police record, and where.",
        (("where-gap", {"level": "district"}), ("where-gap-table", {"level": "district"})),
    ),
    Section(
        "quality",
        "Data gaps and quality",
        "What the data cannot yet say: sources or months not loaded, and how complete the key "
        "fields are. Gaps limit what the assessment can conclude and are where data-sharing "
        "agreements can help.",
        (("quality-completeness", {}), ("quality-timeliness", {})),
        quality=True,
    ),
)

INTRODUCTION = (
    "The Serious Violence Duty (Police, Crime, Sentencing and Courts Act 2022) requires "
    "specified authorities to work together to prevent and reduce serious violence, and to "
    "base their strategy on a strategic needs assessment. This document is that assessment's "
    "data: it describes where, when and how serious violence happens, who it affects, what "
    "happens next, the factors that go with it, and what the data cannot yet show.",
    "Serious violence is counted by the partnership's definition (below). Figures are for the "
    "calendar year, compared with the year before; rates are per 1,000 residents a year. "
    "Every number has passed the partnership's statistical disclosure control, so small "
    "numbers are hidden or perturbed and totals may not equal the sum of their parts.",
)

RECOMMENDATIONS = (
    "This section is for the partnership to complete. The findings above suggest where to "
    "look; recommendations need the knowledge of the partners and communities behind them.",
    "Recommendation 1: [to be agreed by the partnership]",
    "Recommendation 2: [to be agreed by the partnership]",
    "Recommendation 3: [to be agreed by the partnership]",
)

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "A&E / ISTV",
        "Emergency department assault attendances shared under the Information "
        "Sharing to Tackle Violence standard.",
    ),
    ("CSP", "Community Safety Partnership: the district-level partnership."),
    (
        "Getis-Ord Gi*",
        "A statistic that finds areas whose rate, with their neighbours', is "
        "higher than chance would give: a hot spot.",
    ),
    ("GSS code", "The Government Statistical Service code of an area (e.g. E08000035)."),
    ("LSOA", "Lower layer Super Output Area: about 1,500 residents, the smallest area used."),
    ("NTE", "Night-time economy: Friday and Saturday, 20:00 to 03:59."),
    (
        "OOCD",
        "Out-of-court disposal: a caution, community resolution, penalty notice or "
        "diversionary outcome instead of a charge.",
    ),
    (
        "Outcome",
        "What the police recorded as the result of an investigation (the Home Office "
        "outcomes framework).",
    ),
    ("RRI", "Relative rate index: a group's rate divided by the reference group's."),
    ("SNA", "Strategic Needs Assessment."),
    (
        "Statistical disclosure control",
        "Hiding, rounding or perturbing small numbers so no "
        "person can be identified from a published figure.",
    ),
    ("VRP", "Violence Reduction Partnership."),
)
