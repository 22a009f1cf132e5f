"""Area, period, click-filter and "who" conditions every query shares: the filter bar's
districts and wards, and the user's scope.

``Filters.scope`` is set by the server from the signed-in user, never from the URL: a duty
holder's scope is their districts, so a crafted URL or callback for another district selects
nothing here, in the query layer, whatever the page shows.
"""

from __future__ import annotations

from dashboard.filters import WHO, Filters
from svcore.sql import Params
from svcore.vocab import AGE_FILTERS, ethnic_broad_sql


def area_conditions(filters: Filters, params: Params, alias: str) -> list[str]:
    """SQL conditions on ``alias.district_code`` / ``alias.ward_code``; values as parameters."""
    conds = []
    if filters.districts:
        conds.append(f"{alias}.district_code = ANY({params.add(list(filters.districts))})")
    if filters.wards:
        conds.append(f"{alias}.ward_code = ANY({params.add(list(filters.wards))})")
    if filters.scope is not None:
        if filters.scope:
            conds.append(f"{alias}.district_code = ANY({params.add(list(filters.scope))})")
        else:
            conds.append("FALSE")
    return conds


def period_and_click_conditions(
    filters: Filters, params: Params, alias: str, weekday_sql: str | None = None
) -> list[str]:
    """SQL conditions on the period and the click filters (weapon, location, day, hour), the
    same over the events and over a rollup; ``weekday_sql`` is how the relation holds the day
    (events hold a date, rollups the day's name)."""
    conds = []
    if filters.date_from:
        conds.append(f"{alias}.period >= strptime({params.add(filters.date_from)}, '%Y-%m')")
    if filters.date_to:
        conds.append(f"{alias}.period <= strptime({params.add(filters.date_to)}, '%Y-%m')")
    if filters.weapon is not None:
        conds.append(f"{alias}.weapon = {params.add(filters.weapon)}")
    if filters.location is not None:
        conds.append(f"{alias}.location_type = {params.add(filters.location)}")
    if filters.weekday is not None:
        day = weekday_sql or f"{alias}.weekday"
        conds.append(f"{day} = {params.add(filters.weekday)}")
    if filters.hour is not None:
        conds.append(f"{alias}.hour = {params.add(filters.hour)}")
    return conds


# The events column each "who" filter reads, by source and person. A source that does not
# record a field has none: the filter does not apply to it (``who_not_applied``), and the
# view says so in its note rather than showing nothing or ignoring it silently. Probation and
# youth justice record one person (the person supervised, the child): the filters describe
# them, whichever person the filter bar names.
_PERSON = {"age": "age", "sex": "sex", "ethnicity": "ethnicity"}
WHO_COLUMNS: dict[str, dict[str, dict[str, str]]] = {
    "police": {
        "victim": _PERSON,
        "suspect": {"age": "suspect_age", "sex": "suspect_sex", "ethnicity": "suspect_ethnicity"},
    },
    "policeuk": {"victim": {}, "suspect": {}},
    "health": {"victim": {"age": "age", "sex": "sex"}, "suspect": {}},
    "probation": {"victim": _PERSON, "suspect": _PERSON},
    "youth_justice": {"victim": _PERSON, "suspect": _PERSON},
}
ONE_PERSON_SOURCES = ("probation", "youth_justice")


def who_conditions(filters: Filters, params: Params, alias: str, source: str) -> list[str]:
    """SQL conditions for the "who" filters (age, sex, broad ethnic group) on one source's
    events: only those the source records (see ``WHO_COLUMNS``)."""
    columns = WHO_COLUMNS.get(source, {}).get(filters.person, {})
    conds = []
    if filters.age is not None and "age" in columns:
        _words, lo, hi = AGE_FILTERS[filters.age]
        col = f"{alias}.{columns['age']}"
        conds.append(f"{col} BETWEEN {params.add(lo)} AND {params.add(hi)}")
    if filters.sex is not None and "sex" in columns:
        conds.append(f"{alias}.{columns['sex']} = {params.add(filters.sex)}")
    if filters.ethnicity is not None and "ethnicity" in columns:
        broad = ethnic_broad_sql(f"{alias}.{columns['ethnicity']}")
        conds.append(f"{broad} = {params.add(filters.ethnicity)}")
    return conds


def who_not_applied(filters: Filters, source: str) -> tuple[str, ...]:
    """The "who" filters set that ``source`` does not record (so do not narrow its counts)."""
    columns = WHO_COLUMNS.get(source, {}).get(filters.person, {})
    return tuple(k for k in WHO if getattr(filters, k) is not None and k not in columns)
