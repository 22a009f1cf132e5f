"""Justice outcomes: the Home Office crime outcomes framework, and youth-justice disposals.

The one definition of the outcome groups every page, export and the events view use. A force
extract's ``outcome`` may hold a Home Office outcome number ("15", "Outcome 15", "OC15",
"15 - Evidential difficulties...") or its words; police.uk publishes its own categories
(``Last outcome category`` and the outcomes file's ``Outcome type``); youth justice records the
disposal. Each is mapped here to an outcome group; a value nobody lists goes to ``other``
("Other or not known"), never dropped, and the value as recorded is kept beside it.

Home Office outcome numbers (Crime outcomes in England and Wales, technical annex):
1 charge/summons (1A alternative offence), 2 youth caution (2A youth conditional caution),
3 adult caution (3A conditional caution), 4 taken into consideration, 5 offender died,
6 penalty notice for disorder, 7 cannabis/khat warning, 8 community resolution, 9 prosecution
not in the public interest (CPS), 10 formal action not in the public interest (police),
11-13 prosecution prevented (suspect under age, suspect too ill, victim or key witness dead or
too ill), 14 evidential difficulties, victim based: named suspect not identified, 15 named
suspect identified: evidential difficulties prevent further action, 16 named suspect
identified: the victim does not support (or has withdrawn support from) police action,
17 prosecution time limit expired, 18 investigation complete, no suspect identified, 20 further
action by another body or agency, 21 further investigation not in the public interest,
22 diversionary, educational or intervention activity.
"""

from __future__ import annotations

from types import MappingProxyType

# Outcome groups, in the order they are shown (HO numbers in the label where it helps).
OUTCOME_GROUPS = MappingProxyType(
    {
        "charged": "Charged or summonsed (HO 1)",
        "taken_into_consideration": "Taken into consideration (HO 4)",
        "caution": "Caution, youth or adult (HO 2, 3)",
        "penalty_notice": "Penalty notice for disorder (HO 6)",
        "cannabis_khat_warning": "Cannabis or khat warning (HO 7)",
        "community_resolution": "Community resolution (HO 8)",
        "diversion": "Diversionary, educational or intervention activity (HO 22)",
        "prosecution_prevented": "Prosecution prevented or not in public interest (HO 5, 9-13, 17)",
        "evidential_difficulties": "Evidential difficulties (HO 14, 15, 16)",
        "no_suspect": "Investigation complete, no suspect identified (HO 18)",
        "other_body": "Action by another body or agency (HO 20)",
        "not_in_public_interest": "Further investigation not in the public interest (HO 21)",
        "pending": "Under investigation, no outcome yet",
        "youth_pre_court": "Youth justice: pre-court disposal",
        "youth_court": "Youth justice: court disposal",
        "other": "Other or not known",
    }
)
OTHER = "other"
CHARGED = "charged"
# Out-of-court disposals, the Out of Court Disposals Scrutiny Panel's remit: the Home Office's
# formal (cautions, penalty notices) and informal (cannabis/khat warnings, community
# resolutions) out-of-court outcomes, and outcome 22 (deferred prosecution, diversion), which
# scrutiny panels review with them.
OOCD_GROUPS = (
    "caution",
    "penalty_notice",
    "cannabis_khat_warning",
    "community_resolution",
    "diversion",
)
YOUTH_GROUPS = ("youth_pre_court", "youth_court")

# Home Office outcome number -> group.
HO_OUTCOMES = MappingProxyType(
    {
        "1": "charged",
        "1A": "charged",
        "2": "caution",
        "2A": "caution",
        "3": "caution",
        "3A": "caution",
        "4": "taken_into_consideration",
        "5": "prosecution_prevented",
        "6": "penalty_notice",
        "7": "cannabis_khat_warning",
        "8": "community_resolution",
        "9": "prosecution_prevented",
        "10": "prosecution_prevented",
        "11": "prosecution_prevented",
        "12": "prosecution_prevented",
        "13": "prosecution_prevented",
        "14": "evidential_difficulties",
        "15": "evidential_difficulties",
        "16": "evidential_difficulties",
        "17": "prosecution_prevented",
        "18": "no_suspect",
        "20": "other_body",
        "21": "not_in_public_interest",
        "22": "diversion",
    }
)

# police.uk's outcome categories (street files' ``Last outcome category``, outcomes files'
# ``Outcome type``) -> group. Court results follow a charge, so they count as charged.
POLICEUK_OUTCOMES = MappingProxyType(
    {
        "Investigation complete; no suspect identified": "no_suspect",
        "Unable to prosecute suspect": "evidential_difficulties",
        "Under investigation": "pending",
        "Status update unavailable": "other",
        "Awaiting court outcome": "charged",
        "Court result unavailable": "charged",
        "Court case unable to proceed": "charged",
        "Defendant found not guilty": "charged",
        "Defendant sent to Crown Court": "charged",
        "Suspect charged": "charged",
        "Offender sent to prison": "charged",
        "Offender given suspended prison sentence": "charged",
        "Offender fined": "charged",
        "Offender given a community sentence": "charged",
        "Offender given community sentence": "charged",
        "Offender given conditional discharge": "charged",
        "Offender given absolute discharge": "charged",
        "Offender deprived of property": "charged",
        "Offender ordered to pay compensation": "charged",
        "Offender otherwise dealt with": "charged",
        "Suspect charged as part of another case": "taken_into_consideration",
        "Offender given a caution": "caution",
        "Offender given a drugs possession warning": "cannabis_khat_warning",
        "Offender given penalty notice": "penalty_notice",
        "Local resolution": "community_resolution",
        "Formal action is not in the public interest": "prosecution_prevented",
        "Further investigation is not in the public interest": "not_in_public_interest",
        "Further action is not in the public interest": "not_in_public_interest",
        "Action to be taken by another organisation": "other_body",
    }
)

# Words a force extract may use instead of (or without) the number.
FORCE_OUTCOME_WORDS = MappingProxyType(
    {
        "charged": "charged",
        "charge": "charged",
        "charge/summons": "charged",
        "charged/summonsed": "charged",
        "summonsed": "charged",
        "taken into consideration": "taken_into_consideration",
        "youth caution": "caution",
        "adult caution": "caution",
        "caution": "caution",
        "conditional caution": "caution",
        "penalty notice for disorder": "penalty_notice",
        "cannabis/khat warning": "cannabis_khat_warning",
        "community resolution": "community_resolution",
        "diversionary activity": "diversion",
        "evidential difficulties": "evidential_difficulties",
        "investigation complete - no suspect": "no_suspect",
        "investigation complete - no suspect identified": "no_suspect",
        "no suspect identified": "no_suspect",
        "under investigation": "pending",
        "not yet assigned an outcome": "pending",
        "outcome pending": "pending",
        "pending": "pending",
        **{k.lower(): v for k, v in POLICEUK_OUTCOMES.items()},
    }
)

# Youth-justice disposals (the YJB's tiers: pre-court; first-tier, community and custodial
# court disposals) -> group.
YOUTH_DISPOSALS = MappingProxyType(
    {
        "Youth caution": "youth_pre_court",
        "Youth conditional caution": "youth_pre_court",
        "Community resolution": "youth_pre_court",
        "Triage": "youth_pre_court",
        "Diversion": "youth_pre_court",
        "Outcome 22": "youth_pre_court",
        "Referral order": "youth_court",
        "Reparation order": "youth_court",
        "Youth rehabilitation order": "youth_court",
        "Youth rehabilitation order with intensive supervision and surveillance": "youth_court",
        "Detention and training order": "youth_court",
        "Custody": "youth_court",
        "Section 250 detention": "youth_court",
        "Section 259 detention": "youth_court",
        "Fine": "youth_court",
        "Conditional discharge": "youth_court",
        "Absolute discharge": "youth_court",
        "Compensation order": "youth_court",
        "Deferred sentence": "youth_court",
        "Parenting order": "youth_court",
    }
)

# A force extract's "Outcome 15", "OC15", "HO 15 - ...", "15: ..." or plain "15".
HO_NUMBER_PATTERN = r"^(?:HO\s*)?(?:OUTCOME|OC)?\s*([0-9]{1,2}[A-C]?)(?:$|[^0-9A-Z])"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _case(words: dict[str, str], key_sql: str) -> str:
    return "CASE " + " ".join(
        f"WHEN {key_sql} = {_quote(k)} THEN {_quote(v)}" for k, v in words.items()
    )


def _normal(column: str) -> str:
    return f"lower(regexp_replace(trim({column}), '\\s+', ' ', 'g'))"


def outcome_group_sql(column: str, source: str) -> str:
    """SQL giving an event's outcome group from its recorded outcome ``column`` (a trusted
    column name, never user input), built from this module's tables only. NULL for feeds
    without outcomes; ``other`` for a value the tables do not know, or none recorded."""
    if source == "youth_justice":
        words = {k.lower(): v for k, v in YOUTH_DISPOSALS.items()}
        return f"coalesce({_case(words, _normal(column))} END, {_quote(OTHER)})"
    if source == "policeuk":
        words = {k.lower(): v for k, v in POLICEUK_OUTCOMES.items()}
        return f"coalesce({_case(words, _normal(column))} END, {_quote(OTHER)})"
    if source == "police":
        number = f"regexp_extract(upper(trim({column})), {_quote(HO_NUMBER_PATTERN)}, 1)"
        by_number = _case(dict(HO_OUTCOMES), number)
        by_words = _case(dict(FORCE_OUTCOME_WORDS), _normal(column))
        return f"coalesce({by_words} END, {by_number} END, {_quote(OTHER)})"
    return "NULL"


def group_of(value: str | None, source: str) -> str:
    """The group of one recorded value (Python twin of ``outcome_group_sql``, for the demo
    generator and tests)."""
    import re

    if value is None or not str(value).strip():
        return OTHER
    text = re.sub(r"\s+", " ", str(value).strip()).lower()
    if source == "youth_justice":
        return {k.lower(): v for k, v in YOUTH_DISPOSALS.items()}.get(text, OTHER)
    if source == "policeuk":
        return {k.lower(): v for k, v in POLICEUK_OUTCOMES.items()}.get(text, OTHER)
    if text in FORCE_OUTCOME_WORDS:
        return FORCE_OUTCOME_WORDS[text]
    m = re.match(HO_NUMBER_PATTERN, str(value).strip().upper())
    return HO_OUTCOMES.get(m.group(1), OTHER) if m else OTHER


def is_oocd(group: str) -> bool:
    return group in OOCD_GROUPS
